//! The properties the fuzz targets check, shared with `tests/fuzz_regressions.rs` (which replays
//! `tests/data/fuzz/<target>/*` and `fuzz/corpus/<target>/*` through the same functions in
//! `cargo test`). Each public function takes the raw fuzz input and panics when a property fails.
//!
//! This file depends only on `eventsift`, `serde_json` (with `raw_value`) and `serde`, which the
//! main crate's dev-dependencies also have, never on libFuzzer.
//!
//! The independent oracle for "is this event valid JSON" is serde_json (syntax only, through
//! `IgnoredAny`, so that number ranges and duplicate keys play no part), plus a bracket count for
//! the nesting limit. For valid text, a small tree parser here ([`Node`]) keeps what a
//! `serde_json::Value` loses (duplicate keys, number spellings, byte ranges).

#![allow(dead_code)]

use std::collections::HashSet;

use eventsift::lambda::{DropReason, Filter, FilterCriteria, KinesisFields, Payload, Verdict};
use eventsift::syntax::ast::{AnythingBut, Condition, FieldValue, Member, Object, Test};
use eventsift::{
    reference, Dialect, Error, ErrorKind, Machine, Pattern, PatternBuilder, ReadMode, SharedMachine, Source, Span,
    DEFAULT_MAX_EVENT_DEPTH,
};

const DIALECTS: [Dialect; 3] = [Dialect::EventBridge, Dialect::Pipes, Dialect::LambdaEsm];
const MODES: [ReadMode; 3] = [ReadMode::Strict, ReadMode::Skip, ReadMode::EarlyStop];

// ---------------------------------------------------------------------------------------------
// Errors

/// Every error points into the text it was reported on: the span lies within it, on character
/// boundaries, and line and column are those of the span's start. Rendering never panics.
pub fn check_error(e: &Error, text: &str, what: &str) {
    let Span { start, end } = e.span();
    assert!(
        start <= end && end <= text.len(),
        "{what}: span {start}..{end} outside the text (len {}): {e:?}",
        text.len()
    );
    assert!(
        text.is_char_boundary(start) && text.is_char_boundary(end),
        "{what}: span {start}..{end} not on char boundaries of {text:?}: {e:?}"
    );
    let before = &text[..start];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    assert_eq!((e.line(), e.column()), (line, column), "{what}: line/column of span {start}..{end}: {e:?}");
    let _ = format!("{e} {e:#} {e:?}");
}

/// The same outcome from two entry points: equal verdicts, or errors of one kind and span.
fn same_outcome(a: &Result<bool, Error>, b: &Result<bool, Error>) -> bool {
    match (a, b) {
        (Ok(x), Ok(y)) => x == y,
        (Err(x), Err(y)) => x.kind() == y.kind() && x.span() == y.span(),
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Independent JSON view of event text

/// What serde_json (and the bracket count) say about a text.
pub enum Json {
    /// Valid JSON. `tree` is `None` only when it nests too deeply to be worth building.
    Valid { tree: Option<Node>, depth: usize },
    /// Not JSON.
    Invalid,
    /// serde_json gave up (recursion limit): unknown.
    Unknown,
}

impl Json {
    /// A valid object within `max_depth`, with its tree.
    pub fn object_within(&self, max_depth: usize) -> Option<&Node> {
        match self {
            Json::Valid { tree: Some(tree), depth } if *depth <= max_depth && tree.is_object() => Some(tree),
            _ => None,
        }
    }
}

/// Classifies event text. A leading byte-order mark is allowed (PATTERNS.md §1.3), so it is
/// removed before asking serde_json.
///
/// `IgnoredAny` checks the syntax without reading numbers into doubles (so `1e400` is valid, as in
/// JSON), but it does not decode strings, so a lone surrogate escape (`"\ud800"`) passes it:
/// every string token is therefore also decoded by serde_json.
pub fn classify(text: &str) -> Json {
    let body = text.strip_prefix('\u{feff}').unwrap_or(text);
    match serde_json::from_str::<serde::de::IgnoredAny>(body) {
        Ok(_) if !strings_decode(body) => Json::Invalid,
        Ok(_) => {
            let depth = bracket_depth(body);
            let tree = (depth <= 200).then(|| Tree { text, pos: text.len() - body.len() }.value());
            Json::Valid { tree, depth }
        }
        Err(e) if e.to_string().contains("recursion limit") => Json::Unknown,
        Err(_) => Json::Invalid,
    }
}

/// Does every string token of `text` (which serde_json's `IgnoredAny` accepted) decode?
fn strings_decode(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'"' {
            i += 1;
            continue;
        }
        let start = i;
        i += 1;
        while bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        i += 1;
        if serde_json::from_str::<String>(&text[start..i]).is_err() {
            return false;
        }
    }
    true
}

/// Deepest nesting of objects and arrays (brackets outside strings); the top level is 1.
pub fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else {
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    max = max.max(depth);
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    max
}

/// A JSON value of valid text, with its byte range, duplicate keys and number spellings kept.
#[derive(Debug)]
pub struct Node {
    pub start: usize,
    pub end: usize,
    pub kind: Kind,
}

#[derive(Debug)]
pub enum Kind {
    /// `true`, `false` or `null`.
    Literal,
    Number,
    String(String),
    Array(Vec<Node>),
    /// Members in order: unescaped key, value.
    Object(Vec<(String, Node)>),
}

impl Node {
    pub fn is_object(&self) -> bool {
        matches!(self.kind, Kind::Object(_))
    }

    pub fn members(&self) -> &[(String, Node)] {
        match &self.kind {
            Kind::Object(m) => m,
            _ => &[],
        }
    }

    pub fn raw<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start..self.end]
    }

    fn walk<'n>(&'n self, f: &mut impl FnMut(&'n Node)) {
        f(self);
        match &self.kind {
            Kind::Array(items) => items.iter().for_each(|n| n.walk(f)),
            Kind::Object(members) => members.iter().for_each(|(_, n)| n.walk(f)),
            _ => {}
        }
    }

    /// Some object repeats a key (a `serde_json::Value` keeps only the last).
    pub fn has_duplicate_keys(&self) -> bool {
        let mut found = false;
        self.walk(&mut |n| {
            let mut seen = HashSet::new();
            found |= n.members().iter().any(|(k, _)| !seen.insert(k.as_str()));
        });
        found
    }

    /// The spelling of every number.
    pub fn numbers<'t>(&self, text: &'t str) -> Vec<&'t str> {
        let mut out = Vec::new();
        self.walk(&mut |n| {
            if matches!(n.kind, Kind::Number) {
                out.push(n.raw(text));
            }
        });
        out
    }
}

/// A recursive-descent reader for text serde_json has already accepted (so it checks nothing).
struct Tree<'t> {
    text: &'t str,
    pos: usize,
}

