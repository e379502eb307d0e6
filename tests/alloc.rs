//! Steady-state matching allocates nothing: a counting global allocator watches a pass over events
//! with arrays, escapes, numbers and several rule kinds, after a warm-up pass has sized the scratch.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use eventsift::{Machine, ReadMode};

struct Counting;

thread_local! {
    // Per thread, so that tests running in parallel do not count each other's allocations. A
    // `const` initialiser needs no allocation of its own.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwards the caller's layout unchanged to the system allocator.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with this layout (see `alloc`).
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: `ptr` was allocated by `System` with `layout`; forwarded unchanged.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const RULES: &[(&str, &str)] = &[
    ("exact", r#"{"source": ["aws.ec2"], "detail": {"state": ["running"]}}"#),
    ("prefix", r#"{"detail": {"instance-type": [{"prefix": "m5."}]}}"#),
    ("numeric", r#"{"detail": {"vcpus": [{"numeric": [">=", 4, "<", 64]}]}}"#),
    ("ignore-case", r#"{"detail": {"tags": {"team": [{"equals-ignore-case": "PAYMENTS"}]}}}"#),
    ("anything-but", r#"{"detail": {"state": [{"anything-but": {"prefix": "stop"}}]}}"#),
    ("arrays", r#"{"detail": {"tags": {"team": ["search"], "owner": [{"exists": false}]}}}"#),
    ("wildcard", r#"{"resources": [{"wildcard": "arn:aws:ec2:*:instance/*"}]}"#),
    ("or", r#"{"$or": [{"region": ["us-east-1"]}, {"account": [{"suffix": "9012"}]}]}"#),
    ("escaped", r#"{"detail": {"note": ["caf\u00e9 \"quoted\""]}}"#),
];

fn events() -> Vec<String> {
    let mut events: Vec<String> = include_str!("../examples/data/ec2-events.jsonl")
        .lines()
        .filter(|l| serde_json::from_str::<serde_json::Value>(l).is_ok())
        .map(str::to_string)
        .collect();
    events.push(r#"{"detail": {"note": "caf\u00e9 \"quoted\"", "tags": [{"team": "search"}, {"owner": "x"}]}}"#.into());
    events
}

fn count_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn steady_state_matching_allocates_nothing() {
    let events = events();
    for mode in [ReadMode::Strict, ReadMode::Skip, ReadMode::EarlyStop] {
        let mut builder = Machine::builder();
        builder.read_mode(mode);
        for (id, pattern) in RULES {
            builder.add(*id, pattern).unwrap();
        }
        let machine = builder.build();
        let mut scratch = machine.scratch();
        let pass = |scratch: &mut eventsift::Scratch| {
            let mut hits = 0;
            for e in &events {
                hits += machine.matches(e, scratch).unwrap().count();
                hits += usize::from(machine.is_match(e, scratch).unwrap());
            }
            hits
        };
        let warm = pass(&mut scratch);
        assert!(warm > events.len() / 2, "the workload must match often ({warm} hits)");
        let mut hits = 0;
        let allocations = count_during(|| hits = pass(&mut scratch));
        assert_eq!(hits, warm);
        assert_eq!(allocations, 0, "{mode:?}: {allocations} allocations over {} events", events.len());

        let values: Vec<serde_json::Value> = events.iter().map(|e| serde_json::from_str(e).unwrap()).collect();
        let value_pass = |scratch: &mut eventsift::Scratch| -> usize {
            values.iter().map(|v| machine.matches_value(v, scratch).count()).sum()
        };
        let warm = value_pass(&mut scratch);
        let allocations = count_during(|| assert_eq!(value_pass(&mut scratch), warm));
        assert_eq!(allocations, 0, "matches_value: {allocations} allocations");
    }
}

#[test]
fn steady_state_single_pattern_matching_allocates_nothing() {
    let events = events();
    for (_, text) in RULES {
        let pattern = eventsift::Pattern::new(text).unwrap();
        let pass = || events.iter().filter(|e| pattern.matches(e).unwrap()).count();
        let warm = pass();
        let allocations = count_during(|| assert_eq!(pass(), warm));
        assert_eq!(allocations, 0, "{text}: {allocations} allocations");
    }
}

/// Lambda batch filtering in steady state: building filter views (SQS bodies unescaped, Kinesis
/// records flattened, Kafka values base64-decoded) and copying kept records allocates nothing
/// beyond the reused buffers; a dropped record costs only its id.
#[test]
fn steady_state_batch_filtering_allocates_only_for_dropped_ids() {
    use eventsift::lambda::{BatchOutcome, BatchScratch, Filter};
    use eventsift::Source;

    fn criteria(pattern: &str) -> String {
        format!("{{\"Filters\": [{{\"Pattern\": {}}}]}}", serde_json::json!(pattern))
    }
    let b64 = |s: &str| {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.as_bytes().chunks(3) {
            let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                out.push(if i <= c.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
            }
        }
        out
    };
    let cases: Vec<(Source, &str, String)> = vec![
        (
            Source::DynamoDb,
            r#"{"eventName": ["INSERT"], "dynamodb": {"NewImage": {"s": {"S": [{"prefix": "ok"}]}}}}"#,
            (0..50)
                .map(|i| format!(r#"{{"eventID": "{i}", "eventName": "{}", "dynamodb": {{"NewImage": {{"s": {{"S": "ok{i}"}}}}}}}}"#, if i % 4 == 0 { "REMOVE" } else { "INSERT" }))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            Source::Sqs,
            r#"{"body": {"code": ["B"]}}"#,
            (0..50)
                .map(|i| format!(r#"{{"messageId": "{i}", "body": "{{\"code\": \"{}\", \"n\": {i}}}"}}"#, if i % 4 == 0 { "A" } else { "B" }))
                .collect::<Vec<_>>()
                .join(","),
        ),
        (
            Source::Kinesis,
            r#"{"partitionKey": ["pk"], "data": {"code": ["B"]}}"#,
            (0..50)
                .map(|i| {
                    let data = b64(&format!(r#"{{"code": "{}"}}"#, if i % 4 == 0 { "A" } else { "B" }));
                    format!(r#"{{"eventID": "{i}", "kinesis": {{"partitionKey": "pk", "data": "{data}"}}}}"#)
                })
                .collect::<Vec<_>>()
                .join(","),
        ),
    ];
    for (source, pattern, records) in cases {
        let filter = Filter::new(&criteria(pattern), source).unwrap();
        let event = format!("{{\"Records\": [{records}]}}");
        let mut scratch = BatchScratch::default();
        let mut out = BatchOutcome::default();
        filter.filter_batch_into(&event, &mut scratch, &mut out).unwrap();
        filter.filter_batch_into(&event, &mut scratch, &mut out).unwrap();
        assert_eq!((out.kept, out.dropped.len()), (37, 13), "{source}");
        let allocations = count_during(|| filter.filter_batch_into(&event, &mut scratch, &mut out).unwrap());
        // One String per dropped record's id, nothing per kept record.
        assert_eq!(allocations, out.dropped.len(), "{source}: {allocations} allocations");
    }
}

/// The typed Kinesis path (`Filter::evaluate_kinesis`, what the stream consumer calls) in steady
/// state: JSON, plain and undecodable data, metadata and data conditions, allocates nothing.
#[test]
fn steady_state_typed_kinesis_filtering_allocates_nothing() {
    use eventsift::lambda::{Filter, KinesisFields, Scratch};
    use eventsift::Source;

    let patterns = [
        r#"{"data": {"order": {"type": ["buy"]}, "qty": [{"numeric": [">", 40]}]}}"#,
        r#"{"data": {"device": [{"prefix": "sensor-1"}], "note": ["caf\u00e9"]}}"#,
        r#"{"partitionKey": ["hot"], "approximateArrivalTimestamp": [{"numeric": [">", 0]}]}"#,
    ];
    let filters: Vec<String> = patterns.iter().map(|p| format!("{{\"Pattern\": {}}}", serde_json::json!(p))).collect();
    let filter = Filter::new(&format!("{{\"Filters\": [{}]}}", filters.join(", ")), Source::Kinesis).unwrap();
    let data: Vec<Vec<u8>> = (0..60u64)
        .map(|i| match i % 10 {
            8 => format!("plain text {i}").into_bytes(),
            9 => vec![0xff, 0xfe, i as u8],
            _ => format!(
                r#"{{"order": {{"id": {i}, "type": "{}"}}, "qty": {}, "device": "sensor-{}", "note": "caf\u00e9", "l": [1, {{"a": 2}}]}}"#,
                if i % 3 == 0 { "buy" } else { "sell" },
                i * 7 % 50,
                i % 20
            )
            .into_bytes(),
        })
        .collect();
    let keys: Vec<String> = (0..60).map(|i| if i % 13 == 0 { "hot".into() } else { format!("pk-{i}") }).collect();
    let seqs: Vec<String> =
        (0..60).map(|i| format!("4959033827149025660855969253836157109592157598913658{i:04}")).collect();
    let ids: Vec<String> = seqs.iter().map(|s| format!("shardId-000000000001:{s}")).collect();
    let records: Vec<KinesisFields<'_>> = (0..60)
        .map(|i| KinesisFields {
            partition_key: &keys[i],
            sequence_number: &seqs[i],
            data: &data[i],
            approximate_arrival_timestamp: Some(1_700_000_000.0 + i as f64 / 8.0),
            encryption_type: None,
            event_id: &ids[i],
            aws_region: "eu-west-1",
            event_source_arn: "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
        })
        .collect();
    let mut scratch = Scratch::default();
    let pass =
        |scratch: &mut Scratch| records.iter().filter(|r| filter.evaluate_kinesis(r, scratch).unwrap().keep).count();
    let warm = pass(&mut scratch);
    assert!(warm > 10 && warm < 60, "kept {warm}");
    let allocations = count_during(|| assert_eq!(pass(&mut scratch), warm));
    assert_eq!(allocations, 0, "{allocations} allocations over {} records", records.len());
}
