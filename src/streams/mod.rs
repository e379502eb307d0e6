//! Consume Kinesis Data Streams and DynamoDB Streams as an AWS Lambda event-source mapping does
//! (feature `streams`).
//!
//! A [`Consumer`] follows every shard of a stream (or a static share of them, see
//! [`ShardAssignment`]), turns each record into the record a Lambda function receives
//! ([`convert`]), applies the mapping's FilterCriteria with [`Filter`], and
//! hands the kept records to a handler in batches, with the semantics of an event-source mapping:
//!
//! - **Shards**: discovered with pagination (`ListShards`, `DescribeStream`) and again every
//!   [`discovery_interval`](ConsumerBuilder::discovery_interval), so that shards made by splits
//!   and merges are picked up; a parent shard is read to its end (and checkpointed as finished)
//!   before its children start; order is kept within each shard, and shards are read in parallel.
//! - **Start**: [`StartPosition`] `TRIM_HORIZON`, `LATEST` or `AT_TIMESTAMP` (Kinesis) for shards
//!   without a checkpoint, `AFTER_SEQUENCE_NUMBER` for those with one.
//! - **Faults**: throttling (`ProvisionedThroughputExceededException`, `LimitExceededException`),
//!   HTTP 5xx and broken connections are retried with exponential backoff and full jitter, capped
//!   at [`max_backoff`](ConsumerBuilder::max_backoff); an expired iterator is replaced by one after
//!   the last record read. Empty reads back off (with jitter) up to the
//!   [`poll_interval`](ConsumerBuilder::poll_interval), never beyond it.
//! - **Filtering**: a filtered-out record is never delivered, counts as handled (the checkpoint
//!   moves past it), and is reported with its id in the [`BatchReport`].
//! - **Delivery**: batches of up to [`batch_size`](ConsumerBuilder::batch_size) kept records,
//!   gathered for up to [`batching_window`](ConsumerBuilder::batching_window) (and at most 6 MB);
//!   the handler returns [`Outcome::Success`], [`Outcome::BatchItemFailures`]
//!   (`ReportBatchItemFailures`: the checkpoint moves to just before the first failed record and
//!   the batch is retried from there) or [`Outcome::Error`]. Retries are bounded by
//!   [`max_retries`](ConsumerBuilder::max_retries), with
//!   [`bisect_on_error`](ConsumerBuilder::bisect_on_error); records that still fail go to the
//!   [`on_failure`](ConsumerBuilder::on_failure) hook and the consumer moves on.
//! - **Checkpoints** ([`CheckpointStore`]) are written only past what succeeded, after the
//!   handler returned: delivery is at least once, as with Lambda; a crash repeats at most the
//!   records after the last checkpoint. Shutdown ([`Consumer::run`]'s `shutdown` future) stops
//!   reading, delivers what was already read and checkpoints it.
//!
//! Scaling out: run the consumer in Lambda itself (the same criteria on the mapping), or run
//! several consumers with disjoint [`ShardAssignment`]s and one shared checkpoint store. There is
//! no lease protocol: an assignment is static.
//!
//! ```no_run
//! use std::sync::Arc;
//! use eventsift::lambda::Filter;
//! use eventsift::streams::{self, Consumer, FileCheckpoints, Outcome, StartPosition, StreamRef};
//! use eventsift::Source;
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let config = streams::load_config(Some("us-east-1"), None).await;
//! let filter = Filter::new(
//!     r#"{"Filters": [{"Pattern": "{\"eventName\": [\"INSERT\"]}"}]}"#,
//!     Source::DynamoDb,
//! )?;
//! let consumer = Consumer::builder(StreamRef::DynamoDb(
//!         "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/2024-01-01T00:00:00.000".into(),
//!     ))
//!     .filter(filter)
//!     .start(StartPosition::TrimHorizon)
//!     .batch_size(50)
//!     .checkpoints(Arc::new(FileCheckpoints::new("checkpoints.json")))
//!     .build(&config)
//!     .await?;
//! consumer
//!     .run(
//!         |batch: streams::Batch| async move {
//!             for record in &batch.records {
//!                 println!("{}", record.json);
//!             }
//!             Outcome::Success
//!         },
//!         async {
//!             let _ = tokio::signal::ctrl_c().await;
//!         },
//!     )
//!     .await?;
//! # Ok(())
//! # }
//! ```

