//! Typed pattern builders: write event patterns and Lambda filters in Rust instead of JSON text.
//!
//! A builder collects fields and conditions, renders them as compact pattern JSON
//! ([`to_json`](PatternDraft::to_json)) and compiles that text with the ordinary parser
//! ([`build`](PatternDraft::build)), so a built pattern is exactly what `Pattern::builder().build(text)`
//! gives for the same text, and every error carries the usual kind, reason and position (in the
//! rendered text).
//!
//! ```
//! use eventsift::lambda::typed::dynamodb;
//!
//! let filter = dynamodb()
//!     .event_name(["INSERT", "MODIFY"])
//!     .new_image("status").s().equals("completed");
//! assert_eq!(
//!     filter.to_json(),
//!     r#"{"eventName":["INSERT","MODIFY"],"dynamodb":{"NewImage":{"status":{"S":["completed"]}}}}"#
//! );
//!
//! let pattern = filter.build()?; // Dialect::LambdaEsm
//! assert!(pattern.matches(r#"{"eventName":"MODIFY","dynamodb":{"NewImage":{"status":{"S":"completed"}}}}"#)?);
//! assert!(!pattern.matches(r#"{"eventName":"REMOVE","dynamodb":{"OldImage":{"status":{"S":"completed"}}}}"#)?);
//! # Ok::<(), eventsift::Error>(())
//! ```
//!
//! # Entry points
//!
//! | function | builder | [`build`](PatternDraft::build) dialect |
//! | --- | --- | --- |
//! | [`pattern()`] | [`PatternDraft`]: any pattern | [`Dialect::EventBridge`] |
//! | [`dynamodb()`] | [`DynamoDbFilter`]: DynamoDB Streams records | [`Dialect::LambdaEsm`] |
//! | [`sqs()`], [`kinesis()`], [`kafka()`], [`mq()`] | [`PayloadFilter`]: the source's data property | [`Dialect::LambdaEsm`] |
//!
//! Every builder also has `build_with(options)`, which compiles with a [`PatternBuilder`] of your
//! choice (another dialect, `allow_unlisted_operators`, limits).
//!
//! # The model
//!
//! - A builder method returns the builder by value, so calls chain. `field(path)` (and the
//!   flavoured `body(path)`, `new_image(attr)`, …) returns a cursor on one field; a condition
//!   method on the cursor (`equals`, `prefix`, `numeric`, …) adds the condition and hands the
//!   builder back.
//! - Conditions on one field are OR'ed: they share one leaf array, in the order they were added.
//!   Different fields are AND'ed. [`PatternDraft::or`] adds an `$or` (OR across fields).
//! - A path is dot-joined, as AWS treats it (SPEC §1.3): `field("detail.state")`,
//!   `field(["detail", "state"])` and `field(["detail.state"])` are the same field and render as
//!   nested objects `{"detail":{"state":[…]}}`. So a second condition always joins the first one
//!   instead of silently replacing it (AWS keeps only the last leaf array of a path).
//! - Rendering is deterministic: keys in insertion order, no whitespace, strings escaped (quotes,
//!   backslashes and every control character), numbers as spelled by [`Number`].
//! - Nothing is validated while building; [`build`](PatternDraft::build) runs the real parser, so
//!   an empty `any_of([])`, a one-branch `$or`, a bad CIDR or an operator outside the dialect is
//!   reported there with AWS's reason. The one check of its own: a [`Number`] made from a NaN or
//!   infinite float renders as `NaN`/`Infinity` and makes `build` fail with an [`ErrorKind::Json`]
//!   error pointing at it.
//!
//! # DynamoDB
//!
//! DynamoDB Streams records wrap every attribute in a type key (`{"status": {"S": "done"}}`), so
//! [`DynamoDbFilter::new_image`], [`old_image`](DynamoDbFilter::old_image) and
//! [`keys`](DynamoDbFilter::keys) return an [`Attribute`] whose accessors ([`s`](Attribute::s),
//! [`n`](Attribute::n), [`bool`](Attribute::bool), [`m`](Attribute::m), [`l`](Attribute::l), …) pick
//! the type key and offer only conditions that can match there:
//!
//! - `N` values are strings in the record, so [`NumberValue::equals`]`(42)` renders `{"N":["42"]}`
//!   and there is no `numeric` on [`NumberValue`]: AWS never matches a numeric condition on `N`
//!   (SPEC §5.4, FLAG-19). Matching is textual: `"42"` does not match `"42.0"`.
//! - `exists` targets the type key: `new_image("status").s().exists()` renders
//!   `{"NewImage":{"status":{"S":[{"exists":true}]}}}` (an attribute object is never a leaf, so
//!   `exists` on it would never hold). `not_exists()` therefore also holds when the attribute has
//!   another type.
//!
//! ```
//! use eventsift::lambda::typed::{dynamodb, AnythingBut, EventName};
//!
//! let filter = dynamodb()
//!     .event_name([EventName::Modify])
//!     .keys("pk").s().prefix("ORDER#")
//!     .new_image("total").n().anything_but([0])
//!     .new_image("address").m("country").s().any_of(["DE", "FR"])
//!     .old_image("tags").ss().equals("vip");
//! assert_eq!(
//!     filter.to_json(),
//!     concat!(
//!         r#"{"eventName":["MODIFY"],"dynamodb":{"Keys":{"pk":{"S":[{"prefix":"ORDER#"}]}},"#,
//!         r#""NewImage":{"total":{"N":[{"anything-but":["0"]}]},"address":{"M":{"country":{"S":["DE","FR"]}}}},"#,
//!         r#""OldImage":{"tags":{"SS":["vip"]}}}}"#,
//!     )
//! );
//! filter.build()?;
//! # Ok::<(), eventsift::Error>(())
//! ```
//!
//! # Other sources
//!
//! ```
//! use eventsift::lambda::typed::{sqs, Numeric};
//!
//! let json_body = sqs().body("order.total").numeric(Numeric::gt(100));
//! assert_eq!(json_body.to_json(), r#"{"body":{"order":{"total":[{"numeric":[">",100]}]}}}"#);
//!
//! let text_body = sqs().body_text().prefix("ERROR ");
//! assert_eq!(text_body.to_json(), r#"{"body":[{"prefix":"ERROR "}]}"#);
//! # Ok::<(), eventsift::Error>(())
//! ```

use std::borrow::Borrow;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use super::Source;
use crate::error::{Error, ErrorKind, Span};
use crate::{Dialect, Pattern, PatternBuilder};

// ---------------------------------------------------------------------------------------------
// Values: numbers and literals
// ---------------------------------------------------------------------------------------------

/// A JSON number with an exact spelling, rendered as written.
///
/// Integers keep their decimal digits; floats use Rust's shortest round-trip spelling (`0.1`,
/// `1e300`); [`Number::from_str`] keeps any valid JSON number text as it is (`"1.50"`, `"3.0e2"`).
/// A NaN or infinite float is accepted here so that `equals(x)` stays infallible, but
/// [`build`](PatternDraft::build) rejects it (JSON has no such numbers).
///
/// ```
/// use eventsift::lambda::typed::Number;
///
/// assert_eq!(Number::from(42).to_string(), "42");
/// assert_eq!(Number::from(0.5).to_string(), "0.5");
/// assert_eq!("3.0e2".parse::<Number>()?.to_string(), "3.0e2");
/// assert!("1.".parse::<Number>().is_err());
/// assert!(!Number::from(f64::NAN).is_finite());
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Number(Repr);

#[derive(Clone, Debug, PartialEq)]
enum Repr {
    /// Valid JSON number text.
    Text(Box<str>),
    /// A NaN or infinite float (invalid at build time).
    NonFinite(f64),
}

impl Number {
    /// The JSON spelling, or `None` for a NaN or infinite float.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Text(text) => Some(text),
            Repr::NonFinite(_) => None,
        }
    }

    /// Is this a number JSON can spell (not NaN, not infinite)?
    pub fn is_finite(&self) -> bool {
        matches!(self.0, Repr::Text(_))
    }

    fn from_float_text(value: f64, text: impl FnOnce() -> String) -> Number {
        if value.is_finite() {
            Number(Repr::Text(text().into()))
        } else {
            Number(Repr::NonFinite(value))
        }
    }
}

impl fmt::Display for Number {
    /// The JSON spelling; `NaN`, `Infinity` or `-Infinity` for a non-finite float.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Text(text) => f.write_str(text),
            Repr::NonFinite(v) if v.is_nan() => f.write_str("NaN"),
            Repr::NonFinite(v) if *v > 0.0 => f.write_str("Infinity"),
            Repr::NonFinite(_) => f.write_str("-Infinity"),
        }
    }
}

impl FromStr for Number {
    type Err = Error;

    /// Accepts JSON number text (`-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`) and keeps it as
    /// written. Anything else is an [`ErrorKind::Json`] error.
    fn from_str(text: &str) -> Result<Number, Error> {
        if is_json_number(text) {
            Ok(Number(Repr::Text(text.into())))
        } else {
            Err(Error::new(ErrorKind::Json, Span::new(0, text.len()), format!("{text:?} is not a JSON number"), text))
        }
    }
}

