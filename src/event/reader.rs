//! One pass over event JSON text, yielding the leaf occurrences a pattern can use.
//!
//! Objects are descended only where some referenced path continues; every other value is skipped
//! (still validated: the event must be valid JSON). Arrays are "crushed": their elements sit at the
//! parent's path, and each occurrence carries its *trail* — the (array, element) pairs above it — so
//! that matching can keep fields of one branch inside one array element (array consistency).
//! Strings are borrowed from the input unless they contain escapes. Nesting is limited (an error,
//! never a stack overflow).

use super::trie::{NodeId, PathTrie, ROOT};
use crate::error::{Error, ErrorKind, Span};
use crate::syntax::json::simple_escape;

/// A scalar leaf of an event.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Value<'a> {
    Null,
    Bool(bool),
    /// As spelled in the event, and its value (NaN when it is not a finite double).
    Number(&'a str, f64),
    String(&'a str),
}

/// Where a leaf's value is: a range of the event text, or of the unescape buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Raw {
    Null,
    Bool(bool),
    /// Byte range of the number's text in the event.
    Number(u32, u32),
    /// Byte range of a string without escapes in the event (quotes excluded).
    String(u32, u32),
    /// Byte range of an unescaped string in [`Leaves::buf`].
    Unescaped(u32, u32),
    /// Byte range of a number's text in [`Leaves::buf`] (events given as `serde_json::Value`).
    BufNumber(u32, u32),
}

/// One (array, element index) step of a trail.
pub(crate) type Step = (u32, u32);

/// A leaf occurrence at a referenced path.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Leaf {
    /// The path's id in the [`PathTrie`].
    pub path: u32,
    pub raw: Raw,
    /// For numbers: the value, parsed once when read (NaN when not finite).
    pub number: f64,
    /// Range into [`Leaves::steps`].
    pub trail: (u32, u32),
}

/// The occurrences of one event, with their trails. Owns no borrow of the event, so it can be kept
/// in a scratch space and reused without allocating.
#[derive(Clone, Debug, Default)]
pub(crate) struct Leaves {
    pub leaves: Vec<Leaf>,
    pub steps: Vec<Step>,
    /// Unescaped strings.
    pub buf: String,
    /// The reader's trail of (array, element) while it walks (kept here to reuse its memory).
    pub(crate) stack: Vec<Step>,
    /// The current key when it has escapes.
    key: String,
}

impl Leaves {
    pub fn clear(&mut self) {
        self.leaves.clear();
        self.steps.clear();
        self.buf.clear();
        self.stack.clear();
        self.key.clear();
    }

    pub fn trail(&self, leaf: &Leaf) -> &[Step] {
        &self.steps[leaf.trail.0 as usize..(leaf.trail.0 + leaf.trail.1) as usize]
    }

    /// The value of `leaf`, resolved against the event text it was read from.
    #[inline]
    pub fn value<'a>(&'a self, leaf: &Leaf, event: &'a str) -> Value<'a> {
        match leaf.raw {
            Raw::Null => Value::Null,
            Raw::Bool(b) => Value::Bool(b),
            Raw::Number(s, e) => Value::Number(&event[s as usize..e as usize], leaf.number),
            Raw::String(s, e) => Value::String(&event[s as usize..e as usize]),
            Raw::Unescaped(s, e) => Value::String(&self.buf[s as usize..e as usize]),
            Raw::BufNumber(s, e) => Value::Number(&self.buf[s as usize..e as usize], leaf.number),
        }
    }

    /// Records a leaf whose trail is the reader's current stack; `text` is the text the number
    /// ranges point into (ignored for other values).
    pub(crate) fn push_here(&mut self, path: u32, raw: Raw, text: &str) {
        let start = self.steps.len() as u32;
        self.steps.extend_from_slice(&self.stack);
        let number = match raw {
            Raw::Number(s, e) => crate::compile::number::finite(&text[s as usize..e as usize]).unwrap_or(f64::NAN),
            Raw::BufNumber(s, e) => {
                crate::compile::number::finite(&self.buf[s as usize..e as usize]).unwrap_or(f64::NAN)
            }
            _ => f64::NAN,
        };
        self.leaves.push(Leaf { path, raw, number, trail: (start, self.stack.len() as u32) });
    }