mod assign;
mod checkpoint;
pub mod convert;
mod shard;
pub(crate) mod source;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use tokio::sync::watch;
use tokio::task::JoinSet;

pub use assign::{fnv1a, ShardAssignment};
pub use checkpoint::{Checkpoint, CheckpointStore, FileCheckpoints, MemoryCheckpoints};

use crate::lambda::{DropReason, Filter, Source};
#[cfg(test)]
use source::ShardInfo;
use source::{IterStart, ShardSource};

/// A boxed, sendable future: what [`CheckpointStore`] methods and hooks return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What went wrong, as the consumer acts on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Throttling, HTTP 5xx, a broken connection or a timeout: retried with backoff.
    Transient,
    /// The shard iterator expired: a new one is taken after the last record read.
    ExpiredIterator,
    /// The checkpoint points at records already trimmed from the stream: reading resumes at
    /// `TRIM_HORIZON`.
    Trimmed,
    /// The stream or shard does not exist.
    NotFound,
    /// A setting the stream cannot honour (e.g. `AT_TIMESTAMP` on DynamoDB Streams).
    Config,
    /// Reading or writing checkpoints failed.
    Io,
    /// Any other error from the service (access denied, validation): the consumer stops.
    Fatal,
}

/// An error of the stream consumer.
#[derive(Clone, Debug)]
pub struct StreamError {
    kind: ErrorKind,
    message: String,
}

impl StreamError {
    /// An error of `kind` with a message.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> StreamError {
        StreamError { kind, message: message.into() }
    }

    pub(crate) fn io(message: impl Into<String>) -> StreamError {
        StreamError::new(ErrorKind::Io, message)
    }

    /// What kind of error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StreamError {}

/// The stream to consume.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamRef {
    /// A Kinesis data stream, by name or ARN.
    Kinesis(String),
    /// A DynamoDB stream, by ARN (see [`table_stream_arn`] for a table's).
    DynamoDb(String),
}

/// Where shards without a checkpoint start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartPosition {
    /// The oldest record kept by the stream; shards are read from the oldest generation on,
    /// parents before children.
    TrimHorizon,
    /// Records written from now on, in the shards open now; shards already closed are skipped.
    /// Children of these shards, found later, are read from their start.
    Latest,
    /// The first record written at or after this time (Kinesis only).
    AtTimestamp(SystemTime),
}

/// A record handed to the handler: the record of a Lambda invocation event.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The sequence number: the `itemIdentifier` to return in [`Outcome::BatchItemFailures`].
    pub sequence_number: String,
    /// DynamoDB `eventID`, Kinesis `shardId-…:sequence`.
    pub event_id: String,
    /// The record as Lambda delivers it (JSON text).
    pub json: String,
    /// DynamoDB `ApproximateCreationDateTime` or Kinesis `approximateArrivalTimestamp`, in
    /// seconds since the epoch.
    pub approximate_creation: Option<f64>,
}

/// A batch of kept records from one shard, in shard order: what one Lambda invocation receives.
#[derive(Clone, Debug)]
pub struct Batch {
    /// The stream's ARN (`eventSourceARN`).
    pub stream_arn: Arc<str>,
    /// The shard the records come from.
    pub shard_id: Arc<str>,
    /// The records.
    pub records: Vec<Record>,
    /// 1 for the first invocation with these records, then 2, 3… on retries.
    pub attempt: u32,
}

impl Batch {
    /// The invocation event: `{"Records": [...]}`.
    pub fn event(&self) -> String {
        let mut out = String::with_capacity(self.records.iter().map(|r| r.json.len() + 1).sum::<usize>() + 16);
        out.push_str("{\"Records\":[");
        for (i, r) in self.records.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&r.json);
        }
        out.push_str("]}");
        out
    }
}

