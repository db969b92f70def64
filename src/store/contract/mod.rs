//! The store's contract, as tests: written against `&dyn Store` only, and run against
//! every backend through [`each_backend`], so that a second backend (PostgreSQL) passes
//! the very same tests by adding its factory to [`BACKENDS`]. What is one backend's own
//! (SQLite's file modes, migrations, degraded opening) is tested beside that backend.

use std::sync::Arc;

use super::Store;

/// A fresh, empty store of one backend, and what must live as long as it (its folder).
pub(crate) struct Fresh {
    pub(crate) store: Arc<dyn Store>,
    _keep: Box<dyn std::any::Any>,
}

/// Makes a fresh store of one backend.
type Factory = fn() -> Fresh;

/// Every backend, by name, with the factory of a fresh store.
const BACKENDS: &[(&str, Factory)] = &[("sqlite", sqlite)];

/// SQLite in a temporary state folder, opened through the same seam as runner's.
fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = super::open(dir.path()).expect("a fresh SQLite store opens");
    Fresh { store, _keep: Box::new(dir) }
}

/// Runs `test` on a fresh store of each backend; a failure names the backend.
pub(crate) fn each_backend(test: impl Fn(&Arc<dyn Store>)) {
    for (name, make) in BACKENDS {
        let fresh = make();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| test(&fresh.store)));
        if let Err(panic) = outcome {
            eprintln!("the store contract fails on the {name} backend");
            std::panic::resume_unwind(panic);
        }
    }
}

mod alerts;
mod decisions;
mod dependencies;
mod groups_outbox;
mod history;
mod remediations;
mod results;
mod schedule;
mod silences;
mod snapshots;
mod state;

/// A check of a test run: its id, status and metrics (name, value).
pub(crate) type TestCheck<'a> = (&'a str, crate::outcome::Status, &'a [(&'a str, f64)]);

/// A finished run of `playbook` that started at `started_ms`, with `checks`.
pub(crate) fn record(id: &str, playbook: &str, started_ms: i64, checks: &[TestCheck<'_>]) -> crate::outcome::RunRecord {
    let time = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap().to_string();
    let checks: Vec<serde_json::Value> = checks
        .iter()
        .map(|(check, status, metrics)| {
            let metrics: serde_json::Map<String, serde_json::Value> =
                metrics.iter().map(|(name, value)| ((*name).to_string(), serde_json::json!(value))).collect();
            serde_json::json!({
                "id": check, "name": check, "kind": "command", "status": status, "message": format!("{check} said so"),
                "metrics": metrics, "attempts": 1, "duration_ms": 5,
            })
        })
        .collect();
    let worst = if checks.iter().all(|c| c["status"] == "ok") { "ok" } else { "critical" };
    serde_json::from_value(serde_json::json!({
        "id": id, "playbook": playbook, "file": format!("{playbook}.yaml"), "origin": "daemon",
        "started_at": time(started_ms), "finished_at": time(started_ms + 10), "duration_ms": 10,
        "status": worst, "exit_code": 0, "checks": checks, "summary": crate::outcome::Summary::default(),
    }))
    .unwrap()
}
