//! The strict read of a small JSON value in one loop: what [`reader::read_value_into`] runs first.
//!
//! The reader ([`super::reader`]) goes value by value through calls, which on a record of a few
//! dozen short tokens (a Kinesis payload, an SQS body) cost more than the tokens. This loop keeps
//! the open containers on a stack and the position in a local. It gives up on what it does not
//! handle (escapes, invalid JSON, too deep), and the reader reads the value again for the error.

use super::reader::{Leaves, Raw, Target};
use super::trie::{self, NodeId, PathTrie};
use crate::lex::{self, string_run_inline};

/// An unreferenced container is checked by [`lex::skip_valid`] (one call, a tighter loop) when at
/// least this many bytes remain, and by this loop otherwise (a call costs more than a small
/// container: a Kinesis payload's `{"lat": …, "lon": …}`).
const SKIP_VALID_REST: usize = 256;

/// An open container of [`read_flat`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Frame {
    /// An object, and the node its keys step from (`None`: no member is referenced).
    Object(Option<NodeId>),
    /// An array, and the target of its elements (never [`Target::Skip`]: an unreferenced array is
    /// checked whole by [`lex::skip_valid`]). Its current element's step is on top of the stack.
    Array(Target),
}

/// The strict read of [`read_value_into`] in one loop with no recursion: the open containers on a
/// stack of [`Frame`]s, the position in a local. The same leaves, in the same order, with the same
/// trails, as the reader's; unreferenced containers are checked by [`lex::skip_valid`] as the
/// reader checks them. `None` for anything it does not handle: a string or key with an escape
/// (it stops at the backslash: unescaping is the reader's), invalid JSON, a container deeper
/// than `max_depth`. The caller then drops what this pushed and reads `text` with the reader, which
/// gives the error and its position. A small record (a Kinesis payload, an SQS body) is a few
/// dozen tokens, and there the reader's calls per value cost more than the tokens themselves.
pub(crate) fn read_flat(
    text: &str,
    paths: &PathTrie,
    target: Target,
    depth: usize,
    max_depth: usize,
    out: &mut Leaves,
    frames: &mut Vec<Frame>,
) -> Option<()> {
    // A local the loop owns (its length stays in a register), returned for its memory.
    let mut open = std::mem::take(frames);
    open.clear();
    let read = flat_loop(text, paths, target, depth, max_depth, out, &mut open);
    *frames = open;
    read
}

thread_local! {
    /// The frames of [`read_flat_here`].
    static FRAMES: std::cell::RefCell<Vec<Frame>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`read_flat`] with this thread's frames (a reentrant call gets fresh ones).
pub(crate) fn read_flat_here(
    text: &str,
    paths: &PathTrie,
    target: Target,
    depth: usize,
    max_depth: usize,
    out: &mut Leaves,
) -> Option<()> {
    FRAMES.with(|cell| match cell.try_borrow_mut() {
        Ok(mut frames) => read_flat(text, paths, target, depth, max_depth, out, &mut frames),
        Err(_) => read_flat(text, paths, target, depth, max_depth, out, &mut Vec::new()),
    })
}

/// A key at `i` (its opening quote) in an object whose keys step from `node`, and its colon: the
/// offset of its value and the value's target.
#[inline(always)]
fn flat_key(b: &[u8], i: usize, node: Option<NodeId>, paths: &PathTrie) -> Option<(usize, Target)> {
    if b.get(i) != Some(&b'"') {
        return None;
    }
    let end = string_run_inline(b, i + 1, true);
    if b.get(end) != Some(&b'"') {
        return None;
    }
    let colon = lex::skip_ws(b, end + 1);
    if b.get(colon) != Some(&b':') {
        return None;
    }
    let target = match node {
        Some(n) => {
            let key = &b[i + 1..end];
            // The key's first eight bytes in one load from the text, which goes on past a short key.
            let head = match b.get(i + 1..i + 9) {
                Some(w) if key.len() >= 8 => u64::from_le_bytes(w.try_into().expect("8 bytes")),
                Some(w) => u64::from_le_bytes(w.try_into().expect("8 bytes")) & ((1u64 << (8 * key.len())) - 1),
                None => trie::head(key),
            };
            match paths.may_step(n, key).then(|| paths.step_with_head(n, key, head)).flatten() {
                Some((c, _)) => match paths.leaf(c) {
                    Some(id) => Target::Leaf(id, c),
                    None => Target::Descend(c),
                },
                None => Target::Skip,
            }
        }
        None => Target::Skip,
    };
    Some((lex::skip_ws(b, colon + 1), target))
}

