//! What filtering adds to the CPU time of the stream consumer reading the same records with no
//! filter, against moto's server (issue 12: "filtering adds < 5% CPU over reading the same records
//! with no filter, against the emulator").
//!
//! ```sh
//! target/moto-venv/bin/moto_server -H 127.0.0.1 -p 5077 &   # see CONTRIBUTING.md for the venv
//! EVENTSIFT_MOTO_ENDPOINT=http://127.0.0.1:5077 cargo bench --features streams --bench streams_emulator
//! ```
//!
//! Without `EVENTSIFT_MOTO_ENDPOINT` it prints this and exits (so that `cargo bench` passes on a
//! fresh clone). The environment changes the workload: `EVENTSIFT_BENCH_DYNAMODB_RECORDS` (default
//! 1,000: moto 5.2.6 serialises DynamoDB stream records at about 400 per second, so each read of
//! the stream takes about 2.5 s of wall time), `EVENTSIFT_BENCH_KINESIS_RECORDS` (default 20,000),
//! `EVENTSIFT_BENCH_ROUNDS` (default 9), `EVENTSIFT_BENCH_SOURCES` (default `dynamodb,kinesis`).
//!
//! It writes the records once, to a fresh DynamoDB table with a NEW_IMAGE stream (INSERTs,
//! MODIFYs and REMOVEs of order items of about 0.5 KB) and to a fresh Kinesis stream of two shards
//! (JSON payloads of about 170 bytes, one in ten plain text, one in fifty not UTF-8). Then, for each source, in
//! interleaved rounds (the order of the two runs alternating from round to round), the library's
//! consumer (`streams::Consumer`, the code `eventsift tail` runs: same defaults, batches of 100, an
//! `on_batch` callback) reads every record from TRIM_HORIZON to the end, once with no criteria
//! (everything kept) and once with the criteria of `benches/streams.rs` (five DynamoDB filters,
//! three Kinesis filters). The handler only counts the records it gets.
//!
//! Measured: this process's CPU time (user + system, all threads: the sum of
//! `/proc/self/task/*/schedstat`, in nanoseconds; `/proc/self/stat`'s clock ticks, which also count
//! threads that exited, are printed as a cross-check) and the wall time of each run. moto runs in
//! its own process and is not counted. Before anything is reported, each run's kept records are
//! checked against `Filter::filter_batch` on the same records read directly with the SDK and
//! converted with `streams::convert` (in the first, untimed, round: the same records in the same
//! order; in every round: the same counts per shard).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, DeleteRequest, KeySchemaElement, KeyType, PutRequest,
    ScalarAttributeType, StreamSpecification, StreamViewType, WriteRequest,
};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, ShardIteratorType};
use eventsift::lambda::Filter;
use eventsift::streams::{self, convert, Batch, BatchReport, Consumer, Outcome, StartPosition, StreamRef};
use eventsift::Source;
use serde_json::Value;

#[path = "streams_criteria/mod.rs"]
mod streams_criteria;
use streams_criteria::{criteria, DYNAMODB_FILTERS, KINESIS_FILTERS};

const REGION: &str = "us-east-1";

fn usage() -> &'static str {
    "benches/streams_emulator.rs measures the stream consumer against moto's server and needs it:\n\
     \n    python3 -m venv target/moto-venv && target/moto-venv/bin/pip install 'moto[server]==5.2.6'\n    \
     target/moto-venv/bin/moto_server -H 127.0.0.1 -p 5077 &\n    \
     EVENTSIFT_MOTO_ENDPOINT=http://127.0.0.1:5077 cargo bench --features streams --bench streams_emulator\n\
     \nEVENTSIFT_BENCH_DYNAMODB_RECORDS (default 1000), EVENTSIFT_BENCH_KINESIS_RECORDS (default 20000), \
     EVENTSIFT_BENCH_ROUNDS (default 9) and EVENTSIFT_BENCH_SOURCES (default dynamodb,kinesis) change the \
     workload. EVENTSIFT_MOTO_ENDPOINT is not set: nothing measured."
}

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
        Err(_) => default,
    }
}

struct Workload {
    dynamodb: usize,
    kinesis: usize,
    rounds: usize,
    sources: String,
}

