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
const BACKENDS: &[(&str, Factory)] = &[("sqlite", sqlite), ("postgres", postgres)];

/// SQLite in a temporary state folder, opened through the same seam as runner's.
fn sqlite() -> Fresh {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = super::open(dir.path()).expect("a fresh SQLite store opens");
    Fresh { store, _keep: Box::new(dir) }
}

/// The PostgreSQL server the contract runs against: the machine's (127.0.0.1:5432, user
/// postgres), or `RUNNER_TEST_POSTGRES`.
fn postgres_server() -> super::postgres::Location {
    let url =
        std::env::var("RUNNER_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    super::postgres::Location::parse(&url).expect("RUNNER_TEST_POSTGRES is a postgres:// URL")
}

/// A fresh database on the test server, dropped (with whatever is still connected to it)
/// when the test's store is gone.
pub(crate) struct FreshDatabase {
    server: super::postgres::Location,
    name: String,
}

impl Drop for FreshDatabase {
    fn drop(&mut self) {
        let admin = self.server.clone();
        let name = self.name.clone();
        // The blocking client runs its own runtime: keep it off any runtime a test has.
        let _ = std::thread::spawn(move || {
            if let Ok(mut client) = admin.connect_admin() {
                let _ = client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        })
        .join();
    }
}

/// An empty database of its own on the test server (for PostgreSQL-only tests too, which open
/// stores of several hosts on it): where it is, and what drops it when it goes.
pub(crate) fn fresh_postgres_database() -> (super::postgres::Location, FreshDatabase) {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let server = postgres_server();
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let name = format!("runner_contract_{}_{n}_{nanos}", std::process::id());
    let mut admin = server.connect_admin().expect("the test PostgreSQL server answers (tests/run starts it)");
    admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("a fresh test database");
    drop(admin);
    (server.with_database(&name), FreshDatabase { server, name })
}

/// PostgreSQL: a database of its own per test, created empty, migrated through the same
/// seam as runner's, dropped after.
fn postgres() -> Fresh {
    let (location, database) = fresh_postgres_database();
    let store = super::open_shared(&location, "contract-host").expect("a fresh PostgreSQL store opens");
    Fresh { store, _keep: Box::new(database) }
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
mod fleet;
mod groups_outbox;
mod history;
pub(crate) mod remediations;
mod results;
mod schedule;
mod silences;
mod snapshots;
mod state;
mod timeline;
mod uptime;

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
