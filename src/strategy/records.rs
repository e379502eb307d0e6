//! Lambda event-source records (SPEC §4.4, §5, §6) whose *filter view* is a given event.
//!
//! The filter view is what a Lambda filter pattern is matched against. These strategies go the
//! other way: from a view to a record that a Lambda event-source mapping would deliver, with
//! random envelope values (ids, sequence numbers, region, ARNs, timestamps):
//!
//! | source | record | view |
//! | --- | --- | --- |
//! | [`Source::DynamoDb`] | the view, completed with `eventID`, `eventName`, `eventVersion`, `eventSource`, `awsRegion`, `eventSourceARN` and `dynamodb.Keys`/`SequenceNumber`/`SizeBytes`/`StreamViewType`/`ApproximateCreationDateTime` | the record |
//! | [`Source::Kinesis`] | `{"kinesis": {kinesisSchemaVersion, partitionKey, sequenceNumber, data, approximateArrivalTimestamp, …}, eventSource, eventVersion, eventID, eventName, invokeIdentityArn, awsRegion, eventSourceARN}`; `data` is the base64 of the JSON text of the view's `data` | the `kinesis` fields and the other fields at the top level, `data` decoded and parsed |
//! | [`Source::Sqs`] | `{messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody, eventSource, eventSourceARN, awsRegion}`; `body` is the view's `body` as a string (a string that is not itself JSON text stays as it is, anything else becomes its JSON text) | the record, `body` parsed when it is JSON |
//! | [`Source::Kafka`] | `{topic, partition, offset, timestamp, timestampType, key, value, headers}`; `value` is base64 (plain strings as they are, as for SQS) | the record, `value` decoded and parsed when it is JSON |
//! | [`Source::Mq`] | `{messageID, messageType, deliveryMode, redelivered, destination, data, timestamp, brokerInTime, brokerOutTime}`; `data` as Kafka's `value` | the record, `data` decoded and parsed when it is JSON |
//! | [`Source::Raw`] | the view | the view |
//!
//! Fields of the view take the place of the envelope's (a view with `eventName` keeps its own),
//! other fields are kept (inside `kinesis` for Kinesis). A record always has its data property:
//! when the view has none it holds `{}`, which gives no leaf to any pattern. Envelope fields are
//! added only where the view has nothing, and the strategies built from patterns
//! ([`matching_records`], [`non_matching_records`], [`accepted_records`], [`dropped_records`])
//! also leave out every envelope field that a path of a pattern reaches, so that the verdict of
//! the record's view is the verdict of the generated view (a pattern that asks for
//! `{"eventSource": [{"exists": false}]}` gets records without `eventSource`). `md5OfBody` is the
//! real MD5 of the body.
//!
//! The verdict is the plain pattern verdict on the filter view. Lambda's rules for a data property
//! whose kind (JSON or plain text) differs from what the pattern expects (SPEC §4.5) are not
//! modelled: a non-matching view may, say, hold a JSON object in a Kafka `value` that the pattern
//! tests as a plain string, which Kafka's documented rule would evaluate on metadata only.
//!
//! ```
//! use eventsift::strategy::records::matching_records;
//! use eventsift::{Pattern, Source};
//! use proptest::strategy::{Strategy, ValueTree};
//! use proptest::test_runner::TestRunner;
//!
//! let filter = Pattern::new(r#"{"body": {"status": ["ok"]}}"#)?;
//! let record = matching_records(&filter, Source::Sqs).new_tree(&mut TestRunner::default()).unwrap().current();
//! let record: serde_json::Value = serde_json::from_str(&record).unwrap();
//! // The body is JSON text whose `status` is "ok" (perhaps inside arrays).
//! let body: serde_json::Value = serde_json::from_str(record["body"].as_str().unwrap()).unwrap();
//! assert!(body.to_string().contains(r#""ok""#));
//! assert_eq!(record["eventSource"], "aws:sqs");
//! # Ok::<(), eventsift::Error>(())
//! ```

use proptest::prelude::*;
use proptest::sample::select;

use super::events::{self, EventOptions};
use super::json::{join, Json};
use crate::{Pattern, Source};

/// Random envelope values of one record.
#[derive(Clone, Debug)]
struct Envelope {
    id: u128,
    sequence: u64,
    region: &'static str,
    account: u64,
    name: String,
    /// Epoch seconds.
    time: u64,
    partition: u32,
    event_name: &'static str,
}

