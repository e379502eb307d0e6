//! The one error type of the crate: what went wrong ([`ErrorKind`]), where (byte [`Span`], line,
//! column) and why (a reason text that matches EventBridge's wording where EventBridge has one).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A half-open byte range `[start, end)` into the text that was parsed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte of the offending token.
    pub start: usize,
    /// One past its last byte (equal to `start` at the end of input).
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// The span as a `Range`, for slicing the source text.
    pub fn range(self) -> Range<usize> {
        self.start..self.end
    }
}

/// What kind of problem an [`Error`] reports.
///
/// New kinds may be added in minor releases, so match with a wildcard arm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The pattern text is not valid JSON (the reason is the JSON problem).
    Json,
    /// The pattern is not a JSON object: `Filter is not an object`.
    NotAnObject,
    /// `{}` somewhere in the pattern: `Empty objects are not allowed`.
    EmptyObject,
    /// A leaf array `[]`: `Empty arrays are not allowed`.
    EmptyArray,
    /// A field whose value is neither an object nor an array: `"<key>" must be an object or an array`.
    InvalidFieldValue,
    /// A leaf array element that is an array: `Match value must be String, number, true, false, or null`.
    InvalidMatchValue,
    /// An operator object with no key: `Match expression name not found`.
    MissingOperator,
    /// An operator object with more than one key: `Only one key allowed in match expression`.
    MultipleOperators,
    /// An operator name that does not exist: `Unrecognized match type <name>`.
    UnknownOperator,
    /// A bad `prefix` argument.
    InvalidPrefix,
    /// A bad `suffix` argument.
    InvalidSuffix,
    /// A bad `equals-ignore-case` argument.
    InvalidEqualsIgnoreCase,
    /// A bad `anything-but` argument (any of its forms).
    InvalidAnythingBut,
    /// A bad `numeric` expression.
    InvalidNumeric,
    /// A bad `exists` argument.
    InvalidExists,
    /// A bad `cidr` argument.
    InvalidCidr,
    /// A bad `wildcard` argument (`**`, a bad escape, not a string).
    InvalidWildcard,
    /// The wildcards of one rule branch are too complex to match in bounded time.
    WildcardTooComplex,
    /// A malformed `$or`.
    InvalidOr,
    /// An operator name used as a field name inside `$or`.
    ReservedFieldName,
    /// The same leaf path given twice while duplicate paths are disallowed.
    DuplicatePath,
    /// An operator that the selected dialect does not support.
    OperatorNotInDialect,
    /// Pattern nesting deeper than the configured limit.
    NestingTooDeep,
    /// `$or` expands to more branch combinations than the configured limit.
    TooManyOrBranches,
    /// The pattern text is longer than the dialect allows.
    PatternTooLong,
    /// An event is not valid JSON, or not a JSON object.
    InvalidEvent,
    /// An event nests deeper than the configured limit.
    EventTooDeep,
    /// A FilterCriteria document that is not `{"Filters": [{"Pattern": "..."}, ...]}`.
    InvalidCriteria,
    /// A FilterCriteria `Pattern` that is not a JSON string (an object, say); the reason shows the fix.
    PatternNotString,
    /// More filters in a FilterCriteria than allowed (5 by default, at most 10).
    TooManyFilters,
    /// A plain-string condition on a data property that is always JSON (Kinesis `data`, DynamoDB
    /// `dynamodb`), which Lambda rejects when the mapping is created.
    PlainDataPattern,
    /// A Lambda record that is not a JSON object, or whose data property is malformed.
    InvalidRecord,
    /// A Lambda invocation event (a batch) that is not valid, or holds no list of records.
    InvalidBatch,
}