fn main() {
    let Ok(url) = std::env::var("EVENTSIFT_MOTO_ENDPOINT") else {
        println!("{}", usage());
        return;
    };
    let workload = Workload {
        dynamodb: env_usize("EVENTSIFT_BENCH_DYNAMODB_RECORDS", 1_000).max(10),
        kinesis: env_usize("EVENTSIFT_BENCH_KINESIS_RECORDS", 20_000).max(10),
        rounds: env_usize("EVENTSIFT_BENCH_ROUNDS", 9).max(1),
        sources: std::env::var("EVENTSIFT_BENCH_SOURCES").unwrap_or_else(|_| "dynamodb,kinesis".into()),
    };
    // The runtime `eventsift tail` runs the consumer on.
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(run(url, workload));
}

// ---------------------------------------------------------------------------------------------
// CPU time of this process.

/// This process's CPU time so far: each thread's run time (nanoseconds, from
/// `/proc/self/task/TID/schedstat`) and the process's user + system clock ticks (`/proc/self/stat`,
/// which include threads that have exited).
struct CpuClock {
    threads: HashMap<String, u64>,
    ticks: u64,
}

/// Linux's user-visible clock tick (`USER_HZ`, `sysconf(_SC_CLK_TCK)`): 100 on every architecture
/// Rust supports there.
const TICKS_PER_SECOND: f64 = 100.0;

impl CpuClock {
    fn now() -> CpuClock {
        let mut threads = HashMap::new();
        for entry in std::fs::read_dir("/proc/self/task").expect("/proc/self/task (Linux only)") {
            let entry = entry.unwrap();
            // A thread may exit between the listing and the read.
            if let Ok(text) = std::fs::read_to_string(entry.path().join("schedstat")) {
                let ns = text.split_whitespace().next().and_then(|f| f.parse().ok()).unwrap_or(0);
                threads.insert(entry.file_name().to_string_lossy().into_owned(), ns);
            }
        }
        let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
        // The fields after the command name (which is in parentheses and may hold spaces):
        // state is field 3, utime 14 and stime 15.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        CpuClock { threads, ticks }
    }

    /// CPU seconds from `self` to `later`: (threads' run time, clock ticks). The first is `None`
    /// when a thread that existed at `self` is gone (its time since is unknown).
    fn until(&self, later: &CpuClock) -> (Option<f64>, f64) {
        let lost = self.threads.keys().any(|t| !later.threads.contains_key(t));
        let ns: u64 =
            later.threads.iter().map(|(t, &ns)| ns.saturating_sub(self.threads.get(t).copied().unwrap_or(0))).sum();
        let ticks = (later.ticks - self.ticks) as f64 / TICKS_PER_SECOND;
        ((!lost).then_some(ns as f64 / 1e9), ticks)
    }
}

// ---------------------------------------------------------------------------------------------
// The emulator: configuration, names, writing the workload.

