//! Single-pattern benchmarks: compile time, and matching the bundled sample events, with the naive
//! reference matcher in the same group. Match counts are asserted before anything is timed.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use eventsift::{reference, Pattern};

const PATTERN: &str = include_str!("../examples/data/ec2-running-large.json");
const EVENTS: &str = include_str!("../examples/data/ec2-events.jsonl");
/// `eventsift match examples/data/ec2-running-large.json examples/data/ec2-events.jsonl` prints 7 `true`.
const EXPECTED_MATCHES: usize = 7;

fn events() -> Vec<&'static str> {
    EVENTS.lines().filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()).collect()
}

fn bench(c: &mut Criterion) {
    let pattern = Pattern::new(PATTERN).expect("valid sample pattern");
    let events = events();
    let count = |f: &dyn Fn(&str) -> bool| events.iter().filter(|e| f(e)).count();
    assert_eq!(count(&|e| pattern.matches(e).unwrap()), EXPECTED_MATCHES);
    assert_eq!(count(&|e| reference::matches(&pattern, e).unwrap()), EXPECTED_MATCHES);

    c.bench_function("compile/ec2-sample", |b| b.iter(|| Pattern::new(std::hint::black_box(PATTERN)).unwrap()));

    let mut group = c.benchmark_group("match/ec2-sample");
    group.throughput(Throughput::Elements(events.len() as u64));
    group.bench_function("Pattern::matches", |b| {
        b.iter(|| events.iter().filter(|e| pattern.matches(std::hint::black_box(e)).unwrap()).count())
    });
    group.bench_function("reference", |b| {
        b.iter(|| events.iter().filter(|e| reference::matches(&pattern, std::hint::black_box(e)).unwrap()).count())
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
