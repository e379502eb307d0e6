//! The per-path value index: given a leaf value at a path, which (branch, field) slots does it
//! satisfy? Hash lookups for exact strings, numbers, case-folded strings, prefixes and suffixes (one
//! probe per distinct length), so the cost does not grow with rules that cannot match; ranges, CIDR
//! blocks, wildcards and `anything-but` are scanned (their count on one path is what they cost).

use std::sync::Arc;

use crate::compile::cidr::Cidr;
use crate::compile::fold::fold_char;
use crate::compile::ir::{AnythingBut, Matcher};
use crate::compile::number::Range;
use crate::compile::wildcard::Wildcard;
use crate::event::reader::Value;
use crate::event::trie::FxHashMap;
use crate::matcher::eval;

/// A field of a branch: `branch` indexes the machine's branches, `field` its field list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub branch: u32,
    pub field: u32,
}

/// The slots under one key of a hash index: almost always one (a value that one rule names), kept
/// inline, which saves an allocation per rule and a cache miss per hit on large rule sets; several
/// sit in the map's side table. Twelve bytes, so that an entry of a string-keyed map is 32: on
/// 100,000 exact rules the map is most of what the machine holds per rule (issue 11's scale case).
#[derive(Clone, Copy, Debug)]
enum Slots {
    One(Slot),
    Many(u32),
}

/// A hash index: slots by key.
#[derive(Clone, Debug)]
struct SlotMap<K> {
    map: FxHashMap<K, Slots>,
    many: Vec<Vec<Slot>>,
    /// On a large map, a blocked Bloom filter of its keys (empty otherwise): see [`BLOOM_MIN`].
    bloom: Box<[u64]>,
    /// On a small map, its entries in a list (empty otherwise): see [`SMALL_MAX`].
    small: Box<[(K, Slots)]>,
}

impl<K> Default for SlotMap<K> {
    fn default() -> Self {
        SlotMap { map: FxHashMap::default(), many: Vec::new(), bloom: Box::default(), small: Box::default() }
    }
}

/// Keys from which a map gets a Bloom filter. A map this large no longer sits in the core's caches
/// (32 bytes an entry), and most values an event carries are not among its keys: on 100,000 exact
/// rules, three events in four probe for a value no rule names, and each such probe was a cache
/// miss or two in the table. The filter (16 bits a key, two bits set in one 64-bit word, so one
/// access; about 2% false positives) answers most of those probes from 200 KB that stay cached.
const BLOOM_MIN: usize = 8192;

/// Keys up to which a map is also kept as a list, searched by comparing keys: a Lambda filter or a
/// small rule set names a value or two at a path, and comparing a short key or two costs less than
/// hashing the event's value and probing (a third of the machine's work on a Kinesis record).
const SMALL_MAX: usize = 4;

/// The filter's hash of a key: the map's hash, its bits spread (SplitMix64's finaliser).
fn bloom_hash<Q: std::hash::Hash + ?Sized>(key: &Q) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault};
    let mut z = BuildHasherDefault::<crate::event::trie::FxHasher>::default().hash_one(key);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The word of a filter of `words` words (a power of two) and the two bits a hash sets in it.
fn bloom_bits(h: u64, words: usize) -> (usize, u64) {
    ((h >> 32) as usize & (words - 1), (1 << (h & 63)) | (1 << ((h >> 6) & 63)))
}

