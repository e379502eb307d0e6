//! The public proptest strategies (`eventsift::strategy`, feature `proptest`): generated patterns
//! compile, constructed events get the verdict they were built for from every matcher
//! (`Pattern::matches`, `Machine`, the reference matcher), invalid patterns fail with their kind,
//! and Lambda records decode back to their filter view.
#![cfg(feature = "proptest")]

use eventsift::strategy::records::{
    accepted_records, dropped_records, matching_records, non_matching_records, records,
};
use eventsift::strategy::{
    invalid_patterns_in, matching_events, non_matching_events, patterns, patterns_in, try_matching_events,
    try_non_matching_events, EventOptions,
};
use eventsift::{reference, Dialect, Machine, Pattern, Source};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde_json::value::RawValue;
use serde_json::Value;
use std::collections::BTreeMap;

const DIALECTS: [Dialect; 3] = [Dialect::EventBridge, Dialect::Pipes, Dialect::LambdaEsm];
const SOURCES: [Source; 6] = [Source::DynamoDb, Source::Kinesis, Source::Sqs, Source::Kafka, Source::Mq, Source::Raw];

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn build(dialect: Dialect, text: &str) -> Pattern {
    Pattern::builder().dialect(dialect).build(text).unwrap_or_else(|e| panic!("{text}\n{e:#}"))
}

/// Runs `test` on `cases` values of `strategy`, with a fresh runner (a runner counts successes
/// across runs, so reusing one would skip the later strategies).
fn for_all<S: Strategy>(cases: u32, strategy: &S, test: impl Fn(S::Value) -> Result<(), TestCaseError>) {
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    if let Err(e) = runner.run(strategy, test) {
        panic!("{e}");
    }
}

/// The verdict of every matcher on one event, which must be `expected`.
fn check(pattern: &Pattern, event: &str, expected: bool) -> Result<(), TestCaseError> {
    let what = if expected { "match" } else { "no match" };
    let context = format!("expected {what}\npattern: {}\nevent:   {event}", pattern.source());
    prop_assert_eq!(
        pattern.matches(event).map_err(|e| TestCaseError::fail(format!("{e}\n{context}")))?,
        expected,
        "Pattern::matches\n{}",
        context
    );
    prop_assert_eq!(reference::matches(pattern, event).unwrap(), expected, "reference\n{}", context);
    let mut builder = Machine::builder();
    builder.add_pattern("rule", pattern.clone());
    let machine = builder.build();
    prop_assert_eq!(machine.is_match(event, &mut machine.scratch()).unwrap(), expected, "Machine\n{}", context);
    Ok(())
}

