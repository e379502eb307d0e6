//! The spanned pattern AST: what the pattern says, operator by operator, with the byte span of each
//! part in the pattern text. Produced by [`super::pattern`], consumed by the compiler and by lints.

use crate::compile::cidr::Cidr;
use crate::compile::number::{NumberLit, Range};
use crate::compile::wildcard::Wildcard;
use crate::error::Span;

/// A pattern object: fields and `$or`s, in document order (duplicates kept; the compiler applies
/// "last wins per leaf path").
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// Members in document order.
    pub members: Vec<Member>,
    /// The object's span, braces included.
    pub span: Span,
}

/// One member of a pattern object.
#[derive(Clone, Debug, PartialEq)]
pub enum Member {
    /// `"key": {...}` or `"key": [...]`.
    Field {
        /// The key, unescaped (it may contain dots).
        key: String,
        /// The key's span, quotes included.
        key_span: Span,
        /// What the key holds.
        value: FieldValue,
    },
    /// `"$or": [{...}, {...}, ...]`.
    Or {
        /// The span of the `"$or"` key.
        key_span: Span,
        /// At least two objects.
        branches: Vec<Object>,
    },
}

/// What a field holds.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    /// A nested object: descends one level.
    Object(Object),
    /// A leaf array: the conditions, OR'ed.
    Leaf {
        /// At least one condition.
        conditions: Vec<Condition>,
        /// The array's span, brackets included.
        span: Span,
    },
}

/// One element of a leaf array, with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    /// What is tested.
    pub test: Test,
    /// The element's span.
    pub span: Span,
    /// Span of the operator key (`"prefix"`), for operator elements.
    pub operator_span: Option<Span>,
    /// Span of the operator's argument, for operator elements.
    pub argument_span: Option<Span>,
}

/// A value test.
#[derive(Clone, Debug, PartialEq)]
pub enum Test {
    /// `"text"`.
    String(String),
    /// `300`.
    Number(NumberLit),
    /// `true` / `false`.
    Bool(bool),
    /// `null`.
    Null,
    /// `{"prefix": "p"}` or `{"prefix": {"equals-ignore-case": "p"}}`.
    Prefix {
        /// The prefix.
        value: String,
        /// The `equals-ignore-case` form.
        ignore_case: bool,
    },
    /// `{"suffix": "s"}` or `{"suffix": {"equals-ignore-case": "s"}}`.
    Suffix {
        /// The suffix.
        value: String,
        /// The `equals-ignore-case` form.
        ignore_case: bool,
    },
    /// `{"equals-ignore-case": "s"}`.
    EqualsIgnoreCase(String),
    /// `{"wildcard": "w"}`, with the value as written (escapes kept) for complexity checks.
    Wildcard {
        /// The value as written (escapes kept).
        source: String,
        /// The parsed wildcard.
        wildcard: Wildcard,
    },
    /// `{"numeric": [...]}`.
    Numeric(Range),
    /// `{"cidr": "a/b"}`.
    Cidr {
        /// The value as written.
        source: String,
        /// The parsed range.
        cidr: Cidr,
    },
    /// `{"exists": true|false}`.
    Exists(bool),
    /// `{"anything-but": ...}`.
    AnythingBut(AnythingBut),
}

/// The forms of `anything-but`.
#[derive(Clone, Debug, PartialEq)]
pub enum AnythingBut {
    /// Not equal to any of these strings.
    Strings(Vec<String>),
    /// Not numerically equal to any of these numbers.
    Numbers(Vec<NumberLit>),
    /// Does not start with any of these.
    Prefixes(Vec<String>),
    /// Does not end with any of these.
    Suffixes(Vec<String>),
    /// Not equal, ignoring case, to any of these.
    EqualsIgnoreCase(Vec<String>),
    /// Matches none of these wildcards (sources kept for complexity checks).
    Wildcards(Vec<(String, Wildcard)>),
}
