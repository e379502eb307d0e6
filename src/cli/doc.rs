//! Documents with positions: YAML (through `saphyr-parser`'s events) and JSON (through
//! `jsonc-parser`'s AST, in strict JSON mode) read into one tree whose every node knows its byte
//! span in the file, and text assembled from such nodes that knows, for every byte, where in the
//! file it came from.
//!
//! The second half is what lets a diagnostic point into the file the user edits: a pattern written
//! as a YAML single-quoted string, a `|` block scalar, a JSON string with escapes, or as a YAML
//! object is turned into pattern text plus a byte map, and an error span in the pattern text is
//! carried back through the map.

use std::collections::HashMap;
use std::ops::Range;

use saphyr_parser::{Event, Parser, ScalarStyle};

/// How a scalar was written, which decides how its text maps back to the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// YAML plain scalar (folded across lines).
    Plain,
    /// YAML `'…'` (`''` is a quote).
    SingleQuoted,
    /// YAML `"…"` or a JSON string: backslash escapes.
    DoubleQuoted,
    /// YAML `|` or `>` block scalar.
    Block,
}

/// What a scalar is, after YAML's core schema (JSON scalars keep their JSON type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScalarType {
    String,
    Number,
    Bool,
    Null,
}

/// A node of a document.
#[derive(Clone, Debug)]
pub struct Node {
    /// The bytes the node covers in the file (for a tagged YAML node, the tag included).
    pub span: Range<usize>,
    /// A YAML tag such as `!Ref` or `!Sub` (CloudFormation short forms), with its `!`.
    pub tag: Option<String>,
    pub kind: Kind,
}

#[derive(Clone, Debug)]
pub enum Kind {
    Map(Vec<(Key, Node)>),
    Seq(Vec<Node>),
    Scalar { value: String, style: Style, ty: ScalarType },
}

/// A mapping key.
#[derive(Clone, Debug)]
pub struct Key {
    pub text: String,
    pub span: Range<usize>,
}

/// A document that could not be read, with the byte offset of the problem.
#[derive(Debug)]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
}

impl Node {
    /// The value of `key` in a mapping (the last one, as CloudFormation reads duplicates).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.kind {
            Kind::Map(members) => members.iter().rev().find(|(k, _)| k.text == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key node of `key` in a mapping.
    pub fn key(&self, key: &str) -> Option<&Key> {
        match &self.kind {
            Kind::Map(members) => members.iter().rev().find(|(k, _)| k.text == key).map(|(k, _)| k),
            _ => None,
        }
    }

    pub fn members(&self) -> &[(Key, Node)] {
        match &self.kind {
            Kind::Map(members) => members,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match &self.kind {
            Kind::Seq(items) => items,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.kind, Kind::Map(_))
    }

    /// The text of a string scalar without a tag.
    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, ty: ScalarType::String, .. } if self.tag.is_none() => Some(value),
            _ => None,
        }
    }

    /// The text of any untagged scalar.
    pub fn scalar_text(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar { value, .. } if self.tag.is_none() => Some(value),
            _ => None,
        }
    }

    /// A CloudFormation intrinsic function: a `!Tag` short form, or a one-member mapping whose key
    /// is `Ref`, `Condition` or starts with `Fn::`. Returns its name (`Ref`, `Fn::Sub`, …).
    pub fn intrinsic(&self) -> Option<String> {
        if let Some(tag) = &self.tag {
            let name = tag.trim_start_matches('!');
            if name.is_empty() || tag.starts_with("!!") || tag.starts_with("tag:") {
                return None;
            }
            return Some(if name == "Ref" || name == "Condition" { name.to_string() } else { format!("Fn::{name}") });
        }
        match &self.kind {
            Kind::Map(members) if members.len() == 1 => {
                let k = &members[0].0.text;
                (k == "Ref" || k == "Condition" || k.starts_with("Fn::")).then(|| k.clone())
            }
            _ => None,
        }
    }
}

