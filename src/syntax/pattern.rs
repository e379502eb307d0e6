//! From the JSON tree to the pattern AST, enforcing every rule of the pattern language
//! (`grammar/pattern.ebnf`, `grammar/PATTERNS.md`). The first problem in document order is reported,
//! with event-ruler's reason text where it has one, and the span of the offending token.

use super::ast::{AnythingBut, Condition, FieldValue, Member, Object, Test};
use super::dialect::{Config, Operator};
use super::json::{self, Kind, Node};
use crate::compile::cidr::Cidr;
use crate::compile::number::{self, NumberLit, Range};
use crate::compile::wildcard::Wildcard;
use crate::error::{Error, ErrorKind, Span};

/// Field names that may not appear inside `$or` branches (event-ruler reserves them).
pub(crate) const RESERVED_IN_OR: &[&str] = &[
    "exactly",
    "equals-ignore-case",
    "prefix",
    "suffix",
    "anything-but",
    "exists",
    "wildcard",
    "numeric",
    "cidr",
    "=",
    "<",
    "<=",
    ">",
    ">=",
    "regex",
    "not-wildcard",
    "not-equals-ignore-case",
    "date-after",
    "date-on-or-after",
    "date-before",
    "date-on-or-before",
    "in-date-range",
    "ip-address-in-range",
    "ip-address-not-in-range",
];

/// Parses and validates pattern text.
pub(crate) fn parse(text: &str, config: &Config) -> Result<Object, Error> {
    let max_length = config.max_length();
    if text.len() > max_length {
        if let Some((cut, _)) = text.char_indices().nth(max_length) {
            return Err(Error::new(
                ErrorKind::PatternTooLong,
                Span::new(cut, text.len()),
                format!("pattern is longer than {max_length} characters"),
                text,
            ));
        }
    }
    let root = json::parse(text, config.max_depth)?;
    let checker = Checker { text, config };
    match &root.kind {
        Kind::Object(_) => checker.object(&root, false),
        _ => Err(checker.error(ErrorKind::NotAnObject, root.span, "Filter is not an object")),
    }
}

struct Checker<'t, 'c> {
    text: &'t str,
    config: &'c Config,
}

type Result<T, E = Error> = std::result::Result<T, E>;

impl Checker<'_, '_> {
    fn error(&self, kind: ErrorKind, span: Span, reason: impl Into<String>) -> Error {
        Error::new(kind, span, reason, self.text)
    }

    fn raw(&self, node: &Node<'_>) -> &str {
        &self.text[node.span.range()]
    }

