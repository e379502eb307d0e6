//! [`Machine`]: many named rules matched against each event in one pass.
//!
//! Every rule is compiled like a [`Pattern`]; all their paths go into one trie (so the event reader
//! reads only what some rule names) and every leaf value is looked up in a per-path index that says
//! which rule branches it satisfies. A branch whose required fields have all been satisfied is a
//! candidate, and only candidates get the exact, array-consistent check. So rules that cannot
//! match cost nothing per event beyond the index probes of the fields the event has. `DESIGN.md`
//! explains the choices.

mod index;
mod live;

use std::fmt;
use std::sync::Arc;

use index::{PathIndex, Slot};
pub use live::SharedMachine;

use crate::compile::ir::{Branch, Compiled, Field, Matcher};
use crate::error::Error;
use crate::event::reader::{self, Leaves, ReadMode};
use crate::event::trie::{FxHashMap, PathTrie};
use crate::event::{value, DEFAULT_MAX_EVENT_DEPTH};
use crate::matcher::eval::{self, ByPath};
use crate::{Pattern, PatternBuilder};

/// The name of a rule, as given to [`MachineBuilder::add`]. Cheap to clone.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleId(Arc<str>);

impl RuleId {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for RuleId {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<&str> for RuleId {
    fn from(s: &str) -> RuleId {
        RuleId(s.into())
    }
}

impl From<String> for RuleId {
    fn from(s: String) -> RuleId {
        RuleId(s.into())
    }
}

impl fmt::Debug for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Collects rules, then builds a [`Machine`].
///
/// ```
/// use eventsift::Machine;
///
/// let mut builder = Machine::builder();
/// builder.add("ec2", r#"{"source": ["aws.ec2"]}"#)?;
/// builder.add("big", r#"{"detail": {"size": [{"numeric": [">", 100]}]}}"#)?;
/// let machine = builder.build();
///
/// let mut scratch = machine.scratch();
/// let hits: Vec<&str> = machine
///     .matches(r#"{"source": "aws.ec2", "detail": {"size": 500}}"#, &mut scratch)?
///     .map(|id| id.as_str())
///     .collect();
/// assert_eq!(hits, ["ec2", "big"]);
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct MachineBuilder {
    options: PatternBuilder,
    rules: Rules,
    max_event_depth: Option<usize>,
    read_mode: Option<ReadMode>,
}

/// Rules in the form the machine keeps them: ids deduplicated, paths interned, and each branch's
/// fields (with global path numbers) behind an `Arc`, shared by the builder and every machine it
/// builds. A machine's own memory is then its index and a few flat arrays, and `build` copies no
/// rule (issue 11: resident memory per rule).
#[derive(Clone, Debug, Default)]
struct Rules {
    /// Rule ids in first-added order.
    ids: Vec<RuleId>,
    rule_index: FxHashMap<RuleId, u32>,
    paths: Vec<Box<str>>,
    path_ids: FxHashMap<Box<str>, u32>,
    /// Branches: the rule (index into `ids`) and the fields, sorted by path.
    branches: Vec<(u32, Arc<[Field]>)>,
    /// Patterns added (one rule id may have several).
    patterns: usize,
}

impl Rules {
    fn push(&mut self, id: RuleId, compiled: Compiled) {
        let rule = match self.rule_index.get(&id) {
            Some(&r) => r,
            None => {
                let r = self.ids.len() as u32;
                self.rule_index.insert(id.clone(), r);
                self.ids.push(id);
                r
            }
        };
        let global: Vec<u32> = compiled
            .paths
            .iter()
            .map(|p| match self.path_ids.get(p) {
                Some(&g) => g,
                None => {
                    let g = self.paths.len() as u32;
                    self.paths.push(p.clone());
                    self.path_ids.insert(p.clone(), g);
                    g
                }
            })
            .collect();
        for branch in compiled.branches {
            let mut fields = branch.fields;
            for field in &mut fields {
                field.path = global[field.path] as usize;
            }
            fields.sort_by_key(|f| f.path);
            self.branches.push((rule, fields.into()));
        }
        self.patterns += 1;
    }
}

impl MachineBuilder {
    /// Options (dialect, limits) used to compile the rules added as text from now on.
    pub fn pattern_options(&mut self, options: PatternBuilder) -> &mut Self {
        self.options = options;
        self
    }

