//! Batch filtering: a Lambda invocation event in, the event the function would receive out (same
//! shape, same order, kept records byte for byte), plus what was dropped and why.

use std::ops::Range;

use super::filter::{Filter, Scratch};
use super::scan::{MemberRef, Scanner};
use super::view::Payload;
use super::Source;
use crate::error::{Error, ErrorKind};

/// The keys under which invocation events carry their records: `Records` (DynamoDB, Kinesis, SQS),
/// `records` (Kafka, grouped by topic-partition), `messages` (ActiveMQ), `rmqMessagesByQueue`
/// (RabbitMQ, grouped by queue).
const CONTAINERS: [&str; 4] = ["Records", "records", "messages", "rmqMessagesByQueue"];

/// Why a record was dropped.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum DropReason {
    /// No filter matched. `payload` tells what the data property was (a JSON pattern never matches
    /// a payload that is not JSON, see [`Mismatch`](super::Mismatch)).
    NoMatch {
        /// The data property's kind.
        payload: Payload,
    },
    /// The record is malformed (not a JSON object, invalid JSON where the filters read, a data
    /// property that is not a string...). Lambda never delivers such a record to a filter.
    Invalid(Error),
}

/// A record the function would not receive.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Dropped {
    /// Position of the record in the batch (counting across groups, in document order).
    pub index: usize,
    /// The record's id: DynamoDB and Kinesis `eventID`, SQS `messageId`, Kafka
    /// `<topic>-<partition>@<offset>`, MQ `messageID` (or `basicProperties.messageId`); `None`
    /// when the record has none.
    pub id: Option<String>,
    /// The Kafka topic-partition or RabbitMQ queue the record was grouped under.
    pub group: Option<String>,
    /// Why it was dropped.
    pub reason: DropReason,
}

/// The result of [`Filter::filter_batch`].
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct BatchOutcome {
    /// The invocation event the function would receive: the input with the dropped records
    /// removed (and Kafka/RabbitMQ groups left empty removed). Kept records are byte-identical.
    pub event: String,
    /// Number of records kept.
    pub kept: usize,
    /// The records dropped, in batch order.
    pub dropped: Vec<Dropped>,
}

impl BatchOutcome {
    /// Does the function get invoked at all? (Lambda does not invoke it for an empty batch.)
    pub fn invokes(&self) -> bool {
        self.kept > 0
    }

    /// Number of records in the input batch.
    pub fn total(&self) -> usize {
        self.kept + self.dropped.len()
    }
}

/// Reusable buffers for batch filtering.
#[derive(Default, Debug)]
pub struct BatchScratch {
    records: Scratch,
    kept: Vec<Range<usize>>,
    /// Per group: key token range and the end (exclusive) of its kept records in `kept`.
    groups: Vec<(Range<usize>, usize)>,
    /// The payload kind of the last record dropped.
    payload: Payload,
}

impl Filter {
    /// Filters a Lambda invocation event (JSON text): DynamoDB, Kinesis and SQS `{"Records": [...]}`,
    /// Kafka `{"records": {"topic-0": [...]}}`, ActiveMQ `{"messages": [...]}`, RabbitMQ
    /// `{"rmqMessagesByQueue": {...}}`. A malformed record is dropped with
    /// [`DropReason::Invalid`]; a malformed batch (not an object, no list of records, broken
    /// structure) is an [`ErrorKind::InvalidBatch`] error.
    ///
    /// ```
    /// use eventsift::lambda::Filter;
    /// use eventsift::Source;
    ///
    /// let filter = Filter::new(r#"{"Filters": [{"Pattern": "{\"eventName\": [\"INSERT\"]}"}]}"#, Source::DynamoDb)?;
    /// let out = filter.filter_batch(
    ///     r#"{"Records": [{"eventID": "1", "eventName": "INSERT"}, {"eventID": "2", "eventName": "REMOVE"}]}"#,
    /// )?;
    /// assert_eq!(out.event, r#"{"Records": [{"eventID": "1", "eventName": "INSERT"}]}"#);
    /// assert_eq!(out.dropped[0].id.as_deref(), Some("2"));
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn filter_batch(&self, event: &str) -> Result<BatchOutcome, Error> {
        let mut out = BatchOutcome::default();
        let mut scratch = BatchScratch::default();
        self.filter_batch_into(event, &mut scratch, &mut out)?;
        Ok(out)
    }