/// What the handler made of a batch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every record succeeded.
    Success,
    /// `ReportBatchItemFailures`: the sequence numbers of the records that failed. The records
    /// before the first of them succeeded; the batch is retried from it. An empty list is a
    /// success; a sequence number not in the batch fails the whole batch, as with Lambda.
    BatchItemFailures(Vec<String>),
    /// The function failed (threw): the whole batch is retried, or bisected.
    Error(String),
}

/// Records that failed every retry, handed to the [`on_failure`](ConsumerBuilder::on_failure)
/// hook before the consumer moves past them.
#[derive(Clone, Debug)]
pub struct FailedBatch {
    /// The stream's ARN.
    pub stream_arn: Arc<str>,
    /// The shard.
    pub shard_id: Arc<str>,
    /// The records that failed, in shard order.
    pub records: Vec<Record>,
    /// Invocations made with them.
    pub attempts: u32,
    /// The last failure.
    pub reason: String,
}

/// A record the filter dropped.
#[derive(Clone, Debug)]
pub struct DroppedRecord {
    /// Its sequence number.
    pub sequence_number: String,
    /// Its `eventID`.
    pub event_id: String,
    /// Why.
    pub reason: DropReason,
}

/// What happened to one batch of read records, given to the
/// [`on_batch`](ConsumerBuilder::on_batch) callback once it is handled.
#[derive(Clone, Debug)]
pub struct BatchReport {
    /// The shard.
    pub shard_id: Arc<str>,
    /// Records read into this batch.
    pub read: usize,
    /// Records the filter kept.
    pub kept: usize,
    /// Records the filter dropped, in shard order, with their ids.
    pub dropped: Vec<DroppedRecord>,
    /// Kept records the handler succeeded with.
    pub delivered: usize,
    /// Kept records given to the on-failure hook.
    pub failed: usize,
    /// The checkpoint written last for this batch, if it moved.
    pub checkpoint: Option<Checkpoint>,
}

/// Counters of one shard.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct ShardMetrics {
    /// The shard.
    pub shard_id: String,
    /// Records read.
    pub read: u64,
    /// Records the filter kept.
    pub kept: u64,
    /// Records the filter dropped.
    pub dropped: u64,
    /// Handler invocations.
    pub invocations: u64,
    /// Batches handled (including those with nothing kept).
    pub batches: u64,
    /// Kept records given to the on-failure hook.
    pub failed: u64,
    /// Read errors retried (throttling, 5xx, connections, expired iterators).
    pub read_errors: u64,
    /// Sequence number of the last record read.
    pub last_sequence: Option<String>,
    /// The last checkpoint written.
    pub checkpoint: Option<Checkpoint>,
    /// How far behind the newest record the reader is, in milliseconds: Kinesis
    /// `MillisBehindLatest`, or for DynamoDB now − `ApproximateCreationDateTime` of the last
    /// record read (0 after an empty read).
    pub lag_millis: Option<i64>,
    /// The shard was read to its end.
    pub finished: bool,
}

/// Live per-shard metrics of a consumer (cheap to clone; readable while it runs).
#[derive(Clone, Debug, Default)]
pub struct Metrics {
    shards: Arc<Mutex<BTreeMap<String, ShardMetrics>>>,
}

impl Metrics {
    /// A copy of every shard's counters, by shard id.
    pub fn snapshot(&self) -> Vec<ShardMetrics> {
        self.shards.lock().unwrap_or_else(|e| e.into_inner()).values().cloned().collect()
    }

    pub(crate) fn update(&self, shard: &str, f: impl FnOnce(&mut ShardMetrics)) {
        let mut m = self.shards.lock().unwrap_or_else(|e| e.into_inner());
        let entry =
            m.entry(shard.to_string()).or_insert_with(|| ShardMetrics { shard_id: shard.into(), ..Default::default() });
        f(entry);
    }
}

