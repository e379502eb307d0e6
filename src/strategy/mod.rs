//! [`proptest`] strategies for property tests of code that uses event patterns (feature
//! `proptest`).
//!
//! * [`patterns`] / [`patterns_in`]: valid pattern text, across every operator the dialect allows.
//! * [`matching_events`] / [`non_matching_events`]: event JSON text that a *given* pattern accepts
//!   or rejects. The events are constructed, not found by filtering random events, so they work for
//!   narrow patterns too: exact ids, `[">", 5, "<", 5.0001]`, a `/32` CIDR, long prefixes.
//! * [`invalid_patterns`] / [`invalid_patterns_in`]: invalid pattern text with the
//!   [`ErrorKind`] that compiling it must report.
//! * [`records`]: Lambda event-source records (DynamoDB, Kinesis, SQS, Kafka, MQ) around a filter
//!   view, for code that consumes records.
//!
//! Everything shrinks to small, readable cases: short strings over a few letters, small numbers,
//! few fields.
//!
//! # Example: the events my filter accepts
//!
//! A consumer behind an EventBridge rule (or a Lambda filter) only ever sees events the rule
//! accepts, but those are more varied than the examples one writes by hand: a field may hold an
//! array of values, an object may sit inside an array, a path may be spelled with a dotted key. A
//! property test checks that the consumer copes with every event the rule lets through, and that
//! the rule keeps out what it should:
//!
//! ```
//! use eventsift::strategy::{matching_events, non_matching_events};
//! use eventsift::Pattern;
//! use proptest::prelude::*;
//! use serde_json::Value;
//!
//! const RULE: &str = r#"{
//!     "source": ["shop.orders"],
//!     "detail": {"total": [{"numeric": [">", 0, "<=", 10000]}], "currency": ["EUR", "USD"]}
//! }"#;
//!
//! /// The scalars at a dotted path, as a rule sees them: through arrays and dotted keys.
//! fn values<'v>(v: &'v Value, path: &str, out: &mut Vec<&'v Value>) {
//!     match v {
//!         Value::Array(items) => items.iter().for_each(|item| values(item, path, out)),
//!         Value::Object(members) => {
//!             for (key, child) in members {
//!                 if key == path {
//!                     values(child, "", out);
//!                 } else if let Some(rest) = path.strip_prefix(key.as_str()).and_then(|r| r.strip_prefix('.')) {
//!                     values(child, rest, out);
//!                 }
//!             }
//!         }
//!         scalar if path.is_empty() => out.push(scalar),
//!         _ => {}
//!     }
//! }
//!
//! /// The consumer: the order total in cents.
//! fn cents(event: &str) -> Option<u64> {
//!     let event: Value = serde_json::from_str(event).ok()?;
//!     let mut totals = Vec::new();
//!     values(&event, "detail.total", &mut totals);
//!     let total = totals.iter().filter_map(|t| t.as_f64()).find(|t| *t > 0.0 && *t <= 10000.0)?;
//!     Some((total * 100.0).round() as u64)
//! }
//!
//! let rule = Pattern::new(RULE).unwrap();
//! proptest!(ProptestConfig::with_cases(64), |(event in matching_events(&rule))| {
//!     prop_assert!(rule.matches(&event).unwrap());
//!     prop_assert!(cents(&event).is_some_and(|c| c > 0 && c <= 1_000_000), "{}", event);
//! });
//! proptest!(ProptestConfig::with_cases(64), |(event in non_matching_events(&rule))| {
//!     prop_assert!(!rule.matches(&event).unwrap());
//! });
//! ```
//!
//! (A first version of `cents` that read `event["detail"]["total"]` fails at once: the strategy
//! finds `{"detail": [{"total": 10000, "currency": "EUR"}]}`, which the rule accepts.)
//!
//! With [`EventOptions::plain`] and [`try_matching_events`] the events have no arrays, no dotted
//! keys and no unrelated fields.
//!
//! # How events are built
//!
//! The pattern's compiled branches (the `$or` combinations, after "last wins per leaf path") are
//! the plan. For a matching event one branch is chosen and each of its fields gets a value that one
//! of its conditions accepts: the prefix and a random tail, the wildcard with its stars filled, a
//! number inside the range (spelled `5`, `5.0` or `5e0`), an address inside the CIDR, a value
//! outside the `anything-but` list (or of another type), the same text in another case, nothing
//! for `exists: false`. For a non-matching event every branch gets one field that fails it (a near
//! miss where possible: a changed first character, a number just outside the range, the excluded
//! value; otherwise a missing field). The other branches' fields get values that some branch
//! wants, so that a non-matching event is usually one field away from matching. Then the event is
//! laid out with, depending on [`EventOptions`], dotted keys, values and objects inside arrays, and
//! unrelated fields. None of this changes the verdict: no array ever separates two values a branch
//! needs (SPEC §1.5), and unrelated fields use names that no pattern path starts with. Before an
//! event is returned, its values are checked field by field with the matcher's own value tests;
//! the filter this amounts to is a safety net that, in practice, rejects nothing.
//!
//! Case folding, numbers, `null` and types follow `grammar/PATTERNS.md`: `[300]` is matched with
//! `300.0` and `3e2`, never with `"300"`; `exists: true` is matched with `null` too. A near miss
//! can be one double away from a bound (`-126.50999999999999` for `"<=", -126.51`): read such
//! events with a correctly rounding parser (serde_json's default float parser is not; its
//! `float_roundtrip` feature is).

