//! Live updates: rules added and removed while other threads keep matching.
//!
//! A [`SharedMachine`] publishes immutable [`Machine`] snapshots. Readers take the current snapshot
//! (a read lock held only long enough to clone an `Arc`) and match against it for as long as they
//! like; a writer builds the next snapshot off to the side and swaps it in. A removed rule is absent
//! from every snapshot published after the removal, and its memory is freed when the last reader of
//! an older snapshot lets go.

use std::sync::{Arc, Mutex, PoisonError, RwLock};

use super::{Machine, RuleId};
use crate::compile::ir::Compiled;
use crate::error::Error;
use crate::PatternBuilder;

/// A machine that can change while it is being used. `Send + Sync`; share it through an `Arc`.
///
/// ```
/// use eventsift::SharedMachine;
///
/// let shared = SharedMachine::new();
/// shared.add("a", r#"{"k": ["x"]}"#)?;
/// let before = shared.snapshot();
/// shared.remove("a");
/// assert_eq!(before.matching_rules(r#"{"k": "x"}"#)?.len(), 1); // old snapshot unchanged
/// assert!(shared.snapshot().matching_rules(r#"{"k": "x"}"#)?.is_empty());
/// # Ok::<(), eventsift::Error>(())
/// ```
#[derive(Debug)]
pub struct SharedMachine {
    current: RwLock<Arc<Machine>>,
    /// Serialises writers; holds the options for new rules.
    writer: Mutex<PatternBuilder>,
}

impl Default for SharedMachine {
    fn default() -> Self {
        SharedMachine::new()
    }
}

impl SharedMachine {
    /// An empty machine with default pattern options.
    pub fn new() -> SharedMachine {
        SharedMachine::with_options(PatternBuilder::default())
    }

    /// An empty machine whose rules are compiled with `options`.
    pub fn with_options(options: PatternBuilder) -> SharedMachine {
        SharedMachine { current: RwLock::new(Arc::new(Machine::builder().build())), writer: Mutex::new(options) }
    }

    /// Starts from an existing machine.
    pub fn from_machine(machine: Machine) -> SharedMachine {
        SharedMachine { current: RwLock::new(Arc::new(machine)), writer: Mutex::new(PatternBuilder::default()) }
    }

    /// The current snapshot. Matching on it never blocks writers, and writers never change it.
    pub fn snapshot(&self) -> Arc<Machine> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn update(
        &self,
        change: impl FnOnce(&PatternBuilder, &mut Vec<(RuleId, Compiled)>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let options = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let old = self.snapshot();
        let mut rules = old.rules();
        change(&options, &mut rules)?;
        let next = Arc::new(Machine::from_rules(rules, old.max_event_depth(), old.read_mode()));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = next;
        Ok(())
    }

    /// Compiles and adds a rule (ORed with any pattern already under `id`).
    pub fn add(&self, id: impl Into<RuleId>, pattern: &str) -> Result<(), Error> {
        let id = id.into();
        self.update(|options, rules| {
            let compiled = options.compile(pattern).map_err(|e| e.with_rule(&id))?;
            rules.push((id, compiled));
            Ok(())
        })
    }

    /// Removes every pattern of rule `id`; returns whether there was one.
    pub fn remove(&self, id: &str) -> bool {
        let mut removed = false;
        let _ = self.update(|_, rules| {
            let before = rules.len();
            rules.retain(|(r, _)| r.as_str() != id);
            removed = rules.len() != before;
            Ok(())
        });
        removed
    }
}