fn envelope() -> BoxedStrategy<Envelope> {
    (
        any::<u128>(),
        0u64..1_000_000,
        select(vec!["us-east-1", "eu-west-1", "ap-southeast-2"]),
        100_000_000_000u64..1_000_000_000_000,
        "[a-z][a-z0-9-]{2,8}",
        1_600_000_000u64..1_800_000_000,
        0u32..8,
        select(vec!["INSERT", "MODIFY", "REMOVE"]),
    )
        .prop_map(|(id, sequence, region, account, name, time, partition, event_name)| Envelope {
            id,
            sequence,
            region,
            account,
            name,
            time,
            partition,
            event_name,
        })
        .boxed()
}

impl Envelope {
    fn uuid(&self) -> String {
        let h = format!("{:032x}", self.id);
        format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
    }

    fn sequence_number(&self) -> String {
        format!("4960{:016}{:020}", self.time, self.sequence)
    }

    fn millis(&self) -> u64 {
        self.time * 1000 + self.sequence % 1000
    }
}

/// Base64 (standard alphabet, with padding).
pub(crate) use crate::lambda::view::encode_base64 as base64;

/// MD5, hex-encoded (SQS's `md5OfBody`).
pub(crate) fn md5_hex(input: &[u8]) -> String {
    const S: [u32; 16] = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
    const K: [u32; 64] = [
        0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501, 0x698098d8,
        0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
        0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8, 0x21e1cde6, 0xc33707d6, 0xf4d50d87,
        0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
        0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039,
        0xe6db99e5, 0x1fa27cf8, 0xc4ac5665, 0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
        0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb,
        0xeb86d391,
    ];
    let mut message = input.to_vec();
    message.push(0x80);
    while message.len() % 64 != 56 {
        message.push(0);
    }
    message.extend_from_slice(&(input.len() as u64).wrapping_mul(8).to_le_bytes());
    let mut state: [u32; 4] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
    for block in message.chunks(64) {
        let m: Vec<u32> = block.chunks(4).map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]])).collect();
        let [mut a, mut b, mut c, mut d] = state;
        for i in 0..64 {
            let (f, g) = match i / 16 {
                0 => ((b & c) | (!b & d), i),
                1 => ((d & b) | (!d & c), (5 * i + 1) % 16),
                2 => (b ^ c ^ d, (3 * i + 5) % 16),
                _ => (c ^ (b | !d), (7 * i) % 16),
            };
            let f = f.wrapping_add(a).wrapping_add(K[i]).wrapping_add(m[g]);
            a = d;
            d = c;
            c = b;
            b = b.wrapping_add(f.rotate_left(S[(i / 16) * 4 + i % 4]));
        }
        for (s, v) in state.iter_mut().zip([a, b, c, d]) {
            *s = s.wrapping_add(v);
        }
    }
    state.iter().flat_map(|w| w.to_le_bytes()).map(|b| format!("{b:02x}")).collect()
}

/// Decides which envelope fields may be added: none where the view already has something, nor
/// where a pattern path would see it.
struct Room<'a> {
    taken: Vec<String>,
    avoid: &'a [String],
}

impl Room<'_> {
    fn free(&self, prefix: Option<&str>, key: &str) -> bool {
        let full = join(prefix, key);
        let below = format!("{full}.");
        !self.taken.iter().chain(self.avoid).any(|p| *p == full || p.starts_with(&below))
    }
}

/// The payload text of a data property: `{}` when the view has none; a string that is not itself
/// JSON text as it is when `plain_strings`; otherwise the JSON text of the value.
fn payload(value: Option<&Json>, plain_strings: bool) -> String {
    match value {
        None => "{}".to_string(),
        Some(v) => match v.as_str() {
            Some(s) if plain_strings && Json::parse(&s).is_none() => s,
            _ => v.text(),
        },
    }
}

/// Envelope defaults in record order; the data property's entry is computed from the view.
/// Fields of the view replace defaults of the same name; the view's other fields follow.
fn merge(
    view: &[(String, Json)],
    defaults: Vec<(&str, Json)>,
    data: Option<(&str, Option<Json>)>,
    prefix: Option<&str>,
    room: &Room<'_>,
) -> Vec<(String, Json)> {
    let get = |k: &str| view.iter().rev().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    let mut out = Vec::new();
    let mut named: Vec<&str> = Vec::new();
    for (k, default) in defaults {
        named.push(k);
        match get(k) {
            Some(v) => out.push((k.to_string(), v)),
            None if room.free(prefix, k) => out.push((k.to_string(), default)),
            None => {}
        }
    }
    if let Some((k, value)) = data {
        named.push(k);
        if let Some(v) = value {
            out.push((k.to_string(), v));
        }
    }
    out.extend(view.iter().filter(|(k, _)| !named.contains(&k.as_str())).cloned());
    out
}

