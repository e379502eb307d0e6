//! One pass over event JSON text, yielding the leaf occurrences a pattern can use.
//!
//! Objects are descended only where some referenced path continues; every other value is skipped
//! (still validated: the event must be valid JSON). Arrays are "crushed": their elements sit at the
//! parent's path, and each occurrence carries its *trail* — the (array, element) pairs above it — so
//! that matching can keep fields of one branch inside one array element (array consistency).
//! Strings are borrowed from the input unless they contain escapes. Nesting is limited (an error,
//! never a stack overflow).

use super::trie::{self, NodeId, PathTrie, ROOT};
use crate::error::{Error, ErrorKind, Span};
use crate::lex::{self, skip_brackets, string_run, EscapeError, NumberError, Skim, Unclosed};

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
    #[inline(always)]
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

    /// [`push_here`](Self::push_here) for a number whose value is already known.
    #[inline(always)]
    pub(crate) fn push_number(&mut self, path: u32, raw: Raw, number: f64) {
        let start = self.steps.len() as u32;
        if !self.stack.is_empty() {
            self.steps.extend_from_slice(&self.stack);
        }
        self.leaves.push(Leaf { path, raw, number, trail: (start, self.stack.len() as u32) });
    }

    /// [`push_here`](Self::push_here) for a value that is not a number (no number to parse), inlined
    /// where the reading loops record their leaves.
    #[inline(always)]
    pub(crate) fn push_plain(&mut self, path: u32, raw: Raw) {
        debug_assert!(!matches!(raw, Raw::Number(..) | Raw::BufNumber(..)));
        let start = self.steps.len() as u32;
        if !self.stack.is_empty() {
            self.steps.extend_from_slice(&self.stack);
        }
        self.leaves.push(Leaf { path, raw, number: f64::NAN, trail: (start, self.stack.len() as u32) });
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
    if mode == ReadMode::Strict {
        return read_strict(text, paths, max_depth, out);
    }
    read_by_reader(text, paths, max_depth, mode, out)
}

/// [`read`] in [`ReadMode::Strict`]: [`super::flat`]'s one loop first; the reader for escapes,
/// invalid JSON (its error and position), a leading BOM, or text that is not an object. Out of
/// line, so that the other modes' path stays as it was.
#[inline(never)]
fn read_strict(text: &str, paths: &PathTrie, max_depth: usize, out: &mut Leaves) -> Result<(), Error> {
    let b = text.as_bytes();
    if b.get(lex::skip_ws(b, 0)) == Some(&b'{') {
        out.clear();
        if super::flat::read_flat_here(text, paths, Target::Descend(ROOT), 1, max_depth, out).is_some() {
            return Ok(());
        }
    }
    read_by_reader(text, paths, max_depth, ReadMode::Strict, out)
}

/// [`read`] by the [`Reader`].
#[inline(always)]
pub(crate) fn read_by_reader(
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
    r.start(Target::Descend(ROOT), 1)?;
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
    r.start(Target::Descend(ROOT), 1)?;
    Ok(if r.stopped { None } else { Some(r.pos) })
}

/// The early stop is taken only when more than this many bytes remain: a shorter rest costs less
/// to read (skipped values go 64 bytes at a time) than to search for keys that could matter.
const STOP_MIN_REST: usize = 256;

/// How far [`Reader::may_stop`] skims the rest of the objects around a stop before it searches the
/// whole rest of the event instead: a skim costs about five times a search per byte, and the
/// search covers the rest of the event for each referenced key on the way up.
const STOP_SKIM: usize = 64;

/// Validates `text` as one JSON value of any type (followed only by whitespace), nested at most
/// `max_depth` deep.
pub(crate) fn validate(text: &str, max_depth: usize) -> Result<(), Error> {
    static NO_PATHS: std::sync::OnceLock<PathTrie> = std::sync::OnceLock::new();
    let mut out = Leaves::default();
    let mut r = Reader::new(text, NO_PATHS.get_or_init(PathTrie::default), max_depth, ReadMode::Strict, &mut out);
    r.ws();
    r.start(Target::Skip, 1)?;
    r.ws();
    if r.pos != r.bytes.len() {
        return Err(r.error_here("unexpected trailing characters after the JSON value"));
    }
    Ok(())
}