async fn config(url: &str) -> aws_config::SdkConfig {
    let creds = aws_sdk_kinesis::config::Credentials::new("test", "test", None, None, "bench");
    streams::load_config(Some(REGION), Some(url))
        .await
        .to_builder()
        .credentials_provider(aws_sdk_kinesis::config::SharedCredentialsProvider::new(creds))
        .build()
}

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn num(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

/// An order item of about 0.5 KB (as DynamoDB JSON in the stream record). `version` changes what
/// a MODIFY writes.
fn order_item(key: &str, i: usize, version: usize) -> HashMap<String, AttributeValue> {
    let v = i + version * 7;
    let status = ["PENDING", "SHIPPED", "DRAFT", "DELIVERED", "CANCELLED", "PENDING"][v % 6];
    let carrier = ["DHL Express", "UPS", "FedEx", "DHL Parcel"][v % 4];
    let region = ["eu-west-1", "us-east-1", "eu-central-1", "ap-south-1", "us-west-2"][i % 5];
    let tier = ["gold", "silver", "Gold", "bronze", "GOLD", "basic", "platinum"][i % 7];
    let line = |n: usize| {
        AttributeValue::M(HashMap::from([
            ("sku".to_string(), s(format!("sku-{:05}", (i * 31 + n) % 50_000))),
            ("qty".to_string(), num(1 + (i + n) % 9)),
            ("price".to_string(), num(format!("{}.{:02}", 3 + (i * 7 + n) % 200, (i + n) % 100))),
        ]))
    };
    HashMap::from([
        ("orderId".to_string(), s(key)),
        ("status".to_string(), s(status)),
        ("carrier".to_string(), s(carrier)),
        ("region".to_string(), s(region)),
        ("tier".to_string(), s(tier)),
        ("priority".to_string(), AttributeValue::Bool(v.is_multiple_of(11))),
        ("total".to_string(), num(format!("{}.{:02}", v % 1000, v % 100))),
        ("lines".to_string(), AttributeValue::L(vec![line(0), line(1)])),
        (
            "customer".to_string(),
            AttributeValue::M(HashMap::from([
                ("id".to_string(), s(format!("cust-{:06}", i % 4_000))),
                ("name".to_string(), s(format!("Customer {}", i % 4_000))),
                ("email".to_string(), s(format!("customer{}@example.com", i % 4_000))),
                ("city".to_string(), s(["Paris", "Berlin", "Dublin", "Madrid", "Milan"][i % 5])),
            ])),
        ),
        ("createdAt".to_string(), s(format!("2026-12-{:02}T{:02}:{:02}:00Z", 1 + i % 28, i % 24, i % 60))),
        ("note".to_string(), s(format!("leave at the door, ring twice; order {i} revision {version}"))),
    ])
}

/// Writes `n` stream records to `table`: INSERT, MODIFY, REMOVE, MODIFY, INSERT repeating (a
/// MODIFY or REMOVE with no live item to change is an INSERT instead), with BatchWriteItem, one
/// request after another (no key twice in one request). Returns the event names in write order.
async fn write_dynamodb(cfg: &aws_config::SdkConfig, table: &str, n: usize) -> Vec<&'static str> {
    let ddb = aws_sdk_dynamodb::Client::new(cfg);
    let mut live: std::collections::VecDeque<(String, usize, usize)> = Default::default();
    let mut names = Vec::with_capacity(n);
    let mut batch: Vec<WriteRequest> = Vec::new();
    let mut keys: std::collections::HashSet<String> = Default::default();
    let send = |batch: Vec<WriteRequest>| {
        let ddb = ddb.clone();
        async move {
            let out = ddb.batch_write_item().request_items(table, batch).send().await.unwrap();
            assert!(out.unprocessed_items().is_none_or(|u| u.is_empty()), "unprocessed items");
        }
    };
    for i in 0..n {
        let want = ["INSERT", "MODIFY", "REMOVE", "MODIFY", "INSERT"][i % 5];
        let op = if want != "INSERT" && live.is_empty() { "INSERT" } else { want };
        let (key, request) = match op {
            "INSERT" => {
                let key = format!("order-{i:08}");
                live.push_back((key.clone(), i, 0));
                let item = order_item(&key, i, 0);
                (key, WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build().unwrap()))
            }
            "MODIFY" => {
                let at = (i * 7) % live.len();
                let entry = &mut live[at];
                entry.2 += 1;
                let item = order_item(&entry.0, entry.1, entry.2);
                (
                    entry.0.clone(),
                    WriteRequest::builder().put_request(PutRequest::builder().set_item(Some(item)).build().unwrap()),
                )
            }
            _ => {
                let (key, _, _) = live.pop_front().unwrap();
                let request = DeleteRequest::builder().key("orderId", s(&key)).build().unwrap();
                (key, WriteRequest::builder().delete_request(request))
            }
        };
        if keys.contains(&key) || batch.len() == 25 {
            send(std::mem::take(&mut batch)).await;
            keys.clear();
        }
        keys.insert(key);
        batch.push(request.build());
        names.push(op);
    }
    if !batch.is_empty() {
        send(batch).await;
    }
    names
}

