//! A small JSON tree for building events and records: keys stay in order, numbers keep their
//! spelling (`3.0e2` stays `3.0e2`, which `serde_json::Value` would not keep), and rendering is
//! stable and readable (`{"a": [1, "x"]}`).

use crate::syntax::json::{Kind, Node};

/// A JSON value whose scalars are kept as JSON text.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Json {
    /// A scalar, as JSON text: `"x"`, `3.0e2`, `true`, `null`.
    Raw(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// A JSON string literal for `s` (quotes and escapes added).
pub(crate) fn quote(s: &str) -> String {
    serde_json::to_string(s).expect("a string always serialises")
}

impl Json {
    /// A JSON string.
    pub(crate) fn string(s: &str) -> Json {
        Json::Raw(quote(s))
    }

    /// Parses JSON text, keeping number spellings, key order and duplicate keys.
    pub(crate) fn parse(text: &str) -> Option<Json> {
        crate::syntax::json::parse(text, 4 * crate::DEFAULT_MAX_EVENT_DEPTH).ok().map(|n| Json::from_node(&n))
    }

    fn from_node(node: &Node<'_>) -> Json {
        match &node.kind {
            Kind::Null => Json::Raw("null".into()),
            Kind::Bool(b) => Json::Raw(b.to_string()),
            Kind::Number(n) => Json::Raw(n.to_string()),
            Kind::String(s) => Json::string(s),
            Kind::Array(items) => Json::Array(items.iter().map(Json::from_node).collect()),
            Kind::Object(members) => {
                Json::Object(members.iter().map(|m| (m.key.to_string(), Json::from_node(&m.value))).collect())
            }
        }
    }

    /// The value of the last member named `key`, when this is an object.
    pub(crate) fn get(&self, key: &str) -> Option<&Json> {
        match self {
            Json::Object(members) => members.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The string value, when this is a JSON string.
    pub(crate) fn as_str(&self) -> Option<String> {
        match self {
            Json::Raw(raw) if raw.starts_with('"') => serde_json::from_str(raw).ok(),
            _ => None,
        }
    }

    /// Renders the value as JSON text.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        self.render(&mut out);
        out
    }

    fn render(&self, out: &mut String) {
        match self {
            Json::Raw(raw) => out.push_str(raw),
            Json::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    item.render(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (i, (k, v)) in members.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&quote(k));
                    out.push_str(": ");
                    v.render(out);
                }
                out.push('}');
            }
        }
    }

    /// Every path of the value (objects, arrays and leaves alike), dot-joined as patterns see them;
    /// array elements add nothing to the path. `prefix` is the value's own path.
    pub(crate) fn paths(&self, prefix: Option<&str>, out: &mut Vec<String>) {
        if let Some(p) = prefix {
            out.push(p.to_string());
        }
        match self {
            Json::Raw(_) => {}
            Json::Array(items) => items.iter().for_each(|item| item.paths(prefix, out)),
            Json::Object(members) => {
                for (k, v) in members {
                    v.paths(Some(&join(prefix, k)), out);
                }
            }
        }
    }
}

/// The path of key `key` under the object at `prefix` (`None`: the top level).
pub(crate) fn join(prefix: Option<&str>, key: &str) -> String {
    match prefix {
        None => key.to_string(),
        Some(p) => format!("{p}.{key}"),
    }
}
