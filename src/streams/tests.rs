//! The consumer against an in-memory shard source: lineage, filtering, delivery semantics,
//! faults. The same code runs against moto in `tests/streams.rs`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::source::{Body, Page, ReadRecord};
use super::*;

/// One shard of the fake stream.
struct FakeShard {
    info: ShardInfo,
    records: Vec<ReadRecord>,
    /// Closed: reading past the last record gives no next iterator.
    closed: bool,
}

/// A stream in memory. Iterators are `shard|index of the next record`.
#[derive(Default)]
struct FakeSource {
    shards: Mutex<Vec<FakeShard>>,
    /// Errors to answer the next reads with, in order.
    faults: Mutex<VecDeque<ErrorKind>>,
    reads: AtomicUsize,
    /// A Kinesis stream (records carry their data bytes); otherwise DynamoDB.
    kinesis: bool,
}

fn record(seq: u64, name: &str) -> ReadRecord {
    ReadRecord {
        seq: seq.to_string(),
        id: format!("e{seq}"),
        body: Body::Json(format!(
            r#"{{"eventID":"e{seq}","eventName":"{name}","eventSource":"aws:dynamodb","dynamodb":{{"Keys":{{"pk":{{"S":"k{seq}"}}}},"SequenceNumber":"{seq}"}}}}"#
        )),
        created: None,
    }
}

/// The record as Lambda delivers it.
fn json_of(r: &ReadRecord) -> String {
    r.clone().take_json()
}

fn shard(id: &str, parents: &[&str], seqs: std::ops::Range<u64>, closed: bool) -> FakeShard {
    FakeShard {
        info: ShardInfo {
            id: id.into(),
            parents: parents.iter().map(|p| p.to_string()).collect(),
            ending: closed.then(|| seqs.end.saturating_sub(1).to_string()),
        },
        records: seqs
            .map(|s| {
                record(
                    s,
                    if s % 3 == 0 {
                        "REMOVE"
                    } else if s % 3 == 1 {
                        "INSERT"
                    } else {
                        "MODIFY"
                    },
                )
            })
            .collect(),
        closed,
    }
}

impl ShardSource for FakeSource {
    fn arn(&self) -> &str {
        "arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/L"
    }

    fn source(&self) -> Source {
        if self.kinesis {
            Source::Kinesis
        } else {
            Source::DynamoDb
        }
    }

    fn list_shards(&self) -> BoxFuture<'_, Result<Vec<ShardInfo>, StreamError>> {
        let list = self.shards.lock().unwrap().iter().map(|s| s.info.clone()).collect();
        Box::pin(std::future::ready(Ok(list)))
    }

    fn iterator<'a>(&'a self, shard: &'a str, start: &'a IterStart) -> BoxFuture<'a, Result<String, StreamError>> {
        let shards = self.shards.lock().unwrap();
        let s = shards.iter().find(|s| s.info.id == shard).expect("known shard");
        let index = match start {
            IterStart::TrimHorizon | IterStart::AtTimestamp(_) => 0,
            IterStart::Latest => s.records.len(),
            IterStart::After(seq) => s.records.iter().position(|r| &r.seq == seq).map_or(0, |i| i + 1),
        };
        Box::pin(std::future::ready(Ok(format!("{shard}|{index}"))))
    }

    fn read<'a>(&'a self, _shard: &'a str, iterator: &'a str, limit: i32) -> BoxFuture<'a, Result<Page, StreamError>> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        if let Some(kind) = self.faults.lock().unwrap().pop_front() {
            return Box::pin(std::future::ready(Err(StreamError::new(kind, "injected"))));
        }
        let (shard, index) = iterator.split_once('|').unwrap();
        let index: usize = index.parse().unwrap();
        let shards = self.shards.lock().unwrap();
        let s = shards.iter().find(|s| s.info.id == shard).unwrap();
        let end = (index + limit as usize).min(s.records.len());
        let records = s.records[index..end].to_vec();
        let next = if s.closed && end == s.records.len() { None } else { Some(format!("{shard}|{end}")) };
        Box::pin(std::future::ready(Ok(Page { records, next, millis_behind: None })))
    }
}

