//! The compiled form of a pattern: a list of branches (the `$or` cross product), each a set of
//! flattened leaf paths with their matchers. No spans: this is what matching engines consume.

use std::collections::HashMap;
use std::sync::Arc;

use super::cidr::Cidr;
use super::complexity::complexity;
use super::fold::fold;
use super::number::{NumberLit, Range};
use super::wildcard::Wildcard;
use crate::error::{Error, ErrorKind, Span};
use crate::syntax::ast::{self, Condition, FieldValue, Member, Object, Test};
use crate::syntax::dialect::Config;

/// One value test on a leaf.
#[derive(Clone, Debug)]
pub(crate) enum Matcher {
    String(Arc<str>),
    Number(NumberLit),
    Bool(bool),
    Null,
    Prefix(Arc<str>),
    /// Folded prefix.
    PrefixIgnoreCase(Arc<str>),
    Suffix(Arc<str>),
    /// Folded suffix.
    SuffixIgnoreCase(Arc<str>),
    /// Folded value.
    EqualsIgnoreCase(Arc<str>),
    Wildcard(Wildcard),
    Numeric(Range),
    /// Boxed: a CIDR block (two `u128`s) would make every matcher 48 bytes instead of 40.
    Cidr(Box<Cidr>),
    /// `exists: true`: any leaf.
    Exists,
    AnythingBut(AnythingBut),
}

/// `anything-but`, compiled (ignore-case values folded).
#[derive(Clone, Debug)]
pub(crate) enum AnythingBut {
    Strings(Vec<Box<str>>),
    Numbers(Vec<NumberLit>),
    Prefixes(Vec<Box<str>>),
    Suffixes(Vec<Box<str>>),
    EqualsIgnoreCase(Vec<Box<str>>),
    Wildcards(Vec<Wildcard>),
}

/// The condition on one leaf path in one branch.
#[derive(Clone, Debug)]
pub(crate) struct Field {
    /// Index into [`Compiled::paths`].
    pub path: usize,
    /// OR'ed; empty when the only condition is `exists: false`.
    pub matchers: Vec<Matcher>,
    /// `exists: false` is among the conditions: absence satisfies the field.
    pub absent_ok: bool,
}

/// One `$or` combination: every field must be satisfied (array-consistently).
#[derive(Clone, Debug)]
pub(crate) struct Branch {
    pub fields: Vec<Field>,
}

/// A compiled pattern.
#[derive(Clone, Debug)]
pub(crate) struct Compiled {
    /// Every distinct flattened path (`"detail.state"`), in first-seen order.
    pub paths: Vec<Box<str>>,
    pub branches: Vec<Branch>,
}

/// A branch under construction: leaf path → (key span, conditions), last one wins.
pub(crate) type Draft<'a> = Vec<(String, Span, &'a [Condition])>;

/// Compiles a validated AST.
pub(crate) fn compile(root: &Object, source: &str, config: &Config) -> Result<Compiled, Error> {
    let mut drafts: Vec<Draft<'_>> = vec![Vec::new()];
    walk(root, "", &mut drafts, source, config)?;
    let mut paths: Vec<Box<str>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut seen_wildcards: std::collections::HashSet<Vec<&str>> = Default::default();
    let mut branches = Vec::with_capacity(drafts.len());
    for draft in &drafts {
        let mut fields = Vec::with_capacity(draft.len());
        for (path, _, conditions) in draft {
            check_wildcards(conditions, &mut seen_wildcards, source, config)?;
            let next = paths.len();
            let id = *index.entry(path.clone()).or_insert(next);
            if id == next {
                paths.push(path.as_str().into());
            }
            let absent_ok = conditions.iter().any(|c| c.test == Test::Exists(false));
            // Sized to the conditions: a collected `filter_map` would reserve four matchers for
            // one, which on 100,000 exact rules is 14 MB of slack (issue 11's scale case).
            let mut matchers = Vec::with_capacity(conditions.len());
            matchers.extend(conditions.iter().filter_map(|c| matcher(&c.test)));
            fields.push(Field { path: id, matchers, absent_ok });
        }
        fields.sort_by_key(|f| f.path);
        branches.push(Branch { fields });
    }
    Ok(Compiled { paths, branches })
}

