//! Stream records as the SDK returns them → the records of a Lambda invocation event (SPEC §5, §6),
//! as JSON text. Field order follows the records Lambda delivers; attribute maps are written with
//! their names sorted, so the same record always gives the same text.

use aws_sdk_dynamodbstreams::types as ddb;
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types as kds;
use std::collections::HashMap;

use base64::Engine as _;
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use crate::lambda::kinesis::{push_key, push_str};
use crate::lambda::KinesisFields;

/// The principal of the deletes that DynamoDB's Time to Live makes (SPEC §5.1 `userIdentity`).
pub const TTL_PRINCIPAL: &str = "dynamodb.amazonaws.com";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Epoch seconds as a JSON number: an integer when whole (as Lambda writes
/// `ApproximateCreationDateTime`), else a float.
fn seconds(t: &DateTime) -> Value {
    if t.subsec_nanos() == 0 {
        Value::from(t.secs())
    } else {
        serde_json::Number::from_f64(t.as_secs_f64()).map(Value::Number).unwrap_or_else(|| Value::from(t.secs()))
    }
}

/// An `AttributeValue` serialised straight into the output, without an intermediate
/// `serde_json::Value` tree.
struct Attr<'a>(&'a ddb::AttributeValue);

/// An item (attribute name → value), names sorted.
struct Item<'a>(&'a HashMap<String, ddb::AttributeValue>);

impl Serialize for Item<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(&String, &ddb::AttributeValue)> = self.0.iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            m.serialize_entry(k, &Attr(v))?;
        }
        m.end()
    }
}

impl Serialize for Attr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        match self.0 {
            ddb::AttributeValue::S(v) => m.serialize_entry("S", v)?,
            ddb::AttributeValue::N(v) => m.serialize_entry("N", v)?,
            ddb::AttributeValue::B(b) => m.serialize_entry("B", &b64(b.as_ref()))?,
            ddb::AttributeValue::Ss(v) => m.serialize_entry("SS", v)?,
            ddb::AttributeValue::Ns(v) => m.serialize_entry("NS", v)?,
            ddb::AttributeValue::Bs(v) => {
                m.serialize_entry("BS", &v.iter().map(|b| b64(b.as_ref())).collect::<Vec<_>>())?
            }
            ddb::AttributeValue::L(v) => m.serialize_entry("L", &v.iter().map(Attr).collect::<Vec<_>>())?,
            ddb::AttributeValue::M(map) => m.serialize_entry("M", &Item(map))?,
            ddb::AttributeValue::Null(b) => m.serialize_entry("NULL", b)?,
            ddb::AttributeValue::Bool(b) => m.serialize_entry("BOOL", b)?,
            // A type added to the service after this SDK was built: nothing to write faithfully.
            _ => m.serialize_entry("NULL", &true)?,
        }
        m.end()
    }
}

/// Appends the JSON of `value` (serde_json cannot fail on these types: string keys, no floats).
fn push_json(out: &mut String, value: &impl Serialize) {
    match serde_json::to_string(value) {
        Ok(text) => out.push_str(&text),
        Err(_) => out.push_str("null"),
    }
}

/// A DynamoDB `AttributeValue` as the JSON of stream records: `{"S": ..}`, `{"N": ".."}`,
/// `{"B": base64}`, `SS`/`NS`/`BS`, `L`, `M`, `{"NULL": true}`, `{"BOOL": ..}`.
pub fn attribute_value(value: &ddb::AttributeValue) -> Value {
    serde_json::to_value(Attr(value)).unwrap_or(Value::Null)
}

