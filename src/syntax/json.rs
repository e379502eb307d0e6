//! A JSON parser (nom, complete input) producing a spanned tree that keeps what a map type loses:
//! duplicate keys in document order, the exact spelling of numbers, and the byte span of every key and
//! value. It mirrors the `json-*` productions of `grammar/pattern.ebnf`.
//!
//! Recursion is bounded by `max_depth` (checked before descending), so hostile nesting yields
//! [`ErrorKind::NestingTooDeep`] instead of a stack overflow.

use std::borrow::Cow;

use nom::bytes::complete::take_while1;
use nom::character::complete::char;
use nom::{IResult, Parser};

use crate::error::{Error, ErrorKind, Span};
use crate::lex::{self, EscapeError, NumberError};

/// One JSON value with its span (quotes and brackets included).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node<'a> {
    pub kind: Kind<'a>,
    pub span: Span,
}

/// The value of a [`Node`].
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Kind<'a> {
    Null,
    Bool(bool),
    /// A number, as spelled in the text.
    Number(&'a str),
    /// A string, unescaped (borrowed when it had no escapes).
    String(Cow<'a, str>),
    Array(Vec<Node<'a>>),
    /// Members in document order, duplicates kept.
    Object(Vec<Member<'a>>),
}

/// An object member: key (unescaped), the key's span (quotes included) and the value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Member<'a> {
    pub key: Cow<'a, str>,
    pub key_span: Span,
    pub value: Node<'a>,
}

/// The private parse error: where (bytes before the end of input) and why. Converted once into the
/// public [`Error`] at the boundary.
#[derive(Debug)]
pub(crate) struct PErr {
    /// `input.len()` at the failure point, so the offset is `text.len() - remaining`.
    remaining: usize,
    len: usize,
    kind: ErrorKind,
    message: Cow<'static, str>,
}

impl<'a> nom::error::ParseError<&'a str> for PErr {
    fn from_error_kind(input: &'a str, _kind: nom::error::ErrorKind) -> Self {
        PErr::at(input, 1, "unexpected input")
    }

    fn append(_input: &'a str, _kind: nom::error::ErrorKind, other: Self) -> Self {
        other
    }
}

impl PErr {
    fn at(input: &str, len: usize, message: impl Into<Cow<'static, str>>) -> PErr {
        let len = input.chars().next().map_or(0, |c| len.max(c.len_utf8()).min(input.len()));
        PErr { remaining: input.len(), len, kind: ErrorKind::Json, message: message.into() }
    }

    fn unexpected(input: &str, expected: &str) -> PErr {
        match input.chars().next() {
            None => PErr::at(input, 0, format!("unexpected end of input: expected {expected}")),
            Some(c) => PErr::at(input, 1, format!("unexpected character {c:?}: expected {expected}")),
        }
    }
}

type PResult<'a, T> = IResult<&'a str, T, PErr>;

fn fail<T>(e: PErr) -> Result<T, nom::Err<PErr>> {
    Err(nom::Err::Failure(e))
}

/// Parses `text` as one JSON value followed only by whitespace. A leading byte-order mark is skipped.
pub(crate) fn parse(text: &str, max_depth: usize) -> Result<Node<'_>, Error> {
    let parser = JsonParser { len: text.len(), max_depth };
    let body = text.strip_prefix(lex::BOM).unwrap_or(text);
    let result = (|| {
        let (rest, _) = ws(body)?;
        let (rest, node) = parser.value(rest, 1)?;
        let (rest, _) = ws(rest)?;
        if !rest.is_empty() {
            return fail(PErr::at(rest, 1, "unexpected trailing characters after the JSON value"));
        }
        Ok(node)
    })();
    result.map_err(|e| {
        let e = match e {
            nom::Err::Error(e) | nom::Err::Failure(e) => e,
            nom::Err::Incomplete(_) => PErr::at("", 0, "unexpected end of input"),
        };
        let start = text.len() - e.remaining;
        Error::new(e.kind, Span::new(start, start + e.len), e.message, text)
    })
}

/// JSON whitespace: space, tab, line feed, carriage return.
fn ws(input: &str) -> PResult<'_, &str> {
    let n = lex::skip_ws(input.as_bytes(), 0);
    Ok((&input[n..], &input[..n]))
}

struct JsonParser {
    len: usize,
    max_depth: usize,
}