/// Nesting deeper than this is an error (a documented limit), never a stack overflow.
pub const MAX_DEPTH: usize = 256;

/// Calls `f` with each bracket of JSON (or YAML flow) text outside its strings; returns whether the
/// text ends inside a string.
pub(crate) fn each_bracket(text: &[u8], mut f: impl FnMut(u8)) -> bool {
    let (mut in_string, mut escaped) = (false, false);
    for &b in text {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' | b']' | b'}' => f(b),
            _ => {}
        }
    }
    in_string
}

/// The deepest bracket nesting of JSON (or YAML flow) text, strings skipped.
fn bracket_depth(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    each_bracket(text.as_bytes(), |b| {
        if matches!(b, b'[' | b'{') {
            depth += 1;
            max = max.max(depth);
        } else {
            depth = depth.saturating_sub(1);
        }
    });
    max
}

fn too_deep(offset: usize) -> ParseError {
    ParseError { message: format!("nesting deeper than {MAX_DEPTH} levels (the limit)"), offset }
}

/// Where the second document of a YAML stream starts (a byte offset), if it has one that holds
/// anything: [`parse_yaml`] reads the first only.
pub fn second_yaml_document(text: &str) -> Option<usize> {
    let mut parser = Parser::new_from_str(text);
    let mut ended = false;
    while let Some(Ok((event, span))) = parser.next_event() {
        match event {
            Event::DocumentEnd => ended = true,
            // An empty document (a trailing `---`) is an empty plain scalar.
            Event::Scalar(ref v, ScalarStyle::Plain, ..) if ended && v.is_empty() => {}
            Event::Scalar(..) | Event::MappingStart(..) | Event::SequenceStart(..) if ended => {
                let chars = span.start.index();
                return Some(text.char_indices().nth(chars).map_or(text.len(), |(i, _)| i));
            }
            Event::StreamEnd => return None,
            _ => {}
        }
    }
    None
}

/// Reads YAML (the first document). Tags are kept; aliases are resolved to copies of their anchor.
pub fn parse_yaml(text: &str) -> Result<Node, ParseError> {
    // saphyr's markers count characters: map them to bytes.
    let mut byte_of: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
    byte_of.push(text.len());
    let at = |chars: usize| byte_of.get(chars).copied().unwrap_or(text.len());

    enum Frame {
        Map { start: usize, tag: Option<String>, anchor: usize, members: Vec<(Key, Node)>, key: Option<Node> },
        Seq { start: usize, tag: Option<String>, anchor: usize, items: Vec<Node> },
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: HashMap<usize, Node> = HashMap::new();
    let mut root: Option<Node> = None;
    let mut parser = Parser::new_from_str(text);

    fn push(stack: &mut [Frame], root: &mut Option<Node>, node: Node) {
        match stack.last_mut() {
            None => {
                if root.is_none() {
                    *root = Some(node);
                }
            }
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map { members, key, .. }) => match key.take() {
                None => *key = Some(node),
                Some(k) => {
                    let text = match &k.kind {
                        Kind::Scalar { value, .. } => value.clone(),
                        _ => String::new(),
                    };
                    members.push((Key { text, span: k.span }, node));
                }
            },
        }
    }

    while let Some(event) = parser.next_event() {
        let (event, span) =
            event.map_err(|e| ParseError { message: e.info().to_string(), offset: at(e.marker().index()) })?;
        let (start, end) = (at(span.start.index()), at(span.end.index()));
        match event {
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| t.to_string());
                let (style, ty) = match style {
                    ScalarStyle::Plain => {
                        (Style::Plain, if tag.is_some() { ScalarType::String } else { plain_type(&value) })
                    }
                    ScalarStyle::SingleQuoted => (Style::SingleQuoted, ScalarType::String),
                    ScalarStyle::DoubleQuoted => (Style::DoubleQuoted, ScalarType::String),
                    ScalarStyle::Literal | ScalarStyle::Folded => (Style::Block, ScalarType::String),
                };
                let end = if style == Style::Block { trim_end(text, start, end) } else { end };
                let node = Node { span: start..end, tag, kind: Kind::Scalar { value: value.into_owned(), style, ty } };
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                push(&mut stack, &mut root, node);
            }
            Event::Alias(id) => {
                let node = anchors.get(&id).cloned().unwrap_or(Node {
                    span: start..end,
                    tag: None,
                    kind: Kind::Scalar { value: String::new(), style: Style::Plain, ty: ScalarType::Null },
                });
                push(&mut stack, &mut root, node);
            }
            Event::MappingStart(..) | Event::SequenceStart(..) if stack.len() >= MAX_DEPTH => {
                return Err(too_deep(start));
            }
            Event::MappingStart(anchor, tag) => stack.push(Frame::Map {
                start,
                tag: tag.map(|t| t.to_string()),
                anchor,
                members: Vec::new(),
                key: None,
            }),
            Event::SequenceStart(anchor, tag) => {
                stack.push(Frame::Seq { start, tag: tag.map(|t| t.to_string()), anchor, items: Vec::new() })
            }
            Event::MappingEnd | Event::SequenceEnd => {
                let Some(frame) = stack.pop() else { continue };
                let end = trim_end(text, 0, end.max(start));
                let (node, anchor) = match frame {
                    Frame::Map { start, tag, anchor, members, .. } => {
                        (Node { span: start..end.max(start), tag, kind: Kind::Map(members) }, anchor)
                    }
                    Frame::Seq { start, tag, anchor, items } => {
                        (Node { span: start..end.max(start), tag, kind: Kind::Seq(items) }, anchor)
                    }
                };
                if anchor > 0 {
                    anchors.insert(anchor, node.clone());
                }
                push(&mut stack, &mut root, node);
            }
            Event::DocumentEnd if root.is_some() => break,
            Event::StreamEnd => break,
            _ => {}
        }
    }
    Ok(root.unwrap_or(Node {
        span: 0..0,
        tag: None,
        kind: Kind::Scalar { value: String::new(), style: Style::Plain, ty: ScalarType::Null },
    }))
}