    /// [`filter_batch`](Self::filter_batch) into reused buffers: after the first batches, only
    /// dropped records allocate (their ids).
    pub fn filter_batch_into(
        &self,
        event: &str,
        scratch: &mut BatchScratch,
        out: &mut BatchOutcome,
    ) -> Result<(), Error> {
        out.event.clear();
        out.kept = 0;
        out.dropped.clear();
        scratch.kept.clear();
        scratch.groups.clear();
        let mut s = Scanner::new(event, 0, ErrorKind::InvalidBatch);
        s.start();
        if s.peek() != Some(b'{') {
            return Err(s.unexpected("an invocation event (a JSON object)"));
        }
        s.pos += 1;
        // The first member named like a list of records is filtered in place; the rest is skipped.
        let mut container: Option<Range<usize>> = None;
        let mut index = 0usize;
        s.ws();
        if s.peek() == Some(b'}') {
            s.pos += 1;
        } else {
            loop {
                s.ws();
                if s.peek() != Some(b'"') {
                    return Err(s.unexpected("a double-quoted field name"));
                }
                let key_start = s.pos;
                s.string()?;
                let key = MemberRef { key: key_start..s.pos, value: 0..0 };
                s.ws();
                if s.peek() != Some(b':') {
                    return Err(s.unexpected("':'"));
                }
                s.pos += 1;
                s.ws();
                if container.is_none() && CONTAINERS.iter().any(|c| key.is(event, c)) {
                    let start = s.pos;
                    match s.peek() {
                        Some(b'[') => self.records(&mut s, None, &mut index, scratch, out)?,
                        Some(b'{') => self.groups(&mut s, &mut index, scratch, out)?,
                        _ => return Err(s.error(start, "the records must be an array, or an object of arrays")),
                    }
                    container = Some(start..s.pos);
                } else {
                    s.value()?;
                }
                s.ws();
                match s.peek() {
                    Some(b',') => s.pos += 1,
                    Some(b'}') => {
                        s.pos += 1;
                        break;
                    }
                    _ => return Err(s.unexpected("',' or '}'")),
                }
            }
        }
        s.end()?;
        let Some(range) = container else {
            return Err(
                s.error(0, "no records: expected \"Records\", \"records\", \"messages\" or \"rmqMessagesByQueue\"")
            );
        };
        out.kept = scratch.kept.len();
        write_output(event, range, scratch, &mut out.event);
        Ok(())
    }

    /// Filters the groups (Kafka topic-partitions, RabbitMQ queues) of the object at the cursor.
    fn groups(
        &self,
        s: &mut Scanner<'_>,
        index: &mut usize,
        scratch: &mut BatchScratch,
        out: &mut BatchOutcome,
    ) -> Result<(), Error> {
        s.pos += 1;
        s.ws();
        if s.peek() == Some(b'}') {
            s.pos += 1;
            return Ok(());
        }
        loop {
            s.ws();
            if s.peek() != Some(b'"') {
                return Err(s.unexpected("a double-quoted group name"));
            }
            let key_start = s.pos;
            s.string()?;
            let key = key_start..s.pos;
            s.ws();
            if s.peek() != Some(b':') {
                return Err(s.unexpected("':'"));
            }
            s.pos += 1;
            s.ws();
            if s.peek() != Some(b'[') {
                return Err(s.error(s.pos, "each group of records must be an array"));
            }
            self.records(s, Some(&key), index, scratch, out)?;
            scratch.groups.push((key, scratch.kept.len()));
            s.ws();
            match s.peek() {
                Some(b',') => s.pos += 1,
                Some(b'}') => {
                    s.pos += 1;
                    return Ok(());
                }
                _ => return Err(s.unexpected("',' or '}'")),
            }
        }
    }

