//! Readers match on a `SharedMachine` while a writer adds and removes rules. Every verdict must
//! equal the reference matcher's for the rule set of the snapshot the reader used, and a removed
//! rule never matches in a snapshot taken after its removal.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;

use eventsift::{reference, Pattern, SharedMachine};

const EVENTS: &[&str] = &[
    r#"{"k": "a", "n": 1, "list": [{"x": "a", "y": 1}, {"x": "b", "y": 2}]}"#,
    r#"{"k": "b", "n": 2, "list": [{"x": "b", "y": 1}]}"#,
    r#"{"k": "c", "n": 3}"#,
    r#"{"k": "a", "n": 10, "list": []}"#,
];

fn rule(i: usize) -> String {
    match i % 4 {
        0 => format!(r#"{{"k": ["{}"]}}"#, ["a", "b", "c"][i % 3]),
        1 => format!(r#"{{"n": [{{"numeric": [">", {}]}}]}}"#, i % 5),
        2 => format!(r#"{{"list": {{"x": ["{}"], "y": [{}]}}}}"#, ["a", "b"][i % 2], 1 + i % 2),
        _ => format!(r#"{{"k": [{{"anything-but": "{}"}}], "list": [{{"exists": false}}]}}"#, ["a", "c"][i % 2]),
    }
}

#[test]
fn readers_see_consistent_snapshots_while_rules_change() {
    let shared = Arc::new(SharedMachine::new());
    // Rule `r{i}` is `rule(i)`; readers check each snapshot's rules against the reference.
    let patterns: Arc<Vec<Pattern>> = Arc::new((0..200).map(|i| Pattern::new(&rule(i)).unwrap()).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicUsize::new(0));
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let (shared, stop, checked, patterns) = (shared.clone(), stop.clone(), checked.clone(), patterns.clone());
            thread::spawn(move || {
                let mut scratch = shared.snapshot().scratch();
                while !stop.load(Ordering::Relaxed) {
                    let snapshot = shared.snapshot();
                    for event in EVENTS {
                        let got: Vec<String> =
                            snapshot.matches(event, &mut scratch).unwrap().map(|id| id.to_string()).collect();
                        let mut expected: Vec<String> = Vec::new();
                        for id in snapshot.rule_ids() {
                            let pattern = &patterns[id[1..].parse::<usize>().unwrap()];
                            if reference::matches(pattern, event).unwrap() {
                                expected.push(id.to_string());
                            }
                        }
                        assert_eq!(got, expected, "snapshot with {} rules, event {event}", snapshot.rule_count());
                        checked.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for round in 0..200 {
        shared.add(format!("r{round}"), &rule(round)).unwrap();
        if round % 3 == 2 {
            let victim = format!("r{}", round - 2);
            assert!(shared.remove(&victim));
            let after = shared.snapshot();
            assert!(after.rule_ids().all(|id| id.as_str() != victim));
            for event in EVENTS {
                assert!(after.matching_rules(event).unwrap().iter().all(|id| id.as_str() != victim));
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().unwrap();
    }
    assert!(checked.load(Ordering::Relaxed) > 100, "readers must have run");
    assert_eq!(shared.snapshot().rule_count(), 200 - 66);
}