fn is_json_number(text: &str) -> bool {
    let b = text.as_bytes();
    let digits = |mut i: usize| {
        let start = i;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        (i > start).then_some(i)
    };
    let mut i = usize::from(b.first() == Some(&b'-'));
    i = match b.get(i) {
        Some(b'0') => i + 1,
        Some(b'1'..=b'9') => digits(i).unwrap_or(i),
        _ => return false,
    };
    if b.get(i) == Some(&b'.') {
        let Some(next) = digits(i + 1) else { return false };
        i = next;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let Some(next) = digits(i) else { return false };
        i = next;
    }
    i == b.len()
}

macro_rules! number_from_int {
    ($($t:ty)*) => {$(
        impl From<$t> for Number {
            fn from(value: $t) -> Number {
                Number(Repr::Text(value.to_string().into()))
            }
        }
        impl From<$t> for Literal {
            fn from(value: $t) -> Literal {
                Literal::Number(value.into())
            }
        }
    )*};
}
number_from_int!(i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize);

impl From<f64> for Number {
    /// Shortest round-trip spelling (`0.1`, `1.0`, `1e300`).
    fn from(value: f64) -> Number {
        Number::from_float_text(value, || format!("{value:?}"))
    }
}

impl From<f32> for Number {
    /// Shortest round-trip spelling of the `f32` (`0.1f32` → `0.1`).
    fn from(value: f32) -> Number {
        Number::from_float_text(f64::from(value), || format!("{value:?}"))
    }
}

impl From<f64> for Literal {
    fn from(value: f64) -> Literal {
        Literal::Number(value.into())
    }
}

impl From<f32> for Literal {
    fn from(value: f32) -> Literal {
        Literal::Number(value.into())
    }
}

/// A value for exact matching: string, number, boolean or `null`.
///
/// Converts from `&str`, `String`, integers, floats, [`Number`], `bool` and `Option<T>` (`None`
/// is `null`).
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    /// A JSON string.
    String(String),
    /// A JSON number.
    Number(Number),
    /// `true` or `false`.
    Bool(bool),
    /// `null`.
    Null,
}

impl From<&str> for Literal {
    fn from(value: &str) -> Literal {
        Literal::String(value.to_owned())
    }
}

impl From<String> for Literal {
    fn from(value: String) -> Literal {
        Literal::String(value)
    }
}

impl From<&String> for Literal {
    fn from(value: &String) -> Literal {
        Literal::String(value.clone())
    }
}

impl From<Number> for Literal {
    fn from(value: Number) -> Literal {
        Literal::Number(value)
    }
}

impl From<bool> for Literal {
    fn from(value: bool) -> Literal {
        Literal::Bool(value)
    }
}

impl<T: Into<Literal>> From<Option<T>> for Literal {
    fn from(value: Option<T>) -> Literal {
        value.map_or(Literal::Null, Into::into)
    }
}

// ---------------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------------

/// One element of a leaf array: a literal or an operator.
///
/// The field cursors ([`Field`]) have a method for each constructor; use `Condition` directly to
/// pass several at once ([`Field::conditions`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Condition(Cond);

#[derive(Clone, Debug, PartialEq)]
enum Cond {
    Literal(Literal),
    /// A number rendered as a JSON string (DynamoDB `N`).
    NumberText(Number),
    Prefix {
        value: String,
        ignore_case: bool,
    },
    Suffix {
        value: String,
        ignore_case: bool,
    },
    EqualsIgnoreCase(String),
    Wildcard(String),
    Cidr(String),
    Exists(bool),
    Numeric(Numeric),
    AnythingBut(AnythingBut),
}

impl Condition {
    /// Exact match: `"x"`, `42`, `true`, `null`.
    pub fn equals(value: impl Into<Literal>) -> Condition {
        Condition(Cond::Literal(value.into()))
    }

    /// `{"prefix": "p"}`: strings starting with `p`.
    pub fn prefix(value: impl Into<String>) -> Condition {
        Condition(Cond::Prefix { value: value.into(), ignore_case: false })
    }

    /// `{"prefix": {"equals-ignore-case": "p"}}` (not in the Lambda dialect).
    pub fn prefix_ignore_case(value: impl Into<String>) -> Condition {
        Condition(Cond::Prefix { value: value.into(), ignore_case: true })
    }

    /// `{"suffix": "s"}`: strings ending with `s`.
    pub fn suffix(value: impl Into<String>) -> Condition {
        Condition(Cond::Suffix { value: value.into(), ignore_case: false })
    }

    /// `{"suffix": {"equals-ignore-case": "s"}}` (not in the Lambda dialect).
    pub fn suffix_ignore_case(value: impl Into<String>) -> Condition {
        Condition(Cond::Suffix { value: value.into(), ignore_case: true })
    }

    /// `{"equals-ignore-case": "s"}`.
    pub fn equals_ignore_case(value: impl Into<String>) -> Condition {
        Condition(Cond::EqualsIgnoreCase(value.into()))
    }

    /// `{"wildcard": "w"}` with `w` in wildcard syntax: `*` is any run of characters, `\*` and `\\`
    /// are literal. Use [`escape_wildcard`] for literal text. Not in the Lambda dialect.
    pub fn wildcard(pattern: impl Into<String>) -> Condition {
        Condition(Cond::Wildcard(pattern.into()))
    }

    /// `{"cidr": "10.0.0.0/24"}`: IP address strings in the range. In the Lambda dialect since AWS
    /// was seen applying it (SPEC §10 FLAG-4, amended); not in the Pipes dialect.
    pub fn cidr(range: impl Into<String>) -> Condition {
        Condition(Cond::Cidr(range.into()))
    }

    /// `{"exists": true}` (a leaf is present) or `{"exists": false}` (no leaf at the path).
    pub fn exists(present: bool) -> Condition {
        Condition(Cond::Exists(present))
    }

    /// `{"numeric": [...]}`: JSON number leaves in the range.
    pub fn numeric(range: Numeric) -> Condition {
        Condition(Cond::Numeric(range))
    }

    /// `{"anything-but": ...}`: present leaves other than the given values (or prefixes, …).
    pub fn anything_but(excluded: impl Into<AnythingBut>) -> Condition {
        Condition(Cond::AnythingBut(excluded.into()))
    }
}

impl From<Literal> for Condition {
    fn from(value: Literal) -> Condition {
        Condition::equals(value)
    }
}

/// A `numeric` range: one comparison, or a lower and an upper bound.
///
/// ```
/// use eventsift::lambda::typed::{pattern, Numeric};
///
/// let draft = pattern().field("cpu").numeric(Numeric::gt(0).and_le(64));
/// assert_eq!(draft.to_json(), r#"{"cpu":[{"numeric":[">",0,"<=",64]}]}"#);
/// assert_eq!(pattern().field("x").numeric(Numeric::between(1.5, 2)).to_json(), r#"{"x":[{"numeric":[">=",1.5,"<=",2]}]}"#);
/// ```
///
/// Bounds render lower first, whatever the order they were given in. Combinations the pattern
/// language rejects (two lower bounds, `=` with a bound, a bottom not below the top) are reported
/// by `build` with AWS's reason (`Bottom must be less than top`, …).
#[derive(Clone, Debug, PartialEq)]
pub struct Numeric {
    terms: Vec<(NumOp, Number)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum NumOp {
    Gt,
    Ge,
    Eq,
    Lt,
    Le,
}

impl NumOp {
    fn symbol(self) -> &'static str {
        match self {
            NumOp::Gt => ">",
            NumOp::Ge => ">=",
            NumOp::Eq => "=",
            NumOp::Lt => "<",
            NumOp::Le => "<=",
        }
    }

    /// Rendering rank: lower bounds, then equality, then upper bounds.
    fn rank(self) -> u8 {
        match self {
            NumOp::Gt | NumOp::Ge => 0,
            NumOp::Eq => 1,
            NumOp::Lt | NumOp::Le => 2,
        }
    }
}

impl Numeric {
    fn one(op: NumOp, n: impl Into<Number>) -> Numeric {
        Numeric { terms: vec![(op, n.into())] }
    }

    fn and(mut self, op: NumOp, n: impl Into<Number>) -> Numeric {
        self.terms.push((op, n.into()));
        self.terms.sort_by_key(|(op, _)| op.rank());
        self
    }

    /// `[">", n]`.
    pub fn gt(n: impl Into<Number>) -> Numeric {
        Numeric::one(NumOp::Gt, n)
    }

    /// `[">=", n]`.
    pub fn ge(n: impl Into<Number>) -> Numeric {
        Numeric::one(NumOp::Ge, n)
    }

    /// `["<", n]`.
    pub fn lt(n: impl Into<Number>) -> Numeric {
        Numeric::one(NumOp::Lt, n)
    }

    /// `["<=", n]`.
    pub fn le(n: impl Into<Number>) -> Numeric {
        Numeric::one(NumOp::Le, n)
    }

    /// `["=", n]`: numerically equal (`5` matches `5.0`).
    pub fn eq(n: impl Into<Number>) -> Numeric {
        Numeric::one(NumOp::Eq, n)
    }

    /// `[">=", low, "<=", high]`: both ends included. `low` must be below `high`.
    pub fn between(low: impl Into<Number>, high: impl Into<Number>) -> Numeric {
        Numeric::ge(low).and_le(high)
    }