    /// Copies `s` into the buffer and returns its range.
    pub(crate) fn stash(&mut self, s: &str) -> (u32, u32) {
        let start = self.buf.len() as u32;
        self.buf.push_str(s);
        (start, self.buf.len() as u32)
    }
}

/// Can two trails come from one choice of array elements? They conflict only when they pass through
/// the same array at different elements.
pub(crate) fn consistent(a: &[Step], b: &[Step]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if x.0 != y.0 {
            return true;
        }
        if x.1 != y.1 {
            return false;
        }
    }
    true
}

/// How much of each event is read.
///
/// | mode | referenced values | other values | keys after the last referenced one |
/// | --- | --- | --- | --- |
/// | `Strict` | read, validated | validated | read, validated |
/// | `Skip` | read, validated | skipped by bracket matching, not validated | read |
/// | `EarlyStop` | read, validated | skipped, not validated | not read when no later key can matter |
///
/// `EarlyStop` (the [`Machine`](crate::Machine)'s default) stops reading the event once every
/// key that some pattern refers to has been seen (the last referenced key of the last referenced
/// object, all the way up), if the rest of the event holds no backslash and no `"key"` or `"key.`
/// for a key referred to on the way there: then no later key can repeat a referenced one or be a
/// dotted key through one, and the verdicts are exactly those of `Skip`. Otherwise it reads on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ReadMode {
    /// Validate the whole event: invalid JSON anywhere is an error.
    #[default]
    Strict,
    /// Validate what patterns refer to; skip everything else without validating it.
    Skip,
    /// Like `Skip`, and stop reading an object once every referenced key in it has been seen and
    /// nothing after it can change the verdict.
    EarlyStop,
}

/// Reads `text` (a JSON object) into `out` (which is cleared first). `max_depth` bounds nesting.
pub(crate) fn read(
    text: &str,
    paths: &PathTrie,
    max_depth: usize,
    mode: ReadMode,
    out: &mut Leaves,
) -> Result<(), Error> {
    let mut r = Reader::new(text, paths, max_depth, mode, out);
    r.skip_bom();
    r.ws();
    if r.peek() != Some(b'{') {
        return Err(r.error_here("event is not a JSON object"));
    }
    r.value(Target::Descend(ROOT), 1)?;
    if r.stopped {
        return Ok(());
    }
    r.ws();
    if r.pos != r.bytes.len() && mode == ReadMode::Strict {
        return Err(r.error_here("unexpected trailing characters after the event"));
    }
    Ok(())
}

/// Reads the JSON object at the start of `text` into `out`, ignoring whatever follows it (a batch
/// reads its records in place this way). Returns the offset just past the object, or `None` when
/// the read stopped early ([`ReadMode::EarlyStop`]).
pub(crate) fn read_prefix(
    text: &str,
    paths: &PathTrie,
    max_depth: usize,
    mode: ReadMode,
    out: &mut Leaves,
) -> Result<Option<usize>, Error> {
    let mut r = Reader::new(text, paths, max_depth, mode, out);
    r.ws();
    if r.peek() != Some(b'{') {
        return Err(r.error_here("event is not a JSON object"));
    }
    r.value(Target::Descend(ROOT), 1)?;
    Ok(if r.stopped { None } else { Some(r.pos) })
}

/// The early stop is taken only when more than this many bytes remain: a shorter rest costs less
/// to read (skipped values go 64 bytes at a time) than to search for keys that could matter.
const STOP_MIN_REST: usize = 256;

/// Byte classes for skipping: everything but quotes and brackets is plain.
const PLAIN: u8 = 0;
const QUOTE: u8 = 1;
const OPEN: u8 = 2;
const CLOSE: u8 = 3;
static CLASS: [u8; 256] = {
    let mut t = [PLAIN; 256];
    t[b'"' as usize] = QUOTE;
    t[b'{' as usize] = OPEN;
    t[b'[' as usize] = OPEN;
    t[b'}' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t
};

/// The offset of the first byte at or after `i` that ends a run of plain string content — a quote,
/// a backslash, or (when `controls`) a control character — or `bytes.len()`. Eight bytes at a time:
/// in each word, the classic "has a zero byte" and "has a byte less than" bit tricks flag candidate
/// bytes, and although they may flag bytes after a true hit, the lowest flag is always exact.
#[inline]
fn string_run(bytes: &[u8], mut i: usize, controls: bool) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    while let Some(word) = bytes.get(i..i + 8) {
        let x = u64::from_le_bytes(word.try_into().expect("8 bytes"));
        let mut hits = zero(x ^ (ONES * u64::from(b'"'))) | zero(x ^ (ONES * u64::from(b'\\')));
        if controls {
            hits |= x.wrapping_sub(ONES * 0x20) & !x & HIGH;
        }
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    let stop = |c: u8| c == b'"' || c == b'\\' || (controls && c < 0x20);
    bytes.get(i..).and_then(|rest| rest.iter().position(|&c| stop(c))).map_or(bytes.len(), |k| i + k)
}

/// What [`skip_brackets`] ran out of input inside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unclosed {
    String,
    Container,
}

