//! Evaluating compiled branches against an event's leaf occurrences.

use crate::compile::fold::{ends_with_folded, eq_folded, starts_with_folded};
use crate::compile::ir::{AnythingBut, Field, Matcher};
use crate::event::reader::{consistent, Leaves, Step, Value};

/// Does one leaf value satisfy one matcher?
pub(crate) fn test(m: &Matcher, v: &Value<'_>) -> bool {
    match (m, v) {
        (Matcher::Exists, _) => true,
        (Matcher::String(s), Value::String(x)) => **s == **x,
        (Matcher::Number(n), Value::Number(x, v)) => n.matches_parsed(x, *v),
        (Matcher::Bool(b), Value::Bool(x)) => b == x,
        (Matcher::Null, Value::Null) => true,
        (Matcher::Prefix(p), Value::String(x)) => x.starts_with(&**p),
        (Matcher::PrefixIgnoreCase(p), Value::String(x)) => starts_with_folded(x, p),
        (Matcher::Suffix(p), Value::String(x)) => x.ends_with(&**p),
        (Matcher::SuffixIgnoreCase(p), Value::String(x)) => ends_with_folded(x, p),
        (Matcher::EqualsIgnoreCase(p), Value::String(x)) => eq_folded(p, x),
        (Matcher::Wildcard(w), Value::String(x)) => w.is_match(x),
        (Matcher::Numeric(r), Value::Number(_, v)) => r.contains(*v),
        (Matcher::Cidr(c), Value::String(x)) => c.contains(x),
        (Matcher::AnythingBut(a), v) => !excluded(a, v),
        _ => false,
    }
}

/// Is the value one that `anything-but` excludes? Values of the other type are never excluded.
#[inline]
pub(crate) fn excluded(a: &AnythingBut, v: &Value<'_>) -> bool {
    match (a, v) {
        (AnythingBut::Strings(l), Value::String(x)) => l.iter().any(|s| **s == **x),
        (AnythingBut::Numbers(l), Value::Number(x, v)) => l.iter().any(|n| n.matches_parsed(x, *v)),
        (AnythingBut::Prefixes(l), Value::String(x)) => l.iter().any(|p| x.starts_with(&**p)),
        (AnythingBut::Suffixes(l), Value::String(x)) => l.iter().any(|p| x.ends_with(&**p)),
        (AnythingBut::EqualsIgnoreCase(l), Value::String(x)) => l.iter().any(|p| eq_folded(p, x)),
        (AnythingBut::Wildcards(l), Value::String(x)) => l.iter().any(|w| w.is_match(x)),
        _ => false,
    }
}

/// Per-event working memory, reused across events.
#[derive(Default, Debug)]
pub(crate) struct Scratch {
    /// For each field of the branch being evaluated: candidate leaf indices.
    candidates: Vec<Vec<u32>>,
    order: Vec<usize>,
    chosen: Vec<u32>,
    /// Per search depth, the trails already tried.
    tried: Vec<Vec<(u32, u32)>>,
}

/// Leaf indices grouped by path id, so a field finds its occurrences without scanning all leaves.
#[derive(Default, Debug)]
pub(crate) struct ByPath {
    pub starts: Vec<u32>,
    pub items: Vec<u32>,
    next: Vec<u32>,
    /// Per path: some leaf there came from inside an array.
    pub trailed: Vec<bool>,
}

impl ByPath {
    pub fn build(&mut self, leaves: &Leaves, paths: usize) {
        self.starts.clear();
        self.starts.resize(paths + 1, 0);
        self.trailed.clear();
        self.trailed.resize(paths, false);
        for l in &leaves.leaves {
            self.starts[l.path as usize + 1] += 1;
            if l.trail.1 != 0 {
                self.trailed[l.path as usize] = true;
            }
        }
        for i in 0..paths {
            self.starts[i + 1] += self.starts[i];
        }
        self.items.clear();
        self.items.resize(leaves.leaves.len(), 0);
        self.next.clear();
        self.next.extend_from_slice(&self.starts);
        for (i, l) in leaves.leaves.iter().enumerate() {
            let slot = &mut self.next[l.path as usize];
            self.items[*slot as usize] = i as u32;
            *slot += 1;
        }
    }

    pub fn at(&self, path: usize) -> &[u32] {
        &self.items[self.starts[path] as usize..self.starts[path + 1] as usize]
    }
}

/// [`branch_matches`] when no leaf came from inside an array: then every choice of leaves is
/// consistent, and each field is on its own: satisfied by a leaf at its path that one of its
/// matchers accepts, or (`exists: false`) by no leaf at its path at all.
pub(crate) fn fields_match_flat(fields: &[Field], event: &str, leaves: &Leaves) -> bool {
    fields.iter().all(|field| {
        let mut present = false;
        for leaf in leaves.leaves.iter().filter(|l| l.path as usize == field.path) {
            present = true;
            let value = leaves.value(leaf, event);
            if field.matchers.iter().any(|m| test(m, &value)) {
                return true;
            }
        }
        field.absent_ok && !present
    })
}

