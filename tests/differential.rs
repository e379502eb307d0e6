//! Differential property tests: every entry point (`Pattern::matches`, `Pattern::matches_value`)
//! agrees with the naive reference matcher on generated patterns and events. The alphabets are small
//! on purpose, so that paths, values and array shapes collide often.

use eventsift::lambda::Filter;
use eventsift::{reference, Machine, Pattern};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

const KEYS: &[&str] = &["a", "b", "c", "a.b", ""];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(vec!["x", "y", "xy", "Xy", "", "yx", "x\"", "\"y", "10.0.0.7", "10.1.0.1"])
            .prop_map(|s| json!(s)),
        prop::sample::select(vec![
            json!(0),
            json!(-0.0),
            json!(1),
            json!(1.0),
            json!(2.5),
            json!(-1),
            json!(300),
            json!(1e9)
        ]),
        any::<bool>().prop_map(Value::Bool),
        Just(Value::Null),
    ]
}

fn event_value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(prop::sample::select(KEYS), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

fn event() -> impl Strategy<Value = Value> {
    prop::collection::btree_map(prop::sample::select(KEYS), event_value(), 0..4)
        .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
}

fn condition() -> impl Strategy<Value = Value> {
    // `x"` and `"y`: a quote at the edge of prefix and suffix values (SPEC §10 event-ruler 2.0.1
    // artefacts; the events hold `x`, `y`, `x"` and `"y`).
    let s = || prop::sample::select(vec!["x", "y", "X", "xy", "", "x\"", "\"y"]);
    let ne = || prop::sample::select(vec!["x", "y", "X", "xy", "x\"", "\"y"]);
    prop_oneof![
        scalar(),
        s().prop_map(|v| json!({"prefix": v})),
        s().prop_map(|v| json!({"suffix": v})),
        s().prop_map(|v| json!({"prefix": {"equals-ignore-case": v}})),
        s().prop_map(|v| json!({"suffix": {"equals-ignore-case": v}})),
        s().prop_map(|v| json!({"equals-ignore-case": v})),
        prop::sample::select(vec!["*", "x*", "*y", "x*y", "", "*x*"]).prop_map(|v| json!({"wildcard": v})),
        s().prop_map(|v| json!({"anything-but": v})),
        prop::collection::vec(s(), 1..3).prop_map(|v| json!({"anything-but": v})),
        prop::sample::select(vec![0.0, 1.0, 2.5]).prop_map(|v| json!({"anything-but": v})),
        ne().prop_map(|v| json!({"anything-but": {"prefix": v}})),
        ne().prop_map(|v| json!({"anything-but": {"suffix": v}})),
        s().prop_map(|v| json!({"anything-but": {"equals-ignore-case": v}})),
        prop::sample::select(vec!["x*", "*", "*y"]).prop_map(|v| json!({"anything-but": {"wildcard": v}})),
        prop::sample::select(vec![
            json!(["=", 1]),
            json!(["=", 0]),
            json!([">", 0]),
            json!(["<=", 1]),
            json!([">=", 0, "<", 2.5]),
            json!([">", -5, "<=", 300])
        ])
        .prop_map(|v| json!({"numeric": v})),
        any::<bool>().prop_map(|v| json!({"exists": v})),
        prop::sample::select(vec!["10.0.0.0/24", "10.0.0.0/8", "0.0.0.0/0"]).prop_map(|v| json!({"cidr": v})),
    ]
}

/// A leading-`*` wildcard, plain or inside `anything-but`, beside `equals-ignore-case` on one field,
/// in either order (SPEC §10 event-ruler 2.0.1 artefacts); rare among random leaf arrays.
fn wildcard_beside_ignore_case() -> impl Strategy<Value = Value> {
    let wildcard = prop_oneof![
        prop::sample::select(vec!["*y", "*x", "*xy"]).prop_map(|w| json!({"wildcard": w})),
        prop::sample::select(vec!["*y", "*x", "*xy"]).prop_map(|w| json!({"anything-but": {"wildcard": w}})),
    ];
    let ignore_case = prop::sample::select(vec!["x", "X", "y", ""]).prop_map(|v| json!({"equals-ignore-case": v}));
    (wildcard, ignore_case, any::<bool>()).prop_map(|(w, i, swap)| if swap { json!([i, w]) } else { json!([w, i]) })
}

fn pattern_object() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        8 => prop::collection::vec(condition(), 1..3).prop_map(Value::Array),
        1 => wildcard_beside_ignore_case(),
    ];
    let field = leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::btree_map(prop::sample::select(KEYS), inner, 1..3)
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()))
    });
    let object = prop::collection::btree_map(prop::sample::select(KEYS), field, 1..4)
        .prop_map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<Map<String, Value>>());
    (object.clone(), prop::option::of(prop::collection::vec(object, 2..4))).prop_map(|(mut obj, or)| {
        if let Some(branches) = or {
            obj.insert("$or".into(), Value::Array(branches.into_iter().map(Value::Object).collect()));
        }
        Value::Object(obj)
    })
}

