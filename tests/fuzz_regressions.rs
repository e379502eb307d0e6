//! Replays the fuzz regression cases (`tests/data/fuzz/<target>/*`, one file per input the fuzzers
//! once failed on) and the committed fuzz corpus (`fuzz/corpus/<target>/*`: the seeds made from the
//! conformance and Lambda cases plus what the fuzzers found, minimised) through the fuzz targets'
//! own checks (`fuzz/checks.rs`), so that `cargo test` keeps every property the fuzzers check,
//! without libFuzzer or a nightly toolchain. See CONTRIBUTING.md, "Fuzzing".

#[path = "../fuzz/checks.rs"]
mod checks;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

/// Regression files that still fail because of a library bug not fixed yet: `(target/file, why)`.
/// They are skipped by the replay tests and replayed by the ignored test `known_library_bugs`, which
/// passes once the bug is fixed (then remove the entry).
const KNOWN_LIBRARY_BUGS: &[(&str, &str)] = &[];

type Check = fn(&[u8]);

const TARGETS: [(&str, Check); 5] = [
    ("parse_pattern", checks::parse_pattern),
    ("match_pattern", checks::match_pattern),
    ("match_machine", checks::match_machine),
    ("read_event", checks::read_event),
    ("lambda", checks::lambda),
];

fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> =
        entries.map(|e| e.expect("a directory entry").path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs `check` on every file; returns the failures (file and panic message).
fn replay(files: &[PathBuf], check: Check) -> Vec<String> {
    let mut failures = Vec::new();
    for file in files {
        let data = match std::fs::read(file) {
            Ok(data) => data,
            // A fuzzer running on the corpus replaces inputs as it shrinks them.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", file.display()),
        };
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", file.display()));
        }
    }
    failures
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn known(target: &str, file: &Path) -> bool {
    let name = format!("{target}/{}", file.file_name().unwrap_or_default().to_string_lossy());
    KNOWN_LIBRARY_BUGS.iter().any(|(k, _)| *k == name)
}

fn regressions(target: &str, check: Check) {
    let all = files(&root().join("tests/data/fuzz").join(target));
    let cases: Vec<PathBuf> = all.into_iter().filter(|f| !known(target, f)).collect();
    let failures = replay(&cases, check);
    assert!(
        failures.is_empty(),
        "{} of {} {target} regressions fail:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn parse_pattern_regressions() {
    regressions("parse_pattern", checks::parse_pattern);
}

#[test]
fn match_pattern_regressions() {
    regressions("match_pattern", checks::match_pattern);
}

#[test]
fn match_machine_regressions() {
    regressions("match_machine", checks::match_machine);
}

#[test]
fn read_event_regressions() {
    regressions("read_event", checks::read_event);
}

#[test]
fn lambda_regressions() {
    regressions("lambda", checks::lambda);
}

/// Replays one target's committed corpus.
fn corpus(target: &str, check: Check) {
    let inputs = files(&root().join("fuzz/corpus").join(target));
    assert!(!inputs.is_empty(), "no corpus for {target} in fuzz/corpus/{target}: see CONTRIBUTING.md, \"Fuzzing\"");
    let failures = replay(&inputs, check);
    assert!(
        failures.is_empty(),
        "{} of {} inputs of fuzz/corpus/{target} fail:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

// The committed corpus passes the checks too: the conformance and Lambda cases reshaped, and every
// input that gave the fuzzers new coverage (one test per target, so they run in parallel).

#[test]
fn parse_pattern_corpus() {
    corpus("parse_pattern", checks::parse_pattern);
}

#[test]
fn match_pattern_corpus() {
    corpus("match_pattern", checks::match_pattern);
}

#[test]
fn match_machine_corpus() {
    corpus("match_machine", checks::match_machine);
}

#[test]
fn read_event_corpus() {
    corpus("read_event", checks::read_event);
}

#[test]
fn lambda_corpus() {
    corpus("lambda", checks::lambda);
}

/// Every directory of `fuzz/corpus` is a fuzz target (a misspelt one would go unreplayed).
#[test]
fn every_corpus_directory_is_a_target() {
    let stray = files(&root().join("fuzz/corpus"));
    assert!(stray.is_empty(), "stray files {stray:?}: the corpus goes in fuzz/corpus/<target>/");
    for entry in std::fs::read_dir(root().join("fuzz/corpus")).expect("fuzz/corpus") {
        let name = entry.expect("a directory entry").file_name().to_string_lossy().into_owned();
        assert!(TARGETS.iter().any(|(t, _)| *t == name), "fuzz/corpus/{name} is not a fuzz target");
    }
}

#[test]
fn every_regression_directory_is_a_target() {
    let stray = files(&root().join("tests/data/fuzz"));
    assert!(stray.is_empty(), "stray files {stray:?}: regression cases go in tests/data/fuzz/<target>/");
    if let Ok(entries) = std::fs::read_dir(root().join("tests/data/fuzz")) {
        for entry in entries {
            let name = entry.expect("a directory entry").file_name().to_string_lossy().into_owned();
            assert!(TARGETS.iter().any(|(t, _)| *t == name), "tests/data/fuzz/{name} is not a fuzz target");
        }
    }
}

#[test]
#[ignore = "library bugs not fixed yet: see KNOWN_LIBRARY_BUGS"]
fn known_library_bugs() {
    let mut failures = Vec::new();
    for (name, why) in KNOWN_LIBRARY_BUGS {
        let (target, _) = name.split_once('/').expect("target/file");
        let check = TARGETS.iter().find(|(t, _)| *t == target).expect("a fuzz target").1;
        for f in replay(&[root().join("tests/data/fuzz").join(name)], check) {
            failures.push(format!("{f}\n  ({why})"));
        }
    }
    assert!(failures.is_empty(), "{} known bugs still fail:\n{}", failures.len(), failures.join("\n"));
}
