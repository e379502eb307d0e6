//! Replays `tests/data/lambda/*.json` (FilterCriteria documents applied to records and batches
//! exactly as Lambda delivers them) through the Lambda layer: `Filter::matches` on the record's
//! text, `Filter::matches_value`, a one-record batch, and whole batches (kept and dropped ids,
//! kept records byte for byte). Collects all failures, then fails once with the whole list.
//! `EVENTSIFT_CASE=substring` filters by name.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use eventsift::lambda::Filter;
use eventsift::Source;
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
    source_url: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    source: String,
    criteria: String,
    #[serde(default)]
    record: Option<Box<RawValue>>,
    #[serde(default)]
    keep: Option<bool>,
    #[serde(default)]
    batch: Option<Box<RawValue>>,
    #[serde(default)]
    kept: Option<Vec<String>>,
    #[serde(default)]
    dropped: Option<Vec<String>>,
    #[serde(default)]
    error: Option<ExpectedError>,
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    kind: String,
    #[serde(default)]
    filter: Option<usize>,
    #[serde(default)]
    line: Option<usize>,
    #[serde(default)]
    column: Option<usize>,
}

fn load() -> Vec<(String, Case)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lambda");
    let mut files: Vec<_> = fs::read_dir(&dir)
        .expect("lambda case directory")
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
            assert!(case.name.starts_with(&format!("{}: ", file.family)), "{:?} lacks its family prefix", case.name);
            cases.push((file.family.clone(), case));
        }
    }
    cases
}

/// The id of a record as the cases spell it.
fn record_id(source: Source, record: &serde_json::Value) -> String {
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    match source {
        Source::Sqs => s(&record["messageId"]),
        Source::Kafka => format!("{}-{}@{}", s(&record["topic"]), record["partition"], record["offset"]),
        Source::Mq => s(&record["messageID"]),
        _ => s(&record["eventID"]),
    }
}

/// Every record of an invocation event, in order.
fn records(event: &serde_json::Value) -> Vec<serde_json::Value> {
    for key in ["Records", "records", "messages", "rmqMessagesByQueue"] {
        match &event[key] {
            serde_json::Value::Array(a) => return a.clone(),
            serde_json::Value::Object(groups) => {
                return groups.values().flat_map(|g| g.as_array().cloned().unwrap_or_default()).collect()
            }
            _ => {}
        }
    }
    Vec::new()
}