type Seen = Arc<Mutex<Vec<(String, Vec<String>, u32)>>>;
type Failed = Arc<Mutex<Vec<(Vec<String>, u32)>>>;

/// Runs a consumer on `source` until `want` records were delivered (or 5 s passed; with
/// `want == 0`, for 300 ms), with
/// `handle` deciding each invocation's outcome. Returns the invocations: (shard, sequence
/// numbers, attempt).
async fn consume(
    source: Arc<FakeSource>,
    builder: ConsumerBuilder,
    want: usize,
    handle: impl Fn(&Batch) -> Outcome + Send + Sync + 'static,
) -> (Vec<(String, Vec<String>, u32)>, Consumer) {
    let consumer = Consumer::with_source(
        source,
        builder
            .poll_interval(Duration::from_millis(5))
            .base_backoff(Duration::from_millis(1))
            .max_backoff(Duration::from_millis(5))
            .discovery_interval(Duration::from_millis(20)),
        4,
    );
    let seen: Seen = Arc::default();
    let delivered = Arc::new(AtomicUsize::new(0));
    let (done_tx, mut done_rx) = watch::channel(false);
    let handler = {
        let seen = seen.clone();
        let delivered = delivered.clone();
        let handle = Arc::new(handle);
        move |batch: Batch| {
            let outcome = handle(&batch);
            seen.lock().unwrap().push((
                batch.shard_id.to_string(),
                batch.records.iter().map(|r| r.sequence_number.clone()).collect(),
                batch.attempt,
            ));
            let ok = match &outcome {
                Outcome::Success => batch.records.len(),
                Outcome::BatchItemFailures(ids) => {
                    batch.records.iter().position(|r| ids.contains(&r.sequence_number)).unwrap_or(batch.records.len())
                }
                Outcome::Error(_) => 0,
            };
            if want > 0 && delivered.fetch_add(ok, Ordering::SeqCst) + ok >= want {
                let _ = done_tx.send(true);
            }
            async move { outcome }
        }
    };
    let shutdown = async move {
        let limit = if want == 0 { Duration::from_millis(300) } else { Duration::from_secs(5) };
        let _ = tokio::time::timeout(limit, done_rx.wait_for(|d| *d)).await;
    };
    consumer.run(handler, shutdown).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    (seen, consumer)
}

fn all_seqs(seen: &[(String, Vec<String>, u32)]) -> Vec<String> {
    seen.iter().flat_map(|(_, s, _)| s.clone()).collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

#[test]
fn parents_finish_before_children_start() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        {
            let mut s = source.shards.lock().unwrap();
            // A merge: A and B are the parents of M; a split: M is the parent of C1 and C2.
            s.push(shard("A", &[], 1..8, true));
            s.push(shard("B", &[], 100..104, true));
            s.push(shard("M", &["A", "B"], 200..206, true));
            s.push(shard("C1", &["M"], 300..303, false));
            s.push(shard("C2", &["M"], 400..405, false));
        }
        let store = Arc::new(MemoryCheckpoints::new());
        let (seen, consumer) = consume(
            source.clone(),
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store.clone()),
            7 + 4 + 6 + 3 + 5,
            |_| Outcome::Success,
        )
        .await;
        let order: Vec<String> = seen.iter().map(|(s, _, _)| s.clone()).collect();
        let last = |id: &str| order.iter().rposition(|s| s == id).unwrap();
        let first = |id: &str| order.iter().position(|s| s == id).unwrap();
        assert!(last("A") < first("M") && last("B") < first("M"), "{order:?}");
        assert!(last("M") < first("C1") && last("M") < first("C2"), "{order:?}");
        // Order kept within each shard, nothing lost or repeated.
        for id in ["A", "B", "M", "C1", "C2"] {
            let seqs: Vec<u64> = seen
                .iter()
                .filter(|(s, _, _)| s == id)
                .flat_map(|(_, q, _)| q.iter().map(|x| x.parse::<u64>().unwrap()))
                .collect();
            let want: Vec<u64> = source
                .shards
                .lock()
                .unwrap()
                .iter()
                .find(|s| s.info.id == id)
                .unwrap()
                .records
                .iter()
                .map(|r| r.seq.parse().unwrap())
                .collect();
            assert_eq!(seqs, want, "{id}");
        }
        let cps = &store.snapshot()[consumer.stream_arn()];
        for id in ["A", "B", "M"] {
            assert_eq!(cps[id], Checkpoint::ShardEnd, "{id}");
        }
        assert_eq!(cps["C2"], Checkpoint::Sequence("404".into()));
        let m = consumer.metrics().snapshot();
        assert_eq!(m.iter().map(|m| m.read).sum::<u64>(), 25);
        assert!(m.iter().filter(|m| m.finished).count() == 3, "{m:?}");
    });
}

