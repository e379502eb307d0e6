//! Structural scanning of records and batches: the members of an object and the elements of an
//! array as byte ranges of the original text, so that kept records are copied byte for byte and
//! only the parts a decision needs are looked at. Values are skipped without being validated (the
//! matcher validates what the filters read); the structure around them is checked.

use std::borrow::Cow;
use std::ops::Range;

use crate::error::{Error, ErrorKind, Span};
use crate::lex::{self, skip_brackets, Unclosed};

/// One member of a scanned object: the key token (quotes included) and the value's range.
#[derive(Clone, Debug)]
pub(crate) struct MemberRef {
    pub key: Range<usize>,
    pub value: Range<usize>,
}

impl MemberRef {
    /// The key, unescaped (borrowed unless it had escapes).
    pub fn key<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let token = &text[self.key.clone()];
        let inner = &token[1..token.len() - 1];
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        let mut out = String::new();
        match lex::unescape_into(token, &mut out) {
            Some(_) => Cow::Owned(out),
            None => Cow::Borrowed(inner),
        }
    }

    /// Is the key exactly `name` (after unescaping)?
    pub fn is(&self, text: &str, name: &str) -> bool {
        let token = &text[self.key.clone()];
        let inner = &token[1..token.len() - 1];
        // Every escape is longer than the text it stands for: a key with escapes that unescapes to
        // `name` is longer than `name`.
        inner == name || (inner.len() > name.len() && inner.contains('\\') && self.key(text) == name)
    }
}

/// A cursor over `text` for structural scanning. `kind` is the error kind reported for problems.
pub(crate) struct Scanner<'t> {
    pub text: &'t str,
    pub pos: usize,
    kind: ErrorKind,
}

impl<'t> Scanner<'t> {
    pub fn new(text: &'t str, pos: usize, kind: ErrorKind) -> Scanner<'t> {
        Scanner { text, pos, kind }
    }

    fn bytes(&self) -> &'t [u8] {
        self.text.as_bytes()
    }

    pub fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    pub fn ws(&mut self) {
        self.pos = lex::skip_ws(self.bytes(), self.pos);
    }

    /// Skips a leading byte-order mark and whitespace.
    pub fn start(&mut self) {
        if self.text[self.pos..].starts_with(lex::BOM) {
            self.pos += lex::BOM.len();
        }
        self.ws();
    }

    pub fn error(&self, at: usize, reason: impl Into<String>) -> Error {
        let end = self.text[at.min(self.text.len())..].chars().next().map_or(at, |c| at + c.len_utf8());
        Error::new(self.kind, Span::new(at, end), reason, self.text)
    }

    pub fn unexpected(&self, expected: &str) -> Error {
        match self.text[self.pos.min(self.text.len())..].chars().next() {
            None => self.error(self.pos, format!("expected {expected}, found the end of the input")),
            Some(c) => self.error(self.pos, format!("expected {expected}, found {c:?}")),
        }
    }

    /// Skips one value (whitespace first) and returns its range.
    pub fn value(&mut self) -> Result<Range<usize>, Error> {
        self.ws();
        let start = self.pos;
        match self.peek() {
            Some(b'"') => self.string()?,
            Some(b'{' | b'[') => match skip_brackets(self.bytes(), self.pos, 0) {
                Ok(end) => self.pos = end,
                Err(Unclosed::String) => return Err(self.error(start, "unterminated string")),
                Err(Unclosed::Container) => return Err(self.error(start, "unclosed object or array")),
            },
            Some(b) if b == b'-' || b.is_ascii_alphanumeric() => self.pos = lex::scalar_end(self.bytes(), self.pos),
            _ => return Err(self.unexpected("a JSON value")),
        }
        Ok(start..self.pos)
    }

    /// Skips a string token at the cursor.
    pub fn string(&mut self) -> Result<(), Error> {
        match lex::skip_string(self.bytes(), self.pos) {
            Some(end) => {
                self.pos = end;
                Ok(())
            }
            None => Err(self.error(self.pos, "unterminated string")),
        }
    }

    /// Scans the object at the cursor (after whitespace), calling `each` for every member in order.
    /// Stops early, leaving the cursor inside the object, when `each` returns `false`.
    pub fn members(&mut self, mut each: impl FnMut(&MemberRef) -> bool) -> Result<Range<usize>, Error> {
        self.ws();
        let start = self.pos;
        if self.peek() != Some(b'{') {
            return Err(self.unexpected("a JSON object"));
        }
        self.pos += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(start..self.pos);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a double-quoted field name"));
            }
            let key_start = self.pos;
            self.string()?;
            let key = key_start..self.pos;
            self.ws();
            if self.peek() != Some(b':') {
                return Err(self.unexpected("':'"));
            }
            self.pos += 1;
            let value = self.value()?;
            if !each(&MemberRef { key, value }) {
                return Ok(start..self.pos);
            }
            self.ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(start..self.pos);
                }
                _ => return Err(self.unexpected("',' or '}'")),
            }
        }
    }

    /// Checks that only whitespace follows the cursor.
    pub fn end(&mut self) -> Result<(), Error> {
        self.ws();
        if self.pos != self.text.len() {
            return Err(self.error(self.pos, "unexpected characters after the JSON value"));
        }
        Ok(())
    }
}

/// The value of the top-level member `name` of the object `text`, if any (the last one wins when
/// the key repeats).
pub(crate) fn member(text: &str, name: &str, kind: ErrorKind) -> Result<Option<Range<usize>>, Error> {
    let mut s = Scanner::new(text, 0, kind);
    s.start();
    let mut found = None;
    s.members(|m| {
        if m.is(text, name) {
            found = Some(m.value.clone());
        }
        true
    })?;
    Ok(found)
}
