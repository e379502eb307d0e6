//! Where a consumer has got to in each shard: [`CheckpointStore`], [`MemoryCheckpoints`],
//! [`FileCheckpoints`].

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{BoxFuture, StreamError};

/// A shard's checkpoint: every record up to and including `Sequence` has been handled (delivered,
/// filtered out, or given to the on-failure hook); or the shard was read to its end.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Checkpoint {
    /// Resume after this sequence number (`AFTER_SEQUENCE_NUMBER`).
    Sequence(String),
    /// The shard is closed and every record in it was handled: its children may start.
    ShardEnd,
}

impl Checkpoint {
    /// The text stored for this checkpoint: the sequence number, or `SHARD_END` (sequence numbers
    /// are digits, so the two never collide).
    pub fn as_str(&self) -> &str {
        match self {
            Checkpoint::Sequence(s) => s,
            Checkpoint::ShardEnd => "SHARD_END",
        }
    }

    /// The inverse of [`as_str`](Self::as_str).
    pub fn parse(text: &str) -> Checkpoint {
        if text == "SHARD_END" {
            Checkpoint::ShardEnd
        } else {
            Checkpoint::Sequence(text.to_string())
        }
    }
}

/// Storage for checkpoints, keyed by stream ARN and shard id. Several consumers (processes, or
/// machines with a static shard assignment) may share one store; each shard is written by one
/// consumer only, but a consumer reads the checkpoints of parent shards that others own.
///
/// Implementations return boxed futures so that a store can be remote (a table, an object store).
pub trait CheckpointStore: Send + Sync {
    /// The checkpoint of a shard, if any.
    fn load<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Checkpoint>, StreamError>>;

    /// Records a shard's checkpoint durably before returning.
    fn save<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
        checkpoint: &'a Checkpoint,
    ) -> BoxFuture<'a, Result<(), StreamError>>;
}

type Table = BTreeMap<String, BTreeMap<String, String>>;

/// Checkpoints in memory: for tests, and for consumers that always start from `LATEST` or
/// `TRIM_HORIZON` again.
///
/// ```
/// use eventsift::streams::{Checkpoint, CheckpointStore, MemoryCheckpoints};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryCheckpoints::new();
/// store.save("arn:s", "shardId-1", &Checkpoint::Sequence("42".into())).await?;
/// assert_eq!(store.load("arn:s", "shardId-1").await?, Some(Checkpoint::Sequence("42".into())));
/// assert_eq!(store.load("arn:s", "shardId-2").await?, None);
/// # Ok::<(), eventsift::streams::StreamError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Default)]
pub struct MemoryCheckpoints {
    table: Mutex<Table>,
}

impl MemoryCheckpoints {
    /// An empty store.
    pub fn new() -> MemoryCheckpoints {
        MemoryCheckpoints::default()
    }

    /// Every checkpoint: stream ARN → shard id → checkpoint.
    pub fn snapshot(&self) -> BTreeMap<String, BTreeMap<String, Checkpoint>> {
        let t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        t.iter()
            .map(|(s, shards)| (s.clone(), shards.iter().map(|(k, v)| (k.clone(), Checkpoint::parse(v))).collect()))
            .collect()
    }
}

impl CheckpointStore for MemoryCheckpoints {
    fn load<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Checkpoint>, StreamError>> {
        let t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        let found = t.get(stream_arn).and_then(|s| s.get(shard_id)).map(|v| Checkpoint::parse(v));
        Box::pin(std::future::ready(Ok(found)))
    }

    fn save<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
        checkpoint: &'a Checkpoint,
    ) -> BoxFuture<'a, Result<(), StreamError>> {
        let mut t = self.table.lock().unwrap_or_else(|e| e.into_inner());
        t.entry(stream_arn.to_string()).or_default().insert(shard_id.to_string(), checkpoint.as_str().to_string());
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Checkpoints in one JSON file, `{"<stream ARN>": {"<shard id>": "<sequence number>" |
/// "SHARD_END"}}`.
///
/// Every save is durable and atomic: under an exclusive lock on `<file>.lock` (so that several
/// processes on one machine can share the file), the file is read again, the shard's entry
/// replaced, the whole written to a temporary file in the same directory, fsync'd, renamed over
/// the file, and the directory fsync'd. A crash leaves the old file or the new one, never a mix.
///
/// ```
/// use eventsift::streams::{Checkpoint, CheckpointStore, FileCheckpoints};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("eventsift-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let store = FileCheckpoints::new(dir.join("checkpoints.json"));
/// store.save("arn:s", "shardId-1", &Checkpoint::ShardEnd).await?;
/// let again = FileCheckpoints::new(dir.join("checkpoints.json"));
/// assert_eq!(again.load("arn:s", "shardId-1").await?, Some(Checkpoint::ShardEnd));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), eventsift::streams::StreamError>(())
/// # }).unwrap();
/// ```
#[derive(Debug)]
pub struct FileCheckpoints {
    path: PathBuf,
    /// Serialises this process's writers (the file lock serialises processes).
    write: Arc<Mutex<()>>,
}

