//! Wildcard complexity, measured as event-ruler's `MachineComplexityEvaluator` measures it.
//!
//! # What event-ruler measures
//!
//! event-ruler compiles every value of one field into a byte-level NFA, its `ByteMachine`
//! (`ByteMachine.addPattern` → `addMatchValue` / `addEndOfMatch` / `findOrMakeNextByteState`).
//! A `*` becomes a state with a self-loop on every byte
//! (`addTransitionNextStateForWildcard`), reached on any byte from the state before it; the byte
//! after a `*` is also reachable from the state before the `*` (`addTransitionNextState`), so the
//! `*` may match the empty string. A JSON rule's wildcard value is compiled with its quotes
//! (`JsonRuleCompiler`: `'"' + value + '"'`), and `input/WildcardParser` turns it into UTF-8 bytes
//! and `*` (`\*` and `\\` are literal bytes).
//!
//! `MachineComplexityEvaluator.evaluate(ByteState)` first computes, for every transition, the set
//! of wildcard patterns whose match is reachable from it (`getMatchesAccessibleFromEachTransition`).
//! It then walks breadth-first over every set of transitions some input can occupy at once (the
//! subset construction of the NFA, through `CompoundByteTransition`). For each set it sums, over
//! the transitions in it, the number of wildcard patterns reachable from the transition, plus the
//! patterns reachable from the "transition for all bytes" of the transition's next state when that
//! `*` transition is not itself in the set (a `*` still able to match the empty string). The
//! complexity is the largest such sum; `ByteMachine.evaluateComplexity` adds 1 for a value that is
//! exactly `*`, which a quoted JSON value never is.
//!
//! Counted per pattern, that sum is the number of the pattern's *wildcard rule prefixes* that
//! match the input read so far: prefix `j` of a pattern is its first `j` parsed characters
//! (`j ≥ 1`, a `*` counting as one character), and it matches input `w` when it matches all of `w`
//! (`*` matching any byte string). A state shared by several patterns counts once per pattern
//! reaching it, which is what the per-pattern count gives. So, for one field,
//!
//! > complexity = the maximum, over every non-empty byte string `w`, of the number of
//! > (pattern, prefix) pairs whose prefix matches `w`, counting each distinct pattern once.
//!
//! For example `{"wildcard": "*:*:*:*:*:event-bus/*"}` is compiled as `"*:*:*:*:*:event-bus/*"`.
//! After the input `":::::event-bus/:` its six `*` prefixes (`"*`, `"*:*`, … `"*:*:*:*:*:event-bus/*`)
//! all match, and so do the five prefixes ending in a `:` that directly follows a `*`: 11.
//!
//! # How it is computed here
//!
//! event-ruler's walk visits every reachable set of states, which is exponential in the number of
//! patterns (`m` values `*xy*` on one field reach `2^m` sets). This module computes the same
//! maximum directly from the parsed strings, in polynomial time. Split each pattern at its `*`s
//! into literal segments `s0 * s1 * … * sk` (`s0`, the *head*, is empty or starts with the opening
//! quote). For an input `w`:
//!
//! 1. `w` is a prefix of some head. Such inputs are the nodes of a trie of the heads; every
//!    pattern is simulated over the trie nodes below its own head with a bit-parallel glob NFA
//!    (one bit per prefix), and patterns whose head `w` is a prefix of add their one matching
//!    prefix (two when `w` is the whole head: `s0` and `s0*`).
//! 2. Otherwise the patterns that can still match are those whose head `w` starts with; call the
//!    longest such head `u`. Each of their `*` prefixes matches once enough input has gone by, and
//!    a prefix ending `t` bytes into segment `si` (`i ≥ 1`) additionally needs `w` to end with those
//!    `t` bytes. No input does better than all of the `*` prefixes plus the best suffix, and an
//!    input made of `u`, every middle segment in turn, and then the best suffix achieves it. The
//!    best suffix is the Aho–Corasick automaton node over the segments whose weight, summed along
//!    its failure chain, is largest (each node weighs the number of segments it is a prefix of).
//!    Only heads that no other head extends need evaluating: more live patterns never count less.
//!
//! The answer is the larger of the two cases. Case 1 costs, per pattern, the trie nodes below its
//! head times the 64-bit words its live positions span; case 2 the segment bytes of the patterns
//! live at each maximal head. Evaluation stops after [`WORK_BUDGET`] word operations, far more
//! than EventBridge-sized patterns need, and then returns [`OVER_BUDGET`].
//!
//! The unit tests port event-ruler's own complexity assertions (on unquoted values, as its tests
//! build machines) and the pinned values of its evaluator corpus, and compare both cases with a
//! brute-force walk over every reachable set of positions.
//!
//! # Scope
//!
//! Each string is one event-ruler `Patterns` object of type `WILDCARD`; identical strings count
//! once, as event-ruler deduplicates equal patterns. The values of one `anything-but` wildcard set
//! are a single `Patterns` object in event-ruler, which reaches each of its states once however
//! many of its values pass through them; passed here as separate strings they count as separate
//! patterns, which can only count more. Strings with no unescaped `*` are treated as exact values:
//! event-ruler counts only wildcard patterns, and an exact value's states change no wildcard
//! pattern's count, so they contribute nothing. (event-ruler compiles `{"wildcard": "abc"}` as a
//! wildcard pattern that happens to have no `*`; it would count its one matching prefix.)
//! Consecutive `*`s and unknown escapes, which event-ruler rejects, are read as one `*` and as a
//! literal backslash rather than panicking.

