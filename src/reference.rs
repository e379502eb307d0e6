//! The naive reference matcher: obviously correct, deliberately slow, and independent of the fast
//! paths. Tests keep every faster entry point in lock-step with it.
//!
//! It parses the whole event into a tree (with the pattern parser's JSON reader, which keeps
//! duplicate keys and number spellings), lists *every* leaf with its full dotted path and its array
//! trail, and tries every combination of leaves for each branch (SPEC §1.8), checking array
//! consistency pairwise. Value tests are written out plainly here rather than shared with the fast
//! matcher (wildcards use a dynamic-programming matcher, not the fast greedy one).
//!
//! ```
//! use eventsift::{reference, Pattern};
//!
//! let p = Pattern::new(r#"{"a": {"b": ["x"], "c": ["y"]}}"#)?;
//! // b and c come from different elements of one array: no match (array consistency).
//! assert!(!reference::matches(&p, r#"{"a": [{"b": "x", "c": "n"}, {"b": "n", "c": "y"}]}"#)?);
//! assert!(reference::matches(&p, r#"{"a": [{"b": "x", "c": "y"}]}"#)?);
//! # Ok::<(), eventsift::Error>(())
//! ```

use crate::compile::cidr::Cidr;
use crate::compile::fold::fold;
use crate::compile::ir::{AnythingBut, Branch, Matcher};
use crate::compile::number::{finite, NumberLit, Range};
use crate::error::{Error, ErrorKind};
use crate::syntax::json::{self, Kind, Node};
use crate::Pattern;

/// A leaf: full path, value node, trail of (array id, element index).
pub(crate) struct Leaf<'n, 'a> {
    pub path: String,
    pub value: &'n Node<'a>,
    pub trail: Vec<(usize, usize)>,
}

/// Does `event` (JSON text) match `pattern`, by exhaustive search?
pub fn matches(pattern: &Pattern, event: &str) -> Result<bool, Error> {
    let tree = parse_event(event, pattern.max_event_depth())?;
    let leaves = leaves(&tree);
    let compiled = pattern.compiled();
    Ok(compiled.branches.iter().any(|b| branch(b, &compiled.paths, &leaves)))
}

/// The event as a tree: an error unless it is a JSON object within the nesting limit.
pub(crate) fn parse_event(event: &str, max_depth: usize) -> Result<Node<'_>, Error> {
    let tree = json::parse(event, max_depth).map_err(|e| {
        let kind =
            if e.kind() == ErrorKind::NestingTooDeep { ErrorKind::EventTooDeep } else { ErrorKind::InvalidEvent };
        Error::new(kind, e.span(), e.reason().replace("pattern", "event"), event)
    })?;
    if !matches!(tree.kind, Kind::Object(_)) {
        return Err(Error::new(ErrorKind::InvalidEvent, tree.span, "event is not a JSON object", event));
    }
    Ok(tree)
}

/// Every leaf of the event tree, with its full path and array trail.
pub(crate) fn leaves<'n, 'a>(tree: &'n Node<'a>) -> Vec<Leaf<'n, 'a>> {
    let mut leaves = Vec::new();
    let mut arrays = 0;
    flatten(tree, None, &mut Vec::new(), &mut arrays, &mut leaves);
    leaves
}

/// `path` is `None` at the top level (so that a top-level key `""` still yields the path `""`, and
/// below it `".b"`).
fn flatten<'n, 'a>(
    node: &'n Node<'a>,
    path: Option<&str>,
    trail: &mut Vec<(usize, usize)>,
    arrays: &mut usize,
    out: &mut Vec<Leaf<'n, 'a>>,
) {
    match &node.kind {
        Kind::Object(members) => {
            for m in members {
                let child = match path {
                    None => m.key.to_string(),
                    Some(p) => format!("{p}.{}", m.key),
                };
                flatten(&m.value, Some(&child), trail, arrays, out);
            }
        }
        Kind::Array(items) => {
            let id = *arrays;
            *arrays += 1;
            for (i, item) in items.iter().enumerate() {
                trail.push((id, i));
                flatten(item, path, trail, arrays, out);
                trail.pop();
            }
        }
        _ => {
            if let Some(p) = path {
                out.push(Leaf { path: p.to_string(), value: node, trail: trail.clone() });
            }
        }
    }
}

/// Two leaves conflict when some array appears in both trails at different indices.
pub(crate) fn conflict(a: &Leaf<'_, '_>, b: &Leaf<'_, '_>) -> bool {
    a.trail.iter().any(|(array, i)| b.trail.iter().any(|(array2, j)| array == array2 && i != j))
}

pub(crate) fn branch(branch: &Branch, paths: &[Box<str>], leaves: &[Leaf<'_, '_>]) -> bool {
    let mut chosen: Vec<Option<usize>> = Vec::new();
    choose(branch, paths, leaves, 0, &mut chosen)
}