    /// Adds a `>` bound.
    pub fn and_gt(self, n: impl Into<Number>) -> Numeric {
        self.and(NumOp::Gt, n)
    }

    /// Adds a `>=` bound.
    pub fn and_ge(self, n: impl Into<Number>) -> Numeric {
        self.and(NumOp::Ge, n)
    }

    /// Adds a `<` bound.
    pub fn and_lt(self, n: impl Into<Number>) -> Numeric {
        self.and(NumOp::Lt, n)
    }

    /// Adds a `<=` bound.
    pub fn and_le(self, n: impl Into<Number>) -> Numeric {
        self.and(NumOp::Le, n)
    }
}

/// The argument of `anything-but`: values, or prefixes, suffixes, ignore-case values, wildcards.
///
/// Converts from a single value (`"x"`, `5`) and from arrays and vectors of values. The value
/// lists must be all strings or all numbers (AWS's rule, checked by `build`). The prefix, suffix,
/// ignore-case and wildcard forms are not in the Lambda dialect.
///
/// ```
/// use eventsift::lambda::typed::{pattern, AnythingBut};
///
/// assert_eq!(pattern().field("a").anything_but("x").to_json(), r#"{"a":[{"anything-but":"x"}]}"#);
/// assert_eq!(pattern().field("a").anything_but([1, 2]).to_json(), r#"{"a":[{"anything-but":[1,2]}]}"#);
/// assert_eq!(
///     pattern().field("a").anything_but(AnythingBut::prefixes(["tmp/", "cache/"])).to_json(),
///     r#"{"a":[{"anything-but":{"prefix":["tmp/","cache/"]}}]}"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct AnythingBut {
    kind: ButKind,
    /// Render a list even for one element.
    list: bool,
}

#[derive(Clone, Debug, PartialEq)]
enum ButKind {
    Values(Vec<Literal>),
    /// Numbers rendered as strings (DynamoDB `N`).
    NumberTexts(Vec<Number>),
    Prefix(Vec<String>),
    Suffix(Vec<String>),
    EqualsIgnoreCase(Vec<String>),
    Wildcard(Vec<String>),
}

impl AnythingBut {
    fn single(kind: ButKind) -> AnythingBut {
        AnythingBut { kind, list: false }
    }

    fn list(kind: ButKind) -> AnythingBut {
        AnythingBut { kind, list: true }
    }

    fn strings<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Vec<String> {
        values.into_iter().map(Into::into).collect()
    }

    /// `{"anything-but": v}`.
    pub fn value(value: impl Into<Literal>) -> AnythingBut {
        AnythingBut::single(ButKind::Values(vec![value.into()]))
    }

    /// `{"anything-but": [v1, v2, …]}`.
    pub fn values<T: Into<Literal>>(values: impl IntoIterator<Item = T>) -> AnythingBut {
        AnythingBut::list(ButKind::Values(values.into_iter().map(Into::into).collect()))
    }

    /// `{"anything-but": {"prefix": "p"}}` (`p` must not be empty).
    pub fn prefix(prefix: impl Into<String>) -> AnythingBut {
        AnythingBut::single(ButKind::Prefix(vec![prefix.into()]))
    }

    /// `{"anything-but": {"prefix": ["p1", "p2"]}}`.
    pub fn prefixes<S: Into<String>>(prefixes: impl IntoIterator<Item = S>) -> AnythingBut {
        AnythingBut::list(ButKind::Prefix(AnythingBut::strings(prefixes)))
    }

    /// `{"anything-but": {"suffix": "s"}}` (`s` must not be empty).
    pub fn suffix(suffix: impl Into<String>) -> AnythingBut {
        AnythingBut::single(ButKind::Suffix(vec![suffix.into()]))
    }

    /// `{"anything-but": {"suffix": ["s1", "s2"]}}`.
    pub fn suffixes<S: Into<String>>(suffixes: impl IntoIterator<Item = S>) -> AnythingBut {
        AnythingBut::list(ButKind::Suffix(AnythingBut::strings(suffixes)))
    }

    /// `{"anything-but": {"equals-ignore-case": "s"}}`.
    pub fn equals_ignore_case(value: impl Into<String>) -> AnythingBut {
        AnythingBut::single(ButKind::EqualsIgnoreCase(vec![value.into()]))
    }

    /// `{"anything-but": {"equals-ignore-case": ["s1", "s2"]}}`.
    pub fn equals_ignore_case_any<S: Into<String>>(values: impl IntoIterator<Item = S>) -> AnythingBut {
        AnythingBut::list(ButKind::EqualsIgnoreCase(AnythingBut::strings(values)))
    }

    /// `{"anything-but": {"wildcard": "w"}}` (wildcard syntax, see [`Condition::wildcard`]).
    pub fn wildcard(pattern: impl Into<String>) -> AnythingBut {
        AnythingBut::single(ButKind::Wildcard(vec![pattern.into()]))
    }

    /// `{"anything-but": {"wildcard": ["w1", "w2"]}}`.
    pub fn wildcards<S: Into<String>>(patterns: impl IntoIterator<Item = S>) -> AnythingBut {
        AnythingBut::list(ButKind::Wildcard(AnythingBut::strings(patterns)))
    }
}

macro_rules! anything_but_from_value {
    ($($t:ty)*) => {$(
        impl From<$t> for AnythingBut {
            fn from(value: $t) -> AnythingBut {
                AnythingBut::value(value)
            }
        }
    )*};
}
anything_but_from_value!(&str String &String Number Literal i8 i16 i32 i64 i128 isize u8 u16 u32 u64 u128 usize f32 f64);

impl<T: Into<Literal>, const N: usize> From<[T; N]> for AnythingBut {
    fn from(values: [T; N]) -> AnythingBut {
        AnythingBut::values(values)
    }
}

impl<T: Into<Literal>> From<Vec<T>> for AnythingBut {
    fn from(values: Vec<T>) -> AnythingBut {
        AnythingBut::values(values)
    }
}