#[test]
fn kept_records_equal_filter_batch_and_drops_are_reported() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("S", &[], 1..31, false));
        let criteria = r#"{"Filters":[{"Pattern":"{\"eventName\":[\"INSERT\",\"MODIFY\"]}"}]}"#;
        let filter = Filter::new(criteria, Source::DynamoDb).unwrap();
        let reports: Arc<Mutex<Vec<BatchReport>>> = Arc::default();
        let r2 = reports.clone();
        let store = Arc::new(MemoryCheckpoints::new());
        let (seen, consumer) = consume(
            source.clone(),
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .filter(filter.clone())
                .batch_size(3)
                .checkpoints(store.clone())
                .on_batch(move |r| r2.lock().unwrap().push(r.clone())),
            20,
            |_| Outcome::Success,
        )
        .await;
        let batch = format!(
            "{{\"Records\":[{}]}}",
            source.shards.lock().unwrap()[0].records.iter().map(json_of).collect::<Vec<_>>().join(",")
        );
        let expected = filter.filter_batch(&batch).unwrap();
        let kept: Vec<String> = serde_json::from_str::<serde_json::Value>(&expected.event).unwrap()["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["dynamodb"]["SequenceNumber"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(all_seqs(&seen), kept);
        assert!(seen.iter().all(|(_, s, _)| s.len() <= 3));
        let reports = reports.lock().unwrap();
        let dropped: Vec<String> = reports.iter().flat_map(|r| r.dropped.iter().map(|d| d.event_id.clone())).collect();
        let expected_dropped: Vec<String> = expected.dropped.iter().map(|d| d.id.clone().unwrap()).collect();
        assert_eq!(dropped, expected_dropped);
        // Record 30 is a REMOVE, dropped: the checkpoint still moves past it.
        assert_eq!(store.snapshot()[consumer.stream_arn()]["S"], Checkpoint::Sequence("30".into()));
        let m = &consumer.metrics().snapshot()[0];
        assert_eq!((m.read, m.kept, m.dropped), (30, 20, 10));
    });
}

