//! Leaf occurrences of an event already parsed into a `serde_json::Value`.
//!
//! A `Value` cannot hold duplicate keys and keeps numbers as parsed, so literal-number matching falls
//! back to numeric equality (`300.0` may print as `300.0` but matches `[300]` all the same). Strings
//! and number texts are copied into the leaves' buffer.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::reader::{Leaves, Raw};
use super::trie::{NodeId, PathTrie, ROOT};
use crate::error::{Error, ErrorKind, Span};

/// Flattens `event` into `out` (cleared first); `max_depth` bounds nesting as for text.
pub(crate) fn read(event: &Json, paths: &PathTrie, max_depth: usize, out: &mut Leaves) -> Result<(), Error> {
    out.clear();
    let Json::Object(map) = event else {
        return Err(Error::new(ErrorKind::InvalidEvent, Span::default(), "event is not a JSON object", ""));
    };
    let mut w = Walker { paths, max_depth, arrays: 0, out };
    for (k, v) in map {
        w.member(ROOT, k, v, 2)?;
    }
    Ok(())
}

struct Walker<'p, 'o> {
    paths: &'p PathTrie,
    max_depth: usize,
    arrays: u32,
    out: &'o mut Leaves,
}

impl Walker<'_, '_> {
    fn member(&mut self, node: NodeId, key: &str, v: &Json, depth: usize) -> Result<(), Error> {
        match self.paths.step(node, key) {
            Some(child) => self.value(v, child, depth),
            None => Ok(()),
        }
    }

    fn value(&mut self, v: &Json, node: NodeId, depth: usize) -> Result<(), Error> {
        if matches!(v, Json::Object(_) | Json::Array(_)) && depth > self.max_depth {
            return Err(Error::new(
                ErrorKind::EventTooDeep,
                Span::default(),
                format!("event nests deeper than {} levels", self.max_depth),
                "",
            ));
        }
        let leaf = match v {
            Json::Array(items) => {
                let array = self.arrays;
                self.arrays += 1;
                for (i, item) in items.iter().enumerate() {
                    self.out.stack.push((array, i as u32));
                    let r = self.value(item, node, depth + 1);
                    self.out.stack.pop();
                    r?;
                }
                return Ok(());
            }
            Json::Object(map) => {
                if self.paths.descends(node) {
                    for (k, v) in map {
                        self.member(node, k, v, depth + 1)?;
                    }
                }
                return Ok(());
            }
            // A scalar: recorded only at a referenced leaf path (nothing is copied otherwise).
            _ => match self.paths.leaf(node) {
                Some(id) => id,
                None => return Ok(()),
            },
        };
        let raw = match v {
            Json::Null => Raw::Null,
            Json::Bool(b) => Raw::Bool(*b),
            Json::Number(n) => {
                let start = self.out.buf.len() as u32;
                let _ = write!(self.out.buf, "{n}");
                Raw::BufNumber(start, self.out.buf.len() as u32)
            }
            Json::String(s) => {
                let (s, e) = self.out.stash(s);
                Raw::Unescaped(s, e)
            }
            Json::Array(_) | Json::Object(_) => unreachable!("containers returned above"),
        };
        self.out.push_here(leaf, raw, "");
        Ok(())
    }
}