impl JsonParser {
    fn offset(&self, rest: &str) -> usize {
        self.len - rest.len()
    }

    fn span(&self, before: &str, after: &str) -> Span {
        Span::new(self.offset(before), self.offset(after))
    }

    fn value<'a>(&self, input: &'a str, depth: usize) -> PResult<'a, Node<'a>> {
        match input.as_bytes().first() {
            Some(b'{' | b'[') if depth > self.max_depth => fail(PErr {
                remaining: input.len(),
                len: 1,
                kind: ErrorKind::NestingTooDeep,
                message: format!("pattern nests deeper than {} levels", self.max_depth).into(),
            }),
            Some(b'{') => self.object(input, depth),
            Some(b'[') => self.array(input, depth),
            Some(b'"') => {
                let (rest, s) = string(input)?;
                Ok((rest, Node { kind: Kind::String(s), span: self.span(input, rest) }))
            }
            Some(b'-' | b'0'..=b'9') => {
                let (rest, n) = number(input)?;
                Ok((rest, Node { kind: Kind::Number(n), span: self.span(input, rest) }))
            }
            Some(b't' | b'f' | b'n') => {
                let word: PResult<'a, &'a str> = take_while1(|c: char| c.is_ascii_alphanumeric())(input);
                let (rest, word) = word?;
                let kind = match word {
                    "true" => Kind::Bool(true),
                    "false" => Kind::Bool(false),
                    "null" => Kind::Null,
                    _ => return fail(unrecognized_token(input, word)),
                };
                Ok((rest, Node { kind, span: self.span(input, rest) }))
            }
            Some(_) => match input.chars().next() {
                Some(c) if c.is_alphabetic() => {
                    let word: PResult<'a, &'a str> = take_while1(|c: char| c.is_alphanumeric() || c == '_')(input);
                    let (_, word) = word?;
                    fail(unrecognized_token(input, word))
                }
                _ => fail(PErr::unexpected(input, "a JSON value (string, number, array, object, true, false or null)")),
            },
            None => fail(PErr::unexpected(input, "a JSON value")),
        }
    }

    fn object<'a>(&self, input: &'a str, depth: usize) -> PResult<'a, Node<'a>> {
        let (mut rest, _) = (char('{'), ws).parse(input)?;
        let mut members = Vec::new();
        if let Ok((after, _)) = char::<_, PErr>('}').parse(rest) {
            return Ok((after, Node { kind: Kind::Object(members), span: self.span(input, after) }));
        }
        loop {
            if !rest.starts_with('"') {
                return fail(PErr::unexpected(rest, "a double-quoted field name"));
            }
            let key_start = rest;
            let (after_key, key) = string(rest)?;
            let key_span = self.span(key_start, after_key);
            let (after_colon, _) = ws(after_key)?;
            let Some(after_colon) = after_colon.strip_prefix(':') else {
                return fail(PErr::unexpected(after_colon, "':' after the field name"));
            };
            let (value_start, _) = ws(after_colon)?;
            let (after_value, value) = self.value(value_start, depth + 1)?;
            members.push(Member { key, key_span, value });
            let (after_value, _) = ws(after_value)?;
            match after_value.as_bytes().first() {
                Some(b',') => rest = ws(&after_value[1..])?.0,
                Some(b'}') => {
                    let end = &after_value[1..];
                    return Ok((end, Node { kind: Kind::Object(members), span: self.span(input, end) }));
                }
                _ => return fail(PErr::unexpected(after_value, "',' or '}'")),
            }
        }
    }

    fn array<'a>(&self, input: &'a str, depth: usize) -> PResult<'a, Node<'a>> {
        let (mut rest, _) = (char('['), ws).parse(input)?;
        let mut items = Vec::new();
        if let Ok((after, _)) = char::<_, PErr>(']').parse(rest) {
            return Ok((after, Node { kind: Kind::Array(items), span: self.span(input, after) }));
        }
        loop {
            let (after_value, value) = self.value(rest, depth + 1)?;
            items.push(value);
            let (after_value, _) = ws(after_value)?;
            match after_value.as_bytes().first() {
                Some(b',') => rest = ws(&after_value[1..])?.0,
                Some(b']') => {
                    let end = &after_value[1..];
                    return Ok((end, Node { kind: Kind::Array(items), span: self.span(input, end) }));
                }
                _ => return fail(PErr::unexpected(after_value, "',' or ']'")),
            }
        }
    }
}