/// A Kinesis payload: a JSON reading of about 250 bytes; one in ten is a plain-text log line, one
/// in fifty bytes that are not UTF-8. The partition key is "hot" one time in thirteen.
fn kinesis_payload(i: usize) -> (Vec<u8>, String) {
    let data = if i % 10 == 9 {
        format!("2026-12-07T10:{:02}:{:02}Z WARN sensor-{} battery low ({}%)", i % 60, i % 59, i % 20, i % 100)
            .into_bytes()
    } else if i % 50 == 7 {
        let mut b = vec![0xff, 0xfe, 0x00, 0x01];
        b.extend((0..120).map(|k| ((i * 31 + k * 17) % 256) as u8));
        b
    } else {
        serde_json::json!({
            "order": {"id": i, "type": if i.is_multiple_of(3) { "buy" } else { "sell" }, "symbol": (["ACME", "GLOBEX", "INITECH"][i % 3])},
            "qty": i * 7 % 50,
            "device": format!("sensor-{}", i % 20),
            "ts": 1_765_000_000_000u64 + i as u64,
            "location": {"lat": 48.85 + (i % 100) as f64 / 1000.0, "lon": 2.35 - (i % 50) as f64 / 1000.0},
            "firmware": "v2.3.1",
            "readings": [i % 97, i % 89, i % 83],
        })
        .to_string()
        .into_bytes()
    };
    let key = if i.is_multiple_of(13) { "hot".to_string() } else { format!("pk-{i}") };
    (data, key)
}

async fn write_kinesis(cfg: &aws_config::SdkConfig, name: &str, n: usize) {
    let k = aws_sdk_kinesis::Client::new(cfg);
    let ids: Vec<usize> = (0..n).collect();
    for chunk in ids.chunks(500) {
        let entries = chunk
            .iter()
            .map(|&i| {
                let (data, key) = kinesis_payload(i);
                PutRecordsRequestEntry::builder().data(Blob::new(data)).partition_key(key).build().unwrap()
            })
            .collect::<Vec<_>>();
        let out = k.put_records().stream_name(name).set_records(Some(entries)).send().await.unwrap();
        assert_eq!(out.failed_record_count(), Some(0));
    }
}

// ---------------------------------------------------------------------------------------------
// Reading: directly with the SDK (the reference), and with the consumer (measured).

/// Every record of every shard, read with the SDK and converted with `streams::convert`: shard id
/// → (sequence numbers, Lambda records).
type Direct = BTreeMap<String, (Vec<String>, Vec<String>)>;

async fn read_dynamodb_directly(cfg: &aws_config::SdkConfig, arn: &str) -> Direct {
    let c = aws_sdk_dynamodbstreams::Client::new(cfg);
    let d = c.describe_stream().stream_arn(arn).send().await.unwrap();
    let mut out = BTreeMap::new();
    for shard in d.stream_description().unwrap().shards() {
        let id = shard.shard_id().unwrap();
        let mut it = c
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(id)
            .shard_iterator_type(aws_sdk_dynamodbstreams::types::ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_string);
        let (mut seqs, mut records) = (Vec::new(), Vec::new());
        while let Some(i) = it {
            let page = c.get_records().shard_iterator(i).send().await.unwrap();
            if page.records().is_empty() {
                break;
            }
            for r in page.records() {
                seqs.push(r.dynamodb().and_then(|d| d.sequence_number()).unwrap().to_string());
                records.push(convert::dynamodb_record(r, arn, REGION));
            }
            it = page.next_shard_iterator().map(str::to_string);
        }
        out.insert(id.to_string(), (seqs, records));
    }
    out
}

async fn read_kinesis_directly(cfg: &aws_config::SdkConfig, arn: &str) -> Direct {
    let c = aws_sdk_kinesis::Client::new(cfg);
    let shards = c.list_shards().stream_arn(arn).send().await.unwrap();
    let mut out = BTreeMap::new();
    for shard in shards.shards() {
        let id = shard.shard_id();
        let mut it = c
            .get_shard_iterator()
            .stream_arn(arn)
            .shard_id(id)
            .shard_iterator_type(ShardIteratorType::TrimHorizon)
            .send()
            .await
            .unwrap()
            .shard_iterator()
            .map(str::to_string);
        let (mut seqs, mut records) = (Vec::new(), Vec::new());
        while let Some(i) = it {
            let page = c.get_records().stream_arn(arn).shard_iterator(i).send().await.unwrap();
            if page.records().is_empty() {
                break;
            }
            for r in page.records() {
                seqs.push(r.sequence_number().to_string());
                records.push(convert::kinesis_record(r, id, arn, REGION));
            }
            it = page.next_shard_iterator().map(str::to_string);
        }
        out.insert(id.to_string(), (seqs, records));
    }
    out
}

