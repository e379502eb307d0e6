//! One shard's reader: iterators, reads, backoff, filtering, batching, delivery with retries, and
//! checkpoints.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use super::source::{IterStart, ReadRecord, ShardSource};
use super::{
    Batch, BatchReport, Checkpoint, DroppedRecord, ErrorKind, Exit, FailedBatch, HandlerFn, Metrics, Outcome, Record,
    Settings, StreamError,
};
use crate::lambda::{DropReason, Scratch};

/// A small xorshift generator for jitter, seeded from the clock and a per-call counter: jitter
/// needs no quality, only spread.
fn random_below(bound: u64) -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static STATE: AtomicU64 = AtomicU64::new(0);
    if bound == 0 {
        return 0;
    }
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(1);
    let mut x = STATE.fetch_add(0x9e37_79b9_7f4a_7c15, Ordering::Relaxed) ^ nanos;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x % bound
}

/// Exponential backoff with full jitter: uniform in `[0, min(cap, base * 2^(n-1))]`.
pub(crate) fn full_jitter(base: Duration, cap: Duration, n: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << n.saturating_sub(1).min(20));
    let top = exp.min(cap).as_millis() as u64;
    Duration::from_millis(random_below(top + 1))
}

/// The wait after the `n`th empty read in a row: from an eighth of the poll interval doubling up
/// to it, each drawn in its upper half ("equal jitter"), so never more than the poll interval.
fn empty_read_delay(poll: Duration, n: u32) -> Duration {
    let d = (poll / 8).saturating_mul(1u32 << n.saturating_sub(1).min(3)).min(poll);
    let half = d.as_millis() as u64 / 2;
    Duration::from_millis(half + random_below(d.as_millis() as u64 - half + 1))
}

/// `a <= b` for sequence numbers (decimal strings of any length).
fn seq_le(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('0'), b.trim_start_matches('0'));
    (a.len(), a) <= (b.len(), b)
}

/// Records read and not yet handled: the kept ones, and what the checkpoint becomes as they
/// succeed.
#[derive(Default)]
struct Pending {
    kept: Vec<Record>,
    /// For each kept record, the sequence number of the record read just before it (kept or
    /// not): once the kept records before it succeeded, everything up to there is handled.
    before: Vec<Option<String>>,
    dropped: Vec<DroppedRecord>,
    read: usize,
    /// The last record read into this batch.
    end: Option<String>,
    opened: Option<Instant>,
    bytes: usize,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.read == 0
    }
}

pub(crate) struct Reader {
    pub source: Arc<dyn ShardSource>,
    pub settings: Arc<Settings>,
    pub shard: Arc<str>,
    pub arn: Arc<str>,
    pub metrics: Metrics,
    pub stop: watch::Receiver<bool>,
    pub ending: Arc<Mutex<Option<String>>>,
    pub handler: HandlerFn,
    /// The checkpoint the reader starts from.
    pub checkpoint: Option<String>,
}