type HandlerFn = Arc<dyn Fn(Batch) -> BoxFuture<'static, Outcome> + Send + Sync>;
type FailureFn = Arc<dyn Fn(FailedBatch) -> BoxFuture<'static, ()> + Send + Sync>;
type ReportFn = Arc<dyn Fn(&BatchReport) + Send + Sync>;

/// Settings shared by the shard readers.
pub(crate) struct Settings {
    pub filter: Option<Filter>,
    pub batch_size: usize,
    pub window: Duration,
    pub max_payload: usize,
    pub max_retries: Option<u32>,
    pub bisect: bool,
    pub poll_interval: Duration,
    pub read_interval: Duration,
    pub read_limit: i32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    pub checkpoints: Arc<dyn CheckpointStore>,
    pub on_batch: Option<ReportFn>,
    pub on_failure: Option<FailureFn>,
}

/// Options of a [`Consumer`]. Defaults are those of an event-source mapping where it has one.
pub struct ConsumerBuilder {
    stream: StreamRef,
    filter: Option<Filter>,
    start: StartPosition,
    batch_size: usize,
    window: Duration,
    max_retries: Option<u32>,
    bisect: bool,
    poll_interval: Duration,
    read_limit: Option<i32>,
    base_backoff: Duration,
    max_backoff: Duration,
    discovery_interval: Duration,
    shards: ShardAssignment,
    checkpoints: Arc<dyn CheckpointStore>,
    on_batch: Option<ReportFn>,
    on_failure: Option<FailureFn>,
    list_page_size: Option<i32>,
}