fn flat_loop(
    text: &str,
    paths: &PathTrie,
    mut target: Target,
    mut depth: usize,
    max_depth: usize,
    out: &mut Leaves,
    frames: &mut Vec<Frame>,
) -> Option<()> {
    let b = text.as_bytes();
    let mut arrays = 0u32;
    let mut i = lex::skip_ws(b, 0);
    loop {
        // A value at `i`, at `depth`, read for `target`.
        let leaf = match target {
            Target::Leaf(id, _) => Some(id),
            _ => None,
        };
        match *b.get(i)? {
            open @ (b'{' | b'[') => {
                if depth > max_depth {
                    return None;
                }
                if matches!(target, Target::Skip) && b.len() - i >= SKIP_VALID_REST {
                    // Unreferenced, in a large event: the container may be large (a CityLots
                    // `geometry`), and the validating skip costs less per token than this loop.
                    i = lex::skip_valid(b, i, (max_depth + 1).saturating_sub(depth))?;
                } else if open == b'{' {
                    let node = match target {
                        Target::Descend(n) | Target::Leaf(_, n) if paths.descends(n) => Some(n),
                        _ => None,
                    };
                    i = lex::skip_ws(b, i + 1);
                    if b.get(i) == Some(&b'}') {
                        i += 1;
                    } else {
                        frames.push(Frame::Object(node));
                        depth += 1;
                        (i, target) = flat_key(b, i, node, paths)?;
                        continue;
                    }
                } else {
                    // Every referenced array has an id, the empty ones too, as the reader numbers them.
                    let tracked = !matches!(target, Target::Skip);
                    let id = arrays;
                    arrays += u32::from(tracked);
                    i = lex::skip_ws(b, i + 1);
                    if b.get(i) == Some(&b']') {
                        i += 1;
                    } else {
                        frames.push(Frame::Array(target));
                        if tracked {
                            out.stack.push((id, 0));
                        }
                        depth += 1;
                        continue;
                    }
                }
            }
            b'"' => {
                let end = string_run_inline(b, i + 1, true);
                if b.get(end) != Some(&b'"') {
                    return None;
                }
                if let Some(id) = leaf {
                    out.push_plain(id, Raw::String(i as u32 + 1, end as u32));
                }
                i = end + 1;
            }
            b'-' | b'0'..=b'9' => {
                let end = lex::number(b, i).ok()?;
                if let Some(id) = leaf {
                    match small_integer(&b[i..end]) {
                        Some(x) => out.push_number(id, Raw::Number(i as u32, end as u32), x),
                        None => out.push_here(id, Raw::Number(i as u32, end as u32), text),
                    }
                }
                i = end;
            }
            b't' if b[i..].starts_with(b"true") => {
                if let Some(id) = leaf {
                    out.push_plain(id, Raw::Bool(true));
                }
                i += 4;
            }
            b'f' if b[i..].starts_with(b"false") => {
                if let Some(id) = leaf {
                    out.push_plain(id, Raw::Bool(false));
                }
                i += 5;
            }
            b'n' if b[i..].starts_with(b"null") => {
                if let Some(id) = leaf {
                    out.push_plain(id, Raw::Null);
                }
                i += 4;
            }
            _ => return None,
        }
        // After a value: close containers until one goes on (or the first value is done).
        loop {
            i = lex::skip_ws(b, i);
            let Some(&frame) = frames.last() else {
                return (i == b.len()).then_some(());
            };
            match (*b.get(i)?, frame) {
                (b',', Frame::Object(node)) => {
                    (i, target) = flat_key(b, lex::skip_ws(b, i + 1), node, paths)?;
                    break;
                }
                (b',', Frame::Array(t)) => {
                    if !matches!(t, Target::Skip) {
                        out.stack.last_mut()?.1 += 1;
                    }
                    target = t;
                    i = lex::skip_ws(b, i + 1);
                    break;
                }
                (b'}', Frame::Object(_)) => {
                    frames.pop();
                    depth -= 1;
                    i += 1;
                }
                (b']', Frame::Array(t)) => {
                    frames.pop();
                    if !matches!(t, Target::Skip) {
                        out.stack.pop();
                    }
                    depth -= 1;
                    i += 1;
                }
                _ => return None,
            }
        }
    }
}

