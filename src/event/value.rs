//! Leaf occurrences of an event already parsed into a `serde_json::Value`.
//!
//! A `Value` cannot hold duplicate keys and keeps numbers as parsed, so literal-number matching falls
//! back to numeric equality (`300.0` may print as `300.0` but matches `[300]` all the same).

use std::borrow::Cow;

use serde_json::Value as Json;

use super::reader::{Leaves, Paths, Step, Value};
use crate::error::{Error, ErrorKind, Span};

/// Flattens `event` into `out`; `max_depth` bounds nesting as for text.
pub(crate) fn read<'a>(
    event: &'a Json,
    paths: &dyn Paths,
    max_depth: usize,
    out: &mut Leaves<'a>,
) -> Result<(), Error> {
    let Json::Object(map) = event else {
        return Err(Error::new(ErrorKind::InvalidEvent, Span::default(), "event is not a JSON object", ""));
    };
    let mut w = Walker { paths, max_depth, path: String::new(), trail: Vec::new(), arrays: 0, out };
    for (k, v) in map {
        w.member(k, v, 2)?;
    }
    Ok(())
}

struct Walker<'p, 'o, 'a> {
    paths: &'p dyn Paths,
    max_depth: usize,
    path: String,
    trail: Vec<Step>,
    arrays: u32,
    out: &'o mut Leaves<'a>,
}

impl<'a> Walker<'_, '_, 'a> {
    fn member(&mut self, key: &str, v: &'a Json, depth: usize) -> Result<(), Error> {
        let saved = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(key);
        let id = self.paths.leaf(&self.path);
        let descend = self.paths.descends(&self.path);
        let result = if id.is_some() || descend { self.value(v, id, descend, depth) } else { Ok(()) };
        self.path.truncate(saved);
        result
    }

    fn value(&mut self, v: &'a Json, id: Option<u32>, descend: bool, depth: usize) -> Result<(), Error> {
        if matches!(v, Json::Object(_) | Json::Array(_)) && depth > self.max_depth {
            return Err(Error::new(
                ErrorKind::EventTooDeep,
                Span::default(),
                format!("event nests deeper than {} levels", self.max_depth),
                "",
            ));
        }
        let leaf = match v {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Number(Cow::Owned(n.to_string())),
            Json::String(s) => Value::String(Cow::Borrowed(s)),
            Json::Array(items) => {
                let array = self.arrays;
                self.arrays += 1;
                for (i, item) in items.iter().enumerate() {
                    self.trail.push((array, i as u32));
                    let r = self.value(item, id, descend, depth + 1);
                    self.trail.pop();
                    r?;
                }
                return Ok(());
            }
            Json::Object(map) => {
                if descend {
                    for (k, v) in map {
                        self.member(k, v, depth + 1)?;
                    }
                }
                return Ok(());
            }
        };
        if let Some(id) = id {
            self.out.push(id, leaf, &self.trail);
        }
        Ok(())
    }
}