impl ConsumerBuilder {
    /// The FilterCriteria, compiled for [`Source::DynamoDb`] or [`Source::Kinesis`] (default: no
    /// filter, every record kept).
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Where shards without a checkpoint start (default [`StartPosition::Latest`], as a new
    /// mapping's `StartingPosition` must be given; `LATEST` is the safe one).
    pub fn start(mut self, start: StartPosition) -> Self {
        self.start = start;
        self
    }

    /// `BatchSize`: most kept records per invocation (default 100, at least 1).
    pub fn batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// `MaximumBatchingWindowInSeconds`: how long to gather kept records before invoking with
    /// fewer than `batch_size` (default 0: invoke with what each read brought).
    pub fn batching_window(mut self, window: Duration) -> Self {
        self.window = window;
        self
    }

    /// `MaximumRetryAttempts`: retries of a failing batch before its records go to the
    /// on-failure hook (default `None`: retry until it succeeds, Lambda's -1).
    pub fn max_retries(mut self, n: Option<u32>) -> Self {
        self.max_retries = n;
        self
    }

    /// `BisectBatchOnFunctionError`: split a batch whose invocation failed in two and retry the
    /// halves separately (splits do not count as retries). Default off.
    pub fn bisect_on_error(mut self, yes: bool) -> Self {
        self.bisect = yes;
        self
    }

    /// The longest wait between reads of a shard with nothing new (default 1 s). Empty reads
    /// back off with jitter from an eighth of it up to it.
    pub fn poll_interval(mut self, d: Duration) -> Self {
        self.poll_interval = d.max(Duration::from_millis(1));
        self
    }

    /// `Limit` of each `GetRecords` (default 10,000 for Kinesis, 1,000 for DynamoDB).
    pub fn read_limit(mut self, n: i32) -> Self {
        self.read_limit = Some(n.max(1));
        self
    }

    /// The first retry delay after a transient error (default 100 ms); it doubles per failure.
    pub fn base_backoff(mut self, d: Duration) -> Self {
        self.base_backoff = d;
        self
    }

    /// The cap on retry delays (default 5 s). Each delay is drawn uniformly below the capped
    /// exponential ("full jitter").
    pub fn max_backoff(mut self, d: Duration) -> Self {
        self.max_backoff = d;
        self
    }

    /// How often shards are listed again, for splits and merges (default 30 s; also at once when
    /// a shard ends).
    pub fn discovery_interval(mut self, d: Duration) -> Self {
        self.discovery_interval = d;
        self
    }

    /// Which shards this consumer reads (default all).
    pub fn shards(mut self, assignment: ShardAssignment) -> Self {
        self.shards = assignment;
        self
    }

    /// Where checkpoints go (default a fresh [`MemoryCheckpoints`]).
    pub fn checkpoints(mut self, store: Arc<dyn CheckpointStore>) -> Self {
        self.checkpoints = store;
        self
    }

    /// Called once each batch of read records is handled: counts, dropped records with their
    /// ids, the checkpoint.
    pub fn on_batch(mut self, f: impl Fn(&BatchReport) + Send + Sync + 'static) -> Self {
        self.on_batch = Some(Arc::new(f));
        self
    }

    /// The on-failure destination: receives the records that failed every retry; the consumer
    /// moves past them once it returns.
    pub fn on_failure<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(FailedBatch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.on_failure = Some(Arc::new(move |b| Box::pin(f(b))));
        self
    }

    /// Shards per `ListShards`/`DescribeStream` page (default: the service's).
    pub fn list_page_size(mut self, n: i32) -> Self {
        self.list_page_size = Some(n.max(1));
        self
    }

    /// Builds the consumer on an SDK configuration (see [`load_config`]). A Kinesis stream given
    /// by name is resolved to its ARN here (`DescribeStreamSummary`).
    pub async fn build(self, config: &aws_config::SdkConfig) -> Result<Consumer, StreamError> {
        let config_region = config.region().map(|r| r.to_string());
        let no_retry = aws_config::retry::RetryConfig::disabled();
        let source: Arc<dyn ShardSource> = match &self.stream {
            StreamRef::Kinesis(name_or_arn) => {
                let mut b = aws_sdk_kinesis::config::Builder::from(config).retry_config(no_retry);
                if config_region.is_none() {
                    if let Some(r) = source::arn_region(name_or_arn) {
                        b = b.region(aws_config::Region::new(r.to_string()));
                    }
                }
                let client = aws_sdk_kinesis::Client::from_conf(b.build());
                let arn = if name_or_arn.starts_with("arn:") {
                    name_or_arn.clone()
                } else {
                    let out = client
                        .describe_stream_summary()
                        .stream_name(name_or_arn)
                        .send()
                        .await
                        .map_err(|e| source::classify("DescribeStreamSummary", e))?;
                    out.stream_description_summary().map(|d| d.stream_arn().to_string()).ok_or_else(|| {
                        StreamError::new(ErrorKind::NotFound, format!("no stream named {name_or_arn}"))
                    })?
                };
                let region = source::arn_region(&arn).map(str::to_string).or(config_region).unwrap_or_default();
                Arc::new(source::Kinesis { client, arn, region, page_size: self.list_page_size })
            }
            StreamRef::DynamoDb(arn) => {
                if self.filter.as_ref().is_some_and(|f| f.source() != Source::DynamoDb) {
                    return Err(StreamError::new(
                        ErrorKind::Config,
                        "the filter was not compiled for DynamoDB records",
                    ));
                }
                if let StartPosition::AtTimestamp(_) = self.start {
                    return Err(StreamError::new(
                        ErrorKind::Config,
                        "AT_TIMESTAMP: DynamoDB Streams has no such iterator (TRIM_HORIZON, LATEST or a checkpoint)",
                    ));
                }
                let mut b = aws_sdk_dynamodbstreams::config::Builder::from(config).retry_config(no_retry);
                if config_region.is_none() {
                    if let Some(r) = source::arn_region(arn) {
                        b = b.region(aws_config::Region::new(r.to_string()));
                    }
                }
                let client = aws_sdk_dynamodbstreams::Client::from_conf(b.build());
                let region = source::arn_region(arn).map(str::to_string).or(config_region).unwrap_or_default();
                Arc::new(source::DynamoDb { client, arn: arn.clone(), region, page_size: self.list_page_size })
            }
        };
        if let (StreamRef::Kinesis(_), Some(f)) = (&self.stream, &self.filter) {
            if f.source() != Source::Kinesis {
                return Err(StreamError::new(ErrorKind::Config, "the filter was not compiled for Kinesis records"));
            }
        }
        let read_limit = self.read_limit.unwrap_or(match source.source() {
            Source::DynamoDb => 1000,
            _ => 10_000,
        });
        Ok(Consumer::with_source(source, self, read_limit))
    }
}

/// A stream consumer: see the [module documentation](self).
pub struct Consumer {
    source: Arc<dyn ShardSource>,
    settings: Arc<Settings>,
    start: StartPosition,
    shards: ShardAssignment,
    discovery_interval: Duration,
    metrics: Metrics,
}

impl std::fmt::Debug for Consumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer").field("stream", &self.source.arn()).field("start", &self.start).finish()
    }
}

