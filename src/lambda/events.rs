//! Interop with the `aws_lambda_events` crate (feature `aws_lambda_events`): filter the typed
//! records a Rust Lambda function or consumer already holds.
//!
//! The typed structs cannot be re-serialised faithfully for filtering: a missing `NewImage` or
//! `OldImage` deserialises to an empty map and a missing `userIdentity` to `None`, which
//! `Serialize` writes back as `{}` and `null` — changing the verdicts of `exists: false` and
//! `[null]`. So each record's filter view is built here field by field: empty images and absent
//! optional fields are left out, as they are in the records Lambda delivers.

use aws_lambda_events::event::{dynamodb, kinesis, sqs};
use serde_json::{Map, Value};

use super::filter::Filter;
use super::Source;
use crate::error::{Error, ErrorKind, Span};

/// A typed Lambda record that a [`Filter`] can decide on.
pub trait LambdaRecord {
    /// The event source the record comes from.
    const SOURCE: Source;

    /// The record as Lambda delivers it (JSON), with absent fields left out.
    fn to_record_value(&self) -> Value;
}

fn put(map: &mut Map<String, Value>, key: &str, value: Option<impl Into<Value>>) {
    if let Some(v) = value {
        map.insert(key.to_string(), v.into());
    }
}

/// An attribute map (`Keys`, `NewImage`, `OldImage`) in DynamoDB's JSON form (`{"S": "..."}`).
macro_rules! item {
    ($item:expr) => {
        Value::Object($item.iter().map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or(Value::Null))).collect())
    };
}

use super::view::encode_base64 as base64;

/// Epoch seconds as a JSON number (with milliseconds when there are any).
fn seconds(secs: i64, millis: u32) -> Value {
    if millis == 0 {
        Value::from(secs)
    } else {
        serde_json::Number::from_f64(secs as f64 + millis as f64 / 1000.0).map_or(Value::from(secs), Value::Number)
    }
}

impl LambdaRecord for dynamodb::EventRecord {
    const SOURCE: Source = Source::DynamoDb;

    fn to_record_value(&self) -> Value {
        let mut r = Map::new();
        r.insert("eventID".into(), self.event_id.clone().into());
        r.insert("eventName".into(), self.event_name.clone().into());
        put(&mut r, "eventVersion", self.event_version.clone());
        put(&mut r, "eventSource", self.event_source.clone());
        r.insert("awsRegion".into(), self.aws_region.clone().into());
        put(&mut r, "eventSourceARN", self.event_source_arn.clone());
        if let Some(u) = &self.user_identity {
            let mut m = Map::new();
            m.insert("type".into(), u.type_.clone().into());
            m.insert("principalId".into(), u.principal_id.clone().into());
            r.insert("userIdentity".into(), Value::Object(m));
        }
        put(&mut r, "recordFormat", self.record_format.clone());
        put(&mut r, "tableName", self.table_name.clone());
        let c = &self.change;
        let mut d = Map::new();
        let t = &c.approximate_creation_date_time;
        d.insert("ApproximateCreationDateTime".into(), seconds(t.timestamp(), t.timestamp_subsec_millis()));
        d.insert("Keys".into(), item!(c.keys));
        if !c.new_image.is_empty() {
            d.insert("NewImage".into(), item!(c.new_image));
        }
        if !c.old_image.is_empty() {
            d.insert("OldImage".into(), item!(c.old_image));
        }
        put(&mut d, "SequenceNumber", c.sequence_number.clone());
        d.insert("SizeBytes".into(), c.size_bytes.into());
        put(&mut d, "StreamViewType", c.stream_view_type.as_ref().map(|v| v.to_string()));
        r.insert("dynamodb".into(), Value::Object(d));
        Value::Object(r)
    }
}

impl LambdaRecord for kinesis::KinesisEventRecord {
    const SOURCE: Source = Source::Kinesis;

    fn to_record_value(&self) -> Value {
        let k = &self.kinesis;
        let mut inner = Map::new();
        put(&mut inner, "kinesisSchemaVersion", k.kinesis_schema_version.clone());
        inner.insert("partitionKey".into(), k.partition_key.clone().into());
        inner.insert("sequenceNumber".into(), k.sequence_number.clone().into());
        inner.insert("data".into(), base64(&k.data.0).into());
        let t = &k.approximate_arrival_timestamp.0;
        inner.insert("approximateArrivalTimestamp".into(), seconds(t.timestamp(), t.timestamp_subsec_millis()));
        let mut r = Map::new();
        r.insert("kinesis".into(), Value::Object(inner));
        put(&mut r, "eventSource", self.event_source.clone());
        put(&mut r, "eventVersion", self.event_version.clone());
        put(&mut r, "eventID", self.event_id.clone());
        put(&mut r, "eventName", self.event_name.clone());
        put(&mut r, "invokeIdentityArn", self.invoke_identity_arn.clone());
        put(&mut r, "awsRegion", self.aws_region.clone());
        put(&mut r, "eventSourceARN", self.event_source_arn.clone());
        Value::Object(r)
    }
}

