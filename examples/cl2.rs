//! event-ruler's CL2 benchmark, runnable anywhere:
//!
//! ```text
//! cargo run --release --example cl2 -- [--corpus PATH] [--json] [--passes N] [--mode M] [--only CATEGORY]
//! ```
//!
//! For every category (and PARTIAL_COMBO, COMBO) it builds one machine, checks the per-rule match
//! counts against the expected ones for the corpus, then reports events per second (best of N passes
//! over the whole corpus, one thread). `--json` prints
//! `{"CATEGORY": {"events_per_sec": N, "counts": [..]}}`.

#[path = "../benches/workload/mod.rs"]
mod cl2;

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut corpus = None;
    let mut json = false;
    let mut passes = 3;
    let mut mode = eventsift::ReadMode::EarlyStop;
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
                    Some("strict") => eventsift::ReadMode::Strict,
                    Some("skip") => eventsift::ReadMode::Skip,
                    Some("early-stop") => eventsift::ReadMode::EarlyStop,
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
    let path = cl2::corpus_path(corpus.as_deref());
    let events = cl2::load_events(&path);
    if !json {
        println!("corpus: {} ({} events)", path.display(), events.len());
    }
    let mut report = serde_json::Map::new();
    for set in cl2::rule_sets(&path) {
        if only.as_ref().is_some_and(|o| *o != set.name) {
            continue;
        }
        let machine = cl2::machine(&set, mode);
        let counts = cl2::count(&machine, &set, &events);
        cl2::assert_counts(&set, &counts);
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
            println!("{:<28} {:>12.0} events/s   counts {:?} ok", set.name, rate, counts);
        }
    }
    if json {
        println!("{}", serde_json::Value::Object(report));
    }
}