use std::collections::BTreeSet;

/// Upper bound on the word operations one evaluation may perform before giving up.
pub(crate) const WORK_BUDGET: u64 = 1 << 31;

/// Returned for inputs too large to evaluate within [`WORK_BUDGET`]: above any sensible limit.
pub(crate) const OVER_BUDGET: usize = 1_000_000;

/// The complexity of one field's set of wildcard patterns. Each pattern is the decoded JSON string
/// value as written after `"wildcard":` (so `\*` is an escaped literal star and `\\` a literal
/// backslash; callers have already rejected `**` and bad escapes). Patterns without any unescaped `*`
/// may be included and count as Ruler counts exact values in the same machine.
///
/// Returns [`OVER_BUDGET`] for inputs too large to evaluate (see the module docs).
pub(crate) fn complexity(patterns: &[&str]) -> usize {
    let mut seen = BTreeSet::new();
    let mut quoted = Vec::new();
    for &raw in patterns {
        if !seen.insert(raw) {
            continue;
        }
        let tokens = parse(raw);
        if !tokens.contains(&Tok::Star) {
            continue;
        }
        let mut value = Vec::with_capacity(tokens.len() + 2);
        value.push(Tok::Byte(b'"'));
        value.extend(tokens);
        value.push(Tok::Byte(b'"'));
        quoted.push(value);
    }
    max_matching_prefixes(&quoted)
}

/// One parsed character of a wildcard value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tok {
    /// A literal byte.
    Byte(u8),
    /// An unescaped `*`.
    Star,
}

/// Parses a wildcard value as `WildcardParser` does, without failing on input it would reject.
fn parse(raw: &str) -> Vec<Tok> {
    let bytes = raw.as_bytes();
    let mut tokens = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => match bytes.get(i + 1) {
                Some(&next @ (b'*' | b'\\')) => {
                    tokens.push(Tok::Byte(next));
                    i += 1;
                }
                _ => tokens.push(Tok::Byte(b'\\')),
            },
            b'*' => {
                if tokens.last() != Some(&Tok::Star) {
                    tokens.push(Tok::Star);
                }
            }
            other => tokens.push(Tok::Byte(other)),
        }
        i += 1;
    }
    tokens
}

/// The maximum, over non-empty byte strings, of the number of (pattern, prefix) pairs matching the
/// string. Every pattern counts (one without a `*` is a `WILDCARD` pattern without wildcards).
fn max_matching_prefixes(patterns: &[Vec<Tok>]) -> usize {
    max_matching_prefixes_within(patterns, WORK_BUDGET)
}

/// [`max_matching_prefixes`], or [`OVER_BUDGET`] when that takes more than `budget` word operations.
fn max_matching_prefixes_within(patterns: &[Vec<Tok>], budget: u64) -> usize {
    let patterns: Vec<Pattern<'_>> =
        patterns.iter().filter(|tokens| !tokens.is_empty()).map(|tokens| Pattern::new(tokens)).collect();
    if patterns.is_empty() {
        return 0;
    }
    let trie = HeadTrie::new(&patterns);
    let maximal = trie.maximal_star_heads();

    // Case 2 reads the segments of the patterns live at each maximal head; case 1 counts its own.
    let segment_work = maximal.iter().fold(0u64, |sum, &node| sum.saturating_add(trie.segment_bytes[node]));
    let Some(prefix_inputs) =
        budget.checked_sub(segment_work).and_then(|budget| trie.best_head_prefix(&patterns, budget))
    else {
        return OVER_BUDGET;
    };
    let longer_inputs = maximal.iter().map(|&node| trie.best_beyond_head(node, &patterns)).max().unwrap_or(0);
    prefix_inputs.max(longer_inputs)
}

/// A parsed pattern. Position `j` (`0..=len`) of its glob NFA means "the first `j` characters
/// have matched"; it stands for the pattern's prefix of length `j`.
struct Pattern<'a> {
    tokens: &'a [Tok],
    /// Length of the head, the literal bytes before the first `*` (all tokens when there is none).
    head: usize,
    /// Number of `*`s.
    stars: usize,
}

impl<'a> Pattern<'a> {
    fn new(tokens: &'a [Tok]) -> Self {
        let head = tokens.iter().position(|t| *t == Tok::Star).unwrap_or(tokens.len());
        let stars = tokens.iter().filter(|t| **t == Tok::Star).count();
        Pattern { tokens, head, stars }
    }