/// An item (attribute name → value) as stream-record JSON, names sorted.
pub fn attribute_map(map: &HashMap<String, ddb::AttributeValue>) -> Map<String, Value> {
    match serde_json::to_value(Item(map)) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// A DynamoDB Streams record (from `GetRecords`) as the record a Lambda function receives:
/// `eventID`, `eventName`, `eventVersion`, `eventSource`, `awsRegion`, `dynamodb`
/// (`ApproximateCreationDateTime` in epoch seconds as a number, `Keys`, `NewImage`, `OldImage`,
/// `SequenceNumber`, `SizeBytes`, `StreamViewType`), `eventSourceARN` and, for TTL deletes,
/// `userIdentity`. `region` is used when the record carries no `awsRegion`.
///
/// ```
/// use aws_sdk_dynamodbstreams::types::{AttributeValue, OperationType, Record, StreamRecord};
/// use eventsift::streams::convert::dynamodb_record;
///
/// let record = Record::builder()
///     .event_id("e1")
///     .event_name(OperationType::Insert)
///     .dynamodb(
///         StreamRecord::builder()
///             .keys("pk", AttributeValue::S("order#1".into()))
///             .new_image("pk", AttributeValue::S("order#1".into()))
///             .new_image("total", AttributeValue::N("42".into()))
///             .sequence_number("100")
///             .size_bytes(26)
///             .build(),
///     )
///     .build();
/// let json = dynamodb_record(&record, "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/L", "us-east-1");
/// assert!(json.contains(r#""NewImage":{"pk":{"S":"order#1"},"total":{"N":"42"}}"#));
/// assert!(json.contains(r#""eventSource":"aws:dynamodb""#));
/// ```
pub fn dynamodb_record(record: &ddb::Record, stream_arn: &str, region: &str) -> String {
    let mut out = String::with_capacity(512);
    out.push('{');
    push_key(&mut out, "eventID");
    push_str(&mut out, record.event_id().unwrap_or_default());
    out.push(',');
    push_key(&mut out, "eventName");
    push_str(&mut out, record.event_name().map(|n| n.as_str()).unwrap_or_default());
    out.push(',');
    push_key(&mut out, "eventVersion");
    push_str(&mut out, record.event_version().unwrap_or("1.1"));
    out.push(',');
    push_key(&mut out, "eventSource");
    push_str(&mut out, record.event_source().unwrap_or("aws:dynamodb"));
    out.push(',');
    push_key(&mut out, "awsRegion");
    push_str(&mut out, record.aws_region().unwrap_or(region));
    out.push(',');
    push_key(&mut out, "dynamodb");
    out.push('{');
    if let Some(d) = record.dynamodb() {
        let mut first = true;
        let mut key = |out: &mut String, key: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            push_key(out, key);
        };
        if let Some(t) = d.approximate_creation_date_time() {
            key(&mut out, "ApproximateCreationDateTime");
            out.push_str(&seconds(t).to_string());
        }
        for (name, image) in [("Keys", d.keys()), ("NewImage", d.new_image()), ("OldImage", d.old_image())] {
            if let Some(i) = image {
                key(&mut out, name);
                push_json(&mut out, &Item(i));
            }
        }
        if let Some(s) = d.sequence_number() {
            key(&mut out, "SequenceNumber");
            push_str(&mut out, s);
        }
        if let Some(n) = d.size_bytes() {
            key(&mut out, "SizeBytes");
            out.push_str(&n.to_string());
        }
        if let Some(t) = d.stream_view_type() {
            key(&mut out, "StreamViewType");
            push_str(&mut out, t.as_str());
        }
    }
    out.push_str("},");
    push_key(&mut out, "eventSourceARN");
    push_str(&mut out, stream_arn);
    if let Some(who) = record.user_identity() {
        out.push(',');
        push_key(&mut out, "userIdentity");
        let mut m = Map::new();
        if let Some(t) = who.r#type() {
            m.insert("type".into(), Value::from(t));
        }
        if let Some(p) = who.principal_id() {
            m.insert("principalId".into(), Value::from(p));
        }
        out.push_str(&Value::Object(m).to_string());
    }
    out.push('}');
    out
}

