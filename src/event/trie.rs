//! The trie of every path that some pattern names, by key segment.
//!
//! Paths are dot-joined (`detail.state`), and AWS treats a dotted key exactly like nesting, so the
//! trie is keyed by the segments between dots: the event key `"a.b"` walks the same two edges as the
//! keys `"a"` then `"b"`. The event reader walks it to learn, for each member, whether the value is a
//! referenced leaf path, whether referenced paths continue below it, or whether it can be skipped.

use std::collections::HashMap;

use crate::lex::Firsts;
use std::hash::{BuildHasherDefault, Hasher};

/// A node of the trie.
pub(crate) type NodeId = u32;

/// The root node.
pub(crate) const ROOT: NodeId = 0;

/// A node's children: a short list up to [`SMALL`] of them, a hash map beyond. The list compares
/// a key's first eight bytes as one word and its length first: most event keys a node is asked
/// about are not its children and differ there, and a child's bytes past the eighth are compared
/// only for keys that long.
#[derive(Clone, Debug)]
enum Children {
    Small(Vec<SmallChild>),
    Map(HashMap<Box<[u8]>, NodeId, BuildHasherDefault<FxHasher>>),
}

#[derive(Clone, Debug)]
struct SmallChild {
    /// [`head`] of the segment.
    head: u64,
    len: usize,
    node: NodeId,
    segment: Box<[u8]>,
}

/// The first eight bytes of `key` as a little-endian word, zero-padded.
#[inline]
pub(crate) fn head(key: &[u8]) -> u64 {
    match key.get(..8) {
        Some(h) => u64::from_le_bytes(h.try_into().expect("8 bytes")),
        None => key.iter().rev().fold(0, |h, &b| h << 8 | u64::from(b)),
    }
}

const SMALL: usize = 8;

impl Default for Children {
    fn default() -> Children {
        Children::Small(Vec::new())
    }
}

/// Does `key` contain a `.`? Keys are short: a plain loop beats `memchr`'s set-up.
#[inline]
#[allow(clippy::manual_contains)] // `contains` is the memchr call this avoids for short keys
fn has_dot(key: &[u8]) -> bool {
    if key.len() < 32 {
        key.iter().any(|&b| b == b'.')
    } else {
        key.contains(&b'.')
    }
}

/// [`has_dot`] with the key's [`head`] at hand: its first eight bytes (zeros past a shorter key's
/// end, which are not dots) in one word test, the rest (rare) byte by byte.
#[inline]
fn has_dot_with_head(key: &[u8], h: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = h ^ (ONES * u64::from(b'.'));
    x.wrapping_sub(ONES) & !x & HIGH != 0 || key.get(8..).is_some_and(has_dot)
}

