//! The CL2 workload shared by `benches/cl2.rs` and `examples/cl2.rs`: event-ruler's CityLots2
//! rule sets, the corpus, and the per-rule match counts a correct engine must reproduce.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Categories in the order event-ruler's CL2 benchmark runs them.
pub const CATEGORIES: &[&str] = &[
    "EXACT",
    "WILDCARD",
    "PREFIX",
    "PREFIX_EQUALS_IGNORE_CASE",
    "SUFFIX",
    "SUFFIX_EQUALS_IGNORE_CASE",
    "EQUALS_IGNORE_CASE",
    "NUMERIC",
    "ANYTHING_BUT",
    "ANYTHING_BUT_IGNORE_CASE",
    "ANYTHING_BUT_PREFIX",
    "ANYTHING_BUT_SUFFIX",
    "ANYTHING_BUT_WILDCARD",
    "COMPLEX_ARRAYS",
];

/// Categories that make up PARTIAL_COMBO (COMBO adds COMPLEX_ARRAYS).
pub const PARTIAL_COMBO: &[&str] = &[
    "NUMERIC",
    "EXACT",
    "PREFIX",
    "ANYTHING_BUT",
    "ANYTHING_BUT_IGNORE_CASE",
    "ANYTHING_BUT_PREFIX",
    "ANYTHING_BUT_SUFFIX",
    "ANYTHING_BUT_WILDCARD",
];

fn manifest(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The corpus path: `EVENTSIFT_CITYLOTS`, else `benches/data/citylots2.json.gz`, else the surrogate
/// corpus in `../shared/data/` when it is there.
pub fn corpus_path(explicit: Option<&str>) -> PathBuf {
    if let Some(p) = explicit {
        return PathBuf::from(p);
    }
    if let Ok(p) = std::env::var("EVENTSIFT_CITYLOTS") {
        return PathBuf::from(p);
    }
    let default = manifest("benches/data/citylots2.json.gz");
    if default.exists() {
        return default;
    }
    manifest("../shared/data/citylots2-synthetic.json.gz")
}

/// The corpus, one event per line, kept in one contiguous buffer (as a stream consumer holds a
/// batch of records): every engine reads it in order from memory the hardware prefetcher can follow,
/// instead of from 213,068 separately allocated strings scattered over 180 MB.
pub struct Events {
    text: String,
    /// End offset of each event in `text`.
    ends: Vec<usize>,
}

impl Events {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(s, &e)| &self.text[s..e])
    }
}

/// Reads the corpus: one JSON event per line (gzip-compressed when the name ends in `.gz`).
pub fn load_events(path: &Path) -> Events {
    let file = std::fs::File::open(path).unwrap_or_else(|e| {
        panic!("cannot open the CityLots corpus at {}: {e} (set EVENTSIFT_CITYLOTS)", path.display())
    });
    let reader: Box<dyn std::io::Read> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut events = Events { text: String::new(), ends: Vec::new() };
    for line in BufReader::with_capacity(1 << 20, reader).lines() {
        let line = line.expect("readable corpus");
        if !line.trim().is_empty() {
            events.text.push_str(&line);
            events.ends.push(events.text.len());
        }
    }
    events
}

/// One rule set: rule patterns with their expected counts on the corpus in use.
pub struct RuleSet {
    pub name: String,
    pub rules: Vec<(String, String, u64)>,
}

/// All categories plus PARTIAL_COMBO and COMBO, with the counts that belong to `corpus`: the
/// surrogate's measured counts when its file name says `synthetic`, else event-ruler's counts on the
/// original CityLots2 file.
pub fn rule_sets(corpus: &Path) -> Vec<RuleSet> {
    let rules: Value =
        serde_json::from_str(&std::fs::read_to_string(manifest("benches/data/cl2-rules.json")).expect("rules"))
            .expect("rules JSON");
    let synthetic = corpus.file_name().is_some_and(|n| n.to_string_lossy().contains("synthetic"));
    let counts: Value = serde_json::from_str(
        &std::fs::read_to_string(manifest("benches/data/cl2-counts-synthetic.json")).expect("counts"),
    )
    .expect("counts JSON");
    let category = |name: &str| -> Vec<(String, String, u64)> {
        let list = rules["categories"][name].as_array().expect("category");
        list.iter()
            .enumerate()
            .map(|(i, r)| {
                let expected = if synthetic {
                    counts["categories"][name][i].as_u64().expect("count")
                } else {
                    r["expected_matches"].as_u64().expect("expected_matches")
                };
                (format!("{name}:{i}"), r["pattern"].as_str().expect("pattern").to_string(), expected)
            })
            .collect()
    };
    let mut sets: Vec<RuleSet> =
        CATEGORIES.iter().map(|c| RuleSet { name: c.to_string(), rules: category(c) }).collect();
    let partial: Vec<_> = PARTIAL_COMBO.iter().flat_map(|c| category(c)).collect();
    let mut combo = partial.clone();
    combo.extend(category("COMPLEX_ARRAYS"));
    sets.push(RuleSet { name: "PARTIAL_COMBO".into(), rules: partial });
    sets.push(RuleSet { name: "COMBO".into(), rules: combo });
    sets
}

/// Builds the machine of a rule set (rule ids = the set's rule names).
pub fn machine(set: &RuleSet, mode: eventsift::ReadMode) -> eventsift::Machine {
    let mut builder = eventsift::Machine::builder();
    builder.read_mode(mode);
    for (id, pattern, _) in &set.rules {
        builder.add(id.as_str(), pattern).unwrap_or_else(|e| panic!("{id}: {e:#}"));
    }
    builder.build()
}

/// Matches every event once; returns the per-rule counts in the set's rule order.
pub fn count(machine: &eventsift::Machine, set: &RuleSet, events: &Events) -> Vec<u64> {
    let mut scratch = machine.scratch();
    let mut counts = vec![0u64; set.rules.len()];
    let position: std::collections::HashMap<&str, usize> =
        set.rules.iter().enumerate().map(|(i, (id, _, _))| (id.as_str(), i)).collect();
    for e in events.iter() {
        for id in machine.matches(e, &mut scratch).expect("valid event") {
            counts[position[id.as_str()]] += 1;
        }
    }
    counts
}

/// Panics unless the counts are the expected ones.
pub fn assert_counts(set: &RuleSet, counts: &[u64]) {
    let expected: Vec<u64> = set.rules.iter().map(|r| r.2).collect();
    assert_eq!(counts, expected.as_slice(), "{}: per-rule match counts differ from the expected ones", set.name);
}