/// A Kinesis record (from `GetRecords`) of shard `shard_id` as the record a Lambda function
/// receives: `kinesis` (`kinesisSchemaVersion` "1.0", `partitionKey`, `sequenceNumber`, `data` in
/// base64, `approximateArrivalTimestamp` in epoch seconds with milliseconds), `eventSource`
/// "aws:kinesis", `eventVersion` "1.0", `eventID` `shardId-…:sequence`, `eventName`
/// "aws:kinesis:record", `awsRegion` and `eventSourceARN`.
///
/// ```
/// use aws_sdk_kinesis::primitives::{Blob, DateTime};
/// use aws_sdk_kinesis::types::Record;
/// use eventsift::streams::convert::kinesis_record;
///
/// let record = Record::builder()
///     .sequence_number("49590338271490256608559692538361571095921575989136588898")
///     .partition_key("device-7")
///     .data(Blob::new(r#"{"temp": 21}"#))
///     .approximate_arrival_timestamp(DateTime::from_millis(1_545_084_650_987))
///     .build()?;
/// let json = kinesis_record(&record, "shardId-000000000006", "arn:aws:kinesis:us-east-1:123456789012:stream/s", "us-east-1");
/// assert!(json.starts_with(r#"{"kinesis":{"kinesisSchemaVersion":"1.0","partitionKey":"device-7","#));
/// assert!(json.contains(r#""data":"eyJ0ZW1wIjogMjF9","approximateArrivalTimestamp":1545084650.987}"#));
/// assert!(json.contains(r#""eventID":"shardId-000000000006:49590338271490256608559692538361571095921575989136588898""#));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn kinesis_record(record: &kds::Record, shard_id: &str, stream_arn: &str, region: &str) -> String {
    let event_id = format!("{shard_id}:{}", record.sequence_number());
    kinesis_fields(record, &event_id, stream_arn, region).to_json()
}

/// The fields of [`kinesis_record`]'s record (`event_id` is `shardId-…:sequence`), for a filter to
/// decide on without the text ([`Filter::evaluate_kinesis`](crate::lambda::Filter::evaluate_kinesis)).
pub fn kinesis_fields<'a>(
    record: &'a kds::Record,
    event_id: &'a str,
    stream_arn: &'a str,
    region: &'a str,
) -> KinesisFields<'a> {
    KinesisFields {
        partition_key: record.partition_key().unwrap_or_default(),
        sequence_number: record.sequence_number(),
        data: record.data().as_ref(),
        approximate_arrival_timestamp: record.approximate_arrival_timestamp().map(arrival_seconds),
        encryption_type: record.encryption_type().map(|e| e.as_str()).filter(|e| *e != "NONE"),
        event_id,
        aws_region: region,
        event_source_arn: stream_arn,
    }
}