impl FileCheckpoints {
    /// A store in `path` (created on the first save; its directory must exist).
    pub fn new(path: impl Into<PathBuf>) -> FileCheckpoints {
        FileCheckpoints { path: path.into(), write: Arc::new(Mutex::new(())) }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every checkpoint in the file now.
    pub fn read_all(&self) -> Result<BTreeMap<String, BTreeMap<String, Checkpoint>>, StreamError> {
        let t = read_table(&self.path)?;
        Ok(t.into_iter()
            .map(|(s, shards)| (s, shards.into_iter().map(|(k, v)| (k, Checkpoint::parse(&v))).collect()))
            .collect())
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        self.path.with_file_name(name)
    }

    fn save_sync(&self, stream_arn: &str, shard_id: &str, checkpoint: &Checkpoint) -> Result<(), StreamError> {
        save_file(&self.path, &self.lock_path(), &self.write, stream_arn, shard_id, checkpoint)
    }
}

/// [`FileCheckpoints`]'s save: under the process's mutex and the file lock, the table is read,
/// updated, written to a temporary file, synced, and renamed over the file.
fn save_file(
    path: &Path,
    lock_path: &Path,
    write: &Mutex<()>,
    stream_arn: &str,
    shard_id: &str,
    checkpoint: &Checkpoint,
) -> Result<(), StreamError> {
    let _guard = write.lock().unwrap_or_else(|e| e.into_inner());
    let io = |what: &str, e: std::io::Error| StreamError::io(format!("{what} {}: {e}", path.display()));
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)
        .map_err(|e| io("cannot open the lock of", e))?;
    lock.lock().map_err(|e| io("cannot lock", e))?;
    let mut table = read_table(path)?;
    table.entry(stream_arn.to_string()).or_default().insert(shard_id.to_string(), checkpoint.as_str().to_string());
    let text = serde_json::to_string_pretty(&table).map_err(|e| StreamError::io(e.to_string()))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    tmp_name.push(format!(".tmp{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    {
        let mut f = File::create(&tmp).map_err(|e| io("cannot write next to", e))?;
        f.write_all(text.as_bytes()).and_then(|_| f.write_all(b"\n")).map_err(|e| io("cannot write next to", e))?;
        f.sync_all().map_err(|e| io("cannot sync the file next to", e))?;
    }
    fs::rename(&tmp, path).map_err(|e| io("cannot replace", e))?;
    // The rename is durable once the directory is.
    if let Ok(d) = File::open(&dir) {
        let _ = d.sync_all();
    }
    drop(lock);
    Ok(())
}

fn read_table(path: &Path) -> Result<Table, StreamError> {
    match fs::read_to_string(path) {
        Ok(text) if text.trim().is_empty() => Ok(Table::new()),
        Ok(text) => serde_json::from_str::<Table>(&text).map_err(|e| {
            StreamError::io(format!(
                "{}: not a checkpoint file ({{\"stream ARN\": {{\"shard id\": \"sequence\"}}}}): {e}",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Table::new()),
        Err(e) => Err(StreamError::io(format!("cannot read {}: {e}", path.display()))),
    }
}

impl CheckpointStore for FileCheckpoints {
    fn load<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
    ) -> BoxFuture<'a, Result<Option<Checkpoint>, StreamError>> {
        let found = read_table(&self.path)
            .map(|t| t.get(stream_arn).and_then(|s| s.get(shard_id)).map(|v| Checkpoint::parse(v)));
        Box::pin(std::future::ready(found))
    }

    fn save<'a>(
        &'a self,
        stream_arn: &'a str,
        shard_id: &'a str,
        checkpoint: &'a Checkpoint,
    ) -> BoxFuture<'a, Result<(), StreamError>> {
        // The write and its fsyncs block: on a Tokio runtime they run on its blocking pool, so
        // that a slow disk does not stall the shard tasks sharing the worker thread.
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => {
                let (path, lock_path, write) = (self.path.clone(), self.lock_path(), self.write.clone());
                let (arn, shard, checkpoint) = (stream_arn.to_string(), shard_id.to_string(), checkpoint.clone());
                Box::pin(async move {
                    handle
                        .spawn_blocking(move || save_file(&path, &lock_path, &write, &arn, &shard, &checkpoint))
                        .await
                        .map_err(|e| StreamError::io(format!("checkpoint write did not finish: {e}")))?
                })
            }
            Err(_) => Box::pin(std::future::ready(self.save_sync(stream_arn, shard_id, checkpoint))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
    }

    #[test]
    fn file_store_keeps_every_stream_and_shard() {
        let dir = std::env::temp_dir().join(format!("eventsift-cp-{}-{}", std::process::id(), line!()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("cp.json");
        let a = FileCheckpoints::new(&path);
        let b = FileCheckpoints::new(&path);
        block(async {
            a.save("s1", "shard-a", &Checkpoint::Sequence("1".into())).await.unwrap();
            b.save("s1", "shard-b", &Checkpoint::Sequence("5".into())).await.unwrap();
            a.save("s2", "shard-a", &Checkpoint::ShardEnd).await.unwrap();
            a.save("s1", "shard-a", &Checkpoint::Sequence("2".into())).await.unwrap();
            assert_eq!(b.load("s1", "shard-a").await.unwrap(), Some(Checkpoint::Sequence("2".into())));
            assert_eq!(a.load("s1", "shard-b").await.unwrap(), Some(Checkpoint::Sequence("5".into())));
            assert_eq!(a.load("s2", "shard-a").await.unwrap(), Some(Checkpoint::ShardEnd));
            assert_eq!(a.load("s3", "shard-a").await.unwrap(), None);
        });
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        fs::write(&path, "not json").unwrap();
        assert!(block(a.load("s1", "shard-a")).is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
