//! Why an event matches a pattern or not: [`Pattern::explain`].
//!
//! Built on the reference matcher (every leaf of the event with its path and array positions, every
//! branch tried exhaustively), so its verdict is the reference verdict, and the fast matchers are
//! held to the same verdict by the test suites.

use std::fmt;

use crate::compile::ir::{matcher, walk, Draft};
use crate::error::Error;
use crate::reference::{self, Leaf};
use crate::syntax::ast::Test;
use crate::Pattern;

/// The explanation of one event against one pattern.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Explanation {
    /// Does the event match?
    pub matched: bool,
    /// One per `$or` combination of the pattern (one when it has no `$or`).
    pub branches: Vec<BranchExplanation>,
    /// The branch that matched, or the one that came closest (most conditions satisfied).
    pub closest: usize,
    /// One sentence: which branch matched, or the first failing condition of the closest branch.
    pub summary: String,
}

/// One branch: every field must hold, array-consistently.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BranchExplanation {
    /// Does this branch match?
    pub matched: bool,
    /// Its fields, in pattern order.
    pub fields: Vec<FieldExplanation>,
    /// Why the branch fails, in one sentence.
    pub failure: Option<String>,
}

/// One leaf path of a branch, with its conditions and what the event holds there.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FieldExplanation {
    /// The dotted path (`detail.state`).
    pub path: String,
    /// The conditions of the leaf array (OR'ed), as written in the pattern.
    pub conditions: Vec<String>,
    /// `exists: false` is among them: absence satisfies the field.
    pub absent_ok: bool,
    /// The event's values at the path.
    pub values: Vec<ValueSeen>,
    /// Some value is accepted, or the path is absent and absence is allowed.
    pub satisfied: bool,
}

/// A value found at a path.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ValueSeen {
    /// The value as written in the event.
    pub value: String,
    /// Its index in each array on the way (outermost first); empty outside arrays.
    pub positions: Vec<usize>,
    /// The conditions (indices into [`FieldExplanation::conditions`]) that accept it.
    pub accepted_by: Vec<usize>,
}

impl Pattern {
    /// Explains the verdict on `event`: for each branch and path, the conditions, the values found
    /// (with their array positions) and which condition accepted which value; for a non-match, the
    /// first failing condition of the closest branch in one sentence.
    ///
    /// Slower than [`Pattern::matches`] (it reads the whole event into a tree): meant for people,
    /// tests and CI, not for the hot path.
    ///
    /// ```
    /// use eventsift::Pattern;
    ///
    /// let p = Pattern::new(r#"{"source": ["aws.ec2"], "detail": {"state": ["running"]}}"#)?;
    /// let e = p.explain(r#"{"source": "aws.ec2", "detail": {"state": "stopped"}}"#)?;
    /// assert!(!e.matched);
    /// assert_eq!(e.summary, r#"no match: detail.state is "stopped", which fails ["running"]"#);
    /// # Ok::<(), eventsift::Error>(())
    /// ```
    pub fn explain(&self, event: &str) -> Result<Explanation, Error> {
        let tree = reference::parse_event(event, self.max_event_depth())?;
        let leaves = reference::leaves(&tree);

        let source = self.source();
        let mut drafts: Vec<Draft<'_>> = vec![Vec::new()];
        // The pattern compiled, so its walk succeeds again.
        walk(self.ast(), "", &mut drafts, source, self.config())?;
        let compiled = self.compiled();

        let mut branches = Vec::with_capacity(drafts.len());
        for (bi, draft) in drafts.iter().enumerate() {
            let mut fields = Vec::with_capacity(draft.len());
            for (path, _, conditions) in draft {
                let matchers: Vec<_> = conditions.iter().map(|c| matcher(&c.test)).collect();
                let absent_ok = conditions.iter().any(|c| c.test == Test::Exists(false));
                let values: Vec<ValueSeen> = leaves
                    .iter()
                    .filter(|l| l.path == *path)
                    .map(|l| ValueSeen {
                        value: event[l.value.span.range()].to_string(),
                        positions: l.trail.iter().map(|&(_, i)| i).collect(),
                        accepted_by: matchers
                            .iter()
                            .enumerate()
                            .filter(|(_, m)| m.as_ref().is_some_and(|m| reference::test(m, l.value)))
                            .map(|(i, _)| i)
                            .collect(),
                    })
                    .collect();
                let satisfied = values.iter().any(|v| !v.accepted_by.is_empty()) || (absent_ok && values.is_empty());
                fields.push(FieldExplanation {
                    path: path.clone(),
                    conditions: conditions.iter().map(|c| source[c.span.range()].to_string()).collect(),
                    absent_ok,
                    values,
                    satisfied,
                });
            }
            let matched = compiled.branches.get(bi).is_some_and(|b| reference::branch(b, &compiled.paths, &leaves));
            let failure = if matched { None } else { Some(failure(&fields, &leaves)) };
            branches.push(BranchExplanation { matched, fields, failure });
        }
        let matched = branches.iter().any(|b| b.matched);
        let closest = if let Some(i) = branches.iter().position(|b| b.matched) {
            i
        } else {
            // Most fields satisfied; ties go to the first branch.
            let mut best = 0;
            let mut best_score = -1.0f64;
            for (i, b) in branches.iter().enumerate() {
                let n = b.fields.len().max(1) as f64;
                let score = b.fields.iter().filter(|f| f.satisfied).count() as f64 / n;
                if score > best_score {
                    best = i;
                    best_score = score;
                }
            }
            best
        };
        let or = if branches.len() > 1 {
            format!(" ($or branch {} of {})", closest + 1, branches.len())
        } else {
            String::new()
        };
        let summary = if matched {
            let n = branches[closest].fields.len();
            format!("match{or}: every condition holds ({n} field{})", if n == 1 { "" } else { "s" })
        } else {
            format!("no match{or}: {}", branches[closest].failure.as_deref().unwrap_or("no branch holds"))
        };
        Ok(Explanation { matched, branches, closest, summary })
    }
}

