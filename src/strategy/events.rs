//! Events built to match, or not to match, one compiled pattern.
//!
//! Construction works on the compiled branches (the `$or` cross product after "last wins per leaf
//! path"). Every pattern path gets a [`Slot`]: nothing, an object (which is not a leaf), or one or
//! more leaf values. The slots are then laid out as an event: paths are spelled nested or with dotted
//! keys, objects may be wrapped in arrays next to elements that hold only unrelated keys, and
//! unrelated fields are added under names that no pattern path starts with. None of this adds a leaf
//! at a pattern path or separates two leaves that a branch needs into different elements of one
//! array, so the verdict of the event is the verdict of its slots, which is decided per field.

use std::sync::Arc;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::strategy::Union;

use super::json::{join, quote, Json};
use crate::compile::cidr::Ip;
use crate::compile::fold::{fold, fold_char};
use crate::compile::ir::{AnythingBut, Branch, Field, Matcher};
use crate::compile::number::{finite, Range};
use crate::event::reader::Value;
use crate::matcher::eval::test;
use crate::Pattern;

/// How constructed events may be shaped. The default allows everything; [`EventOptions::plain`]
/// builds the simplest event for each case.
///
/// ```
/// use eventsift::strategy::EventOptions;
///
/// let mut options = EventOptions::default();
/// options.arrays = false;
/// assert!(options.dotted_keys && options.extra_fields);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EventOptions {
    /// Spell some paths with dotted keys (`{"a.b": 1}` for `{"a": {"b": 1}}`). Without it, dotted
    /// keys are still used where two pattern paths need them (a leaf at `a` and one at `a.b`).
    pub dotted_keys: bool,
    /// Put some values in arrays (next to other values) and some objects in arrays (next to
    /// objects that hold only unrelated fields).
    pub arrays: bool,
    /// Add fields that no pattern path reaches.
    pub extra_fields: bool,
}

impl Default for EventOptions {
    fn default() -> EventOptions {
        EventOptions { dotted_keys: true, arrays: true, extra_fields: true }
    }
}

impl EventOptions {
    /// No dotted keys (unless needed), no arrays, no extra fields.
    pub fn plain() -> EventOptions {
        EventOptions { dotted_keys: false, arrays: false, extra_fields: false }
    }
}

/// What the event holds at one pattern path.
#[derive(Clone, Debug)]
enum Slot {
    /// Nothing.
    Absent,
    /// An object holding one unrelated member with this value: not a leaf.
    Object(String),
    /// Leaf values (JSON text); `array` 0: one bare value, 1: an array, 2: an array in an array.
    Leaf { values: Vec<String>, array: u8 },
}

impl Slot {
    fn one(value: String) -> Slot {
        Slot::Leaf { values: vec![value], array: 0 }
    }
}

/// Calls `f` with the event-reader view of a scalar's JSON text.
fn with_value<R>(raw: &str, f: impl FnOnce(&Value<'_>) -> R) -> R {
    match raw {
        "null" => f(&Value::Null),
        "true" => f(&Value::Bool(true)),
        "false" => f(&Value::Bool(false)),
        _ if raw.starts_with('"') => {
            let s: String = serde_json::from_str(raw).expect("generated strings are valid JSON");
            f(&Value::String(&s))
        }
        _ => f(&Value::Number(raw, finite(raw).unwrap_or(f64::NAN))),
    }
}

fn leaf_satisfies(field: &Field, raw: &str) -> bool {
    with_value(raw, |v| field.matchers.iter().any(|m| test(m, v)))
}

fn satisfies(field: &Field, slot: &Slot) -> bool {
    match slot {
        Slot::Absent | Slot::Object(_) => field.absent_ok,
        Slot::Leaf { values, .. } => values.iter().any(|v| leaf_satisfies(field, v)),
    }
}

fn branch_holds(branch: &Branch, slots: &[Slot]) -> bool {
    branch.fields.iter().all(|f| satisfies(f, &slots[f.path]))
}

// ---------------------------------------------------------------------------------------------
// Values

/// Any scalar: short strings, small numbers, booleans, null.
pub(crate) fn any_scalar() -> BoxedStrategy<String> {
    prop_oneof![
        3 => "[a-z]{0,3}".prop_map(|s| quote(&s)),
        2 => (-9i64..100).prop_map(|n| n.to_string()),
        1 => select(vec!["true", "false", "null", "2.5", "\"\""]).prop_map(String::from),
    ]
    .boxed()
}

fn tail() -> BoxedStrategy<String> {
    "[a-z0-9]{0,3}".boxed()
}

/// Number text for a finite double: the shortest round-trip spelling, with an exponent for very
/// large or very small magnitudes.
pub(crate) fn number_text(v: f64) -> String {
    let a = v.abs();
    if a != 0.0 && !(1e-5..1e16).contains(&a) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// Other spellings of the same number: `300` as `300.0`, `3e2`, `300e0`.
fn respell(text: &str, style: u8) -> String {
    let plain = !text.contains(['.', 'e', 'E']);
    match style {
        1 if plain => format!("{text}.0"),
        2 if !text.contains(['e', 'E']) => format!("{text}e0"),
        3 => finite(text).map_or_else(|| text.to_string(), |v| format!("{v:e}")),
        _ => text.to_string(),
    }
}

/// A string whose characters fold to `folded` (which is already folded), with some in upper case.
fn case_variant(folded: &str, flips: &[bool]) -> String {
    folded
        .chars()
        .zip(flips.iter().copied().cycle().chain(std::iter::repeat(false)))
        .map(|(c, flip)| {
            let mut upper = c.to_uppercase();
            match (flip, upper.next(), upper.next()) {
                (true, Some(u), None) if fold_char(u) == c => u,
                _ => c,
            }
        })
        .collect()
}

fn flips() -> BoxedStrategy<Vec<bool>> {
    vec(any::<bool>(), 0..=4).boxed()
}

fn fill_wildcard(pieces: &[String], fills: &[String]) -> String {
    let mut s = String::new();
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            s.push_str(fills.get(i - 1).map_or("", String::as_str));
        }
        s.push_str(piece);
    }
    s
}