impl LambdaRecord for sqs::SqsMessage {
    const SOURCE: Source = Source::Sqs;

    fn to_record_value(&self) -> Value {
        let mut r = Map::new();
        put(&mut r, "messageId", self.message_id.clone());
        put(&mut r, "receiptHandle", self.receipt_handle.clone());
        put(&mut r, "body", self.body.clone());
        put(&mut r, "md5OfBody", self.md5_of_body.clone());
        put(&mut r, "md5OfMessageAttributes", self.md5_of_message_attributes.clone());
        let attributes: Map<String, Value> =
            self.attributes.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
        r.insert("attributes".into(), Value::Object(attributes));
        let mut attrs = Map::new();
        for (name, a) in &self.message_attributes {
            let mut m = Map::new();
            put(&mut m, "stringValue", a.string_value.clone());
            put(&mut m, "binaryValue", a.binary_value.as_ref().map(|b| base64(&b.0)));
            m.insert("stringListValues".into(), a.string_list_values.clone().into());
            m.insert(
                "binaryListValues".into(),
                a.binary_list_values.iter().map(|b| base64(&b.0)).collect::<Vec<_>>().into(),
            );
            put(&mut m, "dataType", a.data_type.clone());
            attrs.insert(name.clone(), Value::Object(m));
        }
        r.insert("messageAttributes".into(), Value::Object(attrs));
        put(&mut r, "eventSourceARN", self.event_source_arn.clone());
        put(&mut r, "eventSource", self.event_source.clone());
        put(&mut r, "awsRegion", self.aws_region.clone());
        Value::Object(r)
    }
}

impl Filter {
    /// Does Lambda deliver this typed record? The filter must have been compiled for the
    /// record's source.
    ///
    /// ```
    /// use aws_lambda_events::event::dynamodb;
    /// use eventsift::lambda::Filter;
    /// use eventsift::Source;
    ///
    /// let filter = Filter::new(
    ///     r#"{"Filters": [{"Pattern": "{\"dynamodb\": {\"OldImage\": [{\"exists\": false}]}}"}]}"#,
    ///     Source::DynamoDb,
    /// )?;
    /// let event: dynamodb::Event = serde_json::from_str(
    ///     r#"{"Records": [{"eventID": "1", "eventName": "INSERT", "awsRegion": "eu-west-1",
    ///        "dynamodb": {"ApproximateCreationDateTime": 1700000000, "Keys": {"id": {"S": "a"}},
    ///                     "NewImage": {"id": {"S": "a"}}, "SizeBytes": 10}}]}"#,
    /// ).unwrap();
    /// // No OldImage on an INSERT: `exists: false` holds (re-serialising would write `"OldImage": {}`).
    /// assert!(filter.matches_record(&event.records[0])?);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn matches_record<R: LambdaRecord>(&self, record: &R) -> Result<bool, Error> {
        if self.source() != R::SOURCE {
            let reason = format!("a {} record given to a filter compiled for {}", R::SOURCE, self.source());
            return Err(Error::new(ErrorKind::InvalidRecord, Span::default(), reason, ""));
        }
        self.matches_value(&record.to_record_value())
    }

    /// Keeps in `records` only those Lambda would deliver, in order, and returns the others (so
    /// that nothing is lost: a consumer can acknowledge or log them). A record that cannot be
    /// decided (too deeply nested, say) is returned with the dropped ones.
    pub fn retain<R: LambdaRecord>(&self, records: &mut Vec<R>) -> Result<Vec<R>, Error> {
        if self.source() != R::SOURCE {
            let reason = format!("{} records given to a filter compiled for {}", R::SOURCE, self.source());
            return Err(Error::new(ErrorKind::InvalidRecord, Span::default(), reason, ""));
        }
        let mut dropped = Vec::new();
        let mut kept = Vec::with_capacity(records.len());
        for r in records.drain(..) {
            if self.matches_value(&r.to_record_value()).unwrap_or(false) {
                kept.push(r);
            } else {
                dropped.push(r);
            }
        }
        *records = kept;
        Ok(dropped)
    }
}