/// Escapes literal text for a wildcard pattern: `*` becomes `\*` and `\` becomes `\\`.
///
/// ```
/// use eventsift::lambda::typed::{escape_wildcard, pattern};
///
/// let w = format!("{}*", escape_wildcard(r"reports\2024*"));
/// assert_eq!(w, r"reports\\2024\**");
/// let p = pattern().field("key").wildcard(w).build()?;
/// assert!(p.matches(r#"{"key": "reports\\2024*-final.csv"}"#)?);
/// assert!(!p.matches(r#"{"key": "reports\\2024-final.csv"}"#)?);
/// # Ok::<(), eventsift::Error>(())
/// ```
pub fn escape_wildcard(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '*' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Paths and the draft tree
// ---------------------------------------------------------------------------------------------

/// A field path: dot-joined segments.
///
/// From `"detail.state"` or from segments (`["detail", "state"]`, a `Vec`, a slice). Segments are
/// split at dots too: AWS treats `{"a.b": …}` and `{"a": {"b": …}}` as the same path (SPEC §1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Path(Vec<String>);

impl Path {
    fn from_segments<S: AsRef<str>>(segments: impl IntoIterator<Item = S>) -> Path {
        let mut out = Vec::new();
        for segment in segments {
            out.extend(segment.as_ref().split('.').map(str::to_owned));
        }
        if out.is_empty() {
            out.push(String::new());
        }
        Path(out)
    }

    /// The path as AWS flattens it: segments joined with `.`.
    pub fn dotted(&self) -> String {
        self.0.join(".")
    }
}

impl From<&str> for Path {
    fn from(path: &str) -> Path {
        Path::from_segments([path])
    }
}

impl From<String> for Path {
    fn from(path: String) -> Path {
        Path::from_segments([path])
    }
}

impl From<&String> for Path {
    fn from(path: &String) -> Path {
        Path::from_segments([path])
    }
}

impl<S: AsRef<str>, const N: usize> From<[S; N]> for Path {
    fn from(segments: [S; N]) -> Path {
        Path::from_segments(segments)
    }
}

impl<S: AsRef<str>> From<Vec<S>> for Path {
    fn from(segments: Vec<S>) -> Path {
        Path::from_segments(segments)
    }
}

impl<S: AsRef<str>> From<&[S]> for Path {
    fn from(segments: &[S]) -> Path {
        Path::from_segments(segments)
    }
}

/// A pattern object: members in insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
struct Node {
    members: Vec<Member>,
}

#[derive(Clone, Debug, PartialEq)]
enum Member {
    Object(String, Node),
    Leaf(String, Vec<Condition>),
    Or(Vec<Node>),
}

impl Node {
    fn object_mut(&mut self, key: &str) -> &mut Node {
        let found = self.members.iter().position(|m| matches!(m, Member::Object(k, _) if k == key));
        let i = found.unwrap_or_else(|| {
            self.members.push(Member::Object(key.to_owned(), Node::default()));
            self.members.len() - 1
        });
        match &mut self.members[i] {
            Member::Object(_, node) => node,
            _ => unreachable!("position found an object member"),
        }
    }

    fn leaf_mut(&mut self, key: &str) -> &mut Vec<Condition> {
        let found = self.members.iter().position(|m| matches!(m, Member::Leaf(k, _) if k == key));
        let i = found.unwrap_or_else(|| {
            self.members.push(Member::Leaf(key.to_owned(), Vec::new()));
            self.members.len() - 1
        });
        match &mut self.members[i] {
            Member::Leaf(_, conditions) => conditions,
            _ => unreachable!("position found a leaf member"),
        }
    }

    /// The object at `path` (created as needed).
    fn object_at(&mut self, path: &[String]) -> &mut Node {
        path.iter().fold(self, |node, key| node.object_mut(key))
    }

    /// The leaf array at `path` (created as needed; `path` is never empty).
    fn leaf_at(&mut self, path: &[String]) -> &mut Vec<Condition> {
        let (last, parents) = path.split_last().expect("paths have at least one segment");
        self.object_at(parents).leaf_mut(last)
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering
// ---------------------------------------------------------------------------------------------

/// Compact JSON output; remembers the first number JSON cannot spell.
#[derive(Default)]
struct Writer {
    out: String,
    non_finite: Option<Span>,
}

impl Writer {
    /// A JSON string: `"` and `\` escaped, every control character (U+0000–U+001F) escaped,
    /// everything else (non-ASCII included) as it is.
    fn string(&mut self, s: &str) {
        use fmt::Write as _;
        self.out.reserve(s.len() + 2);
        self.out.push('"');
        let mut run = 0;
        for (i, c) in s.char_indices() {
            if c != '"' && c != '\\' && c >= ' ' {
                continue;
            }
            self.out.push_str(&s[run..i]);
            run = i + c.len_utf8();
            let short = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\u{8}' => "\\b",
                '\u{c}' => "\\f",
                _ => {
                    let _ = write!(self.out, "\\u{:04x}", u32::from(c));
                    continue;
                }
            };
            self.out.push_str(short);
        }
        self.out.push_str(&s[run..]);
        self.out.push('"');
    }

    fn number(&mut self, n: &Number, quoted: bool) {
        let start = self.out.len();
        if quoted {
            self.out.push('"');
        }
        self.out.push_str(&n.to_string());
        if quoted {
            self.out.push('"');
        }
        if !n.is_finite() && self.non_finite.is_none() {
            self.non_finite = Some(Span::new(start, self.out.len()));
        }
    }

    fn literal(&mut self, value: &Literal) {
        match value {
            Literal::String(s) => self.string(s),
            Literal::Number(n) => self.number(n, false),
            Literal::Bool(b) => self.out.push_str(if *b { "true" } else { "false" }),
            Literal::Null => self.out.push_str("null"),
        }
    }

    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Writer, &T)) {
        self.out.push('[');
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            each(self, item);
        }
        self.out.push(']');
    }

    /// `{"name":<value>}`.
    fn operator(&mut self, name: &str, value: impl FnOnce(&mut Writer)) {
        self.out.push('{');
        self.string(name);
        self.out.push(':');
        value(self);
        self.out.push('}');
    }

    fn node(&mut self, node: &Node) {
        self.out.push('{');
        for (i, member) in node.members.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            match member {
                Member::Object(key, child) => {
                    self.string(key);
                    self.out.push(':');
                    self.node(child);
                }
                Member::Leaf(key, conditions) => {
                    self.string(key);
                    self.out.push(':');
                    self.list(conditions, |w, c| w.condition(c));
                }
                Member::Or(branches) => {
                    self.out.push_str("\"$or\":");
                    self.list(branches, Writer::node);
                }
            }
        }
        self.out.push('}');
    }

    fn condition(&mut self, condition: &Condition) {
        match &condition.0 {
            Cond::Literal(value) => self.literal(value),
            Cond::NumberText(n) => self.number(n, true),
            Cond::Prefix { value, ignore_case } => self.maybe_ignore_case("prefix", value, *ignore_case),
            Cond::Suffix { value, ignore_case } => self.maybe_ignore_case("suffix", value, *ignore_case),
            Cond::EqualsIgnoreCase(value) => self.operator("equals-ignore-case", |w| w.string(value)),
            Cond::Wildcard(value) => self.operator("wildcard", |w| w.string(value)),
            Cond::Cidr(value) => self.operator("cidr", |w| w.string(value)),
            Cond::Exists(present) => {
                self.operator("exists", |w| w.out.push_str(if *present { "true" } else { "false" }))
            }
            Cond::Numeric(range) => self.operator("numeric", |w| {
                w.list(&range.terms, |w, (op, n)| {
                    w.string(op.symbol());
                    w.out.push(',');
                    w.number(n, false);
                })
            }),
            Cond::AnythingBut(but) => self.operator("anything-but", |w| w.anything_but(but)),
        }
    }

    fn maybe_ignore_case(&mut self, name: &str, value: &str, ignore_case: bool) {
        if ignore_case {
            self.operator(name, |w| w.operator("equals-ignore-case", |w| w.string(value)));
        } else {
            self.operator(name, |w| w.string(value));
        }
    }

    fn anything_but(&mut self, but: &AnythingBut) {
        /// One value alone, unless the caller asked for a list.
        fn items<T>(w: &mut Writer, items: &[T], list: bool, mut each: impl FnMut(&mut Writer, &T)) {
            match items {
                [one] if !list => each(w, one),
                _ => w.list(items, each),
            }
        }
        let list = but.list;
        match &but.kind {
            ButKind::Values(values) => items(self, values, list, Writer::literal),
            ButKind::NumberTexts(values) => items(self, values, list, |w, n| w.number(n, true)),
            ButKind::Prefix(values) => self.operator("prefix", |w| items(w, values, list, |w, s| w.string(s))),
            ButKind::Suffix(values) => self.operator("suffix", |w| items(w, values, list, |w, s| w.string(s))),
            ButKind::EqualsIgnoreCase(values) => {
                self.operator("equals-ignore-case", |w| items(w, values, list, |w, s| w.string(s)))
            }
            ButKind::Wildcard(values) => self.operator("wildcard", |w| items(w, values, list, |w, s| w.string(s))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The generic draft and the field cursor
// ---------------------------------------------------------------------------------------------

/// A pattern under construction: fields and their conditions, rendered as pattern JSON.
///
/// ```
/// use eventsift::lambda::typed::{pattern, AnythingBut, Numeric};
///
/// let draft = pattern()
///     .field("source").equals("aws.ec2")
///     .field("detail.state").anything_but(["terminated", "stopped"])
///     .field("detail.cpu").numeric(Numeric::ge(2).and_lt(64))
///     .field("detail.cpu").exists(false); // a second condition on the same field: OR'ed
/// assert_eq!(
///     draft.to_json(),
///     r#"{"source":["aws.ec2"],"detail":{"state":[{"anything-but":["terminated","stopped"]}],"cpu":[{"numeric":[">=",2,"<",64]},{"exists":false}]}}"#
/// );
/// let p = draft.build()?; // Dialect::EventBridge
/// assert!(p.matches(r#"{"source":"aws.ec2","detail":{"state":"running","cpu":8}}"#)?);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use = "a draft does nothing until it is built or rendered"]
pub struct PatternDraft {
    root: Node,
}

/// An empty [`PatternDraft`] (built in [`Dialect::EventBridge`] by default).
pub fn pattern() -> PatternDraft {
    PatternDraft::new()
}

fn draft_of_draft(draft: &mut PatternDraft) -> &mut PatternDraft {
    draft
}

impl PatternDraft {
    /// An empty draft. (Building it fails: `Empty objects are not allowed`.)
    pub fn new() -> PatternDraft {
        PatternDraft::default()
    }

    /// A cursor on the field at `path` (`"detail.state"` or `["detail", "state"]`).
    pub fn field(self, path: impl Into<Path>) -> Field<PatternDraft> {
        Field::new(self, path.into().0, draft_of_draft)
    }

    /// Adds `"$or": [branch, …]` at the top level, AND'ed with the other members. AWS requires at
    /// least two branches.
    pub fn or(mut self, branches: impl IntoIterator<Item = PatternDraft>) -> PatternDraft {
        self.root.members.push(Member::Or(branches.into_iter().map(|d| d.root).collect()));
        self
    }

    /// Has nothing been added yet?
    pub fn is_empty(&self) -> bool {
        self.root.members.is_empty()
    }

    /// The pattern JSON text: compact, keys in insertion order.
    pub fn to_json(&self) -> String {
        self.render().out
    }

    fn render(&self) -> Writer {
        let mut w = Writer::default();
        w.node(&self.root);
        w
    }

    /// Renders and compiles in [`Dialect::EventBridge`] (all operators).
    pub fn build(&self) -> Result<Pattern, Error> {
        self.build_with(Pattern::builder())
    }

    /// Renders and compiles with the given options (dialect, limits, …).
    ///
    /// ```
    /// use eventsift::lambda::typed::pattern;
    /// use eventsift::{Dialect, ErrorKind, Pattern};
    ///
    /// let draft = pattern().field("file").wildcard("*.png");
    /// let err = draft.build_with(Pattern::builder().dialect(Dialect::LambdaEsm)).unwrap_err();
    /// assert_eq!(err.kind(), ErrorKind::OperatorNotInDialect);
    /// assert!(draft.build_with(Pattern::builder().dialect(Dialect::LambdaEsm).allow_unlisted_operators(true)).is_ok());
    /// ```
    pub fn build_with(&self, options: impl Borrow<PatternBuilder>) -> Result<Pattern, Error> {
        let Writer { out, non_finite } = self.render();
        if let Some(span) = non_finite {
            let token = &out[span.range()];
            return Err(Error::new(
                ErrorKind::Json,
                span,
                format!("{token} is not a JSON number: numbers in a pattern must be finite"),
                &out,
            ));
        }
        options.borrow().build(&out)
    }
}

impl fmt::Display for PatternDraft {
    /// The pattern JSON text, as [`to_json`](PatternDraft::to_json).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// A cursor on one field of a builder `B`: each condition method adds to the field's leaf array
/// and returns the builder.
///
/// Conditions added to one field, by one or several cursors, are OR'ed.
#[must_use = "a field cursor does nothing until a condition is added"]
pub struct Field<B = PatternDraft> {
    owner: B,
    path: Vec<String>,
    draft: fn(&mut B) -> &mut PatternDraft,
}

impl<B: fmt::Debug> fmt::Debug for Field<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Field").field("owner", &self.owner).field("path", &self.path.join(".")).finish()
    }
}

impl<B> Field<B> {
    fn new(owner: B, path: Vec<String>, draft: fn(&mut B) -> &mut PatternDraft) -> Field<B> {
        Field { owner, path, draft }
    }

    /// The cursor one level further down.
    fn child(mut self, key: &str) -> Field<B> {
        self.path.push(key.to_owned());
        self
    }

    /// Adds one condition.
    pub fn condition(self, condition: Condition) -> B {
        self.conditions([condition])
    }

    /// Adds several conditions (OR'ed). An empty list renders an empty leaf array, which `build`
    /// rejects (`Empty arrays are not allowed`).
    pub fn conditions(mut self, conditions: impl IntoIterator<Item = Condition>) -> B {
        (self.draft)(&mut self.owner).root.leaf_at(&self.path).extend(conditions);
        self.owner
    }

    /// Exact match: `["x"]`, `[42]`, `[true]`, `[null]`.
    pub fn equals(self, value: impl Into<Literal>) -> B {
        self.condition(Condition::equals(value))
    }

    /// Any of these values: `["a", "b"]`.
    pub fn any_of<T: Into<Literal>>(self, values: impl IntoIterator<Item = T>) -> B {
        self.conditions(values.into_iter().map(Condition::equals))
    }

    /// `{"prefix": "p"}`.
    pub fn prefix(self, value: impl Into<String>) -> B {
        self.condition(Condition::prefix(value))
    }

    /// `{"prefix": {"equals-ignore-case": "p"}}` (not in the Lambda dialect).
    pub fn prefix_ignore_case(self, value: impl Into<String>) -> B {
        self.condition(Condition::prefix_ignore_case(value))
    }

    /// `{"suffix": "s"}`.
    pub fn suffix(self, value: impl Into<String>) -> B {
        self.condition(Condition::suffix(value))
    }

    /// `{"suffix": {"equals-ignore-case": "s"}}` (not in the Lambda dialect).
    pub fn suffix_ignore_case(self, value: impl Into<String>) -> B {
        self.condition(Condition::suffix_ignore_case(value))
    }

    /// `{"equals-ignore-case": "s"}`.
    pub fn equals_ignore_case(self, value: impl Into<String>) -> B {
        self.condition(Condition::equals_ignore_case(value))
    }

    /// `{"wildcard": "w"}` (see [`Condition::wildcard`]; not in the Lambda dialect).
    pub fn wildcard(self, pattern: impl Into<String>) -> B {
        self.condition(Condition::wildcard(pattern))
    }

    /// `{"cidr": "a.b.c.d/n"}` (see [`Condition::cidr`]; not in the Pipes dialect).
    pub fn cidr(self, range: impl Into<String>) -> B {
        self.condition(Condition::cidr(range))
    }

    /// `{"exists": true}` or `{"exists": false}`.
    pub fn exists(self, present: bool) -> B {
        self.condition(Condition::exists(present))
    }

    /// `{"numeric": [...]}`.
    pub fn numeric(self, range: Numeric) -> B {
        self.condition(Condition::numeric(range))
    }

    /// `{"anything-but": ...}`: a value, a list, or an [`AnythingBut`] form.
    pub fn anything_but(self, excluded: impl Into<AnythingBut>) -> B {
        self.condition(Condition::anything_but(excluded))
    }

    /// Adds `"$or": [branch, …]` inside the object at this path; branch paths are relative to it.
    ///
    /// ```
    /// use eventsift::lambda::typed::pattern;
    ///
    /// let draft = pattern().field("detail").or([pattern().field("a").equals(1), pattern().field("b").equals(2)]);
    /// assert_eq!(draft.to_json(), r#"{"detail":{"$or":[{"a":[1]},{"b":[2]}]}}"#);
    /// ```
    pub fn or(mut self, branches: impl IntoIterator<Item = PatternDraft>) -> B {
        let node = (self.draft)(&mut self.owner).root.object_at(&self.path);
        node.members.push(Member::Or(branches.into_iter().map(|d| d.root).collect()));
        self.owner
    }
}

// ---------------------------------------------------------------------------------------------
// DynamoDB
// ---------------------------------------------------------------------------------------------

/// A filter for DynamoDB Streams records (the record's top-level fields and `dynamodb`).
///
/// [`build`](DynamoDbFilter::build) compiles in [`Dialect::LambdaEsm`]. See the
/// [module documentation](self#dynamodb) for the attribute model.
#[derive(Clone, Debug, Default, PartialEq)]
#[must_use = "a filter does nothing until it is built or rendered"]
pub struct DynamoDbFilter {
    draft: PatternDraft,
}

/// An empty [`DynamoDbFilter`].
pub fn dynamodb() -> DynamoDbFilter {
    DynamoDbFilter::default()
}

/// A DynamoDB Streams `eventName`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventName {
    /// `INSERT`: a new item.
    Insert,
    /// `MODIFY`: an item was updated.
    Modify,
    /// `REMOVE`: an item was deleted (by a user or by TTL).
    Remove,
}

impl EventName {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub fn as_str(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }
}

impl fmt::Display for EventName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<EventName> for String {
    fn from(name: EventName) -> String {
        name.as_str().to_owned()
    }
}

fn draft_of_dynamodb(filter: &mut DynamoDbFilter) -> &mut PatternDraft {
    &mut filter.draft
}

impl DynamoDbFilter {
    /// A cursor on any record field, for what the typed methods do not cover:
    /// `field("dynamodb.ApproximateCreationDateTime").numeric(Numeric::gt(1_700_000_000))`.
    pub fn field(self, path: impl Into<Path>) -> Field<DynamoDbFilter> {
        Field::new(self, path.into().0, draft_of_dynamodb)
    }

    /// `"eventName": [...]` — `["INSERT", "MODIFY"]` or `[EventName::Insert]`.
    pub fn event_name<S: Into<String>>(self, names: impl IntoIterator<Item = S>) -> DynamoDbFilter {
        self.field("eventName").any_of(names.into_iter().map(Into::into))
    }

    /// Records of TTL deletes: `"userIdentity": {"type": ["Service"], "principalId":
    /// ["dynamodb.amazonaws.com"]}` (combine with `event_name([EventName::Remove])` as the DynamoDB
    /// guide does).
    pub fn user_identity_ttl(self) -> DynamoDbFilter {
        self.field("userIdentity.type")
            .equals("Service")
            .field("userIdentity.principalId")
            .equals("dynamodb.amazonaws.com")
    }

    fn attribute(self, image: &str, name: &str) -> Attribute {
        let field = Field::new(self, vec!["dynamodb".to_owned(), image.to_owned()], draft_of_dynamodb);
        Attribute(Path::from_segments([name]).0.iter().fold(field, |f, key| f.child(key)))
    }

    /// The key attribute `name` (`dynamodb.Keys.<name>`).
    ///
    /// Like every path here, a name with dots renders as nested objects: AWS joins paths with dots,
    /// so `{"a":{"b":…}}` is the path of an attribute named `a.b` (SPEC §1.3).
    pub fn keys(self, name: &str) -> Attribute {
        self.attribute("Keys", name)
    }

    /// The attribute `name` of the item after the change (`dynamodb.NewImage.<name>`).
    pub fn new_image(self, name: &str) -> Attribute {
        self.attribute("NewImage", name)
    }

    /// The attribute `name` of the item before the change (`dynamodb.OldImage.<name>`).
    pub fn old_image(self, name: &str) -> Attribute {
        self.attribute("OldImage", name)
    }

    /// Adds a top-level `"$or"` of whole filters (at least two).
    ///
    /// ```
    /// use eventsift::lambda::typed::dynamodb;
    ///
    /// let f = dynamodb().or([dynamodb().new_image("a").s().equals("x"), dynamodb().old_image("a").s().equals("x")]);
    /// assert_eq!(f.to_json(), r#"{"$or":[{"dynamodb":{"NewImage":{"a":{"S":["x"]}}}},{"dynamodb":{"OldImage":{"a":{"S":["x"]}}}}]}"#);
    /// ```
    pub fn or(self, branches: impl IntoIterator<Item = DynamoDbFilter>) -> DynamoDbFilter {
        DynamoDbFilter { draft: self.draft.or(branches.into_iter().map(|f| f.draft)) }
    }

    /// The pattern JSON text.
    pub fn to_json(&self) -> String {
        self.draft.to_json()
    }

    /// Renders and compiles in [`Dialect::LambdaEsm`].
    pub fn build(&self) -> Result<Pattern, Error> {
        self.draft.build_with(Pattern::builder().dialect(Dialect::LambdaEsm))
    }

    /// Renders and compiles with the given options.
    pub fn build_with(&self, options: impl Borrow<PatternBuilder>) -> Result<Pattern, Error> {
        self.draft.build_with(options)
    }
}

impl fmt::Display for DynamoDbFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.draft.fmt(f)
    }
}