/// The end of `text[start..end]` without trailing whitespace.
fn trim_end(text: &str, start: usize, end: usize) -> usize {
    let end = end.min(text.len());
    let trimmed = text[start.min(end)..end].trim_end();
    start.min(end) + trimmed.len()
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn plain_type(v: &str) -> ScalarType {
    match v {
        "" | "~" | "null" | "Null" | "NULL" => ScalarType::Null,
        "true" | "True" | "TRUE" | "false" | "False" | "FALSE" => ScalarType::Bool,
        _ if is_json_number(v) => ScalarType::Number,
        _ => ScalarType::String,
    }
}

/// A number as JSON writes it (YAML's other number forms, `0x1F`, `.5`, `+1`, stay strings here:
/// as pattern values they would not be numbers in the JSON that CloudFormation sends either).
pub fn is_json_number(v: &str) -> bool {
    let b = v.as_bytes();
    let mut i = 0;
    if b.first() == Some(&b'-') {
        i += 1;
    }
    let digits = |i: &mut usize| {
        let s = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        *i - s
    };
    let int_start = i;
    let n = digits(&mut i);
    if n == 0 || (n > 1 && b[int_start] == b'0') {
        return false;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        if digits(&mut i) == 0 {
            return false;
        }
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        if digits(&mut i) == 0 {
            return false;
        }
    }
    i == b.len()
}

/// Reads strict JSON (no comments, no trailing commas).
pub fn parse_json(text: &str) -> Result<Node, ParseError> {
    use jsonc_parser::ast::{ObjectPropName, Value};
    let options = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        ..Default::default()
    };
    if bracket_depth(text) > MAX_DEPTH {
        return Err(too_deep(0));
    }
    // A byte-order mark is skipped; offsets stay those of the file.
    let base = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let parsed = jsonc_parser::parse_to_ast(&text[base..], &Default::default(), &options)
        .map_err(|e| ParseError { message: e.kind().to_string(), offset: base + e.range().start })?;
    let mut node = match parsed.value {
        Some(v) => convert(v),
        None => return Err(ParseError { message: "the file holds no JSON value".into(), offset: 0 }),
    };
    if base > 0 {
        shift(&mut node, base);
    }
    return Ok(node);

    fn shift(node: &mut Node, by: usize) {
        node.span = node.span.start + by..node.span.end + by;
        match &mut node.kind {
            Kind::Map(members) => {
                for (k, v) in members {
                    k.span = k.span.start + by..k.span.end + by;
                    shift(v, by);
                }
            }
            Kind::Seq(items) => items.iter_mut().for_each(|v| shift(v, by)),
            Kind::Scalar { .. } => {}
        }
    }

    fn convert(v: Value<'_>) -> Node {
        match v {
            Value::StringLit(s) => Node {
                span: s.range.start..s.range.end,
                tag: None,
                kind: Kind::Scalar { value: s.value.into_owned(), style: Style::DoubleQuoted, ty: ScalarType::String },
            },
            Value::NumberLit(n) => Node {
                span: n.range.start..n.range.end,
                tag: None,
                kind: Kind::Scalar { value: n.value.to_string(), style: Style::Plain, ty: ScalarType::Number },
            },
            Value::BooleanLit(b) => Node {
                span: b.range.start..b.range.end,
                tag: None,
                kind: Kind::Scalar { value: b.value.to_string(), style: Style::Plain, ty: ScalarType::Bool },
            },
            Value::NullKeyword(n) => Node {
                span: n.range.start..n.range.end,
                tag: None,
                kind: Kind::Scalar { value: "null".into(), style: Style::Plain, ty: ScalarType::Null },
            },
            Value::Array(a) => Node {
                span: a.range.start..a.range.end,
                tag: None,
                kind: Kind::Seq(a.elements.into_iter().map(convert).collect()),
            },
            Value::Object(o) => {
                let span = o.range.start..o.range.end;
                let members = o
                    .properties
                    .into_iter()
                    .map(|p| {
                        let (text, span) = match p.name {
                            ObjectPropName::String(s) => (s.value.into_owned(), s.range.start..s.range.end),
                            ObjectPropName::Word(w) => (w.value.to_string(), w.range.start..w.range.end),
                        };
                        (Key { text, span }, convert(p.value))
                    })
                    .collect();
                Node { span, tag: None, kind: Kind::Map(members) }
            }
        }
    }
}

