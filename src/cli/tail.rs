//! `eventsift tail`: follow a live DynamoDB or Kinesis stream and print what the Lambda function
//! would receive (feature `streams`).

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use clap::{ArgGroup, Args, ValueEnum};
use eventsift::lambda::{DropReason, Filter};
use eventsift::streams::{
    self, Batch, BatchReport, CheckpointStore, Consumer, FileCheckpoints, MemoryCheckpoints, Outcome, ShardAssignment,
    StartPosition, StreamRef,
};
use eventsift::Source;

use super::read_text;

#[derive(Clone, Copy, Default, ValueEnum, PartialEq, Eq)]
pub(super) enum TailFormat {
    /// One record per line, as in the invocation event.
    #[default]
    Records,
    /// One invocation event ({"Records": [...]}) per line, per batch.
    Events,
}

#[derive(Args)]
#[command(group(ArgGroup::new("stream").required(true).args(["table", "stream_arn", "kinesis_stream"])))]
pub(super) struct TailArgs {
    /// A DynamoDB table: its latest stream (DescribeTable).
    #[arg(long)]
    table: Option<String>,
    /// A DynamoDB stream ARN.
    #[arg(long)]
    stream_arn: Option<String>,
    /// A Kinesis data stream, by name or ARN.
    #[arg(long)]
    kinesis_stream: Option<String>,
    /// The FilterCriteria document ({"Filters": [...]}); without it every record is printed.
    #[arg(long)]
    criteria: Option<PathBuf>,
    /// Where to start: trim-horizon, latest (default), at-timestamp SECONDS (Kinesis), or
    /// checkpoint FILE (resume from FILE and keep it up to date; shards not in it start at the
    /// trim horizon).
    #[arg(long, num_args = 1..=2, value_names = ["POSITION", "ARG"], default_value = "latest")]
    from: Vec<String>,
    /// The service endpoint, for emulators (moto, LocalStack).
    #[arg(long)]
    endpoint_url: Option<String>,
    /// The AWS region (default: the standard chain, else the stream ARN's).
    #[arg(long)]
    region: Option<String>,
    /// Longest wait between reads of a shard with nothing new, in milliseconds.
    #[arg(long, default_value_t = 1000, value_name = "MS")]
    poll_interval: u64,
    /// The shards to read: all (default), hash:K/N (this process is K of N, by FNV-1a of the shard
    /// id), or a comma-separated list of shard ids.
    #[arg(long, default_value = "all", value_parser = ShardAssignment::parse)]
    shards: ShardAssignment,
    /// Most kept records per batch (BatchSize).
    #[arg(long, default_value_t = 100)]
    batch_size: usize,
    /// How long to gather records before printing a smaller batch (MaximumBatchingWindow), in
    /// milliseconds.
    #[arg(long, default_value_t = 0, value_name = "MS")]
    batching_window: u64,
    /// How often to list shards again (splits, merges), in milliseconds.
    #[arg(long, default_value_t = 10_000, value_name = "MS")]
    discovery_interval: u64,
    /// records (one record per line) or events (one invocation event per batch).
    #[arg(long, value_enum, default_value_t)]
    format: TailFormat,
    /// Print each dropped record's id and reason on stderr.
    #[arg(short, long)]
    verbose: bool,
    /// No summary on stderr at exit.
    #[arg(short, long)]
    quiet: bool,
}

enum From {
    Position(StartPosition),
    Checkpoint(PathBuf),
}

fn parse_from(args: &[String]) -> Result<From, String> {
    match args {
        [p] if p == "latest" => Ok(From::Position(StartPosition::Latest)),
        [p] if p == "trim-horizon" => Ok(From::Position(StartPosition::TrimHorizon)),
        [p, file] if p == "checkpoint" => Ok(From::Checkpoint(PathBuf::from(file))),
        [p, secs] if p == "at-timestamp" => {
            let s: f64 = secs.parse().map_err(|_| format!("at-timestamp takes epoch seconds, not {secs:?}"))?;
            if !(s.is_finite() && s >= 0.0) {
                return Err(format!("at-timestamp takes epoch seconds, not {secs:?}"));
            }
            Ok(From::Position(StartPosition::AtTimestamp(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s))))
        }
        _ => Err(format!(
            "--from takes trim-horizon, latest, at-timestamp SECONDS or checkpoint FILE, not {:?}",
            args.join(" ")
        )),
    }
}

/// Runs `tail`; returns the exit code.
pub(super) fn run(a: TailArgs) -> i32 {
    let from = match parse_from(&a.from) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("eventsift tail: {e}");
            return 2;
        }
    };
    let source = if a.kinesis_stream.is_some() { Source::Kinesis } else { Source::DynamoDb };
    let filter = match &a.criteria {
        None => None,
        Some(path) => {
            let text = match read_text(path) {
                Ok(t) => t,
                Err(code) => return code,
            };
            match Filter::builder(source).max_filters(eventsift::lambda::MAX_FILTERS).build(&text) {
                Ok(f) => Some(f),
                Err(e) => {
                    eprintln!("{}:{e:#}", path.display());
                    return 2;
                }
            }
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("eventsift tail: cannot start the runtime: {e}");
            return 2;
        }
    };
    runtime.block_on(tail(a, from, filter))
}