/// A pattern of the dialect with up to three events built to match it and three built not to.
fn pattern_and_events(dialect: Dialect) -> impl Strategy<Value = (String, Vec<String>, Vec<String>)> {
    patterns_in(dialect).prop_flat_map(move |text| {
        let pattern = build(dialect, &text);
        let matching = try_matching_events(&pattern, &EventOptions::default())
            .unwrap_or_else(|| panic!("generated patterns are satisfiable: {text}"));
        let non_matching = match try_non_matching_events(&pattern, &EventOptions::default()) {
            Some(s) => proptest::collection::vec(s, 1..=3).boxed(),
            // The pattern accepts every event (e.g. [{"exists": true}, {"exists": false}]).
            None => Just(Vec::new()).boxed(),
        };
        (Just(text), proptest::collection::vec(matching, 1..=3), non_matching)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(2000), ..ProptestConfig::default() })]

    /// Every generated pattern compiles in its dialect (2,000 cases per dialect).
    #[test]
    fn patterns_compile_eventbridge(text in patterns()) {
        build(Dialect::EventBridge, &text);
    }

    #[test]
    fn patterns_compile_pipes(text in patterns_in(Dialect::Pipes)) {
        build(Dialect::Pipes, &text);
    }

    #[test]
    fn patterns_compile_lambda(text in patterns_in(Dialect::LambdaEsm)) {
        build(Dialect::LambdaEsm, &text);
    }

    /// Every generated invalid pattern fails with its kind (2,000 cases over the three dialects).
    #[test]
    fn invalid_patterns_report_their_kind(
        (dialect, (text, kind)) in prop::sample::select(DIALECTS.to_vec())
            .prop_flat_map(|d| (Just(d), invalid_patterns_in(d)))
    ) {
        match Pattern::builder().dialect(dialect).build(&text) {
            Ok(_) => prop_assert!(false, "accepted in {}: {}", dialect, text),
            Err(e) => prop_assert_eq!(e.kind(), kind, "{}: {}\n{:#}", dialect, text, e),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(1000), ..ProptestConfig::default() })]

    /// Events constructed for generated patterns get their verdict from every matcher.
    #[test]
    fn constructed_events_eventbridge((text, yes, no) in pattern_and_events(Dialect::EventBridge)) {
        let pattern = build(Dialect::EventBridge, &text);
        for event in &yes {
            check(&pattern, event, true)?;
        }
        for event in &no {
            check(&pattern, event, false)?;
        }
    }

    #[test]
    fn constructed_events_pipes((text, yes, no) in pattern_and_events(Dialect::Pipes)) {
        let pattern = build(Dialect::Pipes, &text);
        for event in &yes {
            check(&pattern, event, true)?;
        }
        for event in &no {
            check(&pattern, event, false)?;
        }
    }

    #[test]
    fn constructed_events_lambda((text, yes, no) in pattern_and_events(Dialect::LambdaEsm)) {
        let pattern = build(Dialect::LambdaEsm, &text);
        for event in &yes {
            check(&pattern, event, true)?;
        }
        for event in &no {
            check(&pattern, event, false)?;
        }
    }
}

/// Narrow patterns that random events would almost never hit.
const NARROW: &[&str] = &[
    r#"{"id": ["3f2c9a7e-1d4b-4c3a-9e8f-0a1b2c3d4e5f"]}"#,
    r#"{"n": [{"numeric": [">", 5, "<", 5.0001]}]}"#,
    r#"{"n": [{"numeric": [">=", 1e300]}], "m": [{"numeric": ["<", -1e-300]}]}"#,
    r#"{"n": [{"numeric": ["=", 0.1]}], "m": [300]}"#,
    r#"{"ip": [{"cidr": "10.0.0.7/32"}], "ip6": [{"cidr": "2001:db8::1/128"}]}"#,
    r#"{"ip": [{"cidr": "2001:db8:1234:1a00::/56"}]}"#,
    r#"{"arn": [{"prefix": "arn:aws:states:us-east-1:123456789012:stateMachine:"}]}"#,
    r#"{"file": [{"suffix": {"equals-ignore-case": ".PNG"}}], "who": [{"equals-ignore-case": "ÄÖÜ𐐀"}]}"#,
    r#"{"arn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]}"#,
    r#"{"state": [{"anything-but": ["running", "pending", "stopped", ""]}], "code": [{"anything-but": [0, 1, 2]}]}"#,
    r#"{"code": [{"anything-but": [-0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}]}"#,
    r#"{"key": [{"anything-but": {"prefix": ["a", "b", "x", "y", "z", "q", "w"]}}]}"#,
    r#"{"key": [{"anything-but": {"wildcard": "*"}}]}"#,
    r#"{"a": [null], "b": [""], "c": [false], "d": [{"exists": false}], "e": [{"exists": true}]}"#,
    r#"{"detail": {"state.status": ["running"]}, "detail.state": {"code": [16]}}"#,
    r#"{"a": ["x"], "a.b": ["y"], "a.b.c": [{"prefix": "z"}]}"#,
    r#"{"employees": {"firstName": ["Anna"], "lastName": ["Jones"], "age": [{"exists": false}]}}"#,
    r#"{"source": ["aws.ec2"], "$or": [{"detail": {"state": ["running"]}}, {"detail": {"cpu": [{"numeric": [">", 90]}]}}, {"$or": [{"x": [1]}, {"y": [2]}]}]}"#,
    r#"{"a": ["x"], "a": ["y"], "b": {"c": ["1"]}, "b": {"d": ["2"]}}"#,
    r#"{"big": [123456789012345678], "exact": [9007199254740992]}"#,
    r#"{"$or": [{"n": ["5", " 1", "1e2"]}, {"n": [{"numeric": ["<", 10]}]}]}"#,
    r#"{"dynamodb": {"NewImage": {"status": {"S": ["active"]}}, "Keys": {"pk": {"S": [{"prefix": "user#"}]}}}}"#,
    // 1,000 combinations, all naming the same three paths.
    r#"{"o1": {"$or": [{"v": [0]}, {"v": [1]}, {"v": [2]}, {"v": [3]}, {"v": [4]}, {"v": [5]}, {"v": [6]}, {"v": [7]}, {"v": [8]}, {"w": [9]}]},
        "o2": {"$or": [{"v": [0]}, {"v": [1]}, {"v": [2]}, {"v": [3]}, {"v": [4]}, {"v": [5]}, {"v": [6]}, {"v": [7]}, {"v": [8]}, {"w": [9]}]},
        "o3": {"$or": [{"v": [0]}, {"v": [1]}, {"v": [2]}, {"v": [3]}, {"v": [4]}, {"v": [5]}, {"v": [6]}, {"v": [7]}, {"v": [8]}, {"w": [9]}]}}"#,
];