/// Writes values at the pattern's paths into the event so that matches are common: each leaf path
/// gets the next fill value; each nested object becomes an object, or an array of two objects (to
/// exercise array consistency), as the fills say.
fn graft(
    pattern: &Map<String, Value>,
    event: &mut Map<String, Value>,
    fills: &mut impl Iterator<Item = (bool, Value)>,
) {
    for (k, v) in pattern {
        match v {
            Value::Object(inner) => {
                let (as_array, _) = fills.next().expect("endless");
                if as_array {
                    let mut items = Vec::new();
                    for _ in 0..2 {
                        let mut obj = Map::new();
                        graft(inner, &mut obj, fills);
                        items.push(Value::Object(obj));
                    }
                    event.insert(k.clone(), Value::Array(items));
                } else {
                    let mut obj = match event.remove(k) {
                        Some(Value::Object(o)) => o,
                        _ => Map::new(),
                    };
                    graft(inner, &mut obj, fills);
                    event.insert(k.clone(), Value::Object(obj));
                }
            }
            Value::Array(branches) if k == "$or" => {
                for b in branches {
                    if let Value::Object(b) = b {
                        graft(b, event, fills);
                    }
                }
            }
            _ => {
                let (skip, value) = fills.next().expect("endless");
                if !skip {
                    event.insert(k.clone(), value);
                }
            }
        }
    }
}

fn fills() -> impl Strategy<Value = Vec<(bool, Value)>> {
    let fill = prop_oneof![
        3 => scalar(),
        1 => prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
    ];
    prop::collection::vec((prop::bool::weighted(0.3), fill), 8..16)
}

fn has_dotted_key(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.iter().any(|(k, v)| k.contains('.') || has_dotted_key(v)),
        Value::Array(a) => a.iter().any(has_dotted_key),
        _ => false,
    }
}

/// Writes `v` as JSON text, adding in objects (as `ops` says) members that a `Value` cannot hold:
/// a repeat of an earlier key with another value, a dotted key that spells an earlier key and one
/// of its own keys, and keys written with `\u` escapes. The reference reads the text as AWS does.
fn write_with_twists(v: &Value, ops: &mut impl Iterator<Item = u8>, out: &mut String) {
    match v {
        Value::Object(m) => {
            out.push('{');
            let mut first = true;
            let mut key_at = |out: &mut String, key: &str| {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str(key);
                out.push(':');
            };
            for (k, val) in m {
                let op = ops.next().unwrap_or(0);
                // The key itself, sometimes with its first character escaped.
                let key = match (op % 7, k.chars().next()) {
                    (0, Some(c)) => format!("\"\\u{:04x}{}\"", c as u32, &k[c.len_utf8()..]),
                    _ => Value::from(k.as_str()).to_string(),
                };
                key_at(out, &key);
                write_with_twists(val, ops, out);
            }
            // A long unreferenced member before or after the repeats, so that the early stop
            // (taken only when more than 256 bytes remain) is tried with and without them after it.
            let pad = ops.next().unwrap_or(0) % 3;
            let padding = |out: &mut String, key_at: &mut dyn FnMut(&mut String, &str)| {
                key_at(out, "\"pad\"");
                out.push('[');
                out.push_str(&vec!["{\"p\":\"padding\"}"; 24].join(","));
                out.push(']');
            };
            if pad == 0 {
                padding(out, &mut key_at);
            }
            for (k, val) in m {
                let op = ops.next().unwrap_or(0);
                match op % 5 {
                    // A later repeat of the key, with a scalar of the alphabet.
                    1 => {
                        let repeat = [json!("x"), json!(1), json!(null), json!("y")][(op as usize / 5) % 4].clone();
                        key_at(out, &Value::from(k.as_str()).to_string());
                        out.push_str(&repeat.to_string());
                    }
                    // A dotted key through it, to one of its own keys (or to a fresh one).
                    2 => {
                        let inner = match val {
                            Value::Object(im) => im.keys().next().cloned().unwrap_or_else(|| "b".into()),
                            _ => "b".into(),
                        };
                        key_at(out, &Value::from(format!("{k}.{inner}")).to_string());
                        out.push_str("\"x\"");
                    }
                    _ => {}
                }
            }
            if pad == 1 {
                padding(out, &mut key_at);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_with_twists(x, ops, out);
            }
            out.push(']');
        }
        _ => out.push_str(&v.to_string()),
    }
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            out.push(if i <= c.len() { A[(n >> (18 - 6 * i) & 63) as usize] as char } else { '=' });
        }
    }
    out
}