async fn tail(a: TailArgs, from: From, filter: Option<Filter>) -> i32 {
    // Listen for SIGTERM and Ctrl-C before anything else: a signal that arrives while the
    // consumer is still being built stops it cleanly at its first step instead of killing the
    // process (tokio's listeners only register when first polled).
    #[cfg(unix)]
    let mut signals = (
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok(),
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok(),
    );
    let config = streams::load_config(a.region.as_deref(), a.endpoint_url.as_deref()).await;
    let stream = if let Some(table) = &a.table {
        match streams::table_stream_arn(&config, table).await {
            Ok(arn) => StreamRef::DynamoDb(arn),
            Err(e) => {
                eprintln!("eventsift tail: {e}");
                return 2;
            }
        }
    } else if let Some(arn) = &a.stream_arn {
        StreamRef::DynamoDb(arn.clone())
    } else {
        StreamRef::Kinesis(a.kinesis_stream.clone().unwrap_or_default())
    };
    let (start, store): (StartPosition, Arc<dyn CheckpointStore>) = match from {
        From::Position(p) => (p, Arc::new(MemoryCheckpoints::new())),
        From::Checkpoint(path) => (StartPosition::TrimHorizon, Arc::new(FileCheckpoints::new(path))),
    };
    let verbose = a.verbose;
    let mut builder = Consumer::builder(stream)
        .start(start)
        .checkpoints(store)
        .shards(a.shards.clone())
        .batch_size(a.batch_size)
        .batching_window(Duration::from_millis(a.batching_window))
        .poll_interval(Duration::from_millis(a.poll_interval))
        .discovery_interval(Duration::from_millis(a.discovery_interval.max(1)))
        .on_batch(move |r: &BatchReport| {
            if verbose {
                let mut err = io::stderr().lock();
                for d in &r.dropped {
                    let why = match &d.reason {
                        DropReason::NoMatch { .. } => "no filter matches".to_string(),
                        DropReason::Invalid(e) => format!("invalid record: {}", e.reason()),
                        _ => "dropped".to_string(),
                    };
                    let _ = writeln!(err, "dropped {} ({}:{}): {why}", d.event_id, r.shard_id, d.sequence_number);
                }
            }
        });
    if let Some(f) = filter {
        builder = builder.filter(f);
    }
    let consumer = match builder.build(&config).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("eventsift tail: {e}");
            return 2;
        }
    };
    // Stdout went away (`| head`): stop, without checkpointing what could not be printed.
    let gone = Arc::new(tokio::sync::Notify::new());
    let broken = Arc::new(AtomicBool::new(false));
    let format = a.format;
    let handler = {
        let gone = gone.clone();
        let broken = broken.clone();
        move |batch: Batch| {
            let text = match format {
                TailFormat::Records => {
                    let mut t = String::with_capacity(batch.records.iter().map(|r| r.json.len() + 1).sum());
                    for r in &batch.records {
                        t.push_str(&r.json);
                        t.push('\n');
                    }
                    t
                }
                TailFormat::Events => batch.event() + "\n",
            };
            let mut out = io::stdout().lock();
            let ok = out.write_all(text.as_bytes()).and_then(|_| out.flush()).is_ok();
            drop(out);
            if !ok {
                broken.store(true, Ordering::SeqCst);
                gone.notify_one();
            }
            async move {
                if ok {
                    Outcome::Success
                } else {
                    Outcome::Error("standard output is closed".into())
                }
            }
        }
    };
    let progress = (!a.quiet && io::stderr().is_terminal()).then(|| {
        let metrics = consumer.metrics();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                let m = metrics.snapshot();
                let (read, kept, dropped) =
                    m.iter().fold((0, 0, 0), |(r, k, d), s| (r + s.read, k + s.kept, d + s.dropped));
                let lag = m.iter().filter_map(|s| s.lag_millis).max().unwrap_or(0);
                eprint!("\r\x1b[2K{} shards: read {read}, kept {kept}, dropped {dropped}, lag {lag} ms", m.len());
            }
        })
    });
    let shutdown = async move {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            let (term, int) = &mut signals;
            tokio::select! {
                _ = next(term) => {}
                _ = next(int) => {}
                _ = gone.notified() => {}
            }
        }
        #[cfg(not(unix))]
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = gone.notified() => {}
        }
    };
    let result = consumer.run(handler, shutdown).await;
    if let Some(p) = progress {
        p.abort();
        eprint!("\r\x1b[2K");
    }
    if !a.quiet {
        let mut err = io::stderr().lock();
        for m in consumer.metrics().snapshot() {
            let _ = writeln!(
                err,
                "{}: read {}, kept {}, dropped {}{}{}{}",
                m.shard_id,
                m.read,
                m.kept,
                m.dropped,
                if m.failed > 0 { format!(", failed {}", m.failed) } else { String::new() },
                m.checkpoint.as_ref().map(|c| format!(", checkpoint {}", c.as_str())).unwrap_or_default(),
                if m.finished { ", finished" } else { "" },
            );
        }
    }
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("eventsift tail: {e}");
            2
        }
    }
}