    /// Maximum nesting of matched events (default 128).
    pub fn max_event_depth(&mut self, depth: usize) -> &mut Self {
        self.max_event_depth = Some(depth);
        self
    }

    /// How much of each event to read. The default, [`ReadMode::EarlyStop`], reads what the rules
    /// refer to, skips the rest without validating it, and stops once nothing later can change the
    /// verdict; [`ReadMode::Skip`] reads every key to the end (same verdicts, slower);
    /// [`ReadMode::Strict`] validates every event in full.
    pub fn read_mode(&mut self, mode: ReadMode) -> &mut Self {
        self.read_mode = Some(mode);
        self
    }

    /// Compiles `pattern` and adds it as rule `id`. Adding a second pattern under the same id ORs
    /// them: the rule matches when either does. The error names the rule and the position.
    pub fn add(&mut self, id: impl Into<RuleId>, pattern: &str) -> Result<&mut Self, Error> {
        let id = id.into();
        let compiled = self.options.compile(pattern).map_err(|e| e.with_rule(&id))?;
        self.rules.push(id, compiled);
        Ok(self)
    }

    /// Adds an already compiled pattern as rule `id`.
    pub fn add_pattern(&mut self, id: impl Into<RuleId>, pattern: Pattern) -> &mut Self {
        self.rules.push(id.into(), pattern.compiled().clone());
        self
    }

    /// Adds a compiled pattern as rule `id` (the Lambda layer's per-payload variants).
    pub(crate) fn add_compiled(&mut self, id: impl Into<RuleId>, compiled: Compiled) -> &mut Self {
        self.rules.push(id.into(), compiled);
        self
    }

    /// Number of patterns added.
    pub fn len(&self) -> usize {
        self.rules.patterns
    }

    /// No pattern added yet?
    pub fn is_empty(&self) -> bool {
        self.rules.patterns == 0
    }

    /// Builds the immutable machine.
    pub fn build(&self) -> Machine {
        Machine::from_parts(
            &self.rules,
            self.max_event_depth.unwrap_or(DEFAULT_MAX_EVENT_DEPTH),
            self.read_mode.unwrap_or(ReadMode::EarlyStop),
        )
    }
}

/// Can the index answer this matcher with a hash probe (rather than a scan)?
fn hashed(m: &Matcher) -> bool {
    match m {
        // `numeric: ["=", v]` is a lookup among the number values (see `PathIndex::insert`).
        Matcher::Numeric(r) => r.point().is_some(),
        Matcher::Cidr(_) | Matcher::Wildcard(_) | Matcher::AnythingBut(_) | Matcher::Exists => false,
        _ => true,
    }
}

/// The fields of a branch that go into the index (at most 63): every required field whose matchers
/// are all hash-probed; failing that, one required field (its matchers are scanned); failing that,
/// none — the branch is then a candidate for every event. The other fields are checked when the
/// branch is a candidate, so a rule whose exact id the event lacks costs nothing per event, whatever
/// else it says.
fn key_fields(fields: &[Field]) -> Vec<usize> {
    let required = |f: &&Field| !f.absent_ok && !f.matchers.is_empty();
    let hashed_fields: Vec<usize> = fields
        .iter()
        .enumerate()
        .filter(|(_, f)| required(f) && f.matchers.iter().all(hashed))
        .map(|(i, _)| i)
        .take(63)
        .collect();
    if !hashed_fields.is_empty() {
        return hashed_fields;
    }
    // The scanned field with the fewest matchers.
    fields
        .iter()
        .enumerate()
        .filter(|(i, f)| *i < 63 && required(f))
        .min_by_key(|(_, f)| f.matchers.len())
        .map(|(i, _)| vec![i])
        .unwrap_or_default()
}

/// Up to this many leaves (none inside an array), a candidate branch's fields are checked by
/// scanning the leaves, without grouping them by path.
const FLAT_LEAVES: usize = 16;

/// One branch of one rule, its paths renumbered into the machine's path table.
#[derive(Debug)]
struct MBranch {
    rule: u32,
    /// The branch's fields, shared with the builder.
    fields: Arc<[Field]>,
    /// Bits of the indexed fields (see [`key_fields`]): all must be satisfied for a candidate.
    required: u64,
    /// Every field is indexed and none may be absent: a full mask proves a match when no leaf came
    /// from inside an array.
    mask_decides: bool,
}

/// Bit 63 of a branch's mask marks it as touched this event.
const TOUCHED: u64 = 1 << 63;

/// In a slot's `field`: the slot alone decides its branch (one field, answered exactly by the
/// index; with one field, array consistency cannot reject), and the low bits are the rule. A hit
/// then costs no branch mask, no branch record and no field list: on 100,000 exact rules those were
/// three cache misses per matching event (issue 11's scale case).
const DIRECT: u32 = 1 << 31;

/// Many rules, compiled together. Immutable, `Send + Sync`, cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Machine {
    inner: Arc<Core>,
}

struct Core {
    /// Rule ids, deduplicated, in first-added order.
    ids: Vec<RuleId>,
    branches: Vec<MBranch>,
    paths: Vec<Box<str>>,
    trie: PathTrie,
    index: Vec<PathIndex>,
    /// Branches with no required field: candidates for every event.
    always: Vec<u32>,
    max_event_depth: usize,
    read_mode: ReadMode,
}

impl Machine {
    /// A builder.
    pub fn builder() -> MachineBuilder {
        MachineBuilder::default()
    }