/// The reading functions' mode parameter ([`ReadMode`] as a constant).
const STRICT: u8 = 0;
const SKIP: u8 = 1;
const EARLY: u8 = 2;

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
#[derive(Clone, Copy, Debug)]
pub(crate) enum Target {
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
        if self.text.starts_with(lex::BOM) {
            self.pos = lex::BOM.len();
        }
    }

    #[inline]
    fn ws(&mut self) {
        self.pos = lex::skip_ws(self.bytes, self.pos);
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

    /// [`value`](Self::value) in the reader's mode: each mode has its own copy of the reading
    /// functions, with the other modes' branches compiled out.
    fn start(&mut self, target: Target, depth: usize) -> Result<(), Error> {
        match self.mode {
            ReadMode::Strict => self.value::<STRICT>(target, depth),
            ReadMode::Skip => self.value::<SKIP>(target, depth),
            ReadMode::EarlyStop => self.value::<EARLY>(target, depth),
        }
    }

    fn value<const M: u8>(&mut self, target: Target, depth: usize) -> Result<(), Error> {
        self.ws();
        if matches!(target, Target::Skip) && M != STRICT {
            return self.skip_fast();
        }
        match self.peek() {
            Some(b'{' | b'[') if depth > self.max_depth => Err(Error::new(
                ErrorKind::EventTooDeep,
                Span::new(self.pos, self.pos + 1),
                format!("event nests deeper than {} levels", self.max_depth),
                self.text,
            )),
            // `Strict` (the other modes skip above): an unreferenced container in one loop.
            Some(b'{' | b'[') if matches!(target, Target::Skip) && self.skip_valid(depth) => Ok(()),
            Some(b'{') => self.object::<M>(target, depth),
            Some(b'[') => self.array::<M>(target, depth),
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

    /// `Strict`, a container no pattern refers to: checked in one loop, and skipped (true) when
    /// valid; an invalid one is left to `value` (false), for its error. (A scalar is checked as
    /// `value` reads it, which costs no more.) Not inlined: the other modes' path through `value`
    /// stays as small as it was.
    #[inline(never)]
    fn skip_valid(&mut self, depth: usize) -> bool {
        match lex::skip_valid(self.bytes, self.pos, (self.max_depth + 1).saturating_sub(depth)) {
            Some(end) => {
                self.pos = end;
                true
            }
            None => false,
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

    fn object<const M: u8>(&mut self, target: Target, depth: usize) -> Result<(), Error> {
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
        let mut track = M == EARLY && (depth == 1 || outer) && (1..=64).contains(&children);
        let all: u64 = if children >= 64 { u64::MAX } else { (1u64 << children) - 1 };
        let mut seen = 0u64;
        // Outside `Strict`, a run of members whose keys cannot step from `node` is skimmed over
        // from its second member on (after a member whose key did not step): a skim costs about
        // two members read one by one, so a single member is read, not skimmed.
        let skim = node.filter(|_| M != STRICT);
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
            // A plain key (no escapes) and a colon right after it, inline.
            let key = match self.plain_string() {
                Some((body, end)) => Str::Plain(body, end),
                None => self.string_slow(Dest::Key)?,
            };
            if self.peek() == Some(b':') {
                self.pos += 1;
            } else {
                self.expect(b':', "':'")?;
            }
            let (key, start): (&[u8], Option<usize>) = match key {
                Str::Plain(s, e) => (&self.bytes[s as usize..e as usize], Some(s as usize)),
                Str::Escaped(..) => (self.out.key.as_bytes(), None),
            };
            // The key's first eight bytes in one load from the text, which goes on past a short key.
            let head = |key: &[u8]| match start.and_then(|s| self.bytes.get(s..s + 8)) {
                Some(w) if key.len() >= 8 => u64::from_le_bytes(w.try_into().expect("8 bytes")),
                Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")) & ((1u64 << (8 * key.len())) - 1),
                None => trie::head(key),
            };
            // `dotted`: the key was split into several segments to get there (`"a.b": …`).
            let (stepped, dotted) = match node {
                Some(n) if self.paths.may_step(n, key) => match self.paths.step_with_head(n, key, head(key)) {
                    Some((c, dotted)) => (Some(c), dotted),
                    None => (None, false),
                },
                _ => (None, false),
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
            if matches!(child, Target::Skip) && M != STRICT {
                // The common case, without the call through `value`; a string without escapes
                // (most skipped values) inline.
                self.ws();
                match self.peek() {
                    Some(b'"') => match string_run(self.bytes, self.pos + 1, false) {
                        end if self.bytes.get(end) == Some(&b'"') => self.pos = end + 1,
                        _ => self.skip_fast()?,
                    },
                    // A number (or junk, skipped the same way: skipped values are not validated).
                    Some(b'-' | b'0'..=b'9') => self.pos = lex::scalar_end(self.bytes, self.pos),
                    _ => self.skip_fast()?,
                }
            } else {
                // A plain string or a number, inline; anything else through `value`.
                self.ws();
                match self.peek() {
                    Some(b'"') => match self.plain_string() {
                        Some((body, end)) => self.record(child, Raw::String(body, end)),
                        None => self.value::<M>(child, depth + 1)?,
                    },
                    Some(b'-' | b'0'..=b'9') => {
                        let start = self.pos as u32;
                        self.number()?;
                        self.record(child, Raw::Number(start, self.pos as u32));
                    }
                    _ => self.value::<M>(child, depth + 1)?,
                }
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
                        if (depth == 1 || outer) && self.bytes.len() - self.pos > STOP_MIN_REST && self.may_stop(n) {
                            self.stopped = true;
                            return Ok(());
                        }
                        track = false;
                    }
                }
            }
            self.ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    if let Some(n) = skim.filter(|_| stepped.is_none()) {
                        self.ws();
                        if self.peek() == Some(b'"')
                            && !self.bytes.get(self.pos + 1).is_some_and(|&b| self.paths.may_open(n, b))
                            && self.skim(n)?
                        {
                            return Ok(());
                        }
                    }
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(self.error_here("invalid JSON: expected ',' or '}'")),
            }
        }
    }

    /// From the opening quote of a key that cannot step from `node`, jumps to the next key that
    /// may (returns false, at its quote) or past the object's end (returns true): a block scan
    /// for the next key with a wanted first byte (one among the children's segments), the next
    /// container (a value: skipped whole) or the object's end. What lies between is not
    /// validated, as skipped values are not.
    #[inline(never)]
    fn skim(&mut self, node: NodeId) -> Result<bool, Error> {
        // A member whose value is a container is skipped as it is: a block scan would stop at
        // the container at once.
        let end = string_run(self.bytes, self.pos + 1, true);
        if self.bytes.get(end) == Some(&b'"') {
            let colon = lex::skip_ws(self.bytes, end + 1);
            if self.bytes.get(colon) == Some(&b':') {
                let value = lex::skip_ws(self.bytes, colon + 1);
                if matches!(self.bytes.get(value), Some(b'{' | b'[')) {
                    self.pos = value;
                    if let Some(done) = self.after_skipped(node)? {
                        return Ok(done);
                    }
                }
            }
        }
        let Some(&wanted) = self.paths.firsts(node) else {
            return Ok(false);
        };
        loop {
            match lex::skim(self.bytes, self.pos, &wanted) {
                Skim::Key(at) => {
                    self.pos = at;
                    return Ok(false);
                }
                Skim::Open(at) => {
                    self.pos = at;
                    if let Some(done) = self.after_skipped(node)? {
                        return Ok(done);
                    }
                }
                Skim::Close(at) => {
                    self.pos = at;
                    if self.bytes[at] != b'}' {
                        return Err(self.error_here("invalid JSON: expected ',' or '}'"));
                    }
                    self.pos += 1;
                    return Ok(true);
                }
                Skim::End => {
                    self.pos = self.bytes.len();
                    return Err(self.error_here("invalid JSON: expected ',' or '}'"));
                }
            }
        }
    }

    /// Skips the container value at `self.pos`, then looks at what follows: the object's end
    /// (`Some(true)`), a key that may step from `node` (`Some(false)`, at its quote), or another
    /// key that cannot (`None`: skim on from its quote).
    fn after_skipped(&mut self, node: NodeId) -> Result<Option<bool>, Error> {
        self.skip_container_fast(0)?;
        self.ws();
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.ws();
                if self.peek() != Some(b'"') {
                    return Err(self.error_here("invalid JSON: expected a double-quoted field name"));
                }
                Ok(self.bytes.get(self.pos + 1).is_some_and(|&b| self.paths.may_open(node, b)).then_some(false))
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(Some(true))
            }
            _ => Err(self.error_here("invalid JSON: expected ',' or '}'")),
        }
    }

    fn array<const M: u8>(&mut self, target: Target, depth: usize) -> Result<(), Error> {
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
            let result = self.value::<M>(target, depth + 1);
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
                self.pos = lex::scalar_end(self.bytes, self.pos);
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
        if ancestors {
            return self.paths.clear_up(node, hay);
        }
        memchr::memchr(b'\\', hay).is_none() && self.paths.clear_of(node, hay)
    }

    /// May the read stop here, inside `node`'s object, with every key it refers to seen? Not when
    /// a later key could repeat a referenced one or be a dotted key through one, in this object or
    /// any around it. The rest of each object from the innermost out is skimmed while it is short
    /// and flat (it ends within [`STOP_SKIM`] bytes, with no container before its end): a key
    /// there with the first byte of a referenced segment is looked up, and one that steps forbids
    /// the stop. That clears a level, usually a few members, in a block scan or two. From the first
    /// level that is not short and flat, the whole rest of the event is searched for the keys of
    /// that level and those around it ([`clear`](Self::clear)).
    fn may_stop(&self, node: NodeId) -> bool {
        let b = self.bytes;
        let mut n = node;
        let mut from = self.pos;
        let mut budget = STOP_SKIM;
        loop {
            // A skim costs about as much as one search: a level with a single child is searched.
            let Some(wanted) = self.paths.firsts(n).filter(|_| self.paths.needle_count(n) > 1) else {
                return self.clear(n, from, b.len(), true);
            };
            match lex::skim_within(b, from, budget, wanted) {
                Skim::Close(at) if b[at] == b'}' => match self.paths.parent(n) {
                    Some(p) => {
                        budget = budget.saturating_sub(at + 1 - from);
                        n = p;
                        from = at + 1;
                    }
                    None => return true,
                },
                Skim::Key(at) => {
                    // A key whose first byte is a referenced segment's: does it step?
                    let end = string_run(b, at + 1, true);
                    if b.get(end) != Some(&b'"') {
                        return self.clear(n, at, b.len(), true);
                    }
                    if self.paths.step_dotted(n, &b[at + 1..end]).is_some() {
                        return false;
                    }
                    // It does not: skip its value (a string or a scalar; a container ends the skim).
                    let colon = lex::skip_ws(b, end + 1);
                    let value = lex::skip_ws(b, colon + 1);
                    let next = match b.get(value) {
                        Some(b'"') => lex::skip_string(b, value),
                        Some(b'{' | b'[') | None => None,
                        Some(_) => Some(lex::scalar_end(b, value)),
                    };
                    match next {
                        Some(next) => {
                            budget = budget.saturating_sub(next - from);
                            from = next;
                        }
                        None => return self.clear(n, at, b.len(), true),
                    }
                }
                _ => return self.clear(n, from, b.len(), true),
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
        match lex::skip_string(self.bytes, self.pos) {
            Some(end) => {
                self.pos = end;
                Ok(())
            }
            None => Err(self.error_at(self.pos, 1, "invalid JSON: unterminated string")),
        }
    }

    fn number(&mut self) -> Result<(), Error> {
        match lex::number(self.bytes, self.pos) {
            Ok(end) => {
                self.pos = end;
                Ok(())
            }
            Err((at, why)) => {
                self.pos = at;
                Err(self.error_here(match why {
                    NumberError::Digit => "invalid JSON number",
                    NumberError::FractionDigit => "invalid JSON number: expected a digit after '.'",
                    NumberError::ExponentDigit => "invalid JSON number: expected a digit in the exponent",
                    NumberError::LeadingZero => "invalid JSON number: leading zeros are not allowed",
                }))
            }
        }
    }

    /// Reads a string token. Without escapes it stays in the event (`Str::Plain`, a byte range);
    /// with escapes it is unescaped into `dest` (`Str::Escaped`, a range of that buffer).
    /// Reads the string at `self.pos`. Plain strings (no escapes) take an inlined fast path.
    #[inline]
    fn string(&mut self, dest: Dest) -> Result<Str, Error> {
        match self.plain_string() {
            Some((body, end)) => Ok(Str::Plain(body, end)),
            None => self.string_slow(dest),
        }
    }

    /// The string at `self.pos` when it has no escape (its closing quote is the first stop byte):
    /// its body's range, with `self.pos` moved past it. `None` leaves `self.pos` alone, for
    /// [`string_slow`](Self::string_slow). Inlined where every key and value passes.
    #[inline(always)]
    fn plain_string(&mut self) -> Option<(u32, u32)> {
        let body = self.pos + 1;
        let end = string_run(self.bytes, body, true);
        if self.bytes.get(end) != Some(&b'"') {
            return None;
        }
        self.pos = end + 1;
        Some((body as u32, end as u32))
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
                    let run = string_run(self.bytes, self.pos, true);
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

    fn escape(&mut self) -> Result<char, Error> {
        let at = self.pos;
        match lex::escape(self.bytes, at) {
            Ok((c, len)) => {
                self.pos = at + len;
                Ok(c)
            }
            Err(EscapeError::End | EscapeError::Invalid) => Err(self.error_at(at, 2, "invalid JSON: bad escape")),
            Err(EscapeError::Hex { .. }) => Err(self.error_at(at, 2, "invalid JSON: bad \\u escape")),
            Err(EscapeError::HighAlone | EscapeError::LowAlone) => {
                Err(self.error_at(at, 6, "invalid JSON: lone surrogate in \\u escape"))
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Entry point for the Lambda layer's typed Kinesis path (`crate::lambda::kinesis`).

/// Reads `text` as one JSON value (whitespace around it allowed) that sits in an event at trie node
/// `node` (`None`: no referenced path goes there) and at nesting `depth` (the top-level object is
/// 1, its members' values 2), validating all of it as [`validate`] does ([`ReadMode::Strict`]), and
/// appends its leaf occurrences to `out`, which is *not* cleared: the caller may already have put
/// leaves there. The leaves are those the reader records for the same value inside an event read
/// with [`read`]. Containers nested deeper than `max_depth` are an
/// [`ErrorKind::EventTooDeep`] error. `frames` is working memory (see [`super::flat::read_flat`]).
pub(crate) fn read_value_into(
    text: &str,
    paths: &PathTrie,
    node: Option<NodeId>,
    depth: usize,
    max_depth: usize,
    out: &mut Leaves,
    frames: &mut Vec<super::flat::Frame>,
) -> Result<(), Error> {
    out.stack.clear();
    let target = match node {
        Some(n) => match paths.leaf(n) {
            Some(id) => Target::Leaf(id, n),
            None => Target::Descend(n),
        },
        None => Target::Skip,
    };
    let (leaves, steps) = (out.leaves.len(), out.steps.len());
    if super::flat::read_flat(text, paths, target, depth, max_depth, out, frames).is_some() {
        return Ok(());
    }
    // Escapes, invalid JSON or too deep: the reader reads it again, for the error and its position.
    out.leaves.truncate(leaves);
    out.steps.truncate(steps);
    read_value_slow(text, paths, target, depth, max_depth, out)
}

/// [`read_value_into`] by the [`Reader`].
pub(crate) fn read_value_slow(
    text: &str,
    paths: &PathTrie,
    target: Target,
    depth: usize,
    max_depth: usize,
    out: &mut Leaves,
) -> Result<(), Error> {
    out.stack.clear();
    let mut r = Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        paths,
        max_depth,
        mode: ReadMode::Strict,
        stopped: false,
        closing: false,
        arrays: 0,
        out,
    };
    r.ws();
    r.start(target, depth)?;
    r.ws();
    if r.pos != r.bytes.len() {
        return Err(r.error_here("unexpected trailing characters after the JSON value"));
    }
    Ok(())
}
