//! Matching: the single-pattern [`Pattern`] and the evaluation of compiled branches against an
//! event's leaf occurrences.

pub(crate) mod eval;
mod explain;
mod pattern;

pub use explain::{BranchExplanation, Explanation, FieldExplanation, ValueSeen};
pub use pattern::{Pattern, PatternBuilder};
