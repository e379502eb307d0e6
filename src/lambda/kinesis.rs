//! The typed Kinesis path: a consumer that holds a Kinesis record's fields and data bytes (the
//! stream consumer, `src/streams/`) has it filtered without the Lambda record's text. The filter
//! view (SPEC §4.4, `view.rs`) is never built: the metadata the patterns name are put in as leaves
//! straight from the fields, and the data is read once, from the `data` node of the machine's path
//! trie, with its validation as JSON fused into that read. The verdict is exactly
//! [`Filter::evaluate`]'s on [`KinesisFields::to_json`] (property-tested below); whatever the fast
//! path does not cover (data nested within one level of the depth limit, a filter compiled for
//! another source) goes through that text.

use super::filter::{Filter, KinesisParts, Scratch, Verdict};
use super::view::Payload;
use crate::error::{Error, ErrorKind};
use crate::event::reader::{self, Leaves, Raw};
use crate::event::trie::{NodeId, ROOT};
use crate::lex;
use crate::machine::Machine;

/// A Kinesis record as the stream consumer holds it: the fields of the record a Lambda function
/// receives (`{"kinesis": {...}, "eventSource": "aws:kinesis", ...}`), the data as bytes.
/// [`to_json`](Self::to_json) writes that record; [`Filter::evaluate_kinesis`] decides on it
/// without writing it.
///
/// ```
/// use eventsift::lambda::{Filter, KinesisFields, Payload, Scratch};
/// use eventsift::Source;
///
/// let filter = Filter::new(r#"{"Filters": [{"Pattern": "{\"data\": {\"temp\": [{\"numeric\": [\">\", 20]}]}}"}]}"#, Source::Kinesis)?;
/// let record = KinesisFields {
///     partition_key: "device-7",
///     sequence_number: "49590338271490256608559692538361571095921575989136588898",
///     data: br#"{"temp": 21}"#,
///     approximate_arrival_timestamp: Some(1_545_084_650.987),
///     encryption_type: None,
///     event_id: "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
///     aws_region: "us-east-1",
///     event_source_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
/// };
/// let mut scratch = Scratch::default();
/// let verdict = filter.evaluate_kinesis(&record, &mut scratch)?;
/// assert!(verdict.keep);
/// assert_eq!(verdict.payload, Payload::Json);
/// assert_eq!(verdict, filter.evaluate(&record.to_json(), &mut scratch)?);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KinesisFields<'a> {
    /// `kinesis.partitionKey`.
    pub partition_key: &'a str,
    /// `kinesis.sequenceNumber`.
    pub sequence_number: &'a str,
    /// The record's data, as read from the stream (`kinesis.data` is its base64).
    pub data: &'a [u8],
    /// `kinesis.approximateArrivalTimestamp`, in seconds since the epoch (written as a JSON number
    /// the way `serde_json` writes an `f64`; `null` when not finite).
    pub approximate_arrival_timestamp: Option<f64>,
    /// `kinesis.encryptionType`, when the record has one.
    pub encryption_type: Option<&'a str>,
    /// `eventID`: `shardId-…:sequence`.
    pub event_id: &'a str,
    /// `awsRegion`.
    pub aws_region: &'a str,
    /// `eventSourceARN`.
    pub event_source_arn: &'a str,
}

/// `kinesis.kinesisSchemaVersion` and `eventVersion`.
const VERSION: &str = "1.0";
const EVENT_SOURCE: &str = "aws:kinesis";
const EVENT_NAME: &str = "aws:kinesis:record";

/// Appends `"key":` (a key that needs no escaping). Shared with `streams::convert`.
pub(crate) fn push_key(out: &mut String, key: &str) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
}

/// Appends `value` as a JSON string, written in place (no string allocated per field): quotes,
/// backslashes and control characters escaped, the rest as it is. Shared with `streams::convert`.
pub(crate) fn push_str(out: &mut String, value: &str) {
    lex::push_string_token(out, value);
}