impl ErrorKind {
    /// The kind's name as used in conformance files and diagnostics (e.g. `"EmptyArray"`).
    pub fn name(self) -> &'static str {
        use ErrorKind::*;
        match self {
            Json => "Json",
            NotAnObject => "NotAnObject",
            EmptyObject => "EmptyObject",
            EmptyArray => "EmptyArray",
            InvalidFieldValue => "InvalidFieldValue",
            InvalidMatchValue => "InvalidMatchValue",
            MissingOperator => "MissingOperator",
            MultipleOperators => "MultipleOperators",
            UnknownOperator => "UnknownOperator",
            InvalidPrefix => "InvalidPrefix",
            InvalidSuffix => "InvalidSuffix",
            InvalidEqualsIgnoreCase => "InvalidEqualsIgnoreCase",
            InvalidAnythingBut => "InvalidAnythingBut",
            InvalidNumeric => "InvalidNumeric",
            InvalidExists => "InvalidExists",
            InvalidCidr => "InvalidCidr",
            InvalidWildcard => "InvalidWildcard",
            WildcardTooComplex => "WildcardTooComplex",
            InvalidOr => "InvalidOr",
            ReservedFieldName => "ReservedFieldName",
            DuplicatePath => "DuplicatePath",
            OperatorNotInDialect => "OperatorNotInDialect",
            NestingTooDeep => "NestingTooDeep",
            TooManyOrBranches => "TooManyOrBranches",
            PatternTooLong => "PatternTooLong",
            InvalidEvent => "InvalidEvent",
            EventTooDeep => "EventTooDeep",
            InvalidCriteria => "InvalidCriteria",
            PatternNotString => "PatternNotString",
            TooManyFilters => "TooManyFilters",
            PlainDataPattern => "PlainDataPattern",
            InvalidRecord => "InvalidRecord",
            InvalidBatch => "InvalidBatch",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An invalid pattern or event: kind, position and reason.
///
/// `Display` prints one line, `line:column: reason`. The alternate form (`{:#}`) adds the source
/// line with carets under the offending token:
///
/// ```
/// let err = eventsift::Pattern::new(r#"{"source": []}"#).unwrap_err();
/// assert_eq!(err.kind(), eventsift::ErrorKind::EmptyArray);
/// assert_eq!((err.line(), err.column()), (1, 12));
/// assert_eq!(err.reason(), "Empty arrays are not allowed");
/// assert_eq!(format!("{:#}", err), "\
/// 1:12: Empty arrays are not allowed
///   |
/// 1 | {\"source\": []}
///   |            ^^");
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    span: Span,
    reason: String,
    line: usize,
    column: usize,
    /// The text the span points into, kept for caret rendering.
    source: Option<Arc<str>>,
    /// The rule the error belongs to, when it came from a machine.
    rule: Option<Arc<str>>,
    /// The filter (of a FilterCriteria) the error belongs to.
    filter: Option<usize>,
}

impl Error {
    /// A new error; line and column are computed from `source`.
    pub(crate) fn new(kind: ErrorKind, span: Span, reason: impl Into<String>, source: &str) -> Error {
        let span = on_char_boundaries(source, span);
        let (line, column) = line_column(source, span.start);
        Error {
            inner: Box::new(Inner {
                kind,
                span,
                reason: reason.into(),
                line,
                column,
                source: Some(Arc::from(source)),
                rule: None,
                filter: None,
            }),
        }
    }

    /// The rule (of a [`Machine`](crate::Machine)) whose pattern is invalid.
    pub fn rule_id(&self) -> Option<&str> {
        self.inner.rule.as_deref()
    }

    pub(crate) fn with_rule(mut self, rule: &str) -> Error {
        self.inner.rule = Some(rule.into());
        self
    }

    /// The 0-based index of the FilterCriteria filter whose pattern is invalid.
    pub fn filter_index(&self) -> Option<usize> {
        self.inner.filter
    }

    pub(crate) fn with_filter(mut self, index: usize) -> Error {
        self.inner.filter = Some(index);
        self
    }