/// The sequence numbers of the records `Filter::filter_batch` keeps, per shard, in order.
fn filter_batch_keeps(filter: &Filter, direct: &Direct) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (shard, (seqs, records)) in direct {
        let batch = filter.filter_batch(&format!("{{\"Records\": [{}]}}", records.join(","))).unwrap();
        let dropped: std::collections::HashSet<usize> = batch.dropped.iter().map(|d| d.index).collect();
        let kept: Vec<String> =
            seqs.iter().enumerate().filter(|(i, _)| !dropped.contains(i)).map(|(_, s)| s.clone()).collect();
        assert_eq!(kept.len(), batch.kept);
        out.insert(shard.clone(), kept);
    }
    out
}

/// One run of the consumer over the whole stream.
struct Run {
    /// Records delivered to the handler, per shard: the count, and (when collected) the
    /// sequence numbers in delivery order.
    delivered: BTreeMap<String, (usize, Vec<String>)>,
    read: u64,
    dropped: u64,
    /// CPU seconds (threads' run time, `None` if a thread exited), CPU seconds from clock ticks,
    /// wall seconds.
    cpu: Option<f64>,
    cpu_ticks: f64,
    wall: f64,
}

/// Reads `stream` from TRIM_HORIZON until `total` records were read (and handled), with the
/// defaults of `eventsift tail`, and measures it.
async fn consume(
    cfg: &aws_config::SdkConfig,
    stream: StreamRef,
    filter: Option<Filter>,
    total: usize,
    collect: bool,
) -> Run {
    type Delivered = Arc<Mutex<BTreeMap<String, (usize, Vec<String>)>>>;
    let delivered: Delivered = Arc::default();
    let handled = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(tokio::sync::Notify::new());
    let mut builder = Consumer::builder(stream)
        .start(StartPosition::TrimHorizon)
        .batch_size(100)
        .batching_window(Duration::ZERO)
        .poll_interval(Duration::from_millis(1000))
        .discovery_interval(Duration::from_millis(10_000))
        .on_batch({
            let handled = handled.clone();
            let done = done.clone();
            move |r: &BatchReport| {
                if handled.fetch_add(r.read, Ordering::SeqCst) + r.read >= total {
                    done.notify_one();
                }
            }
        });
    if let Some(f) = filter {
        builder = builder.filter(f);
    }
    let consumer = builder.build(cfg).await.unwrap();
    let handler = {
        let delivered = delivered.clone();
        move |b: Batch| {
            let mut d = delivered.lock().unwrap();
            let entry = d.entry(b.shard_id.to_string()).or_default();
            entry.0 += b.records.len();
            if collect {
                entry.1.extend(b.records.iter().map(|r| r.sequence_number.clone()));
            }
            async { Outcome::Success }
        }
    };
    let wall = Instant::now();
    let cpu = CpuClock::now();
    let shutdown = async move {
        tokio::select! {
            _ = done.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(300)) => panic!("the consumer did not read {total} records in 300 s"),
        }
    };
    consumer.run(handler, shutdown).await.unwrap();
    let (cpu, cpu_ticks) = cpu.until(&CpuClock::now());
    let wall = wall.elapsed().as_secs_f64();
    let m = consumer.metrics().snapshot();
    let delivered = delivered.lock().unwrap().clone();
    Run {
        delivered,
        read: m.iter().map(|m| m.read).sum(),
        dropped: m.iter().map(|m| m.dropped).sum(),
        cpu,
        cpu_ticks,
        wall,
    }
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    }
}