    /// A machine of compiled rules (live updates rebuild from [`rules`](Self::rules)).
    fn from_rules(rules: Vec<(RuleId, Compiled)>, max_event_depth: usize, read_mode: ReadMode) -> Machine {
        let mut parts = Rules::default();
        for (id, compiled) in rules {
            parts.push(id, compiled);
        }
        Machine::from_parts(&parts, max_event_depth, read_mode)
    }

    fn from_parts(rules: &Rules, max_event_depth: usize, read_mode: ReadMode) -> Machine {
        let mut index: Vec<PathIndex> = vec![PathIndex::default(); rules.paths.len()];
        let mut always = Vec::new();
        let mut branches = Vec::with_capacity(rules.branches.len());
        for (b_id, (rule, fields)) in rules.branches.iter().enumerate() {
            let keys = key_fields(fields);
            let mask_decides = keys.len() == fields.len() && fields.iter().all(|f| !f.absent_ok);
            let direct = mask_decides && fields.len() == 1 && *rule < DIRECT;
            let mut required = 0u64;
            for &fi in &keys {
                required |= 1 << fi;
                let field = &fields[fi];
                let slot = Slot { branch: b_id as u32, field: if direct { DIRECT | *rule } else { fi as u32 } };
                for m in &field.matchers {
                    index[field.path].insert(m, slot);
                }
            }
            if required == 0 {
                always.push(b_id as u32);
            }
            branches.push(MBranch { rule: *rule, fields: fields.clone(), required, mask_decides });
        }
        index.iter_mut().for_each(PathIndex::finish);
        let trie = PathTrie::new(rules.paths.iter().map(|p| &**p));
        always.shrink_to_fit();
        let core = Core {
            ids: rules.ids.clone(),
            branches,
            paths: rules.paths.clone(),
            trie,
            index,
            always,
            max_event_depth,
            read_mode,
        };
        Machine { inner: Arc::new(core) }
    }

    /// A scratch space for [`matches`](Self::matches) on this thread. Reuse it: after the first few
    /// events, matching allocates nothing.
    pub fn scratch(&self) -> Scratch {
        Scratch::default()
    }

    /// The ids of the rules that match the event (JSON text of an object), in the order the rules
    /// were first added. Invalid JSON is an error.
    pub fn matches<'m, 's>(&'m self, event: &str, scratch: &'s mut Scratch) -> Result<Matches<'m, 's>, Error> {
        reader::read(event, &self.inner.trie, self.inner.max_event_depth, self.inner.read_mode, &mut scratch.leaves)?;
        self.evaluate(event, scratch, false);
        Ok(Matches { ids: &self.inner.ids, hits: scratch.hits.iter() })
    }