    /// The head's bytes.
    fn head_bytes(&self) -> impl Iterator<Item = u8> + '_ {
        self.tokens[..self.head].iter().filter_map(|t| match t {
            Tok::Byte(b) => Some(*b),
            Tok::Star => None,
        })
    }

    /// The literal segments after the head, one per `*` (possibly empty).
    fn segments(&self) -> impl Iterator<Item = &'a [Tok]> {
        let rest: &'a [Tok] = self.tokens.get(self.head + 1..).unwrap_or(&[]);
        let has_star = self.stars > 0;
        rest.split(|t| *t == Tok::Star).filter(move |_| has_star)
    }

    /// Words in a bit set with one bit per position.
    fn words(&self) -> usize {
        self.tokens.len() / 64 + 1
    }
}

/// Bit-parallel glob NFA of one pattern, over positions `0..=len`.
struct Nfa {
    /// Bit `j` set when token `j` is a `*`.
    star_at: Vec<u64>,
    /// Bit `j` set when token `j - 1` is a `*`: the `*` state, which loops on every byte.
    after_star: Vec<u64>,
    /// For each byte value, an index into `masks`, or `usize::MAX` when the byte never occurs.
    mask_index: Vec<usize>,
    /// Bit `j` set when token `j` is the byte.
    masks: Vec<Vec<u64>>,
}

impl Nfa {
    fn new(pattern: &Pattern<'_>) -> Self {
        let words = pattern.words();
        let mut nfa = Nfa {
            star_at: vec![0; words],
            after_star: vec![0; words],
            mask_index: vec![usize::MAX; 256],
            masks: Vec::new(),
        };
        for (j, token) in pattern.tokens.iter().enumerate() {
            match *token {
                Tok::Star => {
                    set_bit(&mut nfa.star_at, j);
                    set_bit(&mut nfa.after_star, j + 1);
                }
                Tok::Byte(b) => {
                    let slot = &mut nfa.mask_index[usize::from(b)];
                    if *slot == usize::MAX {
                        *slot = nfa.masks.len();
                        nfa.masks.push(vec![0; words]);
                    }
                    if let Some(mask) = nfa.masks.get_mut(*slot) {
                        set_bit(mask, j);
                    }
                }
            }
        }
        nfa
    }

    /// Reads byte `b` in `current`, whose set bits all lie in words `low..high`, into `next`.
    /// Only words `low..=high` of `next` are written; the others are left as they were and are
    /// outside the returned range.
    fn step(&self, current: &[u64], low: usize, high: usize, b: u8, next: &mut [u64]) -> Step {
        let end = (high + 1).min(next.len());
        let low = low.min(end);
        let mask = self.mask_index.get(usize::from(b)).and_then(|&index| self.masks.get(index));
        let mut carry = 0u64;
        for (w, slot) in next.iter_mut().enumerate().take(end).skip(low) {
            let cur = if w < high { current.get(w).copied().unwrap_or(0) } else { 0 };
            let byte_bits = cur & mask.and_then(|m| m.get(w)).copied().unwrap_or(0);
            let loops = cur & self.after_star.get(w).copied().unwrap_or(0);
            *slot = (byte_bits << 1) | carry | loops;
            carry = byte_bits >> 63;
        }
        // A `*` may match the empty string: being before it means being after it too. Stars are
        // never adjacent, so one pass closes the set.
        let mut carry = 0u64;
        let mut count = 0usize;
        for (w, slot) in next.iter_mut().enumerate().take(end).skip(low) {
            let stars = *slot & self.star_at.get(w).copied().unwrap_or(0);
            *slot |= (stars << 1) | carry;
            carry = stars >> 63;
            count += slot.count_ones() as usize;
        }
        let mut new_low = low;
        while new_low < end && next.get(new_low) == Some(&0) {
            new_low += 1;
        }
        let mut new_high = end;
        while new_high > new_low && next.get(new_high - 1) == Some(&0) {
            new_high -= 1;
        }
        Step { count, low: new_low, high: new_high, work: (end - low) as u64 + 1 }
    }
}

/// The outcome of one [`Nfa::step`].
struct Step {
    /// Positions set.
    count: usize,
    /// Words holding them: `low..high`.
    low: usize,
    high: usize,
    /// Word operations spent.
    work: u64,
}

fn set_bit(bits: &mut [u64], j: usize) {
    if let Some(word) = bits.get_mut(j / 64) {
        *word |= 1 << (j % 64);
    }
}

/// A trie of the patterns' heads.
struct HeadTrie {
    /// Children of each node, by byte.
    children: Vec<Vec<(u8, usize)>>,
    parent: Vec<usize>,
    /// Number of patterns whose head passes through or ends at the node.
    through: Vec<usize>,
    /// Patterns with at least one `*` whose head ends at the node.
    star_heads: Vec<Vec<usize>>,
    /// The node of each pattern's head.
    head_node: Vec<usize>,
    /// Segment bytes of the patterns with a `*` whose head ends at the node or above it.
    segment_bytes: Vec<u64>,
}