/// Appends the standard base64 of `data` (padded). Encoded a stack buffer at a time with
/// `encode_slice`: `encode_string`'s chunked writer costs about twice as many instructions on the
/// few hundred bytes of a typical record.
fn push_base64(out: &mut String, data: &[u8]) {
    use base64::Engine as _;
    // 768 input bytes (a multiple of 3, so no padding mid-way) make 1,024 output bytes.
    let mut buf = [0u8; 1024];
    out.reserve(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(768) {
        let n = base64::engine::general_purpose::STANDARD
            .encode_slice(chunk, &mut buf)
            .expect("1,024 bytes hold the base64 of 768");
        out.push_str(std::str::from_utf8(&buf[..n]).expect("base64 is ASCII"));
    }
}

/// The JSON number of a timestamp, as `serde_json` writes an `f64` (`null` when not finite).
fn number(seconds: f64) -> Option<serde_json::Number> {
    serde_json::Number::from_f64(seconds)
}

impl KinesisFields<'_> {
    /// The record a Lambda function receives, as JSON text: `kinesis` (`kinesisSchemaVersion`
    /// "1.0", `partitionKey`, `sequenceNumber`, `data` in base64, `approximateArrivalTimestamp`,
    /// `encryptionType`), `eventSource` "aws:kinesis", `eventVersion` "1.0", `eventID`,
    /// `eventName` "aws:kinesis:record", `awsRegion`, `eventSourceARN`.
    pub fn to_json(&self) -> String {
        let mut out = String::with_capacity(self.json_len_estimate());
        self.write_json(&mut out);
        out
    }

    /// At least the length of [`to_json`](Self::to_json)'s text when no field needs escaping (the
    /// fixed keys and values and the timestamp take under 300 bytes), so that the text is written
    /// without growing.
    fn json_len_estimate(&self) -> usize {
        let fields = [self.partition_key, self.sequence_number, self.event_id, self.aws_region, self.event_source_arn];
        320 + fields.iter().map(|f| f.len()).sum::<usize>()
            + self.encryption_type.map_or(0, str::len)
            + self.data.len().div_ceil(3) * 4
    }

    /// [`to_json`](Self::to_json), appended to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"kinesis\":{\"kinesisSchemaVersion\":\"1.0\",");
        push_key(out, "partitionKey");
        push_str(out, self.partition_key);
        out.push(',');
        push_key(out, "sequenceNumber");
        push_str(out, self.sequence_number);
        out.push(',');
        push_key(out, "data");
        out.push('"');
        push_base64(out, self.data);
        out.push('"');
        if let Some(t) = self.approximate_arrival_timestamp {
            out.push(',');
            push_key(out, "approximateArrivalTimestamp");
            match number(t) {
                Some(n) => out.push_str(&n.to_string()),
                None => out.push_str("null"),
            }
        }
        if let Some(e) = self.encryption_type {
            out.push(',');
            push_key(out, "encryptionType");
            push_str(out, e);
        }
        out.push_str("},\"eventSource\":\"aws:kinesis\",\"eventVersion\":\"1.0\",");
        push_key(out, "eventID");
        push_str(out, self.event_id);
        out.push_str(",\"eventName\":\"aws:kinesis:record\",");
        push_key(out, "awsRegion");
        push_str(out, self.aws_region);
        out.push(',');
        push_key(out, "eventSourceARN");
        push_str(out, self.event_source_arn);
        out.push('}');
    }
}

/// A top-level member of the Kinesis filter view other than `data`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Meta {
    EventSource,
    EventVersion,
    EventId,
    EventName,
    AwsRegion,
    EventSourceArn,
    SchemaVersion,
    PartitionKey,
    SequenceNumber,
    Arrival,
    Encryption,
}