/// Measures one source: a verification round, then `rounds` interleaved rounds. Prints the
/// per-round figures and the medians.
async fn measure(
    cfg: &aws_config::SdkConfig,
    label: &str,
    stream: StreamRef,
    filter: Filter,
    direct: &Direct,
    rounds: usize,
) {
    let total: usize = direct.values().map(|(s, _)| s.len()).sum();
    let expected = filter_batch_keeps(&filter, direct);
    let kept: usize = expected.values().map(Vec::len).sum();
    let all: BTreeMap<String, Vec<String>> = direct.iter().map(|(k, (s, _))| (k.clone(), s.clone())).collect();
    let check = |run: &Run, filtered: bool, exact: bool| {
        let want = if filtered { &expected } else { &all };
        assert_eq!(run.read, total as u64, "{label}: records read");
        for (shard, seqs) in want {
            let got = run.delivered.get(shard).cloned().unwrap_or_default();
            assert_eq!(got.0, seqs.len(), "{label} {shard}: kept (filtered: {filtered})");
            if exact {
                assert_eq!(&got.1, seqs, "{label} {shard}: the records kept, in order");
            }
        }
        assert_eq!(run.delivered.values().map(|d| d.0).sum::<usize>(), want.values().map(Vec::len).sum::<usize>());
        assert_eq!(run.dropped as usize, total - want.values().map(Vec::len).sum::<usize>(), "{label}: dropped");
    };
    // Untimed: warms the connection pool and the emulator, and checks records and order.
    let none = consume(cfg, stream.clone(), None, total, true).await;
    check(&none, false, true);
    let some = consume(cfg, stream.clone(), Some(filter.clone()), total, true).await;
    check(&some, true, true);
    println!(
        "{label}: {total} records in {} shard(s); the filter keeps {kept} (Filter::filter_batch: the same records in the \
         same order, checked)",
        direct.len()
    );
    let per = |secs: f64| secs * 1e6 / total as f64;
    let mut rows: Vec<(Run, Run)> = Vec::new();
    for round in 0..rounds {
        // Alternate which run goes first.
        let (none, some) = if round % 2 == 0 {
            let a = consume(cfg, stream.clone(), None, total, false).await;
            let b = consume(cfg, stream.clone(), Some(filter.clone()), total, false).await;
            (a, b)
        } else {
            let b = consume(cfg, stream.clone(), Some(filter.clone()), total, false).await;
            let a = consume(cfg, stream.clone(), None, total, false).await;
            (a, b)
        };
        check(&none, false, false);
        check(&some, true, false);
        let cpu = |r: &Run| r.cpu.unwrap_or(r.cpu_ticks);
        println!(
            "  round {:>2}: CPU per record {:>6.2} µs no criteria, {:>6.2} µs filtered ({:+5.1}%){}; wall {:>6.2} µs, {:>6.2} µs",
            round + 1,
            per(cpu(&none)),
            per(cpu(&some)),
            (cpu(&some) / cpu(&none) - 1.0) * 100.0,
            if none.cpu.is_none() || some.cpu.is_none() { " (from clock ticks: a thread exited)" } else { "" },
            per(none.wall),
            per(some.wall),
        );
        rows.push((none, some));
    }
    let cpu = |r: &Run| r.cpu.unwrap_or(r.cpu_ticks);
    let none_cpu = median(rows.iter().map(|(a, _)| per(cpu(a))).collect());
    let some_cpu = median(rows.iter().map(|(_, b)| per(cpu(b))).collect());
    let paired = median(rows.iter().map(|(a, b)| cpu(b) / cpu(a) - 1.0).collect());
    let none_ticks = median(rows.iter().map(|(a, _)| per(a.cpu_ticks)).collect());
    let some_ticks = median(rows.iter().map(|(_, b)| per(b.cpu_ticks)).collect());
    let none_wall = median(rows.iter().map(|(a, _)| per(a.wall)).collect());
    let some_wall = median(rows.iter().map(|(_, b)| per(b.wall)).collect());
    println!(
        "{label}: median of {rounds} rounds, CPU per record: no criteria {none_cpu:.2} µs, filtered {some_cpu:.2} µs: \
         overhead {:+.1}% (median of the rounds' own ratios {:+.1}%)",
        (some_cpu / none_cpu - 1.0) * 100.0,
        paired * 100.0
    );
    println!(
        "{label}: cross-check from /proc/self/stat clock ticks: {none_ticks:.2} µs, {some_ticks:.2} µs ({:+.1}%); wall per \
         record {none_wall:.2} µs, {some_wall:.2} µs",
        (some_ticks / none_ticks - 1.0) * 100.0
    );
}

async fn run(url: String, w: Workload) {
    let cfg = config(&url).await;
    println!(
        "streams_emulator: moto at {url}, {} interleaved rounds; CPU is this process's (all threads), not moto's; \
         load average {}",
        w.rounds,
        load_average()
    );
    let sources: Vec<&str> = w.sources.split(',').map(str::trim).collect();
    if sources.contains(&"dynamodb") {
        dynamodb(&cfg, w.dynamodb, w.rounds).await;
    }
    if sources.contains(&"kinesis") {
        kinesis(&cfg, w.kinesis, w.rounds).await;
    }
    println!("streams_emulator: done; load average {}", load_average());
}

