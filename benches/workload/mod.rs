//! The CL2 workload shared by `benches/cl2.rs` and `examples/cl2.rs`: event-ruler's CityLots2
//! rule sets, the corpus, and the per-rule match counts a correct engine must reproduce.
//!
//! The corpus is generated (`generate.rs`, 213,068 CityLots-shaped events from a fixed seed) unless
//! a file is named; the expected counts of the generated corpus are computed on every run by the
//! reference matcher, over a deterministic sample of its events (`Checked`).

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde_json::Value;

pub mod generate;

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

/// Where the events come from.
pub enum Corpus {
    /// A corpus file, one JSON event per line (gzip-compressed when the name ends in `.gz`): the
    /// surrogate `citylots2-synthetic.json.gz` (`synthetic` in its name: the counts of
    /// `benches/data/cl2-counts-synthetic.json`) or event-ruler's `citylots2.json.gz` (the
    /// `expected_matches` of `benches/data/cl2-rules.json`).
    File(PathBuf),
    /// The corpus of `generate.rs`, with counts computed by the reference matcher.
    Generated { events: usize, seed: u64 },
}

impl std::fmt::Display for Corpus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Corpus::File(p) => write!(f, "{}", p.display()),
            Corpus::Generated { events, seed } => write!(f, "generated (seed {seed:#x}, {events} events)"),
        }
    }
}

/// The corpus: `explicit` (the example's `--corpus`), else the file `EVENTSIFT_CITYLOTS` names,
/// else the generated corpus (`EVENTSIFT_CL2_EVENTS` events, default 213,068). The default does
/// not depend on what lies next to the checkout, so every checkout measures the same thing.
pub fn corpus(explicit: Option<&str>) -> Corpus {
    if let Some(p) = explicit {
        return Corpus::File(PathBuf::from(p));
    }
    if let Some(p) = std::env::var_os("EVENTSIFT_CITYLOTS").filter(|p| !p.is_empty()) {
        return Corpus::File(PathBuf::from(p));
    }
    let events = std::env::var("EVENTSIFT_CL2_EVENTS")
        .ok()
        .map(|n| n.replace('_', "").parse().expect("EVENTSIFT_CL2_EVENTS: a number of events"))
        .unwrap_or(generate::DEFAULT_EVENTS);
    Corpus::Generated { events, seed: generate::SEED }
}

/// The events of `corpus`.
pub fn load(corpus: &Corpus) -> Events {
    match corpus {
        Corpus::File(p) => load_events(p),
        Corpus::Generated { events, seed } => generate::generate(*events, *seed),
    }
}

/// The corpus, one event per line, kept in one contiguous buffer (as a stream consumer holds a
/// batch of records): every engine reads it in order from memory the hardware prefetcher can follow,
/// instead of from 213,068 separately allocated strings scattered over 180 MB.
pub struct Events {
    text: String,
    /// End offset of each event in `text`.
    ends: Vec<usize>,
    /// The events the generator planted the rare rules' values in (none for a file).
    planted: Vec<usize>,
}

