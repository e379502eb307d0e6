//! [`Pattern`]: one compiled pattern, matched against many events.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use super::eval::{branch_matches, ByPath, Scratch};
use crate::compile::ir::{self, Compiled};
use crate::error::Error;
use crate::event::reader::{self, Leaves, ReadMode};
use crate::event::trie::PathTrie;
use crate::event::{value, DEFAULT_MAX_EVENT_DEPTH};
use crate::syntax::ast::Object;
use crate::syntax::dialect::{Config, Dialect};
use crate::syntax::pattern;

/// A compiled event pattern.
///
/// Compile once, match many times; a `Pattern` is immutable and `Send + Sync`.
///
/// ```
/// use eventsift::Pattern;
///
/// let p = Pattern::new(r#"{"source": ["aws.ec2"], "detail": {"state": [{"prefix": "run"}]}}"#)?;
/// assert!(p.matches(r#"{"source": "aws.ec2", "detail": {"state": "running"}}"#)?);
/// assert!(!p.matches(r#"{"source": "aws.ec2", "detail": {"state": "stopped"}}"#)?);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone)]
pub struct Pattern {
    inner: Arc<Inner>,
}

struct Inner {
    source: Box<str>,
    ast: Object,
    compiled: Compiled,
    trie: PathTrie,
    config: Config,
    max_event_depth: usize,
    read_mode: ReadMode,
}

/// Working memory of [`Pattern::matches`], one per thread, so that steady-state matching allocates
/// nothing. (Taken out of the cell for the duration of a match, so re-entrant use just allocates.)
#[derive(Default)]
struct PatternScratch {
    leaves: Leaves,
    by_path: ByPath,
    eval: Scratch,
}

thread_local! {
    static SCRATCH: std::cell::Cell<PatternScratch> = std::cell::Cell::new(PatternScratch::default());
}

/// Options for compiling a [`Pattern`].
///
/// ```
/// use eventsift::{Dialect, ErrorKind, Pattern};
///
/// let err = Pattern::builder().dialect(Dialect::LambdaEsm).build(r#"{"file": [{"wildcard": "*.png"}]}"#).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::OperatorNotInDialect);
/// assert_eq!(err.reason(), "wildcard is not supported in the LambdaEsm dialect");
/// ```
#[derive(Clone, Debug, Default)]
pub struct PatternBuilder {
    config: Config,
    max_event_depth: Option<usize>,
    read_mode: ReadMode,
}

impl PatternBuilder {
    /// The service dialect (default [`Dialect::EventBridge`]).
    pub fn dialect(mut self, dialect: Dialect) -> Self {
        self.config.dialect = dialect;
        self
    }

    /// Accept operators that the dialect does not list (default `false`).
    pub fn allow_unlisted_operators(mut self, yes: bool) -> Self {
        self.config.allow_unlisted_operators = yes;
        self
    }

    /// Maximum pattern length in characters (default: the dialect's, 2,048 for EventBridge and
    /// 4,096 for Pipes and Lambda).
    pub fn max_length(mut self, chars: usize) -> Self {
        self.config.max_length = Some(chars);
        self
    }

    /// Maximum nesting of objects and arrays in the pattern (default 64).
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.config.max_depth = depth;
        self
    }

    /// Maximum number of combinations `$or` may expand to (default 1,000, as AWS).
    pub fn max_or_branches(mut self, branches: usize) -> Self {
        self.config.max_or_branches = branches;
        self
    }

    /// Maximum wildcard complexity of one field in one branch, measured as event-ruler measures it
    /// (default 10).
    pub fn max_wildcard_complexity(mut self, complexity: usize) -> Self {
        self.config.max_wildcard_complexity = complexity;
        self
    }

    /// Reject a leaf path given twice instead of letting the last one win (default `false`, as AWS).
    pub fn reject_duplicate_paths(mut self, yes: bool) -> Self {
        self.config.reject_duplicate_paths = yes;
        self
    }

    /// Maximum nesting of matched events (default 128); deeper events are an error.
    pub fn max_event_depth(mut self, depth: usize) -> Self {
        self.max_event_depth = Some(depth);
        self
    }

    /// How much of each event to read (default [`ReadMode::Strict`]: every event is validated).
    pub fn read_mode(mut self, mode: ReadMode) -> Self {
        self.read_mode = mode;
        self
    }

    /// Parses, validates and compiles `text` into branches only (what a machine keeps).
    pub(crate) fn compile(&self, text: &str) -> Result<Compiled, Error> {
        let ast = pattern::parse(text, &self.config)?;
        ir::compile(&ast, text, &self.config)
    }

    /// Parses, validates and compiles `text`.
    pub fn build(&self, text: &str) -> Result<Pattern, Error> {
        let ast = pattern::parse(text, &self.config)?;
        let compiled = ir::compile(&ast, text, &self.config)?;
        let trie = PathTrie::new(compiled.paths.iter().map(|p| &**p));
        Ok(Pattern {
            inner: Arc::new(Inner {
                source: text.into(),
                ast,
                compiled,
                trie,
                config: self.config.clone(),
                max_event_depth: self.max_event_depth.unwrap_or(DEFAULT_MAX_EVENT_DEPTH),
                read_mode: self.read_mode,
            }),
        })
    }
}