/// The members of the view, in the view's order (the envelope's, then those of `kinesis`); `data`
/// comes after the first [`BEFORE_DATA`].
const MEMBERS: [(Meta, &str); 11] = [
    (Meta::EventSource, "eventSource"),
    (Meta::EventVersion, "eventVersion"),
    (Meta::EventId, "eventID"),
    (Meta::EventName, "eventName"),
    (Meta::AwsRegion, "awsRegion"),
    (Meta::EventSourceArn, "eventSourceARN"),
    (Meta::SchemaVersion, "kinesisSchemaVersion"),
    (Meta::PartitionKey, "partitionKey"),
    (Meta::SequenceNumber, "sequenceNumber"),
    (Meta::Arrival, "approximateArrivalTimestamp"),
    (Meta::Encryption, "encryptionType"),
];
const BEFORE_DATA: usize = 9;

/// What one machine reads of a Kinesis record: the metadata members some pattern names as a leaf
/// path (with the path's id), and the trie node of `data`.
#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    /// In view order; those before `data` first.
    meta: Vec<(Meta, u32)>,
    /// How many of `meta` come before `data`.
    before: usize,
    /// The trie node `data` leads to, when some path goes inside it.
    data: Option<NodeId>,
}

impl Plan {
    /// The plan of `machine`, or `None` when `data` itself is a leaf path (a plain-string condition
    /// on it, which Kinesis filters reject: such a filter takes the general path).
    pub(crate) fn new(machine: &Machine) -> Option<Plan> {
        let trie = machine.trie();
        let mut plan = Plan::default();
        for (i, (meta, key)) in MEMBERS.iter().enumerate() {
            if let Some(id) = trie.step(ROOT, key).and_then(|n| trie.leaf(n)) {
                plan.meta.push((*meta, id));
                if i < BEFORE_DATA {
                    plan.before += 1;
                }
            }
        }
        if let Some(n) = trie.step(ROOT, "data") {
            if trie.leaf(n).is_some() {
                return None;
            }
            plan.data = Some(n);
        }
        Some(plan)
    }

    /// Appends the leaves of `meta` (the metadata members) to `leaves`.
    fn push(meta: &[(Meta, u32)], r: &KinesisFields<'_>, leaves: &mut Leaves) {
        for &(m, id) in meta {
            let text = match m {
                Meta::EventSource => EVENT_SOURCE,
                Meta::EventVersion | Meta::SchemaVersion => VERSION,
                Meta::EventId => r.event_id,
                Meta::EventName => EVENT_NAME,
                Meta::AwsRegion => r.aws_region,
                Meta::EventSourceArn => r.event_source_arn,
                Meta::PartitionKey => r.partition_key,
                Meta::SequenceNumber => r.sequence_number,
                Meta::Encryption => match r.encryption_type {
                    Some(e) => e,
                    None => continue,
                },
                Meta::Arrival => {
                    let Some(t) = r.approximate_arrival_timestamp else { continue };
                    match number(t) {
                        Some(n) => {
                            use std::fmt::Write as _;
                            let start = leaves.buf.len() as u32;
                            // Writing to a String cannot fail.
                            let _ = write!(leaves.buf, "{n}");
                            let end = leaves.buf.len() as u32;
                            leaves.push_here(id, Raw::BufNumber(start, end), "");
                        }
                        None => leaves.push_here(id, Raw::Null, ""),
                    }
                    continue;
                }
            };
            let (start, end) = leaves.stash(text);
            leaves.push_plain(id, Raw::Unescaped(start, end));
        }
    }
}

/// The typed path's outcome: a verdict, or "take the general path".
enum Fast {
    Done(Verdict),
    General,
}

impl Filter {
    /// [`evaluate`](Self::evaluate) for a Kinesis record given by its fields: the verdict on
    /// [`KinesisFields::to_json`], without writing that text or building the filter view (the data
    /// is read once, as JSON when it is). A filter compiled for another source than
    /// [`Source::Kinesis`](super::Source::Kinesis) decides on the record's text as that source would.
    pub fn evaluate_kinesis(&self, record: &KinesisFields<'_>, scratch: &mut Scratch) -> Result<Verdict, Error> {
        self.decide_kinesis(record, scratch, false)
    }

