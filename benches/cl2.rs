//! event-ruler's CL2 benchmark on the CityLots corpus, with the `quamina` crate in the same groups.
//!
//! Corpus: by default the generated CityLots-shaped corpus of `workload/generate.rs` (213,068 events
//! from a fixed seed; `EVENTSIFT_CL2_EVENTS=N` for another size), whose expected per-rule counts the
//! reference matcher computes over every event; `EVENTSIFT_CITYLOTS=PATH` reads a file instead (the
//! surrogate `../shared/data/citylots2-synthetic.json.gz` with the counts of
//! `data/cl2-counts-synthetic.json`, or event-ruler's `citylots2.json.gz` with its
//! `expected_matches`). Before anything is timed, every rule set's per-rule match counts are checked
//! against the expected counts of that corpus — for eventsift, and for quamina on the categories it
//! accepts. `EVENTSIFT_CL2_ONLY=CATEGORY` restricts the run to one rule set.
//!
//! `eventsift-early-stop` is the machine's default mode (`ReadMode::EarlyStop`, exact), and
//! `eventsift-skip` the mode that reads every key. Criterion times one engine after the other; on a
//! machine whose load changes, `cargo run --release --example cl2` (passes alternating between
//! eventsift and the quamina crate, best of each) gives the steadier multiple.

#[path = "workload/mod.rs"]
mod cl2;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use eventsift::ReadMode;

fn bench(c: &mut Criterion) {
    let corpus = cl2::corpus(None);
    let events = cl2::load(&corpus);
    eprintln!("cl2: {corpus}, {} events", events.len());
    let only = std::env::var("EVENTSIFT_CL2_ONLY").ok();
    let (sets, checked) = cl2::rule_sets(&corpus, &events);
    let checked_events = checked.events(&events);
    eprintln!("cl2: counts checked on {checked}");
    for set in sets {
        if only.as_ref().is_some_and(|o| *o != set.name) {
            continue;
        }
        let mut group = c.benchmark_group(format!("cl2/{}", set.name));
        group.throughput(Throughput::Elements(events.len() as u64));
        group.sample_size(10);
        for (label, mode) in [("eventsift-skip", ReadMode::Skip), ("eventsift-early-stop", ReadMode::EarlyStop)] {
            let machine = cl2::machine(&set, Some(mode));
            cl2::assert_counts(&set, &cl2::count(&machine, &set, checked_events.iter().copied()));
            let mut scratch = machine.scratch();
            group.bench_function(BenchmarkId::from_parameter(label), |b| {
                b.iter(|| {
                    let mut hits = 0;
                    for e in events.iter() {
                        hits += machine.matches(e, &mut scratch).expect("valid event").len();
                    }
                    hits
                })
            });
        }
        if let Some(q) = cl2::quamina_for(&set) {
            cl2::assert_counts(&set, &cl2::quamina_counts(&q, &set, checked_events.iter().copied()));
            group.bench_function(BenchmarkId::from_parameter("quamina-0.7"), |b| {
                b.iter(|| {
                    let mut hits = 0;
                    for e in events.iter() {
                        hits += q.count_matches(e.as_bytes()).expect("valid event");
                    }
                    hits
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