impl Events {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn get(&self, i: usize) -> &str {
        &self.text[if i == 0 { 0 } else { self.ends[i - 1] }..self.ends[i]]
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
    let mut events = Events { text: String::new(), ends: Vec::new(), planted: Vec::new() };
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

/// All categories plus PARTIAL_COMBO and COMBO, with the counts that belong to the corpus: for a
/// file, the surrogate's measured counts when its name says `synthetic`, else event-ruler's counts
/// on the original CityLots2 file, both over every event; for the generated corpus, the reference
/// matcher's counts over the events `Checked` names (`reference_counts`).
pub fn rule_sets(corpus: &Corpus, events: &Events) -> (Vec<RuleSet>, Checked) {
    let rules: Value =
        serde_json::from_str(&std::fs::read_to_string(manifest("benches/data/cl2-rules.json")).expect("rules"))
            .expect("rules JSON");
    let pattern = |name: &str, i: usize| -> String {
        rules["categories"][name][i]["pattern"].as_str().expect("pattern").to_string()
    };
    let len = |name: &str| rules["categories"][name].as_array().expect("category").len();
    let checked = match corpus {
        Corpus::File(_) => Checked::All,
        Corpus::Generated { .. } => Checked::sample(events),
    };
    let expected: HashMap<&str, Vec<u64>> = match corpus {
        Corpus::File(path) if path.file_name().is_some_and(|n| n.to_string_lossy().contains("synthetic")) => {
            let counts: Value = serde_json::from_str(
                &std::fs::read_to_string(manifest("benches/data/cl2-counts-synthetic.json")).expect("counts"),
            )
            .expect("counts JSON");
            CATEGORIES
                .iter()
                .map(|&c| (c, (0..len(c)).map(|i| counts["categories"][c][i].as_u64().expect("count")).collect()))
                .collect()
        }
        Corpus::File(_) => CATEGORIES
            .iter()
            .map(|&c| {
                let list = rules["categories"][c].as_array().expect("category");
                (c, list.iter().map(|r| r["expected_matches"].as_u64().expect("expected_matches")).collect())
            })
            .collect(),
        Corpus::Generated { .. } => {
            let all: Vec<(&str, String)> = CATEGORIES
                .iter()
                .flat_map(|&c| (0..len(c)).map(move |i| (c, i)))
                .map(|(c, i)| (c, pattern(c, i)))
                .collect();
            let patterns: Vec<&str> = all.iter().map(|(_, p)| p.as_str()).collect();
            let counts = reference_counts(&patterns, &checked.events(events));
            let mut by_category: HashMap<&str, Vec<u64>> = HashMap::new();
            for ((c, _), n) in all.iter().zip(counts) {
                by_category.entry(c).or_default().push(n);
            }
            by_category
        }
    };
    let category = |name: &str| -> Vec<(String, String, u64)> {
        (0..len(name)).map(|i| (format!("{name}:{i}"), pattern(name, i), expected[name][i])).collect()
    };
    let mut sets: Vec<RuleSet> =
        CATEGORIES.iter().map(|c| RuleSet { name: c.to_string(), rules: category(c) }).collect();
    let partial: Vec<_> = PARTIAL_COMBO.iter().flat_map(|c| category(c)).collect();
    let mut combo = partial.clone();
    combo.extend(category("COMPLEX_ARRAYS"));
    sets.push(RuleSet { name: "PARTIAL_COMBO".into(), rules: partial });
    sets.push(RuleSet { name: "COMBO".into(), rules: combo });
    (sets, checked)
}

/// The events whose per-rule counts are checked before timing.
pub enum Checked {
    /// Every event of the corpus.
    All,
    /// A deterministic sample of the generated corpus (event indices, ascending): every k-th event
    /// and every event the generator planted a rare rule's value in. The reference matcher costs
    /// about 25 µs per event and pattern, so all 70 patterns on all 213,068 events would take
    /// minutes; `EVENTSIFT_CL2_SAMPLE=N` sets the sample's size (default 10,000; `all` checks
    /// every event).
    Sample(Vec<usize>),
}

impl Checked {
    fn sample(events: &Events) -> Checked {
        let size = match std::env::var("EVENTSIFT_CL2_SAMPLE").as_deref() {
            Ok("all") | Ok("0") => return Checked::All,
            Ok(n) => n.replace('_', "").parse().expect("EVENTSIFT_CL2_SAMPLE: a number of events or `all`"),
            Err(_) => 10_000,
        };
        if size >= events.len() {
            return Checked::All;
        }
        let stride = events.len() / size;
        let mut indices: Vec<usize> = (0..events.len()).step_by(stride).chain(events.planted.iter().copied()).collect();
        indices.sort_unstable();
        indices.dedup();
        Checked::Sample(indices)
    }