fn conditions(f: &FieldExplanation) -> String {
    format!("[{}]", f.conditions.join(", "))
}

fn values(f: &FieldExplanation) -> String {
    match f.values.as_slice() {
        [one] => one.value.clone(),
        many => {
            let list: Vec<String> =
                many.iter().map(|v| format!("{} at {}", v.value, positions(&v.positions))).collect();
            format!("{} values ({})", many.len(), list.join(", "))
        }
    }
}

fn positions(p: &[usize]) -> String {
    p.iter().map(|i| format!("[{i}]")).collect()
}

/// The first failing condition of a branch, in one sentence.
fn failure(fields: &[FieldExplanation], leaves: &[Leaf<'_, '_>]) -> String {
    for f in fields {
        if f.satisfied {
            continue;
        }
        let only_absent = f.absent_ok && f.conditions.len() == 1;
        return if f.values.is_empty() {
            format!("{} is not in the event, and {} needs a value there", f.path, conditions(f))
        } else if only_absent {
            format!("{} is present ({}), but {} requires it to be absent", f.path, values(f), conditions(f))
        } else if f.values.len() == 1 {
            format!("{} is {}, which fails {}", f.path, values(f), conditions(f))
        } else {
            format!("{} holds {}, none of which satisfies {}", f.path, values(f), conditions(f))
        };
    }
    // Every field holds on its own: the values that satisfy them sit in different elements of one
    // array (array consistency), or a field that must be absent is present beside them.
    let accepted = |f: &FieldExplanation| -> Vec<&Leaf<'_, '_>> {
        let mut out = Vec::new();
        for (k, l) in leaves.iter().filter(|l| l.path == f.path).enumerate() {
            if f.values.get(k).is_some_and(|v| !v.accepted_by.is_empty()) {
                out.push(l);
            }
        }
        out
    };
    for (i, a) in fields.iter().enumerate() {
        for b in &fields[i + 1..] {
            let (la, lb) = (accepted(a), accepted(b));
            if la.is_empty() || lb.is_empty() {
                continue;
            }
            if la.iter().all(|x| lb.iter().all(|y| reference::conflict(x, y))) {
                let pa: Vec<String> = la.iter().map(|l| positions(&trail(l))).collect();
                let pb: Vec<String> = lb.iter().map(|l| positions(&trail(l))).collect();
                return format!(
                    "array consistency: {} and {} each hold, but only in different elements of the same array ({} at {}, {} at {})",
                    a.path,
                    b.path,
                    a.path,
                    pa.join(" "),
                    b.path,
                    pb.join(" ")
                );
            }
        }
    }
    if let Some(f) = fields.iter().find(|f| f.absent_ok && !f.values.is_empty()) {
        return format!(
            "{} must be absent beside the other fields' values (exists: false), but is present there ({})",
            f.path,
            values(f)
        );
    }
    "array consistency: no single array element holds values for every field".into()
}

fn trail(l: &Leaf<'_, '_>) -> Vec<usize> {
    l.trail.iter().map(|&(_, i)| i).collect()
}