/// A finite double inside the range, if there is one.
fn range_witness(r: &Range) -> Option<f64> {
    let mut candidates = Vec::new();
    if !r.low_open {
        candidates.push(r.low);
    }
    if !r.high_open {
        candidates.push(r.high);
    }
    match (r.low.is_finite(), r.high.is_finite()) {
        (true, true) => candidates.extend([r.low / 2.0 + r.high / 2.0, r.low.next_up(), r.high.next_down()]),
        (true, false) => candidates.extend([r.low + 1.0, r.low.next_up()]),
        (false, true) => candidates.extend([r.high - 1.0, r.high.next_down()]),
        (false, false) => candidates.push(0.0),
    }
    candidates.into_iter().find(|v| v.is_finite() && r.contains(*v))
}

/// `v` with as few decimals as keep it inside the range (readable numbers in failures).
fn round_within(v: f64, r: &Range) -> f64 {
    (0..=6)
        .map(|digits| {
            let scale = 10f64.powi(digits);
            (v * scale).round() / scale
        })
        .find(|c| c.is_finite() && r.contains(*c))
        .unwrap_or(v)
}

fn in_range(r: Range) -> Option<BoxedStrategy<String>> {
    let witness = range_witness(&r)?;
    Some(
        (0u32..=64, 0u8..4)
            .prop_map(move |(t, style)| {
                let t = f64::from(t);
                let v = match (r.low.is_finite(), r.high.is_finite()) {
                    (true, true) => r.low + (r.high / 64.0 - r.low / 64.0) * t,
                    (true, false) => witness + t,
                    (false, true) => witness - t,
                    (false, false) => t - 32.0,
                };
                let v = if v.is_finite() && r.contains(v) { round_within(v, &r) } else { witness };
                respell(&number_text(v), style)
            })
            .boxed(),
    )
}

fn ip_text(ip: Ip, style: u8) -> String {
    match ip {
        Ip::V4(x) => std::net::Ipv4Addr::from(x).to_string(),
        Ip::V6(x) => {
            let a = std::net::Ipv6Addr::from(x);
            match style {
                1 => a.segments().iter().map(|g| format!("{g:04x}")).collect::<Vec<_>>().join(":"),
                2 => a.to_string().to_uppercase(),
                _ => a.to_string(),
            }
        }
    }
}

fn masked(base: Ip, bits: u32, host: u128) -> Ip {
    match base {
        Ip::V4(b) => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            Ip::V4((b & mask) | (host as u32 & !mask))
        }
        Ip::V6(b) => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            Ip::V6((b & mask) | (host & !mask))
        }
    }
}

/// A string made of `c` then a tail, where `c` is not the first character of any of `avoid`.
fn not_starting_with(avoid: &[Box<str>], rotate: usize, tail: &str, at_end: bool) -> Option<String> {
    const ALPHABET: &str = "xyzqw0_";
    let n = ALPHABET.chars().count();
    (0..n).map(|i| ALPHABET.chars().nth((i + rotate) % n).expect("in range")).find_map(|c| {
        let clash = avoid.iter().any(|p| if at_end { p.ends_with(c) } else { p.starts_with(c) });
        let s = if at_end { format!("{tail}{c}") } else { format!("{c}{tail}") };
        (!clash).then_some(s)
    })
}

