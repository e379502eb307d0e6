//! Printing the AST back to pattern text: compact JSON, one canonical spelling per AST (members in
//! order, duplicates kept, numbers as written), so that printing a parsed pattern and parsing the
//! result gives the same AST and the same verdicts.

use std::fmt::{self, Write};

use super::ast::{AnythingBut, Condition, FieldValue, Member, Object, Test};
use crate::compile::number::Range;

fn string(f: &mut fmt::Formatter<'_>, s: &str) -> fmt::Result {
    let mut out = String::with_capacity(s.len() + 2);
    crate::lex::push_string_token(&mut out, s);
    f.write_str(&out)
}

fn list<T>(
    f: &mut fmt::Formatter<'_>,
    items: &[T],
    mut item: impl FnMut(&mut fmt::Formatter<'_>, &T) -> fmt::Result,
) -> fmt::Result {
    if let [one] = items {
        return item(f, one);
    }
    f.write_char('[')?;
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            f.write_char(',')?;
        }
        item(f, x)?;
    }
    f.write_char(']')
}

/// A finite double in a spelling that parses back to the same value.
fn number(f: &mut fmt::Formatter<'_>, v: f64) -> fmt::Result {
    write!(f, "{v:?}")
}

fn range(f: &mut fmt::Formatter<'_>, r: &Range) -> fmt::Result {
    f.write_str("{\"numeric\":[")?;
    if r.low == r.high && !r.low_open && !r.high_open {
        f.write_str("\"=\",")?;
        number(f, r.low)?;
        return f.write_str("]}");
    }
    let mut first = true;
    if r.low.is_finite() {
        f.write_str(if r.low_open { "\">\"," } else { "\">=\"," })?;
        number(f, r.low)?;
        first = false;
    }
    if r.high.is_finite() {
        if !first {
            f.write_char(',')?;
        }
        f.write_str(if r.high_open { "\"<\"," } else { "\"<=\"," })?;
        number(f, r.high)?;
    }
    f.write_str("]}")
}

impl fmt::Display for Test {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Test::String(s) => string(f, s),
            Test::Number(n) => f.write_str(&n.text),
            Test::Bool(b) => write!(f, "{b}"),
            Test::Null => f.write_str("null"),
            Test::Prefix { value, ignore_case: false } => {
                f.write_str("{\"prefix\":")?;
                string(f, value)?;
                f.write_char('}')
            }
            Test::Prefix { value, ignore_case: true } => {
                f.write_str("{\"prefix\":{\"equals-ignore-case\":")?;
                string(f, value)?;
                f.write_str("}}")
            }
            Test::Suffix { value, ignore_case: false } => {
                f.write_str("{\"suffix\":")?;
                string(f, value)?;
                f.write_char('}')
            }
            Test::Suffix { value, ignore_case: true } => {
                f.write_str("{\"suffix\":{\"equals-ignore-case\":")?;
                string(f, value)?;
                f.write_str("}}")
            }
            Test::EqualsIgnoreCase(s) => {
                f.write_str("{\"equals-ignore-case\":")?;
                string(f, s)?;
                f.write_char('}')
            }
            Test::Wildcard { source, .. } => {
                f.write_str("{\"wildcard\":")?;
                string(f, source)?;
                f.write_char('}')
            }
            Test::Numeric(r) => range(f, r),
            Test::Cidr { source, .. } => {
                f.write_str("{\"cidr\":")?;
                string(f, source)?;
                f.write_char('}')
            }
            Test::Exists(b) => write!(f, "{{\"exists\":{b}}}"),
            Test::AnythingBut(a) => {
                f.write_str("{\"anything-but\":")?;
                let strings = |f: &mut fmt::Formatter<'_>, s: &String| string(f, s);
                match a {
                    AnythingBut::Strings(v) => list(f, v, strings)?,
                    AnythingBut::Numbers(v) => list(f, v, |f, n| f.write_str(&n.text))?,
                    AnythingBut::Prefixes(v) => {
                        f.write_str("{\"prefix\":")?;
                        list(f, v, strings)?;
                        f.write_char('}')?;
                    }
                    AnythingBut::Suffixes(v) => {
                        f.write_str("{\"suffix\":")?;
                        list(f, v, strings)?;
                        f.write_char('}')?;
                    }
                    AnythingBut::EqualsIgnoreCase(v) => {
                        f.write_str("{\"equals-ignore-case\":")?;
                        list(f, v, strings)?;
                        f.write_char('}')?;
                    }
                    AnythingBut::Wildcards(v) => {
                        f.write_str("{\"wildcard\":")?;
                        list(f, v, |f, (source, _)| string(f, source))?;
                        f.write_char('}')?;
                    }
                }
                f.write_char('}')
            }
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.test.fmt(f)
    }
}

/// Prints the pattern as compact JSON text that parses back to the same AST (spans aside).
///
/// ```
/// let p = eventsift::Pattern::new(r#"{ "detail": { "n": [ { "numeric": [ ">", 0, "<=", 5 ] }, "x" ] } }"#)?;
/// assert_eq!(p.ast().to_string(), r#"{"detail":{"n":[{"numeric":[">",0.0,"<=",5.0]},"x"]}}"#);
/// # Ok::<(), eventsift::Error>(())
/// ```
impl fmt::Display for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('{')?;
        for (i, m) in self.members.iter().enumerate() {
            if i > 0 {
                f.write_char(',')?;
            }
            match m {
                Member::Field { key, value, .. } => {
                    string(f, key)?;
                    f.write_char(':')?;
                    match value {
                        FieldValue::Object(o) => o.fmt(f)?,
                        FieldValue::Leaf { conditions, .. } => {
                            f.write_char('[')?;
                            for (j, c) in conditions.iter().enumerate() {
                                if j > 0 {
                                    f.write_char(',')?;
                                }
                                c.fmt(f)?;
                            }
                            f.write_char(']')?;
                        }
                    }
                }
                Member::Or { branches, .. } => {
                    f.write_str("\"$or\":[")?;
                    for (j, b) in branches.iter().enumerate() {
                        if j > 0 {
                            f.write_char(',')?;
                        }
                        b.fmt(f)?;
                    }
                    f.write_char(']')?;
                }
            }
        }
        f.write_char('}')
    }
}