/// Kinesis records are filtered from their fields and the data bytes read (`Body::Kinesis`,
/// `Filter::evaluate_kinesis`), not from the Lambda record: the same records kept, in order, byte
/// for byte, and the same payload kinds reported for the dropped ones, as `Filter::filter_batch`
/// on the delivered format (which `convert::kinesis_record` writes).
#[test]
fn kinesis_records_filtered_from_their_bytes_as_filter_batch() {
    rt().block_on(async {
        use aws_sdk_kinesis::primitives::{Blob, DateTime};
        let source = Arc::new(FakeSource { kinesis: true, ..FakeSource::default() });
        let arn = "arn:aws:kinesis:us-east-1:123456789012:stream/s";
        let (arn_arc, region): (Arc<str>, Arc<str>) = (arn.into(), "us-east-1".into());
        let records: Vec<ReadRecord> = (1..40u64)
            .map(|i| {
                let data: Vec<u8> = match i % 5 {
                    0 => format!("plain text {i}").into_bytes(),
                    1 => vec![0xff, 0xfe, i as u8],
                    _ => serde_json::json!({
                        "order": {"type": if i % 3 == 0 { "buy" } else { "sell" }, "qty": i * 7 % 50},
                        "device": format!("sensor-{}", i % 20),
                        "note": "caf\u{e9} \"quoted\"",
                    })
                    .to_string()
                    .into_bytes(),
                };
                let r = aws_sdk_kinesis::types::Record::builder()
                    .sequence_number(i.to_string())
                    .partition_key(if i % 13 == 0 { "hot".to_string() } else { format!("pk-{i}") })
                    .data(Blob::new(data))
                    .approximate_arrival_timestamp(DateTime::from_millis(1_700_000_000_000 + i as i64))
                    .build()
                    .unwrap();
                let read = ReadRecord::kinesis(r.clone(), "shardId-1", &arn_arc, &region);
                assert_eq!(json_of(&read), convert::kinesis_record(&r, "shardId-1", arn, "us-east-1"));
                read
            })
            .collect();
        // The last record is kept (so every record is read and reported by the time it is delivered).
        source.shards.lock().unwrap().push(FakeShard {
            info: ShardInfo { id: "shardId-1".into(), parents: vec![], ending: None },
            records: records.clone(),
            closed: false,
        });
        let jsons: Vec<String> = records.iter().map(json_of).collect();
        let criteria = r#"{"Filters": [
            {"Pattern": "{\"data\": {\"order\": {\"type\": [\"buy\"]}, \"qty\": [{\"numeric\": [\">\", 10]}]}}"},
            {"Pattern": "{\"data\": {\"device\": [{\"prefix\": \"sensor-1\"}]}}"},
            {"Pattern": "{\"partitionKey\": [\"hot\"]}"}
        ]}"#;
        let filter = Filter::new(criteria, Source::Kinesis).unwrap();
        let expected = filter.filter_batch(&format!("{{\"Records\":[{}]}}", jsons.join(","))).unwrap();
        let kept_json: Vec<String> = serde_json::from_str::<serde_json::Value>(&expected.event).unwrap()["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.to_string())
            .collect();
        assert!(expected.kept > 0 && !expected.dropped.is_empty(), "{expected:?}");
        let reports: Arc<Mutex<Vec<BatchReport>>> = Arc::default();
        let r2 = reports.clone();
        let delivered: Arc<Mutex<Vec<String>>> = Arc::default();
        let d2 = delivered.clone();
        let (_, consumer) = consume(
            source,
            Consumer::builder(StreamRef::Kinesis(String::new()))
                .start(StartPosition::TrimHorizon)
                .filter(filter)
                .batch_size(3)
                .on_batch(move |r| r2.lock().unwrap().push(r.clone())),
            expected.kept,
            move |b| {
                d2.lock().unwrap().extend(b.records.iter().map(|r| r.json.clone()));
                Outcome::Success
            },
        )
        .await;
        // Byte for byte: the record delivered is the converted one (data still base64).
        let delivered = delivered.lock().unwrap().clone();
        let reparsed: Vec<String> =
            delivered.iter().map(|j| serde_json::from_str::<serde_json::Value>(j).unwrap().to_string()).collect();
        assert_eq!(reparsed, kept_json);
        let by_json: std::collections::HashSet<&str> = jsons.iter().map(String::as_str).collect();
        assert!(delivered.iter().all(|j| by_json.contains(j.as_str())));
        let reports = reports.lock().unwrap();
        let dropped: Vec<(String, Option<crate::lambda::Payload>)> = reports
            .iter()
            .flat_map(|r| r.dropped.iter())
            .map(|d| {
                let payload = match d.reason {
                    DropReason::NoMatch { payload } => Some(payload),
                    _ => None,
                };
                (d.event_id.clone(), payload)
            })
            .collect();
        let expected_dropped: Vec<(String, Option<crate::lambda::Payload>)> = expected
            .dropped
            .iter()
            .map(|d| {
                let payload = match d.reason {
                    DropReason::NoMatch { payload } => Some(payload),
                    _ => None,
                };
                (d.id.clone().unwrap(), payload)
            })
            .collect();
        assert_eq!(dropped, expected_dropped);
        let kinds: std::collections::HashSet<_> = dropped.iter().map(|(_, p)| *p).collect();
        assert!(
            kinds.contains(&Some(crate::lambda::Payload::Plain))
                && kinds.contains(&Some(crate::lambda::Payload::Undecodable))
        );
        let m = &consumer.metrics().snapshot()[0];
        assert_eq!((m.kept, m.dropped), (expected.kept as u64, expected.dropped.len() as u64));
    });
}