impl From<DynamoDbFilter> for PatternDraft {
    fn from(filter: DynamoDbFilter) -> PatternDraft {
        filter.draft
    }
}

/// A DynamoDB attribute (in `Keys`, `NewImage` or `OldImage`, or nested in a map or list); pick its
/// type to add a condition.
#[derive(Debug)]
#[must_use = "pick the attribute's type (s(), n(), …) and add a condition"]
pub struct Attribute(Field<DynamoDbFilter>);

impl Attribute {
    /// `S`: a string attribute.
    pub fn s(self) -> StringValue {
        StringValue(self.0.child("S"))
    }

    /// `N`: a number attribute (a string in the record).
    pub fn n(self) -> NumberValue {
        NumberValue(self.0.child("N"))
    }

    /// `B`: a binary attribute, matched as its base64 text.
    pub fn b(self) -> StringValue {
        StringValue(self.0.child("B"))
    }

    /// `BOOL`: a boolean attribute.
    pub fn bool(self) -> BoolValue {
        BoolValue(self.0.child("BOOL"))
    }

    /// `NULL`: a null attribute (its value is `true`): `.null().equals(true)` or `.null().exists()`.
    pub fn null(self) -> BoolValue {
        BoolValue(self.0.child("NULL"))
    }

    /// `SS`: a string set; a condition holds when any element satisfies it.
    pub fn ss(self) -> StringValue {
        StringValue(self.0.child("SS"))
    }

