//! Replays every case of `tests/data/conformance/*.json` through every entry point (the compiled
//! `Pattern` on text, `Pattern` on a `serde_json::Value`, the reference matcher), collects all
//! failures, then fails once with the whole list. `EVENTSIFT_CASE=substring` filters by name.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use eventsift::{reference, Dialect, Machine, Pattern};
use serde::de::{Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

#[derive(serde::Deserialize)]
struct File {
    family: String,
    cases: Vec<Case>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    #[allow(dead_code)]
    source: Option<String>,
    pattern: String,
    #[serde(default)]
    dialect: Option<String>,
    #[serde(default)]
    event: Option<Box<RawValue>>,
    #[serde(default)]
    event_text: Option<String>,
    #[serde(default)]
    matches: Option<bool>,
    #[serde(default)]
    event_error: Option<bool>,
    #[serde(default)]
    error: Option<ExpectedError>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    kind: String,
    #[serde(default)]
    span: Option<[usize; 2]>,
    #[serde(default)]
    reason: Option<String>,
}

/// Loads every case file, sorted by name for a stable order.
fn load() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/conformance");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("conformance directory")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    let mut names = HashSet::new();
    for path in files {
        let text = fs::read_to_string(&path).expect("readable case file");
        let file: File = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for case in file.cases {
            assert!(names.insert(case.name.clone()), "duplicate case name {:?}", case.name);
            cases.push((file.family.clone(), case));
        }
    }
    cases
}

fn build(case: &Case) -> Result<Pattern, eventsift::Error> {
    let dialect = case.dialect.as_deref().map_or(Dialect::EventBridge, |d| {
        Dialect::from_name(d).unwrap_or_else(|| panic!("{}: unknown dialect {d}", case.name))
    });
    Pattern::builder().dialect(dialect).build(&case.pattern)
}

/// Accepts any JSON, reporting whether some object repeats a key (a `serde_json::Value` would keep
/// only the last, so `matches_value` cannot see the same event as the text entry points).
struct DupCheck(bool);

impl<'de> serde::Deserialize<'de> for DupCheck {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DupCheck;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DupCheck, A::Error> {
                let mut keys = HashSet::new();
                let mut dup = false;
                while let Some(k) = map.next_key::<String>()? {
                    dup |= !keys.insert(k);
                    dup |= map.next_value::<DupCheck>()?.0;
                }
                Ok(DupCheck(dup))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<DupCheck, A::Error> {
                let mut dup = false;
                while let Some(v) = seq.next_element::<DupCheck>()? {
                    dup |= v.0;
                }
                Ok(DupCheck(dup))
            }
            fn visit_bool<E>(self, _: bool) -> Result<DupCheck, E> {
                Ok(DupCheck(false))
            }
            fn visit_i64<E>(self, _: i64) -> Result<DupCheck, E> {
                Ok(DupCheck(false))
            }
            fn visit_u64<E>(self, _: u64) -> Result<DupCheck, E> {
                Ok(DupCheck(false))
            }
            fn visit_f64<E>(self, _: f64) -> Result<DupCheck, E> {
                Ok(DupCheck(false))
            }
            fn visit_str<E>(self, _: &str) -> Result<DupCheck, E> {
                Ok(DupCheck(false))
            }
            fn visit_unit<E>(self) -> Result<DupCheck, E> {
                Ok(DupCheck(false))
            }
        }
        d.deserialize_any(V)
    }
}

/// Can a `serde_json::Value` hold this event without losing what matching looks at (duplicate keys,
/// spellings of integers longer than 17 digits)?
fn value_faithful(text: &str) -> Option<serde_json::Value> {
    if serde_json::from_str::<DupCheck>(text).ok()?.0 {
        return None;
    }
    let mut run = 0;
    for b in text.bytes() {
        run = if b.is_ascii_digit() { run + 1 } else { 0 };
        if run > 17 {
            return None;
        }
    }
    serde_json::from_str(text).ok()
}