/// A one-record invocation event of the source's shape.
fn one_record_batch(source: Source, record: &str) -> String {
    match source {
        Source::Kafka => format!(r#"{{"eventSource": "aws:kafka", "records": {{"topic-0": [{record}]}}}}"#),
        Source::Mq => format!(r#"{{"eventSource": "aws:mq", "messages": [{record}]}}"#),
        _ => format!(r#"{{"Records": [{record}]}}"#),
    }
}

fn check(case: &Case) -> Result<(), String> {
    let source: Source = case.source.parse()?;
    let built = Filter::new(&case.criteria, source);
    if let Some(want) = &case.error {
        let e = match built {
            Ok(_) => return Err(format!("criteria accepted, expected {}", want.kind)),
            Err(e) => e,
        };
        let mut problems = Vec::new();
        if e.kind().name() != want.kind {
            problems.push(format!("kind {} (expected {})", e.kind(), want.kind));
        }
        if want.filter != e.filter_index() && (want.filter.is_some() || e.filter_index().is_some()) {
            problems.push(format!("filter {:?} (expected {:?})", e.filter_index(), want.filter));
        }
        if want.line.is_some_and(|l| l != e.line()) || want.column.is_some_and(|c| c != e.column()) {
            problems.push(format!("at {}:{} (expected {:?}:{:?})", e.line(), e.column(), want.line, want.column));
        }
        return if problems.is_empty() { Ok(()) } else { Err(format!("{}: {e:#}", problems.join(", "))) };
    }
    let filter = built.map_err(|e| format!("criteria rejected: {e:#}"))?;
    if let (Some(record), Some(keep)) = (&case.record, case.keep) {
        let text = record.get();
        let got = filter.matches(text).map_err(|e| format!("matches: {e:#}"))?;
        if got != keep {
            return Err(format!("matches gave {got}, expected {keep}"));
        }
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let got = filter.matches_value(&value).map_err(|e| format!("matches_value: {e:#}"))?;
        if got != keep {
            return Err(format!("matches_value gave {got}, expected {keep}"));
        }
        let batch = one_record_batch(source, text);
        let out = filter.filter_batch(&batch).map_err(|e| format!("filter_batch: {e:#}"))?;
        if (out.kept == 1) != keep || out.total() != 1 {
            return Err(format!("one-record batch kept {} of {}, expected keep={keep}", out.kept, out.total()));
        }
        if keep && !out.event.contains(text) {
            return Err("the kept record is not byte-identical in the output".into());
        }
        return Ok(());
    }
    if let (Some(batch), Some(kept), Some(dropped)) = (&case.batch, &case.kept, &case.dropped) {
        let out = filter.filter_batch(batch.get()).map_err(|e| format!("filter_batch: {e:#}"))?;
        let output: serde_json::Value =
            serde_json::from_str(&out.event).map_err(|e| format!("output is not JSON: {e}: {}", out.event))?;
        let mut got_kept: Vec<String> = records(&output).iter().map(|r| record_id(source, r)).collect();
        let mut got_dropped: Vec<String> = out.dropped.iter().map(|d| d.id.clone().unwrap_or_default()).collect();
        let (mut want_kept, mut want_dropped) = (kept.clone(), dropped.clone());
        for v in [&mut got_kept, &mut got_dropped, &mut want_kept, &mut want_dropped] {
            v.sort();
        }
        if got_kept != want_kept || got_dropped != want_dropped {
            return Err(format!(
                "kept {got_kept:?} dropped {got_dropped:?}, expected kept {want_kept:?} dropped {want_dropped:?}"
            ));
        }
        // Kept records are byte-identical to the input, in input order.
        let input: serde_json::Value = serde_json::from_str(batch.get()).unwrap();
        let input_order: Vec<String> = records(&input).iter().map(|r| record_id(source, r)).collect();
        let output_order: Vec<String> = records(&output).iter().map(|r| record_id(source, r)).collect();
        let expected_order: Vec<String> = input_order.into_iter().filter(|id| output_order.contains(id)).collect();
        if output_order != expected_order {
            return Err(format!("order changed: {output_order:?}, expected {expected_order:?}"));
        }
        return Ok(());
    }
    Err("case has neither error, record+keep nor batch+kept+dropped".into())
}

#[test]
fn lambda_conformance() {
    let only = std::env::var("EVENTSIFT_CASE").ok();
    let cases = load();
    assert!(cases.len() >= 150, "only {} cases found", cases.len());
    let mut failures = String::new();
    let mut run = 0;
    for (_, case) in &cases {
        if only.as_deref().is_some_and(|o| !case.name.contains(o)) {
            continue;
        }
        run += 1;
        if let Err(why) = check(case) {
            let _ = writeln!(failures, "- {}: {why}", case.name);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {run} Lambda cases failed:\n{failures}",
        failures.lines().filter(|l| l.starts_with("- ")).count()
    );
    eprintln!("{run} Lambda cases passed");
}

/// The same record cases through the typed records of `aws_lambda_events` (DynamoDB, Kinesis,
/// SQS): deserialised, then filtered without re-serialisation.
#[cfg(feature = "aws_lambda_events")]
#[test]
fn lambda_conformance_typed_records() {
    use aws_lambda_events::event::{dynamodb, kinesis, sqs};

    fn typed<R: eventsift::lambda::LambdaRecord + serde::de::DeserializeOwned>(
        filter: &Filter,
        record: &str,
    ) -> Option<Result<bool, eventsift::Error>> {
        let r: R = serde_json::from_str(record).ok()?;
        Some(filter.matches_record(&r))
    }

    let mut failures = String::new();
    let (mut run, mut skipped) = (0, 0);
    for (_, case) in load() {
        let (Some(record), Some(keep)) = (&case.record, case.keep) else { continue };
        let source: Source = case.source.parse().unwrap();
        let filter = Filter::new(&case.criteria, source).unwrap();
        let got = match source {
            Source::DynamoDb => typed::<dynamodb::EventRecord>(&filter, record.get()),
            Source::Kinesis => typed::<kinesis::KinesisEventRecord>(&filter, record.get()),
            Source::Sqs => typed::<sqs::SqsMessage>(&filter, record.get()),
            _ => continue,
        };
        match got {
            None => skipped += 1,
            Some(Ok(v)) if v == keep => run += 1,
            Some(other) => {
                run += 1;
                let _ = writeln!(failures, "- {}: typed record gave {other:?}, expected {keep}", case.name);
            }
        }
    }
    assert!(failures.is_empty(), "typed-record failures:\n{failures}");
    assert!(run >= 40, "only {run} typed records ({skipped} did not deserialise)");
    eprintln!("{run} typed records passed, {skipped} did not deserialise into aws_lambda_events types");
}