proptest! {
    // 4,000 cases per property by default (4 properties: 16,000 per run); `PROPTEST_CASES=N` for
    // longer hunts.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(4000),
        ..ProptestConfig::default()
    })]

    #[test]
    fn pattern_agrees_with_reference(
        p in pattern_object(),
        bases in prop::collection::vec(event(), 1..4),
        fills in fills(),
    ) {
        let text = p.to_string();
        let mut fills = fills.into_iter().cycle();
        let events: Vec<Value> = bases
            .into_iter()
            .map(|mut e| {
                if let (Value::Object(p), Value::Object(e)) = (&p, &mut e) {
                    graft(p, e, &mut fills);
                }
                e
            })
            .collect();
        let pattern = match Pattern::new(&text) {
            Ok(p) => p,
            // Generated `$or` branches may reuse reserved names or exceed limits; those are
            // covered by the conformance suite.
            Err(_) => return Ok(()),
        };
        // Print → parse round trip: the printed AST parses back to an AST that prints the same,
        // and gives the same verdicts.
        let printed = pattern.ast().to_string();
        let reparsed = Pattern::new(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(reparsed.ast().to_string(), printed.clone(), "round trip of {}", text);
        for e in &events {
            let event_text = e.to_string();
            let expected = reference::matches(&pattern, &event_text).expect("valid event");
            prop_assert_eq!(reparsed.matches(&event_text).expect("valid event"), expected,
                "reparsed pattern\npattern: {}\nprinted: {}\nevent: {}", text, printed, event_text);
            prop_assert_eq!(pattern.matches(&event_text).expect("valid event"), expected,
                "Pattern::matches\npattern: {}\nevent: {}", text, event_text);
            prop_assert_eq!(pattern.matches_value(e), expected,
                "Pattern::matches_value\npattern: {}\nevent: {}", text, event_text);
        }
    }

    /// The many-rule machine: several generated rules in one machine; the set of matching rules
    /// equals, rule by rule, the reference verdicts.
    #[test]
    fn machine_agrees_with_reference(
        patterns in prop::collection::vec(pattern_object(), 2..6),
        bases in prop::collection::vec(event(), 1..4),
        fills in fills(),
    ) {
        let compiled: Vec<(String, Pattern)> = patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Pattern::new(&p.to_string()).ok().map(|c| (format!("r{i}"), c)))
            .collect();
        let mut builder = Machine::builder();
        for (id, p) in &compiled {
            builder.add_pattern(id.as_str(), p.clone());
        }
        let machine = builder.build();
        let early = builder.read_mode(eventsift::ReadMode::EarlyStop).build();
        let mut scratch = machine.scratch();
        let mut fills = fills.into_iter().cycle();
        for (k, mut e) in bases.into_iter().enumerate() {
            // Graft the shape of one of the rules into the event, so that some rules match.
            if let (Value::Object(p), Value::Object(obj)) = (&patterns[k % patterns.len()], &mut e) {
                graft(p, obj, &mut fills);
            }
            let text = e.to_string();
            let expected: Vec<&str> = compiled
                .iter()
                .filter(|(_, p)| reference::matches(p, &text).expect("valid event"))
                .map(|(id, _)| id.as_str())
                .collect();
            let got: Vec<&str> = machine.matches(&text, &mut scratch).expect("valid event").map(|id| id.as_str()).collect();
            prop_assert_eq!(&got, &expected, "Machine::matches\nevent: {}", text);
            let got: Vec<&str> = machine.matches_value(&e, &mut scratch).map(|id| id.as_str()).collect();
            prop_assert_eq!(&got, &expected, "Machine::matches_value\nevent: {}", text);
            prop_assert_eq!(machine.is_match(&text, &mut scratch).unwrap(), !expected.is_empty());
            // EarlyStop is exact: it stops early only when no later key can change the verdict.
            let got: Vec<&str> = early.matches(&text, &mut scratch).unwrap().map(|id| id.as_str()).collect();
            prop_assert_eq!(&got, &expected, "EarlyStop\nevent: {}", text);
            let _ = has_dotted_key(&e);
        }
    }

    /// Every read mode of the machine agrees with the reference on event text with repeated keys,
    /// dotted keys that repeat an earlier key's path, and escaped keys: `Skip` and the guarded
    /// early stop of `EarlyStop` alike.
    #[test]
    fn read_modes_agree_on_repeated_and_dotted_keys(
        patterns in prop::collection::vec(pattern_object(), 1..5),
        bases in prop::collection::vec(event(), 1..4),
        fills in fills(),
        twists in prop::collection::vec(any::<u8>(), 64),
    ) {
        let compiled: Vec<(String, Pattern)> = patterns
            .iter()
            .enumerate()
            .filter_map(|(i, p)| Pattern::new(&p.to_string()).ok().map(|c| (format!("r{i}"), c)))
            .collect();
        let mut builder = Machine::builder();
        for (id, p) in &compiled {
            builder.add_pattern(id.as_str(), p.clone());
        }
        let machines: Vec<(&str, Machine)> = [
            ("Strict", eventsift::ReadMode::Strict),
            ("Skip", eventsift::ReadMode::Skip),
            ("EarlyStop", eventsift::ReadMode::EarlyStop),
        ]
        .into_iter()
        .map(|(name, mode)| (name, builder.read_mode(mode).build()))
        .collect();
        let mut scratch = machines[0].1.scratch();
        let mut fills = fills.into_iter().cycle();
        let mut ops = twists.into_iter().cycle();
        for (k, mut e) in bases.into_iter().enumerate() {
            if let (Value::Object(p), Value::Object(obj)) = (&patterns[k % patterns.len()], &mut e) {
                graft(p, obj, &mut fills);
            }
            let mut text = String::new();
            write_with_twists(&e, &mut ops, &mut text);
            let expected: Vec<&str> = compiled
                .iter()
                .filter(|(_, p)| reference::matches(p, &text).expect("valid event"))
                .map(|(id, _)| id.as_str())
                .collect();
            for (name, machine) in &machines {
                let got: Vec<&str> = machine.matches(&text, &mut scratch).expect("valid event").map(|id| id.as_str()).collect();
                prop_assert_eq!(&got, &expected, "{}\nevent: {}", name, text);
                prop_assert_eq!(machine.is_match(&text, &mut scratch).unwrap(), !expected.is_empty(), "{} is_match\nevent: {}", name, text);
            }
        }
    }

    /// The Lambda layer: generated patterns as the filters of a criteria, addressed under the data
    /// property; generated events as SQS bodies (JSON strings) and Kafka values (base64). A record
    /// is kept exactly when the reference matches its event with some filter's inner pattern, one
    /// record at a time, as a `Value` and in a batch.
    #[test]
    fn lambda_filter_agrees_with_reference(
        patterns in prop::collection::vec(pattern_object(), 1..6),
        bases in prop::collection::vec(event(), 1..4),
        fills in fills(),
    ) {
        let inner: Vec<Pattern> = match patterns.iter().map(|p| Pattern::new(&p.to_string())).collect() {
            Ok(v) => v,
            Err(_) => return Ok(()),
        };
        let options = Pattern::builder().dialect(eventsift::Dialect::EventBridge);
        let build = |source: eventsift::Source, key: &str| {
            Filter::builder(source)
                .pattern_options(options.clone())
                .build_patterns(patterns.iter().map(|p| serde_json::json!({ key: p }).to_string()))
        };
        let (Ok(sqs), Ok(kafka)) = (build(eventsift::Source::Sqs, "body"), build(eventsift::Source::Kafka, "value")) else {
            return Ok(());
        };
        let mut fills = fills.into_iter().cycle();
        let mut sqs_records = Vec::new();
        let mut expected_kept = 0;
        for (k, mut e) in bases.into_iter().enumerate() {
            if let (Value::Object(p), Value::Object(obj)) = (&patterns[k % patterns.len()], &mut e) {
                graft(p, obj, &mut fills);
            }
            let text = e.to_string();
            let expected = inner.iter().any(|p| reference::matches(p, &text).expect("valid event"));
            expected_kept += usize::from(expected);
            let sqs_record = serde_json::json!({"messageId": format!("m{k}"), "body": text});
            let kafka_record = serde_json::json!({"topic": "t", "partition": 0, "offset": k, "value": base64(text.as_bytes())});
            prop_assert_eq!(sqs.matches(&sqs_record.to_string()).unwrap(), expected, "SQS
event: {}", text);
            prop_assert_eq!(sqs.matches_value(&sqs_record).unwrap(), expected, "SQS value
event: {}", text);
            prop_assert_eq!(kafka.matches(&kafka_record.to_string()).unwrap(), expected, "Kafka
event: {}", text);
            sqs_records.push(sqs_record.to_string());
        }
        let out = sqs.filter_batch(&format!("{{\"Records\": [{}]}}", sqs_records.join(","))).unwrap();
        prop_assert_eq!(out.kept, expected_kept);
    }

    /// Wildcards: the greedy matcher against the regex crate.
    #[test]
    fn wildcard_agrees_with_regex(pieces in prop::collection::vec("[ab]{0,3}", 1..5), input in "[ab]{0,12}") {
        let wildcard = pieces.join("*");
        let regex = format!("^{}$", pieces.iter().map(|p| regex::escape(p)).collect::<Vec<_>>().join(".*"));
        let expected = regex::Regex::new(&regex).unwrap().is_match(&input);
        let pattern = Pattern::new(&json!({"f": [{"wildcard": wildcard}]}).to_string());
        // `**` cannot be generated from non-empty joins only; skip empty middle pieces that make `**`.
        let Ok(pattern) = pattern else { return Ok(()) };
        let event = json!({"f": input}).to_string();
        prop_assert_eq!(pattern.matches(&event).unwrap(), expected, "{} vs {:?}", wildcard, input);
        prop_assert_eq!(reference::matches(&pattern, &event).unwrap(), expected);
    }
}

/// Compile-time check: the public types can be shared across threads and survive unwinding.
#[test]
fn public_types_are_send_sync_unwind_safe() {
    fn check<T: Send + Sync + std::panic::UnwindSafe + std::panic::RefUnwindSafe>() {}
    check::<Pattern>();
    check::<eventsift::Error>();
    check::<eventsift::PatternBuilder>();
    check::<Machine>();
    check::<eventsift::SharedMachine>();
    check::<eventsift::RuleId>();
    fn send<T: Send>() {}
    send::<eventsift::Scratch>();
}

/// The skim (members whose keys cannot matter jumped over in blocks) and the early stop's checks
/// of the rest, on events written to trip them: keys that look wanted but are values or are not
/// children, escaped keys and quotes, colons and brackets inside strings, containers between
/// members, repeats and dotted keys after long runs, and runs that cross 64-byte blocks.
#[test]
fn skimmed_members_and_stops_agree_with_reference() {
    let patterns = [
        r#"{"props": {"STREET": [{"prefix": "FO"}]}}"#,
        r#"{"props": {"STREET": ["FOLSOM"], "ST_TYPE": ["ST"]}}"#,
        r#"{"props": {"S": [{"exists": true}]}}"#,
        r#"{"props": {"": ["e"]}}"#,
        r#"{"geo": {"type": ["Polygon"], "last": [1]}}"#,
        r#"{"props": {"STREET": [{"anything-but": "FOLSOM"}]}, "geo": {"type": ["Polygon"]}}"#,
    ];
    let run = (0..9).map(|i| format!(r#""K{i}":"{}""#, "v".repeat(i * 3))).collect::<Vec<_>>().join(",");
    let coords = format!("[{}]", vec![r#"{"x":-122.4,"y":37.7,"z":0}"#; 30].join(","));
    let tail = format!(r#","geo":{{"type":"Polygon","coordinates":{coords},"last":1}},"pad":"{}"}}"#, "p".repeat(300));
    let events = [
        format!(r#"{{"type":"F","props":{{{run},"STREET":"FOLSOM","ST_TYPE":"ST","ODD":"O"}}{tail}"#),
        format!(r#"{{"type":"F","props":{{{run},"SX":"STREET","STREET":"FOLSOM","ST_TYPE":"ST"}}{tail}"#),
        format!(r#"{{"props":{{{run},"note":"\"STREET\":\"FOLSOM\"","STREET":"MASON"}}{tail}"#),
        format!(r#"{{"props":{{{run},"\u0053TREET":"FOLSOM","ST_TYPE":"ST"}}{tail}"#),
        format!(r#"{{"props":{{{run},"STREET":"FOLSOM","ST_TYPE":"ST","ODD":"O","STREET":"MASON"}}{tail}"#),
        format!(r#"{{"props":{{{run},"STREET":"FOLSOM","ST_TYPE":"ST","ODD":"O","\u0053TREET":"MASON"}}{tail}"#),
        format!(r#"{{"props":{{{run},"STREET":"FOLSOM","ST_TYPE":"ST"}},"props.STREET":"MASON"{tail}"#),
        format!(r#"{{"props":{{{run},"STREET":"FOLSOM","ST_TYPE":"ST","SUB":{{"STREET":"MASON"}},"ODD":"O"}}{tail}"#),
        format!(
            r#"{{"props":{{{run},"arr":["{{","[",":","\"S"],"obj":{{"S":1}},"STREET":"FOLSOM","ST_TYPE":"ST","S":null}}{tail}"#
        ),
        format!(r#"{{"props":{{{run},"":"e","STREET":"FO","ST_TYPE":"ST"}}{tail}"#),
        format!(r#"{{"props":{{{run},"x\\":"\\","STREET" : "FOLSOM" , "ST_TYPE" :"ST"  }}  {tail}"#),
        format!(r#"{{"props":{{"a":{{"b":[{{{run}}}]}},"STREET":"FOLSOM","ST_TYPE":"ST"}}{tail}"#),
        format!(r#"{{"geo":{{"type":"Polygon","coordinates":{coords},"type":"Point","last":1}},"props":{{{run}}}}}"#),
        format!(r#"{{"props":{{{run},"STREET":"FOLSOM","ST_TYPE":"ST","ODD":"O"}}}}"#),
    ];
    let modes = [eventsift::ReadMode::Strict, eventsift::ReadMode::Skip, eventsift::ReadMode::EarlyStop];
    for mode in modes {
        let mut builder = Machine::builder();
        builder.read_mode(mode);
        let compiled: Vec<Pattern> = patterns.iter().map(|p| Pattern::new(p).expect("valid pattern")).collect();
        for (i, p) in compiled.iter().enumerate() {
            builder.add_pattern(format!("r{i}").as_str(), p.clone());
        }
        let machine = builder.build();
        let mut scratch = machine.scratch();
        for event in &events {
            let expected: Vec<String> = compiled
                .iter()
                .enumerate()
                .filter(|(_, p)| reference::matches(p, event).expect("valid event"))
                .map(|(i, _)| format!("r{i}"))
                .collect();
            let got: Vec<String> =
                machine.matches(event, &mut scratch).expect("valid event").map(|id| id.to_string()).collect();
            assert_eq!(got, expected, "{mode:?}\nevent: {event}");
        }
    }
}

/// Malformed events around skimmed members are errors, never a panic, in every read mode.
#[test]
fn malformed_events_around_skimmed_members_are_errors() {
    let mut builder = Machine::builder();
    builder.add("r", r#"{"props": {"STREET": ["FOLSOM"], "ST_TYPE": ["ST"]}}"#).expect("valid pattern");
    let run = (0..6).map(|i| format!(r#""K{i}":"value{i}""#)).collect::<Vec<_>>().join(",");
    let events = [
        format!(r#"{{"props":{{{run}"#),
        format!(r#"{{"props":{{{run},"STREET"#),
        format!(r#"{{"props":{{{run},"K9":"unterminated}}}}"#),
        format!(r#"{{"props":{{{run},"K9":[1,2}}}}"#),
        format!(r#"{{"props":{{{run},"K9":1]}}"#),
        format!(r#"{{"props":{{{run},"STREET":}}}}"#),
    ];
    for mode in [eventsift::ReadMode::Strict, eventsift::ReadMode::Skip, eventsift::ReadMode::EarlyStop] {
        let machine = builder.read_mode(mode).build();
        let mut scratch = machine.scratch();
        for event in &events {
            assert!(machine.matches(event, &mut scratch).is_err(), "{mode:?} accepted: {event}");
        }
    }
}

/// `numeric: ["=", v]` is answered by a lookup among number values, not a range scan: the same
/// verdicts as the single pattern and the reference, on the spellings of one value.
#[test]
fn numeric_equality_is_a_lookup_with_the_same_verdicts() {
    let patterns = [
        r#"{"n": [{"numeric": ["=", 0]}]}"#,
        r#"{"n": [{"numeric": ["=", 2.5]}], "s": ["x"]}"#,
        r#"{"n": [{"numeric": ["=", -122.42916360922355]}]}"#,
        r#"{"n": [{"numeric": ["=", 300]}, {"numeric": ["<", 0]}]}"#,
    ];
    let events = [
        r#"{"n": 0}"#,
        r#"{"n": -0}"#,
        r#"{"n": 0.0}"#,
        r#"{"n": 0e7}"#,
        r#"{"n": 1e-400}"#,
        r#"{"n": "0"}"#,
        r#"{"n": 2.5, "s": "x"}"#,
        r#"{"n": 25e-1, "s": "x"}"#,
        r#"{"n": 2.5000000000000001, "s": "x"}"#,
        r#"{"n": 2.5, "s": "y"}"#,
        r#"{"n": -122.42916360922355}"#,
        r#"{"n": -122.429163609223550}"#,
        r#"{"n": -122.42916360922356}"#,
        r#"{"n": 3e2}"#,
        r#"{"n": -1}"#,
        r#"{"n": [1, 300]}"#,
    ];
    let compiled: Vec<Pattern> = patterns.iter().map(|p| Pattern::new(p).expect("valid pattern")).collect();
    let mut builder = Machine::builder();
    for (i, p) in compiled.iter().enumerate() {
        builder.add_pattern(format!("p{i}").as_str(), p.clone());
    }
    let machine = builder.build();
    let mut scratch = machine.scratch();
    let mut matched = 0;
    for e in events {
        let got: Vec<&str> = machine.matches(e, &mut scratch).expect("valid event").map(|id| id.as_str()).collect();
        let mut want = Vec::new();
        for (i, (p, pattern)) in patterns.iter().zip(&compiled).enumerate() {
            let single = pattern.matches(e).expect("valid event");
            assert_eq!(reference::matches(pattern, e).expect("valid event"), single, "{p} on {e}");
            if single {
                want.push(format!("p{i}"));
            }
        }
        matched += want.len();
        assert_eq!(got, want, "{e}");
    }
    // p0: 0, -0, 0.0, 0e7 and 1e-400 (zero once parsed), not "0"; p1: 2.5, 25e-1 and
    // 2.5000000000000001 (the same double) with s = x; p2: both spellings of -122.42916360922355,
    // not its neighbour ...356; p3: those three (below zero), -1, 3e2 and [1, 300].
    assert_eq!(matched, 16);
}