fn unrecognized_token(input: &str, word: &str) -> PErr {
    PErr::at(
        input,
        word.len(),
        format!(
            "unrecognized token '{word}': expected a JSON value (string, number, array, object, true, false or null)"
        ),
    )
}

/// `number = ["-"] int [frac] [exp]`, with precise errors for the usual mistakes.
fn number(input: &str) -> PResult<'_, &str> {
    match lex::number(input.as_bytes(), 0) {
        Ok(end) => Ok((&input[end..], &input[..end])),
        Err((at, why)) => {
            let at_input = &input[at..];
            fail(match why {
                NumberError::Digit => PErr::unexpected(at_input, "a digit"),
                NumberError::FractionDigit => PErr::unexpected(at_input, "a digit after the decimal point"),
                NumberError::ExponentDigit => PErr::unexpected(at_input, "a digit in the exponent"),
                NumberError::LeadingZero => PErr::at(at_input, 1, "leading zeros are not allowed in JSON numbers"),
            })
        }
    }
}

/// A double-quoted string. Borrowed when it has no escapes.
pub(crate) fn string(input: &str) -> PResult<'_, Cow<'_, str>> {
    let b = input.as_bytes();
    if b.first() != Some(&b'"') {
        return Err(nom::Err::Error(PErr::unexpected(input, "'\"'")));
    }
    // Fast path: plain characters up to the closing quote.
    let stop = lex::string_run(b, 1, true);
    if b.get(stop) == Some(&b'"') {
        return Ok((&input[stop + 1..], Cow::Borrowed(&input[1..stop])));
    }
    let mut out = String::new();
    let mut i = 1;
    loop {
        let stop = lex::string_run(b, i, true);
        out.push_str(&input[i..stop]);
        match b.get(stop) {
            None => return fail(PErr::at(&input[input.len()..], 0, "unterminated string")),
            Some(b'"') => return Ok((&input[stop + 1..], Cow::Owned(out))),
            Some(b'\\') => {
                let (c, len) = escape(&input[stop..])?;
                out.push(c);
                i = stop + len;
            }
            Some(_) => return fail(PErr::at(&input[stop..], 1, "control characters must be escaped in JSON strings")),
        }
    }
}

/// One escape sequence starting at a backslash, and its length; surrogate pairs are combined,
/// lone surrogates rejected.
fn escape(input: &str) -> Result<(char, usize), nom::Err<PErr>> {
    lex::escape(input.as_bytes(), 0).or_else(|e| {
        fail(match e {
            EscapeError::End => PErr::at(&input[1..], 0, "unterminated string"),
            EscapeError::Invalid => PErr::at(input, 2, "invalid escape sequence in string"),
            EscapeError::Hex { valid } => {
                PErr::at(&input[2 + valid..], 1, "invalid \\u escape: expected four hexadecimal digits")
            }
            EscapeError::HighAlone => {
                PErr::at(input, 6, "lone surrogate in \\u escape (a high surrogate must be followed by a low one)")
            }
            EscapeError::LowAlone => PErr::at(input, 6, "lone surrogate in \\u escape"),
        })
    })
}