pub(crate) fn walk<'a>(
    obj: &'a Object,
    prefix: &str,
    drafts: &mut Vec<Draft<'a>>,
    source: &str,
    config: &Config,
) -> Result<(), Error> {
    for member in &obj.members {
        match member {
            Member::Field { key, key_span, value } => {
                let path = format!("{prefix}{key}");
                match value {
                    FieldValue::Object(inner) => walk(inner, &format!("{path}."), drafts, source, config)?,
                    FieldValue::Leaf { conditions, .. } => {
                        for draft in drafts.iter_mut() {
                            if let Some(i) = draft.iter().position(|(p, _, _)| *p == path) {
                                if config.reject_duplicate_paths {
                                    return Err(Error::new(
                                        ErrorKind::DuplicatePath,
                                        *key_span,
                                        format!("Path `{path}` cannot be allowed multiple times"),
                                        source,
                                    ));
                                }
                                draft.remove(i);
                            }
                            draft.push((path.clone(), *key_span, conditions));
                        }
                    }
                }
            }
            Member::Or { key_span, branches } => {
                let mut expanded = Vec::new();
                for branch in branches {
                    let mut copy = drafts.clone();
                    walk(branch, prefix, &mut copy, source, config)?;
                    expanded.extend(copy);
                    if expanded.len() > config.max_or_branches {
                        return Err(Error::new(
                            ErrorKind::TooManyOrBranches,
                            *key_span,
                            format!("$or expands to more than {} combinations", config.max_or_branches),
                            source,
                        ));
                    }
                }
                *drafts = expanded;
            }
        }
    }
    Ok(())
}

/// Rejects a field whose wildcards are too complex (per branch, per field, as event-ruler measures).
/// The field's positive wildcards are measured together; each `anything-but` wildcard list is
/// measured on its own (event-ruler compiles such a list into one anything-but pattern, so adding its
/// values to the positive ones would over-count).
fn check_wildcards<'a>(
    conditions: &'a [Condition],
    seen: &mut std::collections::HashSet<Vec<&'a str>>,
    source: &str,
    config: &Config,
) -> Result<(), Error> {
    let mut groups: Vec<(Vec<&str>, Span)> = Vec::new();
    let mut positive: Vec<&str> = Vec::new();
    let mut positive_span = None;
    for c in conditions {
        let span = c.argument_span.unwrap_or(c.span);
        match &c.test {
            Test::Wildcard { source, .. } => {
                positive.push(source);
                positive_span.get_or_insert(span);
            }
            Test::AnythingBut(ast::AnythingBut::Wildcards(list)) => {
                groups.push((list.iter().map(|(s, _)| s.as_str()).collect(), span));
            }
            _ => {}
        }
    }
    if let Some(span) = positive_span {
        groups.insert(0, (positive, span));
    }
    for (wildcards, span) in groups {
        if !seen.insert(wildcards.clone()) {
            continue;
        }
        if complexity(&wildcards) > config.max_wildcard_complexity {
            return Err(Error::new(
                ErrorKind::WildcardTooComplex,
                span,
                "Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character",
                source,
            ));
        }
    }
    Ok(())
}

fn boxed(list: &[String], f: impl Fn(&str) -> String) -> Vec<Box<str>> {
    list.iter().map(|s| f(s).into_boxed_str()).collect()
}

pub(crate) fn matcher(test: &Test) -> Option<Matcher> {
    Some(match test {
        Test::String(s) => Matcher::String(s.as_str().into()),
        Test::Number(n) => Matcher::Number(n.clone()),
        Test::Bool(b) => Matcher::Bool(*b),
        Test::Null => Matcher::Null,
        Test::Prefix { value, ignore_case: false } => Matcher::Prefix(value.as_str().into()),
        Test::Prefix { value, ignore_case: true } => Matcher::PrefixIgnoreCase(fold(value).into()),
        Test::Suffix { value, ignore_case: false } => Matcher::Suffix(value.as_str().into()),
        Test::Suffix { value, ignore_case: true } => Matcher::SuffixIgnoreCase(fold(value).into()),
        Test::EqualsIgnoreCase(s) => Matcher::EqualsIgnoreCase(fold(s).into()),
        Test::Wildcard { wildcard, .. } => Matcher::Wildcard(wildcard.clone()),
        Test::Numeric(r) => Matcher::Numeric(*r),
        Test::Cidr { cidr, .. } => Matcher::Cidr(Box::new(*cidr)),
        Test::Exists(true) => Matcher::Exists,
        Test::Exists(false) => return None,
        Test::AnythingBut(a) => Matcher::AnythingBut(match a {
            ast::AnythingBut::Strings(l) => AnythingBut::Strings(boxed(l, str::to_string)),
            ast::AnythingBut::Numbers(l) => AnythingBut::Numbers(l.clone()),
            ast::AnythingBut::Prefixes(l) => AnythingBut::Prefixes(boxed(l, str::to_string)),
            ast::AnythingBut::Suffixes(l) => AnythingBut::Suffixes(boxed(l, str::to_string)),
            ast::AnythingBut::EqualsIgnoreCase(l) => AnythingBut::EqualsIgnoreCase(boxed(l, fold)),
            ast::AnythingBut::Wildcards(l) => AnythingBut::Wildcards(l.iter().map(|(_, w)| w.clone()).collect()),
        }),
    })
}