/// Text assembled from a document, with the file offset of every byte.
#[derive(Clone, Debug, Default)]
pub struct Mapped {
    pub text: String,
    /// `map[i]`: the file offset of `text`'s byte `i`; one more entry for the end.
    pub map: Vec<usize>,
}

impl Mapped {
    /// The file span of a span of the text (an empty span stays empty).
    pub fn file_span(&self, span: Range<usize>) -> Range<usize> {
        let at = |i: usize| self.map.get(i).copied().unwrap_or_else(|| self.map.last().copied().unwrap_or(0));
        let start = at(span.start);
        if span.end <= span.start {
            return start..start;
        }
        // The end is one past the last byte of the span.
        let last = at(span.end - 1);
        let end = self.map.get(span.end).copied().filter(|&e| e > last).unwrap_or(last + 1);
        start..end.max(start)
    }

    pub(crate) fn push_str(&mut self, s: &str, at: usize) {
        self.text.push_str(s);
        self.map.extend(std::iter::repeat_n(at, s.len()));
    }

    /// Appends `other`'s text with its map (its end entry dropped: the text goes on).
    pub(crate) fn append(&mut self, other: &Mapped) {
        self.text.push_str(&other.text);
        self.map.extend_from_slice(&other.map[..other.text.len().min(other.map.len())]);
    }
}