#[test]
fn narrow_patterns() {
    let n = cases(300);
    for text in NARROW {
        let pattern = build(Dialect::EventBridge, text);
        for_all(n, &matching_events(&pattern), |event| check(&pattern, &event, true));
        for_all(n, &non_matching_events(&pattern), |event| check(&pattern, &event, false));
    }
}

#[test]
fn unsatisfiable_and_tautological_patterns() {
    let empty = build(Dialect::EventBridge, r#"{"n": [{"numeric": [">", 0, "<", 5e-324]}]}"#);
    assert!(try_matching_events(&empty, &EventOptions::default()).is_none());
    let n = cases(50);
    for_all(n, &non_matching_events(&empty), |event| check(&empty, &event, false));
    for always in [
        r#"{"a": [{"exists": true}, {"exists": false}]}"#,
        r#"{"a": ["x", {"anything-but": "x"}, {"exists": false}]}"#,
        r#"{"a": [{"wildcard": "*"}, {"anything-but": {"wildcard": "*"}}, {"exists": false}]}"#,
    ] {
        let pattern = build(Dialect::EventBridge, always);
        assert!(try_non_matching_events(&pattern, &EventOptions::default()).is_none(), "{always}");
        for_all(n, &matching_events(&pattern), |event| check(&pattern, &event, true));
    }
}

/// `EventOptions::plain()`: no arrays, no unrelated fields, nested objects only.
#[test]
fn plain_events() {
    let pattern =
        build(Dialect::EventBridge, r#"{"detail": {"a": [{"prefix": "x"}], "b": [{"exists": false}]}, "n": [1]}"#);
    let n = cases(100);
    let plain = try_matching_events(&pattern, &EventOptions::plain()).unwrap();
    for_all(n, &plain, |event| {
        check(&pattern, &event, true)?;
        let v: Value = serde_json::from_str(&event).unwrap();
        prop_assert!(!event.contains('['), "{}", event);
        prop_assert_eq!(v.as_object().unwrap().len(), 2, "{}", event);
        prop_assert!(v["detail"]["a"].as_str().unwrap().starts_with('x'));
        prop_assert_eq!(v["n"].as_f64(), Some(1.0));
        Ok(())
    });
}

/// Failures shrink to small cases: a pattern with a numeric condition shrinks to a few members.
#[test]
fn patterns_shrink_to_small_cases() {
    // A fixed seed: how far a failure shrinks depends on where the search starts.
    let config = Config { cases: 1000, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&patterns(), |text| {
        prop_assert!(!text.contains("\"numeric\""));
        Ok(())
    });
    let Err(TestError::Fail(_, minimal)) = result else { panic!("some pattern has a numeric condition") };
    assert!(minimal.len() <= 80 && minimal.contains(r#"{"numeric": ["#), "shrunk to {minimal}");
}

// ---------------------------------------------------------------------------------------------
// Records

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => panic!("not base64: {text}"),
    };
    let bytes = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::new();
    for chunk in bytes.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &c)| n | u32::from(value(c)) << (18 - 6 * i));
        out.extend_from_slice(&n.to_be_bytes()[1..chunk.len()]);
    }
    out
}