impl<K: std::hash::Hash + Eq + Clone> SlotMap<K> {
    /// Adds `slot` under `key`.
    fn add(&mut self, key: K, slot: Slot) {
        match self.map.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => match *e.get() {
                Slots::One(first) => {
                    e.insert(Slots::Many(self.many.len() as u32));
                    self.many.push(vec![first, slot]);
                }
                Slots::Many(i) => self.many[i as usize].push(slot),
            },
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(Slots::One(slot));
            }
        }
    }

    /// Builds the Bloom filter of a large map, once every key is in.
    fn finish(&mut self) {
        self.small = if self.map.len() <= SMALL_MAX {
            self.map.iter().map(|(k, v)| (k.clone(), *v)).collect()
        } else {
            Box::default()
        };
        if self.map.len() < BLOOM_MIN {
            self.bloom = Box::default();
            return;
        }
        let words = (self.map.len() / 4).next_power_of_two();
        let mut bloom = vec![0u64; words];
        for key in self.map.keys() {
            let (w, bits) = bloom_bits(bloom_hash(key), words);
            bloom[w] |= bits;
        }
        self.bloom = bloom.into_boxed_slice();
    }

    /// The slots under `key` (none if absent). The check for an empty map is inlined: most paths
    /// have no keys of most kinds.
    #[inline(always)]
    fn get<Q>(&self, key: &Q) -> &[Slot]
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if self.map.is_empty() {
            return &[];
        }
        self.lookup(key)
    }

    fn lookup<Q>(&self, key: &Q) -> &[Slot]
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        if !self.small.is_empty() {
            return match self.small.iter().find(|(k, _)| k.borrow() == key) {
                None => &[],
                Some((_, Slots::One(slot))) => std::slice::from_ref(slot),
                Some((_, Slots::Many(i))) => &self.many[*i as usize],
            };
        }
        if !self.bloom.is_empty() {
            let (w, bits) = bloom_bits(bloom_hash(key), self.bloom.len());
            if self.bloom[w] & bits != bits {
                return &[];
            }
        }
        match self.map.get(key) {
            None => &[],
            Some(Slots::One(slot)) => std::slice::from_ref(slot),
            Some(Slots::Many(i)) => &self.many[*i as usize],
        }
    }

    fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// Maps of fixed-length keys: one map per distinct key length. Keyed by bytes (the pattern's
/// `Arc<str>` shared, not copied): a value's first or last `len` bytes are looked up without a
/// check that `len` falls on a character boundary (bytes that cut a character are not valid UTF-8,
/// so they equal no key), and a folded value is looked up from a byte buffer.
#[derive(Clone, Debug, Default)]
struct ByLength {
    maps: Vec<(usize, SlotMap<Arc<[u8]>>)>,
}

impl ByLength {
    fn insert(&mut self, key: &Arc<str>, slot: Slot) {
        let len = key.len();
        let i = match self.maps.iter().position(|(l, _)| *l == len) {
            Some(i) => i,
            None => {
                self.maps.push((len, SlotMap::default()));
                self.maps.sort_by_key(|(l, _)| *l);
                self.maps.iter().position(|(l, _)| *l == len).expect("just inserted")
            }
        };
        self.maps[i].1.add(Arc::<[u8]>::from(key.clone()), slot);
    }

    /// Slots whose key is a prefix (`prefix = true`) or suffix of `s`.
    fn each(&self, s: &[u8], prefix: bool, f: &mut impl FnMut(Slot)) {
        for (len, map) in &self.maps {
            if *len > s.len() {
                break;
            }
            let key = if prefix { s.get(..*len) } else { s.get(s.len() - len..) };
            if let Some(k) = key {
                map.get(k).iter().copied().for_each(&mut *f);
            }
        }
    }

    fn is_empty(&self) -> bool {
        self.maps.is_empty()
    }

    fn finish(&mut self) {
        self.maps.iter_mut().for_each(|(_, m)| m.finish());
    }
}