impl Tree<'_> {
    fn peek(&self) -> u8 {
        self.text.as_bytes()[self.pos]
    }

    fn ws(&mut self) {
        while self.pos < self.text.len() && matches!(self.peek(), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> String {
        let start = self.pos;
        self.pos += 1;
        loop {
            match self.peek() {
                b'\\' => self.pos += 2,
                b'"' => break,
                _ => self.pos += 1,
            }
        }
        self.pos += 1;
        serde_json::from_str(&self.text[start..self.pos]).expect("serde_json accepted this string before")
    }

    fn value(&mut self) -> Node {
        self.ws();
        let start = self.pos;
        let kind = match self.peek() {
            b'{' => {
                self.pos += 1;
                let mut members = Vec::new();
                self.ws();
                if self.peek() == b'}' {
                    self.pos += 1;
                } else {
                    loop {
                        self.ws();
                        let key = self.string();
                        self.ws();
                        self.pos += 1; // ':'
                        let value = self.value();
                        members.push((key, value));
                        self.ws();
                        self.pos += 1; // ',' or '}'
                        if self.text.as_bytes()[self.pos - 1] == b'}' {
                            break;
                        }
                    }
                }
                Kind::Object(members)
            }
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.ws();
                if self.peek() == b']' {
                    self.pos += 1;
                } else {
                    loop {
                        items.push(self.value());
                        self.ws();
                        self.pos += 1; // ',' or ']'
                        if self.text.as_bytes()[self.pos - 1] == b']' {
                            break;
                        }
                    }
                }
                Kind::Array(items)
            }
            b'"' => Kind::String(self.string()),
            b't' | b'n' => {
                self.pos += 4;
                Kind::Literal
            }
            b'f' => {
                self.pos += 5;
                Kind::Literal
            }
            _ => {
                while self.pos < self.text.len()
                    && matches!(self.peek(), b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                {
                    self.pos += 1;
                }
                Kind::Number
            }
        };
        Node { start, end: self.pos, kind }
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns

/// The spelling of every number literal of a pattern (literals and numeric `anything-but`).
fn number_literals(object: &Object, out: &mut HashSet<String>) {
    for member in &object.members {
        match member {
            Member::Field { value: FieldValue::Object(inner), .. } => number_literals(inner, out),
            Member::Field { value: FieldValue::Leaf { conditions, .. }, .. } => {
                for c in conditions {
                    match &c.test {
                        Test::Number(n) => {
                            out.insert(n.text().to_string());
                        }
                        Test::AnythingBut(AnythingBut::Numbers(list)) => {
                            out.extend(list.iter().map(|n| n.text().to_string()));
                        }
                        _ => {}
                    }
                }
            }
            Member::Or { branches, .. } => branches.iter().for_each(|b| number_literals(b, out)),
        }
    }
}

/// Can `matches_value` on serde_json's `Value` of this (valid) event be expected to agree with the
/// text entry points? PATTERNS.md §1.3 and §4 document where they differ, and this excludes those
/// events:
///
/// * a repeated key: the `Value` keeps only the last occurrence, text matching sees all;
/// * a number whose value serde_json reads differently from the correctly rounded value the text
///   matchers use (serde_json's default float parser is not always correctly rounded), or that
///   it cannot hold at all (`1e400` is out of range: no `Value`);
/// * a number spelled like one of the pattern's number literals while the `Value` prints it
///   differently: text matching compares spellings (a literal that is not exact, such as
///   `5E-3301` — which underflows to 0 — or `123456789012345678`, matches only its own
///   spelling), while `matches_value` only has the `Value`'s own printing (`0.0`);
///   likewise a `Value` printing that spells a literal the text does not.
pub fn value_comparable(tree: &Node, text: &str, literals: &HashSet<String>) -> bool {
    if tree.has_duplicate_keys() {
        return false;
    }
    tree.numbers(text).into_iter().all(|spelled| {
        let Ok(number) = serde_json::from_str::<serde_json::Number>(spelled) else { return false };
        let printed = number.to_string();
        let same_value = match (spelled.parse::<f64>(), printed.parse::<f64>()) {
            (Ok(a), Ok(b)) => a.is_finite() && a == b,
            _ => false,
        };
        let same_spelling = printed == spelled || !(literals.contains(spelled) || literals.contains(&printed));
        same_value && same_spelling
    })
}

/// The AST with every span zeroed, to compare the ASTs of two spellings of one pattern.
fn without_spans(object: &Object) -> Object {
    let zero = Span::default();
    Object {
        span: zero,
        members: object
            .members
            .iter()
            .map(|m| match m {
                Member::Field { key, value, .. } => Member::Field {
                    key: key.clone(),
                    key_span: zero,
                    value: match value {
                        FieldValue::Object(o) => FieldValue::Object(without_spans(o)),
                        FieldValue::Leaf { conditions, .. } => FieldValue::Leaf {
                            conditions: conditions
                                .iter()
                                .map(|c| Condition {
                                    test: c.test.clone(),
                                    span: zero,
                                    operator_span: c.operator_span.map(|_| zero),
                                    argument_span: c.argument_span.map(|_| zero),
                                })
                                .collect(),
                            span: zero,
                        },
                    },
                },
                Member::Or { branches, .. } => {
                    Member::Or { key_span: zero, branches: branches.iter().map(without_spans).collect() }
                }
            })
            .collect(),
    }
}

/// The printed AST (`Display`) parses again, with `options` and no length limit (printing may
/// lengthen numbers: `5` prints as `5.0`), to the same AST, the same paths and branches, and
/// prints the same again. Returns the re-parsed pattern.
fn round_trip(pattern: &Pattern, options: PatternBuilder) -> Pattern {
    let printed = pattern.ast().to_string();
    let again = options
        .dialect(pattern.dialect())
        .max_length(usize::MAX)
        .build(&printed)
        .unwrap_or_else(|e| panic!("printed pattern {printed:?} of {:?} does not parse: {e:?}", pattern.source()));
    assert_eq!(again.ast().to_string(), printed, "printing is not a fixed point for {:?}", pattern.source());
    assert_eq!(
        without_spans(again.ast()),
        without_spans(pattern.ast()),
        "printed pattern {printed:?} has another AST than {:?}",
        pattern.source()
    );
    assert!(again.paths().eq(pattern.paths()), "printed pattern {printed:?} names other paths");
    assert_eq!(again.branch_count(), pattern.branch_count(), "printed pattern {printed:?}: branch count");
    again
}

/// **parse_pattern**: the input, if UTF-8, is a pattern. It is compiled in every dialect:
/// errors point into the text; what compiles prints and re-parses to the same pattern; the
/// dialects nest (Pipes ⊂ EventBridge and LambdaEsm ⊂ EventBridge in operators, within their length
/// limits; LambdaEsm ⊂ Pipes but for `cidr`, SPEC §10 FLAG-4 amended) and give the same AST; `allow_unlisted_operators` lifts the dialect difference;
/// `reject_duplicate_paths` only ever rejects more.
pub fn parse_pattern(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let chars = text.chars().count();
    let built: Vec<Result<Pattern, Error>> = DIALECTS
        .iter()
        .map(|&dialect| {
            let result = Pattern::builder().dialect(dialect).build(text);
            match &result {
                Err(e) => check_error(e, text, dialect.name()),
                Ok(p) => {
                    assert_eq!(p.dialect(), dialect);
                    assert_eq!(p.source(), text);
                    round_trip(p, Pattern::builder());
                }
            }
            result
        })
        .collect();
    let [eventbridge, pipes, lambda] = [&built[0], &built[1], &built[2]];
    if let (Ok(_), Err(e)) = (lambda, pipes) {
        // The one operator LambdaEsm has and Pipes lacks (SPEC §10 FLAG-4, amended 2026-12-06).
        assert!(
            e.kind() == ErrorKind::OperatorNotInDialect && e.reason() == "cidr is not supported in the Pipes dialect",
            "builds for LambdaEsm but not for Pipes, and not because of cidr: {e:?}"
        );
    }
    if chars <= Dialect::EventBridge.default_max_length() {
        for (name, result) in [("Pipes", pipes), ("LambdaEsm", lambda)] {
            if result.is_ok() {
                assert!(
                    eventbridge.is_ok(),
                    "builds for {name} but not for EventBridge: {:?}",
                    eventbridge.as_ref().err()
                );
            }
        }
    }
    let asts: Vec<&Pattern> = built.iter().flatten().collect();
    if let Some((first, rest)) = asts.split_first() {
        for p in rest {
            assert_eq!(p.ast(), first.ast(), "dialects give different ASTs");
            assert!(p.paths().eq(first.paths()));
            assert_eq!(p.branch_count(), first.branch_count());
        }
    }
    if let Ok(eb) = eventbridge {
        let unlisted = Pattern::builder().dialect(Dialect::LambdaEsm).allow_unlisted_operators(true).build(text);
        let unlisted = unlisted.unwrap_or_else(|e| panic!("EventBridge builds, LambdaEsm + unlisted does not: {e:?}"));
        assert_eq!(unlisted.ast(), eb.ast());
    }
    match Pattern::builder().reject_duplicate_paths(true).build(text) {
        Ok(strict) => {
            let eb = eventbridge.as_ref().expect("builds with reject_duplicate_paths but not without");
            assert_eq!(strict.ast(), eb.ast());
            assert_eq!(strict.branch_count(), eb.branch_count());
        }
        Err(e) => {
            check_error(&e, text, "reject_duplicate_paths");
            if eventbridge.is_ok() {
                assert_eq!(e.kind(), ErrorKind::DuplicatePath, "{e:?}");
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matching

/// `input` split at its first two NUL bytes: (before, between, after). `None` without a NUL.
fn split3(data: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let first = data.iter().position(|&b| b == 0)?;
    let (a, rest) = (&data[..first], &data[first + 1..]);
    match rest.iter().position(|&b| b == 0) {
        Some(second) => Some((a, &rest[..second], &rest[second + 1..])),
        None => Some((a, rest, &[])),
    }
}

/// `matches_bytes` on invalid UTF-8: an `InvalidEvent` error whose span is in the lossy text.
fn check_invalid_utf8(pattern: &Pattern, bytes: &[u8]) {
    let e = pattern.matches_bytes(bytes).expect_err("invalid UTF-8 accepted");
    assert_eq!(e.kind(), ErrorKind::InvalidEvent);
    check_error(&e, &String::from_utf8_lossy(bytes), "matches_bytes");
}

/// The facts about one event that every matching check needs.
struct EventFacts<'t> {
    text: &'t str,
    json: Json,
    max_depth: usize,
}

impl<'t> EventFacts<'t> {
    fn new(text: &'t str, max_depth: usize) -> Self {
        EventFacts { text, json: classify(text), max_depth }
    }

    /// A valid JSON object within the depth limit: every mode must read it, and agree.
    fn readable(&self) -> Option<&Node> {
        self.json.object_within(self.max_depth)
    }

    /// What `ReadMode::Strict` (and the reference matcher) must answer, when that is known:
    /// `Some(None)` success, `Some(Some(kind))` that error.
    fn strict_expectation(&self) -> Option<Option<ErrorKind>> {
        let object = self.text.trim_start_matches(['\u{feff}', ' ', '\t', '\n', '\r']).starts_with('{');
        match &self.json {
            // Not an object and too deep: `Pattern::matches` says InvalidEvent (it looks at the
            // first character first), the reference EventTooDeep (it parses first). Either is right.
            Json::Valid { depth, .. } if !object && *depth > self.max_depth => None,
            Json::Valid { .. } if !object => Some(Some(ErrorKind::InvalidEvent)),
            Json::Valid { depth, .. } if *depth > self.max_depth => Some(Some(ErrorKind::EventTooDeep)),
            Json::Valid { .. } => Some(None),
            // Invalid text that also nests too deep may report either.
            Json::Invalid if bracket_depth(self.text) > self.max_depth => None,
            Json::Invalid => Some(Some(ErrorKind::InvalidEvent)),
            Json::Unknown => None,
        }
    }

    /// A `serde_json::Value` of the event when `matches_value` must agree with text matching.
    fn value(&self, literals: &HashSet<String>) -> Option<serde_json::Value> {
        let tree = self.readable()?;
        if !value_comparable(tree, self.text, literals) {
            return None;
        }
        serde_json::from_str(self.text.strip_prefix('\u{feff}').unwrap_or(self.text)).ok()
    }

    /// Verdicts of `ReadMode::EarlyStop` equal the others': it stops only where no later key can
    /// repeat a named one or be a dotted key through one (PATTERNS.md §1.3), so on every readable
    /// event, repeated and dotted keys included.
    fn early_stop_exact(&self) -> bool {
        self.readable().is_some()
    }
}

/// Checks one result of a `Strict` text entry point against the oracle.
fn check_strict(facts: &EventFacts<'_>, result: &Result<bool, Error>, what: &str) {
    if let Err(e) = result {
        check_error(e, facts.text, what);
    }
    if matches!(facts.json, Json::Valid { .. } | Json::Invalid) && facts.readable().is_none() {
        assert!(result.is_err(), "{what}: Strict accepts {:?}", facts.text);
    }
    if let Some(expected) = facts.strict_expectation() {
        assert_eq!(
            result.as_ref().err().map(Error::kind),
            expected,
            "{what}: Strict reading of {:?}: {result:?}",
            facts.text
        );
    }
}

/// Checks a `Skip` or `EarlyStop` result against the `Strict` one.
fn check_lenient(facts: &EventFacts<'_>, mode: ReadMode, result: &Result<bool, Error>, strict: &Result<bool, Error>) {
    if let Err(e) = result {
        check_error(e, facts.text, "lenient read");
    }
    if let Ok(expected) = strict {
        let got = result.as_ref().unwrap_or_else(|e| panic!("{mode:?} rejects what Strict reads: {e:?}"));
        if mode != ReadMode::EarlyStop || facts.early_stop_exact() {
            assert_eq!(got, expected, "{mode:?} and Strict disagree on {:?}", facts.text);
        }
    }
    // Every mode rejects an event that is not an object.
    if let Json::Valid { tree: Some(tree), .. } = &facts.json {
        if !tree.is_object() {
            assert!(result.is_err(), "{mode:?} accepts a non-object event");
        }
    }
}

/// **match_pattern**: `pattern \0 event [\0 options]`; the first option byte, if any, sets the
/// event depth limit to 1..=8. If the pattern compiles, `Pattern::matches` in every `ReadMode`,
/// `matches_bytes`, the reference matcher, `matches_value`, the printed pattern and a one-rule
/// machine agree wherever PATTERNS.md says they must.
pub fn match_pattern(data: &[u8]) {
    let Some((pattern, event, options)) = split3(data) else { return };
    let Ok(pattern) = std::str::from_utf8(pattern) else { return };
    let max_depth = options.first().map_or(DEFAULT_MAX_EVENT_DEPTH, |b| 1 + usize::from(b % 8));
    let options = |mode| Pattern::builder().max_event_depth(max_depth).read_mode(mode);
    let strict = match options(ReadMode::Strict).build(pattern) {
        Ok(p) => p,
        Err(e) => return check_error(&e, pattern, "pattern"),
    };
    let Ok(event) = std::str::from_utf8(event) else { return check_invalid_utf8(&strict, event) };
    let facts = EventFacts::new(event, max_depth);

    let verdict = strict.matches(event);
    check_strict(&facts, &verdict, "Pattern::matches");
    let by_reference = reference::matches(&strict, event);
    check_strict(&facts, &by_reference, "reference::matches");
    assert_eq!(verdict.is_ok(), by_reference.is_ok(), "Strict {verdict:?}, reference {by_reference:?} on {event:?}");
    if let (Ok(a), Ok(b)) = (&verdict, &by_reference) {
        assert_eq!(a, b, "Pattern::matches and the reference disagree on {pattern:?} / {event:?}");
    }
    assert!(same_outcome(&strict.matches_bytes(event.as_bytes()), &verdict), "matches_bytes differs");

    for mode in [ReadMode::Skip, ReadMode::EarlyStop] {
        let p = options(mode).build(pattern).expect("compiles in Strict mode");
        check_lenient(&facts, mode, &p.matches(event), &verdict);
    }

    let mut literals = HashSet::new();
    number_literals(strict.ast(), &mut literals);
    if let Some(value) = facts.value(&literals) {
        let by_value = strict.matches_value(&value);
        assert_eq!(Some(&by_value), verdict.as_ref().ok(), "matches_value disagrees on {pattern:?} / {event:?}");
    } else if let Ok(value) = serde_json::from_str::<serde_json::Value>(event) {
        let answer = strict.matches_value(&value);
        assert!(value.is_object() || !answer, "matches_value accepts a non-object");
    }

    let printed = round_trip(&strict, options(ReadMode::Strict));
    assert!(
        same_outcome(&printed.matches(event), &verdict),
        "the printed pattern {} differs on {event:?}",
        printed.ast()
    );

    let mut builder = Machine::builder();
    builder.read_mode(ReadMode::Strict).max_event_depth(max_depth);
    builder.add("p", pattern).expect("compiles as a Pattern");
    let machine = builder.build();
    let mut scratch = machine.scratch();
    let by_machine = machine.matches(event, &mut scratch).map(|mut m| m.next().is_some());
    assert!(same_outcome(&by_machine, &verdict), "one-rule machine {by_machine:?}, pattern {verdict:?}");
}

/// The set of matching rule ids, in the machine's order.
fn machine_hits(machine: &Machine, event: &str) -> Result<Vec<String>, Error> {
    let mut scratch = machine.scratch();
    let hits: Vec<String> = machine.matches(event, &mut scratch)?.map(|id| id.to_string()).collect();
    let is_match = machine.is_match(event, &mut scratch)?;
    assert_eq!(is_match, !hits.is_empty(), "is_match disagrees with matches on {event:?}");
    let rules: Vec<String> = machine.matching_rules(event)?.iter().map(|id| id.to_string()).collect();
    assert_eq!(rules, hits, "matching_rules disagrees with matches");
    Ok(hits)
}

fn machine_value_hits(machine: &Machine, value: &serde_json::Value) -> Vec<String> {
    let mut scratch = machine.scratch();
    machine.matches_value(value, &mut scratch).map(|id| id.to_string()).collect()
}

/// Checks a machine's answers on one event against the expected hits (rule ids in first-added
/// order), in `mode`.
fn check_machine(
    facts: &EventFacts<'_>,
    machine: &Machine,
    mode: ReadMode,
    expected: Option<&[String]>,
    what: &str,
) -> Result<Vec<String>, Error> {
    let hits = machine_hits(machine, facts.text);
    let as_bool = hits.as_ref().map(|h| !h.is_empty()).map_err(Clone::clone);
    match mode {
        ReadMode::Strict => check_strict(facts, &as_bool, what),
        _ => {
            if let Err(e) = &hits {
                check_error(e, facts.text, what);
            }
        }
    }
    if let (Some(expected), true) = (expected, mode != ReadMode::EarlyStop || facts.early_stop_exact()) {
        if facts.readable().is_some() {
            let hits = hits.as_ref().unwrap_or_else(|e| panic!("{what} {mode:?} rejects a valid event: {e:?}"));
            assert_eq!(hits, expected, "{what} {mode:?} on {:?}", facts.text);
        }
    }
    hits
}

/// **match_machine**: `pattern \0 pattern \0 ... \0 event`, up to 8 patterns (rule `r<i>` is the
/// i-th). In every `ReadMode` the machine's match set equals the set of patterns the reference
/// matcher says match (in rule order), `is_match`/`matching_rules` agree and `matches_value`
/// agrees where defined; in one mode (the input's length modulo 3 picks it) rules sharing an id OR
/// and `add_pattern` is `add`; a `SharedMachine` follows adds and removes.
///
/// Each pattern is compiled once or twice and about ten machines are built per input (each
/// `SharedMachine` add or remove builds one): building machines and compiling patterns dominate
/// the cost of this target, so check more here only where it buys coverage.
pub fn match_machine(data: &[u8]) {
    let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
    let Some((event, patterns)) = parts.split_last() else { return };
    if patterns.is_empty() {
        return;
    }
    let patterns = &patterns[..patterns.len().min(8)];
    let Ok(event) = std::str::from_utf8(event) else { return };
    let facts = EventFacts::new(event, DEFAULT_MAX_EVENT_DEPTH);

    let mut rules: Vec<(String, &str, Pattern)> = Vec::new();
    let mut literals = HashSet::new();
    for (i, bytes) in patterns.iter().enumerate() {
        let Ok(text) = std::str::from_utf8(bytes) else { continue };
        let id = format!("r{i}");
        match Pattern::new(text) {
            Ok(p) => {
                number_literals(p.ast(), &mut literals);
                rules.push((id, text, p));
            }
            Err(e) => {
                check_error(&e, text, "pattern");
                let e2 = Machine::builder().add(id.as_str(), text).expect_err("the machine accepts a bad pattern");
                assert_eq!((e2.kind(), e2.span()), (e.kind(), e.span()));
                assert_eq!(e2.rule_id(), Some(id.as_str()));
            }
        }
    }
    // The reference verdicts (errors only on events that are not readable).
    let verdicts: Vec<Result<bool, Error>> = rules.iter().map(|(_, _, p)| reference::matches(p, event)).collect();
    for v in &verdicts {
        check_strict(&facts, v, "reference::matches");
    }
    let expected: Option<Vec<String>> = facts.readable().map(|_| {
        rules.iter().zip(&verdicts).filter(|(_, v)| *v.as_ref().unwrap()).map(|((id, _, _), _)| id.clone()).collect()
    });
    // Pairs of patterns under one id: the rule matches when either does.
    let expected_pairs: Option<Vec<String>> = expected.as_ref().map(|hits| {
        let mut pairs: Vec<String> = hits.iter().map(|id| pair_id(id)).collect();
        pairs.dedup();
        pairs
    });

    // One builder of compiled patterns serves every mode (a machine's read mode is set at build, the
    // rules are the same): each pattern is compiled once, here above, not once per machine. Only
    // the machine that checks `add` (text) against `add_pattern` compiles the texts again; it and
    // the paired machine are built in one mode, chosen by the input's length so that the mutations
    // cover all three.
    let value = facts.value(&literals);
    let chosen = MODES[data.len() % MODES.len()];
    let mut compiled = Machine::builder();
    let mut paired = Machine::builder();
    for (id, _, p) in &rules {
        compiled.add_pattern(id.as_str(), p.clone());
        paired.add_pattern(pair_id(id), p.clone());
    }
    let mut strict_hits = None;
    for mode in MODES {
        let machine = compiled.read_mode(mode).build();
        assert_eq!(machine.rule_count(), rules.len());
        let hits = check_machine(&facts, &machine, mode, expected.as_deref(), "machine");
        if mode == chosen {
            let mut by_text = Machine::builder();
            by_text.read_mode(mode);
            for (id, text, _) in &rules {
                by_text.add(id.as_str(), text).expect("compiles as a Pattern");
            }
            let hits2 = check_machine(&facts, &by_text.build(), mode, expected.as_deref(), "add (text) machine");
            assert_eq!(hits.is_ok(), hits2.is_ok());
            if let (Ok(a), Ok(b)) = (&hits, &hits2) {
                assert_eq!(a, b, "add and add_pattern machines differ");
            }
            let paired = paired.read_mode(mode).build();
            check_machine(&facts, &paired, mode, expected_pairs.as_deref(), "paired machine").ok();
        }
        if mode == ReadMode::Strict {
            strict_hits = Some(hits);
        } else if let (Some(Ok(strict)), Ok(hits)) = (&strict_hits, &hits) {
            if mode == ReadMode::Skip || facts.early_stop_exact() {
                assert_eq!(hits, strict, "{mode:?} and Strict machines disagree on {event:?}");
            }
        }
        if let Some(value) = &value {
            let expected = expected.as_ref().expect("a Value only of readable events");
            assert_eq!(&machine_value_hits(&machine, value), expected, "machine matches_value on {event:?}");
        }
    }

    // A SharedMachine (ReadMode::Skip) gets every rule, then loses the even ones. Every add and
    // remove rebuilds the whole machine, so it starts from a machine of all rules but the last two
    // (which exercises `from_machine` and taking the rules back out of a machine) and adds only
    // those two as text.
    let split = rules.len().saturating_sub(2);
    let mut first = Machine::builder();
    for (id, _, p) in &rules[..split] {
        first.add_pattern(id.as_str(), p.clone());
    }
    let shared = SharedMachine::from_machine(first.build());
    for (id, text, _) in &rules[split..] {
        shared.add(id.as_str(), text).expect("compiles as a Pattern");
    }
    let before = shared.snapshot();
    assert_eq!(before.rule_count(), rules.len());
    let all = check_machine(&facts, &before, ReadMode::Skip, expected.as_deref(), "shared machine");
    let removed: HashSet<&str> = rules.iter().step_by(2).map(|(id, _, _)| id.as_str()).collect();
    for id in &removed {
        assert!(shared.remove(id), "remove({id}) of a present rule");
    }
    if let Some((id, _, _)) = rules.first() {
        assert!(!shared.remove(id), "remove({id}) twice");
    }
    assert!(!shared.remove("never added"));
    let remaining: Option<Vec<String>> =
        expected.as_ref().map(|e| e.iter().filter(|id| !removed.contains(id.as_str())).cloned().collect());
    let after = shared.snapshot();
    assert_eq!(after.rule_count(), rules.len() - removed.len());
    check_machine(&facts, &after, ReadMode::Skip, remaining.as_deref(), "shared machine after removes").ok();
    let again = machine_hits(&before, event);
    assert_eq!(again.is_ok(), all.is_ok(), "an old snapshot changed");
    if let (Ok(a), Ok(b)) = (again, all) {
        assert_eq!(a, b, "an old snapshot changed");
    }
}

fn pair_id(id: &str) -> String {
    let i: usize = id[1..].parse().expect("r<i>");
    format!("g{}", i / 2)
}

/// The fixed rules of `read_event`: many paths and every operator.
const READ_EVENT_RULES: [&str; 14] = [
    r#"{"source": ["aws.ec2", "aws.s3"], "detail-type": ["x"]}"#,
    r#"{"detail": {"n": [{"numeric": [">", 0, "<=", 100]}], "m": [300, 1.5e2, -0]}}"#,
    r#"{"detail": {"s": [{"prefix": "ab"}, {"suffix": "yz"}, {"equals-ignore-case": "MiXeD"}]}}"#,
    r#"{"a": [{"anything-but": ["x", "y"]}], "b": [{"anything-but": {"prefix": "p"}}]}"#,
    r#"{"e": [{"exists": false}], "f": [{"exists": true}]}"#,
    r#"{"w": [{"wildcard": "a*b*c"}, {"prefix": {"equals-ignore-case": "Ü"}}]}"#,
    r#"{"ip": [{"cidr": "10.0.0.0/8"}, {"cidr": "2001:db8::/32"}]}"#,
    r#"{"$or": [{"k": [null]}, {"k": [true, false]}, {"a.b.c": ["d"]}]}"#,
    r#"{"arr": {"x": ["1"], "y": ["2"]}}"#,
    r#"{"a": {"b": {"c": ["d"]}}, "a.b.x": [{"exists": false}]}"#,
    r#"{"": {"": [""]}, "u": [{"suffix": {"equals-ignore-case": "é"}}]}"#,
    r#"{"n": [{"anything-but": [1, 2.5]}], "s": [{"anything-but": {"suffix": "z"}}]}"#,
    r#"{"detail": {"arr": {"n": [{"numeric": ["=", 5]}], "s": [{"anything-but": {"equals-ignore-case": "no"}}]}}}"#,
    r#"{"x": {"y": [{"exists": true}]}, "x.z": [{"wildcard": "*\\**"}]}"#,
];

struct ReadEventSetup {
    /// (depth limit, rule patterns, machines by mode)
    setups: Vec<(usize, Vec<Pattern>, Vec<Machine>)>,
    probe: Pattern,
    literals: HashSet<String>,
}

fn read_event_setup() -> &'static ReadEventSetup {
    static SETUP: std::sync::OnceLock<ReadEventSetup> = std::sync::OnceLock::new();
    SETUP.get_or_init(|| {
        let mut literals = HashSet::new();
        let setups = [DEFAULT_MAX_EVENT_DEPTH, 3]
            .into_iter()
            .map(|depth| {
                let patterns: Vec<Pattern> = READ_EVENT_RULES
                    .iter()
                    .map(|r| Pattern::builder().max_event_depth(depth).build(r).expect("a valid rule"))
                    .collect();
                patterns.iter().for_each(|p| number_literals(p.ast(), &mut literals));
                let machines = MODES
                    .iter()
                    .map(|&mode| {
                        let mut b = Machine::builder();
                        b.read_mode(mode).max_event_depth(depth);
                        for (i, r) in READ_EVENT_RULES.iter().enumerate() {
                            b.add(format!("r{i}"), r).expect("a valid rule");
                        }
                        b.build()
                    })
                    .collect();
                (depth, patterns, machines)
            })
            .collect();
        ReadEventSetup { setups, probe: Pattern::new(READ_EVENT_RULES[0]).expect("a valid rule"), literals }
    })
}

/// **read_event**: arbitrary bytes as the event of a fixed machine (rules on many paths, every
/// operator), with the default depth limit and with a limit of 3, in every `ReadMode`. `Strict`
/// fails exactly when serde_json rejects the text, it is not an object, or it nests too deep; on
/// readable events every mode gives the reference matcher's match set (`EarlyStop` where it is
/// exact), and `matches_value` too where defined.
pub fn read_event(data: &[u8]) {
    let setup = read_event_setup();
    let Ok(event) = std::str::from_utf8(data) else { return check_invalid_utf8(&setup.probe, data) };
    for (depth, patterns, machines) in &setup.setups {
        let facts = EventFacts::new(event, *depth);
        let verdicts: Vec<Result<bool, Error>> = patterns.iter().map(|p| reference::matches(p, event)).collect();
        for v in &verdicts {
            check_strict(&facts, v, "reference::matches");
        }
        let expected: Option<Vec<String>> = facts.readable().map(|_| {
            verdicts.iter().enumerate().filter(|(_, v)| *v.as_ref().unwrap()).map(|(i, _)| format!("r{i}")).collect()
        });
        let mut strict = None;
        for (mode, machine) in MODES.iter().zip(machines) {
            let hits = check_machine(&facts, machine, *mode, expected.as_deref(), "read_event machine");
            match (&strict, &hits) {
                (None, _) => strict = Some(hits),
                (Some(Ok(s)), Ok(h)) if *mode == ReadMode::Skip || facts.early_stop_exact() => {
                    assert_eq!(h, s, "{mode:?} and Strict disagree on {event:?}")
                }
                (Some(Ok(_)), Err(e)) => panic!("{mode:?} rejects what Strict reads: {e:?}"),
                _ => {}
            }
        }
        if let Some(value) = facts.value(&setup.literals) {
            let expected = expected.as_ref().expect("a Value only of readable events");
            assert_eq!(&machine_value_hits(&machines[1], &value), expected, "matches_value on {event:?}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lambda

/// Does a pattern path address the data property `key`: `Some(true)` a field inside it,
/// `Some(false)` the property itself (a plain-string condition).
fn addresses(path: &str, key: &str) -> Option<bool> {
    match path.strip_prefix(key) {
        Some("") => Some(false),
        Some(rest) if rest.starts_with('.') => Some(true),
        _ => None,
    }
}

/// Is a pattern unaffected by the format-mismatch rule (PATTERNS.md §13.3) for this payload kind,
/// so that the reference matcher on the filter view decides it alone?
fn mismatch_free(pattern: &Pattern, key: Option<&str>, payload: Payload) -> bool {
    let Some(key) = key else { return true };
    let uses = |inside: bool| pattern.paths().any(|p| addresses(p, key) == Some(inside));
    match payload {
        Payload::Json => !uses(false),
        Payload::Plain => !uses(true),
        Payload::Undecodable => !uses(true) && !uses(false),
        _ => true,
    }
}

/// Standard base64 (RFC 4648 §4), padding optional, no whitespace. `None` when not base64;
/// `Some(None)` when only a lenient decoder (ignoring non-zero trailing bits) would accept it.
fn base64(text: &str) -> Option<Option<Vec<u8>>> {
    let bytes = text.as_bytes();
    let unpadded = bytes.strip_suffix(b"==").or_else(|| bytes.strip_suffix(b"=")).unwrap_or(bytes);
    if unpadded.len() != bytes.len() && !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut sextets = Vec::with_capacity(unpadded.len());
    for &b in unpadded {
        sextets.push(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32);
    }
    if sextets.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::new();
    let mut canonical = true;
    for chunk in sextets.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &s)| n | s << (18 - 6 * i));
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        let keep = chunk.len() - 1;
        out.extend_from_slice(&bytes[..keep]);
        let used_bits = keep * 8;
        canonical &= n & ((1 << (24 - used_bits)) - 1) == 0;
    }
    Some(canonical.then_some(out))
}

/// The payload kind of decoded text: JSON when the whole text is one JSON value (not blank, within
/// the depth limit), plain otherwise. `None` where this oracle cannot tell (a byte-order mark).
fn payload_of(text: &str) -> Option<Payload> {
    if text.starts_with('\u{feff}') {
        return None;
    }
    if text.trim_matches([' ', '\t', '\n', '\r']).is_empty() {
        return Some(Payload::Plain);
    }
    match classify(text) {
        Json::Valid { depth, .. } if depth <= DEFAULT_MAX_EVENT_DEPTH => Some(Payload::Json),
        Json::Valid { .. } | Json::Invalid => Some(Payload::Plain),
        Json::Unknown => None,
    }
}

/// The filter view of a valid record object (PATTERNS.md §13.2), built independently of the
/// library: `(payload kind, view text)`, or `None` where the record is ambiguous for this oracle
/// (a repeated data or `kinesis` key, a payload whose kind it cannot tell).
fn filter_view(source: Source, record: &str, tree: &Node, decode: bool) -> Option<(Payload, String)> {
    let key = match (source, source.data_key()) {
        (Source::Raw | Source::DynamoDb, _) | (_, None) => return Some((Payload::AsIs, record.to_string())),
        (_, Some(key)) => key,
    };
    let members = tree.members();
    let count = |members: &[(String, Node)], k: &str| members.iter().filter(|(m, _)| m == k).count();
    let kinesis = match source {
        Source::Kinesis => {
            let found: Vec<&Node> = members.iter().filter(|(k, _)| k == "kinesis").map(|(_, v)| v).collect();
            match found.as_slice() {
                [inner] if inner.is_object() => Some(*inner),
                [_, _, ..] => return None,
                _ => None,
            }
        }
        _ => None,
    };
    // The members of the view, before decoding: (key, raw value).
    let mut view: Vec<(&str, &str)> = Vec::new();
    let (outer, data_members) = match kinesis {
        Some(inner) => {
            for (k, v) in members.iter().filter(|(k, _)| k != "kinesis") {
                view.push((k, v.raw(record)));
            }
            (inner.members(), inner.members())
        }
        None => (members, members),
    };
    if kinesis.is_some() {
        for (k, v) in outer {
            view.push((k, v.raw(record)));
        }
    }
    if !decode {
        if kinesis.is_none() {
            return Some((Payload::AsIs, record.to_string()));
        }
        return Some((Payload::AsIs, object_text(&view)));
    }
    let data = match count(data_members, key) {
        0 => {
            let text = if kinesis.is_some() { object_text(&view) } else { record.to_string() };
            return Some((Payload::AsIs, text));
        }
        1 => data_members.iter().find(|(k, _)| k == key).map(|(_, v)| v)?,
        _ => return None,
    };
    let Kind::String(token) = &data.kind else {
        let text = if kinesis.is_some() { object_text(&view) } else { record.to_string() };
        return Some((Payload::AsIs, text));
    };
    let decoded: Result<String, ()> = match source {
        Source::Sqs => Ok(token.clone()),
        _ => match base64(token) {
            None => Err(()),
            Some(None) => return None,
            Some(Some(bytes)) => String::from_utf8(bytes).map_err(|_| ()),
        },
    };
    let (payload, replacement) = match decoded {
        Err(()) => (Payload::Undecodable, data.raw(record).to_string()),
        Ok(text) => match payload_of(&text)? {
            Payload::Json => (Payload::Json, text),
            _ => (Payload::Plain, serde_json::to_string(&text).expect("a string serialises")),
        },
    };
    let text = match kinesis {
        Some(_) => {
            // The `kinesis` members come last in `view`; only its data member is decoded.
            let inner = view.len() - outer.len();
            for (k, v) in view[inner..].iter_mut() {
                if *k == key {
                    *v = &replacement;
                }
            }
            object_text(&view)
        }
        None => format!("{}{replacement}{}", &record[..data.start], &record[data.end..]),
    };
    Some((payload, text))
}

fn object_text(members: &[(&str, &str)]) -> String {
    let inner: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).expect("a string serialises")))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// The parts of a `lambda` input.
struct LambdaInput<'t> {
    source: Source,
    criteria: &'t str,
    payload: Option<&'t str>,
}

fn lambda_input(data: &[u8]) -> Option<LambdaInput<'_>> {
    let (&selector, rest) = data.split_first()?;
    let source = Source::ALL[usize::from(selector) % Source::ALL.len()];
    let split = rest.iter().position(|&b| b == 0);
    let (criteria, payload) = match split {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    Some(LambdaInput {
        source,
        criteria: std::str::from_utf8(criteria).ok()?,
        payload: payload.and_then(|p| std::str::from_utf8(p).ok()),
    })
}

/// **lambda**: `source-byte criteria \0 record-or-batch`; the first byte picks the `Source`
/// (`Source::ALL[b % 6]`). The criteria parse (or fail with spans in the document) and the filter
/// builds exactly when every pattern compiles in the LambdaEsm dialect, there are at most 5, and
/// no Kinesis/DynamoDB pattern puts a leaf array on the data key. The rest is taken both as one
/// record and as an invocation event (batch): `matches`, `evaluate`, `sift`, a `Strict` filter
/// and `matches_value` agree; each filter's verdict equals the reference matcher's on an
/// independently built filter view wherever the format-mismatch rule does not apply; and
/// `filter_batch` accounts for every record exactly once, keeps them byte for byte and decides
/// each as `matches` does.
pub fn lambda(data: &[u8]) {
    let Some(input) = lambda_input(data) else { return };
    let doc = input.criteria;
    let source = input.source;
    let criteria = match FilterCriteria::parse(doc) {
        Ok(c) => c,
        Err(e) => {
            check_error(&e, doc, "FilterCriteria::parse");
            let e2 = Filter::new(doc, source).expect_err("Filter::new accepts what FilterCriteria::parse rejects");
            assert_eq!((e2.kind(), e2.span()), (e.kind(), e.span()));
            return;
        }
    };
    let lenient = FilterCriteria::parse_lenient(doc).expect("lenient parsing rejects what strict parsing accepts");
    assert!(lenient.patterns().eq(criteria.patterns()));
    let key = source.data_key();
    let compiled: Vec<Result<Pattern, Error>> =
        criteria.patterns().map(|p| Pattern::builder().dialect(Dialect::LambdaEsm).build(p)).collect();
    let plain_on_data = |p: &Pattern| {
        matches!(source, Source::Kinesis | Source::DynamoDb) && key.is_some_and(|k| p.paths().any(|path| path == k))
    };
    let first_bad = compiled.iter().position(|r| r.as_ref().map_or(true, plain_on_data));
    let built = Filter::new(doc, source);
    let filter = match (&built, criteria.len() > eventsift::lambda::DEFAULT_MAX_FILTERS, first_bad) {
        (Err(e), too_many, bad) => {
            check_error(e, doc, "Filter::new");
            let index = e.filter_index();
            if too_many {
                assert_eq!(e.kind(), ErrorKind::TooManyFilters, "{e:?}");
                assert_eq!(index, Some(eventsift::lambda::DEFAULT_MAX_FILTERS));
            } else {
                let bad = bad.unwrap_or_else(|| panic!("Filter::new rejects valid criteria: {e:?}"));
                assert_eq!(index, Some(bad), "{e:?}");
                match &compiled[bad] {
                    Err(pe) => assert_eq!(e.kind(), pe.kind(), "{e:?}"),
                    Ok(_) => assert_eq!(e.kind(), ErrorKind::PlainDataPattern, "{e:?}"),
                }
            }
            return;
        }
        (Ok(_), true, _) => panic!("more than 5 filters accepted"),
        (Ok(_), false, Some(bad)) => panic!("filter {bad} should be rejected: {:?}", compiled[bad].as_ref().err()),
        (Ok(f), false, None) => f,
    };
    let Some(payload) = input.payload else { return };
    let patterns: Vec<Pattern> = compiled.into_iter().map(|p| p.expect("checked above")).collect();
    let mut literals = HashSet::new();
    patterns.iter().for_each(|p| number_literals(p.ast(), &mut literals));
    let strict = Filter::builder(source).read_mode(ReadMode::Strict).build(doc).expect("builds with Skip");
    check_record(filter, &strict, &patterns, &literals, payload);
    check_batch(filter, payload);
    if source == Source::Kinesis {
        check_typed_kinesis(filter, &strict, payload.as_bytes());
    }
}

/// The typed Kinesis path (`Filter::evaluate_kinesis`, which reads the data bytes in one loop and
/// falls back to the reader) decides as the Lambda record's text does, whatever the data bytes.
fn check_typed_kinesis(filter: &Filter, strict: &Filter, data: &[u8]) {
    let fields = KinesisFields {
        partition_key: "pk-1",
        sequence_number: "49590338271490256608559692538361571095921575989136588898",
        data,
        approximate_arrival_timestamp: Some(1_545_084_650.987),
        encryption_type: None,
        event_id: "shardId-000000000006:49590338271490256608559692538361571095921575989136588898",
        aws_region: "us-east-1",
        event_source_arn: "arn:aws:kinesis:us-east-1:123456789012:stream/lambda-stream",
    };
    let json = fields.to_json();
    let mut scratch = eventsift::lambda::Scratch::default();
    for f in [filter, strict] {
        let text = f.evaluate(&json, &mut scratch).map_err(|e| e.kind());
        let typed = f.evaluate_kinesis(&fields, &mut scratch).map_err(|e| e.kind());
        assert_eq!(typed, text, "the typed Kinesis path on {json}");
    }
}

fn check_record(filter: &Filter, strict: &Filter, patterns: &[Pattern], literals: &HashSet<String>, record: &str) {
    let source = filter.source();
    let key = source.data_key();
    let mut scratch = eventsift::lambda::Scratch::default();
    let verdict = filter.evaluate(record, &mut scratch);
    let keep = filter.matches(record);
    if let Err(e) = &keep {
        check_error(e, record, "Filter::matches");
    }
    match (&verdict, &keep) {
        (Ok(v), Ok(k)) => assert_eq!(v.keep, *k, "evaluate and matches disagree"),
        (Err(a), Err(b)) => assert_eq!((a.kind(), a.span()), (b.kind(), b.span())),
        _ => panic!("evaluate {verdict:?} and matches {keep:?} disagree"),
    }
    let sifted: Vec<Result<bool, Error>> = filter.sift([record]).map(|(_, v)| v).collect();
    assert!(same_outcome(&sifted[0], &keep), "sift {:?} and matches {keep:?} disagree", sifted[0]);
    let by_strict = strict.evaluate(record, &mut scratch);
    if let Err(e) = &by_strict {
        check_error(e, record, "Strict filter");
    }
    if let Ok(s) = &by_strict {
        let v = verdict.as_ref().unwrap_or_else(|e| panic!("Skip rejects what Strict reads: {e:?}"));
        assert_eq!(s, v, "Strict and Skip filters disagree on {record:?}");
    }

    let json = classify(record);
    let Some(tree) = json.object_within(DEFAULT_MAX_EVENT_DEPTH) else { return };
    let decode = matches!(source, Source::Kinesis | Source::Sqs | Source::Kafka | Source::Mq)
        && key.is_some_and(|k| patterns.iter().any(|p| p.paths().any(|path| addresses(path, k).is_some())));
    if patterns.is_empty() {
        assert_eq!(keep.as_ref().ok(), Some(&true), "no filters: every record passes");
    }
    if let Some((payload, view)) = filter_view(source, record, tree, decode) {
        let view_json = classify(&view);
        if view_json.object_within(DEFAULT_MAX_EVENT_DEPTH).is_none() {
            return; // a JSON payload spliced in may nest too deep
        }
        let Verdict { payload: got, filters, .. } =
            verdict.unwrap_or_else(|e| panic!("a valid record is rejected: {e:?} ({record:?})"));
        assert!(strict.evaluate(record, &mut scratch).is_ok(), "Strict rejects a valid record");
        if !patterns.is_empty() {
            assert_eq!(got, payload, "payload kind of {record:?}");
        }
        for (i, p) in patterns.iter().enumerate() {
            if mismatch_free(p, key, payload) {
                let expected = reference::matches(p, &view).unwrap_or_else(|e| panic!("view {view:?}: {e:?}"));
                assert_eq!(
                    filters >> i & 1 == 1,
                    expected,
                    "filter {i} ({:?}) on {record:?}, view {view:?} ({payload:?})",
                    p.source()
                );
            }
        }
    }
    if value_comparable(tree, record, literals) {
        if let (Ok(value), Ok(k)) = (serde_json::from_str::<serde_json::Value>(record), &keep) {
            let by_value = filter.matches_value(&value).unwrap_or_else(|e| panic!("matches_value: {e:?}"));
            assert_eq!(by_value, *k, "matches_value disagrees on {record:?}");
        }
    }
}

/// The container of an invocation event, as `filter_batch` must find it: the first top-level
/// member named like a list of records. `Err(())` when the event must be rejected.
#[allow(clippy::type_complexity)]
fn batch_records(tree: &Node) -> Result<(usize, Vec<(Option<&str>, &Node)>), ()> {
    let members = tree.members();
    let i = members
        .iter()
        .position(|(k, _)| ["Records", "records", "messages", "rmqMessagesByQueue"].contains(&k.as_str()))
        .ok_or(())?;
    let records = match &members[i].1.kind {
        Kind::Array(items) => items.iter().map(|r| (None, r)).collect(),
        Kind::Object(groups) => {
            let mut out = Vec::new();
            for (g, records) in groups {
                let Kind::Array(items) = &records.kind else { return Err(()) };
                out.extend(items.iter().map(|r| (Some(g.as_str()), r)));
            }
            out
        }
        _ => return Err(()),
    };
    Ok((i, records))
}

fn check_batch(filter: &Filter, event: &str) {
    let outcome = filter.filter_batch(event);
    let out = match outcome {
        Ok(out) => out,
        Err(e) => {
            check_error(&e, event, "filter_batch");
            assert_eq!(e.kind(), ErrorKind::InvalidBatch, "{e:?}");
            if let Some(tree) = classify(event).object_within(usize::MAX) {
                assert!(batch_records(tree).is_err(), "a well-formed batch is rejected: {e:?}");
            }
            return;
        }
    };
    assert_eq!(out.total(), out.kept + out.dropped.len());
    assert!(out.dropped.windows(2).all(|w| w[0].index < w[1].index), "dropped indices out of order");
    assert!(out.dropped.iter().all(|d| d.index < out.total()), "a dropped index past the end");
    let Json::Valid { tree: Some(tree), .. } = classify(event) else { return };
    let (container, records) = batch_records(&tree).expect("filter_batch accepts a malformed batch");
    assert_eq!(out.total(), records.len(), "records counted in {event:?}");
    let mut dropped = out.dropped.iter().peekable();
    let mut kept: Vec<(Option<&str>, &str)> = Vec::new();
    for (index, (group, record)) in records.iter().enumerate() {
        let text = record.raw(event);
        let single = filter.matches(text);
        match dropped.next_if(|d| d.index == index) {
            None => {
                assert_eq!(single.as_ref().ok(), Some(&true), "record {index} kept, but matches says {single:?}");
                kept.push((*group, text));
            }
            Some(d) => {
                assert_eq!(d.group.as_deref(), *group, "group of dropped record {index}");
                match &d.reason {
                    DropReason::NoMatch { .. } => {
                        assert_eq!(single.as_ref().ok(), Some(&false), "record {index} dropped, matches {single:?}")
                    }
                    DropReason::Invalid(e) => {
                        check_error(e, text, "dropped record");
                        assert!(single.is_err(), "record {index} dropped as invalid, but matches says {single:?}");
                    }
                    _ => {}
                }
            }
        }
    }
    // The output: the same members, the container holding exactly the kept records, byte for byte.
    let output = classify(&out.event);
    let Json::Valid { tree: Some(out_tree), .. } = output else {
        panic!("filter_batch output is not JSON: {:?}", out.event)
    };
    let (before, after) = (tree.members(), out_tree.members());
    assert_eq!(before.len(), after.len(), "members of the output");
    for (i, ((k1, v1), (k2, v2))) in before.iter().zip(after).enumerate() {
        assert_eq!(k1, k2);
        if i != container {
            assert_eq!(v1.raw(event), v2.raw(&out.event), "member {k1} changed");
        }
    }
    let (_, out_records) = batch_records(&out_tree).expect("the output has the container");
    let out_records: Vec<(Option<&str>, &str)> = out_records.iter().map(|(g, r)| (*g, r.raw(&out.event))).collect();
    assert_eq!(out_records, kept, "kept records of {event:?}");
}