fn s(text: &str) -> Json {
    Json::string(text)
}

fn n(value: impl std::fmt::Display) -> Json {
    Json::Raw(value.to_string())
}

/// The record of `source` whose filter view is `view`.
fn wrap(source: Source, view: &Json, env: &Envelope, avoid: &[String]) -> String {
    let Json::Object(members) = view else { return view.text() };
    let mut taken = Vec::new();
    view.paths(None, &mut taken);
    let room = Room { taken, avoid };
    let (region, account, name) = (env.region, env.account, &env.name);
    let get = |k: &str| view.get(k);
    let record = match source {
        Source::Raw => return view.text(),
        Source::DynamoDb => {
            let dynamodb_defaults = || {
                vec![
                    ("ApproximateCreationDateTime", n(env.time)),
                    (
                        "Keys",
                        Json::Object(vec![(
                            "id".into(),
                            Json::Object(vec![("S".into(), s(&format!("{name}-{}", env.sequence)))]),
                        )]),
                    ),
                    ("SequenceNumber", s(&env.sequence_number())),
                    ("SizeBytes", n(26 + env.sequence % 1000)),
                    ("StreamViewType", s("NEW_AND_OLD_IMAGES")),
                ]
            };
            let dynamodb = match get("dynamodb") {
                Some(Json::Object(inner)) => {
                    Some(Json::Object(merge(inner, dynamodb_defaults(), None, Some("dynamodb"), &room)))
                }
                Some(other) => Some(other.clone()),
                None if room.free(None, "dynamodb") => {
                    Some(Json::Object(merge(&[], dynamodb_defaults(), None, Some("dynamodb"), &room)))
                }
                None => None,
            };
            let defaults = vec![
                ("eventID", s(&format!("{:032x}", env.id))),
                ("eventName", s(env.event_name)),
                ("eventVersion", s("1.1")),
                ("eventSource", s("aws:dynamodb")),
                ("awsRegion", s(region)),
            ];
            let mut out = merge(members, defaults, Some(("dynamodb", dynamodb)), None, &room);
            let arn = format!("arn:aws:dynamodb:{region}:{account}:table/{name}/stream/2024-01-01T00:00:00.000");
            if get("eventSourceARN").is_none() && room.free(None, "eventSourceARN") {
                out.push(("eventSourceARN".into(), s(&arn)));
            }
            out
        }
        Source::Kinesis => {
            const TOP: [&str; 7] = [
                "eventSource",
                "eventVersion",
                "eventID",
                "eventName",
                "invokeIdentityArn",
                "awsRegion",
                "eventSourceARN",
            ];
            let (top, inner): (Vec<_>, Vec<_>) = members.iter().cloned().partition(|(k, _)| TOP.contains(&k.as_str()));
            let data = Json::string(&base64(payload(get("data"), false).as_bytes()));
            let kinesis = merge(
                &inner,
                vec![
                    ("kinesisSchemaVersion", s("1.0")),
                    ("partitionKey", s(&format!("pk-{}", env.partition))),
                    ("sequenceNumber", s(&env.sequence_number())),
                ],
                Some(("data", Some(data))),
                None,
                &room,
            );
            let mut kinesis = kinesis;
            if room.free(None, "approximateArrivalTimestamp") && get("approximateArrivalTimestamp").is_none() {
                kinesis.push((
                    "approximateArrivalTimestamp".into(),
                    n(format!("{}.{:03}", env.time, env.sequence % 1000)),
                ));
            }
            let defaults = vec![
                ("eventSource", s("aws:kinesis")),
                ("eventVersion", s("1.0")),
                ("eventID", s(&format!("shardId-000000000000:{}", env.sequence_number()))),
                ("eventName", s("aws:kinesis:record")),
                ("invokeIdentityArn", s(&format!("arn:aws:iam::{account}:role/lambda-role"))),
                ("awsRegion", s(region)),
                ("eventSourceARN", s(&format!("arn:aws:kinesis:{region}:{account}:stream/{name}"))),
            ];
            let mut out = vec![("kinesis".to_string(), Json::Object(kinesis))];
            out.extend(merge(&top, defaults, None, None, &room));
            out
        }
        Source::Sqs => {
            let body = payload(get("body"), true);
            let ms = env.millis().to_string();
            let attributes = Json::Object(vec![
                ("ApproximateReceiveCount".into(), s("1")),
                ("SentTimestamp".into(), s(&ms)),
                ("SenderId".into(), s(&format!("AIDA{:016X}", env.id as u64))),
                ("ApproximateFirstReceiveTimestamp".into(), s(&ms)),
            ]);
            let defaults = vec![
                ("messageId", s(&env.uuid())),
                ("receiptHandle", s(&format!("AQEB{}", base64(&env.id.to_le_bytes())))),
                ("attributes", attributes),
                ("messageAttributes", Json::Object(Vec::new())),
                ("md5OfBody", s(&md5_hex(body.as_bytes()))),
                ("eventSource", s("aws:sqs")),
                ("eventSourceARN", s(&format!("arn:aws:sqs:{region}:{account}:{name}"))),
                ("awsRegion", s(region)),
            ];
            let mut out = merge(members, defaults, Some(("body", Some(s(&body)))), None, &room);
            // Keep the usual order: the body after the receipt handle.
            if let Some(i) = out.iter().position(|(k, _)| k == "body") {
                let body = out.remove(i);
                let at = out.iter().position(|(k, _)| k == "receiptHandle").map_or(0, |j| j + 1);
                out.insert(at, body);
            }
            out
        }
        Source::Kafka => {
            let value = s(&base64(payload(get("value"), true).as_bytes()));
            let defaults = vec![
                ("topic", s(name)),
                ("partition", n(env.partition)),
                ("offset", n(env.sequence)),
                ("timestamp", n(env.millis())),
                ("timestampType", s("CREATE_TIME")),
                ("key", s(&base64(format!("key-{}", env.sequence).as_bytes()))),
                ("headers", Json::Array(Vec::new())),
            ];
            merge(members, defaults, Some(("value", Some(value))), None, &room)
        }
        Source::Mq => {
            let data = s(&base64(payload(get("data"), true).as_bytes()));
            let defaults = vec![
                (
                    "messageID",
                    s(&format!("ID:b-{}-1.mq.{region}.amazonaws.com-37557-1234520418293-4:1:1:1:1", env.uuid())),
                ),
                ("messageType", s("jms/text-message")),
                ("deliveryMode", n(1)),
                ("redelivered", Json::Raw("false".into())),
                ("destination", Json::Object(vec![("physicalName".into(), s(name))])),
                ("timestamp", n(env.millis())),
                ("brokerInTime", n(env.millis())),
                ("brokerOutTime", n(env.millis() + 1)),
            ];
            merge(members, defaults, Some(("data", Some(data))), None, &room)
        }
    };
    Json::Object(record).text()
}