/// A decoded payload as JSON text: itself when it is JSON, else a JSON string.
fn payload_text(text: &str) -> String {
    match serde_json::from_str::<serde::de::IgnoredAny>(text) {
        Ok(_) => text.to_string(),
        Err(_) => serde_json::to_string(text).unwrap(),
    }
}

/// The members of a JSON object, values as written (numbers keep their spelling).
fn members(text: &str) -> BTreeMap<String, Box<RawValue>> {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

fn object_text(members: &BTreeMap<String, Box<RawValue>>) -> String {
    let items: Vec<String> =
        members.iter().map(|(k, v)| format!("{}: {}", serde_json::to_string(k).unwrap(), v.get())).collect();
    format!("{{{}}}", items.join(", "))
}

fn raw(text: String) -> Box<RawValue> {
    RawValue::from_string(text).unwrap()
}

/// Decodes a base64 payload (a JSON string holding base64 text) to payload JSON text.
fn decode(value: &RawValue) -> String {
    let text: String = serde_json::from_str(value.get()).expect("base64 in a string");
    payload_text(std::str::from_utf8(&base64_decode(&text)).expect("UTF-8 payload"))
}

/// The filter view of a record (SPEC §4.4, §6), as the Lambda layer builds it, as JSON text whose
/// numbers are spelled as in the record.
fn filter_view(source: Source, record: &str) -> String {
    match source {
        Source::Kinesis => {
            let mut top = members(record);
            let kinesis = members(top.remove("kinesis").expect("a kinesis object").get());
            for (k, v) in kinesis {
                let v = if k == "data" { raw(decode(&v)) } else { v };
                assert!(top.insert(k, v).is_none(), "kinesis field also at the top: {record}");
            }
            object_text(&top)
        }
        Source::Sqs => {
            let mut top = members(record);
            let body: String = serde_json::from_str(top["body"].get()).expect("the body is a string");
            top.insert("body".into(), raw(payload_text(&body)));
            object_text(&top)
        }
        Source::Kafka | Source::Mq => {
            let key = if source == Source::Kafka { "value" } else { "data" };
            let mut top = members(record);
            let decoded = decode(&top[key]);
            top.insert(key.into(), raw(decoded));
            object_text(&top)
        }
        _ => record.to_string(),
    }
}

/// `want` is part of `got`: every member of every object, recursively; other values equal.
fn contains(got: &Value, want: &Value) -> bool {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => w.iter().all(|(k, v)| g.get(k).is_some_and(|gv| contains(gv, v))),
        _ => got == want,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(500), ..ProptestConfig::default() })]

    /// Records built around matching (non-matching) views decode to views that match (do not
    /// match), for every source, on Lambda patterns.
    #[test]
    fn records_round_trip(
        (source, text, yes, no) in (prop::sample::select(SOURCES.to_vec()), patterns_in(Dialect::LambdaEsm))
            .prop_flat_map(|(source, text)| {
                let pattern = build(Dialect::LambdaEsm, &text);
                let no = match try_non_matching_events(&pattern, &EventOptions::default()) {
                    Some(_) => non_matching_records(&pattern, source).prop_map(Some).boxed(),
                    None => Just(None).boxed(),
                };
                (Just(source), Just(text), matching_records(&pattern, source), no)
            })
    ) {
        let pattern = build(Dialect::LambdaEsm, &text);
        let view = filter_view(source, &yes);
        prop_assert!(pattern.matches(&view).unwrap(), "{}\npattern: {}\nrecord: {}\nview: {}", source, text, yes, view);
        if let Some(no) = no {
            let view = filter_view(source, &no);
            prop_assert!(!pattern.matches(&view).unwrap(), "{}\npattern: {}\nrecord: {}\nview: {}", source, text, no, view);
        }
    }
}