    /// Moves an error found in a string's decoded text to the document that holds the string:
    /// `token` is the span of the string token (quotes included) in `document`; the span is mapped
    /// through the token's escapes, and line and column are recomputed in `document`.
    pub(crate) fn relocate(self, document: &str, token: Span) -> Error {
        self.remap(document, |offset| crate::syntax::json::raw_offset(document, token, offset))
    }

    /// Moves an error to `document`, mapping its span's offsets with `map`.
    pub(crate) fn remap(mut self, document: &str, map: impl Fn(usize) -> usize) -> Error {
        let span = on_char_boundaries(document, Span::new(map(self.inner.span.start), map(self.inner.span.end)));
        let (line, column) = line_column(document, span.start);
        let inner = &mut *self.inner;
        inner.span = span;
        inner.line = line;
        inner.column = column;
        inner.source = Some(Arc::from(document));
        self
    }

    /// What kind of problem this is.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Byte range of the offending token in the parsed text.
    pub fn span(&self) -> Span {
        self.inner.span
    }

    /// 1-based line of the span's start.
    pub fn line(&self) -> usize {
        self.inner.line
    }

    /// 1-based column (in characters) of the span's start.
    pub fn column(&self) -> usize {
        self.inner.column
    }

    /// The reason, worded as EventBridge words it where it has a wording
    /// (e.g. `Empty arrays are not allowed`).
    pub fn reason(&self) -> &str {
        &self.inner.reason
    }
}

/// 1-based line and character column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    (line, column)
}

/// `span` widened to whole characters of `text` (and clamped to it), so that `&text[span.range()]`
/// never panics: a span computed with a byte length may otherwise end inside a character.
fn on_char_boundaries(text: &str, span: Span) -> Span {
    let start = floor_char_boundary(text, span.start.min(text.len()));
    let mut end = span.end.clamp(start, text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    Span::new(start, end)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("span", &self.inner.span)
            .field("line", &self.inner.line)
            .field("column", &self.inner.column)
            .field("reason", &self.inner.reason)
            .field("rule", &self.inner.rule)
            .field("filter", &self.inner.filter)
            .finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: ", self.inner.line, self.inner.column)?;
        if let Some(rule) = &self.inner.rule {
            write!(f, "rule {rule:?}: ")?;
        }
        if let Some(filter) = self.inner.filter {
            write!(f, "filter {filter}: ")?;
        }
        f.write_str(&self.inner.reason)?;
        if f.alternate() {
            if let Some(source) = &self.inner.source {
                render_carets(f, source, self.inner.span, self.inner.line)?;
            }
        }
        Ok(())
    }
}

/// Writes the source line of `span.start` with carets under the span (clipped to that line).
fn render_carets(f: &mut fmt::Formatter<'_>, source: &str, span: Span, line: usize) -> fmt::Result {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..].find('\n').map_or(source.len(), |i| start + i);
    let text = source[line_start..line_end].trim_end_matches('\r');
    let end = floor_char_boundary(source, span.end.clamp(start, (line_start + text.len()).max(start)));
    let pad = source[line_start..start].chars().count();
    let width = source[start..end].chars().count().max(1);
    let gutter = " ".repeat(line.to_string().len());
    write!(f, "\n{gutter} |\n{line} | {text}\n{gutter} | {}{}", " ".repeat(pad), "^".repeat(width))
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_are_widened_to_whole_characters() {
        let text = "{\"a\": \"\\é\"}";
        let e = Error::new(ErrorKind::Json, Span::new(8, 9), "bad escape", text);
        assert_eq!(e.span(), Span::new(8, 10));
        assert_eq!(&text[e.span().range()], "é");
        let e = Error::new(ErrorKind::Json, Span::new(9, 9), "inside", text);
        assert_eq!(e.span(), Span::new(8, 10));
        let e = Error::new(ErrorKind::Json, Span::new(40, 50), "past the end", text);
        assert_eq!(e.span(), Span::new(text.len(), text.len()));
    }
}