/// Tries every leaf (and absence, where allowed) for field `i`, then the rest.
fn choose(
    branch: &Branch,
    paths: &[Box<str>],
    leaves: &[Leaf<'_, '_>],
    i: usize,
    chosen: &mut Vec<Option<usize>>,
) -> bool {
    if i == branch.fields.len() {
        return absences_hold(branch, paths, leaves, chosen);
    }
    let field = &branch.fields[i];
    let path = &*paths[field.path];
    for (li, leaf) in leaves.iter().enumerate() {
        if leaf.path != path || !field.matchers.iter().any(|m| test(m, leaf.value)) {
            continue;
        }
        if chosen.iter().flatten().any(|&c| conflict(&leaves[c], leaf)) {
            continue;
        }
        chosen.push(Some(li));
        let ok = choose(branch, paths, leaves, i + 1, chosen);
        chosen.pop();
        if ok {
            return true;
        }
    }
    if field.absent_ok {
        chosen.push(None);
        let ok = choose(branch, paths, leaves, i + 1, chosen);
        chosen.pop();
        return ok;
    }
    false
}

/// Each field satisfied by absence has no leaf at its path that is consistent with every chosen leaf.
fn absences_hold(branch: &Branch, paths: &[Box<str>], leaves: &[Leaf<'_, '_>], chosen: &[Option<usize>]) -> bool {
    branch.fields.iter().zip(chosen).all(|(field, c)| {
        c.is_some()
            || !leaves.iter().any(|leaf| {
                leaf.path == *paths[field.path] && chosen.iter().flatten().all(|&c| !conflict(&leaves[c], leaf))
            })
    })
}

pub(crate) fn test(m: &Matcher, node: &Node<'_>) -> bool {
    let string = match &node.kind {
        Kind::String(s) => Some(&**s),
        _ => None,
    };
    let number = match &node.kind {
        Kind::Number(n) => Some(*n),
        _ => None,
    };
    match m {
        Matcher::Exists => true,
        Matcher::String(s) => string == Some(&**s),
        Matcher::Number(n) => number.is_some_and(|x| number_equal(n, x)),
        Matcher::Bool(b) => node.kind == Kind::Bool(*b),
        Matcher::Null => node.kind == Kind::Null,
        Matcher::Prefix(p) => string.is_some_and(|s| s.starts_with(&**p)),
        Matcher::Suffix(p) => string.is_some_and(|s| s.ends_with(&**p)),
        Matcher::PrefixIgnoreCase(p) => string.is_some_and(|s| fold(s).starts_with(&**p)),
        Matcher::SuffixIgnoreCase(p) => string.is_some_and(|s| fold(s).ends_with(&**p)),
        Matcher::EqualsIgnoreCase(p) => string.is_some_and(|s| fold(s) == **p),
        Matcher::Wildcard(w) => string.is_some_and(|s| wildcard_dp(&w.to_string(), s)),
        Matcher::Numeric(r) => number.is_some_and(|x| in_range(r, x)),
        Matcher::Cidr(c) => string.is_some_and(|s| cidr(c, s)),
        Matcher::AnythingBut(a) => !match a {
            AnythingBut::Strings(l) => string.is_some_and(|s| l.iter().any(|x| **x == *s)),
            AnythingBut::Numbers(l) => number.is_some_and(|x| l.iter().any(|n| number_equal(n, x))),
            AnythingBut::Prefixes(l) => string.is_some_and(|s| l.iter().any(|p| s.starts_with(&**p))),
            AnythingBut::Suffixes(l) => string.is_some_and(|s| l.iter().any(|p| s.ends_with(&**p))),
            AnythingBut::EqualsIgnoreCase(l) => string.is_some_and(|s| l.iter().any(|p| fold(s) == **p)),
            AnythingBut::Wildcards(l) => string.is_some_and(|s| l.iter().any(|w| wildcard_dp(&w.to_string(), s))),
        },
    }
}

fn number_equal(lit: &NumberLit, text: &str) -> bool {
    lit.text() == text || matches!((lit.value, finite(text)), (Some(a), Some(b)) if a == b)
}

fn in_range(r: &Range, text: &str) -> bool {
    let Some(v) = finite(text) else { return false };
    let low_ok = if r.low_open { v > r.low } else { v >= r.low };
    let high_ok = if r.high_open { v < r.high } else { v <= r.high };
    low_ok && high_ok
}

fn cidr(c: &Cidr, s: &str) -> bool {
    c.contains(s)
}

/// Wildcard matching by dynamic programming over (pattern position, input position). `pattern` is
/// in escaped form (`\*` literal star, `\\` literal backslash).
pub(crate) fn wildcard_dp(pattern: &str, s: &str) -> bool {
    // Tokens: None = star, Some(c) = literal.
    let mut tokens = Vec::new();
    let mut it = pattern.chars();
    while let Some(c) = it.next() {
        match c {
            '*' => tokens.push(None),
            '\\' => tokens.push(it.next()),
            c => tokens.push(Some(c)),
        }
    }
    let input: Vec<char> = s.chars().collect();
    // row[j]: tokens[..i] match input[..j]
    let mut row = vec![false; input.len() + 1];
    row[0] = true;
    for t in &tokens {
        let mut next = vec![false; input.len() + 1];
        match t {
            None => {
                let mut any = false;
                for j in 0..=input.len() {
                    any |= row[j];
                    next[j] = any;
                }
            }
            Some(c) => {
                for j in 1..=input.len() {
                    next[j] = row[j - 1] && input[j - 1] == *c;
                }
            }
        }
        row = next;
    }
    row[input.len()]
}