impl fmt::Display for Explanation {
    /// A report for people: the summary, then each branch with its fields, conditions and values.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.summary)?;
        for (i, b) in self.branches.iter().enumerate() {
            if self.branches.len() > 1 {
                let mark = if b.matched { "matches" } else { "fails" };
                let closest = if i == self.closest && !self.matched { ", closest" } else { "" };
                writeln!(f, "branch {} of {} ({mark}{closest}):", i + 1, self.branches.len())?;
            }
            let indent = if self.branches.len() > 1 { "  " } else { "" };
            for field in &b.fields {
                let mark = if field.satisfied { "✓" } else { "✗" };
                writeln!(f, "{indent}{mark} {}: {}", field.path, conditions(field))?;
                if field.values.is_empty() {
                    writeln!(f, "{indent}    (not in the event)")?;
                }
                for v in &field.values {
                    let by = if v.accepted_by.is_empty() {
                        "rejected by every condition".to_string()
                    } else {
                        let list: Vec<&str> = v.accepted_by.iter().map(|&c| field.conditions[c].as_str()).collect();
                        format!("accepted by {}", list.join(", "))
                    };
                    let at =
                        if v.positions.is_empty() { String::new() } else { format!(" at {}", positions(&v.positions)) };
                    writeln!(f, "{indent}    {}{at}: {by}", v.value)?;
                }
            }
            if let Some(why) = &b.failure {
                if self.branches.len() > 1 {
                    writeln!(f, "{indent}→ {why}")?;
                }
            }
        }
        Ok(())
    }
}

impl Explanation {
    /// The explanation as JSON (the schema of `eventsift explain --format json`).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        json!({
            "matched": self.matched,
            "summary": self.summary,
            "closest": self.closest,
            "branches": self.branches.iter().map(|b| json!({
                "matched": b.matched,
                "failure": b.failure,
                "fields": b.fields.iter().map(|f| json!({
                    "path": f.path,
                    "conditions": f.conditions,
                    "absent_ok": f.absent_ok,
                    "satisfied": f.satisfied,
                    "values": f.values.iter().map(|v| json!({
                        "value": v.value,
                        "positions": v.positions,
                        "accepted_by": v.accepted_by,
                    })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        })
    }
}

#[cfg(test)]
mod tests {
    use crate::Pattern;

    fn summary(p: &str, e: &str) -> String {
        let p = Pattern::new(p).unwrap();
        let x = p.explain(e).unwrap();
        assert_eq!(x.matched, p.matches(e).unwrap(), "{x}");
        x.summary
    }

    #[test]
    fn sentences() {
        assert_eq!(summary(r#"{"a": ["x"]}"#, r#"{"a": "x"}"#), "match: every condition holds (1 field)");
        assert_eq!(
            summary(r#"{"a": ["x"], "b": [{"prefix": "p"}]}"#, r#"{"a": "x"}"#),
            r#"no match: b is not in the event, and [{"prefix": "p"}] needs a value there"#
        );
        assert_eq!(
            summary(r#"{"a": [{"exists": false}]}"#, r#"{"a": 1}"#),
            r#"no match: a is present (1), but [{"exists": false}] requires it to be absent"#
        );
        assert_eq!(
            summary(r#"{"a": [{"numeric": [">", 5]}]}"#, r#"{"a": [1, 2]}"#),
            r#"no match: a holds 2 values (1 at [0], 2 at [1]), none of which satisfies [{"numeric": [">", 5]}]"#
        );
        assert_eq!(
            summary(r#"{"a": {"b": ["x"], "c": ["y"]}}"#, r#"{"a": [{"b": "x", "c": "n"}, {"b": "n", "c": "y"}]}"#),
            "no match: array consistency: a.b and a.c each hold, but only in different elements of the same array (a.b at [0], a.c at [1])"
        );
        assert_eq!(
            summary(r#"{"$or": [{"a": ["x"]}, {"a": ["y"], "b": ["z"]}]}"#, r#"{"a": "y", "b": "q"}"#),
            r#"no match ($or branch 2 of 2): b is "q", which fails ["z"]"#
        );
        assert_eq!(
            summary(r#"{"$or": [{"a": ["x"]}, {"b": ["z"]}]}"#, r#"{"b": "z"}"#),
            "match ($or branch 2 of 2): every condition holds (1 field)"
        );
    }

    #[test]
    fn values_and_positions() {
        let p = Pattern::new(r#"{"a": {"b": ["x", {"prefix": "y"}]}}"#).unwrap();
        let x = p.explain(r#"{"a": [{"b": "q"}, {"b": ["yes", "x"]}]}"#).unwrap();
        assert!(x.matched);
        let f = &x.branches[0].fields[0];
        assert_eq!(f.conditions, [r#""x""#, r#"{"prefix": "y"}"#]);
        let seen: Vec<_> =
            f.values.iter().map(|v| (v.value.as_str(), v.positions.clone(), v.accepted_by.clone())).collect();
        assert_eq!(
            seen,
            [("\"q\"", vec![0], vec![]), ("\"yes\"", vec![1, 0], vec![1]), ("\"x\"", vec![1, 1], vec![0])]
        );
        let text = x.to_string();
        assert!(text.contains("\"yes\" at [1][0]: accepted by {\"prefix\": \"y\"}"), "{text}");
        assert_eq!(x.to_json()["branches"][0]["fields"][0]["values"][1]["accepted_by"][0], 1);
    }
}