/// The options for views that become records: data properties stay nested objects.
/// DynamoDB attribute values are scalars under their type keys (lists are spelled with `L`), so
/// DynamoDB views get no arrays; other payloads may hold arrays anywhere.
fn view_options(source: Source) -> EventOptions {
    EventOptions { dotted_keys: false, arrays: source != Source::DynamoDb, ..EventOptions::default() }
}

/// Records of `source` around one fixed filter view (JSON text of an object), with random
/// envelope values. Envelope fields are added only where the view has nothing.
///
/// # Panics
///
/// When `view` is not the JSON text of an object.
///
/// ```
/// use eventsift::strategy::records::records;
/// use eventsift::Source;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let strategy = records(Source::Kinesis, r#"{"data": {"order": {"type": "buy"}}, "partitionKey": "p1"}"#);
/// let record = strategy.new_tree(&mut TestRunner::default()).unwrap().current();
/// let record: serde_json::Value = serde_json::from_str(&record).unwrap();
/// assert_eq!(record["kinesis"]["partitionKey"], "p1");
/// assert_eq!(record["kinesis"]["data"], "eyJvcmRlciI6IHsidHlwZSI6ICJidXkifX0="); // {"order": {"type": "buy"}}
/// assert_eq!(record["eventSource"], "aws:kinesis");
/// ```
pub fn records(source: Source, view: &str) -> BoxedStrategy<String> {
    let view = match Json::parse(view) {
        Some(v @ Json::Object(_)) => v,
        _ => panic!("records: the view must be the JSON text of an object: {view}"),
    };
    envelope().prop_map(move |env| wrap(source, &view, &env, &[])).boxed()
}

