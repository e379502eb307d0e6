//! The FilterCriteria document of an event-source mapping (SPEC §4.1):
//! `{"Filters": [{"Pattern": "<pattern JSON as a string>"}, ...]}`.

use std::sync::Arc;

use crate::error::{Error, ErrorKind, Span};
use crate::syntax::json::{self, Kind, Node};

/// Nesting allowed in a criteria document around its patterns (patterns given as objects are
/// checked against the pattern limit when compiled).
const DOCUMENT_DEPTH: usize = 128;

/// A parsed FilterCriteria document: the pattern text of each filter and where it sits in the
/// document, so that pattern errors point into the document.
///
/// ```
/// use eventsift::lambda::FilterCriteria;
///
/// let criteria = FilterCriteria::parse(r#"{"Filters": [{"Pattern": "{\"eventName\": [\"INSERT\"]}"}]}"#)?;
/// assert_eq!(criteria.patterns().collect::<Vec<_>>(), [r#"{"eventName": ["INSERT"]}"#]);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct FilterCriteria {
    document: Arc<str>,
    filters: Vec<Entry>,
}

/// One filter of the document.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The pattern text (decoded from its JSON string, or the object's own text in lenient mode).
    pub pattern: String,
    /// The span of the `Pattern` value in the document.
    pub token: Span,
    /// The span of the whole filter object.
    pub span: Span,
    /// The pattern was given as a JSON object (lenient mode), not a string.
    pub object: bool,
}

impl FilterCriteria {
    /// Parses a FilterCriteria document. `{}` (no filters) is valid: every record passes. The
    /// document may also be wrapped as `{"FilterCriteria": {...}}`, as in `aws lambda
    /// get-event-source-mapping` output and CloudFormation JSON.
    ///
    /// A `Pattern` must be a JSON string (FLAG-13): an object there is an
    /// [`ErrorKind::PatternNotString`] error whose reason shows the string to write instead.
    pub fn parse(document: &str) -> Result<FilterCriteria, Error> {
        parse(document, false)
    }

    /// Like [`parse`](Self::parse), but also accepts a `Pattern` written as a JSON object (as on
    /// the DynamoDB TTL documentation page), using the object's text as the pattern.
    pub fn parse_lenient(document: &str) -> Result<FilterCriteria, Error> {
        parse(document, true)
    }

    /// Builds criteria from pattern texts directly (positions then point into each pattern).
    pub fn from_patterns<I, S>(patterns: I) -> FilterCriteria
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let filters = patterns
            .into_iter()
            .map(|p| Entry { pattern: p.into(), token: Span::default(), span: Span::default(), object: true })
            .collect();
        FilterCriteria { document: Arc::from(""), filters }
    }

    /// The document text (empty for [`from_patterns`](Self::from_patterns)).
    pub fn document(&self) -> &str {
        &self.document
    }

    /// The pattern text of each filter, in order.
    pub fn patterns(&self) -> impl ExactSizeIterator<Item = &str> {
        self.filters.iter().map(|f| f.pattern.as_str())
    }

    /// Number of filters.
    pub fn len(&self) -> usize {
        self.filters.len()
    }

    /// No filters: every record passes.
    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }

    /// Moves an error found in filter `index`'s pattern text into the document.
    pub(crate) fn locate(&self, index: usize, error: Error) -> Error {
        let entry = &self.filters[index];
        let error = if self.document.is_empty() {
            error
        } else if entry.object {
            error.remap(&self.document, |offset| entry.token.start + offset)
        } else {
            error.relocate(&self.document, entry.token)
        };
        error.with_filter(index)
    }

    /// The byte offset in the document of byte `offset` of filter `index`'s pattern text.
    pub(crate) fn document_offset(&self, index: usize, offset: usize) -> usize {
        let entry = &self.filters[index];
        if self.document.is_empty() {
            offset
        } else if entry.object {
            entry.token.start + offset
        } else {
            json::raw_offset(&self.document, entry.token, offset)
        }
    }

    /// The span of filter `index` (its object) in the document.
    pub(crate) fn filter_span(&self, index: usize) -> Span {
        self.filters[index].span
    }
}

fn error(kind: ErrorKind, span: Span, reason: impl Into<String>, document: &str) -> Error {
    Error::new(kind, span, reason, document)
}

fn parse(document: &str, lenient: bool) -> Result<FilterCriteria, Error> {
    let root = json::parse(document, DOCUMENT_DEPTH).map_err(|e| {
        let reason = format!("FilterCriteria is not valid JSON: {}", e.reason());
        error(e.kind(), e.span(), reason, document)
    })?;
    let filters = match criteria_object(&root, document)? {
        None => Vec::new(),
        Some(list) => {
            let Kind::Array(items) = &list.kind else {
                return Err(error(ErrorKind::InvalidCriteria, list.span, "\"Filters\" must be an array", document));
            };
            items
                .iter()
                .enumerate()
                .map(|(i, item)| filter(item, document, lenient).map_err(|e| e.with_filter(i)))
                .collect::<Result<_, _>>()?
        }
    };
    Ok(FilterCriteria { document: Arc::from(document), filters })
}

