//! State that probes keep between runs (log offsets, process and service samples),
//! behind an interface so that the engine does not depend on where it lives: the SQLite
//! store in normal runs, memory for `--no-store`, and a read-only overlay for
//! `--dry-run` (reads the store, writes nowhere).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Which state: a playbook's check's named value.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
pub struct StateKey {
    pub playbook: String,
    pub check: String,
    pub name: String,
}

impl StateKey {
    pub fn new(playbook: &str, check: &str, name: &str) -> Self {
        StateKey { playbook: playbook.into(), check: check.into(), name: name.into() }
    }
}

/// Small values (JSON text) kept between runs. Calls are synchronous and quick; probes
/// make them from blocking sections.
pub trait ProbeState: Send + Sync {
    fn load(&self, key: &StateKey) -> Option<String>;
    fn save(&self, key: &StateKey, value: &str);
}

/// State in memory: for `--no-store` (nothing survives the process) and tests.
#[derive(Default)]
pub struct MemoryState {
    values: Mutex<HashMap<StateKey, String>>,
}

impl ProbeState for MemoryState {
    fn load(&self, key: &StateKey) -> Option<String> {
        self.values.lock().ok()?.get(key).cloned()
    }
    fn save(&self, key: &StateKey, value: &str) {
        if let Ok(mut values) = self.values.lock() {
            values.insert(key.clone(), value.to_string());
        }
    }
}

/// Reads through to another state, keeps writes in memory: a dry run observes with the
/// real offsets and samples, and leaves them untouched.
pub struct ReadOnlyOverlay {
    base: Arc<dyn ProbeState>,
    writes: MemoryState,
}

impl ReadOnlyOverlay {
    pub fn new(base: Arc<dyn ProbeState>) -> Self {
        ReadOnlyOverlay { base, writes: MemoryState::default() }
    }
}

impl ProbeState for ReadOnlyOverlay {
    fn load(&self, key: &StateKey) -> Option<String> {
        self.writes.load(key).or_else(|| self.base.load(key))
    }
    fn save(&self, key: &StateKey, value: &str) {
        self.writes.save(key, value);
    }
}