    /// Filters the records of the array at the cursor.
    fn records(
        &self,
        s: &mut Scanner<'_>,
        group: Option<&Range<usize>>,
        index: &mut usize,
        scratch: &mut BatchScratch,
        out: &mut BatchOutcome,
    ) -> Result<(), Error> {
        let event = s.text;
        s.pos += 1;
        s.ws();
        if s.peek() == Some(b']') {
            s.pos += 1;
            return Ok(());
        }
        loop {
            s.ws();
            let start = s.pos;
            // Fast path: the record is read and decided in one pass, which also finds its end.
            let fused = match s.peek() {
                Some(b'{') => self.decide_in_place(&event[start..], &mut scratch.records),
                _ => None,
            };
            let verdict = match fused {
                Some(Ok((keep, len))) => {
                    s.pos = start + len;
                    Ok(keep)
                }
                _ => {
                    s.value()?;
                    self.decide(&event[start..s.pos], &mut scratch.records, true).map(|v| {
                        if !v.keep {
                            scratch.payload = v.payload;
                        }
                        v.keep
                    })
                }
            };
            let record = start..s.pos;
            match verdict {
                Ok(true) => scratch.kept.push(record),
                verdict => {
                    let text = &event[record];
                    let reason = match verdict {
                        Ok(_) => DropReason::NoMatch {
                            payload: if matches!(fused, Some(Ok(_))) { Payload::AsIs } else { scratch.payload },
                        },
                        Err(e) => DropReason::Invalid(e),
                    };
                    out.dropped.push(Dropped {
                        index: *index,
                        id: record_id(self.source(), text),
                        group: group.map(|g| MemberRef { key: g.clone(), value: 0..0 }.key(event).into_owned()),
                        reason,
                    });
                }
            }
            *index += 1;
            s.ws();
            match s.peek() {
                Some(b',') => s.pos += 1,
                Some(b']') => {
                    s.pos += 1;
                    return Ok(());
                }
                _ => return Err(s.unexpected("',' or ']'")),
            }
        }
    }
}

/// The input with the container at `range` rebuilt from the kept records.
fn write_output(event: &str, range: Range<usize>, scratch: &BatchScratch, out: &mut String) {
    let kept_bytes: usize = scratch.kept.iter().map(|r| r.len() + 1).sum();
    out.reserve(range.start + kept_bytes + (event.len() - range.end) + 2);
    out.push_str(&event[..range.start]);
    let join = |out: &mut String, records: &[Range<usize>]| {
        out.push('[');
        for (i, r) in records.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&event[r.clone()]);
        }
        out.push(']');
    };
    if event.as_bytes()[range.start] == b'[' {
        join(out, &scratch.kept);
    } else {
        out.push('{');
        let mut from = 0;
        let mut first = true;
        for (key, end) in &scratch.groups {
            if *end > from {
                if !first {
                    out.push_str(", ");
                }
                first = false;
                out.push_str(&event[key.clone()]);
                out.push_str(": ");
                join(out, &scratch.kept[from..*end]);
            }
            from = *end;
        }
        out.push('}');
    }
    out.push_str(&event[range.end..]);
}

/// The id of a record (see [`Dropped::id`]), read without validating the rest of it.
fn record_id(source: Source, record: &str) -> Option<String> {
    let mut s = Scanner::new(record, 0, ErrorKind::InvalidRecord);
    s.start();
    let mut fields: [Option<Range<usize>>; 6] = Default::default();
    const KEYS: [&str; 6] = ["eventID", "messageId", "messageID", "topic", "partition", "offset"];
    // Stop reading as soon as the source's own id field is found (usually the first field).
    let wanted: &[usize] = match source {
        Source::Kafka => &[3, 4, 5],
        Source::Sqs => &[1],
        Source::Mq => &[2],
        _ => &[0],
    };
    let _ = s.members(|m| {
        if let Some(i) = KEYS.iter().position(|k| m.is(record, k)) {
            fields[i] = Some(m.value.clone());
        }
        !wanted.iter().all(|&i| fields[i].is_some())
    });
    let text = |i: usize| -> Option<String> {
        let r = fields[i].clone()?;
        let token = &record[r];
        if token.starts_with('"') {
            let mut out = String::new();
            crate::lex::unescape_into(token, &mut out)?;
            Some(out)
        } else {
            Some(token.to_string())
        }
    };
    match source {
        Source::Kafka => match (text(3), text(4), text(5)) {
            (Some(t), Some(p), Some(o)) => Some(format!("{t}-{p}@{o}")),
            _ => text(0),
        },
        Source::Sqs => text(1).or_else(|| text(0)),
        Source::Mq => text(2).or_else(|| text(1)).or_else(|| rabbit_id(record)),
        _ => text(0).or_else(|| text(1)).or_else(|| text(2)),
    }
}