#[test]
fn records_keep_the_view_and_complete_the_envelope() {
    let n = cases(50);
    let view = r#"{"eventName": "MODIFY", "dynamodb": {"NewImage": {"n": {"N": "3.0e2"}}}, "data": "plain", "body": "12", "value": {"k": [1, 2.5]}}"#;
    for source in SOURCES {
        for_all(n, &records(source, view), |record| {
            let got: Value = serde_json::from_str(&filter_view(source, &record)).unwrap();
            let want: Value = serde_json::from_str(view).unwrap();
            prop_assert!(contains(&got, &want), "{}: {}", source, record);
            let envelope: &[&str] = match source {
                Source::DynamoDb => &["eventID", "eventVersion", "eventSource", "awsRegion", "eventSourceARN"],
                Source::Kinesis => {
                    &["kinesisSchemaVersion", "partitionKey", "sequenceNumber", "eventID", "eventSourceARN"]
                }
                Source::Sqs => &["messageId", "receiptHandle", "md5OfBody", "attributes", "eventSourceARN"],
                Source::Kafka => &["topic", "partition", "offset", "timestamp", "key", "headers"],
                Source::Mq => &["messageID", "messageType", "destination", "timestamp"],
                _ => &[],
            };
            for k in envelope {
                prop_assert!(got.get(k).is_some(), "{} lacks {}: {}", source, k, record);
            }
            Ok(())
        });
    }
    // Spellings survive: the DynamoDB record is the view (N stays a string), and Kinesis data is
    // the base64 of the JSON text as written.
    let n = 1;
    for_all(n, &records(Source::Kinesis, r#"{"data": {"x": 3.0e2}}"#), |record| {
        let record: Value = serde_json::from_str(&record).unwrap();
        let data = base64_decode(record["kinesis"]["data"].as_str().unwrap());
        prop_assert_eq!(std::str::from_utf8(&data).unwrap(), r#"{"x": 3.0e2}"#);
        Ok(())
    });
    for_all(n, &records(Source::Sqs, r#"{"body": "not json"}"#), |record| {
        let record: Value = serde_json::from_str(&record).unwrap();
        prop_assert_eq!(&record["body"], "not json");
        Ok(())
    });
}

/// Fields a pattern reaches are never added by the envelope: a pattern that wants them absent
/// still matches the record.
#[test]
fn envelope_fields_respect_the_pattern() {
    let pattern = build(
        Dialect::LambdaEsm,
        r#"{"eventSource": [{"exists": false}], "dynamodb": {"Keys": [{"exists": false}], "NewImage": {"a": {"S": ["x"]}}}, "partitionKey": [{"exists": false}], "md5OfBody": [{"exists": false}], "topic": [{"exists": false}], "messageID": [{"exists": false}]}"#,
    );
    let n = cases(50);
    for source in SOURCES {
        for_all(n, &matching_records(&pattern, source), |record| {
            let view = filter_view(source, &record);
            prop_assert!(pattern.matches(&view).unwrap(), "{}: {}", source, record);
            Ok(())
        });
    }
}

/// A FilterCriteria with several filters: accepted records match one of them, dropped records
/// none.
#[test]
fn filter_criteria_records() {
    let n = cases(100);
    let lambda = |text: &str| build(Dialect::LambdaEsm, text);
    let filters = [
        lambda(r#"{"body": {"kind": ["order"], "total": [{"numeric": [">", 100]}]}}"#),
        lambda(
            r#"{"body": {"kind": [{"prefix": "refund"}]}, "attributes": {"ApproximateReceiveCount": [{"anything-but": "1"}]}}"#,
        ),
        lambda(r#"{"body": {"kind": [{"exists": false}], "legacy": [true]}}"#),
    ];
    for source in SOURCES {
        for_all(n, &accepted_records(&filters, source), |record| {
            let view = filter_view(source, &record);
            prop_assert!(filters.iter().any(|f| f.matches(&view).unwrap()), "{}: {}", source, record);
            Ok(())
        });
        for_all(n, &dropped_records(&filters, source), |record| {
            let view = filter_view(source, &record);
            prop_assert!(filters.iter().all(|f| !f.matches(&view).unwrap()), "{}: {}", source, record);
            Ok(())
        });
    }
}