    /// `NS`: a number set (strings in the record); any element.
    pub fn ns(self) -> NumberValue {
        NumberValue(self.0.child("NS"))
    }

    /// `BS`: a binary set (base64 text); any element.
    pub fn bs(self) -> StringValue {
        StringValue(self.0.child("BS"))
    }

    /// `M`: the member `name` of a map attribute.
    pub fn m(self, name: &str) -> Attribute {
        let field = self.0.child("M");
        Attribute(Path::from_segments([name]).0.iter().fold(field, |f, key| f.child(key)))
    }

    /// `L`: the elements of a list attribute (a condition holds when any element satisfies it):
    /// `.l().s().equals("Sales")`.
    pub fn l(self) -> Attribute {
        Attribute(self.0.child("L"))
    }
}

/// Conditions on a string-valued DynamoDB type key (`S`, `SS`, `B`, `BS`).
#[derive(Debug)]
#[must_use = "add a condition to get the filter back"]
pub struct StringValue(Field<DynamoDbFilter>);

impl StringValue {
    /// `["x"]`.
    pub fn equals(self, value: impl Into<String>) -> DynamoDbFilter {
        self.0.equals(value.into())
    }

    /// `["a", "b"]`.
    pub fn any_of<S: Into<String>>(self, values: impl IntoIterator<Item = S>) -> DynamoDbFilter {
        self.0.any_of(values.into_iter().map(Into::into))
    }

    /// `[{"prefix": "p"}]`.
    pub fn prefix(self, value: impl Into<String>) -> DynamoDbFilter {
        self.0.prefix(value)
    }

    /// `[{"suffix": "s"}]`.
    pub fn suffix(self, value: impl Into<String>) -> DynamoDbFilter {
        self.0.suffix(value)
    }

    /// `[{"equals-ignore-case": "s"}]`.
    pub fn equals_ignore_case(self, value: impl Into<String>) -> DynamoDbFilter {
        self.0.equals_ignore_case(value)
    }

    /// `[{"prefix": {"equals-ignore-case": "p"}}]` (not in the Lambda dialect).
    pub fn prefix_ignore_case(self, value: impl Into<String>) -> DynamoDbFilter {
        self.0.prefix_ignore_case(value)
    }

    /// `[{"suffix": {"equals-ignore-case": "s"}}]` (not in the Lambda dialect).
    pub fn suffix_ignore_case(self, value: impl Into<String>) -> DynamoDbFilter {
        self.0.suffix_ignore_case(value)
    }

    /// `[{"anything-but": …}]`: a string, a list of strings, or an [`AnythingBut`] form.
    /// The attribute must exist with this type.
    pub fn anything_but(self, excluded: impl Into<AnythingBut>) -> DynamoDbFilter {
        self.0.anything_but(excluded)
    }

    /// `[{"exists": true}]`: the attribute exists with this type.
    pub fn exists(self) -> DynamoDbFilter {
        self.0.exists(true)
    }

    /// `[{"exists": false}]`: the attribute is absent or has another type.
    pub fn not_exists(self) -> DynamoDbFilter {
        self.0.exists(false)
    }
}

/// Conditions on a number-valued DynamoDB type key (`N`, `NS`). Numbers are strings there, so the
/// conditions compare text (`42` renders `"42"`), and no numeric ranges are offered (AWS never
/// matches them on `N`).
///
/// ```compile_fail
/// use eventsift::lambda::typed::{dynamodb, Numeric};
///
/// // No `numeric` on `N`: it could never match (SPEC §5.4, FLAG-19).
/// let _ = dynamodb().new_image("score").n().numeric(Numeric::gt(100));
/// ```
///
/// ```
/// use eventsift::lambda::typed::dynamodb;
///
/// assert_eq!(dynamodb().new_image("score").n().equals(42).to_json(), r#"{"dynamodb":{"NewImage":{"score":{"N":["42"]}}}}"#);
/// ```
#[derive(Debug)]
#[must_use = "add a condition to get the filter back"]
pub struct NumberValue(Field<DynamoDbFilter>);

fn number_text(n: impl Into<Number>) -> Condition {
    Condition(Cond::NumberText(n.into()))
}

impl NumberValue {
    /// `["42"]`: the number's text.
    pub fn equals(self, value: impl Into<Number>) -> DynamoDbFilter {
        self.0.condition(number_text(value))
    }

    /// `["1", "2"]`.
    pub fn any_of<N: Into<Number>>(self, values: impl IntoIterator<Item = N>) -> DynamoDbFilter {
        self.0.conditions(values.into_iter().map(number_text))
    }

    /// `[{"anything-but": ["0", "1"]}]`: none of these numbers' texts (the attribute must exist
    /// with this type).
    pub fn anything_but<N: Into<Number>>(self, values: impl IntoIterator<Item = N>) -> DynamoDbFilter {
        let texts = values.into_iter().map(Into::into).collect();
        self.0.anything_but(AnythingBut::list(ButKind::NumberTexts(texts)))
    }

    /// `[{"exists": true}]`: the attribute exists with this type.
    pub fn exists(self) -> DynamoDbFilter {
        self.0.exists(true)
    }

    /// `[{"exists": false}]`: the attribute is absent or has another type.
    pub fn not_exists(self) -> DynamoDbFilter {
        self.0.exists(false)
    }
}

/// Conditions on a boolean DynamoDB type key (`BOOL`, and `NULL` whose value is `true`).
#[derive(Debug)]
#[must_use = "add a condition to get the filter back"]
pub struct BoolValue(Field<DynamoDbFilter>);

impl BoolValue {
    /// `[true]` or `[false]`.
    pub fn equals(self, value: bool) -> DynamoDbFilter {
        self.0.equals(value)
    }

    /// `[{"exists": true}]`: the attribute exists with this type.
    pub fn exists(self) -> DynamoDbFilter {
        self.0.exists(true)
    }

    /// `[{"exists": false}]`: the attribute is absent or has another type.
    pub fn not_exists(self) -> DynamoDbFilter {
        self.0.exists(false)
    }
}

// ---------------------------------------------------------------------------------------------
// Kinesis, SQS, Kafka, MQ
// ---------------------------------------------------------------------------------------------

mod sealed {
    pub trait Sealed {}
}

/// The record sources whose data property is a (decoded) payload: [`Sqs`], [`Kinesis`],
/// [`Kafka`], [`Mq`]. Sealed.
pub trait PayloadSource: sealed::Sealed {
    /// The source.
    const SOURCE: Source;
}