/// Does the branch match? Fields are satisfied by one leaf each, chosen so that no two chosen leaves
/// come from different elements of one array; a field with `exists: false` may instead be satisfied
/// by having no leaf consistent with the chosen ones.
pub(crate) fn branch_matches(
    fields: &[Field],
    event: &str,
    leaves: &Leaves,
    by_path: &ByPath,
    scratch: &mut Scratch,
) -> bool {
    let n = fields.len();
    scratch.candidates.resize_with(n.max(scratch.candidates.len()), Vec::new);
    let any_absent = fields.iter().any(|f| f.absent_ok);
    // Without absence fields, a field with a matching leaf outside every array is settled: that
    // leaf fits any choice for the other fields. Only the unsettled fields need a search.
    let mut unsettled = 0;
    for (i, field) in fields.iter().enumerate() {
        let list = &mut scratch.candidates[i];
        list.clear();
        let mut settled = false;
        for &li in by_path.at(field.path) {
            let leaf = &leaves.leaves[li as usize];
            let value = leaves.value(leaf, event);
            if field.matchers.iter().any(|m| test(m, &value)) {
                list.push(li);
                if !any_absent && leaf.trail.1 == 0 {
                    settled = true;
                    break;
                }
            }
        }
        if list.is_empty() && !field.absent_ok {
            return false;
        }
        unsettled += usize::from(!settled);
    }
    // With no absence field, one unsettled field is satisfied by any of its (non-empty) candidates.
    if !any_absent && unsettled <= 1 {
        return true;
    }
    // Fewest candidates first: fails fast and keeps the search small.
    scratch.order.clear();
    scratch.order.extend(0..n);
    let cands = &scratch.candidates;
    scratch.order.sort_by_key(|&i| cands[i].len());
    scratch.chosen.clear();
    let ctx =
        Search { fields, leaves, by_path, candidates: &scratch.candidates[..n], order: &scratch.order, any_absent };
    ctx.search(0, &mut scratch.chosen, &mut scratch.tried)
}

const ABSENT: u32 = u32::MAX;

struct Search<'s> {
    fields: &'s [Field],
    leaves: &'s Leaves,
    by_path: &'s ByPath,
    candidates: &'s [Vec<u32>],
    order: &'s [usize],
    /// Some field of the branch may be satisfied by absence.
    any_absent: bool,
}

impl Search<'_> {
    fn trail(&self, li: u32) -> &[Step] {
        self.leaves.trail(&self.leaves.leaves[li as usize])
    }

    /// Is leaf `li` consistent with every chosen leaf?
    fn fits(&self, li: u32, chosen: &[u32]) -> bool {
        let t = self.trail(li);
        t.is_empty() || chosen.iter().all(|&c| c == ABSENT || consistent(t, self.trail(c)))
    }

    fn search(&self, depth: usize, chosen: &mut Vec<u32>, tried: &mut Vec<Vec<(u32, u32)>>) -> bool {
        if depth == self.order.len() {
            // Every absent-chosen field: no leaf at its path may be consistent with the chosen leaves.
            return self.order.iter().zip(chosen.iter()).all(|(&fi, &c)| {
                c != ABSENT || self.by_path.at(self.fields[fi].path).iter().all(|&li| !self.fits(li, chosen))
            });
        }
        let field = self.order[depth];
        // A candidate outside every array constrains nothing, so when no field can be satisfied by
        // absence it is always the best choice: take it and do not branch. (With absences it is
        // not: choosing a leaf inside an array element is what excludes the other elements' leaves
        // from an absence check.)
        let shortcut = !self.any_absent;
        if let Some(&li) =
            self.candidates[field].iter().find(|&&li| shortcut && self.leaves.leaves[li as usize].trail.1 == 0)
        {
            chosen.push(li);
            let ok = self.search(depth + 1, chosen, tried);
            chosen.pop();
            return ok;
        }
        // Trails already tried at this depth: candidates with the same trail are interchangeable.
        if tried.len() <= depth {
            tried.resize_with(depth + 1, Vec::new);
        }
        tried[depth].clear();
        for &li in &self.candidates[field] {
            if !self.fits(li, chosen) {
                continue;
            }
            let t = self.leaves.leaves[li as usize].trail;
            if tried[depth].iter().any(|&u| self.leaves.steps[u.0 as usize..(u.0 + u.1) as usize] == *self.trail(li)) {
                continue;
            }
            tried[depth].push(t);
            chosen.push(li);
            let ok = self.search(depth + 1, chosen, tried);
            chosen.pop();
            if ok {
                return true;
            }
        }
        if self.fields[field].absent_ok {
            chosen.push(ABSENT);
            let ok = self.search(depth + 1, chosen, tried);
            chosen.pop();
            return ok;
        }
        false
    }
}