mod events;
mod invalid;
mod json;
mod pattern;
pub mod records;

use proptest::strategy::{BoxedStrategy, Strategy};

pub use events::EventOptions;

use crate::{Dialect, ErrorKind, Pattern};

/// Valid EventBridge pattern text: literals (strings, numbers, `true`, `false`, `null`), `prefix`,
/// `suffix`, `equals-ignore-case` (also inside prefix and suffix), `anything-but` in every form,
/// `numeric` (one bound and two-sided ranges), `cidr` (IPv4 and IPv6), `exists`, `wildcard`,
/// `$or`, nested objects, dotted and repeated keys. Values with a `"` at either end and leading-`*`
/// wildcards beside `equals-ignore-case` on one field are among them (the event-ruler 2.0.1
/// artefacts of SPEC §10).
///
/// ```
/// use eventsift::strategy::patterns;
/// use eventsift::Pattern;
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(32), |(text in patterns())| {
///     prop_assert!(Pattern::new(&text).is_ok(), "{}", text);
/// });
/// ```
pub fn patterns() -> BoxedStrategy<String> {
    patterns_in(Dialect::EventBridge)
}

/// Valid pattern text of a dialect: only the operators the dialect lists (`LambdaEsm` and `Pipes`
/// have no `wildcard` and no `anything-but` with an inner operator; `Pipes` has no `cidr`, which
/// `LambdaEsm` has (SPEC §10 FLAG-4, amended); `LambdaEsm` has no ignore-case `prefix`/`suffix`).
/// Every pattern compiles with `Pattern::builder().dialect(dialect).build(&text)`.
///
/// ```
/// use eventsift::strategy::patterns_in;
/// use eventsift::{Dialect, Pattern};
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(32), |(text in patterns_in(Dialect::LambdaEsm))| {
///     prop_assert!(!text.contains("wildcard"));
///     prop_assert!(Pattern::builder().dialect(Dialect::LambdaEsm).build(&text).is_ok());
/// });
/// proptest!(ProptestConfig::with_cases(32), |(text in patterns_in(Dialect::Pipes))| {
///     prop_assert!(!text.contains("wildcard") && !text.contains("cidr"));
///     prop_assert!(Pattern::builder().dialect(Dialect::Pipes).build(&text).is_ok());
/// });
/// ```
pub fn patterns_in(dialect: Dialect) -> BoxedStrategy<String> {
    let limit = dialect.default_max_length();
    pattern::object(dialect, 2, 3)
        .prop_map(|object| object.render())
        .prop_filter("within the dialect's length limit", move |text| text.chars().count() <= limit)
        .boxed()
}

/// Event JSON text that `pattern` matches, built with the default [`EventOptions`].
///
/// # Panics
///
/// When no event can match the pattern: every `$or` combination has a `numeric` range with no
/// double in it (such as `[">", 0, "<", 5e-324]`). Use [`try_matching_events`] to get `None`
/// instead.
///
/// ```
/// use eventsift::strategy::matching_events;
/// use eventsift::Pattern;
/// use proptest::prelude::*;
///
/// let pattern = Pattern::new(r#"{"ip": [{"cidr": "10.0.0.7/32"}], "n": [{"numeric": [">", 5, "<", 5.0001]}]}"#).unwrap();
/// proptest!(ProptestConfig::with_cases(32), |(event in matching_events(&pattern))| {
///     prop_assert!(pattern.matches(&event).unwrap(), "{}", event);
/// });
/// ```
pub fn matching_events(pattern: &Pattern) -> BoxedStrategy<String> {
    try_matching_events(pattern, &EventOptions::default())
        .unwrap_or_else(|| panic!("matching_events: no event matches {}", pattern.source()))
}

/// Event JSON text that `pattern` does not match, built with the default [`EventOptions`].
///
/// # Panics
///
/// When every event matches the pattern, e.g. `{"a": [{"exists": true}, {"exists": false}]}`. Use
/// [`try_non_matching_events`] to get `None` instead.
///
/// ```
/// use eventsift::strategy::non_matching_events;
/// use eventsift::Pattern;
/// use proptest::prelude::*;
///
/// let pattern = Pattern::new(r#"{"$or": [{"id": ["order-1"]}, {"kind": [{"prefix": "refund-"}]}]}"#).unwrap();
/// proptest!(ProptestConfig::with_cases(32), |(event in non_matching_events(&pattern))| {
///     prop_assert!(!pattern.matches(&event).unwrap(), "{}", event);
/// });
/// ```
pub fn non_matching_events(pattern: &Pattern) -> BoxedStrategy<String> {
    try_non_matching_events(pattern, &EventOptions::default())
        .unwrap_or_else(|| panic!("non_matching_events: every event matches {}", pattern.source()))
}

/// Like [`matching_events`], with options; `None` when no event matches the pattern.
///
/// ```
/// use eventsift::strategy::{try_matching_events, EventOptions};
/// use eventsift::Pattern;
/// use proptest::strategy::{Strategy, ValueTree};
/// use proptest::test_runner::TestRunner;
///
/// let pattern = Pattern::new(r#"{"detail": {"state": ["running"]}}"#).unwrap();
/// let events = try_matching_events(&pattern, &EventOptions::plain()).unwrap();
/// let event = events.new_tree(&mut TestRunner::default()).unwrap().current();
/// assert_eq!(event, r#"{"detail": {"state": "running"}}"#);
///
/// let empty = Pattern::new(r#"{"n": [{"numeric": [">", 0, "<", 5e-324]}]}"#).unwrap();
/// assert!(try_matching_events(&empty, &EventOptions::default()).is_none());
/// ```
pub fn try_matching_events(pattern: &Pattern, options: &EventOptions) -> Option<BoxedStrategy<String>> {
    events::matching(std::slice::from_ref(pattern), options)
}

/// Like [`non_matching_events`], with options; `None` when every event matches the pattern (as
/// far as the construction can tell: it tries absence and a broad set of values for each field).
///
/// ```
/// use eventsift::strategy::{try_non_matching_events, EventOptions};
/// use eventsift::Pattern;
///
/// let always = Pattern::new(r#"{"a": [{"exists": true}, {"exists": false}]}"#).unwrap();
/// assert!(try_non_matching_events(&always, &EventOptions::default()).is_none());
/// ```
pub fn try_non_matching_events(pattern: &Pattern, options: &EventOptions) -> Option<BoxedStrategy<String>> {
    events::non_matching(std::slice::from_ref(pattern), options)
}

/// Invalid EventBridge pattern text with the [`ErrorKind`] that compiling it with default options
/// must report. Most cases are one bad member (at the top, nested, or in an `$or` branch) in an
/// otherwise valid pattern; the others are invalid JSON, a top level that is not an object, nesting
/// past the limit, text past the length limit and `$or` past 1,000 combinations.
/// `DuplicatePath` (which needs `reject_duplicate_paths`) is not generated.
///
/// ```
/// use eventsift::strategy::invalid_patterns;
/// use eventsift::Pattern;
/// use proptest::prelude::*;
///
/// proptest!(ProptestConfig::with_cases(32), |((text, kind) in invalid_patterns())| {
///     prop_assert_eq!(Pattern::new(&text).unwrap_err().kind(), kind, "{}", text);
/// });
/// ```
pub fn invalid_patterns() -> BoxedStrategy<(String, ErrorKind)> {
    invalid_patterns_in(Dialect::EventBridge)
}

/// Invalid pattern text of a dialect, with the [`ErrorKind`] that
/// `Pattern::builder().dialect(dialect).build(&text)` must report. In `Pipes` and `LambdaEsm` this
/// includes operators outside the dialect (`OperatorNotInDialect`).
pub fn invalid_patterns_in(dialect: Dialect) -> BoxedStrategy<(String, ErrorKind)> {
    invalid::invalid(dialect)
}
