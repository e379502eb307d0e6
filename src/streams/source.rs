//! The one shard model under Kinesis Data Streams and DynamoDB Streams: list shards (paginated),
//! get an iterator, get records. Everything above it (lineage, batching, checkpoints) is shared.

use std::sync::Arc;
use std::time::SystemTime;

use aws_sdk_kinesis::config::http::HttpResponse;
use aws_sdk_kinesis::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use super::convert;
use super::{BoxFuture, ErrorKind, StreamError};
use crate::lambda::{Filter, KinesisFields, Scratch, Source, Verdict};

/// A shard as listed: its lineage and sequence-number range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ShardInfo {
    pub id: String,
    /// `ParentShardId` and (Kinesis merges) `AdjacentParentShardId`.
    pub parents: Vec<String>,
    /// `EndingSequenceNumber`: present once the shard is closed.
    pub ending: Option<String>,
}

/// Where an iterator starts.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum IterStart {
    TrimHorizon,
    Latest,
    AtTimestamp(SystemTime),
    After(String),
}

/// A record read from a shard.
#[derive(Clone, Debug)]
pub(crate) struct ReadRecord {
    pub seq: String,
    pub id: String,
    pub body: Body,
    /// Seconds since the epoch: DynamoDB `ApproximateCreationDateTime`, Kinesis
    /// `ApproximateArrivalTimestamp`.
    pub created: Option<f64>,
}

/// A read record's content.
#[derive(Clone, Debug)]
pub(crate) enum Body {
    /// Already in the Lambda record format (JSON text).
    Json(String),
    /// A Kinesis record's fields as read: filtered from them ([`Filter::decide_kinesis`]), and
    /// written in the Lambda record format only when kept.
    Kinesis(KinesisRead),
}

/// What a Kinesis record's Lambda record is made of, besides its sequence number and event id.
#[derive(Clone, Debug)]
pub(crate) struct KinesisRead {
    pub partition_key: String,
    /// The data as read.
    pub data: Vec<u8>,
    /// `approximateArrivalTimestamp` as the Lambda record writes it (to the millisecond).
    pub arrival: Option<f64>,
    pub encryption: Option<aws_sdk_kinesis::types::EncryptionType>,
    pub arn: Arc<str>,
    pub region: Arc<str>,
}

impl ReadRecord {
    /// A Kinesis record of `shard` as `GetRecords` returned it.
    pub(crate) fn kinesis(r: aws_sdk_kinesis::types::Record, shard: &str, arn: &Arc<str>, region: &Arc<str>) -> Self {
        ReadRecord {
            id: format!("{shard}:{}", r.sequence_number),
            created: r.approximate_arrival_timestamp.map(|t| t.as_secs_f64()),
            body: Body::Kinesis(KinesisRead {
                partition_key: r.partition_key.unwrap_or_default(),
                data: r.data.into_inner(),
                arrival: r.approximate_arrival_timestamp.as_ref().map(convert::arrival_seconds),
                encryption: r.encryption_type,
                arn: arn.clone(),
                region: region.clone(),
            }),
            seq: r.sequence_number,
        }
    }

    /// The filter's decision on the record: the first matching filter decides (`filters` is 0).
    pub(crate) fn decide(&self, filter: &Filter, scratch: &mut Scratch) -> Result<Verdict, crate::Error> {
        match &self.body {
            Body::Json(json) => filter.decide_with(json, None, scratch, true),
            Body::Kinesis(k) => filter.decide_kinesis(&k.fields(&self.seq, &self.id), scratch, true),
        }
    }

    /// The record as Lambda delivers it (JSON text), taken out of the record.
    pub(crate) fn take_json(&mut self) -> String {
        match &mut self.body {
            Body::Json(json) => std::mem::take(json),
            Body::Kinesis(k) => k.fields(&self.seq, &self.id).to_json(),
        }
    }
}

impl KinesisRead {
    /// The fields of the record whose sequence number is `seq` and event id `id`: what
    /// `convert::kinesis_record` writes.
    pub(crate) fn fields<'a>(&'a self, seq: &'a str, id: &'a str) -> KinesisFields<'a> {
        KinesisFields {
            partition_key: &self.partition_key,
            sequence_number: seq,
            data: &self.data,
            approximate_arrival_timestamp: self.arrival,
            encryption_type: self.encryption.as_ref().map(|e| e.as_str()).filter(|e| *e != "NONE"),
            event_id: id,
            aws_region: &self.region,
            event_source_arn: &self.arn,
        }
    }
}

/// One `GetRecords` answer.
#[derive(Debug, Default)]
pub(crate) struct Page {
    pub records: Vec<ReadRecord>,
    /// `None`: the shard is closed and was read to its end.
    pub next: Option<String>,
    /// Kinesis `MillisBehindLatest`.
    pub millis_behind: Option<i64>,
}