/// `approximateArrivalTimestamp` in seconds, to the millisecond, as Kinesis keeps it:
/// 1545084650.987.
pub(crate) fn arrival_seconds(t: &DateTime) -> f64 {
    let millis = t.to_millis().unwrap_or(t.secs().saturating_mul(1000));
    millis as f64 / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodbstreams::primitives::Blob;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn every_attribute_type() {
        let mut m = HashMap::new();
        m.insert("n".to_string(), ddb::AttributeValue::N("1.50".into()));
        let v = ddb::AttributeValue::L(vec![
            ddb::AttributeValue::S("a\"b".into()),
            ddb::AttributeValue::B(Blob::new(vec![0u8, 255])),
            ddb::AttributeValue::Ss(vec!["x".into(), "y".into()]),
            ddb::AttributeValue::Ns(vec!["1".into(), "2e3".into()]),
            ddb::AttributeValue::Bs(vec![Blob::new("hi")]),
            ddb::AttributeValue::M(m),
            ddb::AttributeValue::Null(true),
            ddb::AttributeValue::Bool(false),
        ]);
        assert_eq!(
            attribute_value(&v).to_string(),
            r#"{"L":[{"S":"a\"b"},{"B":"AP8="},{"SS":["x","y"]},{"NS":["1","2e3"]},{"BS":["aGk="]},{"M":{"n":{"N":"1.50"}}},{"NULL":true},{"BOOL":false}]}"#
        );
    }

    #[test]
    fn ttl_delete_carries_user_identity() {
        let record = ddb::Record::builder()
            .event_id("e9")
            .event_name(ddb::OperationType::Remove)
            .event_version("1.1")
            .aws_region("eu-west-1")
            .user_identity(ddb::Identity::builder().r#type("Service").principal_id(TTL_PRINCIPAL).build())
            .dynamodb(
                ddb::StreamRecord::builder()
                    .approximate_creation_date_time(DateTime::from_secs(1_700_000_000))
                    .keys("pk", ddb::AttributeValue::S("k".into()))
                    .old_image("pk", ddb::AttributeValue::S("k".into()))
                    .sequence_number("300")
                    .size_bytes(12)
                    .stream_view_type(ddb::StreamViewType::NewAndOldImages)
                    .build(),
            )
            .build();
        let text = dynamodb_record(&record, "arn:s", "us-east-1");
        assert_eq!(
            text,
            r#"{"eventID":"e9","eventName":"REMOVE","eventVersion":"1.1","eventSource":"aws:dynamodb","awsRegion":"eu-west-1","dynamodb":{"ApproximateCreationDateTime":1700000000,"Keys":{"pk":{"S":"k"}},"OldImage":{"pk":{"S":"k"}},"SequenceNumber":"300","SizeBytes":12,"StreamViewType":"NEW_AND_OLD_IMAGES"},"eventSourceARN":"arn:s","userIdentity":{"principalId":"dynamodb.amazonaws.com","type":"Service"}}"#
        );
        // The documented TTL filter (SPEC §5.4) keeps it.
        let filter = crate::lambda::Filter::new(
            r#"{"Filters":[{"Pattern":"{\"userIdentity\":{\"type\":[\"Service\"],\"principalId\":[\"dynamodb.amazonaws.com\"]}}"}]}"#,
            crate::Source::DynamoDb,
        )
        .unwrap();
        assert!(filter.matches(&text).unwrap());
        // Numeric filters work on the creation time, a JSON number.
        let v = parse(&text);
        assert_eq!(v["dynamodb"]["ApproximateCreationDateTime"], 1_700_000_000);
    }

    #[test]
    fn fractional_creation_time_is_a_float() {
        let record = ddb::Record::builder()
            .dynamodb(
                ddb::StreamRecord::builder()
                    .approximate_creation_date_time(DateTime::from_secs_f64(1_700_000_000.25))
                    .build(),
            )
            .build();
        let v = parse(&dynamodb_record(&record, "a", "r"));
        assert_eq!(v["dynamodb"]["ApproximateCreationDateTime"].as_f64(), Some(1_700_000_000.25));
        assert_eq!(v["awsRegion"], "r");
    }

    #[test]
    fn kinesis_data_is_base64_and_filterable() {
        let record = kds::Record::builder()
            .sequence_number("7")
            .partition_key("p\"k")
            .data(aws_sdk_kinesis::primitives::Blob::new(r#"{"order":{"type":"buy"}}"#))
            .build()
            .unwrap();
        let text = kinesis_record(&record, "shardId-000000000001", "arn:k", "us-east-1");
        let v = parse(&text);
        assert_eq!(v["kinesis"]["partitionKey"], "p\"k");
        assert_eq!(v["eventID"], "shardId-000000000001:7");
        assert!(v["kinesis"].get("approximateArrivalTimestamp").is_none());
        let filter = crate::lambda::Filter::new(
            r#"{"Filters":[{"Pattern":"{\"data\":{\"order\":{\"type\":[\"buy\"]}}}"}]}"#,
            crate::Source::Kinesis,
        )
        .unwrap();
        assert!(filter.matches(&text).unwrap());
    }
}
