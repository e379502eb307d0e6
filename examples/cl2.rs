//! event-ruler's CL2 benchmark, runnable anywhere:
//!
//! ```text
//! cargo run --release --example cl2 -- [--corpus PATH] [--json] [--passes N] [--mode M] [--only CATEGORY]
//! ```
//!
//! Corpus: by default the generated CityLots-shaped corpus of `benches/workload/generate.rs`
//! (213,068 events from a fixed seed; `EVENTSIFT_CL2_EVENTS=N` for another size), whose expected
//! per-rule counts the reference matcher (`eventsift::reference::matches`) computes over every event
//! before anything is timed. `--corpus PATH` (or `EVENTSIFT_CITYLOTS=PATH`) reads a file instead:
//! the surrogate `../shared/data/citylots2-synthetic.json.gz` (checked against
//! `benches/data/cl2-counts-synthetic.json`) or event-ruler's real `citylots2.json.gz` (checked
//! against the `expected_matches` of `benches/data/cl2-rules.json`).
//!
//! For every category (and PARTIAL_COMBO, COMBO) it builds one machine (in the machine's default
//! read mode unless `--mode` says otherwise), checks the per-rule match counts against the expected
//! ones for the corpus, then reports events per second (best of N passes over the whole corpus, one
//! thread). `--json` prints `{"CATEGORY": {"events_per_sec": N, "counts": [..]}}`.

#[path = "../benches/workload/mod.rs"]
mod cl2;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut corpus = None;
    let mut json = false;
    let mut passes = 3;
    let mut mode = None;
    let mut only: Option<String> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--corpus" => corpus = it.next().cloned(),
            "--json" => json = true,
            "--passes" => passes = it.next().and_then(|n| n.parse().ok()).unwrap_or(3),
            "--only" => only = it.next().cloned(),
            "--mode" => {
                mode = match it.next().map(String::as_str) {
                    Some("strict") => Some(eventsift::ReadMode::Strict),
                    Some("skip") => Some(eventsift::ReadMode::Skip),
                    Some("early-stop") => Some(eventsift::ReadMode::EarlyStop),
                    other => {
                        eprintln!("--mode takes strict, skip or early-stop, not {other:?}");
                        std::process::exit(2);
                    }
                }
            }
            "-h" | "--help" => {
                println!("usage: cl2 [--corpus PATH] [--json] [--passes N] [--mode strict|skip|early-stop] [--only CATEGORY]");
                return;
            }
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let corpus = cl2::corpus(corpus.as_deref());
    let start = Instant::now();
    let events = cl2::load(&corpus);
    let loaded = start.elapsed();
    let start = Instant::now();
    let (sets, checked) = cl2::rule_sets(&corpus, &events);
    let counted = start.elapsed();
    let checked_events = checked.events(&events);
    if !json {
        println!("corpus: {corpus}: {} events, read or generated in {loaded:.2?}", events.len());
        match corpus {
            cl2::Corpus::Generated { .. } => {
                println!("expected counts: the reference matcher on {checked}, computed in {counted:.2?}")
            }
            cl2::Corpus::File(_) => println!("expected counts: the file's published counts, on {checked}"),
        }
        match mode {
            Some(m) => println!("mode: {m:?}"),
            None => println!("mode: the machine's default"),
        }
    }
    let mut report = serde_json::Map::new();
    for set in sets {
        if only.as_ref().is_some_and(|o| *o != set.name) {
            continue;
        }
        let machine = cl2::machine(&set, mode);
        cl2::assert_counts(&set, &cl2::count(&machine, &set, checked_events.iter().copied()));
        // The counts on the whole corpus (the checked ones when every event is checked).
        let counts = cl2::count(&machine, &set, events.iter());
        let mut best = f64::MAX;
        for _ in 0..passes {
            let mut scratch = machine.scratch();
            let start = Instant::now();
            let mut hits = 0usize;
            for e in events.iter() {
                hits += machine.matches(e, &mut scratch).expect("valid event").len();
            }
            std::hint::black_box(hits);
            best = best.min(start.elapsed().as_secs_f64());
        }
        let rate = events.len() as f64 / best;
        if json {
            report.insert(set.name.clone(), serde_json::json!({"events_per_sec": rate.round(), "counts": counts}));
        } else {
            println!("{:<28} {:>12.0} events/s   counts {:?}", set.name, rate, counts);
        }
    }
    if json {
        println!("{}", serde_json::Value::Object(report));
    } else {
        println!("every rule set's counts on {checked} matched the expected ones before timing");
    }
}