/// Maps a byte offset in a decoded string value back to the byte offset in the pattern text, given
/// the span of the string token (quotes included). Used to point inside strings (wildcard errors).
pub(crate) fn raw_offset(source: &str, token: Span, decoded_offset: usize) -> usize {
    let raw = &source[token.start + 1..token.end.saturating_sub(1).max(token.start + 1)];
    let mut decoded = 0;
    let mut i = 0;
    while i < raw.len() && decoded < decoded_offset {
        let (advance, produced) = if raw.as_bytes()[i] == b'\\' {
            match lex::escape(raw.as_bytes(), i) {
                Ok((c, len)) => (len, c.len_utf8()),
                Err(_) => (1, 1),
            }
        } else {
            let c = raw[i..].chars().next().map_or(1, char::len_utf8);
            (c, c)
        };
        i += advance;
        decoded += produced;
    }
    token.start + 1 + i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Node<'_> {
        parse(text, 64).unwrap()
    }

    fn err(text: &str) -> (ErrorKind, Span, String) {
        let e = parse(text, 64).unwrap_err();
        (e.kind(), e.span(), e.reason().to_string())
    }

    #[test]
    fn spans_of_members_and_values() {
        let n = ok(r#" {"a": [1, "x\n"], "a": {"b": null}} "#);
        assert_eq!(n.span, Span::new(1, 36));
        let Kind::Object(m) = &n.kind else { panic!() };
        assert_eq!(m.len(), 2, "duplicate keys are kept");
        assert_eq!(m[0].key_span, Span::new(2, 5));
        assert_eq!(m[0].value.span, Span::new(7, 17));
        let Kind::Array(items) = &m[0].value.kind else { panic!() };
        assert_eq!(items[0], Node { kind: Kind::Number("1"), span: Span::new(8, 9) });
        assert_eq!(items[1].kind, Kind::String(Cow::Owned("x\n".into())));
        assert_eq!(items[1].span, Span::new(11, 16));
        assert_eq!(m[1].value.span, Span::new(24, 35));
    }

    #[test]
    fn numbers_keep_their_spelling() {
        for n in ["0", "-0", "300.0", "3.0e2", "3E+2", "1e400", "123456789012345678901234567890"] {
            assert_eq!(ok(n).kind, Kind::Number(n));
        }
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(ok(r#""\u00e9\ud83d\ude00""#).kind, Kind::String("é😀".into()));
        assert_eq!(err(r#"["\ud800"]"#).1, Span::new(2, 8));
        assert_eq!(err(r#"["\udc00x"]"#).1, Span::new(2, 8));
        assert_eq!(err(r#"["\u12"]"#).1, Span::new(6, 7));
    }

    #[test]
    fn error_positions() {
        assert_eq!(err(r#"{"a": [1,]}"#).1, Span::new(9, 10));
        assert_eq!(err(r#"{"a": [1],}"#).1, Span::new(10, 11));
        assert_eq!(err(r#"{'a': 1}"#).1, Span::new(1, 2));
        assert_eq!(err(r#"{"a" 1}"#).1, Span::new(5, 6));
        assert_eq!(err(r#"{"a": [01]}"#).1, Span::new(8, 9));
        assert_eq!(err(r#"{"a": [.5]}"#).1, Span::new(7, 8));
        assert_eq!(err(r#"{"a": [1.]}"#).1, Span::new(9, 10));
        assert_eq!(err(r#"{"a": [+1]}"#).1, Span::new(7, 8));
        assert_eq!(err(r#"{"a": [1]} x"#).1, Span::new(11, 12));
        assert_eq!(err(r#"{"a": [1]"#).1, Span::new(9, 9));
        assert_eq!(err(r#"{"a": ["x"#).1, Span::new(9, 9));
        assert_eq!(err("{\"a\": [\"\u{1}\"]}").1, Span::new(8, 9));
        assert_eq!(err(r#"{"a": ["\x"]}"#).1, Span::new(8, 10));
        let (kind, span, reason) = err(r#"{"a": this}"#);
        assert_eq!((kind, span), (ErrorKind::Json, Span::new(6, 10)));
        assert!(reason.starts_with("unrecognized token 'this'"), "{reason}");
        assert_eq!(err("").1, Span::new(0, 0));
    }

    #[test]
    fn depth_limit() {
        let deep = "[".repeat(65) + &"]".repeat(65);
        let e = parse(&deep, 64).unwrap_err();
        assert_eq!((e.kind(), e.span()), (ErrorKind::NestingTooDeep, Span::new(64, 65)));
        assert!(parse(&("[".repeat(64) + &"]".repeat(64)), 64).is_ok());
        let hostile = "[".repeat(1_000_000);
        assert_eq!(parse(&hostile, 64).unwrap_err().kind(), ErrorKind::NestingTooDeep);
    }

    #[test]
    fn raw_offsets_through_escapes() {
        let src = r#"["a\"b*\u00e9*"]"#;
        let token = Span::new(1, 16);
        // decoded: a " b * é *  (é is 2 bytes)
        assert_eq!(raw_offset(src, token, 0), 2);
        assert_eq!(raw_offset(src, token, 2), 5);
        assert_eq!(raw_offset(src, token, 3), 6);
        assert_eq!(raw_offset(src, token, 4), 7);
        assert_eq!(raw_offset(src, token, 6), 13);
    }
}
