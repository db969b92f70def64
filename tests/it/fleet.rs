//! A fleet on one store (PLAYBOOK.md "Fleet", CLI.md `--store`, `--host-id`): what the
//! command line accepts and refuses, and that a store URL's password is a secret.

use std::time::Duration;

use crate::support::Test;

/// A password that must never be shown.
const PASSWORD: &str = "fleet-Secret-7731";

#[test]
fn a_store_url_that_is_not_sqlite_or_postgres_is_a_usage_error() {
    for url in ["mysql://u@h/db", "postgres://u@h", "http://h/x", "not a url"] {
        let out = Test::new().args(["--store", url, "history"]).expect_status(64).run();
        assert!(out.stderr.contains("--store"), "{url}: {}", out.stderr);
    }
    // `sqlite` is the default, said or not.
    Test::new().args(["--store", "sqlite", "history"]).expect_status(0).run();
}

#[test]
fn a_shared_store_needs_a_real_host_id() {
    let url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:5432/runner_fleet_never");
    for id in ["localhost", "LOCALHOST", ""] {
        let out = Test::new().args(["--store", &url, "--host-id", id, "history"]).expect_status(64).run();
        assert!(out.stderr.contains("own id"), "{id:?}: {}", out.stderr);
        assert!(!out.stderr.contains(PASSWORD), "{}", out.stderr);
    }
    // The same rule read from the environment.
    let out = Test::new()
        .env("RUNNER_STORE", &url)
        .env("RUNNER_HOST_ID", "localhost")
        .args(["history"])
        .expect_status(64)
        .run();
    assert!(out.stderr.contains("own id"), "{}", out.stderr);
}

#[test]
fn a_host_id_is_a_slug_with_any_store() {
    for id in ["web 1", "-web", "a/b", &"x".repeat(64)] {
        let out = Test::new().args([&format!("--host-id={id}"), "history"]).expect_status(64).run();
        assert!(out.stderr.contains("--host-id"), "{id:?}: {}", out.stderr);
    }
    Test::new().args(["--host-id", "web-1.example", "history"]).expect_status(0).run();
}

#[test]
fn an_unreachable_store_says_so_without_its_password() {
    // Port 1 on loopback: nothing listens, the refusal is immediate.
    let url = format!("postgres://runner:{PASSWORD}@127.0.0.1:1/runner");
    let out = Test::new().args(["--store", &url, "--host-id", "web-1", "history"]).expect_status(74).run();
    assert!(out.stderr.contains("postgres://runner:***@127.0.0.1:1/runner"), "{}", out.stderr);
    assert!(out.stderr.contains("refused"), "{}", out.stderr);
    assert!(!out.stderr.contains(PASSWORD) && !out.stdout.contains(PASSWORD), "{}", out.stderr);
    // Nor in --help, where clap would show the environment's value.
    let help = Test::new().env("RUNNER_STORE", &url).args(["--help"]).expect_status(0).run();
    assert!(!help.stdout.contains(PASSWORD), "{}", help.stdout);
}

/// A fresh database on the machine's PostgreSQL for one test, dropped after.
pub(crate) struct FleetDb {
    pub(crate) name: String,
}

impl FleetDb {
    pub(crate) fn new(label: &str) -> FleetDb {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let name = format!("runner_it_{label}_{}_{nanos}", std::process::id());
        let created = psql("postgres", &format!("CREATE DATABASE \"{name}\""));
        assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
        FleetDb { name }
    }

    pub(crate) fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:5432/{}", self.name)
    }

    /// One value (the first column of the first row) of a query.
    pub(crate) fn value(&self, sql: &str) -> String {
        let out = psql(&self.name, sql);
        assert!(out.status.success(), "{sql}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

impl Drop for FleetDb {
    fn drop(&mut self) {
        let _ = psql("postgres", &format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
    }
}

fn psql(database: &str, sql: &str) -> std::process::Output {
    std::process::Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", database, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql runs (tests/run installs postgresql-client)")
}

/// A `run_on: one-host` playbook firing every second.
fn one_host_every_second(name: &str, extra: &str) -> String {
    format!(
        "version: 1\nname: {name}\nrun_on: one-host\nschedule: {{cron: \"* * * * * *\", timezone: UTC}}\nchecks:\n  - id: c\n    command: {{shell: 'true'}}\n{extra}"
    )
}

/// A daemon of the fleet: its own state folder and host id, the shared store.
fn fleet_daemon(test: &crate::support::Test, db: &FleetDb, host: &str) -> crate::daemon::Daemon {
    let state = test.path(&format!(".state-{host}"));
    let state = state.to_str().unwrap().to_string();
    crate::daemon::Daemon::start_with_env(
        test,
        "p",
        &[],
        &[("RUNNER_STORE", &db.url()), ("RUNNER_HOST_ID", host), ("RUNNER_STATE", &state)],
    )
}

/// Runs of `playbook` (all hosts) whose fire lies in `[from, to)`: (runs, distinct fires).
fn runs_between(db: &FleetDb, playbook: &str, from: i64, to: i64) -> (i64, i64) {
    let sql = format!(
        "SELECT count(*) || ' ' || count(DISTINCT r.scheduled_ms) FROM runs r JOIN playbooks p ON p.id = r.playbook_id
         WHERE p.name = '{playbook}' AND r.status != 'running' AND r.scheduled_ms >= {from} AND r.scheduled_ms < {to}"
    );
    let value = db.value(&sql);
    let (runs, fires) = value.split_once(' ').unwrap();
    (runs.parse().unwrap(), fires.parse().unwrap())
}

#[test]
fn three_daemons_run_each_fire_of_a_one_host_playbook_once_for_a_minute() {
    let _alone = crate::support::one_realtime_test_at_a_time();
    let db = FleetDb::new("onehost");
    let test = crate::support::Test::new().file("p/api.yaml", &one_host_every_second("api", ""));
    let daemons: Vec<_> = ["web-1", "web-2", "web-3"].iter().map(|h| fleet_daemon(&test, &db, h)).collect();
    assert!(
        crate::daemon::wait_until(Duration::from_secs(20), || db.value("SELECT count(*) FROM runs") != "0"),
        "no run started"
    );
    std::thread::sleep(Duration::from_secs(62));
    let first: i64 = db.value("SELECT min(scheduled_ms) FROM runs").parse().unwrap();
    let (runs, fires) = runs_between(&db, "api", first + 1_000, first + 61_000);
    assert_eq!(db.value("SELECT count(*) FROM fleet_hosts"), "3", "every daemon beats");
    drop(daemons);
    assert_eq!(runs, fires, "a fire ran twice");
    assert!((59..=61).contains(&runs), "{runs} runs in 60 s");
}