/// Kinesis Data Streams or DynamoDB Streams, seen as shards.
pub(crate) trait ShardSource: Send + Sync {
    fn arn(&self) -> &str;
    fn source(&self) -> Source;
    fn list_shards(&self) -> BoxFuture<'_, Result<Vec<ShardInfo>, StreamError>>;
    fn iterator<'a>(&'a self, shard: &'a str, start: &'a IterStart) -> BoxFuture<'a, Result<String, StreamError>>;
    fn read<'a>(&'a self, shard: &'a str, iterator: &'a str, limit: i32) -> BoxFuture<'a, Result<Page, StreamError>>;
}

/// An SDK error as the consumer acts on it.
pub(crate) fn classify<E>(operation: &str, e: SdkError<E, HttpResponse>) -> StreamError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let status = e.raw_response().map(|r| r.status().as_u16());
    let code = e.code().map(str::to_string);
    let kind = match &e {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => ErrorKind::Transient,
        SdkError::ServiceError(_) => match code.as_deref() {
            Some("ExpiredIteratorException") => ErrorKind::ExpiredIterator,
            Some("TrimmedDataAccessException") => ErrorKind::Trimmed,
            Some(
                "ProvisionedThroughputExceededException"
                | "LimitExceededException"
                | "ThrottlingException"
                | "Throttling"
                | "RequestLimitExceeded"
                | "KMSThrottlingException"
                | "InternalFailure"
                | "InternalFailureException"
                | "InternalServerError"
                | "ServiceUnavailable"
                | "ServiceUnavailableException",
            ) => ErrorKind::Transient,
            Some("ResourceNotFoundException") => ErrorKind::NotFound,
            _ if status.is_some_and(|s| s >= 500 || s == 429) => ErrorKind::Transient,
            _ => ErrorKind::Fatal,
        },
        _ => ErrorKind::Fatal,
    };
    let what = match (&code, status) {
        (Some(c), Some(s)) => format!("{c} (HTTP {s})"),
        (None, Some(s)) => format!("HTTP {s}"),
        _ => String::new(),
    };
    StreamError::new(kind, format!("{operation}: {what} {}", DisplayErrorContext(&e)).replace("  ", " "))
}

/// The region field of an ARN (`arn:aws:kinesis:REGION:…`).
pub(crate) fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

/// Kinesis Data Streams.
pub(crate) struct Kinesis {
    pub client: aws_sdk_kinesis::Client,
    pub arn: String,
    pub region: String,
    pub page_size: Option<i32>,
}

impl ShardSource for Kinesis {
    fn arn(&self) -> &str {
        &self.arn
    }

    fn source(&self) -> Source {
        Source::Kinesis
    }

    fn list_shards(&self) -> BoxFuture<'_, Result<Vec<ShardInfo>, StreamError>> {
        Box::pin(async move {
            let mut shards = Vec::new();
            let mut token: Option<String> = None;
            // With a NextToken, ListShards takes no stream name (the token names the stream);
            // a service that wants the stream anyway (moto) gets the ARN with the token.
            let mut arn_with_token = false;
            loop {
                let mut call = self.client.list_shards().set_max_results(self.page_size);
                call = match &token {
                    Some(t) if arn_with_token => call.next_token(t).stream_arn(&self.arn),
                    Some(t) => call.next_token(t),
                    None => call.stream_arn(&self.arn),
                };
                let out = match call.send().await {
                    Ok(out) => out,
                    Err(e) => {
                        let e = classify("ListShards", e);
                        if token.is_some()
                            && !arn_with_token
                            && matches!(e.kind(), ErrorKind::NotFound | ErrorKind::Fatal)
                        {
                            arn_with_token = true;
                            continue;
                        }
                        return Err(e);
                    }
                };
                for s in out.shards() {
                    let mut parents = Vec::new();
                    parents.extend(s.parent_shard_id().map(str::to_string));
                    parents.extend(s.adjacent_parent_shard_id().map(str::to_string));
                    shards.push(ShardInfo {
                        id: s.shard_id().to_string(),
                        parents,
                        ending: s.sequence_number_range().and_then(|r| r.ending_sequence_number()).map(str::to_string),
                    });
                }
                match out.next_token() {
                    Some(t) if !out.shards().is_empty() => token = Some(t.to_string()),
                    _ => return Ok(shards),
                }
            }
        })
    }

    fn iterator<'a>(&'a self, shard: &'a str, start: &'a IterStart) -> BoxFuture<'a, Result<String, StreamError>> {
        use aws_sdk_kinesis::types::ShardIteratorType as T;
        Box::pin(async move {
            let call = self.client.get_shard_iterator().stream_arn(&self.arn).shard_id(shard);
            let call = match start {
                IterStart::TrimHorizon => call.shard_iterator_type(T::TrimHorizon),
                IterStart::Latest => call.shard_iterator_type(T::Latest),
                IterStart::AtTimestamp(t) => {
                    call.shard_iterator_type(T::AtTimestamp).timestamp(aws_sdk_kinesis::primitives::DateTime::from(*t))
                }
                IterStart::After(seq) => call.shard_iterator_type(T::AfterSequenceNumber).starting_sequence_number(seq),
            };
            let out = call.send().await.map_err(|e| classify("GetShardIterator", e))?;
            out.shard_iterator()
                .map(str::to_string)
                .ok_or_else(|| StreamError::new(ErrorKind::Fatal, format!("GetShardIterator: no iterator for {shard}")))
        })
    }

    fn read<'a>(&'a self, shard: &'a str, iterator: &'a str, limit: i32) -> BoxFuture<'a, Result<Page, StreamError>> {
        Box::pin(async move {
            let mut out = self
                .client
                .get_records()
                .stream_arn(&self.arn)
                .shard_iterator(iterator)
                .limit(limit)
                .send()
                .await
                .map_err(|e| classify("GetRecords", e))?;
            // The records are taken apart: the filter decides on their fields and data bytes, and
            // only the kept ones are written in the Lambda record format.
            let (arn, region): (Arc<str>, Arc<str>) = (self.arn.as_str().into(), self.region.as_str().into());
            let records = std::mem::take(&mut out.records)
                .into_iter()
                .map(|r| ReadRecord::kinesis(r, shard, &arn, &region))
                .collect();
            Ok(Page { records, next: out.next_shard_iterator.take(), millis_behind: out.millis_behind_latest })
        })
    }
}