impl Pattern {
    /// Compiles an EventBridge pattern with default options.
    pub fn new(text: &str) -> Result<Pattern, Error> {
        PatternBuilder::default().build(text)
    }

    /// Options for compiling.
    pub fn builder() -> PatternBuilder {
        PatternBuilder::default()
    }

    /// Does the event (JSON text of an object) match? Invalid JSON is an error.
    pub fn matches(&self, event: &str) -> Result<bool, Error> {
        SCRATCH.with(|cell| {
            let mut scratch = cell.take();
            let result = reader::read(
                event,
                &self.inner.trie,
                self.inner.max_event_depth,
                self.inner.read_mode,
                &mut scratch.leaves,
            )
            .map(|()| self.evaluate(event, &mut scratch));
            cell.set(scratch);
            result
        })
    }

    /// Like [`matches`](Self::matches), for bytes that should hold UTF-8 JSON.
    pub fn matches_bytes(&self, event: &[u8]) -> Result<bool, Error> {
        match std::str::from_utf8(event) {
            Ok(text) => self.matches(text),
            Err(e) => {
                let at = e.valid_up_to();
                let shown = String::from_utf8_lossy(event);
                Err(Error::new(
                    crate::ErrorKind::InvalidEvent,
                    crate::Span::new(at, at + 1),
                    format!("event is not valid UTF-8 (at byte {at})"),
                    &shown,
                ))
            }
        }
    }

    /// Does an already-parsed event match? An event that is not an object, or nests too deeply,
    /// does not match.
    pub fn matches_value(&self, event: &serde_json::Value) -> bool {
        SCRATCH.with(|cell| {
            let mut scratch = cell.take();
            let ok = value::read(event, &self.inner.trie, self.inner.max_event_depth, &mut scratch.leaves).is_ok()
                && self.evaluate("", &mut scratch);
            cell.set(scratch);
            ok
        })
    }

    fn evaluate(&self, event: &str, scratch: &mut PatternScratch) -> bool {
        let PatternScratch { leaves, by_path, eval } = scratch;
        by_path.build(leaves, self.inner.compiled.paths.len());
        self.inner.compiled.branches.iter().any(|b| branch_matches(&b.fields, event, leaves, by_path, eval))
    }

    /// The pattern text it was compiled from.
    pub fn source(&self) -> &str {
        &self.inner.source
    }

    /// The dialect it was validated against.
    pub fn dialect(&self) -> Dialect {
        self.inner.config.dialect
    }

    /// The validated, spanned syntax tree.
    pub fn ast(&self) -> &Object {
        &self.inner.ast
    }

    /// Every flattened leaf path the pattern names (`"detail.state"`), in first-seen order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.inner.compiled.paths.iter().map(|p| &**p)
    }

    /// Number of branches after expanding `$or`.
    pub fn branch_count(&self) -> usize {
        self.inner.compiled.branches.len()
    }

    pub(crate) fn config(&self) -> &Config {
        &self.inner.config
    }

    pub(crate) fn compiled(&self) -> &Compiled {
        &self.inner.compiled
    }

    pub(crate) fn max_event_depth(&self) -> usize {
        self.inner.max_event_depth
    }
}

impl FromStr for Pattern {
    type Err = Error;

    fn from_str(s: &str) -> Result<Pattern, Error> {
        Pattern::new(s)
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pattern")
            .field("source", &self.inner.source)
            .field("dialect", &self.inner.config.dialect)
            .field("branches", &self.inner.compiled.branches.len())
            .finish()
    }
}