/// The machine entry point: the case's pattern plus decoy rules (other cases' patterns) in one
/// machine; the set of matching rules must equal, rule by rule, what the reference matcher says.
fn machine_check(case: &Case, pattern: &Pattern, decoys: &[Pattern], event: &str) -> Result<(), String> {
    let mut builder = Machine::builder();
    builder.add_pattern("case", pattern.clone());
    for (i, d) in decoys.iter().enumerate() {
        builder.add_pattern(format!("decoy-{i}"), d.clone());
    }
    let machine = builder.build();
    let mut scratch = machine.scratch();
    let got: Vec<String> = machine
        .matches(event, &mut scratch)
        .map_err(|e| format!("Machine::matches: error {e}"))?
        .map(|id| id.to_string())
        .collect();
    let mut expected = Vec::new();
    if reference::matches(pattern, event).map_err(|e| e.to_string())? {
        expected.push("case".to_string());
    }
    for (i, d) in decoys.iter().enumerate() {
        if reference::matches(d, event).map_err(|e| e.to_string())? {
            expected.push(format!("decoy-{i}"));
        }
    }
    if got != expected {
        return Err(format!("Machine::matches: rules {got:?}, reference says {expected:?}\n    event: {event}"));
    }
    let any = machine.is_match(event, &mut scratch).map_err(|e| e.to_string())?;
    if any == expected.is_empty() {
        return Err(format!("Machine::is_match: {any}, reference rules {expected:?}"));
    }
    if let Some(value) = value_faithful(event) {
        let got: Vec<String> = machine.matches_value(&value, &mut scratch).map(|id| id.to_string()).collect();
        if got != expected {
            return Err(format!("Machine::matches_value: rules {got:?}, reference says {expected:?}"));
        }
    }
    let _ = case;
    Ok(())
}

fn run_case(case: &Case, decoys: &[Pattern], failures: &mut Vec<String>) -> usize {
    let mut fail = |msg: String| failures.push(format!("{}: {msg}\n    pattern: {}", case.name, case.pattern));
    let built = build(case);
    if let Some(expected) = &case.error {
        match built {
            Ok(_) => fail(format!("expected error {} but the pattern compiled", expected.kind)),
            Err(e) => {
                let mut problems = Vec::new();
                if e.kind().name() != expected.kind {
                    problems.push(format!("kind {} (expected {})", e.kind(), expected.kind));
                }
                if let Some([s, t]) = expected.span {
                    if (e.span().start, e.span().end) != (s, t) {
                        problems.push(format!("span {}..{} (expected {s}..{t})", e.span().start, e.span().end));
                    }
                }
                if let Some(reason) = &expected.reason {
                    if e.reason() != reason {
                        problems.push(format!("reason {:?} (expected {reason:?})", e.reason()));
                    }
                }
                if !problems.is_empty() {
                    fail(problems.join("; "));
                }
            }
        }
        return 1;
    }
    let pattern = match built {
        Ok(p) => p,
        Err(e) => {
            fail(format!("pattern rejected: {e} [{}]", e.kind()));
            return 1;
        }
    };
    let event = match (&case.event, &case.event_text) {
        (Some(raw), None) => raw.get().to_string(),
        (None, Some(text)) => text.clone(),
        _ => {
            fail("needs exactly one of event / event_text".into());
            return 1;
        }
    };
    if case.event_error == Some(true) {
        if let Ok(v) = pattern.matches(&event) {
            fail(format!("Pattern::matches: expected an event error, got {v}"));
        }
        if let Ok(v) = reference::matches(&pattern, &event) {
            fail(format!("reference: expected an event error, got {v}"));
        }
        return 1;
    }
    let Some(expected) = case.matches else {
        fail("needs `matches` or `event_error`".into());
        return 1;
    };
    let mut entry_failures: Vec<String> = Vec::new();
    let mut entry = |name: &str, got: Result<bool, eventsift::Error>| match got {
        Ok(v) if v == expected => {}
        Ok(v) => fail(format!("{name}: got {v}, expected {expected}\n    event: {event}")),
        Err(e) => fail(format!("{name}: error {e}\n    event: {event}")),
    };
    entry("Pattern::matches", pattern.matches(&event));
    if let Err(msg) = machine_check(case, &pattern, decoys, &event) {
        entry_failures.push(msg);
    }
    entry("reference", reference::matches(&pattern, &event));
    if let Some(value) = value_faithful(&event) {
        entry("Pattern::matches_value", Ok(pattern.matches_value(&value)));
    }
    for msg in entry_failures {
        fail(msg);
    }
    1
}

