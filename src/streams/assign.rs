//! Static shard assignment: which shards one consumer of several reads. No leases: each process
//! is given its share, and all of them share one checkpoint store (so that a child shard owned by
//! one process waits until its parent, owned by another, is checkpointed as finished).

use std::collections::BTreeSet;

/// 64-bit FNV-1a of `bytes` (offset basis `0xcbf29ce484222325`, prime `0x100000001b3`): a stable
/// hash, the same on every machine, build and release, which [`ShardAssignment::Hash`] uses on
/// shard ids.
///
/// ```
/// assert_eq!(eventsift::streams::fnv1a(b""), 0xcbf29ce484222325);
/// assert_eq!(eventsift::streams::fnv1a(b"a"), 0xaf63dc4c8601ec8c);
/// ```
pub fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Which shards a consumer reads.
///
/// ```
/// use eventsift::streams::ShardAssignment;
///
/// let mine = ShardAssignment::Hash { count: 3, index: 1 };
/// let shards = ["shardId-000000000000", "shardId-000000000001", "shardId-000000000002", "shardId-000000000003"];
/// // Every shard belongs to exactly one of the three consumers.
/// for s in shards {
///     let owners = (0..3).filter(|&k| ShardAssignment::Hash { count: 3, index: k }.owns(s)).count();
///     assert_eq!(owners, 1);
/// }
/// assert!(ShardAssignment::Only(["shardId-000000000001".to_string()].into()).owns("shardId-000000000001"));
/// # let _ = mine;
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ShardAssignment {
    /// Every shard.
    #[default]
    All,
    /// These shard ids only.
    Only(BTreeSet<String>),
    /// The shards whose id hashes (with [`fnv1a`]) to `index` modulo `count`.
    Hash {
        /// How many consumers share the stream.
        count: u32,
        /// This consumer's number, `0..count`.
        index: u32,
    },
}

impl ShardAssignment {
    /// Does this consumer read `shard_id`?
    pub fn owns(&self, shard_id: &str) -> bool {
        match self {
            ShardAssignment::All => true,
            ShardAssignment::Only(set) => set.contains(shard_id),
            ShardAssignment::Hash { count, index } => {
                *count > 0 && fnv1a(shard_id.as_bytes()) % u64::from(*count) == u64::from(*index)
            }
        }
    }

    /// Parses the CLI's spelling: `all`, `hash:K/N` (this consumer is `K` of `N`, from 0), or a
    /// comma-separated list of shard ids.
    ///
    /// ```
    /// use eventsift::streams::ShardAssignment;
    /// assert_eq!(ShardAssignment::parse("hash:1/4"), Ok(ShardAssignment::Hash { count: 4, index: 1 }));
    /// assert_eq!(ShardAssignment::parse("all"), Ok(ShardAssignment::All));
    /// assert!(ShardAssignment::parse("hash:4/4").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<ShardAssignment, String> {
        let text = text.trim();
        if text == "all" {
            return Ok(ShardAssignment::All);
        }
        if let Some(rest) = text.strip_prefix("hash:") {
            let (k, n) = rest.split_once('/').ok_or_else(|| format!("expected hash:K/N, not {text:?}"))?;
            let index: u32 = k.trim().parse().map_err(|_| format!("{k:?} is not a number"))?;
            let count: u32 = n.trim().parse().map_err(|_| format!("{n:?} is not a number"))?;
            if count == 0 || index >= count {
                return Err(format!("hash:K/N needs 0 <= K < N, not {index}/{count}"));
            }
            return Ok(ShardAssignment::Hash { count, index });
        }
        let set: BTreeSet<String> = text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        if set.is_empty() {
            return Err("no shard ids".into());
        }
        Ok(ShardAssignment::Only(set))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a_reference_values() {
        // The published FNV-1a 64-bit test vectors.
        assert_eq!(fnv1a(b"foobar"), 0x85944171f73967e8);
        assert_eq!(fnv1a(b"chongo was here!\n"), 0x46810940eff5f915);
    }

    #[test]
    fn hash_shares_partition_and_spread() {
        let ids: Vec<String> = (0..200).map(|i| format!("shardId-{i:012}")).collect();
        let mut per = [0usize; 4];
        for id in &ids {
            let owners: Vec<u32> = (0..4).filter(|&k| ShardAssignment::Hash { count: 4, index: k }.owns(id)).collect();
            assert_eq!(owners.len(), 1, "{id}");
            per[owners[0] as usize] += 1;
        }
        assert!(per.iter().all(|&n| n >= 25), "{per:?}");
    }

    #[test]
    fn lists_parse() {
        assert_eq!(
            ShardAssignment::parse("shardId-1, shardId-2"),
            Ok(ShardAssignment::Only(["shardId-1".to_string(), "shardId-2".to_string()].into()))
        );
        assert!(ShardAssignment::parse(" , ").is_err());
        assert!(ShardAssignment::parse("hash:x/2").is_err());
    }
}
