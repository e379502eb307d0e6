//! Hostile input: every case gives a verdict or a clear error, without a panic or a stack
//! overflow, and in time linear in the input (a hang would stall the suite; no timings are asserted
//! here — see the benches for speed).

use eventsift::{ErrorKind, Machine, Pattern, ReadMode};

#[test]
fn deep_patterns_are_an_error() {
    for depth in [65, 1_000, 100_000] {
        let text = format!("{}[\"x\"]{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let long_ok = Pattern::builder().max_length(1 << 24);
        assert_eq!(long_ok.build(&text).unwrap_err().kind(), ErrorKind::NestingTooDeep, "depth {depth}");
    }
    let arrays = "[".repeat(100_000);
    assert!(Pattern::new(&arrays).is_err());
}

#[test]
fn deep_events_are_an_error_or_skipped_but_never_overflow() {
    let pattern = Pattern::new(r#"{"a": {"b": ["x"]}}"#).unwrap();
    let deep_referenced = format!("{{\"a\": {}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(pattern.matches(&deep_referenced).unwrap_err().kind(), ErrorKind::EventTooDeep);
    let deep_elsewhere = format!("{{\"z\": {}1{}, \"a\": {{\"b\": \"x\"}}}}", "[".repeat(100_000), "]".repeat(100_000));
    // Strict validates everything and refuses the depth; Skip jumps over the unreferenced value.
    assert_eq!(pattern.matches(&deep_elsewhere).unwrap_err().kind(), ErrorKind::EventTooDeep);
    let skipping = Pattern::builder().read_mode(ReadMode::Skip).build(r#"{"a": {"b": ["x"]}}"#).unwrap();
    assert!(skipping.matches(&deep_elsewhere).unwrap());
    assert!(eventsift::reference::matches(&pattern, &deep_elsewhere).is_err());
}

#[test]
fn large_strings_and_arrays() {
    let big = "x".repeat(10 << 20);
    let p = Pattern::new(r#"{"s": [{"suffix": "xy"}, {"prefix": "xxx"}]}"#).unwrap();
    assert!(p.matches(&format!(r#"{{"s": "{big}"}}"#)).unwrap());
    let array = format!(r#"{{"n": [{}7]}}"#, "1,".repeat(1_000_000));
    let numeric = Pattern::new(r#"{"n": [{"numeric": [">", 5]}]}"#).unwrap();
    assert!(numeric.matches(&array).unwrap());
    let mut builder = Machine::builder();
    builder.add("n", r#"{"n": [7]}"#).unwrap();
    let machine = builder.build();
    assert_eq!(machine.matching_rules(&array).unwrap().len(), 1);
}

#[test]
fn wildcards_built_to_backtrack_run_in_linear_time() {
    let pattern = format!("{}*b", "*a".repeat(10));
    let p = Pattern::builder()
        .max_wildcard_complexity(usize::MAX)
        .build(&format!(r#"{{"w": [{{"wildcard": "{pattern}"}}]}}"#))
        .unwrap();
    let input = "a".repeat(1 << 20);
    assert!(!p.matches(&format!(r#"{{"w": "{input}"}}"#)).unwrap());
    assert!(p.matches(&format!(r#"{{"w": "{input}b"}}"#)).unwrap());
    // Under the default limit the same pattern is refused as too complex.
    let refused = Pattern::new(&format!(r#"{{"w": [{{"wildcard": "{pattern}"}}]}}"#)).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::WildcardTooComplex);
}

#[test]
fn or_cross_products_past_the_limit() {
    let branches: Vec<String> = (0..1000).map(|i| format!(r#"{{"f{i}": ["x"]}}"#)).collect();
    let or = format!(r#"[{}]"#, branches.join(","));
    let text = format!(r#"{{"a": {{"$or": {or}}}, "b": {{"$or": {or}}}}}"#);
    let err = Pattern::builder().max_length(1 << 20).build(&text).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooManyOrBranches);
}

#[test]
fn odd_numbers_escapes_and_bytes() {
    let p = Pattern::new(r#"{"n": [{"numeric": [">", 0]}], "m": [0]}"#).unwrap();
    assert!(!p.matches(r#"{"n": 1e400, "m": -0}"#).unwrap(), "1e400 is not numeric");
    assert!(p.matches(r#"{"n": 0.1e-1, "m": -0}"#).unwrap());
    assert_eq!(Pattern::new(r#"{"n": [{"numeric": [">", 1e400]}]}"#).unwrap_err().kind(), ErrorKind::InvalidNumeric);
    assert_eq!(Pattern::new(r#"{"n": [{"numeric": [">", 0.1e-400]}]}"#).unwrap_err().kind(), ErrorKind::InvalidNumeric);
    let s = Pattern::new(r#"{"s": ["\u0000"]}"#).unwrap();
    assert!(s.matches("{\"s\": \"\\u0000\"}").unwrap());
    assert_eq!(s.matches(r#"{"s": "\ud800"}"#).unwrap_err().kind(), ErrorKind::InvalidEvent);
    assert_eq!(s.matches_bytes(b"{\"s\": \"\xff\"}").unwrap_err().kind(), ErrorKind::InvalidEvent);
    assert!(s.matches("\u{feff}{\"s\": \"\\u0000\"}").unwrap(), "a byte-order mark is skipped");
    assert_eq!(s.matches("{\"s\": \"a\u{0}b\"}").unwrap_err().kind(), ErrorKind::InvalidEvent, "raw NUL in a string");
    let dup = Pattern::new(r#"{"a": {"b": ["x"]}, "a": {"c": ["y"]}, "a": {"b": ["z"]}}"#).unwrap();
    assert!(dup.matches(r#"{"a": {"b": "z", "c": "y"}}"#).unwrap());
    assert!(!dup.matches(r#"{"a": {"b": "x", "c": "y"}}"#).unwrap());
}

/// Hostile Lambda input: deep and huge records, payloads and batches. Each gives a verdict, a
/// documented drop or a clear error, without overflowing the stack.
#[test]
fn hostile_lambda_records_and_batches() {
    use eventsift::lambda::{DropReason, Filter};
    use eventsift::{ErrorKind, Source};

    let criteria = |p: &str| format!("{{\"Filters\": [{{\"Pattern\": {}}}]}}", serde_json::json!(p));
    let sqs = Filter::new(&criteria(r#"{"body": {"a": [1]}}"#), Source::Sqs).unwrap();
    let deep = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));

    // A body nested 100,000 deep is not a JSON payload the filter can read (too deep): dropped.
    let record = format!(r#"{{"messageId": "m", "body": {}}}"#, serde_json::json!(deep));
    assert!(!sqs.matches(&record).unwrap());
    // A record nested 100,000 deep in an unread field is skipped by counting brackets; in strict
    // mode it is an error.
    let record = format!(r#"{{"messageId": "m", "x": {deep}, "body": "{{\"a\": 1}}"}}"#);
    assert!(sqs.matches(&record).unwrap());
    let strict = Filter::builder(Source::Sqs)
        .read_mode(eventsift::ReadMode::Strict)
        .build(&criteria(r#"{"body": {"a": [1]}}"#))
        .unwrap();
    assert_eq!(strict.matches(&record).unwrap_err().kind(), ErrorKind::InvalidRecord);
    // A batch whose records array is 100,000 deep: each record is dropped as invalid, no overflow.
    let out = sqs.filter_batch(&format!(r#"{{"Records": [{deep}]}}"#)).unwrap();
    assert!(matches!(out.dropped[0].reason, DropReason::Invalid(_)));

    // A 10 MB body and a 10 MB base64 value.
    let big = "x".repeat(10 << 20);
    let record = format!(r#"{{"messageId": "m", "body": "{{\"a\": 1, \"pad\": \"{big}\"}}"}}"#);
    assert!(sqs.matches(&record).unwrap());
    let kafka = Filter::new(&criteria(r#"{"value": [{"prefix": "xx"}]}"#), Source::Kafka).unwrap();
    let b64 = "eHh4".repeat((10 << 20) / 4); // "xxx" repeated
    assert!(kafka.matches(&format!(r#"{{"topic": "t", "value": "{b64}"}}"#)).unwrap());
    // Garbage where base64 belongs: undecodable, dropped, not an error.
    assert!(!kafka.matches(r#"{"topic": "t", "value": "!!!\u0000not base64"}"#).unwrap());

    // A million records in one batch.
    let ddb = Filter::new(&criteria(r#"{"eventName": ["INSERT"]}"#), Source::DynamoDb).unwrap();
    let records: Vec<&str> = (0..1_000_000)
        .map(|i| if i % 2 == 0 { r#"{"eventName":"INSERT"}"# } else { r#"{"eventName":"REMOVE"}"# })
        .collect();
    let out = ddb.filter_batch(&format!(r#"{{"Records": [{}]}}"#, records.join(","))).unwrap();
    assert_eq!((out.kept, out.dropped.len()), (500_000, 500_000));

    // Criteria documents nested deep, with a BOM, NUL bytes and lone surrogates.
    let deep_doc = format!("{{\"Filters\": {}}}", deep);
    assert_eq!(Filter::new(&deep_doc, Source::Sqs).unwrap_err().kind(), ErrorKind::NestingTooDeep);
    assert!(Filter::new(&format!("\u{feff}{}", criteria(r#"{"a": [1]}"#)), Source::Sqs).is_ok());
    // A NUL decoded from the document is a raw control character in the pattern: a JSON error
    // there; escaped once more it is a NUL in the pattern's string, which is fine.
    let nul = Filter::new("{\"Filters\": [{\"Pattern\": \"{\\\"a\\\": [\\\"\\u0000\\\"]}\"}]}", Source::Sqs);
    assert_eq!(nul.unwrap_err().kind(), ErrorKind::Json);
    assert!(Filter::new("{\"Filters\": [{\"Pattern\": \"{\\\"a\\\": [\\\"\\\\u0000\\\"]}\"}]}", Source::Sqs).is_ok());
    assert_eq!(
        Filter::new("{\"Filters\": [{\"Pattern\": \"{\\\"a\\\": [\\\"\\ud800\\\"]}\"}]}", Source::Sqs)
            .unwrap_err()
            .kind(),
        ErrorKind::Json
    );
}