/// `a[8..] == b[8..]` for two keys of one length above eight whose first eight bytes are equal
/// (their heads matched), eight bytes at a time, the last word overlapping the ones before it:
/// segments are short, and a slice comparison is a call.
#[inline]
fn same_tail(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert!(n > 8 && b.len() == n);
    let word = |s: &[u8], i: usize| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 8;
    while i + 8 < n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

impl Children {
    #[inline]
    fn get(&self, key: &[u8]) -> Option<NodeId> {
        self.get_with(key, head(key))
    }

    /// [`get`](Self::get) with the key's [`head`] already at hand.
    #[inline(always)]
    fn get_with(&self, key: &[u8], h: u64) -> Option<NodeId> {
        match self {
            Children::Small(list) => {
                let len = key.len();
                // A plain loop: `Iterator::find` with this closure was left out of line.
                for c in list.iter() {
                    if c.head == h && c.len == len && (len <= 8 || same_tail(&c.segment, key)) {
                        return Some(c.node);
                    }
                }
                None
            }
            Children::Map(map) => map.get(key).copied(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Children::Small(list) => list.len(),
            Children::Map(map) => map.len(),
        }
    }

    fn insert(&mut self, key: &str, node: NodeId) {
        let key: Box<[u8]> = key.as_bytes().into();
        match self {
            Children::Small(list) if list.len() < SMALL => {
                list.push(SmallChild { head: head(&key), len: key.len(), node, segment: key })
            }
            Children::Small(list) => {
                let mut map: HashMap<Box<[u8]>, NodeId, BuildHasherDefault<FxHasher>> =
                    list.drain(..).map(|c| (c.segment, c.node)).collect();
                map.insert(key, node);
                *self = Children::Map(map);
            }
            Children::Map(map) => {
                map.insert(key, node);
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Node {
    children: Children,
    /// The path id, when a referenced path ends here.
    leaf: Option<u32>,
    /// This node's position among its parent's children (for "all children seen" bookkeeping).
    rank: u32,
    /// The first bytes of the children's segments, and `.` when a child is the empty segment: an
    /// event key whose first byte is not here cannot step to a child, whole or dotted (a dotted
    /// key's first segment starts with the key's first byte, or is empty when that byte is a dot).
    first: [u64; 4],
    /// The parent node (the root is its own parent).
    parent: NodeId,
    /// `"segment` for each child: a later event key that repeats a child, or a dotted key through
    /// one, starts with one of these followed by `"` or `.` (unless it is written with escapes).
    needles: Vec<memchr::memmem::Finder<'static>>,
    /// The children's first bytes for a skim ([`lex::skim`](crate::lex::skim)), when there are
    /// at most three of them.
    firsts: Option<Firsts>,
    /// An empty segment is among the children.
    empty_child: bool,
}

impl Node {
    #[inline(always)]
    fn may_have(&self, byte: u8) -> bool {
        self.first[usize::from(byte >> 6)] >> (byte & 63) & 1 == 1
    }

    fn note_first(&mut self, segment: &str) {
        let byte = segment.as_bytes().first().copied().unwrap_or(b'.');
        self.first[usize::from(byte >> 6)] |= 1 << (byte & 63);
        self.empty_child |= segment.is_empty();
        let bytes = (0..=255u8).filter(|&b| self.may_have(b));
        self.firsts = Firsts::new(bytes, self.empty_child);
    }
}

/// Paths by segment. Path ids are assigned by the caller.
#[derive(Clone, Debug)]
pub(crate) struct PathTrie {
    nodes: Vec<Node>,
}

impl Default for PathTrie {
    fn default() -> PathTrie {
        PathTrie { nodes: vec![Node::default()] }
    }
}

impl PathTrie {
    /// A trie where `paths[i]` gets id `i`.
    pub fn new<'p>(paths: impl IntoIterator<Item = &'p str>) -> PathTrie {
        let mut trie = PathTrie::default();
        for (i, p) in paths.into_iter().enumerate() {
            trie.insert(p, i as u32);
        }
        trie
    }

    /// Adds a dot-joined path with its id.
    pub fn insert(&mut self, path: &str, id: u32) {
        let mut node = ROOT;
        for segment in path.split('.') {
            node = match self.nodes[node as usize].children.get(segment.as_bytes()) {
                Some(n) => n,
                None => {
                    let n = self.nodes.len() as NodeId;
                    let rank = self.nodes[node as usize].children.len() as u32;
                    self.nodes.push(Node { rank, parent: node, ..Node::default() });
                    self.nodes[node as usize].children.insert(segment, n);
                    self.nodes[node as usize].note_first(segment);
                    let needle = format!("\"{segment}");
                    self.nodes[node as usize].needles.push(memchr::memmem::Finder::new(needle.as_bytes()).into_owned());
                    n
                }
            };
        }
        self.nodes[node as usize].leaf = Some(id);
    }

    /// The node reached from `node` by an event key (which may hold dots), if any referenced path
    /// goes there.
    #[inline]
    pub fn step(&self, node: NodeId, key: &str) -> Option<NodeId> {
        self.step_dotted(node, key.as_bytes()).map(|(n, _)| n)
    }

    /// Can `key` step from `node` at all? A check of its first byte, cheap enough to inline where
    /// every key of an event passes: most keys are not referenced and stop here.
    #[inline(always)]
    pub fn may_step(&self, node: NodeId, key: &[u8]) -> bool {
        match key.first() {
            Some(&byte) => self.nodes[node as usize].may_have(byte),
            None => true,
        }
    }

    /// May a key whose first byte is `byte` step from `node`? `byte` is the byte after the key's
    /// opening quote: `"` for the empty key, which can step only to an empty segment (noted
    /// under `.`), and `\\` for a key that starts with an escape, which may be anything.
    #[inline(always)]
    pub fn may_open(&self, node: NodeId, byte: u8) -> bool {
        byte == b'\\' || self.nodes[node as usize].may_have(if byte == b'"' { b'.' } else { byte })
    }

    /// The number of children of `node`, each a search of the rest of an event for
    /// [`clear_of`](Self::clear_of).
    #[inline]
    pub fn needle_count(&self, node: NodeId) -> usize {
        self.nodes[node as usize].needles.len()
    }

    /// The first bytes of the keys that may step from `node`, for a skim; `None` when there are too
    /// many to skim for.
    #[inline]
    pub fn firsts(&self, node: NodeId) -> Option<&Firsts> {
        self.nodes[node as usize].firsts.as_ref()
    }

    /// [`step`](Self::step), also saying whether the key was dotted (split into several segments).
    #[inline]
    pub fn step_dotted(&self, node: NodeId, key: &[u8]) -> Option<(NodeId, bool)> {
        if let Some(&byte) = key.first() {
            if !self.nodes[node as usize].may_have(byte) {
                return None;
            }
        }
        self.step_unchecked(node, key)
    }

    /// [`step_dotted`](Self::step_dotted) for a key that passed [`may_step`](Self::may_step).
    #[inline]
    pub fn step_unchecked(&self, node: NodeId, key: &[u8]) -> Option<(NodeId, bool)> {
        self.step_with_head(node, key, head(key))
    }

    /// [`step_unchecked`](Self::step_unchecked) with the key's [`head`] at hand (a reader takes it
    /// from the event text in one load).
    #[inline(always)]
    pub fn step_with_head(&self, node: NodeId, key: &[u8], h: u64) -> Option<(NodeId, bool)> {
        let mut node = node;
        // No segment contains a dot, so a direct hit is a plain key; most keys are plain, and most
        // keys an event has are not referenced, so look before searching the key for a dot.
        let direct = self.nodes[node as usize].children.get_with(key, h);
        if direct.is_some() || !has_dot_with_head(key, h) {
            return direct.map(|n| (n, false));
        }
        for segment in key.split(|&b| b == b'.') {
            node = self.nodes[node as usize].children.get(segment)?;
        }
        Some((node, true))
    }

    /// The path id ending at `node`.
    #[inline]
    pub fn leaf(&self, node: NodeId) -> Option<u32> {
        self.nodes[node as usize].leaf
    }

    /// Number of children of `node` (distinct next segments).
    #[inline]
    pub fn child_count(&self, node: NodeId) -> usize {
        self.nodes[node as usize].children.len()
    }

    /// The position of `node` among its parent's children.
    #[inline]
    pub fn rank(&self, node: NodeId) -> u32 {
        self.nodes[node as usize].rank
    }

    /// The parent of `node` (`None` for the root).
    #[inline]
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        (node != ROOT).then(|| self.nodes[node as usize].parent)
    }

    /// Can no key written in `hay` step from `node` to a child, neither as the child's segment nor
    /// as a dotted key through it? True when no `"segment` of a child occurs in `hay` followed by
    /// `"` or `.` (an occurrence inside a string value also counts: the answer errs on the side of
    /// "no"). Keys written with escapes are the caller's to rule out (no backslash in `hay`).
    pub fn clear_of(&self, node: NodeId, hay: &[u8]) -> bool {
        let n = &self.nodes[node as usize];
        if hay.len() < 256 {
            // Short: every quote may open a key; look its segment up (a superset of the keys, so
            // the answer still errs on the side of "no"). A byte loop: too short for SIMD set-up.
            let mut start: Option<usize> = None;
            for (i, &b) in hay.iter().enumerate() {
                if b == b'"' || b == b'.' {
                    if let Some(s) = start {
                        // The empty segment is noted under `.` (see `note_first`).
                        let first = if s < i { hay[s] } else { b'.' };
                        if n.may_have(first) && n.children.get(&hay[s..i]).is_some() {
                            return false;
                        }
                    }
                    start = (b == b'"').then_some(i + 1);
                }
            }
            return true;
        }
        for finder in &n.needles {
            let len = finder.needle().len();
            let mut from = 0;
            while let Some(i) = finder.find(&hay[from..]) {
                if matches!(hay.get(from + i + len), Some(b'"' | b'.')) {
                    return false;
                }
                from += i + 1;
            }
        }
        true
    }

    /// [`clear_of`](Self::clear_of) for `node` and every node above it, and no backslash in `hay`
    /// (a key written with escapes could be any of them). The levels above `node` in one pass when their
    /// children's segments start with at most three distinct bytes (and none is empty): `memchr`
    /// finds those bytes (vectorised, chosen at run time), and a hit counts only where a quote
    /// precedes it and the segment it starts (up to a `"` or `.`) is a child of one of the nodes.
    /// Otherwise, or when the text is full of those bytes, one search per child.
    pub fn clear_up(&self, node: NodeId, hay: &[u8]) -> bool {
        // The innermost level is searched child by child: its own object's later keys are in
        // `hay` and often share first bytes with its children. The levels above go in one pass.
        let above = match self.parent(node) {
            Some(_) if !self.clear_of(node, hay) => return false,
            Some(parent) => parent,
            None => node,
        };
        if let Some(clear) = self.clear_up_by_bytes(above, hay) {
            return clear;
        }
        if memchr::memchr(b'\\', hay).is_some() {
            return false;
        }
        let mut n = above;
        loop {
            if !self.clear_of(n, hay) {
                return false;
            }
            match self.parent(n) {
                Some(p) => n = p,
                None => return true,
            }
        }
    }

    /// The one-pass [`clear_up`](Self::clear_up) of `node` and the nodes above it, the backslash
    /// check included (a backslash is one more byte to look for when there is room), or `None`
    /// when it does not apply or gives up.
    fn clear_up_by_bytes(&self, node: NodeId, hay: &[u8]) -> Option<bool> {
        /// Hits looked at before the search per child takes over.
        const BUDGET: usize = 32;
        if hay.len() < 256 {
            return None;
        }
        let (mut set, mut len) = ([0u8; 3], 0);
        let mut n = node;
        loop {
            let firsts = self.nodes[n as usize].firsts.as_ref().filter(|f| !f.empty())?;
            for &b in firsts.bytes() {
                if !set[..len].contains(&b) {
                    *set.get_mut(len)? = b;
                    len += 1;
                }
            }
            match self.parent(n) {
                Some(p) => n = p,
                None => break,
            }
        }
        if len < 3 {
            set[len] = b'\\';
            len += 1;
        } else if memchr::memchr(b'\\', hay).is_some() {
            return Some(false);
        }
        let scan = |hits: &mut dyn Iterator<Item = usize>| -> Option<bool> {
            for (count, i) in hits.enumerate() {
                if hay[i] == b'\\' {
                    return Some(false);
                }
                if count == BUDGET {
                    return None;
                }
                if i == 0 || hay[i - 1] != b'"' {
                    continue;
                }
                // A segment ends at a `"` or `.` (as [`clear_of`](Self::clear_of) has it).
                let Some(len) = hay[i..].iter().position(|&b| b == b'"' || b == b'.') else {
                    continue;
                };
                let segment = &hay[i..i + len];
                let mut n = node;
                loop {
                    if self.nodes[n as usize].children.get(segment).is_some() {
                        return Some(false);
                    }
                    match self.parent(n) {
                        Some(p) => n = p,
                        None => break,
                    }
                }
            }
            Some(true)
        };
        match len {
            1 => scan(&mut memchr::memchr_iter(set[0], hay)),
            2 => scan(&mut memchr::memchr2_iter(set[0], set[1], hay)),
            _ => scan(&mut memchr::memchr3_iter(set[0], set[1], set[2], hay)),
        }
    }

    /// Do referenced paths continue below `node`?
    #[inline]
    pub fn descends(&self, node: NodeId) -> bool {
        self.nodes[node as usize].children.len() != 0
    }
}

/// The Firefox/rustc hash: fast for short keys, and keys here are field names chosen by rule authors,
/// not by event senders, so hash flooding by events is not a concern (an event key that is not in
/// the map costs one probe whatever it is).
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub(crate) type FxHashMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// [`PathTrie::clear_up`] as the definition says: each level searched child by child.
    fn clear_up_naive(t: &PathTrie, node: NodeId, hay: &[u8]) -> bool {
        if hay.contains(&b'\\') {
            return false;
        }
        let mut n = node;
        loop {
            if !t.clear_of(n, hay) {
                return false;
            }
            match t.parent(n) {
                Some(p) => n = p,
                None => return true,
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The tail comparison by words agrees with the slice comparison at every length, for
        /// keys whose first eight bytes are equal (what the caller has checked by their heads).
        #[test]
        fn tails_by_words_equal_slices(a in prop::collection::vec(prop::sample::select(vec![b'a', b'b']), 9..40), flip in 0usize..40) {
            let mut b = a.clone();
            let k = 8 + flip % (a.len() - 8);
            b[k] = if b[k] == b'a' { b'b' } else { b'a' };
            prop_assert_eq!(same_tail(&a, &b), a[8..] == b[8..]);
            prop_assert!(same_tail(&a, &a));
        }

        /// The word test of a key's first eight bytes finds a dot where the byte loop does, NUL
        /// bytes and keys of every length around eight included.
        #[test]
        fn dot_by_head_equals_byte_loop(key in prop::collection::vec(prop::sample::select(vec![0u8, b'.', b'a', 0x2e ^ 0x80, b'/', 0xff]), 0..20)) {
            prop_assert_eq!(has_dot_with_head(&key, head(&key)), has_dot(&key));
        }

        /// The one-pass search of the levels above a stop answers as one search per child, whatever
        /// the first bytes (one to many, shared, empty segments) and however full of them the text.
        #[test]
        fn clear_up_equals_search_per_child(
            paths in prop::collection::vec(prop::collection::vec(prop::sample::select(vec!["a", "b", "ab", "ba", "c", "", "d", "e"]), 1..4), 1..5),
            hay in prop::collection::vec(prop::sample::select(vec!["\"", ".", "a", "b", "ab", "ba", "x", ":", ",", "{", "}", "\"a\"", "\"ab.", "aaaaaaaa", "\"b\"", "\\"]), 0..200),
            pad in 0usize..400,
        ) {
            let paths: Vec<String> = paths.iter().map(|p| p.join(".")).collect();
            let t = PathTrie::new(paths.iter().map(String::as_str));
            let hay = format!("{}{}", "x".repeat(pad), hay.concat());
            for node in 0..t.nodes.len() as NodeId {
                prop_assert_eq!(t.clear_up(node, hay.as_bytes()), clear_up_naive(&t, node, hay.as_bytes()), "node {} of {:?}", node, paths);
            }
        }
    }

    #[test]
    fn dotted_keys_walk_like_nesting() {
        let t = PathTrie::new(["a.b.c", "a.x", "q"]);
        let a = t.step(ROOT, "a").unwrap();
        let ab = t.step(a, "b").unwrap();
        assert_eq!(t.step(ROOT, "a.b"), Some(ab));
        let abc = t.step(ab, "c").unwrap();
        assert_eq!(t.leaf(abc), Some(0));
        assert_eq!(t.step(ROOT, "a.b.c"), Some(abc));
        assert_eq!(t.step(a, "b.c"), Some(abc));
        assert_eq!(t.leaf(t.step(ROOT, "q").unwrap()), Some(2));
        assert!(t.descends(a) && !t.descends(abc));
        assert_eq!(t.step(ROOT, "a.y"), None);
        assert_eq!(t.step(ROOT, "z"), None);
    }

    #[test]
    fn many_children_switch_to_a_map() {
        let paths: Vec<String> = (0..40).map(|i| format!("a.k{i}")).collect();
        let t = PathTrie::new(paths.iter().map(String::as_str));
        let a = t.step(ROOT, "a").unwrap();
        assert_eq!(t.child_count(a), 40);
        for i in 0..40 {
            assert_eq!(t.step(a, &format!("k{i}")).and_then(|n| t.leaf(n)), Some(i));
            assert_eq!(t.rank(t.step(a, &format!("k{i}")).unwrap()), i);
        }
        assert_eq!(t.step(a, "k40"), None);
    }

    #[test]
    fn empty_segments() {
        let t = PathTrie::new(["", "a.", ".b"]);
        assert_eq!(t.step(ROOT, "").and_then(|n| t.leaf(n)), Some(0));
        assert_eq!(t.step(ROOT, "a.").and_then(|n| t.leaf(n)), Some(1));
        let a = t.step(ROOT, "a").unwrap();
        assert_eq!(t.step(a, "").and_then(|n| t.leaf(n)), Some(1));
        assert_eq!(t.step(ROOT, ".b").and_then(|n| t.leaf(n)), Some(2));
    }

    /// The first-byte filter never hides a child: whole keys, dotted keys, empty first segments,
    /// and bytes in every quarter of the byte range.
    #[test]
    fn first_byte_filter_keeps_every_way_in() {
        let t = PathTrie::new(["alpha.x", ".hidden", "é.y", "\u{7f}z", "Zed"]);
        assert!(t.step(ROOT, "alpha").is_some());
        assert!(t.step(ROOT, "alpha.x").is_some());
        assert!(t.step(ROOT, ".hidden").is_some(), "empty first segment");
        assert!(t.step(ROOT, "é.y").is_some() && t.step(ROOT, "é").is_some());
        assert!(t.step(ROOT, "\u{7f}z").is_some() && t.step(ROOT, "Zed").is_some());
        for miss in ["beta", "b.x", "alphax", "Zeds", "ë", ".", "hidden", "x.alpha"] {
            assert_eq!(t.step(ROOT, miss), None, "{miss}");
        }
        // Without an empty child, a leading dot cannot step anywhere.
        let t = PathTrie::new(["a.b"]);
        assert_eq!(t.step(ROOT, ".a.b"), None);
        assert!(t.step(ROOT, "a.b").is_some());
    }
}