macro_rules! payload_source {
    ($($(#[$doc:meta])* $name:ident => $source:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {}
        impl sealed::Sealed for $name {}
        impl PayloadSource for $name {
            const SOURCE: Source = Source::$source;
        }
    )*};
}

payload_source! {
    /// Amazon SQS: the data property is `body`.
    Sqs => Sqs;
    /// Kinesis Data Streams: the data property is `data` (base64-decoded JSON).
    Kinesis => Kinesis;
    /// Amazon MSK and self-managed Kafka: the data property is `value`.
    Kafka => Kafka;
    /// Amazon MQ: the data property is `data`.
    Mq => Mq;
}

/// A filter for records whose data property is a payload (SQS `body`, Kinesis `data`, Kafka
/// `value`, MQ `data`), matched after Lambda decodes it.
///
/// JSON payloads are addressed with `body(path)` / `data(path)` / `value(path)`; plain-text
/// payloads (SQS, Kafka, MQ; Lambda rejects them for Kinesis) with `body_text()` / `value_text()` /
/// `data_text()`. A record whose payload is of the other kind never matches a pattern that
/// addresses its payload. [`build`](PayloadFilter::build) compiles in [`Dialect::LambdaEsm`].
///
/// ```
/// use eventsift::lambda::typed::{kafka, kinesis, mq};
///
/// assert_eq!(kinesis().data("order.type").equals("buy").to_json(), r#"{"data":{"order":{"type":["buy"]}}}"#);
/// assert_eq!(kafka().value_text().anything_but(["error"]).to_json(), r#"{"value":[{"anything-but":["error"]}]}"#);
/// assert_eq!(mq().data_text().prefix("Result: ").to_json(), r#"{"data":[{"prefix":"Result: "}]}"#);
/// ```
#[must_use = "a filter does nothing until it is built or rendered"]
pub struct PayloadFilter<S> {
    draft: PatternDraft,
    source: PhantomData<S>,
}

/// An SQS filter.
pub type SqsFilter = PayloadFilter<Sqs>;
/// A Kinesis filter.
pub type KinesisFilter = PayloadFilter<Kinesis>;
/// A Kafka (MSK or self-managed) filter.
pub type KafkaFilter = PayloadFilter<Kafka>;
/// An Amazon MQ filter.
pub type MqFilter = PayloadFilter<Mq>;

/// An empty SQS filter.
pub fn sqs() -> SqsFilter {
    PayloadFilter::default()
}

/// An empty Kinesis filter.
pub fn kinesis() -> KinesisFilter {
    PayloadFilter::default()
}

/// An empty Kafka (MSK or self-managed) filter.
pub fn kafka() -> KafkaFilter {
    PayloadFilter::default()
}

/// An empty Amazon MQ filter.
pub fn mq() -> MqFilter {
    PayloadFilter::default()
}

impl<S> Default for PayloadFilter<S> {
    fn default() -> Self {
        PayloadFilter { draft: PatternDraft::default(), source: PhantomData }
    }
}

impl<S> Clone for PayloadFilter<S> {
    fn clone(&self) -> Self {
        PayloadFilter { draft: self.draft.clone(), source: PhantomData }
    }
}

impl<S> PartialEq for PayloadFilter<S> {
    fn eq(&self, other: &Self) -> bool {
        self.draft == other.draft
    }
}

impl<S: PayloadSource> fmt::Debug for PayloadFilter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayloadFilter").field("source", &S::SOURCE).field("draft", &self.draft).finish()
    }
}

fn draft_of_payload<S>(filter: &mut PayloadFilter<S>) -> &mut PatternDraft {
    &mut filter.draft
}

impl<S: PayloadSource> PayloadFilter<S> {
    /// The record source.
    pub fn source(&self) -> Source {
        S::SOURCE
    }

    /// A cursor on any field of the filter view (metadata such as Kinesis `partitionKey`, or a
    /// payload path spelled out).
    pub fn field(self, path: impl Into<Path>) -> Field<PayloadFilter<S>> {
        Field::new(self, path.into().0, draft_of_payload)
    }

    /// A field of the JSON payload.
    fn payload(self, path: impl Into<Path>) -> Field<PayloadFilter<S>> {
        let key = S::SOURCE.data_key().expect("payload sources have a data key");
        let path = std::iter::once(key.to_owned()).chain(path.into().0).collect();
        Field::new(self, path, draft_of_payload)
    }

    /// The payload as plain text.
    fn payload_text(self) -> Field<PayloadFilter<S>> {
        let key = S::SOURCE.data_key().expect("payload sources have a data key");
        Field::new(self, vec![key.to_owned()], draft_of_payload)
    }

    /// Adds a top-level `"$or"` of whole filters (at least two).
    pub fn or(self, branches: impl IntoIterator<Item = PayloadFilter<S>>) -> PayloadFilter<S> {
        PayloadFilter { draft: self.draft.or(branches.into_iter().map(|f| f.draft)), source: PhantomData }
    }

    /// The pattern JSON text.
    pub fn to_json(&self) -> String {
        self.draft.to_json()
    }

    /// Renders and compiles in [`Dialect::LambdaEsm`].
    pub fn build(&self) -> Result<Pattern, Error> {
        self.draft.build_with(Pattern::builder().dialect(Dialect::LambdaEsm))
    }

    /// Renders and compiles with the given options.
    pub fn build_with(&self, options: impl Borrow<PatternBuilder>) -> Result<Pattern, Error> {
        self.draft.build_with(options)
    }
}

impl<S: PayloadSource> fmt::Display for PayloadFilter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.draft.fmt(f)
    }
}

impl<S> From<PayloadFilter<S>> for PatternDraft {
    fn from(filter: PayloadFilter<S>) -> PatternDraft {
        filter.draft
    }
}

impl PayloadFilter<Sqs> {
    /// A field of the JSON message body: `body("order.id")` → `{"body":{"order":{"id":[…]}}}`.
    pub fn body(self, path: impl Into<Path>) -> Field<SqsFilter> {
        self.payload(path)
    }

    /// The body as plain text: `body_text().prefix("ERROR")` → `{"body":[{"prefix":"ERROR"}]}`.
    pub fn body_text(self) -> Field<SqsFilter> {
        self.payload_text()
    }
}

impl PayloadFilter<Kinesis> {
    /// A field of the decoded JSON `data` (plain-text data patterns are not allowed for Kinesis).
    pub fn data(self, path: impl Into<Path>) -> Field<KinesisFilter> {
        self.payload(path)
    }
}

impl PayloadFilter<Kafka> {
    /// A field of the decoded JSON `value`.
    pub fn value(self, path: impl Into<Path>) -> Field<KafkaFilter> {
        self.payload(path)
    }

    /// The decoded `value` as plain text.
    pub fn value_text(self) -> Field<KafkaFilter> {
        self.payload_text()
    }
}

impl PayloadFilter<Mq> {
    /// A field of the decoded JSON `data`.
    pub fn data(self, path: impl Into<Path>) -> Field<MqFilter> {
        self.payload(path)
    }

    /// The decoded `data` as plain text.
    pub fn data_text(self) -> Field<MqFilter> {
        self.payload_text()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::ast::{FieldValue, Member as AstMember, Test};

    #[test]
    fn json_numbers() {
        for ok in ["0", "-0", "1", "-12", "1.5", "0.25", "1e5", "1E+5", "2.5e-3", "123456789012345678901234567890"] {
            assert!(is_json_number(ok), "{ok}");
            assert_eq!(ok.parse::<Number>().unwrap().as_str(), Some(ok));
        }
        for bad in ["", "-", "01", "1.", ".5", "+1", "1e", "1e+", "NaN", "inf", "0x10", "1 ", " 1", "--1", "1.5.5"] {
            assert!(!is_json_number(bad), "{bad:?}");
            let err = bad.parse::<Number>().unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Json);
        }
    }