/// How a shard reader stopped.
#[derive(Debug)]
pub(crate) enum Exit {
    /// Read to its end, checkpointed as [`Checkpoint::ShardEnd`].
    End,
    /// Shutdown.
    Stopped,
}

impl Consumer {
    /// Options for consuming `stream`.
    pub fn builder(stream: StreamRef) -> ConsumerBuilder {
        ConsumerBuilder {
            stream,
            filter: None,
            start: StartPosition::Latest,
            batch_size: 100,
            window: Duration::ZERO,
            max_retries: None,
            bisect: false,
            poll_interval: Duration::from_secs(1),
            read_limit: None,
            base_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            discovery_interval: Duration::from_secs(30),
            shards: ShardAssignment::All,
            checkpoints: Arc::new(MemoryCheckpoints::new()),
            on_batch: None,
            on_failure: None,
            list_page_size: None,
        }
    }

    fn with_source(source: Arc<dyn ShardSource>, b: ConsumerBuilder, read_limit: i32) -> Consumer {
        let settings = Settings {
            filter: b.filter,
            batch_size: b.batch_size,
            window: b.window,
            max_payload: 6 * 1024 * 1024,
            max_retries: b.max_retries,
            bisect: b.bisect,
            poll_interval: b.poll_interval,
            read_interval: b.poll_interval.min(Duration::from_millis(200)),
            read_limit,
            base_backoff: b.base_backoff,
            max_backoff: b.max_backoff.max(b.base_backoff),
            checkpoints: b.checkpoints,
            on_batch: b.on_batch,
            on_failure: b.on_failure,
        };
        Consumer {
            source,
            settings: Arc::new(settings),
            start: b.start,
            shards: b.shards,
            discovery_interval: b.discovery_interval,
            metrics: Metrics::default(),
        }
    }

    /// The stream's ARN.
    pub fn stream_arn(&self) -> &str {
        self.source.arn()
    }

    /// The per-shard metrics, live.
    pub fn metrics(&self) -> Metrics {
        self.metrics.clone()
    }

    /// Reads the stream and hands batches of kept records to `handler` until `shutdown`
    /// completes (then the records already read are delivered and checkpointed, and it returns
    /// `Ok`) or an error that retrying cannot fix (access denied, a stream that does not exist, a
    /// checkpoint that cannot be written).
    pub async fn run<H, Fut, S>(&self, handler: H, shutdown: S) -> Result<(), StreamError>
    where
        H: Fn(Batch) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Outcome> + Send + 'static,
        S: Future<Output = ()> + Send,
    {
        let handler: HandlerFn = Arc::new(move |b| Box::pin(handler(b)));
        let (stop_tx, stop_rx) = watch::channel(false);
        let run = self.coordinate(handler, stop_rx);
        tokio::pin!(run);
        tokio::pin!(shutdown);
        tokio::select! {
            result = &mut run => result,
            _ = &mut shutdown => {
                let _ = stop_tx.send(true);
                run.await
            }
        }
    }