    /// [`evaluate_kinesis`](Self::evaluate_kinesis); `first`: stop at the first matching filter
    /// (the verdict's `filters` is then 0), as [`matches`](Self::matches) does.
    pub(crate) fn decide_kinesis(
        &self,
        record: &KinesisFields<'_>,
        scratch: &mut Scratch,
        first: bool,
    ) -> Result<Verdict, Error> {
        match self.fast_kinesis(record, scratch, first) {
            Fast::Done(v) => Ok(v),
            Fast::General => {
                let mut json = std::mem::take(&mut scratch.json);
                json.clear();
                record.write_json(&mut json);
                let verdict = self.decide_with(&json, Some(record.data), scratch, first);
                scratch.json = json;
                verdict
            }
        }
    }

    fn fast_kinesis(&self, record: &KinesisFields<'_>, scratch: &mut Scratch, first: bool) -> Fast {
        let Some(KinesisParts { plans, machines, decode, max_depth, empty }) = self.kinesis_parts() else {
            return Fast::General;
        };
        if empty {
            return Fast::Done(Verdict { keep: true, payload: Payload::AsIs, filters: 0 });
        }
        let leaves = scratch.machine.leaves_mut();
        leaves.clear();
        let (payload, text) = if !decode {
            (Payload::AsIs, "")
        } else {
            match std::str::from_utf8(record.data) {
                Err(_) => (Payload::Undecodable, ""),
                Ok(text) => {
                    match scalar(text) {
                        Some(false) => (Payload::Plain, ""),
                        // A number, `true`, `false` or `null`: JSON with nothing inside to match.
                        Some(true) => (Payload::Json, ""),
                        None => {
                            // Validation and matching in one read, as the JSON payload's machine reads it.
                            let plan = &plans[Payload::Json.index()];
                            let trie = machines[Payload::Json.index()].trie();
                            Plan::push(&plan.meta[..plan.before], record, leaves);
                            match reader::read_value_into(
                                text,
                                trie,
                                plan.data,
                                2,
                                max_depth,
                                leaves,
                                &mut scratch.frames,
                            ) {
                                Ok(()) => {
                                    Plan::push(&plan.meta[plan.before..], record, leaves);
                                    return Fast::Done(decide(
                                        &machines[Payload::Json.index()],
                                        Payload::Json,
                                        text,
                                        scratch,
                                        first,
                                    ));
                                }
                                // Valid JSON may still nest too deeply once inside the view: the view decides.
                                Err(e) if e.kind() == ErrorKind::EventTooDeep => return Fast::General,
                                Err(_) => {
                                    leaves.clear();
                                    (Payload::Plain, "")
                                }
                            }
                        }
                    }
                }
            }
        };
        // Not JSON, or a JSON scalar: only the metadata can be matched (a plain-string condition on
        // `data` itself, which would see the text, is not allowed for Kinesis; see `Plan::new`).
        let plan = &plans[payload.index()];
        Plan::push(&plan.meta, record, leaves);
        Fast::Done(decide(&machines[payload.index()], payload, text, scratch, first))
    }
}

/// What the first bytes of `text` tell without reading it: `Some(false)` not JSON (blank, or not
/// how a JSON value starts), `Some(true)` a JSON scalar other than a string (a number, `true`,
/// `false`, `null`, with only whitespace around it), `None` an object, an array or a string, to be
/// read. Exactly `reader::validate`'s answer where it answers, without building the error that
/// the reader returns for text that is not JSON (the common plain-text payload allocates nothing).
fn scalar(text: &str) -> Option<bool> {
    let b = text.as_bytes();
    let start = lex::skip_ws(b, 0);
    let only_ws_after = |end: usize| lex::skip_ws(b, end) == b.len();
    let word = |w: &[u8]| b[start..].starts_with(w) && only_ws_after(start + w.len());
    let Some(first) = b.get(start) else { return Some(false) };
    match first {
        b'{' | b'[' | b'"' => None,
        b'-' | b'0'..=b'9' => Some(matches!(lex::number(b, start), Ok(end) if only_ws_after(end))),
        b't' => Some(word(b"true")),
        b'f' => Some(word(b"false")),
        b'n' => Some(word(b"null")),
        _ => Some(false),
    }
}