/// The first three fields of `/proc/loadavg` (the machine may be shared: see BENCHMARKS.md).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

async fn dynamodb(cfg: &aws_config::SdkConfig, n: usize, rounds: usize) {
    let cfg = cfg.clone();
    let table = unique("bench-orders");
    aws_sdk_dynamodb::Client::new(&cfg)
        .create_table()
        .table_name(&table)
        .key_schema(KeySchemaElement::builder().attribute_name("orderId").key_type(KeyType::Hash).build().unwrap())
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("orderId")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewImage)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let arn = streams::table_stream_arn(&cfg, &table).await.unwrap();
    let t = Instant::now();
    let names = write_dynamodb(&cfg, &table, n).await;
    let direct = read_dynamodb_directly(&cfg, &arn).await;
    let records: Vec<&String> = direct.values().flat_map(|(_, r)| r).collect();
    assert_eq!(records.len(), n, "DynamoDB stream records");
    // The same operations (a request's items are applied in an order of the service's choosing;
    // no key is written twice in one request, so the outcome is the same).
    let mut seen: Vec<String> = records
        .iter()
        .map(|r| serde_json::from_str::<Value>(r).unwrap()["eventName"].as_str().unwrap().to_string())
        .collect();
    let mut written: Vec<&str> = names.clone();
    seen.sort_unstable();
    written.sort_unstable();
    assert_eq!(seen, written, "event names");
    let count = |name: &str| names.iter().filter(|&&x| x == name).count();
    let images: Vec<usize> = records
        .iter()
        .filter_map(|r| {
            let v: Value = serde_json::from_str(r).unwrap();
            v["dynamodb"].get("NewImage").map(|i| i.to_string().len())
        })
        .collect();
    println!(
        "DynamoDB: wrote and read back {n} records in {:.1} s: {} INSERT, {} MODIFY, {} REMOVE; NEW_IMAGE of {} bytes \
         on average (DynamoDB JSON); {} bytes per record on average (Lambda JSON)",
        t.elapsed().as_secs_f64(),
        count("INSERT"),
        count("MODIFY"),
        count("REMOVE"),
        images.iter().sum::<usize>() / images.len().max(1),
        records.iter().map(|r| r.len()).sum::<usize>() / n
    );
    let filter = Filter::new(&criteria(&DYNAMODB_FILTERS), Source::DynamoDb).unwrap();
    measure(&cfg, "DynamoDB", StreamRef::DynamoDb(arn), filter, &direct, rounds).await;
}

async fn kinesis(cfg: &aws_config::SdkConfig, n: usize, rounds: usize) {
    let cfg = cfg.clone();
    let name = unique("bench-readings");
    let k = aws_sdk_kinesis::Client::new(&cfg);
    k.create_stream().stream_name(&name).shard_count(2).send().await.unwrap();
    let arn = k
        .describe_stream_summary()
        .stream_name(&name)
        .send()
        .await
        .unwrap()
        .stream_description_summary()
        .unwrap()
        .stream_arn()
        .to_string();
    let t = Instant::now();
    write_kinesis(&cfg, &name, n).await;
    let direct = read_kinesis_directly(&cfg, &arn).await;
    let records: Vec<&String> = direct.values().flat_map(|(_, r)| r).collect();
    assert_eq!(records.len(), n, "Kinesis records");
    let data_bytes: usize = (0..n).map(|i| kinesis_payload(i).0.len()).sum();
    println!(
        "Kinesis: wrote and read back {n} records in {:.1} s, {} shards: data {} bytes on average (one in ten plain \
         text, one in fifty not UTF-8), {} bytes per record (Lambda JSON)",
        t.elapsed().as_secs_f64(),
        direct.len(),
        data_bytes / n,
        records.iter().map(|r| r.len()).sum::<usize>() / n
    );
    let filter = Filter::new(&criteria(&KINESIS_FILTERS), Source::Kinesis).unwrap();
    measure(&cfg, "Kinesis", StreamRef::Kinesis(arn), filter, &direct, rounds).await;
}