    /// Discovers shards, starts each when its parents are done, and waits.
    async fn coordinate(&self, handler: HandlerFn, mut stop: watch::Receiver<bool>) -> Result<(), StreamError> {
        let arn = self.source.arn().to_string();
        let store = self.settings.checkpoints.clone();
        let mut tasks: JoinSet<(String, Result<Exit, StreamError>)> = JoinSet::new();
        // The readers stop on this: shutdown, or a fatal error in another reader.
        let (readers_stop, readers_rx) = watch::channel(false);
        let mut started: HashSet<String> = HashSet::new();
        let mut finished: HashSet<String> = HashSet::new();
        // Ending sequence numbers, shared with the readers (a closed shard may still hand out
        // iterators: some services and emulators never end it with a null NextShardIterator).
        let mut endings: HashMap<String, Arc<Mutex<Option<String>>>> = HashMap::new();
        // The first listing: with LATEST, its open shards start at LATEST, its closed ones are not
        // read, and shards listed later (children) are read from their start.
        let mut first: Option<(HashSet<String>, HashSet<String>)> = None;
        let mut failures = 0u32;
        let mut result = Ok(());
        'outer: loop {
            if *stop.borrow() {
                break;
            }
            let listed = match self.source.list_shards().await {
                Ok(l) => {
                    failures = 0;
                    l
                }
                Err(e) if e.kind() == ErrorKind::Transient => {
                    failures += 1;
                    let d = shard::full_jitter(self.settings.base_backoff, self.settings.max_backoff, failures);
                    tokio::select! {
                        _ = tokio::time::sleep(d) => {}
                        _ = stop.changed() => {}
                    }
                    continue;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            };
            let ids: HashSet<&str> = listed.iter().map(|s| s.id.as_str()).collect();
            let (at_start, closed_at_start) = first
                .get_or_insert_with(|| {
                    (
                        listed.iter().map(|s| s.id.clone()).collect::<HashSet<_>>(),
                        listed.iter().filter(|s| s.ending.is_some()).map(|s| s.id.clone()).collect::<HashSet<_>>(),
                    )
                })
                .clone();
            for s in &listed {
                endings
                    .entry(s.id.clone())
                    .or_default()
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone_from(&s.ending);
            }
            for s in &listed {
                if started.contains(&s.id) || finished.contains(&s.id) || !self.shards.owns(&s.id) {
                    continue;
                }
                let checkpoint = match store.load(&arn, &s.id).await {
                    Ok(c) => c,
                    Err(e) => {
                        result = Err(e);
                        break 'outer;
                    }
                };
                let start = match &checkpoint {
                    Some(Checkpoint::ShardEnd) => {
                        finished.insert(s.id.clone());
                        self.metrics.update(&s.id, |m| m.finished = true);
                        continue;
                    }
                    Some(Checkpoint::Sequence(seq)) => IterStart::After(seq.clone()),
                    None => match self.start {
                        StartPosition::Latest if closed_at_start.contains(&s.id) => {
                            // Closed before we started: LATEST has nothing to read in it.
                            finished.insert(s.id.clone());
                            continue;
                        }
                        StartPosition::Latest if at_start.contains(&s.id) => IterStart::Latest,
                        StartPosition::Latest | StartPosition::TrimHorizon => IterStart::TrimHorizon,
                        StartPosition::AtTimestamp(t) => IterStart::AtTimestamp(t),
                    },
                };
                // Lineage: every parent read to its end first (by us, or by whoever owns it).
                let mut ready = true;
                if checkpoint.is_none() || matches!(checkpoint, Some(Checkpoint::Sequence(_))) {
                    for p in &s.parents {
                        let done = finished.contains(p)
                            || !ids.contains(p.as_str())
                            || (self.start == StartPosition::Latest && closed_at_start.contains(p))
                            || matches!(store.load(&arn, p).await, Ok(Some(Checkpoint::ShardEnd)));
                        if !done {
                            ready = false;
                        }
                    }
                }
                if !ready {
                    continue;
                }
                started.insert(s.id.clone());
                self.metrics.update(&s.id, |_| {});
                let reader = shard::Reader {
                    source: self.source.clone(),
                    settings: self.settings.clone(),
                    shard: Arc::from(s.id.as_str()),
                    arn: Arc::from(arn.as_str()),
                    metrics: self.metrics.clone(),
                    stop: readers_rx.clone(),
                    ending: endings.entry(s.id.clone()).or_default().clone(),
                    handler: handler.clone(),
                    checkpoint: match checkpoint {
                        Some(Checkpoint::Sequence(seq)) => Some(seq),
                        _ => None,
                    },
                };
                let id = s.id.clone();
                tasks.spawn(async move { (id, reader.run(start).await) });
            }
            // Wait for a shard to end (its children may start), the next listing, or shutdown.
            let next = tokio::time::sleep(self.discovery_interval);
            tokio::pin!(next);
            loop {
                tokio::select! {
                    done = tasks.join_next(), if !tasks.is_empty() => {
                        match done {
                            Some(Ok((id, Ok(Exit::End)))) => {
                                started.remove(&id);
                                finished.insert(id);
                                continue 'outer;
                            }
                            Some(Ok((id, Ok(Exit::Stopped)))) => {
                                started.remove(&id);
                            }
                            Some(Ok((_, Err(e)))) => {
                                result = Err(e);
                                break 'outer;
                            }
                            Some(Err(e)) => {
                                result = Err(StreamError::new(ErrorKind::Fatal, format!("a shard reader failed: {e}")));
                                break 'outer;
                            }
                            None => {}
                        }
                    }
                    _ = &mut next => continue 'outer,
                    _ = stop.changed() => break 'outer,
                }
            }
        }
        // Shutdown (or a fatal error): every reader delivers what it read and checkpoints.
        let _ = readers_stop.send(true);
        while let Some(done) = tasks.join_next().await {
            match done {
                Ok((_, Err(e))) if result.is_ok() => result = Err(e),
                Err(e) if result.is_ok() => {
                    result = Err(StreamError::new(ErrorKind::Fatal, format!("a shard reader failed: {e}")))
                }
                _ => {}
            }
        }
        result
    }
}