/// Values of another type than the strings that a string-based `anything-but` excludes.
fn non_string() -> BoxedStrategy<String> {
    prop_oneof![(-9i64..100).prop_map(|n| n.to_string()), select(vec!["true", "false", "null"]).prop_map(String::from)]
        .boxed()
}

fn anything_but(a: &AnythingBut) -> BoxedStrategy<String> {
    let other = non_string();
    let same: BoxedStrategy<String> = match a.clone() {
        AnythingBut::Strings(l) => "[a-z]{0,3}"
            .prop_map(move |mut s| {
                while l.iter().any(|x| **x == *s) {
                    s.push('_');
                }
                quote(&s)
            })
            .boxed(),
        AnythingBut::Numbers(l) => {
            let strings = "[a-z0-9]{0,3}".prop_map(|s| quote(&s));
            let numbers = (-9i64..100).prop_map(move |mut n| {
                while l.iter().any(|x| x.text() == n.to_string() || x.value == Some(n as f64)) {
                    n += 1;
                }
                n.to_string()
            });
            let other = select(vec!["true", "false", "null"]).prop_map(String::from);
            return prop_oneof![2 => numbers, 1 => strings, 1 => other].boxed();
        }
        AnythingBut::Prefixes(l) => (tail(), 0usize..7)
            .prop_map(move |(t, r)| not_starting_with(&l, r, &t, false).map_or_else(|| "0".into(), |s| quote(&s)))
            .boxed(),
        AnythingBut::Suffixes(l) => (tail(), 0usize..7)
            .prop_map(move |(t, r)| not_starting_with(&l, r, &t, true).map_or_else(|| "0".into(), |s| quote(&s)))
            .boxed(),
        AnythingBut::EqualsIgnoreCase(l) => "[a-zA-Z]{0,3}"
            .prop_map(move |mut s| {
                while l.iter().any(|x| **x == fold(&s)) {
                    s.push('_');
                }
                quote(&s)
            })
            .boxed(),
        AnythingBut::Wildcards(l) => "[a-z/:]{0,4}"
            .prop_map(move |s| if l.iter().any(|w| w.is_match(&s)) { "0".to_string() } else { quote(&s) })
            .boxed(),
    };
    prop_oneof![3 => same, 1 => other].boxed()
}

/// Values that satisfy `m`, or `None` when no value does (an empty numeric range).
fn satisfying(m: &Matcher) -> Option<BoxedStrategy<String>> {
    Some(match m.clone() {
        Matcher::String(s) => Just(quote(&s)).boxed(),
        Matcher::Number(n) => match n.value {
            Some(_) => (0u8..4).prop_map(move |style| respell(n.text(), style)).boxed(),
            None => Just(n.text().to_string()).boxed(),
        },
        Matcher::Bool(b) => Just(b.to_string()).boxed(),
        Matcher::Null => Just("null".to_string()).boxed(),
        Matcher::Prefix(p) => tail().prop_map(move |t| quote(&format!("{p}{t}"))).boxed(),
        Matcher::Suffix(p) => tail().prop_map(move |t| quote(&format!("{t}{p}"))).boxed(),
        Matcher::PrefixIgnoreCase(p) => {
            (flips(), tail()).prop_map(move |(f, t)| quote(&format!("{}{t}", case_variant(&p, &f)))).boxed()
        }
        Matcher::SuffixIgnoreCase(p) => {
            (flips(), tail()).prop_map(move |(f, t)| quote(&format!("{t}{}", case_variant(&p, &f)))).boxed()
        }
        Matcher::EqualsIgnoreCase(p) => flips().prop_map(move |f| quote(&case_variant(&p, &f))).boxed(),
        Matcher::Wildcard(w) => {
            let stars = w.stars();
            vec("[a-z/]{0,3}", stars..=stars).prop_map(move |fills| quote(&fill_wildcard(w.pieces(), &fills))).boxed()
        }
        Matcher::Numeric(r) => return in_range(r),
        Matcher::Cidr(c) => (any::<u128>(), 0u8..3)
            .prop_map(move |(host, style)| quote(&ip_text(masked(c.base(), c.bits(), host), style)))
            .boxed(),
        Matcher::Exists => any_scalar(),
        Matcher::AnythingBut(a) => anything_but(&a),
    })
}

