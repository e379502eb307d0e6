//! eventsift compiles [Amazon EventBridge event patterns] into matchers and applies them to events
//! and stream records with AWS's exact semantics: the pattern language of EventBridge rules, Pipes
//! filters and AWS Lambda event-source-mapping filter criteria.
//!
//! [Amazon EventBridge event patterns]: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
//!
//! # Contents
//!
//! - [Should I use this?](#should-i-use-this)
//! - [Example](#example)
//! - [Matching semantics](#matching-semantics)
//! - [Errors](#errors)
//! - [Input safety](#input-safety)
//! - [Size limits](#size-limits)
//!
//! # Should I use this?
//!
//! Use it to test and validate EventBridge/Lambda filter patterns before you deploy them, and to
//! filter records in a consumer exactly as the service would. It is not an AWS client: it never calls
//! AWS.
//!
//! # Example
//!
//! ```
//! use eventsift::Pattern;
//!
//! let pattern = Pattern::new(r#"{
//!     "source": ["aws.ec2"],
//!     "detail": {
//!         "state": [{"anything-but": "terminated"}],
//!         "cpu": [{"numeric": [">=", 2, "<", 64]}]
//!     }
//! }"#)?;
//! assert!(pattern.matches(r#"{"source":"aws.ec2","detail":{"state":"running","cpu":8}}"#)?);
//! assert!(!pattern.matches(r#"{"source":"aws.ec2","detail":{"state":"terminated","cpu":8}}"#)?);
//!
//! // The same pattern against an already-parsed event:
//! let event = serde_json::json!({"source": "aws.ec2", "detail": {"state": "pending", "cpu": 2.0}});
//! assert!(pattern.matches_value(&event));
//! # Ok::<(), eventsift::Error>(())
//! ```
//!
//! # Matching semantics
//!
//! `grammar/PATTERNS.md` is the normative description, operator by operator. In short:
//!
//! - Fields of one object are AND'ed; values of one leaf array are OR'ed; `$or` ORs objects.
//! - An event array matches when any element matches, and one match never combines fields taken
//!   from different elements of the same array (array consistency).
//! - `{"a.b": …}` and `{"a": {"b": …}}` name the same path; a key given twice merges objects and the
//!   last value wins per leaf path.
//! - `[300]` matches `300`, `300.0` and `3.0e2`; numbers never match strings.
//! - `exists: false` holds where there is no leaf (objects are not leaves); `null` is a present leaf.
//!
//! # Errors
//!
//! Every problem is an [`Error`] with an [`ErrorKind`], a byte [`Span`], a line and column, and the
//! reason EventBridge gives where it gives one. `{:#}` renders the source line with carets.
//!
//! # Input safety
//!
//! Patterns and events are untrusted input. Nothing panics on bad input; nesting is bounded (so no
//! recursion can overflow the stack); wildcard matching is linear in the event string; `$or`
//! expansion and wildcard complexity are capped.
//!
//! # Size limits
//!
//! | limit | default | setting |
//! | --- | --- | --- |
//! | pattern length | 2,048 characters (EventBridge), 4,096 (Pipes, Lambda) | [`PatternBuilder::max_length`] |
//! | pattern nesting | 64 levels | [`PatternBuilder::max_depth`] |
//! | `$or` combinations | 1,000 | [`PatternBuilder::max_or_branches`] |
//! | wildcard complexity per field | 10 (event-ruler's measure) | [`PatternBuilder::max_wildcard_complexity`] |
//! | event nesting | 128 levels | [`PatternBuilder::max_event_depth`] |

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod compile;
mod error;
mod event;
pub mod lambda;
mod lex;
mod machine;
mod matcher;
pub mod reference;
#[cfg(feature = "proptest")]
pub mod strategy;
#[cfg(feature = "streams")]
pub mod streams;
pub mod syntax;

pub use error::{Error, ErrorKind, Span};
pub use event::{ReadMode, DEFAULT_MAX_EVENT_DEPTH};
pub use lambda::Source;
pub use machine::{Machine, MachineBuilder, Matches, RuleId, Scratch, SharedMachine};
pub use matcher::{BranchExplanation, Explanation, FieldExplanation, Pattern, PatternBuilder, ValueSeen};
pub use syntax::dialect::Dialect;

/// Internals the crate's own benchmarks measure (`benches/numbers.rs`). Not part of the API: no
/// stability promise, may change or go in any release.
#[doc(hidden)]
pub mod __bench {
    /// The event reader's number parser (`src/compile/number.rs`): a finite JSON number's text to
    /// the correctly rounded double, or `None` when it overflows.
    pub fn parse_number(text: &str) -> Option<f64> {
        crate::compile::number::finite(text)
    }
}

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