/// The `Filters` value of the document (unwrapping `{"FilterCriteria": ...}`), or `None` for `{}`.
fn criteria_object<'d>(root: &'d Node<'d>, document: &str) -> Result<Option<&'d Node<'d>>, Error> {
    let Kind::Object(members) = &root.kind else {
        return Err(error(
            ErrorKind::InvalidCriteria,
            root.span,
            "FilterCriteria must be an object: {\"Filters\": [{\"Pattern\": \"...\"}]}",
            document,
        ));
    };
    let mut found = None;
    for m in members {
        match &*m.key {
            "Filters" | "FilterCriteria" if found.is_some() => {
                return Err(error(ErrorKind::InvalidCriteria, m.key_span, "duplicate key in FilterCriteria", document))
            }
            "Filters" => found = Some(&m.value),
            "FilterCriteria" if members.len() == 1 => return criteria_object(&m.value, document),
            key => {
                return Err(error(
                    ErrorKind::InvalidCriteria,
                    m.key_span,
                    format!("unknown key {key:?} in FilterCriteria: expected \"Filters\""),
                    document,
                ))
            }
        }
    }
    Ok(found)
}

fn filter(item: &Node<'_>, document: &str, lenient: bool) -> Result<Entry, Error> {
    let Kind::Object(members) = &item.kind else {
        return Err(error(
            ErrorKind::InvalidCriteria,
            item.span,
            "each filter must be an object: {\"Pattern\": \"...\"}",
            document,
        ));
    };
    let mut pattern = None;
    for m in members {
        match &*m.key {
            "Pattern" if pattern.is_some() => {
                return Err(error(
                    ErrorKind::InvalidCriteria,
                    m.key_span,
                    "duplicate \"Pattern\" in a filter",
                    document,
                ))
            }
            "Pattern" => pattern = Some(&m.value),
            key => {
                return Err(error(
                    ErrorKind::InvalidCriteria,
                    m.key_span,
                    format!("unknown key {key:?} in a filter: expected \"Pattern\""),
                    document,
                ))
            }
        }
    }
    let Some(value) = pattern else {
        return Err(error(ErrorKind::InvalidCriteria, item.span, "filter has no \"Pattern\"", document));
    };
    match &value.kind {
        Kind::String(text) => {
            Ok(Entry { pattern: text.to_string(), token: value.span, span: item.span, object: false })
        }
        Kind::Object(_) if lenient => Ok(Entry {
            pattern: document[value.span.range()].to_string(),
            token: value.span,
            span: item.span,
            object: true,
        }),
        Kind::Object(_) => {
            let mut fix = String::new();
            crate::lex::push_string_token(&mut fix, &minify(&document[value.span.range()]));
            Err(error(
                ErrorKind::PatternNotString,
                value.span,
                format!("\"Pattern\" must be a string holding the pattern's JSON text, not an object; write \"Pattern\": {fix}"),
                document,
            ))
        }
        _ => Err(error(
            ErrorKind::PatternNotString,
            value.span,
            "\"Pattern\" must be a string holding the pattern's JSON text",
            document,
        )),
    }
}

/// `text` (valid JSON) without the whitespace outside strings.
fn minify(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if !c.is_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_filters_and_wrappers() {
        let c = FilterCriteria::parse(r#"{"Filters": [{"Pattern": "{\"a\": [1]}"}, {"Pattern": "{\"b\": [\"x\"]}"}]}"#)
            .unwrap();
        assert_eq!(c.patterns().collect::<Vec<_>>(), [r#"{"a": [1]}"#, r#"{"b": ["x"]}"#]);
        let c = FilterCriteria::parse(r#"{"FilterCriteria": {"Filters": [{"Pattern": "{\"a\": [1]}"}]}}"#).unwrap();
        assert_eq!(c.len(), 1);
        assert!(FilterCriteria::parse("{}").unwrap().is_empty());
        assert!(FilterCriteria::parse(r#"{"Filters": []}"#).unwrap().is_empty());
    }

    #[test]
    fn object_pattern_shows_the_fix() {
        let doc = "{\"Filters\": [{\"Pattern\": {\"eventName\": [ \"INSERT\" ]}}]}";
        let e = FilterCriteria::parse(doc).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PatternNotString);
        assert_eq!((e.line(), e.column()), (1, 26));
        assert!(e.reason().ends_with(r#"write "Pattern": "{\"eventName\":[\"INSERT\"]}""#), "{}", e.reason());
        let c = FilterCriteria::parse_lenient(doc).unwrap();
        assert_eq!(c.patterns().next(), Some(r#"{"eventName": [ "INSERT" ]}"#));
    }

    #[test]
    fn shape_errors() {
        for (doc, at) in [
            ("[]", 0),
            (r#"{"filters": []}"#, 1),
            (r#"{"Filters": {}}"#, 12),
            (r#"{"Filters": [1]}"#, 13),
            (r#"{"Filters": [{}]}"#, 13),
            (r#"{"Filters": [{"Pattern": "{}", "x": 1}]}"#, 31),
            (r#"{"Filters": [], "Filters": []}"#, 16),
        ] {
            let e = FilterCriteria::parse(doc).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidCriteria, "{doc}");
            assert_eq!(e.span().start, at, "{doc}: {e}");
        }
        let e = FilterCriteria::parse(r#"{"Filters": [{"Pattern": 5}]}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PatternNotString);
    }

    #[test]
    fn minify_keeps_strings() {
        assert_eq!(minify("{ \"a b\" : [ \"x \\\" y\" ] }"), "{\"a b\":[\"x \\\" y\"]}");
    }
}
