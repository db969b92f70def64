//! Watching a run as it happens: the engine calls an [`Observer`] as phases start and
//! actions and checks finish (the live progress line is one). It sits beside the result
//! types it reports, so that outputs can watch a run without importing the engine.

use crate::outcome::{ActionResult, CheckResult};
use crate::playbook::Phase;

/// Something that watches a run as it happens (the live progress line).
pub trait Observer: Send + Sync {
    fn phase_started(&self, _index: usize, _total: usize, _phase: &Phase) {}
    fn action_finished(&self, _result: &ActionResult) {}
    fn check_started(&self, _id: &str) {}
    fn check_finished(&self, _result: &CheckResult) {}
}