#[test]
fn conformance() {
    let filter = std::env::var("EVENTSIFT_CASE").unwrap_or_default();
    let cases = load();
    // Valid patterns of the suite, to serve as decoy rules in the machine entry point.
    let valid: Vec<Pattern> =
        cases.iter().filter(|(_, c)| c.error.is_none()).filter_map(|(_, c)| build(c).ok()).collect();
    let mut failures = Vec::new();
    let mut ran = 0;
    let mut families = std::collections::BTreeMap::<String, usize>::new();
    for (family, case) in &cases {
        if !case.name.contains(&filter) {
            continue;
        }
        let at = ran % valid.len().max(1);
        let decoys: Vec<Pattern> = valid.iter().cycle().skip(at + 1).take(7).cloned().collect();
        ran += run_case(case, &decoys, &mut failures);
        *families.entry(family.clone()).or_default() += 1;
    }
    let mut summary = String::new();
    for (family, n) in &families {
        let _ = write!(summary, "{family}: {n}  ");
    }
    println!("conformance: {ran} cases ({summary})");
    if filter.is_empty() {
        assert!(ran >= 400, "the suite must hold at least 400 cases, found {ran}");
    }
    assert!(failures.is_empty(), "{} of {ran} conformance cases failed:\n{}", failures.len(), failures.join("\n"));
}

/// Every truncated prefix of every pattern in the suite is handled without a panic (almost all are
/// errors; the point is that none crashes and none is accepted silently when invalid JSON).
#[test]
fn truncated_patterns_never_panic() {
    let mut checked = 0;
    for (_, case) in load() {
        let text = &case.pattern;
        for cut in (0..text.len()).filter(|&i| text.is_char_boundary(i)) {
            let prefix = &text[..cut];
            let result = std::panic::catch_unwind(|| Pattern::builder().dialect(Dialect::EventBridge).build(prefix));
            match result {
                Err(_) => panic!("panic on truncated pattern {prefix:?}"),
                Ok(Ok(_)) => {
                    // A proper prefix can only be valid if the rest was whitespace.
                    assert!(
                        text[cut..].trim().is_empty() || serde_json::from_str::<serde_json::Value>(prefix).is_ok(),
                        "truncated pattern accepted: {prefix:?}"
                    );
                }
                Ok(Err(e)) => {
                    assert!(
                        e.span().start <= prefix.len() && e.span().end <= prefix.len(),
                        "span out of range for {prefix:?}: {e:?}"
                    );
                    let _ = format!("{e:#}");
                }
            }
            checked += 1;
        }
    }
    println!("truncated prefixes checked: {checked}");
    assert!(checked > 10_000);
}

/// Every valid pattern of the suite printed from its AST and parsed again: the same printed text
/// (a fixed point) and the same verdict on the case's event.
#[test]
fn printed_patterns_round_trip() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for (_, case) in load() {
        let Ok(pattern) = build(&case) else { continue };
        let printed = pattern.ast().to_string();
        let reparsed = match Pattern::builder().dialect(pattern.dialect()).build(&printed) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!("{}: printed {printed} does not parse: {e}", case.name));
                continue;
            }
        };
        if reparsed.ast().to_string() != printed {
            failures.push(format!("{}: {printed} prints as {}", case.name, reparsed.ast()));
        }
        let event = match (&case.event, &case.event_text) {
            (Some(e), _) => e.get().to_string(),
            (None, Some(t)) => t.clone(),
            _ => continue,
        };
        if let (Ok(a), Ok(b)) = (pattern.matches(&event), reparsed.matches(&event)) {
            if a != b {
                failures.push(format!("{}: printed {printed} gives {b}, the original {a}", case.name));
            }
        }
        checked += 1;
    }
    assert!(failures.is_empty(), "{} round-trip failures:\n{}", failures.len(), failures.join("\n"));
    assert!(checked > 1000, "only {checked} patterns checked");
}