/// The text of a string scalar mapped back to the file, through its quotes, escapes and folding.
pub fn scalar_text(file: &str, node: &Node) -> Mapped {
    let Kind::Scalar { value, style, .. } = &node.kind else { return Mapped::default() };
    let span = node.span.start.min(file.len())..node.span.end.min(file.len());
    let mut raw_start = span.start;
    // Step over a tag, then to the opening quote.
    if node.tag.is_some() {
        let rest = &file[raw_start..span.end];
        let skip = rest.find(char::is_whitespace).unwrap_or(rest.len());
        raw_start += skip;
        raw_start += file[raw_start..span.end].len() - file[raw_start..span.end].trim_start().len();
    }
    match style {
        Style::SingleQuoted | Style::DoubleQuoted => {
            if let Some(q) = file[raw_start..span.end].find(['\'', '"']) {
                raw_start += q + 1;
            }
        }
        // A tagged block scalar's span starts at the tag: its content starts on the next line.
        Style::Block if matches!(file.as_bytes().get(raw_start), Some(b'|' | b'>')) => {
            raw_start += file[raw_start..span.end].find('\n').map_or(0, |i| i + 1);
        }
        _ => {}
    }
    let raw = &file[raw_start..span.end];
    let mut out = Mapped { text: String::with_capacity(value.len()), map: Vec::with_capacity(value.len() + 1) };
    let rb = raw.as_bytes();
    let mut p = 0usize;
    for c in value.chars() {
        let mut at;
        loop {
            if p >= rb.len() {
                at = raw_start + raw.len();
                break;
            }
            if *style == Style::DoubleQuoted && rb[p] == b'\\' {
                let (decoded, len) = escape(&raw[p..]);
                match decoded {
                    Some(d) if d == c => {
                        at = raw_start + p;
                        p += len;
                        break;
                    }
                    None => {
                        p += len; // a line continuation
                        continue;
                    }
                    Some(_) => {
                        at = raw_start + p;
                        p += len;
                        break;
                    }
                }
            }
            if *style == Style::SingleQuoted && c == '\'' && raw[p..].starts_with("''") {
                at = raw_start + p;
                p += 2;
                break;
            }
            if raw[p..].starts_with(c) {
                at = raw_start + p;
                p += c.len_utf8();
                break;
            }
            if rb[p].is_ascii_whitespace() {
                if c == ' ' || c == '\n' {
                    at = raw_start + p;
                    p += 1;
                    break;
                }
                p += 1;
                continue;
            }
            // Out of step (should not happen): find the character further on.
            at = raw_start + p;
            if let Some(skip) = raw[p..].find(c) {
                at += skip;
                p += skip + c.len_utf8();
            }
            break;
        }
        let mut buf = [0u8; 4];
        out.push_str(c.encode_utf8(&mut buf), at);
    }
    out.map.push(raw_start + p.min(raw.len()));
    out
}

/// One backslash escape at the start of `s`: the character (None for a YAML line continuation)
/// and the bytes it takes.
fn escape(s: &str) -> (Option<char>, usize) {
    let b = s.as_bytes();
    let Some(&e) = b.get(1) else { return (Some('\\'), 1) };
    let hex = |from: usize, n: usize| s.get(from..from + n).and_then(|h| u32::from_str_radix(h, 16).ok());
    match e {
        b'u' => {
            let Some(hi) = hex(2, 4) else { return (Some('\u{fffd}'), 2) };
            if (0xD800..0xDC00).contains(&hi) && s.get(6..8) == Some("\\u") {
                if let Some(lo) = hex(8, 4).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return (char::from_u32(c), 12);
                }
            }
            (Some(char::from_u32(hi).unwrap_or('\u{fffd}')), 6)
        }
        b'x' => (hex(2, 2).and_then(char::from_u32), 4),
        b'U' => (hex(2, 8).and_then(char::from_u32), 10),
        b'\n' | b'\r' => {
            let mut n = 2;
            while n < b.len() && (b[n] == b' ' || b[n] == b'\t' || b[n] == b'\n' || b[n] == b'\r') {
                n += 1;
            }
            (None, n)
        }
        _ => {
            let c = match e {
                b'n' => '\n',
                b't' | b'\t' => '\t',
                b'r' => '\r',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'0' => '\0',
                b'a' => '\u{7}',
                b'v' => '\u{b}',
                b'e' => '\u{1b}',
                b' ' => ' ',
                b'N' => '\u{85}',
                b'_' => '\u{a0}',
                b'L' => '\u{2028}',
                b'P' => '\u{2029}',
                other => other as char,
            };
            (Some(c), 2)
        }
    }
}

