//! Scale: 10, 1,000 and 100,000 rules of realistic shapes, matched against events of one shape;
//! rules added per second (compile + build); heap bytes per rule (a counting allocator measures what
//! building the machine keeps). Match counts are checked against the reference matcher first.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use eventsift::{reference, Machine, Pattern};

struct Counting;
static LIVE_BYTES: AtomicIsize = AtomicIsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE_BYTES.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE_BYTES.fetch_add(new_size as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System` with `layout`; forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Rule `i`: one of five shapes, each with a selective part, as real subscriptions have.
fn rule(i: usize) -> String {
    match i % 5 {
        0 => format!(r#"{{"detail": {{"id": ["id-{i}"]}}}}"#),
        1 => format!(r#"{{"source": [{{"prefix": "svc-{i}."}}]}}"#),
        2 => format!(
            r#"{{"detail-type": ["type-{i}"], "detail": {{"amount": [{{"numeric": [">", {}, "<=", {}]}}]}}}}"#,
            i % 100,
            i % 100 + 50
        ),
        3 => format!(
            r#"{{"detail-type": ["type-{i}"], "detail": {{"state": [{{"anything-but": ["deleted", "archived"]}}]}}}}"#
        ),
        _ => format!(r#"{{"detail-type": ["type-{i}"], "resources": [{{"wildcard": "arn:aws:s3:::bucket-{i}/*"}}]}}"#),
    }
}

/// Event `k` of a rule set of `n`: the same shape for every `n`, naming three rules: an exact id
/// (shape 0), a source prefix (shape 1), and one typed rule (shape 2, 3 or 4) whose other condition
/// it also meets.
fn event(k: usize, n: usize) -> String {
    let groups = n / 5;
    let m = (k * 7919) % groups;
    let (id, source) = (5 * m, 5 * m + 1);
    let typed = 5 * ((k * 104729 + 3) % groups) + 2 + k % 3;
    format!(
        r#"{{"version": "0", "id": "e-{k}", "source": "svc-{source}.app", "detail-type": "type-{typed}", "account": "123456789012", "time": "2026-11-23T12:00:00Z", "region": "us-east-1", "resources": ["arn:aws:s3:::bucket-{typed}/key-{k}"], "detail": {{"id": "id-{id}", "amount": {}, "state": "active", "tags": ["x", "y"]}}}}"#,
        typed % 100 + 10
    )
}

fn build(n: usize) -> Machine {
    let mut builder = Machine::builder();
    for i in 0..n {
        builder.add(format!("r{i}"), &rule(i)).unwrap();
    }
    builder.build()
}

/// Heap bytes per rule kept by a machine of `n` exact-match rules (`{"detail": {"id": ["id-i"]}}`).
fn exact_rule_memory(n: usize) -> f64 {
    let before = LIVE_BYTES.load(Ordering::Relaxed);
    let mut builder = Machine::builder();
    for i in 0..n {
        builder.add(format!("r{i}"), &format!(r#"{{"detail": {{"id": ["id-{i}"]}}}}"#)).unwrap();
    }
    let machine = builder.build();
    drop(builder);
    let bytes = LIVE_BYTES.load(Ordering::Relaxed) - before;
    assert_eq!(machine.matching_rules(r#"{"detail": {"id": "id-7"}}"#).unwrap().len(), 1);
    bytes as f64 / n as f64
}

fn bench(c: &mut Criterion) {
    eprintln!("scale: 100000 exact-match rules: {:.0} heap bytes per rule", exact_rule_memory(100_000));
    let mut group = c.benchmark_group("scale/match");
    for n in [10usize, 1_000, 100_000] {
        let before = LIVE_BYTES.load(Ordering::Relaxed);
        let start = Instant::now();
        let machine = build(n);
        let elapsed = start.elapsed().as_secs_f64();
        let bytes = LIVE_BYTES.load(Ordering::Relaxed) - before;
        eprintln!(
            "scale: {n} rules built in {elapsed:.3} s ({:.0} rules/s), {:.0} heap bytes per rule",
            n as f64 / elapsed,
            bytes as f64 / n as f64
        );
        let events: Vec<String> = (0..1000).map(|k| event(k, n)).collect();
        // Check the verdicts against the reference on a sample (all rules of small sets, the
        // rules the event names plus a sample for 100,000).
        let mut scratch = machine.scratch();
        for e in events.iter().take(50) {
            let got: Vec<String> = machine.matches(e, &mut scratch).unwrap().map(|r| r.to_string()).collect();
            let ids: Vec<usize> = if n <= 1000 {
                (0..n).collect()
            } else {
                (0..n).step_by(997).chain(got.iter().map(|r| r[1..].parse().unwrap())).collect()
            };
            for i in ids {
                let expected = reference::matches(&Pattern::new(&rule(i)).unwrap(), e).unwrap();
                assert_eq!(got.contains(&format!("r{i}")), expected, "rule {i} on {e}");
            }
            assert_eq!(got.len(), 3, "every event matches its three rules: {got:?}");
        }
        group.throughput(Throughput::Elements(events.len() as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &events, |b, events| {
            b.iter(|| events.iter().map(|e| machine.matches(e, &mut scratch).unwrap().len()).sum::<usize>())
        });
    }
    group.finish();

    let mut group = c.benchmark_group("scale/build");
    group.sample_size(10);
    for n in [1_000usize, 100_000] {
        let sources: Vec<String> = (0..n).map(rule).collect();
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::from_parameter(n), &sources, |b, sources| {
            b.iter(|| {
                let mut builder = Machine::builder();
                for (i, s) in sources.iter().enumerate() {
                    builder.add(format!("r{i}"), s).unwrap();
                }
                builder.build()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("compile");
    for (name, text) in [("exact", rule(0)), ("numeric", rule(2)), ("wildcard", rule(4))] {
        group.bench_function(name, |b| b.iter(|| Pattern::new(std::hint::black_box(&text)).unwrap()));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