    /// The checked events.
    pub fn events<'a>(&self, events: &'a Events) -> Vec<&'a str> {
        match self {
            Checked::All => events.iter().collect(),
            Checked::Sample(indices) => indices.iter().map(|&i| events.get(i)).collect(),
        }
    }
}

impl std::fmt::Display for Checked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Checked::All => write!(f, "every event"),
            Checked::Sample(i) => write!(f, "a sample of {} events (every k-th and every planted one)", i.len()),
        }
    }
}

/// For each pattern, how many of `events` it matches by `eventsift::reference::matches` (the
/// exhaustive matcher the tests check every fast path against, independent of `Machine`), one
/// event at a time on every core. A rule's count does not depend on the other rules of its set, so
/// PARTIAL_COMBO and COMBO take their categories' counts.
pub fn reference_counts(patterns: &[&str], events: &[&str]) -> Vec<u64> {
    let patterns: Vec<eventsift::Pattern> =
        patterns.iter().map(|p| eventsift::Pattern::new(p).unwrap_or_else(|e| panic!("{p}: {e:#}"))).collect();
    let all = events;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = all.len().div_ceil(threads).max(1);
    let partial: Vec<Vec<u64>> = std::thread::scope(|s| {
        let handles: Vec<_> = all
            .chunks(chunk)
            .map(|part| {
                let patterns = &patterns;
                s.spawn(move || {
                    let mut counts = vec![0u64; patterns.len()];
                    for e in part {
                        for (n, p) in counts.iter_mut().zip(patterns) {
                            *n += u64::from(eventsift::reference::matches(p, e).expect("valid event"));
                        }
                    }
                    counts
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("reference thread")).collect()
    });
    (0..patterns.len()).map(|i| partial.iter().map(|c| c[i]).sum()).collect()
}

/// Builds the machine of a rule set (rule ids = the set's rule names), in `mode` or else the
/// machine's default read mode.
pub fn machine(set: &RuleSet, mode: Option<eventsift::ReadMode>) -> eventsift::Machine {
    let mut builder = eventsift::Machine::builder();
    if let Some(mode) = mode {
        builder.read_mode(mode);
    }
    for (id, pattern, _) in &set.rules {
        builder.add(id.as_str(), pattern).unwrap_or_else(|e| panic!("{id}: {e:#}"));
    }
    builder.build()
}

/// Matches every event once; returns the per-rule counts in the set's rule order.
pub fn count<'a>(machine: &eventsift::Machine, set: &RuleSet, events: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    let mut scratch = machine.scratch();
    let mut counts = vec![0u64; set.rules.len()];
    let position: std::collections::HashMap<&str, usize> =
        set.rules.iter().enumerate().map(|(i, (id, _, _))| (id.as_str(), i)).collect();
    for e in events {
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

/// The `quamina` crate's matcher of a rule set (rule ids = the set's rule names), or `None` when it
/// rejects one of the patterns (it has no `equals-ignore-case` inside `prefix`/`suffix`, no
/// `anything-but` forms but the list, no `$or`).
pub fn quamina_for(set: &RuleSet) -> Option<quamina::Quamina<String>> {
    let mut q = quamina::Quamina::<String>::new();
    for (id, pattern, _) in &set.rules {
        q.add_pattern(id.clone(), pattern).ok()?;
    }
    Some(q)
}

/// [`count`] for the `quamina` crate.
pub fn quamina_counts<'a>(
    q: &quamina::Quamina<String>,
    set: &RuleSet,
    events: impl IntoIterator<Item = &'a str>,
) -> Vec<u64> {
    let position: std::collections::HashMap<&str, usize> =
        set.rules.iter().enumerate().map(|(i, r)| (r.0.as_str(), i)).collect();
    let mut counts = vec![0; set.rules.len()];
    for e in events {
        for id in q.matches_for_event(e.as_bytes()).expect("valid event") {
            counts[position[id.as_str()]] += 1;
        }
    }
    counts
}
