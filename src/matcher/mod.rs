//! Matching: the single-pattern [`Pattern`] and the evaluation of compiled branches against an
//! event's leaf occurrences.

pub(crate) mod eval;
mod pattern;

pub use pattern::{Pattern, PatternBuilder};