impl HeadTrie {
    fn new(patterns: &[Pattern<'_>]) -> Self {
        let mut trie = HeadTrie {
            children: vec![Vec::new()],
            parent: vec![0],
            through: vec![0],
            star_heads: vec![Vec::new()],
            head_node: Vec::with_capacity(patterns.len()),
            segment_bytes: Vec::new(),
        };
        for (index, pattern) in patterns.iter().enumerate() {
            let mut node = 0;
            for b in pattern.head_bytes() {
                node = match trie.child(node, b) {
                    Some(child) => child,
                    None => {
                        let child = trie.children.len();
                        trie.children.push(Vec::new());
                        trie.parent.push(node);
                        trie.through.push(0);
                        trie.star_heads.push(Vec::new());
                        trie.children[node].push((b, child));
                        child
                    }
                };
                trie.through[node] += 1;
            }
            if pattern.stars > 0 {
                trie.star_heads[node].push(index);
            }
            trie.head_node.push(node);
        }
        // Children always have larger indices than their parent.
        let mut segment_bytes = vec![0u64; trie.children.len()];
        for (node, heads) in trie.star_heads.iter().enumerate() {
            let own: u64 =
                heads.iter().map(|&index| (patterns[index].tokens.len() - patterns[index].head) as u64).sum();
            let above = if node == 0 { 0 } else { segment_bytes[trie.parent[node]] };
            segment_bytes[node] = above + own;
        }
        trie.segment_bytes = segment_bytes;
        trie
    }

    fn child(&self, node: usize, b: u8) -> Option<usize> {
        self.children[node].iter().find(|(byte, _)| *byte == b).map(|&(_, child)| child)
    }

    /// Heads of patterns with a `*` that no other such head extends.
    fn maximal_star_heads(&self) -> Vec<usize> {
        let len = self.children.len();
        let mut star_below = vec![false; len];
        let mut maximal = Vec::new();
        for node in (0..len).rev() {
            if !self.star_heads[node].is_empty() && !star_below[node] {
                maximal.push(node);
            }
            if node > 0 && (star_below[node] || !self.star_heads[node].is_empty()) {
                star_below[self.parent[node]] = true;
            }
        }
        maximal
    }

    /// Case 1: the best input that is a non-empty prefix of some head, or `None` when that takes
    /// more than `budget` word operations.
    fn best_head_prefix(&self, patterns: &[Pattern<'_>], budget: u64) -> Option<usize> {
        let len = self.children.len();
        // Patterns whose head the input is a prefix of: one matching prefix each, and one more
        // (the head followed by its `*`) when the input is the whole head.
        let mut value: Vec<usize> = (0..len).map(|node| self.through[node] + self.star_heads[node].len()).collect();
        let mut work: u64 = 0;
        // Patterns whose head is a proper prefix of the input: simulate them below their head.
        for (index, pattern) in patterns.iter().enumerate() {
            let start = self.head_node[index];
            if pattern.stars == 0 || self.children[start].is_empty() {
                continue;
            }
            let nfa = Nfa::new(pattern);
            let words = pattern.words();
            work = work.saturating_add(((nfa.masks.len() + 3) * words) as u64);
            let mut initial = vec![0u64; words];
            set_bit(&mut initial, pattern.head);
            set_bit(&mut initial, pattern.head + 1);
            let low = pattern.head / 64;
            let high = ((pattern.head + 1) / 64 + 1).min(words);
            let mut spare: Vec<Vec<u64>> = Vec::new();
            let mut stack = vec![(start, initial, low, high)];
            while let Some((node, bits, low, high)) = stack.pop() {
                for &(b, child) in &self.children[node] {
                    let mut next = spare.pop().unwrap_or_else(|| vec![0; words]);
                    let step = nfa.step(&bits, low, high, b, &mut next);
                    work = work.saturating_add(step.work);
                    if work > budget {
                        return None;
                    }
                    value[child] += step.count;
                    stack.push((child, next, step.low, step.high));
                }
                spare.push(bits);
            }
        }
        Some(value.into_iter().skip(1).max().unwrap_or(0))
    }

    /// Case 2: the best input longer than every head it starts with, when the longest of those
    /// heads is the maximal head at `node`.
    fn best_beyond_head(&self, node: usize, patterns: &[Pattern<'_>]) -> usize {
        let mut automaton = SegmentAutomaton::new();
        let mut stars = 0;
        let mut ancestor = node;
        loop {
            for &index in &self.star_heads[ancestor] {
                let pattern = &patterns[index];
                stars += pattern.stars;
                for segment in pattern.segments() {
                    automaton.insert(segment);
                }
            }
            if ancestor == 0 {
                break;
            }
            ancestor = self.parent[ancestor];
        }
        stars + automaton.best_suffix_weight()
    }
}

/// An Aho–Corasick automaton over segments, each node weighted by the segments it is a prefix of.
struct SegmentAutomaton {
    children: Vec<Vec<(u8, usize)>>,
    weight: Vec<usize>,
}

impl SegmentAutomaton {
    fn new() -> Self {
        SegmentAutomaton { children: vec![Vec::new()], weight: vec![0] }
    }

    fn child(&self, node: usize, b: u8) -> Option<usize> {
        self.children[node].iter().find(|(byte, _)| *byte == b).map(|&(_, child)| child)
    }

    fn insert(&mut self, segment: &[Tok]) {
        let mut node = 0;
        for token in segment {
            let Tok::Byte(b) = *token else { continue };
            node = match self.child(node, b) {
                Some(child) => child,
                None => {
                    let child = self.children.len();
                    self.children.push(Vec::new());
                    self.weight.push(0);
                    self.children[node].push((b, child));
                    child
                }
            };
            self.weight[node] += 1;
        }
    }

    /// The largest total weight of the segment prefixes a single string can end with: the
    /// largest weight summed along a node's failure chain.
    fn best_suffix_weight(&self) -> usize {
        let len = self.children.len();
        let mut fail = vec![0usize; len];
        let mut total = vec![0usize; len];
        let mut best = 0;
        let mut queue = std::collections::VecDeque::from([0usize]);
        while let Some(node) = queue.pop_front() {
            for &(b, child) in &self.children[node] {
                if node != 0 {
                    let mut f = fail[node];
                    fail[child] = loop {
                        if let Some(next) = self.child(f, b) {
                            break next;
                        }
                        if f == 0 {
                            break 0;
                        }
                        f = fail[f];
                    };
                }
                total[child] = self.weight[child] + total[fail[child]];
                best = best.max(total[child]);
                queue.push_back(child);
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    /// Mirrors `ByteMachine.addPattern(Patterns.wildcardMatch(v))` for each value, unquoted, as
    /// event-ruler's own unit tests build machines. Exact-match, prefix, equals-ignore-case and
    /// existence patterns of those tests are left out: they contribute nothing.
    fn ruler(values: &[&str]) -> usize {
        let mut seen = BTreeSet::new();
        let parsed: Vec<Vec<Tok>> = values.iter().filter(|v| seen.insert(**v)).map(|v| parse(v)).collect();
        let forward = max_matching_prefixes(&parsed);
        let mut reversed = parsed.clone();
        reversed.reverse();
        assert_eq!(forward, max_matching_prefixes(&reversed), "order-dependent");
        forward
    }

    /// The definition, evaluated by brute force: a breadth-first walk over every reachable set of
    /// NFA positions (event-ruler's walk, counted per pattern), over the patterns' bytes plus one
    /// byte none of them uses.
    fn brute_force(patterns: &[Vec<Tok>]) -> usize {
        let offsets: Vec<usize> = patterns
            .iter()
            .scan(0, |acc, p| {
                let start = *acc;
                *acc += p.len() + 1;
                Some(start)
            })
            .collect();
        let total: usize = patterns.iter().map(|p| p.len() + 1).sum();
        assert!(total <= 128, "brute force handles at most 128 positions");
        let mut alphabet: BTreeSet<u8> = patterns
            .iter()
            .flatten()
            .filter_map(|t| match t {
                Tok::Byte(b) => Some(*b),
                Tok::Star => None,
            })
            .collect();
        let unused = (0..=255u8).find(|b| !alphabet.contains(b)).unwrap_or(0);
        alphabet.insert(unused);
        let close = |mut set: u128| {
            for (p, &off) in patterns.iter().zip(&offsets) {
                for (j, t) in p.iter().enumerate() {
                    if *t == Tok::Star && set & (1 << (off + j)) != 0 {
                        set |= 1 << (off + j + 1);
                    }
                }
            }
            set
        };
        let step = |set: u128, b: u8| {
            let mut next = 0u128;
            for (p, &off) in patterns.iter().zip(&offsets) {
                for q in 0..=p.len() {
                    if set & (1 << (off + q)) == 0 {
                        continue;
                    }
                    if p.get(q) == Some(&Tok::Byte(b)) {
                        next |= 1 << (off + q + 1);
                    }
                    if q > 0 && p[q - 1] == Tok::Star {
                        next |= 1 << (off + q);
                    }
                }
            }
            close(next)
        };
        let start = close(offsets.iter().fold(0u128, |s, &off| s | 1 << off));
        let mut seen = HashSet::new();
        let mut queue = vec![start];
        let mut best = 0;
        while let Some(set) = queue.pop() {
            for &b in &alphabet {
                let next = step(set, b);
                if seen.insert(next) {
                    best = best.max(next.count_ones() as usize);
                    queue.push(next);
                }
            }
        }
        best
    }

    // ---- MachineComplexityEvaluatorTest (event-ruler), on unquoted values ----

    #[test]
    fn only_wildcard() {
        assert_eq!(ruler(&["*"]), 1);
    }

    #[test]
    fn only_wildcard_with_exact_match() {
        // Also holds the exact match "abc".
        assert_eq!(ruler(&["*"]), 1);
    }

    #[test]
    fn only_wildcard_with_wildcard_match() {
        assert_eq!(ruler(&["*", "ab*c"]), 3);
    }

    #[test]
    fn wildcard_pattern_without_wildcards() {
        assert_eq!(ruler(&["abc"]), 1);
    }

    #[test]
    fn one_wildcard_leading_char_two_trailing_characters_different() {
        assert_eq!(ruler(&["*ab"]), 2);
    }

    #[test]
    fn one_wildcard_leading_char_two_trailing_characters_equal() {
        assert_eq!(ruler(&["*aa"]), 3);
    }

    #[test]
    fn one_wildcard_second_last_char() {
        assert_eq!(ruler(&["a*b"]), 2);
    }

    #[test]
    fn one_wildcard_trailing_char() {
        assert_eq!(ruler(&["aa*"]), 2);
    }

    #[test]
    fn one_wildcard_normal_position_two_trailing_characters_different() {
        assert_eq!(ruler(&["a*bc"]), 2);
    }

    #[test]
    fn one_wildcard_normal_position_two_trailing_characters_equal() {
        assert_eq!(ruler(&["a*bb"]), 3);
    }

    #[test]
    fn one_wildcard_normal_position_three_trailing_characters_different() {
        assert_eq!(ruler(&["a*bcb"]), 3);
    }

    #[test]
    fn one_wildcard_normal_position_three_trailing_characters_equal() {
        assert_eq!(ruler(&["a*bbb"]), 4);
    }

    #[test]
    fn two_wildcards_leading_char_and_normal_position() {
        assert_eq!(ruler(&["*ab*ad"]), 4);
    }

    #[test]
    fn two_wildcards_leading_char_and_second_last_char() {
        assert_eq!(ruler(&["*ab*d"]), 3);
    }

    #[test]
    fn two_wildcards_leading_char_and_trailing_char() {
        assert_eq!(ruler(&["*aba*"]), 4);
    }

    #[test]
    fn two_wildcards_both_normal_position_two_trailing_characters_equal() {
        assert_eq!(ruler(&["a*b*bb"]), 5);
    }

    #[test]
    fn two_wildcards_both_normal_position_two_trailing_characters_different() {
        assert_eq!(ruler(&["a*b*cb"]), 4);
    }

    #[test]
    fn two_wildcards_both_normal_position_two_trailing_characters_different_last_char_unique() {
        assert_eq!(ruler(&["a*b*cd"]), 3);
    }

    #[test]
    fn two_wildcards_normal_position_and_second_last_char() {
        assert_eq!(ruler(&["a*b*b"]), 4);
    }

    #[test]
    fn two_wildcards_normal_position_and_trailing_char() {
        assert_eq!(ruler(&["a*bb*"]), 4);
    }

    #[test]
    fn two_wildcards_third_last_char_and_trailing_char() {
        assert_eq!(ruler(&["ab*b*"]), 3);
    }

    #[test]
    fn two_wildcards_no_common_prefix() {
        assert_eq!(ruler(&["ab*c", "x*xx"]), 3);
    }

    #[test]
    fn two_wildcards_both_leading_one_is_prefix_of_other() {
        assert_eq!(ruler(&["*abc", "*abcde"]), 4);
    }

    #[test]
    fn two_wildcards_both_normal_position() {
        assert_eq!(ruler(&["a*bcd", "ab*cd"]), 4);
    }

    #[test]
    fn two_wildcards_both_normal_position_one_is_prefix_of_other() {
        assert_eq!(ruler(&["a*bc", "a*bcde"]), 4);
    }

    #[test]
    fn two_wildcards_both_normal_position_all_same_character() {
        assert_eq!(ruler(&["a*aaa", "aa*aa"]), 7);
    }

    #[test]
    fn two_wildcards_one_normal_position_and_one_second_last_character() {
        assert_eq!(ruler(&["a*bc", "abc*d"]), 4);
    }

    #[test]
    fn two_wildcards_one_normal_position_and_one_second_last_character_all_same_character() {
        assert_eq!(ruler(&["a*aaa", "aaa*a"]), 6);
    }

    #[test]
    fn two_wildcards_one_normal_position_and_one_second_last_character_all_same_but_last() {
        assert_eq!(ruler(&["a*aax", "aaa*x"]), 5);
    }

    #[test]
    fn two_wildcards_one_normal_position_and_one_trailing() {
        assert_eq!(ruler(&["a*bc", "abc*"]), 4);
    }

    #[test]
    fn two_wildcards_one_normal_position_and_one_trailing_all_same_character() {
        assert_eq!(ruler(&["a*aa", "aaa*"]), 5);
    }

    #[test]
    fn two_wildcards_both_trailing_char_one_is_prefix_of_other() {
        assert_eq!(ruler(&["abc*", "abcde*"]), 3);
    }

    #[test]
    fn three_wildcards_transition_from_same_state() {
        assert_eq!(ruler(&["ab*cd", "ab*wx", "ab*yz"]), 6);
    }

    #[test]
    fn four_wildcards_leading_char_normal_position_third_last_char_and_trailing_char() {
        assert_eq!(ruler(&["*ab*b*b*"]), 7);
    }

    #[test]
    fn long_sequence_of_wildcards() {
        assert_eq!(ruler(&["*a*a*a*a*a*a*a*a*"]), 17);
    }

    #[test]
    fn one_wildcard_with_exact_match() {
        // Each also holds the exact match "abc".
        assert_eq!(ruler(&["*abc"]), 2);
        assert_eq!(ruler(&["a*bc"]), 2);
        assert_eq!(ruler(&["ab*c"]), 2);
        assert_eq!(ruler(&["abc*"]), 2);
    }

    #[test]
    fn one_wildcard_trailing_char_with_longer_exact_prefix_and_equals_ignore_case_matches() {
        // Also holds exact "abcde" (and prefix "abcde"/"abcdef", equals-ignore-case "ABCDE"/"ABCDEFG").
        assert_eq!(ruler(&["abc*"]), 2);
    }

    #[test]
    fn existence_pattern_has_no_effect() {
        // Also holds exact "abc" and an existence pattern.
        assert_eq!(ruler(&["ab*c"]), 2);
    }

    #[test]
    fn just_exact_matches() {
        assert_eq!(ruler(&[]), 0);
        assert_eq!(complexity(&["abc", "abcde"]), 0);
    }

    #[test]
    fn duplicate_wildcard_patterns() {
        assert_eq!(ruler(&["ab*c", "ab*c"]), 2);
        assert_eq!(complexity(&["ab*c", "ab*c"]), complexity(&["ab*c"]));
    }

    #[test]
    fn word_ending_in_same_letter_that_follows_wildcard() {
        assert_eq!(ruler(&["F*eatureFeature", "Fe*atureFeature", "Fea*tureFeature"]), 10);
    }

    #[test]
    fn nested_machines_via_next_name_states() {
        // The rule's "def" field; its prefix "b" and suffix "c" values contribute nothing.
        assert_eq!(complexity(&["a*a*a*a*a*a*"]), 11);
    }

    const QUAMINA_EXPLODER: [&str; 32] = [
        "aahed*", "aal*ii", "aargh*", "aarti*", "a*baca", "*abaci", "a*back", "ab*acs", "abaf*t", "*abaka", "ab*amp",
        "a*band", "*abase", "abash*", "abas*k", "ab*ate", "aba*ya", "abbas*", "abbed*", "ab*bes", "abbey*", "*abbot",
        "ab*cee", "abea*m", "abe*ar", "a*bele", "a*bers", "abet*s", "*abhor", "abi*de", "a*bies", "*abled",
    ];

    #[test]
    fn quamina_exploder() {
        assert_eq!(ruler(&QUAMINA_EXPLODER), 45);
    }

    #[test]
    fn beyond_max_complexity() {
        // event-ruler stops at its cap (100); the exact value is 70,000 stars plus the 20,000
        // segments "e" a run of one "e" ends.
        let value = "F*e*a*t*u*r*e*".repeat(10_000);
        let measured = ruler(&[value.as_str()]);
        assert!(measured >= 100);
        assert_eq!(measured, 90_000);
    }

    // ---- ByteMachineTest and GenericMachineTest (event-ruler) ----

    #[test]
    fn wildcard_rule_is_not_duplicated() {
        let ten = |v: &'static str| [v; 10];
        assert_eq!(ruler(&ten("1*2345")), 2);
        assert_eq!(ruler(&ten("*123")), 2);
        assert_eq!(ruler(&ten("1*2")), 2);
        assert_eq!(ruler(&ten("1*")), 2);
        assert_eq!(ruler(&ten("12*3*")), 3);
    }

    #[test]
    fn generic_machine_evaluate_complexity() {
        // Three rules, one field each; the machine's complexity is the largest field's.
        let fields = [complexity(&["a*bc"]), complexity(&["a*aa"]), complexity(&["xyz*"])];
        assert_eq!(fields, [2, 3, 2]);
        assert_eq!(fields.iter().max(), Some(&3));
    }

    // ---- MachineComplexityEvaluatorCorpus (event-ruler), JSON rules ----

    #[test]
    fn corpus_quamina_exploder() {
        assert_eq!(complexity(&QUAMINA_EXPLODER), 45);
    }

    #[test]
    fn corpus_leading_star_plain_wildcards() {
        let values = ["*kiwi*", "*BASE_QuxB*", "*Delta*", "*a/example-lake-abc98765432*"];
        assert_eq!(complexity(&values), 12);
    }

    fn multi_star(repeats: usize) -> String {
        "*a".repeat(repeats) + "*"
    }

    #[test]
    fn corpus_multi_star() {
        assert_eq!(complexity(&[multi_star(50).as_str()]), 101);
        assert_eq!(complexity(&[multi_star(100).as_str()]), 201);
        assert_eq!(complexity(&[multi_star(2022).as_str()]), 4045);
    }

    fn leading_star_set(patterns: usize) -> Vec<String> {
        (0..patterns)
            .map(|i| {
                let first = char::from(b'a' + (i % 26) as u8);
                let second = char::from(b'a' + (i / 26) as u8);
                format!("*{first}{second}*")
            })
            .collect()
    }

    #[test]
    fn corpus_leading_star_sets() {
        for (m, expected) in [(4, 12), (8, 24), (12, 36), (16, 48)] {
            let set = leading_star_set(m);
            let refs: Vec<&str> = set.iter().map(String::as_str).collect();
            assert_eq!(complexity(&refs), expected, "{m} patterns");
        }
    }

    #[test]
    fn corpus_walk_count_reference() {
        // The walk-count tests compare rules holding exact-match lists on other keys with the
        // wildcard key alone; these are the wildcard keys' own values.
        assert_eq!(complexity(&["*z"]), 2);
        assert_eq!(complexity(&["*z*"]), 3);
    }

    // ---- Known data points ----

    #[test]
    fn arn_with_many_stars() {
        assert_eq!(complexity(&["*:*:*:*:*:event-bus/*"]), 11);
    }

    #[test]
    fn arn_with_one_account_star() {
        assert_eq!(complexity(&["arn:aws:events:us-east-1:*:event-bus/*"]), 3);
    }

    #[test]
    fn repeated_directory_after_star() {
        assert_eq!(complexity(&["/Users/*/dir/dir/dir/dir/dir/doc.txt"]), 7);
    }

    #[test]
    fn stack_arns() {
        let four = ["*:stack/a/*", "*:stack/b/*", "*:stack/c/*", "*:stack/d/*"];
        assert_eq!(complexity(&four), 12);
        assert_eq!(complexity(&four[..3]), 9);
    }

    // ---- Properties ----

    #[test]
    fn exact_values_contribute_nothing() {
        assert_eq!(complexity(&["*abc", "abc", "ab\\*c"]), complexity(&["*abc"]));
    }

    #[test]
    fn escapes_are_literal_bytes() {
        // `\*` is a byte, not a wildcard; `\\` is a backslash.
        assert_eq!(complexity(&["a\\*b*"]), complexity(&["axb*"]));
        assert_eq!(complexity(&["a\\\\*"]), complexity(&["ax*"]));
    }

    #[test]
    fn no_panics_on_odd_input() {
        for value in ["", "*", "**", "\\", "\\x*", "*\\", "é*ü", "\u{1F600}*\u{1F600}", "\"*\""] {
            let _ = complexity(&[value]);
        }
        assert_eq!(complexity(&[]), 0);
        // `"*"`: the input `"` matches `"` and `"*`; the input `""` matches `"*` and `"*"`.
        assert_eq!(complexity(&["*"]), 2);
    }

    #[test]
    fn over_budget_returns_the_cap() {
        let value = [parse("*ab*ab*ab*ab")];
        assert_eq!(max_matching_prefixes_within(&value, 1 << 20), 8);
        assert_eq!(max_matching_prefixes_within(&value, 0), OVER_BUDGET);
        let heads = [parse("xyz*a"), parse("x*yz*a")];
        assert_eq!(max_matching_prefixes_within(&heads, 1), OVER_BUDGET);
    }

    #[test]
    fn long_patterns_are_fast() {
        let long = format!("{}*{}", "x".repeat(2000), "ab".repeat(1000));
        let stars = "*ab".repeat(1365);
        let heads: Vec<String> = (0..40).map(|i| format!("{i:03}{}*{}", "q".repeat(4000), "ab*".repeat(20))).collect();
        let mut values: Vec<&str> = heads.iter().map(String::as_str).collect();
        values.push(&long);
        values.push(&stars);
        let start = std::time::Instant::now();
        let measured = complexity(&values);
        assert!(measured > 1000);
        assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
    }

    /// A small deterministic generator (xorshift64*).
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        }
    }

    fn random_value(rng: &mut Rng, alphabet: &[u8]) -> String {
        let len = 1 + rng.below(7) as usize;
        let mut value = String::new();
        for _ in 0..len {
            if rng.below(3) == 0 && !value.ends_with('*') {
                value.push('*');
            } else {
                value.push(char::from(alphabet[rng.below(alphabet.len() as u64) as usize]));
            }
        }
        value
    }

    #[test]
    fn matches_brute_force_on_random_sets() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for round in 0..1500 {
            let alphabet: &[u8] = if round % 2 == 0 { b"ab" } else { b"ab\":" };
            let count = 1 + rng.below(4) as usize;
            let values: Vec<String> = (0..count).map(|_| random_value(&mut rng, alphabet)).collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();

            // Unquoted, as event-ruler's unit tests add values.
            let mut seen = BTreeSet::new();
            let raw: Vec<Vec<Tok>> = refs.iter().filter(|v| seen.insert(**v)).map(|v| parse(v)).collect();
            assert_eq!(max_matching_prefixes(&raw), brute_force(&raw), "raw {refs:?}");

            // Quoted, as JSON rules compile; values without a `*` are exact and drop out.
            let quoted: Vec<Vec<Tok>> = raw
                .iter()
                .filter(|t| t.contains(&Tok::Star))
                .map(|t| {
                    let mut q = vec![Tok::Byte(b'"')];
                    q.extend(t.iter().copied());
                    q.push(Tok::Byte(b'"'));
                    q
                })
                .collect();
            assert_eq!(complexity(&refs), brute_force(&quoted), "quoted {refs:?}");
        }
    }
}