/// From `pos`, skips brackets until the nesting count, starting at `depth`, returns to zero, and
/// returns the offset just past the closing bracket. Strings are skipped whole (so brackets inside
/// them do not count) and nothing else is validated. Counted, not recursed, so any depth is safe.
///
/// Skipping is most of the work of reading an event whose rules name a few fields (a CityLots
/// event is three quarters unreferenced `geometry`), so it goes 64 bytes at a time: SIMD compares
/// give bit masks of quotes, backslashes, opening and closing brackets; a prefix XOR of the quote
/// mask marks the bytes inside strings; and a block whose closing brackets are fewer than the
/// current depth cannot end the value, so it only updates the depth by two population counts.
/// The last partial block is padded with spaces; blocks with a backslash go byte by byte
/// ([`skip_scalar`]), which is simpler than tracking escape runs across blocks and rare in events.
pub(crate) fn skip_brackets(bytes: &[u8], pos: usize, mut depth: usize) -> Result<usize, Unclosed> {
    let n = bytes.len();
    let mut i = pos;
    if depth == 0 {
        // At the opening bracket: count it here, so that blocks start inside the value.
        debug_assert!(matches!(bytes.get(pos), Some(b'[' | b'{')));
        i += 1;
        depth = 1;
    }
    let mut in_string = false;
    // The last partial block, padded with spaces, so that it too goes by masks.
    let mut padded = [b' '; 64];
    loop {
        let block: &[u8; 64] = match bytes.get(i..i + 64) {
            Some(block) => block.try_into().expect("64 bytes"),
            None if i < n => {
                padded[..n - i].copy_from_slice(&bytes[i..]);
                &padded
            }
            None => return Err(if in_string { Unclosed::String } else { Unclosed::Container }),
        };
        let m = Masks::of(block);
        if m.backslash != 0 {
            // Escapes: this stretch byte by byte, then back to blocks.
            let limit = if i + 64 <= n { i + 64 } else { usize::MAX };
            match skip_scalar(bytes, i, limit, depth, in_string)? {
                Scan::Closed(end) => return Ok(end),
                Scan::Paused(at, d) => {
                    i = at;
                    depth = d;
                    in_string = false;
                    continue;
                }
            }
        }
        let inside = prefix_xor(m.quote) ^ if in_string { u64::MAX } else { 0 };
        in_string = inside >> 63 == 1;
        let open = m.open & !inside;
        let close = m.close & !inside;
        let closes = close.count_ones() as usize;
        if closes < depth {
            depth = depth + open.count_ones() as usize - closes;
        } else {
            let mut rest = open | close;
            while rest != 0 {
                let k = rest.trailing_zeros();
                if open >> k & 1 == 1 {
                    depth += 1;
                } else {
                    depth -= 1;
                    if depth == 0 {
                        return Ok(i + k as usize + 1);
                    }
                }
                rest &= rest - 1;
            }
        }
        i += 64;
    }
}

/// Bit `k` of each mask is set when byte `k` of a 64-byte block is that character.
struct Masks {
    quote: u64,
    backslash: u64,
    /// `[` or `{`.
    open: u64,
    /// `]` or `}`.
    close: u64,
}