/// The verdict of `machine` on the leaves in `scratch`.
fn decide(machine: &Machine, payload: Payload, text: &str, scratch: &mut Scratch, first: bool) -> Verdict {
    let matches = machine.matches_filled(text, &mut scratch.machine, first);
    if first {
        let mut matches = matches;
        return Verdict { keep: matches.next().is_some(), payload, filters: 0 };
    }
    let mut filters = 0u16;
    for id in matches {
        if let Ok(i) = id.as_str().parse::<u32>() {
            filters |= 1 << i;
        }
    }
    Verdict { keep: filters != 0, payload, filters }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda::{Mismatch, Source};
    use proptest::prelude::*;

    #[test]
    fn base64_by_stack_buffers_is_the_standard_encoding() {
        use base64::Engine as _;
        let data: Vec<u8> = (0..2400u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for n in (0..20).chain([767, 768, 769, 1535, 1536, 1537, 2304, 2400]) {
            let mut out = String::from("x");
            push_base64(&mut out, &data[..n]);
            assert_eq!(out[1..], base64::engine::general_purpose::STANDARD.encode(&data[..n]), "{n} bytes");
        }
    }

    fn criteria(patterns: &[&str]) -> String {
        let filters: Vec<String> =
            patterns.iter().map(|p| format!("{{\"Pattern\": {}}}", serde_json::json!(p))).collect();
        format!("{{\"Filters\": [{}]}}", filters.join(", "))
    }

    /// Patterns on the data (nested, dotted, escaped and empty keys, arrays, `exists`, numbers) and
    /// on every metadata member of the view, and on members the view does not have.
    const PATTERNS: &[&str] = &[
        r#"{"data": {"a": [1, "x"]}}"#,
        r#"{"data": {"a": {"b": [{"numeric": [">", 0]}]}}}"#,
        r#"{"data": {"a": [{"exists": false}]}}"#,
        r#"{"data": {"a.b": ["x"]}}"#,
        r#"{"data": {"k": [{"prefix": "v"}]}, "partitionKey": ["p1"]}"#,
        r#"{"data": {"l": {"x": [1], "y": [2]}}}"#,
        r#"{"data": {"d": {"d": {"d": [1]}}}}"#,
        r#"{"data": {"é": ["x"], "": [true]}}"#,
        r#"{"data": {"n": [{"numeric": ["=", 5]}, null]}}"#,
        r#"{"data": {"a": [{"anything-but": ["x"]}]}}"#,
        r#"{"partitionKey": [{"anything-but": ["p1"]}]}"#,
        r#"{"partitionKey": [{"equals-ignore-case": "HOT"}]}"#,
        r#"{"sequenceNumber": [{"prefix": "4"}]}"#,
        r#"{"approximateArrivalTimestamp": [{"numeric": [">", 1600000000]}]}"#,
        r#"{"approximateArrivalTimestamp": [null, 1545084650.987]}"#,
        r#"{"eventSource": ["aws:kinesis"], "data": {"a": [{"exists": true}]}}"#,
        r#"{"encryptionType": ["KMS"]}"#,
        r#"{"encryptionType": [{"exists": false}], "kinesisSchemaVersion": ["1.0"]}"#,
        r#"{"kinesis": {"partitionKey": ["p1"]}}"#,
        r#"{"eventID": [{"prefix": "shardId-1:"}], "eventVersion": ["1.0"]}"#,
        r#"{"awsRegion": ["us-east-1"], "eventSourceARN": [{"prefix": "arn:"}], "eventName": ["aws:kinesis:record"]}"#,
        r#"{"$or": [{"data": {"a": [2]}}, {"partitionKey": ["p2"], "data": {"b": [{"exists": false}]}}]}"#,
        r#"{"partitionKey": {"x": ["p1"]}}"#,
        r#"{"database": ["x"], "data": {"l": [{"exists": true}]}}"#,
    ];

    fn key() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "a", "b", "k", "l", "x", "y", "d", "n", "a.b", "é", "\\u00e9", "", "\\u0061", "database",
        ])
        .prop_map(|k| format!("\"{k}\""))
    }

    fn scalar() -> impl Strategy<Value = String> {
        prop::sample::select(vec![
            "1",
            "2",
            "5",
            "5.0",
            "5e0",
            "-0",
            "0.5",
            "1e400",
            "-7",
            "\"x\"",
            "\"v1\"",
            "\"\\u0078\"",
            "\"p1\"",
            "true",
            "false",
            "null",
            "\"\"",
            "\"caf\\u00e9\"",
        ])
        .prop_map(str::to_string)
    }

    fn json() -> impl Strategy<Value = String> {
        scalar().prop_recursive(6, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((key(), inner), 0..5).prop_map(|m| {
                    let members: Vec<String> = m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", members.join(", "))
                }),
            ]
        })
    }

    /// Data: JSON (mostly objects, with whitespace around), deep nesting, text that is not JSON,
    /// bytes that are not UTF-8, nothing.
    fn data() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            4 => (json(), prop::sample::select(vec!["", " ", "\n\t "])).prop_map(|(j, ws)| format!("{ws}{j}{ws}").into_bytes()),
            1 => (0usize..8, prop::bool::ANY).prop_map(|(n, arr)| {
                let (open, close) = if arr { ("[", "]") } else { ("{\"d\":", "}") };
                format!("{}1{}", open.repeat(n), close.repeat(n)).into_bytes()
            }),
            1 => "[ -~]{0,12}".prop_map(String::into_bytes),
            1 => json().prop_map(|j| format!("{j} x").into_bytes()),
            1 => prop::collection::vec(any::<u8>(), 0..12),
            1 => Just(vec![0xef, 0xbb, 0xbf, b'{', b'}']),
            2 => prop::sample::select(vec![
                "-", "1e", "12-07", "tru", "true ", " null\n", "nullx", "falsey", "false", "2026-12-07T10:00:00Z WARN",
                "0x10", "01", "1.", "-0.0e+0", " 42 ", "1 2", "\"str\"", "\"open", "{", "[1,", "{\"a\":1}}", "\u{a0}1",
            ])
            .prop_map(|s| s.as_bytes().to_vec()),
            1 => Just(Vec::new()),
        ]
    }

    #[derive(Debug, Clone)]
    struct Owned {
        partition_key: String,
        sequence_number: String,
        data: Vec<u8>,
        arrival: Option<f64>,
        encryption: Option<String>,
    }

    impl Owned {
        fn fields(&self) -> KinesisFields<'_> {
            KinesisFields {
                partition_key: &self.partition_key,
                sequence_number: &self.sequence_number,
                data: &self.data,
                approximate_arrival_timestamp: self.arrival,
                encryption_type: self.encryption.as_deref(),
                event_id: "shardId-1:49",
                aws_region: "us-east-1",
                event_source_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            }
        }
    }

    fn record() -> impl Strategy<Value = Owned> {
        (
            prop::sample::select(vec!["p1", "p2", "hot", "HOT", "p\"q", "é", ""]),
            prop::sample::select(vec!["49590338271490256608559692538361571095921575989136588898", "7"]),
            data(),
            prop::sample::select(vec![None, Some(1_545_084_650.987), Some(1_700_000_000.0), Some(f64::NAN)]),
            prop::sample::select(vec![None, Some("KMS")]),
        )
            .prop_map(|(pk, seq, data, arrival, encryption)| Owned {
                partition_key: pk.into(),
                sequence_number: seq.into(),
                data,
                arrival,
                encryption: encryption.map(str::to_string),
            })
    }

    fn filter() -> impl Strategy<Value = Filter> {
        (
            prop::sample::subsequence(PATTERNS.to_vec(), 0..=4),
            prop::bool::ANY,
            prop::sample::select(vec![2usize, 3, 4, 128]),
        )
            .prop_map(|(patterns, ignore, depth)| {
                Filter::builder(Source::Kinesis)
                    .mismatch(if ignore { Mismatch::IgnoreDataConditions } else { Mismatch::Drop })
                    .max_event_depth(depth)
                    .build(&criteria(&patterns))
                    .unwrap()
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        /// The typed path decides exactly as the record's text does: keep, payload kind, every
        /// matching filter (and the first-match decision the consumer uses), or the same error.
        #[test]
        fn typed_kinesis_decides_as_the_record_text(filter in filter(), records in prop::collection::vec(record(), 1..4)) {
            let mut scratch = Scratch::default();
            for r in &records {
                let fields = r.fields();
                let json = fields.to_json();
                let text = filter.evaluate(&json, &mut scratch).map_err(|e| e.kind());
                let typed = filter.evaluate_kinesis(&fields, &mut scratch).map_err(|e| e.kind());
                prop_assert_eq!(typed, text, "{}", json);
                let text = filter.decide_with(&json, None, &mut scratch, true).map_err(|e| e.kind());
                let typed = filter.decide_kinesis(&fields, &mut scratch, true).map_err(|e| e.kind());
                prop_assert_eq!(typed, text, "first: {}", json);
            }
        }
    }

    /// The fast path is taken (no record text written) for JSON, plain and undecodable data, and
    /// left for data that nests within one level of the depth limit.
    #[test]
    fn fast_path_covers_the_common_cases() {
        let filter = Filter::new(&criteria(&PATTERNS[..3]), Source::Kinesis).unwrap();
        let mut scratch = Scratch::default();
        let owned = |data: &[u8]| Owned {
            partition_key: "p1".into(),
            sequence_number: "7".into(),
            data: data.to_vec(),
            arrival: Some(1_700_000_000.5),
            encryption: None,
        };
        for data in [&br#"{"a": {"b": 3}}"#[..], b"plain", &[0xff, 0xfe], b"", b"[1, 2]"] {
            let r = owned(data);
            assert!(matches!(filter.fast_kinesis(&r.fields(), &mut scratch, false), Fast::Done(_)), "{data:?}");
        }
        let shallow = Filter::builder(Source::Kinesis).max_event_depth(3).build(&criteria(&PATTERNS[..2])).unwrap();
        let r = owned(br#"{"a": {"b": {"c": 1}}}"#);
        assert!(matches!(shallow.fast_kinesis(&r.fields(), &mut scratch, false), Fast::General));
        // Decided on the text, with the text's answer: the view nests too deeply.
        let e = shallow.evaluate_kinesis(&r.fields(), &mut scratch).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidRecord);
        assert_eq!(e.kind(), shallow.evaluate(&r.fields().to_json(), &mut scratch).unwrap_err().kind());
        // A filter compiled for another source decides on the text as that source would.
        let raw = Filter::new(&criteria(&[r#"{"kinesis": {"partitionKey": ["p1"]}}"#]), Source::Raw).unwrap();
        assert!(raw.evaluate_kinesis(&r.fields(), &mut scratch).unwrap().keep);
    }

    #[test]
    fn verdicts_spelled_out() {
        let filter = Filter::new(&criteria(&PATTERNS[..3]), Source::Kinesis).unwrap();
        let mut scratch = Scratch::default();
        let r = |data: &[u8]| Owned {
            partition_key: "p1".into(),
            sequence_number: "7".into(),
            data: data.to_vec(),
            arrival: None,
            encryption: None,
        };
        let v = filter.evaluate_kinesis(&r(br#"{"a": {"b": 3}}"#).fields(), &mut scratch).unwrap();
        // `exists: false` holds on `a`, an object and not a leaf (as on the record's text).
        assert_eq!((v.keep, v.payload, v.filters), (true, Payload::Json, 0b110));
        let v = filter.evaluate_kinesis(&r(br#"{"b": 1}"#).fields(), &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload, v.filters), (true, Payload::Json, 0b100), "a absent");
        let v = filter.evaluate_kinesis(&r(b"plain").fields(), &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (false, Payload::Plain));
        let v = filter.evaluate_kinesis(&r(&[0xff]).fields(), &mut scratch).unwrap();
        assert_eq!((v.keep, v.payload), (false, Payload::Undecodable));
    }
}
