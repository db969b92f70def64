//! Runs the store could not take (a full or read-only disk), kept in memory until it
//! can: each with its alert decisions and which of its notifications were already sent
//! directly. Written in order, each exactly once, keeping its own id and times; a sent
//! notification goes into the outbox as delivered, so it is never sent twice.
//!
//! While runs wait here, alert decisions read the stored alert state with the waiting
//! runs' states laid over it: a problem notified while the disk was full is not notified
//! again at the next run.
//!
//! The backlog is capped ([`CAPACITY`] runs): beyond it the oldest run is dropped,
//! counted and logged. It also keeps the store's health for the daemon: how many writes
//! failed, and the reason while it lasts.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::Store;
use super::alerts::{NewMessage, StateRow};
use crate::error::Error;
use crate::outcome::RunRecord;

/// How many unstored runs are kept at most.
pub const CAPACITY: usize = 1000;

/// A run the store could not take.
#[derive(Clone, Debug)]
pub struct Unstored {
    pub record: RunRecord,
    pub states: Vec<StateRow>,
    pub messages: Vec<NewMessage>,
    /// Messages delivered directly: (idempotency key, when).
    pub sent: Vec<(String, i64)>,
}

/// The store's health, as the daemon shows it.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct StoreHealth {
    /// Why the store cannot be written, while that lasts.
    pub problem: Option<String>,
    pub write_failures: u64,
    /// Runs waiting in memory.
    pub waiting: usize,
    /// Runs dropped because the backlog was full.
    pub dropped: u64,
}

#[derive(Default)]
pub struct Backlog {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    waiting: VecDeque<Unstored>,
    health: StoreHealth,
}

impl Backlog {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The stored alert states of `playbook`, with those of its waiting runs laid over.
    /// Read under the backlog's lock: a flush that moves waiting runs into the store
    /// meanwhile would otherwise hide their states from both places.
    pub fn alert_states(&self, store: &dyn Store, playbook: &str) -> Result<Vec<StateRow>, Error> {
        let inner = self.inner();
        let mut states = store.alert_states(playbook)?;
        for unstored in inner.waiting.iter().filter(|u| u.record.playbook == playbook) {
            for state in &unstored.states {
                states.retain(|s| (&s.channel, &s.stream) != (&state.channel, &state.stream));
                states.push(state.clone());
            }
        }
        Ok(states)
    }

    /// Keeps a run the store refused, for `reason`.
    pub fn keep(&self, unstored: Unstored, reason: &str) {
        let mut inner = self.inner();
        if inner.waiting.len() >= CAPACITY
            && let Some(oldest) = inner.waiting.pop_front()
        {
            inner.health.dropped += 1;
            tracing::error!(target: "runner::store", playbook = %oldest.record.playbook, run = %oldest.record.id, dropped = inner.health.dropped, "{CAPACITY} runs wait for the store already: the oldest is dropped");
        }
        inner.waiting.push_back(unstored);
        inner.failed(reason);
    }

    /// A write other than a run's failed (a missed fire, the last fire).
    pub fn failed(&self, reason: &str) {
        self.inner().failed(reason);
    }

    /// The store is known not to take writes (it opened degraded), before any write
    /// failed: the problem is said, and [`Backlog::flush`] looks for its end.
    pub fn unwritable(&self, reason: &str) {
        self.inner().health.problem = Some(reason.to_string());
    }

    pub fn health(&self) -> StoreHealth {
        let inner = self.inner();
        StoreHealth { waiting: inner.waiting.len(), ..inner.health.clone() }
    }

    /// Writes the waiting runs, oldest first (blocking: call off the runtime). When none
    /// wait and a problem was seen, a small write checks that the disk takes writes again.
    /// `Ok(n)`: n runs written, and the store is healthy.
    pub fn flush(&self, store: &Arc<dyn Store>) -> Result<usize, Error> {
        let mut inner = self.inner();
        if inner.health.problem.is_none() && inner.waiting.is_empty() {
            return Ok(0);
        }
        let result = store.reopen().and_then(|()| write_waiting(store.as_ref(), &mut inner.waiting));
        match result {
            Ok(written) => {
                let healthy = written > 0 || store.takes_writes();
                if healthy && inner.health.problem.take().is_some() {
                    tracing::info!(target: "runner::store", runs = written, "the store takes writes again; the runs kept in memory are stored");
                }
                Ok(written)
            }
            Err(error) => {
                // A check of the disk that fails is not a write that failed.
                let reason = error.store_reason();
                if inner.waiting.is_empty() {
                    inner.health.problem = Some(reason);
                } else {
                    inner.failed(&reason);
                }
                Err(error)
            }
        }
    }
}

impl Inner {
    fn failed(&mut self, reason: &str) {
        self.health.write_failures += 1;
        if self.health.problem.as_deref() != Some(reason) {
            tracing::error!(target: "runner::store", %reason, "the store cannot be written");
        }
        self.health.problem = Some(reason.to_string());
    }
}

fn write_waiting(store: &dyn Store, waiting: &mut VecDeque<Unstored>) -> Result<usize, Error> {
    let mut written = 0;
    while let Some(unstored) = waiting.front() {
        store.commit_run_after_sending(&unstored.record, &unstored.states, &unstored.messages, &unstored.sent)?;
        waiting.pop_front();
        written += 1;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(n: usize) -> RunRecord {
        serde_json::from_value(serde_json::json!({
            "id": format!("run-{n}"), "playbook": "p", "file": "p.yaml", "origin": "daemon",
            "started_at": jiff::Timestamp::from_second(1_700_000_000 + n as i64).unwrap().to_string(),
            "finished_at": "2026-11-22T10:00:00Z", "duration_ms": 1, "status": "ok", "exit_code": 0,
            "checks": [], "summary": crate::outcome::Summary::default(),
        }))
        .unwrap()
    }

    fn unstored(n: usize) -> Unstored {
        Unstored { record: record(n), states: Vec::new(), messages: Vec::new(), sent: Vec::new() }
    }

    #[test]
    fn beyond_its_capacity_the_oldest_run_is_dropped_and_counted() {
        let backlog = Backlog::default();
        for n in 0..=CAPACITY {
            backlog.keep(unstored(n), "no space left on device");
        }
        let health = backlog.health();
        assert_eq!((health.waiting, health.dropped), (CAPACITY, 1));
        assert_eq!(health.write_failures, CAPACITY as u64 + 1);
        assert_eq!(backlog.inner().waiting.front().unwrap().record.id, "run-1");
    }

    #[test]
    fn waiting_runs_are_written_once_in_order_with_their_own_ids_and_times() {
        crate::store::contract::each_backend(|store| {
            let backlog = Backlog::default();
            for n in 0..3 {
                backlog.keep(unstored(n), "read-only file system");
            }
            assert_eq!(backlog.flush(store).unwrap(), 3);
            assert_eq!(backlog.flush(store).unwrap(), 0, "nothing is written twice");
            assert_eq!(backlog.health().problem, None);
            let rows = store.runs(Some("p"), None, 0, 10).unwrap();
            let mut ids: Vec<&str> = rows.iter().map(|r| r.run_id.as_str()).collect();
            ids.sort();
            assert_eq!(ids, ["run-0", "run-1", "run-2"]);
            let first = rows.iter().find(|r| r.run_id == "run-0").unwrap();
            assert_eq!(first.started_at, record(0).started_at);
        });
    }
}