impl Reader {
    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Sleeps for `d`, or less if shutdown comes. Returns whether shutdown came.
    async fn sleep(&mut self, d: Duration) -> bool {
        if self.stopping() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => self.stopping(),
            _ = self.stop.changed() => true,
        }
    }

    pub(crate) async fn run(mut self, mut start: IterStart) -> Result<Exit, StreamError> {
        let s = self.settings.clone();
        let mut scratch = Scratch::default();
        // The last record read (or the checkpoint): where a new iterator starts.
        let mut last_read: Option<String> = self.checkpoint.clone();
        let mut iterator: Option<String> = None;
        let mut pending = Pending::default();
        let mut errors = 0u32;
        let mut empties = 0u32;
        loop {
            if self.stopping() {
                self.flush(&mut pending).await?;
                return Ok(Exit::Stopped);
            }
            let it = match iterator.take() {
                Some(it) => it,
                None => {
                    let from = match &last_read {
                        Some(seq) => IterStart::After(seq.clone()),
                        None => start.clone(),
                    };
                    match self.source.iterator(&self.shard, &from).await {
                        Ok(it) => it,
                        Err(e) => match e.kind() {
                            ErrorKind::Transient => {
                                errors += 1;
                                self.metrics.update(&self.shard, |m| m.read_errors += 1);
                                self.sleep(full_jitter(s.base_backoff, s.max_backoff, errors)).await;
                                continue;
                            }
                            ErrorKind::Trimmed => {
                                // The checkpoint is older than the stream's retention.
                                last_read = None;
                                start = IterStart::TrimHorizon;
                                continue;
                            }
                            ErrorKind::NotFound => {
                                // The shard expired from the stream: nothing left to read.
                                self.flush(&mut pending).await?;
                                self.save(&Checkpoint::ShardEnd).await?;
                                self.metrics.update(&self.shard, |m| m.finished = true);
                                return Ok(Exit::End);
                            }
                            _ => return Err(e),
                        },
                    }
                }
            };
            let closed = self.ending.lock().unwrap_or_else(|e| e.into_inner()).clone();
            let page = match self.source.read(&self.shard, &it, s.read_limit).await {
                Ok(p) => p,
                Err(e) => match e.kind() {
                    ErrorKind::ExpiredIterator => {
                        // A new iterator after the last record read.
                        self.metrics.update(&self.shard, |m| m.read_errors += 1);
                        continue;
                    }
                    ErrorKind::Transient => {
                        errors += 1;
                        self.metrics.update(&self.shard, |m| m.read_errors += 1);
                        // The same iterator stays valid after a throttled or failed read.
                        iterator = Some(it);
                        let d = full_jitter(s.base_backoff, s.max_backoff, errors);
                        self.wait(d, &mut pending).await?;
                        continue;
                    }
                    ErrorKind::Trimmed => {
                        last_read = None;
                        start = IterStart::TrimHorizon;
                        continue;
                    }
                    _ => return Err(e),
                },
            };
            errors = 0;
            let n = page.records.len();
            let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
            let lag = page.millis_behind.or_else(|| {
                if n == 0 {
                    Some(0)
                } else {
                    page.records.last().and_then(|r| r.created).map(|c| ((now - c) * 1000.0).max(0.0) as i64)
                }
            });
            self.metrics.update(&self.shard, |m| {
                m.read += n as u64;
                m.lag_millis = lag;
                if let Some(r) = page.records.last() {
                    m.last_sequence = Some(r.seq.clone());
                }
            });
            for r in page.records {
                let prev = last_read.replace(r.seq.clone());
                self.add(&mut pending, r, prev, &mut scratch).await?;
            }
            let behind = page.millis_behind.is_some_and(|m| m > 0) || n as i32 >= s.read_limit;
            let at_end = page.next.is_none()
                || (n == 0
                    && !behind
                    && closed.as_deref().is_some_and(|end| last_read.as_deref().is_none_or(|l| seq_le(end, l))));
            if at_end {
                self.flush(&mut pending).await?;
                if self.stopping() && !pending.is_empty() {
                    return Ok(Exit::Stopped);
                }
                self.save(&Checkpoint::ShardEnd).await?;
                self.metrics.update(&self.shard, |m| m.finished = true);
                return Ok(Exit::End);
            }
            iterator = page.next;
            // Without a batching window, each read's kept records are invoked at once; a batch
            // with nothing kept is only a checkpoint to write.
            if s.window.is_zero() || pending.kept.is_empty() || pending.opened.is_some_and(|o| o.elapsed() >= s.window)
            {
                self.flush(&mut pending).await?;
            }
            let delay = if n == 0 {
                empties += 1;
                empty_read_delay(s.poll_interval, empties)
            } else {
                empties = 0;
                if behind {
                    Duration::ZERO
                } else {
                    s.read_interval
                }
            };
            self.wait(delay, &mut pending).await?;
        }
    }

    /// Sleeps up to `d`, delivering the pending batch when its window closes in the meantime.
    async fn wait(&mut self, d: Duration, pending: &mut Pending) -> Result<(), StreamError> {
        let window_left = pending
            .opened
            .filter(|_| !pending.kept.is_empty())
            .map(|o| self.settings.window.saturating_sub(o.elapsed()));
        match window_left {
            Some(left) if left <= d => {
                if !self.sleep(left).await {
                    self.flush(pending).await?;
                    self.sleep(d - left).await;
                }
            }
            _ => {
                self.sleep(d).await;
            }
        }
        Ok(())
    }

    /// Filters one record into the pending batch; delivers the batch when it is full.
    async fn add(
        &mut self,
        pending: &mut Pending,
        mut r: ReadRecord,
        prev: Option<String>,
        scratch: &mut Scratch,
    ) -> Result<(), StreamError> {
        let verdict = match &self.settings.filter {
            None => Ok(true),
            // The first matching filter decides (`Filter::matches`); the payload kind is kept
            // for the report of a dropped record. Kinesis records are decided on their fields
            // and data bytes (`Filter::evaluate_kinesis`), and written in the Lambda format only
            // when kept.
            Some(f) => match r.decide(f, scratch) {
                Ok(v) if v.keep => Ok(true),
                Ok(v) => Err(DropReason::NoMatch { payload: v.payload }),
                Err(e) => Err(DropReason::Invalid(e)),
            },
        };
        let json = if verdict.is_ok() { r.take_json() } else { String::new() };
        if verdict.is_ok() && !pending.kept.is_empty() && pending.bytes + json.len() + 16 > self.settings.max_payload {
            // Lambda's 6 MB invocation payload: this record starts the next batch.
            self.flush(pending).await?;
        }
        pending.read += 1;
        pending.opened.get_or_insert_with(Instant::now);
        pending.end = Some(r.seq.clone());
        match verdict {
            Ok(_) => {
                self.metrics.update(&self.shard, |m| m.kept += 1);
                pending.bytes += json.len() + 1;
                pending.before.push(prev);
                pending.kept.push(Record {
                    sequence_number: r.seq,
                    event_id: r.id,
                    json,
                    approximate_creation: r.created,
                });
                if pending.kept.len() >= self.settings.batch_size {
                    self.flush(pending).await?;
                }
            }
            Err(reason) => {
                self.metrics.update(&self.shard, |m| m.dropped += 1);
                pending.dropped.push(DroppedRecord { sequence_number: r.seq, event_id: r.id, reason });
            }
        }
        Ok(())
    }

    async fn save(&self, checkpoint: &Checkpoint) -> Result<(), StreamError> {
        self.settings.checkpoints.save(&self.arn, &self.shard, checkpoint).await?;
        self.metrics.update(&self.shard, |m| m.checkpoint = Some(checkpoint.clone()));
        Ok(())
    }

    /// Delivers the pending batch: invocations, retries, bisection, the on-failure hook, and
    /// checkpoints past what succeeded. On shutdown a failing batch is not retried and nothing
    /// past the failure is checkpointed (the next run reads it again); the batch is then left
    /// non-empty.
    async fn flush(&mut self, pending: &mut Pending) -> Result<(), StreamError> {
        if pending.is_empty() {
            return Ok(());
        }
        let p = std::mem::take(pending);
        let s = self.settings.clone();
        let n = p.kept.len();
        // The checkpoint once the kept records before index `b` succeeded.
        let upto = |b: usize| -> Option<String> {
            if b == n {
                p.end.clone()
            } else {
                p.before[b].clone()
            }
        };
        let mut queue: VecDeque<(usize, usize, u32)> = VecDeque::new();
        if n > 0 {
            queue.push_back((0, n, 0));
        }
        let mut delivered = 0usize;
        let mut failed = 0usize;
        let mut last_saved: Option<Checkpoint> = None;
        let mut unfinished: Option<usize> = None;
        while let Some((a, b, attempts)) = queue.pop_front() {
            let batch = Batch {
                stream_arn: self.arn.clone(),
                shard_id: self.shard.clone(),
                records: p.kept[a..b].to_vec(),
                attempt: attempts + 1,
            };
            self.metrics.update(&self.shard, |m| m.invocations += 1);
            let outcome = (self.handler)(batch).await;
            // The first record that failed, why, and whether the handler said which.
            let failure: Option<(usize, String, bool)> = match outcome {
                Outcome::Success => None,
                Outcome::BatchItemFailures(ids) if ids.is_empty() => None,
                Outcome::BatchItemFailures(ids) => {
                    let positions: Vec<Option<usize>> =
                        ids.iter().map(|id| p.kept[a..b].iter().position(|r| &r.sequence_number == id)).collect();
                    if positions.iter().any(Option::is_none) {
                        Some((a, "an itemIdentifier is not a sequence number of the batch".to_string(), false))
                    } else {
                        let first = positions.into_iter().flatten().min().unwrap_or(0);
                        Some((a + first, "batch item failure".to_string(), true))
                    }
                }
                Outcome::Error(msg) => Some((a, msg, false)),
            };
            let Some((i, reason, item)) = failure else {
                delivered += b - a;
                if let Some(seq) = upto(b) {
                    let c = Checkpoint::Sequence(seq);
                    self.save(&c).await?;
                    last_saved = Some(c);
                }
                continue;
            };
            if i > a {
                delivered += i - a;
                if let Some(seq) = upto(i) {
                    let c = Checkpoint::Sequence(seq);
                    self.save(&c).await?;
                    last_saved = Some(c);
                }
            }
            if self.stopping() {
                unfinished = Some(i);
                break;
            }
            if !item && s.bisect && b - i > 1 {
                let mid = i + (b - i) / 2;
                queue.push_front((mid, b, attempts));
                queue.push_front((i, mid, attempts));
                continue;
            }
            if s.max_retries.is_some_and(|max| attempts >= max) {
                failed += b - i;
                self.metrics.update(&self.shard, |m| m.failed += (b - i) as u64);
                if let Some(hook) = &s.on_failure {
                    hook(FailedBatch {
                        stream_arn: self.arn.clone(),
                        shard_id: self.shard.clone(),
                        records: p.kept[i..b].to_vec(),
                        attempts: attempts + 1,
                        reason,
                    })
                    .await;
                }
                if let Some(seq) = upto(b) {
                    let c = Checkpoint::Sequence(seq);
                    self.save(&c).await?;
                    last_saved = Some(c);
                }
                continue;
            }
            if self.sleep(full_jitter(s.base_backoff, s.max_backoff, attempts + 1)).await {
                unfinished = Some(i);
                break;
            }
            queue.push_front((i, b, attempts + 1));
        }
        if n == 0 {
            if let Some(seq) = p.end.clone() {
                let c = Checkpoint::Sequence(seq);
                self.save(&c).await?;
                last_saved = Some(c);
            }
        }
        self.metrics.update(&self.shard, |m| m.batches += 1);
        if let Some(report) = &s.on_batch {
            report(&BatchReport {
                shard_id: self.shard.clone(),
                read: p.read,
                kept: n,
                dropped: p.dropped.clone(),
                delivered,
                failed,
                checkpoint: last_saved,
            });
        }
        if let Some(i) = unfinished {
            // Keep what is left so that the caller knows the shard is not done.
            pending.kept = p.kept[i..].to_vec();
            pending.before = p.before[i..].to_vec();
            pending.read = pending.kept.len();
            pending.end = p.end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        assert!(seq_le("9", "10"));
        assert!(!seq_le("10", "9"));
        assert!(seq_le(
            "49590338271490256608559692538361571095921575989136588898",
            "49590338271490256608559692538361571095921575989136588898"
        ));
        assert!(seq_le("0", "1"));
        assert!(seq_le("007", "8"));
    }

    #[test]
    fn delays_are_bounded() {
        let poll = Duration::from_millis(800);
        for n in 1..40 {
            let d = empty_read_delay(poll, n);
            assert!(d <= poll, "{d:?}");
            let b = full_jitter(Duration::from_millis(100), Duration::from_secs(2), n);
            assert!(b <= Duration::from_secs(2), "{b:?}");
        }
        // The first empty read waits at most an eighth of the interval.
        assert!(empty_read_delay(poll, 1) <= poll / 8);
        assert!(empty_read_delay(poll, 10) >= poll / 2);
    }
}