/// A node turned into JSON text, mapped back to the file. Intrinsic functions inside are replaced
/// by placeholder strings and their file spans returned, so that the rest can still be checked.
pub fn to_json(file: &str, node: &Node, intrinsics: &mut Vec<(String, Range<usize>)>) -> Mapped {
    let mut out = Mapped::default();
    write_json(file, node, &mut out, intrinsics);
    out.map.push(node.span.end);
    out
}

fn write_json(file: &str, node: &Node, out: &mut Mapped, intrinsics: &mut Vec<(String, Range<usize>)>) {
    if let Some(name) = node.intrinsic() {
        intrinsics.push((name.clone(), node.span.clone()));
        out.push_str(&format!("\"<{name}>\""), node.span.start);
        return;
    }
    match &node.kind {
        Kind::Map(members) => {
            out.push_str("{", node.span.start);
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push_str(",", v.span.start);
                }
                let key_node = Node {
                    span: k.span.clone(),
                    tag: None,
                    kind: Kind::Scalar {
                        value: k.text.clone(),
                        style: quoted_style(file, &k.span),
                        ty: ScalarType::String,
                    },
                };
                write_string(file, &key_node, out);
                out.push_str(":", v.span.start);
                write_json(file, v, out, intrinsics);
            }
            out.push_str("}", node.span.end.saturating_sub(1).max(node.span.start));
        }
        Kind::Seq(items) => {
            out.push_str("[", node.span.start);
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(",", v.span.start);
                }
                write_json(file, v, out, intrinsics);
            }
            out.push_str("]", node.span.end.saturating_sub(1).max(node.span.start));
        }
        Kind::Scalar { value, ty, .. } => match ty {
            ScalarType::String => write_string(file, node, out),
            ScalarType::Number => out.push_str(value, node.span.start),
            ScalarType::Bool => {
                out.push_str(if value.eq_ignore_ascii_case("true") { "true" } else { "false" }, node.span.start)
            }
            ScalarType::Null => out.push_str("null", node.span.start),
        },
    }
}

/// The quoting of a key, read from the file.
fn quoted_style(file: &str, span: &Range<usize>) -> Style {
    match file.as_bytes().get(span.start) {
        Some(b'"') => Style::DoubleQuoted,
        Some(b'\'') => Style::SingleQuoted,
        _ => Style::Plain,
    }
}

/// A string scalar as a JSON string literal; each escaped character maps to its source character.
fn write_string(file: &str, node: &Node, out: &mut Mapped) {
    let inner = scalar_text(file, node);
    let open = inner.map.first().copied().unwrap_or(node.span.start).saturating_sub(1).max(node.span.start);
    out.push_str("\"", open);
    for (i, c) in inner.text.char_indices() {
        let at = inner.map[i];
        let mut buf = [0u8; 4];
        let piece: String = match c {
            '"' => "\\\"".into(),
            '\\' => "\\\\".into(),
            '\n' => "\\n".into(),
            '\r' => "\\r".into(),
            '\t' => "\\t".into(),
            c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32),
            c => c.encode_utf8(&mut buf).to_string(),
        };
        out.push_str(&piece, at);
    }
    out.push_str("\"", inner.map.last().copied().unwrap_or(node.span.end));
}