    /// Does any rule match? Cheaper than [`matches`](Self::matches): it stops at the first match.
    pub fn is_match(&self, event: &str, scratch: &mut Scratch) -> Result<bool, Error> {
        reader::read(event, &self.inner.trie, self.inner.max_event_depth, self.inner.read_mode, &mut scratch.leaves)?;
        self.evaluate(event, scratch, true);
        Ok(!scratch.hits.is_empty())
    }

    /// [`is_match`](Self::is_match) on the object at the start of `text`, ignoring what follows it;
    /// also returns the offset just past the object (`None` if the read stopped early).
    pub(crate) fn is_match_prefix(&self, text: &str, scratch: &mut Scratch) -> Result<(bool, Option<usize>), Error> {
        let end = reader::read_prefix(
            text,
            &self.inner.trie,
            self.inner.max_event_depth,
            self.inner.read_mode,
            &mut scratch.leaves,
        )?;
        self.evaluate(text, scratch, true);
        Ok((!scratch.hits.is_empty(), end))
    }

    /// The ids of the rules that match an already-parsed event. An event that is not an object, or
    /// nests too deeply, matches nothing.
    pub fn matches_value<'m, 's>(&'m self, event: &serde_json::Value, scratch: &'s mut Scratch) -> Matches<'m, 's> {
        if value::read(event, &self.inner.trie, self.inner.max_event_depth, &mut scratch.leaves).is_ok() {
            self.evaluate("", scratch, false);
        } else {
            scratch.hits.clear();
        }
        Matches { ids: &self.inner.ids, hits: scratch.hits.iter() }
    }

    /// Convenience: the matching rule ids in a new `Vec` (allocates; see [`matches`](Self::matches)).
    pub fn matching_rules(&self, event: &str) -> Result<Vec<RuleId>, Error> {
        let mut scratch = self.scratch();
        Ok(self.matches(event, &mut scratch)?.cloned().collect())
    }

    fn evaluate(&self, event: &str, scratch: &mut Scratch, first_only: bool) {
        let core = &*self.inner;
        let Scratch { leaves, by_path, eval, masks, touched, fold_buf, hits, .. } = scratch;
        hits.clear();
        if masks.len() < core.branches.len() {
            masks.resize(core.branches.len(), 0);
        }
        touched.clear();
        for leaf in &leaves.leaves {
            let v = leaves.value(leaf, event);
            core.index[leaf.path as usize].each(&v, fold_buf, &mut |slot: Slot| {
                if slot.field & DIRECT != 0 {
                    hits.push(slot.field & !DIRECT);
                    return;
                }
                let mask = &mut masks[slot.branch as usize];
                if *mask & TOUCHED == 0 {
                    *mask = TOUCHED;
                    touched.push(slot.branch);
                }
                if slot.field < 63 {
                    *mask |= 1 << slot.field;
                }
            });
        }
        // Leaves grouped by path: built for the first candidate that needs them (most events of a
        // selective rule set have none).
        let mut built = false;
        let candidates = touched.iter().copied().filter(|&b| {
            let mb = &core.branches[b as usize];
            masks[b as usize] & mb.required == mb.required && mb.required != 0
        });
        // A direct hit already answers "any match?".
        let done = first_only && !hits.is_empty();
        // No leaf came from inside an array: array consistency cannot reject anything, so a full
        // mask is a proof, and the other fields are checked one by one against a few leaves
        // without grouping them by path first.
        let no_arrays = leaves.steps.is_empty();
        let few = no_arrays && leaves.leaves.len() <= FLAT_LEAVES;
        for b in candidates.chain(core.always.iter().copied()).take_while(|_| !done) {
            let mb = &core.branches[b as usize];
            if hits.contains(&mb.rule) {
                continue;
            }
            let matched = if mb.mask_decides && no_arrays {
                true
            } else if few {
                eval::fields_match_flat(&mb.fields, event, leaves)
            } else {
                if !built {
                    by_path.build(leaves, core.paths.len());
                    built = true;
                }
                // When no leaf of the branch's paths came from inside an array, a full mask over
                // all-indexed fields is a proof.
                let flat = || mb.fields.iter().all(|f| !by_path.trailed[f.path]);
                (mb.mask_decides && flat()) || eval::branch_matches(&mb.fields, event, leaves, by_path, eval)
            };
            if matched {
                hits.push(mb.rule);
                if first_only {
                    break;
                }
            }
        }
        for &b in touched.iter() {
            masks[b as usize] = 0;
        }
        // Direct hits come once per satisfying value: a rule may be there twice.
        hits.sort_unstable();
        hits.dedup();
    }