    /// The token text event-ruler quotes in messages: the scalar as written, or the opening bracket.
    fn token<'n>(&'n self, node: &'n Node<'_>) -> &'n str {
        match (&node.kind, &node.span) {
            (Kind::String(s), _) => s,
            (Kind::Array(_), _) => "[",
            (Kind::Object(_), _) => "{",
            _ => self.raw(node),
        }
    }

    fn dialect(&self, op: Operator, key_span: Span) -> Result<()> {
        if self.config.allow_unlisted_operators || self.config.dialect.supports(op) {
            return Ok(());
        }
        Err(self.error(
            ErrorKind::OperatorNotInDialect,
            key_span,
            format!("{} is not supported in the {} dialect", op.name(), self.config.dialect),
        ))
    }

    fn object(&self, node: &Node<'_>, in_or: bool) -> Result<Object> {
        let Kind::Object(members) = &node.kind else { unreachable!("callers pass objects") };
        if members.is_empty() {
            return Err(self.error(ErrorKind::EmptyObject, node.span, "Empty objects are not allowed"));
        }
        let mut out = Vec::with_capacity(members.len());
        for m in members {
            if m.key == "$or" {
                out.push(self.or(m)?);
                continue;
            }
            if in_or && RESERVED_IN_OR.contains(&&*m.key) {
                return Err(self.error(
                    ErrorKind::ReservedFieldName,
                    m.key_span,
                    format!("{} is Ruler reserved fieldName which cannot be used inside $or.", m.key),
                ));
            }
            let value = match &m.value.kind {
                Kind::Object(_) => FieldValue::Object(self.object(&m.value, in_or)?),
                Kind::Array(items) => FieldValue::Leaf { conditions: self.leaf(&m.value, items)?, span: m.value.span },
                _ => {
                    return Err(self.error(
                        ErrorKind::InvalidFieldValue,
                        m.value.span,
                        format!("\"{}\" must be an object or an array", m.key),
                    ))
                }
            };
            out.push(Member::Field { key: m.key.to_string(), key_span: m.key_span, value });
        }
        Ok(Object { members: out, span: node.span })
    }

    fn or(&self, m: &json::Member<'_>) -> Result<Member> {
        let Kind::Array(items) = &m.value.kind else {
            return Err(self.error(ErrorKind::InvalidOr, m.value.span, "It must be an Array followed with $or."));
        };
        let mut branches = Vec::with_capacity(items.len());
        for item in items {
            if !matches!(item.kind, Kind::Object(_)) {
                return Err(self.error(
                    ErrorKind::InvalidOr,
                    item.span,
                    "Only JSON object is allowed in array of $or relationship.",
                ));
            }
            branches.push(self.object(item, true)?);
        }
        if branches.len() < 2 {
            return Err(self.error(
                ErrorKind::InvalidOr,
                m.value.span,
                "There must have at least 2 Objects in $or relationship.",
            ));
        }
        Ok(Member::Or { key_span: m.key_span, branches })
    }

    fn leaf(&self, array: &Node<'_>, items: &[Node<'_>]) -> Result<Vec<Condition>> {
        if items.is_empty() {
            return Err(self.error(ErrorKind::EmptyArray, array.span, "Empty arrays are not allowed"));
        }
        items.iter().map(|item| self.condition(item)).collect()
    }

    fn condition(&self, item: &Node<'_>) -> Result<Condition> {
        let plain = |test| Ok(Condition { test, span: item.span, operator_span: None, argument_span: None });
        match &item.kind {
            Kind::String(s) => plain(Test::String(s.to_string())),
            Kind::Number(n) => plain(Test::Number(NumberLit::new(n))),
            Kind::Bool(b) => plain(Test::Bool(*b)),
            Kind::Null => plain(Test::Null),
            Kind::Array(_) => Err(self.error(
                ErrorKind::InvalidMatchValue,
                item.span,
                "Match value must be String, number, true, false, or null",
            )),
            Kind::Object(members) => {
                let Some(first) = members.first() else {
                    return Err(self.error(ErrorKind::MissingOperator, item.span, "Match expression name not found"));
                };
                let test = self.operator(first)?;
                if let Some(second) = members.get(1) {
                    return Err(self.error(
                        ErrorKind::MultipleOperators,
                        second.key_span,
                        "Only one key allowed in match expression",
                    ));
                }
                Ok(Condition {
                    test,
                    span: item.span,
                    operator_span: Some(first.key_span),
                    argument_span: Some(first.value.span),
                })
            }
        }
    }

    fn string_arg<'n>(&self, value: &'n Node<'_>, kind: ErrorKind, reason: &str) -> Result<&'n str> {
        match &value.kind {
            Kind::String(s) => Ok(s),
            _ => Err(self.error(kind, value.span, reason)),
        }
    }

    fn operator(&self, m: &json::Member<'_>) -> Result<Test> {
        let value = &m.value;
        match &*m.key {
            "prefix" | "suffix" => {
                let is_prefix = m.key == "prefix";
                let (kind, op, op_ic) = if is_prefix {
                    (ErrorKind::InvalidPrefix, Operator::Prefix, Operator::PrefixIgnoreCase)
                } else {
                    (ErrorKind::InvalidSuffix, Operator::Suffix, Operator::SuffixIgnoreCase)
                };
                self.dialect(op, m.key_span)?;
                let must_be_string = format!("{} match pattern must be a string", m.key);
                let (value, ignore_case) = match &value.kind {
                    Kind::Object(inner) => {
                        let Some(first) = inner.first() else {
                            return Err(self.error(kind, value.span, must_be_string));
                        };
                        if first.key != "equals-ignore-case" {
                            return Err(self.error(
                                kind,
                                first.key_span,
                                format!("Unsupported {} pattern: {}", m.key, first.key),
                            ));
                        }
                        self.dialect(op_ic, first.key_span)?;
                        let s =
                            self.string_arg(&first.value, kind, "equals-ignore-case match pattern must be a string")?;
                        if let Some(second) = inner.get(1) {
                            return Err(self.error(
                                ErrorKind::MultipleOperators,
                                second.key_span,
                                "Only one key allowed in match expression",
                            ));
                        }
                        (s, true)
                    }
                    _ => (self.string_arg(value, kind, &must_be_string)?, false),
                };
                let value = value.to_string();
                Ok(if is_prefix { Test::Prefix { value, ignore_case } } else { Test::Suffix { value, ignore_case } })
            }
            "equals-ignore-case" => {
                self.dialect(Operator::EqualsIgnoreCase, m.key_span)?;
                let s = self.string_arg(
                    value,
                    ErrorKind::InvalidEqualsIgnoreCase,
                    "equals-ignore-case match pattern must be a string",
                )?;
                Ok(Test::EqualsIgnoreCase(s.to_string()))
            }
            "wildcard" => {
                self.dialect(Operator::Wildcard, m.key_span)?;
                let (source, wildcard) = self.wildcard(value, ErrorKind::InvalidWildcard)?;
                Ok(Test::Wildcard { source, wildcard })
            }
            "numeric" => {
                self.dialect(Operator::Numeric, m.key_span)?;
                Ok(Test::Numeric(self.numeric(value)?))
            }
            "exists" => {
                self.dialect(Operator::Exists, m.key_span)?;
                match value.kind {
                    Kind::Bool(b) => Ok(Test::Exists(b)),
                    _ => Err(self.error(
                        ErrorKind::InvalidExists,
                        value.span,
                        "exists match pattern must be either true or false.",
                    )),
                }
            }
            "cidr" => {
                self.dialect(Operator::Cidr, m.key_span)?;
                let s = self.string_arg(value, ErrorKind::InvalidCidr, "prefix match pattern must be a string")?;
                let cidr = Cidr::parse(s).map_err(|r| self.error(ErrorKind::InvalidCidr, value.span, r))?;
                Ok(Test::Cidr { source: s.to_string(), cidr })
            }
            "anything-but" => {
                self.dialect(Operator::AnythingBut, m.key_span)?;
                Ok(Test::AnythingBut(self.anything_but(value)?))
            }
            other => {
                Err(self.error(ErrorKind::UnknownOperator, m.key_span, format!("Unrecognized match type {other}")))
            }
        }
    }

    /// A wildcard argument; errors are of `kind` (`InvalidWildcard`, or `InvalidAnythingBut` inside
    /// `anything-but`).
    fn wildcard(&self, value: &Node<'_>, kind: ErrorKind) -> Result<(String, Wildcard)> {
        let s = self.string_arg(value, kind, "wildcard match pattern must be a string")?;
        let wildcard = Wildcard::parse(s).map_err(|e| {
            let (at, len) = match e {
                crate::compile::wildcard::WildcardError::Consecutive(at) => (at, 2),
                crate::compile::wildcard::WildcardError::BadEscape(at) => {
                    (at, 1 + s[at + 1..].chars().next().map_or(0, char::len_utf8))
                }
            };
            let start = json::raw_offset(self.text, value.span, at);
            let end = json::raw_offset(self.text, value.span, at + len);
            self.error(kind, Span::new(start, end), e.reason())
        })?;
        Ok((s.to_string(), wildcard))
    }

    /// A numeric operand: a JSON number that is exactly a finite double.
    fn operand(&self, node: Option<&Node<'_>>, array: &Node<'_>, op: &str) -> Result<f64> {
        let name = if op == "=" { "equals" } else { op };
        match node {
            Some(Node { kind: Kind::Number(n), span }) => number::exact(n)
                .ok_or_else(|| self.error(ErrorKind::InvalidNumeric, *span, format!("Cannot compare number : {n}"))),
            other => Err(self.error(
                ErrorKind::InvalidNumeric,
                other.map_or(array.span, |n| n.span),
                format!("Value of {name} must be numeric"),
            )),
        }
    }

    fn numeric(&self, value: &Node<'_>) -> Result<Range> {
        let bad = |span, reason: String| self.error(ErrorKind::InvalidNumeric, span, reason);
        let Kind::Array(items) = &value.kind else {
            return Err(bad(value.span, "Value of numeric must be an array.".into()));
        };
        let Some(first) = items.first() else {
            return Err(bad(value.span, "Invalid member in numeric match: ]".into()));
        };
        let Kind::String(op) = &first.kind else {
            return Err(bad(first.span, format!("Invalid member in numeric match: {}", self.token(first))));
        };
        let too_many = |at: Option<&Node<'_>>, reason: &str| match at {
            Some(extra) => Err(bad(extra.span, reason.into())),
            None => Ok(()),
        };
        let v = match &**op {
            "=" | "<" | "<=" => {
                let v = self.operand(items.get(1), value, op)?;
                too_many(items.get(2), "Too many elements in numeric expression")?;
                v
            }
            ">" | ">=" => self.operand(items.get(1), value, op)?,
            _ => return Err(bad(first.span, format!("Unrecognized numeric range operator: {op}"))),
        };
        let point = |low_open, high_open, low, high| Range { low, low_open, high, high_open };
        match &**op {
            "=" => return Ok(point(false, false, v, v)),
            "<" => return Ok(point(true, true, f64::NEG_INFINITY, v)),
            "<=" => return Ok(point(true, false, f64::NEG_INFINITY, v)),
            _ => {}
        }
        let low_open = op == ">";
        let Some(second) = items.get(2) else {
            return Ok(point(low_open, true, v, f64::INFINITY));
        };
        let Kind::String(op2) = &second.kind else {
            return Err(bad(second.span, format!("Bad value in numeric range: {}", self.token(second))));
        };
        if op2 != "<" && op2 != "<=" {
            return Err(bad(second.span, format!("Bad numeric range operator: {op2}")));
        }
        let high = self.operand(items.get(3), value, op2)?;
        too_many(items.get(4), "Too many terms in numeric range expression")?;
        if v >= high {
            return Err(bad(value.span, "Bottom must be less than top".into()));
        }
        Ok(point(low_open, op2 == "<", v, high))
    }

    fn anything_but(&self, value: &Node<'_>) -> Result<AnythingBut> {
        let invalid = |span, reason: &str| self.error(ErrorKind::InvalidAnythingBut, span, reason);
        const VALUE_REASON: &str = "Value of anything-but must be an array or single string/number value.";
        const LIST_REASON: &str = "Inside anything but list, start|null|boolean is not supported.";
        const MIXED_REASON: &str =
            "Inside anything but list, either all values are number or string, mixed type is not supported";
        match &value.kind {
            Kind::String(s) => Ok(AnythingBut::Strings(vec![s.to_string()])),
            Kind::Number(n) => Ok(AnythingBut::Numbers(vec![self.exact_number(n, value.span)?])),
            Kind::Null | Kind::Bool(_) => Err(invalid(value.span, VALUE_REASON)),
            Kind::Array(items) => {
                let (mut strings, mut numbers) = (Vec::new(), Vec::new());
                for item in items {
                    match &item.kind {
                        Kind::String(s) => strings.push(s.to_string()),
                        Kind::Number(n) => numbers.push(self.exact_number(n, item.span)?),
                        _ => return Err(invalid(item.span, LIST_REASON)),
                    }
                }
                match (strings.is_empty(), numbers.is_empty()) {
                    (false, true) => Ok(AnythingBut::Strings(strings)),
                    (true, false) => Ok(AnythingBut::Numbers(numbers)),
                    _ => Err(invalid(value.span, MIXED_REASON)),
                }
            }
            Kind::Object(members) => {
                let Some(inner) = members.first() else {
                    return Err(invalid(value.span, VALUE_REASON));
                };
                let op = match &*inner.key {
                    "prefix" => Operator::AnythingButPrefix,
                    "suffix" => Operator::AnythingButSuffix,
                    "equals-ignore-case" => Operator::AnythingButEqualsIgnoreCase,
                    "wildcard" => Operator::AnythingButWildcard,
                    other => {
                        return Err(invalid(inner.key_span, &format!("Unsupported anything-but pattern: {other}")));
                    }
                };
                self.dialect(op, inner.key_span)?;
                let result = self.anything_but_inner(op, &inner.value)?;
                if let Some(second) = members.get(1) {
                    return Err(self.error(
                        ErrorKind::MultipleOperators,
                        second.key_span,
                        "Only one key allowed in match expression",
                    ));
                }
                Ok(result)
            }
        }
    }

    fn exact_number(&self, n: &str, span: Span) -> Result<NumberLit> {
        let lit = NumberLit::new(n);
        if lit.value.is_none() {
            return Err(self.error(ErrorKind::InvalidAnythingBut, span, format!("Cannot compare number : {n}")));
        }
        Ok(lit)
    }

    /// The argument of `anything-but`'s inner operator: one string or a non-empty list of strings.
    fn anything_but_inner(&self, op: Operator, value: &Node<'_>) -> Result<AnythingBut> {
        let (kind, not_string) = match op {
            Operator::AnythingButPrefix | Operator::AnythingButSuffix => {
                (ErrorKind::InvalidAnythingBut, "prefix/suffix match pattern must be a string")
            }
            Operator::AnythingButEqualsIgnoreCase => (
                ErrorKind::InvalidAnythingBut,
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
            ),
            _ => (ErrorKind::InvalidAnythingBut, "wildcard match pattern must be a string"),
        };
        if let Kind::Object(_) = value.kind {
            return Err(self.error(
                ErrorKind::InvalidAnythingBut,
                value.span,
                "Value of anything-but must be an array or single string/number value.",
            ));
        }
        let items: Vec<&Node<'_>> = match &value.kind {
            Kind::Array(items) if items.is_empty() => {
                return Err(self.error(
                    ErrorKind::InvalidAnythingBut,
                    value.span,
                    "Inside anything but list, either all values are number or string, mixed type is not supported",
                ))
            }
            Kind::Array(items) => items.iter().collect(),
            _ => vec![value],
        };
        let mut strings = Vec::with_capacity(items.len());
        let mut wildcards = Vec::new();
        for item in items {
            let s = self.string_arg(item, kind, not_string)?;
            match op {
                Operator::AnythingButPrefix | Operator::AnythingButSuffix if s.is_empty() => {
                    return Err(self.error(kind, item.span, "Null prefix/suffix not allowed"));
                }
                Operator::AnythingButWildcard => wildcards.push(self.wildcard(item, ErrorKind::InvalidAnythingBut)?),
                _ => strings.push(s.to_string()),
            }
        }
        Ok(match op {
            Operator::AnythingButPrefix => AnythingBut::Prefixes(strings),
            Operator::AnythingButSuffix => AnythingBut::Suffixes(strings),
            Operator::AnythingButEqualsIgnoreCase => AnythingBut::EqualsIgnoreCase(strings),
            _ => AnythingBut::Wildcards(wildcards),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_default(text: &str) -> Result<Object> {
        parse(text, &Config::default())
    }

    fn error(text: &str) -> (ErrorKind, Span, usize, usize, String) {
        let e = parse_default(text).unwrap_err();
        (e.kind(), e.span(), e.line(), e.column(), e.reason().to_string())
    }

    #[test]
    fn ast_spans() {
        let text = r#"{"a": {"b": ["x", {"prefix": "p"}]}, "$or": [{"c": [1]}, {"d": [null]}]}"#;
        let ast = parse_default(text).unwrap();
        assert_eq!(ast.span, Span::new(0, text.len()));
        let Member::Field { key, key_span, value: FieldValue::Object(inner) } = &ast.members[0] else { panic!() };
        assert_eq!((key.as_str(), *key_span), ("a", Span::new(1, 4)));
        let Member::Field { value: FieldValue::Leaf { conditions, span }, .. } = &inner.members[0] else { panic!() };
        assert_eq!(*span, Span::new(12, 34));
        assert_eq!(conditions[0].span, Span::new(13, 16));
        assert_eq!(conditions[0].test, Test::String("x".into()));
        assert_eq!(conditions[1].span, Span::new(18, 33));
        assert_eq!(conditions[1].operator_span, Some(Span::new(19, 27)));
        assert_eq!(conditions[1].argument_span, Some(Span::new(29, 32)));
        let Member::Or { key_span, branches } = &ast.members[1] else { panic!() };
        assert_eq!((*key_span, branches.len()), (Span::new(37, 42), 2));
        assert_eq!(branches[1].span, Span::new(57, 70));
    }

    #[test]
    fn errors_carry_line_and_column() {
        let text = "{\n  \"détail\": {\n    \"n\": [{\"numeric\": [\">\", 5, \"<\", 1]}]\n  }\n}";
        let (kind, span, line, column, reason) = error(text);
        assert_eq!((kind, line, column), (ErrorKind::InvalidNumeric, 3, 23));
        assert_eq!(&text[span.range()], r#"[">", 5, "<", 1]"#);
        assert_eq!(reason, "Bottom must be less than top");

        let text = "{\"a\": [\n\t{\"exists\": \"yes\"}]}";
        let (kind, span, line, column, _) = error(text);
        assert_eq!((kind, span, line, column), (ErrorKind::InvalidExists, Span::new(20, 25), 2, 13));
    }

    #[test]
    fn catalogue_spans() {
        let cases: &[(&str, ErrorKind, &str)] = &[
            (r#"["a"]"#, ErrorKind::NotAnObject, r#"["a"]"#),
            (r#"{"a": {}}"#, ErrorKind::EmptyObject, "{}"),
            (r#"{"a": []}"#, ErrorKind::EmptyArray, "[]"),
            (r#"{"a": "x"}"#, ErrorKind::InvalidFieldValue, r#""x""#),
            (r#"{"a": [["x"]]}"#, ErrorKind::InvalidMatchValue, r#"["x"]"#),
            (r#"{"a": [{}]}"#, ErrorKind::MissingOperator, "{}"),
            (r#"{"a": [{"prefix": "x", "suffix": "y"}]}"#, ErrorKind::MultipleOperators, r#""suffix""#),
            (r#"{"a": [{"NUMERIC": [">", 1]}]}"#, ErrorKind::UnknownOperator, r#""NUMERIC""#),
            (r#"{"a": [{"prefix": 1}]}"#, ErrorKind::InvalidPrefix, "1"),
            (r#"{"a": [{"prefix": {"x": "y"}}]}"#, ErrorKind::InvalidPrefix, r#""x""#),
            (r#"{"a": [{"anything-but": [1, "x"]}]}"#, ErrorKind::InvalidAnythingBut, r#"[1, "x"]"#),
            (r#"{"a": [{"anything-but": {"numeric": 1}}]}"#, ErrorKind::InvalidAnythingBut, r#""numeric""#),
            (r#"{"a": [{"numeric": ["==", 1]}]}"#, ErrorKind::InvalidNumeric, r#""==""#),
            (r#"{"a": [{"numeric": ["=", 1, 2]}]}"#, ErrorKind::InvalidNumeric, "2"),
            (r#"{"a": [{"cidr": "10.0.0.0"}]}"#, ErrorKind::InvalidCidr, r#""10.0.0.0""#),
            (r#"{"a": [{"wildcard": "x**"}]}"#, ErrorKind::InvalidWildcard, "**"),
            (r#"{"a": [{"wildcard": "x\\y"}]}"#, ErrorKind::InvalidWildcard, r"\\y"),
            (r#"{"$or": {"a": ["x"]}}"#, ErrorKind::InvalidOr, r#"{"a": ["x"]}"#),
            (r#"{"$or": [{"a": ["x"]}, 1]}"#, ErrorKind::InvalidOr, "1"),
            (r#"{"$or": [{"a": ["x"]}, {"b": {"prefix": ["y"]}}]}"#, ErrorKind::ReservedFieldName, r#""prefix""#),
        ];
        for (text, kind, at) in cases {
            let e = parse_default(text).map(|_| ()).unwrap_err_or_else(text);
            let (k, span) = (e.kind(), e.span());
            assert_eq!((k, &text[span.range()]), (*kind, *at), "{text}");
        }
    }

    trait UnwrapErr {
        fn unwrap_err_or_else(self, text: &str) -> Error;
    }

    impl UnwrapErr for Result<()> {
        fn unwrap_err_or_else(self, text: &str) -> Error {
            self.err().unwrap_or_else(|| panic!("accepted: {text}"))
        }
    }

    #[test]
    fn length_limit_counts_characters() {
        let ok = format!(r#"{{"a": ["{}"]}}"#, "é".repeat(2048 - 11));
        assert_eq!(ok.chars().count(), 2048);
        assert!(parse_default(&ok).is_ok());
        let long = format!(r#"{{"a": ["{}"]}}"#, "é".repeat(2048 - 10));
        let (kind, span, ..) = error(&long);
        assert_eq!(kind, ErrorKind::PatternTooLong);
        assert_eq!(span, Span::new(long.char_indices().nth(2048).unwrap().0, long.len()));
    }
}