/// The SDK configuration the consumer needs: the standard credential chain and region lookup,
/// an HTTPS client (rustls), and optionally a region and an endpoint URL (for emulators such as
/// moto or LocalStack). The readers retry on their own; the configuration's retry settings apply
/// to the other calls (credentials, `DescribeTable`).
///
/// ```no_run
/// # async fn f() {
/// let config = eventsift::streams::load_config(Some("us-east-1"), Some("http://127.0.0.1:5000")).await;
/// # let _ = config;
/// # }
/// ```
pub async fn load_config(region: Option<&str>, endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
    let http =
        aws_smithy_http_client::Builder::new().tls_provider(tls::Provider::Rustls(CryptoMode::Ring)).build_https();
    let timeouts = aws_config::timeout::TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(15))
        .build();
    let mut loader =
        aws_config::defaults(aws_config::BehaviorVersion::latest()).http_client(http).timeout_config(timeouts);
    if let Some(r) = region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    if let Some(u) = endpoint_url {
        loader = loader.endpoint_url(u);
    }
    loader.load().await
}

/// The ARN of a DynamoDB table's latest stream (`DescribeTable`'s `LatestStreamArn`).
pub async fn table_stream_arn(config: &aws_config::SdkConfig, table: &str) -> Result<String, StreamError> {
    let client = aws_sdk_dynamodb::Client::new(config);
    let out =
        client.describe_table().table_name(table).send().await.map_err(|e| source::classify("DescribeTable", e))?;
    out.table().and_then(|t| t.latest_stream_arn()).map(str::to_string).ok_or_else(|| {
        StreamError::new(ErrorKind::NotFound, format!("table {table} has no stream (enable DynamoDB Streams on it)"))
    })
}