/// Records of `source` whose filter view matches `pattern` (views from
/// [`try_matching_events`](super::try_matching_events), without gratuitous dotted keys).
///
/// # Panics
///
/// When no event matches the pattern (see [`matching_events`](super::matching_events)).
pub fn matching_records(pattern: &Pattern, source: Source) -> BoxedStrategy<String> {
    accepted_records(std::slice::from_ref(pattern), source)
}

/// Records of `source` whose filter view does not match `pattern`.
///
/// # Panics
///
/// When every event matches the pattern (see [`non_matching_events`](super::non_matching_events)).
pub fn non_matching_records(pattern: &Pattern, source: Source) -> BoxedStrategy<String> {
    dropped_records(std::slice::from_ref(pattern), source)
}

/// Records that a Lambda `FilterCriteria` with these filters delivers: the filter view matches at
/// least one of them (SPEC §4.2).
///
/// # Panics
///
/// When no event matches any of the filters.
///
/// ```
/// use eventsift::strategy::records::{accepted_records, dropped_records};
/// use eventsift::{Dialect, Pattern, Source};
/// use proptest::prelude::*;
///
/// let lambda = |text| Pattern::builder().dialect(Dialect::LambdaEsm).build(text).unwrap();
/// let filters = [
///     lambda(r#"{"eventName": ["INSERT"]}"#),
///     lambda(r#"{"dynamodb": {"NewImage": {"status": {"S": ["active"]}}}}"#),
/// ];
/// proptest!(ProptestConfig::with_cases(32), |(record in accepted_records(&filters, Source::DynamoDb))| {
///     // A DynamoDB record is its own filter view.
///     prop_assert!(filters.iter().any(|f| f.matches(&record).unwrap()), "{}", record);
/// });
/// proptest!(ProptestConfig::with_cases(32), |(record in dropped_records(&filters, Source::DynamoDb))| {
///     prop_assert!(filters.iter().all(|f| !f.matches(&record).unwrap()), "{}", record);
/// });
/// ```
pub fn accepted_records(filters: &[Pattern], source: Source) -> BoxedStrategy<String> {
    let views =
        events::matching(filters, &view_options(source)).expect("accepted_records: no event matches the filters");
    around(views, filters, source)
}

/// Records that a Lambda `FilterCriteria` with these filters drops: the filter view matches none
/// of them.
///
/// # Panics
///
/// When every event matches one of the filters.
pub fn dropped_records(filters: &[Pattern], source: Source) -> BoxedStrategy<String> {
    let views =
        events::non_matching(filters, &view_options(source)).expect("dropped_records: every event matches a filter");
    around(views, filters, source)
}

/// [`accepted_records`], or `None` when no event matches any of the filters.
pub fn try_accepted_records(filters: &[Pattern], source: Source) -> Option<BoxedStrategy<String>> {
    Some(around(events::matching(filters, &view_options(source))?, filters, source))
}

/// [`dropped_records`], or `None` when every event matches one of the filters.
pub fn try_dropped_records(filters: &[Pattern], source: Source) -> Option<BoxedStrategy<String>> {
    Some(around(events::non_matching(filters, &view_options(source))?, filters, source))
}

fn around(views: BoxedStrategy<String>, filters: &[Pattern], source: Source) -> BoxedStrategy<String> {
    let avoid: Vec<String> = filters.iter().flat_map(|f| f.paths().map(str::to_string)).collect();
    (views, envelope())
        .prop_map(move |(view, env)| {
            let view = Json::parse(&view).expect("generated views are JSON");
            wrap(source, &view, &env, &avoid)
        })
        .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_vectors() {
        for (input, expected) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), expected);
        }
        assert_eq!(base64(&[0xff, 0xfe, 0x00]), "//4A");
    }

    #[test]
    fn md5_vectors() {
        assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(md5_hex(b"abc"), "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(md5_hex(b"The quick brown fox jumps over the lazy dog"), "9e107d9d372bb6826bd81d3542a419d6");
        assert_eq!(md5_hex(&[b'a'; 64]), "014842d480b571495a4a0363793f7367");
    }
}