    /// Number of distinct rule ids.
    pub fn rule_count(&self) -> usize {
        self.inner.ids.len()
    }

    /// The rule ids, in first-added order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &RuleId> {
        self.inner.ids.iter()
    }

    /// Number of distinct paths the rules name.
    pub fn path_count(&self) -> usize {
        self.inner.paths.len()
    }

    /// The compiled rules again, as [`from_rules`](Self::from_rules) takes them: each rule's
    /// branches with their path strings (what live updates rebuild from; the machine keeps no other
    /// copy of its rules).
    pub(crate) fn rules(&self) -> Vec<(RuleId, Compiled)> {
        let core = &*self.inner;
        let mut out: Vec<(RuleId, Compiled)> =
            core.ids.iter().map(|id| (id.clone(), Compiled { paths: Vec::new(), branches: Vec::new() })).collect();
        let mut local: Vec<FxHashMap<usize, usize>> = vec![FxHashMap::default(); core.ids.len()];
        for mb in &core.branches {
            let (_, compiled) = &mut out[mb.rule as usize];
            let map = &mut local[mb.rule as usize];
            let mut branch = Branch { fields: mb.fields.to_vec() };
            for field in &mut branch.fields {
                let next = compiled.paths.len();
                let id = *map.entry(field.path).or_insert(next);
                if id == next {
                    compiled.paths.push(core.paths[field.path].clone());
                }
                field.path = id;
            }
            compiled.branches.push(branch);
        }
        out
    }

    pub(crate) fn max_event_depth(&self) -> usize {
        self.inner.max_event_depth
    }

    pub(crate) fn read_mode(&self) -> ReadMode {
        self.inner.read_mode
    }
}

impl fmt::Debug for Machine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Machine")
            .field("rules", &self.inner.ids.len())
            .field("branches", &self.inner.branches.len())
            .field("paths", &self.inner.paths.len())
            .finish()
    }
}

/// Per-thread working memory for a [`Machine`]. Reusable across events and across machines.
#[derive(Default, Debug)]
pub struct Scratch {
    leaves: Leaves,
    by_path: ByPath,
    eval: eval::Scratch,
    masks: Vec<u64>,
    touched: Vec<u32>,
    fold_buf: Vec<u8>,
    hits: Vec<u32>,
}

/// The ids of the matching rules, borrowed from the machine.
#[derive(Debug)]
pub struct Matches<'m, 's> {
    ids: &'m [RuleId],
    hits: std::slice::Iter<'s, u32>,
}

impl<'m> Iterator for Matches<'m, '_> {
    type Item = &'m RuleId;

    fn next(&mut self) -> Option<&'m RuleId> {
        self.hits.next().map(|&i| &self.ids[i as usize])
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.hits.size_hint()
    }
}

impl ExactSizeIterator for Matches<'_, '_> {}

// ---------------------------------------------------------------------------------------------
// Entry points for the Lambda layer's typed Kinesis path (`crate::lambda::kinesis`): the caller
// fills the leaves itself (metadata values it holds, and the decoded data read with
// `reader::read_value_into` from a node of this machine's trie) instead of handing over one text.

impl Machine {
    /// The trie of the paths this machine's rules name.
    pub(crate) fn trie(&self) -> &PathTrie {
        &self.inner.trie
    }

    /// The matching rules for the leaves the caller put in `scratch` (see [`Scratch::leaves_mut`]),
    /// whose text ranges point into `text`. `first_only`: stop at the first match.
    pub(crate) fn matches_filled<'m, 's>(
        &'m self,
        text: &str,
        scratch: &'s mut Scratch,
        first_only: bool,
    ) -> Matches<'m, 's> {
        self.evaluate(text, scratch, first_only);
        Matches { ids: &self.inner.ids, hits: scratch.hits.iter() }
    }
}

impl Scratch {
    /// The leaves [`Machine::matches_filled`] evaluates.
    pub(crate) fn leaves_mut(&mut self) -> &mut Leaves {
        &mut self.leaves
    }
}