/// Values meant to fail `m` (checked before use): near misses first, then other types.
fn complements(m: &Matcher) -> Vec<String> {
    fn change_first(s: &str) -> String {
        let mut chars = s.chars();
        let first = chars.next().map_or('x', |c| if c == 'x' { 'y' } else { 'x' });
        format!("{first}{}", chars.as_str())
    }
    fn change_last(s: &str) -> String {
        let mut chars = s.chars();
        let last = chars.next_back().map_or('x', |c| if c == 'x' { 'y' } else { 'x' });
        format!("{}{last}", chars.as_str())
    }
    let mut out = Vec::new();
    match m {
        Matcher::String(s) => {
            out.extend([quote(&format!("{s}x")), quote(&s.to_uppercase()), quote(&change_first(s))]);
            // The same text as a number, when it is a JSON number as it stands.
            let number_like = !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b));
            if number_like && finite(s).is_some() && serde_json::from_str::<serde_json::Value>(s).is_ok() {
                out.push(s.to_string());
            }
        }
        Matcher::Number(n) => {
            out.push(quote(n.text()));
            if let Some(v) = n.value {
                out.push(number_text(v + 1.0));
            }
        }
        Matcher::Bool(b) => out.extend([(!b).to_string(), quote(&b.to_string())]),
        Matcher::Null => out.extend([quote("null"), quote("")]),
        Matcher::Prefix(p) | Matcher::PrefixIgnoreCase(p) => {
            if !p.is_empty() {
                out.extend([
                    quote(&change_first(p)),
                    quote(&p[..p.len() - p.chars().last().map_or(0, char::len_utf8)]),
                ]);
            }
        }
        Matcher::Suffix(p) | Matcher::SuffixIgnoreCase(p) => {
            if !p.is_empty() {
                out.extend([quote(&change_last(p)), quote(&p[p.chars().next().map_or(0, char::len_utf8)..])]);
            }
        }
        Matcher::EqualsIgnoreCase(p) => out.extend([quote(&format!("{p}x")), quote(&change_first(p))]),
        Matcher::Wildcard(w) => {
            let pieces = w.pieces();
            let filled = fill_wildcard(pieces, &[]);
            if !pieces[0].is_empty() {
                out.push(quote(&change_first(&filled)));
            }
            if !pieces[pieces.len() - 1].is_empty() {
                out.push(quote(&change_last(&filled)));
            }
            out.push(quote(&format!("{filled}x")));
        }
        Matcher::Numeric(r) => {
            for v in [r.low, r.low.next_down(), r.low - 1.0, r.high, r.high.next_up(), r.high + 1.0] {
                if v.is_finite() && !r.contains(v) {
                    out.push(number_text(v));
                }
            }
            if let Some(w) = range_witness(r) {
                out.push(quote(&number_text(w)));
            }
        }
        Matcher::Cidr(c) => {
            let outside = match (c.base(), c.bits()) {
                (Ip::V4(b), bits) if bits > 0 => Ip::V4(b ^ (1 << (32 - bits))),
                (Ip::V6(b), bits) if bits > 0 => Ip::V6(b ^ (1 << (128 - bits))),
                (Ip::V4(_), _) => Ip::V6(1),
                (Ip::V6(_), _) => Ip::V4(0x0a00_0001),
            };
            out.push(quote(&ip_text(masked(outside, c.bits(), 0), 0)));
            out.push(quote(&format!("{}/{}", ip_text(c.base(), 0), c.bits())));
        }
        Matcher::Exists => {}
        Matcher::AnythingBut(a) => match a {
            AnythingBut::Strings(l) | AnythingBut::Prefixes(l) | AnythingBut::Suffixes(l) => {
                out.extend(l.iter().map(|s| quote(s)));
            }
            AnythingBut::EqualsIgnoreCase(l) => out.extend(l.iter().map(|s| quote(&case_variant(s, &[true])))),
            AnythingBut::Numbers(l) => out.extend(l.iter().map(|n| n.text().to_string())),
            AnythingBut::Wildcards(l) => out.extend(l.iter().map(|w| quote(&fill_wildcard(w.pieces(), &[])))),
        },
    }
    out
}

/// Tried after the targeted candidates.
const FALLBACKS: &[&str] = &["\"\"", "\"x\"", "0", "-1", "1.5", "true", "false", "null", "\"zz\"", "\"10.0.0.1\""];

// ---------------------------------------------------------------------------------------------
// Layout

/// Names for unrelated fields (made unique and kept off every pattern path).
const EXTRA_NAMES: &[&str] = &["x", "n", "id", "tag", "meta"];

/// Layout choices, consumed cyclically.
#[derive(Clone, Debug)]
struct Shape {
    /// Per path boundary: spell it with a dot instead of a nested object.
    dots: Vec<bool>,
    /// Per object below the top: 0 as is, 1 in a one-element array, 2/3 in an array after/before
    /// an element with only an unrelated field.
    wraps: Vec<u8>,
    /// Unrelated fields: which object, which name, which value.
    extras: Vec<(Index, Index, String)>,
}