/// 1-based line and 1-based column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let mut o = offset;
    while !text.is_char_boundary(o) {
        o -= 1;
    }
    let before = &text[..o];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    // Editors do not count a byte-order mark as a column.
    let bom = usize::from(line_start == 0 && before.starts_with('\u{feff}'));
    (line, before[line_start..].chars().count() + 1 - bom)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find<'a>(node: &'a Node, key: &str) -> &'a Node {
        fn walk<'a>(n: &'a Node, key: &str) -> Option<&'a Node> {
            match &n.kind {
                Kind::Map(m) => m.iter().find_map(|(k, v)| if k.text == key { Some(v) } else { walk(v, key) }),
                Kind::Seq(s) => s.iter().find_map(|v| walk(v, key)),
                _ => None,
            }
        }
        walk(node, key).unwrap()
    }

    /// Every byte of the decoded text maps to the same character in the file, for the styles
    /// where characters are copied (not escapes).
    #[test]
    fn scalars_map_back_through_quotes_and_blocks() {
        let file = "a: '{\"x\": [''q'']}'\nb: |\n  {\n    \"y\": [1]\n  }\nc: \"{\\\"z\\\": [\\u00e9]}\"\nd: >-\n  {\"w\":\n   [2]}\ne: !Sub 'p-${X}'\n";
        let doc = parse_yaml(file).unwrap();
        for key in ["a", "b", "d", "e"] {
            let m = scalar_text(file, find(&doc, key));
            for (i, c) in m.text.char_indices() {
                if !c.is_whitespace() {
                    assert!(file[m.map[i]..].starts_with(c), "{key}: {c:?} at {} -> {:?}", i, &file[m.map[i]..]);
                }
            }
        }
        let c = scalar_text(file, find(&doc, "c"));
        assert_eq!(c.text, "{\"z\": [é]}");
        let at = c.text.find('é').unwrap();
        assert!(file[c.map[at]..].starts_with("\\u00e9"));
        let z = c.text.find('z').unwrap();
        assert!(file[c.map[z]..].starts_with("z\\\""));
    }

    #[test]
    fn yaml_objects_become_json_with_positions() {
        let file = "p:\n  source: [aws.ec2]\n  detail:\n    n: [{numeric: [\">\", 1.5]}, true, null, !Ref X]\n";
        let doc = parse_yaml(file).unwrap();
        let mut intrinsics = Vec::new();
        let m = to_json(file, find(&doc, "p"), &mut intrinsics);
        assert_eq!(m.text, r#"{"source":["aws.ec2"],"detail":{"n":[{"numeric":[">",1.5]},true,null,"<Ref>"]}}"#);
        assert_eq!(intrinsics.len(), 1);
        let at = m.text.find("aws.ec2").unwrap();
        assert!(file[m.map[at]..].starts_with("aws.ec2"));
        let at = m.text.find("1.5").unwrap();
        assert!(file[m.map[at]..].starts_with("1.5"));
        let at = m.text.find("numeric").unwrap();
        assert!(file[m.map[at]..].starts_with("numeric"));
        assert_eq!(m.file_span(at..at + 7), file.find("numeric").unwrap()..file.find("numeric").unwrap() + 7);
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let deep = "[".repeat(100_000);
        assert!(parse_json(&deep).unwrap_err().message.contains("nesting deeper"));
        assert!(parse_yaml(&deep).is_err()); // saphyr has a recursion limit of its own
        let ok = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_json(&ok).is_ok() && parse_yaml(&ok).is_ok());
    }

    #[test]
    fn json_documents() {
        let file = "{\"a\": \"{\\\"b\\\": [\\\"c\\\"]}\", \"n\": -1.5e3}";
        let doc = parse_json(file).unwrap();
        let m = scalar_text(file, doc.get("a").unwrap());
        assert_eq!(m.text, r#"{"b": ["c"]}"#);
        let at = m.text.find('c').unwrap();
        assert!(file[m.map[at]..].starts_with("c\\\""));
        assert!(parse_json("{\"a\": 1,}").is_err());
        assert!(matches!(doc.get("n").unwrap().kind, Kind::Scalar { ty: ScalarType::Number, .. }));
        assert_eq!(line_col("ab\ncé d", 7), (2, 4));
    }
}