/// RabbitMQ: `basicProperties.messageId`.
fn rabbit_id(record: &str) -> Option<String> {
    let props = &record[super::scan::member(record, "basicProperties", ErrorKind::InvalidRecord).ok()??];
    let token = &props[super::scan::member(props, "messageId", ErrorKind::InvalidRecord).ok()??];
    let mut out = String::new();
    crate::lex::unescape_into(token, &mut out)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(pattern: &str, source: Source) -> Filter {
        let doc = format!("{{\"Filters\": [{{\"Pattern\": {}}}]}}", serde_json::json!(pattern));
        Filter::new(&doc, source).unwrap()
    }

    #[test]
    fn dynamodb_batch_keeps_bytes_and_order() {
        let f = filter(r#"{"eventName": ["INSERT", "MODIFY"]}"#, Source::DynamoDb);
        let event = "{\"Records\":[\n {\"eventID\":\"1\",\"eventName\":\"INSERT\", \"x\" : 1.50},\n {\"eventID\":\"2\",\"eventName\":\"REMOVE\"},\n {\"eventID\":\"3\",\"eventName\":\"MODIFY\"}\n], \"other\": true}";
        let out = f.filter_batch(event).unwrap();
        assert_eq!(
            out.event,
            "{\"Records\":[{\"eventID\":\"1\",\"eventName\":\"INSERT\", \"x\" : 1.50}, {\"eventID\":\"3\",\"eventName\":\"MODIFY\"}], \"other\": true}"
        );
        assert_eq!(out.kept, 2);
        assert_eq!(out.dropped.len(), 1);
        assert_eq!((out.dropped[0].index, out.dropped[0].id.as_deref()), (1, Some("2")));
        assert!(matches!(out.dropped[0].reason, DropReason::NoMatch { payload: Payload::AsIs }));
    }

    #[test]
    fn kafka_groups_are_kept_or_removed() {
        let f = filter(r#"{"value": {"a": [1]}}"#, Source::Kafka);
        // {"a":1} and {"a":2}
        let event = r#"{"eventSource":"aws:kafka","records":{"t-0":[{"topic":"t","partition":0,"offset":5,"value":"eyJhIjoxfQ=="},{"topic":"t","partition":0,"offset":6,"value":"eyJhIjoyfQ=="}],"t-1":[{"topic":"t","partition":1,"offset":1,"value":"eyJhIjoyfQ=="}]}}"#;
        let out = f.filter_batch(event).unwrap();
        assert_eq!(
            out.event,
            r#"{"eventSource":"aws:kafka","records":{"t-0": [{"topic":"t","partition":0,"offset":5,"value":"eyJhIjoxfQ=="}]}}"#
        );
        let ids: Vec<_> = out.dropped.iter().map(|d| d.id.clone().unwrap()).collect();
        assert_eq!(ids, ["t-0@6", "t-1@1"]);
        assert_eq!(out.dropped[1].group.as_deref(), Some("t-1"));
    }

    #[test]
    fn malformed_records_are_dropped_with_a_reason() {
        let f = filter(r#"{"body": {"a": [1]}}"#, Source::Sqs);
        let event = r#"{"Records": [{"messageId": "m1", "body": "{\"a\": 1}"}, 42, {"messageId": "m3", "body": 7}, {"messageId": "m4", "body": "{\"a\": 1"}]}"#;
        let out = f.filter_batch(event).unwrap();
        assert_eq!(out.kept, 1);
        let reasons: Vec<_> =
            out.dropped.iter().map(|d| (d.index, d.id.clone(), matches!(d.reason, DropReason::Invalid(_)))).collect();
        assert_eq!(
            reasons,
            [(1, None, true), (2, Some("m3".into()), false), (3, Some("m4".into()), false)],
            "{:?}",
            out.dropped
        );
    }

    #[test]
    fn malformed_batches_are_errors() {
        let f = filter(r#"{"a": [1]}"#, Source::Raw);
        for bad in ["", "[]", r#"{"Records": 5}"#, r#"{"Records": [{"a": 1}"#, r#"{"x": []}"#, r#"{"Records": []} x"#] {
            assert_eq!(f.filter_batch(bad).unwrap_err().kind(), ErrorKind::InvalidBatch, "{bad}");
        }
    }
}
