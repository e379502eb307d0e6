//! Number parsing on CityLots-shaped coordinates: the event reader's number parser
//! (`src/compile/number.rs`, through the hidden `eventsift::__bench::parse_number` shim; since
//! 2026-12-06 the `fast-float2` crate behind an `is_finite` filter, which replaced a hand-written
//! Eisel–Lemire parser that did not beat it) against the standard library's `f64::from_str` and
//! `fast-float2` called directly.
//!
//! The numbers are every `x`, `y` and `z` of the first 5,000 events of the generated CL2 corpus
//! (`workload/generate.rs`): `-122.37524688111087`, `37.710734310448366`, `0`. Before anything is
//! timed, the three parsers are checked to give bit-identical doubles for every one of them.

#[path = "workload/mod.rs"]
mod cl2;

use std::str::FromStr;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

/// The text of every `"x":`, `"y":` and `"z":` number of `events`.
fn coordinates(events: &cl2::Events) -> Vec<&str> {
    let mut out = Vec::new();
    for e in events.iter() {
        for key in ["\"x\":", "\"y\":", "\"z\":"] {
            let mut rest = e;
            while let Some(at) = rest.find(key) {
                rest = &rest[at + key.len()..];
                let end = rest.find([',', '}']).expect("a number ends");
                out.push(&rest[..end]);
            }
        }
    }
    // Interleave the three kinds as the reader meets them, not all x's first.
    out.sort_by_key(|s| s.as_ptr() as usize);
    out
}

fn bench(c: &mut Criterion) {
    let events = cl2::generate::generate(5_000, cl2::generate::SEED);
    let numbers = coordinates(&events);
    let bytes: usize = numbers.iter().map(|n| n.len()).sum();
    for n in &numbers {
        let std = f64::from_str(n).unwrap();
        let ours = eventsift::__bench::parse_number(n).unwrap();
        let fast: f64 = fast_float2::parse(n).unwrap();
        assert_eq!(ours.to_bits(), std.to_bits(), "{n}");
        assert_eq!(fast.to_bits(), std.to_bits(), "{n}");
    }
    eprintln!("numbers: {} coordinates, {bytes} bytes, e.g. {:?}", numbers.len(), &numbers[..3]);

    let mut group = c.benchmark_group("numbers/citylots-coordinates");
    group.throughput(Throughput::Elements(numbers.len() as u64));
    group.bench_function("eventsift (Eisel-Lemire)", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for n in &numbers {
                sum += eventsift::__bench::parse_number(std::hint::black_box(n)).unwrap();
            }
            sum
        })
    });
    group.bench_function("f64::from_str", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for n in &numbers {
                sum += f64::from_str(std::hint::black_box(n)).unwrap();
            }
            sum
        })
    });
    group.bench_function("fast-float2", |b| {
        b.iter(|| {
            let mut sum = 0.0;
            for n in &numbers {
                sum += fast_float2::parse::<f64, _>(std::hint::black_box(n)).unwrap();
            }
            sum
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