/// DynamoDB Streams.
pub(crate) struct DynamoDb {
    pub client: aws_sdk_dynamodbstreams::Client,
    pub arn: String,
    pub region: String,
    pub page_size: Option<i32>,
}

impl ShardSource for DynamoDb {
    fn arn(&self) -> &str {
        &self.arn
    }

    fn source(&self) -> Source {
        Source::DynamoDb
    }

    fn list_shards(&self) -> BoxFuture<'_, Result<Vec<ShardInfo>, StreamError>> {
        Box::pin(async move {
            let mut shards = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let out = self
                    .client
                    .describe_stream()
                    .stream_arn(&self.arn)
                    .set_limit(self.page_size)
                    .set_exclusive_start_shard_id(after.clone())
                    .send()
                    .await
                    .map_err(|e| classify("DescribeStream", e))?;
                let Some(d) = out.stream_description() else { return Ok(shards) };
                for s in d.shards() {
                    let Some(id) = s.shard_id() else { continue };
                    shards.push(ShardInfo {
                        id: id.to_string(),
                        parents: s.parent_shard_id().map(str::to_string).into_iter().collect(),
                        ending: s.sequence_number_range().and_then(|r| r.ending_sequence_number()).map(str::to_string),
                    });
                }
                match d.last_evaluated_shard_id() {
                    Some(last) if after.as_deref() != Some(last) => after = Some(last.to_string()),
                    _ => return Ok(shards),
                }
            }
        })
    }

    fn iterator<'a>(&'a self, shard: &'a str, start: &'a IterStart) -> BoxFuture<'a, Result<String, StreamError>> {
        use aws_sdk_dynamodbstreams::types::ShardIteratorType as T;
        Box::pin(async move {
            let call = self.client.get_shard_iterator().stream_arn(&self.arn).shard_id(shard);
            let call =
                match start {
                    IterStart::TrimHorizon => call.shard_iterator_type(T::TrimHorizon),
                    IterStart::Latest => call.shard_iterator_type(T::Latest),
                    IterStart::AtTimestamp(_) => return Err(StreamError::new(
                        ErrorKind::Config,
                        "AT_TIMESTAMP: DynamoDB Streams has no such iterator (TRIM_HORIZON, LATEST or a checkpoint)",
                    )),
                    IterStart::After(seq) => call.shard_iterator_type(T::AfterSequenceNumber).sequence_number(seq),
                };
            let out = call.send().await.map_err(|e| classify("GetShardIterator", e))?;
            out.shard_iterator()
                .map(str::to_string)
                .ok_or_else(|| StreamError::new(ErrorKind::Fatal, format!("GetShardIterator: no iterator for {shard}")))
        })
    }

    fn read<'a>(&'a self, _shard: &'a str, iterator: &'a str, limit: i32) -> BoxFuture<'a, Result<Page, StreamError>> {
        Box::pin(async move {
            let out = self
                .client
                .get_records()
                .shard_iterator(iterator)
                .limit(limit.min(1000))
                .send()
                .await
                .map_err(|e| classify("GetRecords", e))?;
            let records = out
                .records()
                .iter()
                .map(|r| {
                    let d = r.dynamodb();
                    ReadRecord {
                        seq: d.and_then(|d| d.sequence_number()).unwrap_or_default().to_string(),
                        id: r.event_id().unwrap_or_default().to_string(),
                        body: Body::Json(convert::dynamodb_record(r, &self.arn, &self.region)),
                        created: d.and_then(|d| d.approximate_creation_date_time()).map(|t| t.as_secs_f64()),
                    }
                })
                .collect();
            Ok(Page { records, next: out.next_shard_iterator().map(str::to_string), millis_behind: None })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_of_an_arn() {
        assert_eq!(arn_region("arn:aws:kinesis:eu-west-1:123456789012:stream/s"), Some("eu-west-1"));
        assert_eq!(arn_region("arn:aws:dynamodb:::table/x"), None);
        assert_eq!(arn_region("nonsense"), None);
    }
}