    #[test]
    fn float_spellings() {
        assert_eq!(Number::from(1.0).to_string(), "1.0");
        assert_eq!(Number::from(0.1).to_string(), "0.1");
        assert_eq!(Number::from(-0.0).to_string(), "-0.0");
        assert_eq!(Number::from(1e300).to_string(), "1e300");
        assert_eq!(Number::from(1.5e-7).to_string(), "1.5e-7");
        assert_eq!(Number::from(0.1f32).to_string(), "0.1");
        assert_eq!(Number::from(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(Number::from(i128::MIN).to_string(), i128::MIN.to_string());
        for v in [1.0, 0.1, -0.0, 1e300, 1.5e-7, f64::MAX, f64::MIN_POSITIVE, 5e-324] {
            let text = Number::from(v).to_string();
            assert!(is_json_number(&text), "{text}");
            assert_eq!(text.parse::<f64>().unwrap().to_bits(), v.to_bits());
        }
        assert_eq!(Number::from(f64::NAN).to_string(), "NaN");
        assert_eq!(Number::from(f64::INFINITY).to_string(), "Infinity");
        assert_eq!(Number::from(f32::NEG_INFINITY).to_string(), "-Infinity");
        assert_eq!(Number::from(f64::NAN).as_str(), None);
    }

    #[test]
    fn string_escapes() {
        let mut w = Writer::default();
        w.string("a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}é\u{2028}😀/");
        assert_eq!(w.out, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0000\\u001f\u{7f}é\u{2028}😀/\"");
        let back: String = serde_json::from_str(&w.out).unwrap();
        assert_eq!(back, "a\"b\\c\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}é\u{2028}😀/");
    }

    #[test]
    fn every_control_character_round_trips() {
        let all: String = (0u32..0x20).filter_map(char::from_u32).collect();
        let draft = pattern().field(all.as_str()).equals(all.as_str());
        let json = draft.to_json();
        assert!(!json.bytes().any(|b| b < 0x20), "{json:?}");
        let p = draft.build().unwrap();
        let AstMember::Field { key, value: FieldValue::Leaf { conditions, .. }, .. } = &p.ast().members[0] else {
            panic!("{json}")
        };
        assert_eq!(key, &all);
        assert_eq!(conditions[0].test, Test::String(all.clone()));
    }

    #[test]
    fn paths_split_at_dots_and_merge() {
        let draft = pattern()
            .field("a.b")
            .equals(1)
            .field(["a", "b"])
            .equals(2)
            .field(["a.b"])
            .prefix("x")
            .field(vec!["a".to_string(), "c".to_string()])
            .exists(true);
        assert_eq!(draft.to_json(), r#"{"a":{"b":[1,2,{"prefix":"x"}],"c":[{"exists":true}]}}"#);
        assert_eq!(Path::from("a..b").dotted(), "a..b");
        assert_eq!(Path::from(Vec::<String>::new()).dotted(), "");
        assert_eq!(pattern().field("").equals(1).to_json(), r#"{"":[1]}"#);
    }

    #[test]
    fn leaf_and_object_at_one_key_both_render() {
        let draft = pattern().field("a").equals("x").field("a.b").equals("y");
        assert_eq!(draft.to_json(), r#"{"a":["x"],"a":{"b":["y"]}}"#);
        let p = draft.build().unwrap();
        assert_eq!(p.paths().count(), 2);
    }

    #[test]
    fn every_operator_renders() {
        let draft = pattern().field("x").conditions([
            Condition::equals("s"),
            Condition::equals(1),
            Condition::equals(2.5),
            Condition::equals(true),
            Condition::equals(Literal::Null),
            Condition::equals(None::<&str>),
            Condition::prefix("p"),
            Condition::prefix_ignore_case("pi"),
            Condition::suffix("s"),
            Condition::suffix_ignore_case("si"),
            Condition::equals_ignore_case("e"),
            Condition::wildcard("a*b"),
            Condition::cidr("10.0.0.0/24"),
            Condition::exists(false),
            Condition::numeric(Numeric::eq(5)),
            Condition::anything_but(AnythingBut::suffix(".tmp")),
            Condition::anything_but(AnythingBut::equals_ignore_case_any(["a", "B"])),
            Condition::anything_but(AnythingBut::wildcard("*/x")),
            Condition::anything_but(AnythingBut::wildcards(["*/y"])),
            Condition::anything_but(AnythingBut::prefix("tmp")),
            Condition::anything_but(AnythingBut::suffixes(["a"])),
            Condition::anything_but(AnythingBut::equals_ignore_case("n")),
            Condition::anything_but(vec![1.5, 2.0]),
        ]);
        assert_eq!(
            draft.to_json(),
            concat!(
                r#"{"x":["s",1,2.5,true,null,null,{"prefix":"p"},{"prefix":{"equals-ignore-case":"pi"}},"#,
                r#"{"suffix":"s"},{"suffix":{"equals-ignore-case":"si"}},{"equals-ignore-case":"e"},"#,
                r#"{"wildcard":"a*b"},{"cidr":"10.0.0.0/24"},{"exists":false},{"numeric":["=",5]},"#,
                r#"{"anything-but":{"suffix":".tmp"}},{"anything-but":{"equals-ignore-case":["a","B"]}},"#,
                r#"{"anything-but":{"wildcard":"*/x"}},{"anything-but":{"wildcard":["*/y"]}},"#,
                r#"{"anything-but":{"prefix":"tmp"}},{"anything-but":{"suffix":["a"]}},"#,
                r#"{"anything-but":{"equals-ignore-case":"n"}},{"anything-but":[1.5,2.0]}]}"#,
            )
        );
        draft.build().unwrap();
        let err = draft.build_with(Pattern::builder().dialect(Dialect::LambdaEsm)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::OperatorNotInDialect);
    }

    #[test]
    fn numeric_bounds_render_lower_first() {
        let render = |n: Numeric| pattern().field("n").numeric(n).to_json();
        assert_eq!(render(Numeric::lt(10).and_gt(0)), r#"{"n":[{"numeric":[">",0,"<",10]}]}"#);
        assert_eq!(render(Numeric::le(10).and_ge(-1.5)), r#"{"n":[{"numeric":[">=",-1.5,"<=",10]}]}"#);
        assert_eq!(render(Numeric::between(1, 2)), r#"{"n":[{"numeric":[">=",1,"<=",2]}]}"#);
        assert_eq!(render(Numeric::ge(3)), r#"{"n":[{"numeric":[">=",3]}]}"#);
        // Invalid combinations are the parser's to report, with AWS's reasons.
        let err = pattern().field("n").numeric(Numeric::gt(1).and_gt(2)).build().unwrap_err();
        assert_eq!((err.kind(), err.reason()), (ErrorKind::InvalidNumeric, "Bad numeric range operator: >"));
        let err = pattern().field("n").numeric(Numeric::between(5, 5)).build().unwrap_err();
        assert_eq!(err.reason(), "Bottom must be less than top");
    }

    #[test]
    fn non_finite_numbers_fail_at_build() {
        let draft = pattern().field("a").equals("ok").field("b").numeric(Numeric::gt(f64::NAN));
        assert_eq!(draft.to_json(), r#"{"a":["ok"],"b":[{"numeric":[">",NaN]}]}"#);
        let err = draft.build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Json);
        assert_eq!(err.reason(), "NaN is not a JSON number: numbers in a pattern must be finite");
        let at = draft.to_json().find("NaN").unwrap();
        assert_eq!(err.span(), Span::new(at, at + 3));
        assert_eq!((err.line(), err.column()), (1, at + 1));
        assert!(format!("{err:#}").ends_with(&format!("| {}^^^", " ".repeat(at))), "{err:#}");

        let err = dynamodb().new_image("n").n().equals(f64::INFINITY).build().unwrap_err();
        assert_eq!(err.reason(), "\"Infinity\" is not a JSON number: numbers in a pattern must be finite");
        let err = pattern().field("a").anything_but([1.0, f64::NEG_INFINITY]).build().unwrap_err();
        assert_eq!(err.reason(), "-Infinity is not a JSON number: numbers in a pattern must be finite");
    }

    #[test]
    fn validation_is_the_parsers() {
        let err = pattern().build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::EmptyObject);
        let err = pattern().field("a").any_of(Vec::<&str>::new()).build().unwrap_err();
        assert_eq!((err.kind(), err.column()), (ErrorKind::EmptyArray, 6));
        let err = pattern().or([pattern().field("a").equals(1)]).build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidOr);
        let err = pattern().field("a").anything_but(["x", "y"]).field("b").anything_but([Literal::Null]).build();
        assert_eq!(err.unwrap_err().kind(), ErrorKind::InvalidAnythingBut);
        let err = pattern().field("ip").cidr("10.0.0.0/33").build().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidCidr);
    }

    #[test]
    fn two_ors_are_both_kept() {
        let draft = pattern()
            .or([pattern().field("a").equals(1), pattern().field("b").equals(1)])
            .or([pattern().field("c").equals(1), pattern().field("d").equals(1)]);
        assert_eq!(draft.to_json(), r#"{"$or":[{"a":[1]},{"b":[1]}],"$or":[{"c":[1]},{"d":[1]}]}"#);
        let p = draft.build().unwrap();
        assert_eq!(p.branch_count(), 4);
        assert!(p.matches(r#"{"a":1,"d":1}"#).unwrap());
        assert!(!p.matches(r#"{"a":1,"b":1}"#).unwrap());
    }

    #[test]
    fn dynamodb_typed_accessors() {
        let f = dynamodb()
            .keys("pk")
            .b()
            .equals("AAE=")
            .new_image("flag")
            .bool()
            .equals(false)
            .new_image("gone")
            .null()
            .equals(true)
            .new_image("nums")
            .ns()
            .any_of([1, 2])
            .new_image("bin")
            .bs()
            .exists()
            .new_image("list")
            .l()
            .m("k")
            .n()
            .not_exists()
            .old_image("s")
            .s()
            .not_exists();
        assert_eq!(
            f.to_json(),
            concat!(
                r#"{"dynamodb":{"Keys":{"pk":{"B":["AAE="]}},"NewImage":{"flag":{"BOOL":[false]},"gone":{"NULL":[true]},"#,
                r#""nums":{"NS":["1","2"]},"bin":{"BS":[{"exists":true}]},"list":{"L":{"M":{"k":{"N":[{"exists":false}]}}}}},"#,
                r#""OldImage":{"s":{"S":[{"exists":false}]}}}}"#
            )
        );
        f.build().unwrap();
    }

    #[test]
    fn payload_sources() {
        assert_eq!(sqs().source(), Source::Sqs);
        assert_eq!(kinesis().source(), Source::Kinesis);
        assert_eq!(
            kafka().value("device.id").prefix("AB").to_json(),
            r#"{"value":{"device":{"id":[{"prefix":"AB"}]}}}"#
        );
        assert_eq!(
            kinesis().field("partitionKey").equals("k1").data("a").equals(1).to_json(),
            r#"{"partitionKey":["k1"],"data":{"a":[1]}}"#
        );
        let f = mq().or([mq().data_text().prefix("A"), mq().data_text().prefix("B")]);
        assert_eq!(f.to_json(), r#"{"$or":[{"data":[{"prefix":"A"}]},{"data":[{"prefix":"B"}]}]}"#);
        f.build().unwrap();
        assert!(format!("{:?}", sqs().body("x").equals(1)).contains("Sqs"));
        assert_eq!(sqs().body_text().equals("x").to_string(), r#"{"body":["x"]}"#);
    }
}