fn shape(options: &EventOptions) -> BoxedStrategy<Shape> {
    let dots = if options.dotted_keys { vec(prop::bool::weighted(0.2), 6).boxed() } else { Just(vec![]).boxed() };
    let wraps = if options.arrays {
        vec(prop_oneof![6 => Just(0u8), 1 => Just(1u8), 1 => Just(2u8), 1 => Just(3u8)], 6).boxed()
    } else {
        Just(vec![]).boxed()
    };
    let extras = if options.extra_fields {
        vec((any::<Index>(), any::<Index>(), any_scalar()), 0..=2).boxed()
    } else {
        Just(vec![]).boxed()
    };
    (dots, wraps, extras).prop_map(|(dots, wraps, extras)| Shape { dots, wraps, extras }).boxed()
}

/// A key that is not yet in `members` and that no pattern path starts with, below `prefix`.
fn fresh(paths: &[String], prefix: Option<&str>, members: &[(String, Json)], base: &str) -> String {
    let mut name = base.to_string();
    loop {
        let full = join(prefix, &name);
        if !members.iter().any(|(k, _)| *k == name) && !paths.iter().any(|p| p.starts_with(&full)) {
            return name;
        }
        name.push('_');
    }
}

/// Puts `value` at the path made of `groups` (each group one key), below the object `members` at
/// `prefix`. A group that meets a non-object is joined with the next group into a dotted key.
fn insert(members: &mut Vec<(String, Json)>, prefix: Option<&str>, groups: &[String], value: Json) {
    let key = &groups[0];
    let found = members.iter().position(|(k, _)| k == key);
    if groups.len() == 1 {
        // Paths are inserted shortest first, so nothing is at a leaf's own key yet.
        debug_assert!(found.is_none(), "slot {key:?} placed twice");
        members.push((key.clone(), value));
        return;
    }
    let at = match found {
        Some(i) if matches!(members[i].1, Json::Object(_)) => i,
        Some(_) => {
            let mut merged = vec![format!("{key}.{}", groups[1])];
            merged.extend_from_slice(&groups[2..]);
            return insert(members, prefix, &merged, value);
        }
        None => {
            members.push((key.clone(), Json::Object(Vec::new())));
            members.len() - 1
        }
    };
    let path = join(prefix, key);
    let Json::Object(inner) = &mut members[at].1 else { unreachable!("checked above") };
    insert(inner, Some(&path), &groups[1..], value);
}

/// The event for the slots (indexed by path id).
fn build(paths: &[String], slots: &[Slot], shape: &Shape) -> String {
    let mut order: Vec<usize> = (0..slots.len()).filter(|&p| !matches!(slots[p], Slot::Absent)).collect();
    order.sort_by_key(|&p| paths[p].split('.').count());
    let mut dots = shape.dots.iter().copied().cycle();
    let mut root: Vec<(String, Json)> = Vec::new();
    for p in order {
        let mut groups: Vec<String> = Vec::new();
        for (i, segment) in paths[p].split('.').enumerate() {
            match groups.last_mut() {
                Some(last) if i > 0 && dots.next().unwrap_or(false) => {
                    last.push('.');
                    last.push_str(segment);
                }
                _ => groups.push(segment.to_string()),
            }
        }
        let value = match &slots[p] {
            Slot::Absent => unreachable!("filtered out"),
            Slot::Object(v) => {
                Json::Object(vec![(fresh(paths, Some(&paths[p]), &[], EXTRA_NAMES[0]), Json::Raw(v.clone()))])
            }
            Slot::Leaf { values, array } => match array {
                0 => Json::Raw(values[0].clone()),
                1 => Json::Array(values.iter().cloned().map(Json::Raw).collect()),
                _ => Json::Array(vec![Json::Array(values.iter().cloned().map(Json::Raw).collect())]),
            },
        };
        insert(&mut root, None, &groups, value);
    }
    for (which, name, value) in &shape.extras {
        add_extra(&mut root, paths, which, name, value);
    }
    let mut wraps = shape.wraps.iter().copied().cycle();
    wrap_objects(&mut root, None, paths, &mut wraps);
    Json::Object(root).text()
}

/// The positions (member indices from the top) of every object below the top, parents first.
fn object_positions(members: &[(String, Json)], at: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    for (i, (_, v)) in members.iter().enumerate() {
        if let Json::Object(inner) = v {
            at.push(i);
            out.push(at.clone());
            object_positions(inner, at, out);
            at.pop();
        }
    }
}