#[test]
fn batch_item_failures_retry_from_the_first_failure() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("S", &[], 1..5, false));
        let store = Arc::new(MemoryCheckpoints::new());
        let (seen, consumer) = consume(
            source,
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store.clone()),
            4,
            |b| {
                // 3 fails on its first two invocations, then succeeds; 4 is reported too.
                if b.attempt <= 2 && b.records.iter().any(|r| r.sequence_number == "3") {
                    Outcome::BatchItemFailures(vec!["4".into(), "3".into()])
                } else {
                    Outcome::Success
                }
            },
        )
        .await;
        let calls: Vec<(Vec<String>, u32)> = seen.iter().map(|(_, s, a)| (s.clone(), *a)).collect();
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(calls, vec![(v(&["1", "2", "3", "4"]), 1), (v(&["3", "4"]), 2), (v(&["3", "4"]), 3)]);
        assert_eq!(store.snapshot()[consumer.stream_arn()]["S"], Checkpoint::Sequence("4".into()));
    });
}

#[test]
fn bisect_then_on_failure_then_move_on() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("S", &[], 1..5, false));
        let failed: Failed = Arc::default();
        let f2 = failed.clone();
        let store = Arc::new(MemoryCheckpoints::new());
        let (seen, consumer) = consume(
            source,
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store.clone())
                .bisect_on_error(true)
                .max_retries(Some(1))
                .on_failure(move |b: FailedBatch| {
                    f2.lock()
                        .unwrap()
                        .push((b.records.iter().map(|r| r.sequence_number.clone()).collect(), b.attempts));
                    async {}
                }),
            3,
            |b| {
                if b.records.iter().any(|r| r.sequence_number == "3") {
                    Outcome::Error("poison".into())
                } else {
                    Outcome::Success
                }
            },
        )
        .await;
        let calls: Vec<Vec<String>> = seen.iter().map(|(_, s, _)| s.clone()).collect();
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            calls,
            vec![v(&["1", "2", "3", "4"]), v(&["1", "2"]), v(&["3", "4"]), v(&["3"]), v(&["3"]), v(&["4"])]
        );
        assert_eq!(*failed.lock().unwrap(), vec![(v(&["3"]), 2)]);
        assert_eq!(store.snapshot()[consumer.stream_arn()]["S"], Checkpoint::Sequence("4".into()));
        assert_eq!(consumer.metrics().snapshot()[0].failed, 1);
    });
}

#[test]
fn faults_and_expired_iterators_change_nothing() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("S", &[], 1..41, false));
        source.faults.lock().unwrap().extend([
            ErrorKind::Transient,
            ErrorKind::ExpiredIterator,
            ErrorKind::Transient,
            ErrorKind::Transient,
            ErrorKind::ExpiredIterator,
        ]);
        let (seen, consumer) = consume(
            source.clone(),
            Consumer::builder(StreamRef::DynamoDb(String::new())).start(StartPosition::TrimHorizon),
            40,
            |_| Outcome::Success,
        )
        .await;
        let want: Vec<String> = (1..41).map(|s| s.to_string()).collect();
        assert_eq!(all_seqs(&seen), want);
        assert_eq!(consumer.metrics().snapshot()[0].read_errors, 5);
    });
}