/// The value of a number token of at most 15 digits and no fraction or exponent (a count, an id,
/// a quantity: what a small record's numbers mostly are), exactly as [`crate::compile::number`]
/// parses it (every such integer is a double); `None` for any other token. A few instructions where
/// the general parse costs about a hundred.
#[inline(always)]
fn small_integer(token: &[u8]) -> Option<f64> {
    let (negative, digits) = match token.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, token),
    };
    if digits.len() > 15 {
        return None;
    }
    let mut v = 0u64;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    let x = v as f64;
    Some(if negative { -x } else { x })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::reader::{read, read_by_reader, read_value_into, read_value_slow, Leaf, Step};
    use crate::event::trie::ROOT;
    use crate::event::ReadMode;
    use proptest::prelude::*;

    /// JSON text over a few keys that collide on purpose (dotted, empty, escaped, repeated), with
    /// scalars valid and not, nested a few levels, in arrays too.
    fn json_text() -> impl Strategy<Value = String> {
        let scalar = prop::sample::select(vec![
            "0",
            "-1.5e3",
            "12",
            "7.25",
            "true",
            "false",
            "null",
            "\"\"",
            "\"v\"",
            "\"a.b\"",
            "\"x\\\"y\"",
            "\"\\u00e9\"",
            "01",
            "1.",
            "-",
            "tru",
            "\"open",
            "\"\u{1}\"",
            "nul",
        ])
        .prop_map(str::to_string);
        scalar.prop_recursive(5, 40, 4, |inner| {
            let key = prop::sample::select(vec!["a", "b", "c", "a.b", "b.c", "", "x", "\\u0061", "a.", "bb"]);
            let ws = prop::sample::select(vec!["", " ", "\n", "\t "]);
            prop_oneof![
                (prop::collection::vec((key, inner.clone(), ws.clone()), 0..4), prop::bool::weighted(0.97)).prop_map(
                    |(members, close)| {
                        let body: Vec<String> =
                            members.into_iter().map(|(k, v, w)| format!("{w}\"{k}\"{w}:{w}{v}{w}")).collect();
                        format!("{{{}{}", body.join(","), if close { "}" } else { "" })
                    }
                ),
                (prop::collection::vec((inner, ws), 0..4), prop::bool::weighted(0.97)).prop_map(|(items, close)| {
                    let body: Vec<String> = items.into_iter().map(|(v, w)| format!("{w}{v}{w}")).collect();
                    format!("[{}{}", body.join(","), if close { "]" } else { "" })
                }),
            ]
        })
    }

    fn leaves(out: &Leaves) -> Vec<(u32, Raw, u64, Vec<Step>)> {
        out.leaves.iter().map(|l| (l.path, l.raw, l.number.to_bits(), out.trail(l).to_vec())).collect()
    }

    #[test]
    fn skipped_arrays_take_no_id() {
        let trie = PathTrie::new(["a"]);
        let text = r#"{"x": [1, [2]], "a": [1, {"b": []}], "a": [[3]]}"#;
        let (mut slow, mut fast) = (Leaves::default(), Leaves::default());
        read_value_slow(text, &trie, Target::Descend(ROOT), 2, 10, &mut slow).unwrap();
        read_flat(text, &trie, Target::Descend(ROOT), 2, 10, &mut fast, &mut Vec::new()).unwrap();
        assert_eq!(leaves(&fast), leaves(&slow));
        assert_eq!(
            leaves(&fast).iter().map(|l| l.3.clone()).collect::<Vec<_>>(),
            vec![vec![(0, 0)], vec![(1, 0), (2, 0)]]
        );
    }

    #[test]
    fn small_integers_parse_as_the_number_module_does() {
        for t in ["0", "-0", "7", "-7", "40", "123456789012345", "-999999999999999", "1765000000001"] {
            let general = crate::compile::number::finite(t).unwrap();
            assert_eq!(small_integer(t.as_bytes()).map(f64::to_bits), Some(general.to_bits()), "{t}");
        }
        for t in ["1.5", "1e3", "-2E-1", "1234567890123456", "-1234567890123456", "0.0"] {
            assert_eq!(small_integer(t.as_bytes()), None, "{t}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        /// Any integer token of up to 15 digits parses to the general parse's double.
        #[test]
        fn small_integer_equals_the_general_parse(v in -999_999_999_999_999i64..=999_999_999_999_999) {
            let t = v.to_string();
            let general = crate::compile::number::finite(&t).unwrap();
            prop_assert_eq!(small_integer(t.as_bytes()).map(f64::to_bits), Some(general.to_bits()));
        }

        /// The one-loop strict read gives the reader's leaves, trails and verdict on valid text, and
        /// gives up (for the reader to report the error) on everything else.
        #[test]
        fn flat_read_equals_the_reader(
            text in json_text(),
            paths in prop::collection::vec(
                prop::sample::select(vec!["a", "b", "c", "a.b", "a.c", "b.c.a", "x.a", "a.b.c", "", "bb.a"]),
                0..5,
            ),
            referenced: bool,
            max_depth in 2usize..8,
            lead in prop::sample::select(vec!["", " ", "\n "]),
        ) {
            let text = format!("{lead}{text}{lead}");
            let trie = PathTrie::new(paths.iter().copied());
            let target = if referenced { Target::Descend(ROOT) } else { Target::Skip };
            let mut slow = Leaves::default();
            let expected = read_value_slow(&text, &trie, target, 2, max_depth, &mut slow);
            let mut fast = Leaves::default();
            // A leaf left from before stays: the read appends.
            fast.leaves.push(Leaf { path: 99, raw: Raw::Null, number: f64::NAN, trail: (0, 0) });
            let got = read_flat(&text, &trie, target, 2, max_depth, &mut fast, &mut vec![Frame::Object(None)]);
            match (&expected, got) {
                (Ok(()), Some(())) => {
                    prop_assert_eq!(fast.leaves[0].path, 99);
                    fast.leaves.remove(0);
                    prop_assert_eq!(leaves(&fast), leaves(&slow), "{}", text);
                    prop_assert!(fast.stack.is_empty());
                }
                (Ok(()), None) => prop_assert!(text.contains('\\'), "gave up on valid text without escapes: {}", text),
                (Err(_), None) => {}
                (Err(e), Some(())) => prop_assert!(false, "accepted what the reader rejects ({}): {}", e, text),
            }
            // A whole event read in `Strict` mode: the loop first, the reader on what it gives up.
            let event = format!("{lead}{{\"a\": {text}, \"x\": [{text}]}}");
            let mut by_reader = Leaves::default();
            let expected_event = read_by_reader(&event, &trie, max_depth, ReadMode::Strict, &mut by_reader);
            let mut by_read = Leaves::default();
            let got_event = read(&event, &trie, max_depth, ReadMode::Strict, &mut by_read);
            prop_assert_eq!(got_event.as_ref().map_err(|e| e.to_string()), expected_event.as_ref().map_err(|e| e.to_string()));
            prop_assert_eq!(leaves(&by_read), leaves(&by_reader), "{}", event);
            // And the entry point agrees with the reader whichever way it goes.
            let mut entry = Leaves::default();
            let node = referenced.then_some(ROOT);
            let result = read_value_into(&text, &trie, node, 2, max_depth, &mut entry, &mut Vec::new());
            prop_assert_eq!(result.is_ok(), expected.is_ok());
            if let Err(e) = &expected {
                prop_assert_eq!(result.unwrap_err().to_string(), e.to_string());
            } else {
                prop_assert_eq!(leaves(&entry), leaves(&slow));
            }
        }
    }
}
