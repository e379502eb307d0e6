//! Event reading: from event JSON (text or `serde_json::Value`) to the leaf occurrences that the
//! patterns refer to, with the array trails that array-consistent matching needs.

pub(crate) mod flat;
pub(crate) mod reader;

pub use reader::ReadMode;
pub(crate) mod trie;
pub(crate) mod value;

/// Default maximum nesting of an event (objects and arrays); deeper events are an error.
pub const DEFAULT_MAX_EVENT_DEPTH: usize = 128;