/// Normalises a double for hashing: `-0.0` and `0.0` are one key.
fn key(v: f64) -> u64 {
    if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

/// Everything that can satisfy a field at one path.
#[derive(Clone, Debug, Default)]
pub(crate) struct PathIndex {
    strings: SlotMap<Arc<str>>,
    number_texts: SlotMap<Box<str>>,
    number_values: SlotMap<u64>,
    trues: Vec<Slot>,
    falses: Vec<Slot>,
    nulls: Vec<Slot>,
    exists: Vec<Slot>,
    prefixes: ByLength,
    suffixes: ByLength,
    folded_prefixes: ByLength,
    folded_suffixes: ByLength,
    /// By bytes, as [`ByLength`] (a value is folded into a byte buffer).
    folded: SlotMap<Arc<[u8]>>,
    ranges: Vec<(Range, Slot)>,
    cidrs: Vec<(Cidr, Slot)>,
    wildcards: Vec<(Wildcard, Slot)>,
    anything_but: Vec<(AnythingBut, Slot)>,
    /// Which of the string matchers beyond the exact ones this path has (set by `finish`): most
    /// paths have none, and a string leaf then costs one lookup and these three tests.
    affixes: bool,
    folding: bool,
    scans: bool,
}

impl PathIndex {
    pub fn insert(&mut self, m: &Matcher, slot: Slot) {
        match m {
            Matcher::String(s) => self.strings.add(s.clone(), slot),
            Matcher::Number(n) => {
                self.number_texts.add(n.text().into(), slot);
                if let Some(v) = n.value {
                    self.number_values.add(key(v), slot);
                }
            }
            Matcher::Bool(true) => self.trues.push(slot),
            Matcher::Bool(false) => self.falses.push(slot),
            Matcher::Null => self.nulls.push(slot),
            Matcher::Exists => self.exists.push(slot),
            Matcher::Prefix(p) => self.prefixes.insert(p, slot),
            Matcher::Suffix(p) => self.suffixes.insert(p, slot),
            Matcher::PrefixIgnoreCase(p) => self.folded_prefixes.insert(p, slot),
            Matcher::SuffixIgnoreCase(p) => self.folded_suffixes.insert(p, slot),
            Matcher::EqualsIgnoreCase(p) => self.folded.add(Arc::<[u8]>::from(p.clone()), slot),
            // A point range is equality on the value: one more key among the number values
            // (whose lookup is by the same normalised double), not a range to scan.
            Matcher::Numeric(r) => match r.point() {
                Some(v) => self.number_values.add(key(v), slot),
                None => self.ranges.push((*r, slot)),
            },
            Matcher::Cidr(c) => self.cidrs.push((**c, slot)),
            Matcher::Wildcard(w) => self.wildcards.push((w.clone(), slot)),
            Matcher::AnythingBut(a) => self.anything_but.push((a.clone(), slot)),
        }
    }

    /// Called once every rule is in: builds the filters of large maps.
    pub fn finish(&mut self) {
        self.affixes = !self.prefixes.is_empty() || !self.suffixes.is_empty();
        self.folding = !self.folded.is_empty() || !self.folded_prefixes.is_empty() || !self.folded_suffixes.is_empty();
        self.scans = !self.cidrs.is_empty() || !self.wildcards.is_empty();
        self.strings.finish();
        self.number_texts.finish();
        self.number_values.finish();
        self.folded.finish();
        for by_length in [&mut self.prefixes, &mut self.suffixes, &mut self.folded_prefixes, &mut self.folded_suffixes]
        {
            by_length.finish();
        }
    }

    /// Calls `f` for every slot that `v` satisfies (a slot may be reported more than once).
    pub fn each(&self, v: &Value<'_>, fold_buf: &mut Vec<u8>, f: &mut impl FnMut(Slot)) {
        self.exists.iter().copied().for_each(&mut *f);
        match v {
            Value::Null => self.nulls.iter().copied().for_each(&mut *f),
            Value::Bool(true) => self.trues.iter().copied().for_each(&mut *f),
            Value::Bool(false) => self.falses.iter().copied().for_each(&mut *f),
            Value::Number(text, x) => {
                self.number_texts.get(*text).iter().copied().for_each(&mut *f);
                if x.is_finite() {
                    self.number_values.get(&key(*x)).iter().copied().for_each(&mut *f);
                    for (r, slot) in &self.ranges {
                        if r.contains(*x) {
                            f(*slot);
                        }
                    }
                }
            }
            Value::String(s) => {
                self.strings.get(*s).iter().copied().for_each(&mut *f);
                if self.affixes {
                    self.prefixes.each(s.as_bytes(), true, f);
                    self.suffixes.each(s.as_bytes(), false, f);
                }
                if self.folding {
                    fold_buf.clear();
                    if s.is_ascii() {
                        // ASCII folds to its lower case (`fold_char`), a byte at a time, in one
                        // pass that copies it.
                        fold_buf.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
                    } else {
                        for c in s.chars().map(fold_char) {
                            fold_buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                        }
                    }
                    self.folded.get(fold_buf.as_slice()).iter().copied().for_each(&mut *f);
                    self.folded_prefixes.each(fold_buf, true, f);
                    self.folded_suffixes.each(fold_buf, false, f);
                }
                if self.scans {
                    for (c, slot) in &self.cidrs {
                        if c.contains(s) {
                            f(*slot);
                        }
                    }
                    for (w, slot) in &self.wildcards {
                        if w.is_match(s) {
                            f(*slot);
                        }
                    }
                }
            }
        }
        for (a, slot) in &self.anything_but {
            if !eval::excluded(a, v) {
                f(*slot);
            }
        }
    }
}