/// Adds an unrelated field to one of the objects (the top one included).
fn add_extra(root: &mut Vec<(String, Json)>, paths: &[String], which: &Index, name: &Index, value: &str) {
    let mut positions = vec![Vec::new()];
    object_positions(root, &mut Vec::new(), &mut positions);
    let mut members = root;
    let mut prefix: Option<String> = None;
    for &i in &positions[which.index(positions.len())] {
        prefix = Some(join(prefix.as_deref(), &members[i].0));
        members = match &mut members[i].1 {
            Json::Object(inner) => inner,
            _ => unreachable!("positions point at objects"),
        };
    }
    let key = fresh(paths, prefix.as_deref(), members, EXTRA_NAMES[name.index(EXTRA_NAMES.len())]);
    members.push((key, Json::Raw(value.to_string())));
}

/// Wraps some objects below the top in arrays, alone or next to an object with one unrelated field.
fn wrap_objects(
    members: &mut [(String, Json)],
    prefix: Option<&str>,
    paths: &[String],
    wraps: &mut impl Iterator<Item = u8>,
) {
    for (key, value) in members.iter_mut() {
        let path = join(prefix, key);
        if let Json::Object(inner) = value {
            wrap_objects(inner, Some(&path), paths, wraps);
            let choice = wraps.next().unwrap_or(0);
            if choice != 0 {
                let obj = std::mem::replace(value, Json::Array(Vec::new()));
                let other =
                    || Json::Object(vec![(fresh(paths, Some(&path), &[], EXTRA_NAMES[1]), Json::Raw("0".into()))]);
                *value = Json::Array(match choice {
                    1 => vec![obj],
                    2 => vec![other(), obj],
                    _ => vec![obj, other()],
                });
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Plans

struct Plan {
    paths: Vec<String>,
    branches: Vec<Branch>,
    options: EventOptions,
}

impl Plan {
    /// The branches of every pattern, over one list of paths.
    fn new(patterns: &[Pattern], options: &EventOptions) -> Plan {
        let mut paths: Vec<String> = Vec::new();
        let mut branches = Vec::new();
        for pattern in patterns {
            let compiled = pattern.compiled();
            let ids: Vec<usize> = compiled
                .paths
                .iter()
                .map(|p| {
                    paths.iter().position(|q| **q == **p).unwrap_or_else(|| {
                        paths.push(p.to_string());
                        paths.len() - 1
                    })
                })
                .collect();
            for branch in &compiled.branches {
                let mut branch = branch.clone();
                for field in &mut branch.fields {
                    field.path = ids[field.path];
                }
                branches.push(branch);
            }
        }
        Plan { paths, branches, options: options.clone() }
    }

    /// Slots that satisfy `field`, if any value (or absence) does.
    fn field_slots(&self, field: &Field) -> Option<BoxedStrategy<Slot>> {
        let values: Vec<BoxedStrategy<String>> = field.matchers.iter().filter_map(satisfying).collect();
        let mut options: Vec<(u32, BoxedStrategy<Slot>)> = Vec::new();
        if !values.is_empty() {
            options.push((4, self.leaf_slots(Union::new(values).boxed())));
        }
        if field.absent_ok {
            options.push((2, Just(Slot::Absent).boxed()));
            if self.options.extra_fields {
                options.push((1, any_scalar().prop_map(Slot::Object).boxed()));
            }
        }
        (!options.is_empty()).then(|| Union::new_weighted(options).boxed())
    }

    /// A value, bare or in an array with arbitrary other values.
    fn leaf_slots(&self, values: BoxedStrategy<String>) -> BoxedStrategy<Slot> {
        if !self.options.arrays {
            return values.prop_map(Slot::one).boxed();
        }
        let array = prop_oneof![6 => Just(0u8), 2 => Just(1u8), 1 => Just(2u8)];
        (values, array, vec(any_scalar(), 0..=2), any::<Index>())
            .prop_map(|(v, array, mut values, at)| {
                if array == 0 {
                    return Slot::one(v);
                }
                values.insert(at.index(values.len() + 1), v);
                Slot::Leaf { values, array }
            })
            .boxed()
    }

    /// For every satisfiable branch: its index and the strategies of its fields' slots.
    fn satisfiable_branches(&self) -> Vec<(usize, Vec<BoxedStrategy<Slot>>)> {
        self.branches
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let slots: Option<Vec<_>> = b.fields.iter().map(|f| self.field_slots(f)).collect();
                slots.map(|s| (i, s))
            })
            .collect()
    }
}

/// Events that match at least one of `patterns`, built from one `$or` branch at a time; `None`
/// when no event matches (a numeric range with no double inside is the only way).
pub(super) fn matching(patterns: &[Pattern], options: &EventOptions) -> Option<BoxedStrategy<String>> {
    let plan = Arc::new(Plan::new(patterns, options));
    let per_branch: Vec<BoxedStrategy<String>> = plan
        .satisfiable_branches()
        .into_iter()
        .map(|(b, fields)| {
            let plan = Arc::clone(&plan);
            (fields, shape(&plan.options))
                .prop_filter_map("constructed event matches", move |(field_slots, shape)| {
                    let mut slots = vec![Slot::Absent; plan.paths.len()];
                    for (f, slot) in plan.branches[b].fields.iter().zip(field_slots) {
                        slots[f.path] = slot;
                    }
                    branch_holds(&plan.branches[b], &slots).then(|| build(&plan.paths, &slots, &shape))
                })
                .boxed()
        })
        .collect();
    (!per_branch.is_empty()).then(|| Union::new(per_branch).boxed())
}

/// The random material of a non-matching event.
#[derive(Clone, Debug)]
struct Recipe {
    /// The target branch's field slots (it is made to hold except for its killed field).
    target: Vec<Slot>,
    /// Per path: a slot for paths outside the target branch.
    near: Vec<Slot>,
    /// Per branch (cyclically): where to start looking for a field to violate.
    kill_from: Vec<Index>,
    /// Per path (cyclically): where to start in the list of candidate violations.
    candidate_from: Vec<Index>,
    /// Per path (cyclically): violate by absence where allowed.
    prefer_absent: Vec<bool>,
    /// Per path (cyclically): put two violating values in an array.
    pairs: Vec<bool>,
    /// Extra random candidate violations, tried after the targeted ones.
    randoms: Vec<String>,
    shape: Shape,
}

/// The fields to violate at one path (branch, field), and a slot that violates them all.
type Kill = (Vec<(usize, usize)>, Option<Slot>);

struct NonMatchingPlan {
    plan: Plan,
    /// Per path: targeted candidate violations.
    complements: Vec<Vec<String>>,
    /// Per path: the fields of every branch there.
    fields_at: Vec<Vec<(usize, usize)>>,
    /// A violation assignment found with the default choices: path → slot (for the fallback).
    fallback: Vec<Option<Slot>>,
}

impl NonMatchingPlan {
    fn field(&self, (b, f): (usize, usize)) -> &Field {
        &self.plan.branches[b].fields[f]
    }

    /// A slot at `path` that violates every field in `fields`, if there is one.
    fn violation(&self, path: usize, fields: &[(usize, usize)], r: Option<&Recipe>) -> Option<Slot> {
        let fields: Vec<&Field> = fields.iter().map(|&k| self.field(k)).collect();
        let violates = |v: &str| fields.iter().all(|f| !leaf_satisfies(f, v));
        let absence_violates = !fields.iter().any(|f| f.absent_ok);
        let flag = |v: &[bool]| v.get(path % v.len().max(1)) == Some(&true);
        if absence_violates && r.is_some_and(|r| flag(&r.prefer_absent)) {
            return Some(Slot::Absent);
        }
        let targeted = &self.complements[path];
        let start = r.and_then(|r| r.candidate_from.get(path % r.candidate_from.len().max(1)));
        let start = start.map_or(0, |i| i.index(targeted.len().max(1)));
        let mut candidates = targeted[start..]
            .iter()
            .chain(&targeted[..start])
            .chain(r.map_or(&[][..], |r| &r.randoms[..]))
            .map(String::as_str)
            .chain(FALLBACKS.iter().copied())
            .filter(|v| violates(v));
        match candidates.next() {
            Some(v) => {
                let v = v.to_string();
                let second = candidates.find(|w| *w != v).map(str::to_string);
                Some(match second {
                    Some(w) if self.plan.options.arrays && r.is_some_and(|r| flag(&r.pairs)) => {
                        Slot::Leaf { values: vec![v, w], array: 1 }
                    }
                    _ => Slot::one(v),
                })
            }
            None if absence_violates => Some(Slot::Absent),
            None => None,
        }
    }

    /// Chooses a field to violate in every branch and a slot for every chosen path.
    fn kills(&self, r: Option<&Recipe>) -> Option<Vec<Option<Slot>>> {
        // Per path: the fields to violate there, and a slot (with the default choices) that does.
        let mut kill: Vec<Kill> = vec![(Vec::new(), None); self.plan.paths.len()];
        for (bi, b) in self.plan.branches.iter().enumerate() {
            let n = b.fields.len();
            let start = r.map_or(0, |r| r.kill_from.get(bi % r.kill_from.len().max(1)).map_or(0, |i| i.index(n)));
            let order: Vec<usize> = (0..n).map(|k| (start + k) % n).collect();
            // The slot that violates the path's fields and this one, if there is one.
            let with = |fi: usize, kill: &[Kill]| {
                let field = &b.fields[fi];
                let (fields, current) = &kill[field.path];
                if current.as_ref().is_some_and(|slot| !satisfies(field, slot)) {
                    return current.clone();
                }
                let mut fields = fields.clone();
                fields.push((bi, fi));
                self.violation(field.path, &fields, None)
            };
            // Prefer a path that is already violated for another branch.
            let chosen = order
                .iter()
                .filter(|&&fi| !kill[b.fields[fi].path].0.is_empty())
                .chain(&order)
                .find_map(|&fi| with(fi, &kill).map(|slot| (fi, slot)));
            let (fi, slot) = chosen?;
            let entry = &mut kill[b.fields[fi].path];
            entry.0.push((bi, fi));
            entry.1 = Some(slot);
        }
        let mut slots = vec![None; self.plan.paths.len()];
        for (path, (fields, _)) in kill.iter().enumerate() {
            if !fields.is_empty() {
                slots[path] = Some(self.violation(path, fields, r).or_else(|| self.violation(path, fields, None))?);
            }
        }
        Some(slots)
    }

    fn construct(&self, target: Option<usize>, r: &Recipe) -> Option<String> {
        let mut slots = r.near.clone();
        if let Some(t) = target {
            for (f, slot) in self.plan.branches[t].fields.iter().zip(&r.target) {
                slots[f.path] = slot.clone();
            }
        }
        let kills = self.kills(Some(r)).unwrap_or_else(|| self.fallback.clone());
        for (slot, kill) in slots.iter_mut().zip(kills) {
            if let Some(k) = kill {
                *slot = k;
            }
        }
        let matched = self.plan.branches.iter().any(|b| branch_holds(b, &slots));
        (!matched).then(|| build(&self.plan.paths, &slots, &r.shape))
    }
}

/// Events that match no branch of any of `patterns`; `None` when every event matches one (as far
/// as the construction can tell, e.g. `[{"exists": true}, {"exists": false}]`).
pub(super) fn non_matching(patterns: &[Pattern], options: &EventOptions) -> Option<BoxedStrategy<String>> {
    let plan = Plan::new(patterns, options);
    let mut fields_at = vec![Vec::new(); plan.paths.len()];
    for (b, branch) in plan.branches.iter().enumerate() {
        for (f, field) in branch.fields.iter().enumerate() {
            fields_at[field.path].push((b, f));
        }
    }
    let complements = fields_at
        .iter()
        .map(|fields| {
            let mut out: Vec<String> = Vec::new();
            for &(b, f) in fields.iter().take(16) {
                for m in &plan.branches[b].fields[f].matchers {
                    for c in complements(m) {
                        if !out.contains(&c) {
                            out.push(c);
                        }
                    }
                }
            }
            out
        })
        .collect();
    let mut nm = NonMatchingPlan { plan, complements, fields_at, fallback: Vec::new() };
    nm.fallback = nm.kills(None)?;
    let nm = Arc::new(nm);

    // Near-miss slots for every path: what some branch wants there, or nothing.
    let near: Vec<BoxedStrategy<Slot>> = nm
        .fields_at
        .iter()
        .map(|fields| {
            let mut options: Vec<BoxedStrategy<Slot>> = fields
                .iter()
                .take(8)
                .filter_map(|&(b, f)| nm.plan.field_slots(&nm.plan.branches[b].fields[f]))
                .collect();
            options.push(Just(Slot::Absent).boxed());
            Union::new(options).boxed()
        })
        .collect();
    let mut targets: Vec<(Option<usize>, Vec<BoxedStrategy<Slot>>)> =
        nm.plan.satisfiable_branches().into_iter().map(|(b, s)| (Some(b), s)).collect();
    if targets.is_empty() {
        targets.push((None, Vec::new()));
    }
    let per_target: Vec<BoxedStrategy<String>> = targets
        .into_iter()
        .map(|(target, fields)| {
            let nm = Arc::clone(&nm);
            let recipe = (
                fields,
                near.clone(),
                vec(any::<Index>(), 4),
                vec(any::<Index>(), 4),
                vec(prop::bool::weighted(0.25), 4),
                vec(prop::bool::weighted(0.2), 4),
                vec(any_scalar(), 0..=3),
                shape(&nm.plan.options),
            )
                .prop_map(
                    |(target, near, kill_from, candidate_from, prefer_absent, pairs, randoms, shape)| Recipe {
                        target,
                        near,
                        kill_from,
                        candidate_from,
                        prefer_absent,
                        pairs,
                        randoms,
                        shape,
                    },
                );
            recipe.prop_filter_map("constructed event matches no branch", move |r| nm.construct(target, &r)).boxed()
        })
        .collect();
    Some(Union::new(per_target).boxed())
}