impl Masks {
    #[inline]
    fn of(block: &[u8; 64]) -> Masks {
        use wide::u8x16;
        let mut m = Masks { quote: 0, backslash: 0, open: 0, close: 0 };
        for (j, chunk) in block.chunks_exact(16).enumerate() {
            let v = u8x16::new(chunk.try_into().expect("16 bytes"));
            // `[` and `{` differ only in bit 5, as do `]` and `}`; no other byte ORs to either.
            let folded = v | u8x16::splat(0x20);
            let bits = |m: u8x16| u64::from(m.to_bitmask()) << (16 * j);
            m.quote |= bits(v.simd_eq(u8x16::splat(b'"')));
            m.backslash |= bits(v.simd_eq(u8x16::splat(b'\\')));
            m.open |= bits(folded.simd_eq(u8x16::splat(b'{')));
            m.close |= bits(folded.simd_eq(u8x16::splat(b'}')));
        }
        m
    }
}

/// Bit `k` of the result is the XOR of bits `0..=k` of `x`: with `x` the quotes of a block, the
/// bytes from an opening quote up to (not including) its closing quote.
#[inline]
fn prefix_xor(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// Where [`skip_scalar`] left off.
enum Scan {
    /// The value ended just before this offset.
    Closed(usize),
    /// Reached `limit` outside any string: resume here with this depth.
    Paused(usize, usize),
}

/// Byte-by-byte [`skip_brackets`] from `i` (inside a string when `in_string`), until the value
/// closes or, outside a string, at or past `limit`. A tight loop over a byte-class table: most
/// bytes need one load and one compare.
fn skip_scalar(
    bytes: &[u8],
    mut i: usize,
    limit: usize,
    mut depth: usize,
    mut in_string: bool,
) -> Result<Scan, Unclosed> {
    let n = bytes.len();
    loop {
        if in_string {
            loop {
                while i < n && bytes[i] != b'"' && bytes[i] != b'\\' {
                    i += 1;
                }
                if i >= n {
                    return Err(Unclosed::String);
                }
                if bytes[i] == b'\\' {
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            in_string = false;
        }
        if i >= limit {
            return Ok(Scan::Paused(i, depth));
        }
        while i < n && CLASS[bytes[i] as usize] == PLAIN {
            i += 1;
        }
        if i >= n {
            return Err(Unclosed::Container);
        }
        match CLASS[bytes[i] as usize] {
            QUOTE => in_string = true,
            OPEN => depth += 1,
            _ => {
                depth -= 1;
                if depth == 0 {
                    return Ok(Scan::Closed(i + 1));
                }
            }
        }
        i += 1;
    }
}

/// Validates `text` as one JSON value of any type (followed only by whitespace), nested at most
/// `max_depth` deep.
pub(crate) fn validate(text: &str, max_depth: usize) -> Result<(), Error> {
    static NO_PATHS: std::sync::OnceLock<PathTrie> = std::sync::OnceLock::new();
    let mut out = Leaves::default();
    let mut r = Reader::new(text, NO_PATHS.get_or_init(PathTrie::default), max_depth, ReadMode::Strict, &mut out);
    r.ws();
    r.value(Target::Skip, 1)?;
    r.ws();
    if r.pos != r.bytes.len() {
        return Err(r.error_here("unexpected trailing characters after the JSON value"));
    }
    Ok(())
}

/// Where an escaped string is unescaped to.
#[derive(Clone, Copy)]
enum Dest {
    /// The leaves' buffer (string values).
    Buf,
    /// The key buffer (object keys).
    Key,
}

/// A string token: a byte range of the event, or of the destination buffer.
enum Str {
    Plain(u32, u32),
    Escaped(u32, u32),
}

/// What to do with the value being read.
#[derive(Clone, Copy)]
enum Target {
    /// Validate only.
    Skip,
    /// Record scalars under this path id; descend from the node if paths continue.
    Leaf(u32, NodeId),
    /// Not a leaf path, but paths continue below this node.
    Descend(NodeId),
}

struct Reader<'a, 'p, 'o> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    paths: &'p PathTrie,
    max_depth: usize,
    mode: ReadMode,
    /// The top-level object was left early: nothing more is read.
    stopped: bool,
    /// Set by an object for the value it is about to read ([`ReadMode::EarlyStop`]): completing
    /// that value (an object) completes every object around it, so the read can stop there without
    /// finding the ends of the enclosing objects.
    closing: bool,
    arrays: u32,
    out: &'o mut Leaves,
}

impl<'a, 'p, 'o> Reader<'a, 'p, 'o> {
    /// A reader at the start of `text`; `out` is cleared.
    fn new(text: &'a str, paths: &'p PathTrie, max_depth: usize, mode: ReadMode, out: &'o mut Leaves) -> Self {
        out.clear();
        Reader {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            paths,
            max_depth,
            mode,
            stopped: false,
            closing: false,
            arrays: 0,
            out,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn skip_bom(&mut self) {
        if self.text.starts_with('\u{feff}') {
            self.pos = 3;
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn error_at(&self, start: usize, len: usize, reason: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidEvent, Span::new(start, (start + len).min(self.bytes.len())), reason, self.text)
    }

    fn error_here(&self, reason: &str) -> Error {
        match self.text[self.pos.min(self.text.len())..].chars().next() {
            None => self.error_at(self.pos, 0, format!("{reason}: unexpected end of input")),
            Some(c) => self.error_at(self.pos, c.len_utf8(), format!("{reason}: unexpected character {c:?}")),
        }
    }

    fn expect(&mut self, b: u8, what: &str) -> Result<(), Error> {
        self.ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error_here(&format!("invalid JSON: expected {what}")))
        }
    }

    fn value(&mut self, target: Target, depth: usize) -> Result<(), Error> {
        self.ws();
        if matches!(target, Target::Skip) && self.mode != ReadMode::Strict {
            return self.skip_fast();
        }
        match self.peek() {
            Some(b'{' | b'[') if depth > self.max_depth => Err(Error::new(
                ErrorKind::EventTooDeep,
                Span::new(self.pos, self.pos + 1),
                format!("event nests deeper than {} levels", self.max_depth),
                self.text,
            )),
            Some(b'{') => self.object(target, depth),
            Some(b'[') => self.array(target, depth),
            Some(b'"') => {
                let raw = match self.string(Dest::Buf)? {
                    Str::Plain(s, e) => Raw::String(s, e),
                    Str::Escaped(s, e) => Raw::Unescaped(s, e),
                };
                self.record(target, raw);
                Ok(())
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.pos as u32;
                self.number()?;
                self.record(target, Raw::Number(start, self.pos as u32));
                Ok(())
            }
            Some(b't') => self.word("true", target, Raw::Bool(true)),
            Some(b'f') => self.word("false", target, Raw::Bool(false)),
            Some(b'n') => self.word("null", target, Raw::Null),
            _ => Err(self.error_here("invalid JSON: expected a value")),
        }
    }

    fn record(&mut self, target: Target, raw: Raw) {
        if let Target::Leaf(id, _) = target {
            self.out.push_here(id, raw, self.text);
        }
    }

    fn word(&mut self, word: &str, target: Target, raw: Raw) -> Result<(), Error> {
        if self.bytes[self.pos..].starts_with(word.as_bytes()) {
            self.pos += word.len();
            self.record(target, raw);
            Ok(())
        } else {
            Err(self.error_here("invalid JSON: expected a value"))
        }
    }

    fn object(&mut self, target: Target, depth: usize) -> Result<(), Error> {
        self.pos += 1;
        let node = match target {
            Target::Descend(n) | Target::Leaf(_, n) if self.paths.descends(n) => Some(n),
            _ => None,
        };
        // Completing this object completes every enclosing one (set by the parent).
        let outer = self.closing;
        // Early stop: the children of `node` seen so far as plain keys (one bit per child rank).
        // Only an object whose completion ends the read is tracked: only that stop is taken.
        let children = node.map_or(0, |n| self.paths.child_count(n));
        let mut track = self.mode == ReadMode::EarlyStop && (depth == 1 || outer) && (1..=64).contains(&children);
        let all: u64 = if children >= 64 { u64::MAX } else { (1u64 << children) - 1 };
        let mut seen = 0u64;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.error_here("invalid JSON: expected a double-quoted field name"));
            }
            let key = self.string(Dest::Key)?;
            self.expect(b':', "':'")?;
            let key: &[u8] = match key {
                Str::Plain(s, e) => &self.bytes[s as usize..e as usize],
                Str::Escaped(..) => self.out.key.as_bytes(),
            };
            // `dotted`: the key was split into several segments to get there (`"a.b": …`).
            let (stepped, dotted) = match node.and_then(|n| self.paths.step_dotted(n, key)) {
                Some((c, dotted)) => (Some(c), dotted),
                None => (None, false),
            };
            let child = match stepped {
                Some(c) => match self.paths.leaf(c) {
                    Some(id) => Target::Leaf(id, c),
                    None => Target::Descend(c),
                },
                None => Target::Skip,
            };
            self.closing = track
                && !dotted
                && stepped.is_some_and(|c| seen | (1 << self.paths.rank(c)) == all)
                && (depth == 1 || outer);
            if matches!(child, Target::Skip) && self.mode != ReadMode::Strict {
                // The common case, without the call through `value`; a string without escapes
                // (most skipped values) inline.
                self.ws();
                let plain = match self.peek() {
                    Some(b'"') => Some(string_run(self.bytes, self.pos + 1, false)),
                    _ => None,
                };
                match plain {
                    Some(end) if self.bytes.get(end) == Some(&b'"') => self.pos = end + 1,
                    _ => self.skip_fast()?,
                }
            } else {
                self.value(child, depth + 1)?;
            }
            if self.stopped {
                return Ok(());
            }
            if track {
                if let Some(c) = stepped.filter(|_| !dotted) {
                    seen |= 1 << self.paths.rank(c);
                    if seen == all {
                        // Every referenced key of this object has been seen. Stop, unless a later
                        // key could repeat one or be a dotted key through one: then read on.
                        // Only a stop that ends the whole read pays for its check: the rest of
                        // an inner object is usually a few members, cheaper read than searched.
                        // A short rest is read on: reading it costs less than searching it.
                        let n = node.unwrap_or(ROOT);
                        if (depth == 1 || outer)
                            && self.bytes.len() - self.pos > STOP_MIN_REST
                            && self.clear(n, self.pos, self.bytes.len(), true)
                        {
                            self.stopped = true;
                            return Ok(());
                        }
                        track = false;
                    }
                }
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error_here("invalid JSON: expected ',' or '}'")),
            }
        }
    }

    fn array(&mut self, target: Target, depth: usize) -> Result<(), Error> {
        self.pos += 1;
        let id = self.arrays;
        self.arrays += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        let tracked = !matches!(target, Target::Skip);
        let mut index = 0u32;
        loop {
            if tracked {
                self.out.stack.push((id, index));
            }
            // Later elements may hold referenced values: completing an element completes nothing.
            self.closing = false;
            let result = self.value(target, depth + 1);
            if tracked {
                self.out.stack.pop();
            }
            result?;
            index += 1;
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error_here("invalid JSON: expected ',' or ']'")),
            }
        }
    }

    /// Skips one value without validating it: strings to their closing quote, containers to their
    /// matching bracket (counted, not recursed, so any depth is safe), scalars to the next delimiter.
    fn skip_fast(&mut self) -> Result<(), Error> {
        match self.peek() {
            Some(b'"') => self.skip_string_fast(),
            Some(b'{' | b'[') => self.skip_container_fast(0),
            Some(_) => {
                while let Some(b) = self.peek() {
                    if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                        break;
                    }
                    self.pos += 1;
                }
                Ok(())
            }
            None => Err(self.error_here("invalid JSON: expected a value")),
        }
    }

    /// From inside an object (after a member), skips to just past its closing brace.
    /// May the read leave `node`'s object at `from`, given what follows up to `to`? True when no
    /// key there can step to a child of `node` (nor, with `ancestors`, to a child of any node above
    /// it): no `"segment"` or `"segment.` of one, and no backslash (a key written with escapes).
    /// Only the stop that ends the whole read is taken; an inner object is read to its end.
    fn clear(&self, node: NodeId, from: usize, to: usize, ancestors: bool) -> bool {
        let hay = &self.bytes[from.min(to)..to];
        if memchr::memchr(b'\\', hay).is_some() {
            return false;
        }
        let mut n = node;
        loop {
            if !self.paths.clear_of(n, hay) {
                return false;
            }
            match self.paths.parent(n) {
                Some(p) if ancestors => n = p,
                _ => return true,
            }
        }
    }

    /// Skips brackets until the nesting count, starting at `depth`, returns to zero.
    fn skip_container_fast(&mut self, depth: usize) -> Result<(), Error> {
        match skip_brackets(self.bytes, self.pos, depth) {
            Ok(end) => {
                self.pos = end;
                Ok(())
            }
            Err(Unclosed::String) => Err(self.error_at(self.pos, 1, "invalid JSON: unterminated string")),
            Err(Unclosed::Container) => Err(self.error_at(self.pos, 1, "invalid JSON: unclosed object or array")),
        }
    }

    fn skip_string_fast(&mut self) -> Result<(), Error> {
        let bytes = self.bytes;
        let start = self.pos;
        let mut i = self.pos + 1;
        loop {
            i = string_run(bytes, i, false);
            if i >= bytes.len() {
                break;
            }
            if bytes[i] == b'"' {
                self.pos = i + 1;
                return Ok(());
            }
            i += 2;
        }
        Err(self.error_at(start, 1, "invalid JSON: unterminated string"))
    }

    fn number(&mut self) -> Result<(), Error> {
        let start = self.pos;
        let b = self.bytes;
        let mut i = self.pos;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        let digits = |mut i: usize| {
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i),
            _ => {
                self.pos = i;
                return Err(self.error_here("invalid JSON number"));
            }
        }
        if b.get(i) == Some(&b'.') {
            let j = digits(i + 1);
            if j == i + 1 {
                self.pos = j;
                return Err(self.error_here("invalid JSON number: expected a digit after '.'"));
            }
            i = j;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            let j = digits(i);
            if j == i {
                self.pos = j;
                return Err(self.error_here("invalid JSON number: expected a digit in the exponent"));
            }
            i = j;
        }
        if b.get(i).is_some_and(u8::is_ascii_digit) {
            self.pos = i;
            return Err(self.error_here("invalid JSON number: leading zeros are not allowed"));
        }
        self.pos = i;
        debug_assert!(i > start);
        Ok(())
    }

    /// Reads a string token. Without escapes it stays in the event (`Str::Plain`, a byte range);
    /// with escapes it is unescaped into `dest` (`Str::Escaped`, a range of that buffer).
    /// Reads the string at `self.pos`. Plain strings (no escapes) take an inlined fast path.
    #[inline]
    fn string(&mut self, dest: Dest) -> Result<Str, Error> {
        let body = self.pos + 1;
        let end = string_run(self.bytes, body, true);
        if self.bytes.get(end) == Some(&b'"') {
            self.pos = end + 1;
            return Ok(Str::Plain(body as u32, end as u32));
        }
        self.string_slow(dest)
    }

    #[inline(never)]
    fn string_slow(&mut self, dest: Dest) -> Result<Str, Error> {
        let start = self.pos;
        self.pos += 1;
        let body = self.pos;
        // Most strings have no escapes: run to the first byte that needs a look.
        self.pos = string_run(self.bytes, body, true);
        loop {
            match self.peek() {
                None => return Err(self.error_at(start, 1, "invalid JSON: unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(Str::Plain(body as u32, self.pos as u32 - 1));
                }
                Some(b'\\') => break,
                Some(c) if c < 0x20 => return Err(self.error_here("invalid JSON: control character in string")),
                Some(_) => self.pos += 1,
            }
        }
        let text = self.text;
        let out_start = match dest {
            Dest::Buf => self.out.buf.len(),
            Dest::Key => {
                self.out.key.clear();
                0
            }
        };
        self.push_str(dest, &text[body..self.pos]);
        loop {
            match self.peek() {
                None => return Err(self.error_at(start, 1, "invalid JSON: unterminated string")),
                Some(b'"') => {
                    self.pos += 1;
                    let end = match dest {
                        Dest::Buf => self.out.buf.len(),
                        Dest::Key => self.out.key.len(),
                    };
                    return Ok(Str::Escaped(out_start as u32, end as u32));
                }
                Some(b'\\') => {
                    let c = self.escape()?;
                    let mut utf8 = [0u8; 4];
                    self.push_str(dest, c.encode_utf8(&mut utf8));
                }
                Some(c) if c < 0x20 => return Err(self.error_here("invalid JSON: control character in string")),
                Some(_) => {
                    let run = self.bytes[self.pos..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .map_or(self.bytes.len(), |n| self.pos + n);
                    self.push_str(dest, &text[self.pos..run]);
                    self.pos = run;
                }
            }
        }
    }

    fn push_str(&mut self, dest: Dest, s: &str) {
        match dest {
            Dest::Buf => self.out.buf.push_str(s),
            Dest::Key => self.out.key.push_str(s),
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        let digits = self.text.get(at..at + 4)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(digits, 16).ok()
    }

    fn escape(&mut self) -> Result<char, Error> {
        let at = self.pos;
        let next = self.bytes.get(at + 1).copied();
        if let Some(c) = next.and_then(simple_escape) {
            self.pos = at + 2;
            return Ok(c);
        }
        if next != Some(b'u') {
            return Err(self.error_at(at, 2, "invalid JSON: bad escape"));
        }
        let Some(high) = self.hex4(at + 2) else {
            return Err(self.error_at(at, 2, "invalid JSON: bad \\u escape"));
        };
        let c = match high {
            0xD800..=0xDBFF => {
                let low = (self.bytes.get(at + 6) == Some(&b'\\') && self.bytes.get(at + 7) == Some(&b'u'))
                    .then(|| self.hex4(at + 8))
                    .flatten();
                match low {
                    Some(low @ 0xDC00..=0xDFFF) => {
                        self.pos = at + 12;
                        return Ok(
                            char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).unwrap_or('\u{fffd}')
                        );
                    }
                    _ => return Err(self.error_at(at, 6, "invalid JSON: lone surrogate in \\u escape")),
                }
            }
            0xDC00..=0xDFFF => return Err(self.error_at(at, 6, "invalid JSON: lone surrogate in \\u escape")),
            c => char::from_u32(c).unwrap_or('\u{fffd}'),
        };
        self.pos = at + 6;
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The byte-by-byte skipper alone, as the reference for the block skipper.
    fn scalar(bytes: &[u8], pos: usize, depth: usize) -> Result<usize, Unclosed> {
        match skip_scalar(bytes, pos, usize::MAX, depth, false)? {
            Scan::Closed(end) => Ok(end),
            Scan::Paused(..) => unreachable!("no limit"),
        }
    }

    #[test]
    fn block_skipper_handles_strings_and_escapes_across_blocks() {
        let cases = [
            format!("[{}]tail", "1,".repeat(100) + "2"),
            format!("[\"{}]\"]x", "a".repeat(70)),
            format!("[\"{}\\\"]\",\"]\"]x", "a".repeat(61)),
            format!("{{\"k\":\"{}\\\\\"}}x", "b".repeat(62)),
            format!("[{}{}]x", "[".repeat(100), "]".repeat(100)),
            format!("[{}", "[1],".repeat(40)),
            format!("[\"{}", "z".repeat(200)),
        ];
        for c in &cases {
            assert_eq!(skip_brackets(c.as_bytes(), 0, 0), scalar(c.as_bytes(), 0, 0), "{c}");
        }
        assert_eq!(skip_brackets(cases[0].as_bytes(), 0, 0), Ok(cases[0].len() - 4));
        assert_eq!(skip_brackets(cases[5].as_bytes(), 0, 0), Err(Unclosed::Container));
        assert_eq!(skip_brackets(cases[6].as_bytes(), 0, 0), Err(Unclosed::String));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The word-at-a-time string scan finds the same first stop byte as a byte loop.
        #[test]
        fn string_run_finds_the_first_stop_byte(
            text in proptest::collection::vec(
                prop_oneof![4 => Just(b'a'), 1 => Just(b'"'), 1 => Just(b'\\'), 1 => any::<u8>()],
                0..40,
            ),
            start in 0usize..40,
            controls: bool,
        ) {
            let stop = |c: u8| c == b'"' || c == b'\\' || (controls && c < 0x20);
            let expected = (start..text.len()).find(|&i| stop(text[i])).unwrap_or(text.len());
            prop_assert_eq!(string_run(&text, start, controls), expected);
        }

        /// Any text over the bytes that matter (and a multi-byte character), from any start depth.
        #[test]
        fn block_skipper_equals_byte_skipper(
            text in proptest::collection::vec(
                prop::sample::select(vec!["\"", "\\", "[", "]", "{", "}", "a", " ", ",", "é", "\\\"", "aaaaaaaaaaaaaaaa"]),
                0..300,
            ),
            depth in 0usize..4,
        ) {
            let text: String = text.concat();
            // Callers start at an opening bracket (depth 0) or inside a container (depth > 0).
            let start = if depth == 0 { text.find(['[', '{']) } else { Some(0) };
            prop_assume!(start.is_some());
            let start = start.unwrap_or_default();
            prop_assert_eq!(skip_brackets(text.as_bytes(), start, depth), scalar(text.as_bytes(), start, depth));
        }
    }
}