#[test]
fn latest_skips_what_was_there_and_a_checkpoint_resumes() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("Old", &[], 1..4, true));
        source.shards.lock().unwrap().push(shard("S", &["Old"], 10..20, false));
        let store = Arc::new(MemoryCheckpoints::new());
        store
            .save("arn:aws:dynamodb:us-east-1:123456789012:table/T/stream/L", "S", &Checkpoint::Sequence("15".into()))
            .await
            .unwrap();
        let (seen, _) = consume(
            source.clone(),
            Consumer::builder(StreamRef::DynamoDb(String::new())).start(StartPosition::Latest).checkpoints(store),
            4,
            |_| Outcome::Success,
        )
        .await;
        // S resumes after its checkpoint; Old, closed before the start, is not read with LATEST.
        assert_eq!(all_seqs(&seen), ["16", "17", "18", "19"]);
        let (seen, _) = consume(
            source,
            Consumer::builder(StreamRef::DynamoDb(String::new())).start(StartPosition::Latest),
            0,
            |_| Outcome::Success,
        )
        .await;
        assert!(seen.is_empty(), "{seen:?}");
    });
}

#[test]
fn shutdown_delivers_the_open_batch_and_checkpoints() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("S", &[], 1..4, false));
        let store = Arc::new(MemoryCheckpoints::new());
        let consumer = Consumer::with_source(
            source,
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store.clone())
                .batching_window(Duration::from_secs(60))
                .poll_interval(Duration::from_millis(5)),
            100,
        );
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let s2 = seen.clone();
        let metrics = consumer.metrics();
        let shutdown = async move {
            // Until the three records are read (and held by the 60 s window).
            while metrics.snapshot().first().is_none_or(|m| m.read < 3) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        };
        consumer
            .run(
                move |b: Batch| {
                    s2.lock().unwrap().extend(b.records.iter().map(|r| r.sequence_number.clone()));
                    async { Outcome::Success }
                },
                shutdown,
            )
            .await
            .unwrap();
        assert_eq!(*seen.lock().unwrap(), ["1", "2", "3"]);
        assert_eq!(store.snapshot()[consumer.stream_arn()]["S"], Checkpoint::Sequence("3".into()));
    });
}

#[test]
fn static_assignment_waits_for_a_parent_owned_elsewhere() {
    rt().block_on(async {
        let source = Arc::new(FakeSource::default());
        source.shards.lock().unwrap().push(shard("P", &[], 1..3, true));
        source.shards.lock().unwrap().push(shard("C", &["P"], 10..12, false));
        let store = Arc::new(MemoryCheckpoints::new());
        let only = |id: &str| ShardAssignment::Only([id.to_string()].into());
        // The owner of C alone: P is not finished, so C waits.
        let (seen, _) = consume(
            source.clone(),
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store.clone())
                .shards(only("C")),
            0,
            |_| Outcome::Success,
        )
        .await;
        assert!(seen.is_empty(), "{seen:?}");
        // The owner of P reads it to its end...
        let (seen, _) = consume(
            source.clone(),
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store.clone())
                .shards(only("P")),
            2,
            |_| Outcome::Success,
        )
        .await;
        assert_eq!(all_seqs(&seen), ["1", "2"]);
        // ...and then C's owner goes on, through the shared store.
        let (seen, _) = consume(
            source,
            Consumer::builder(StreamRef::DynamoDb(String::new()))
                .start(StartPosition::TrimHorizon)
                .checkpoints(store)
                .shards(only("C")),
            2,
            |_| Outcome::Success,
        )
        .await;
        assert_eq!(all_seqs(&seen), ["10", "11"]);
    });
}
