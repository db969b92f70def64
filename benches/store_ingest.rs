//! Store ingest from three processes at once, through the Store API: check results
//! recorded per second, one run per transaction (as daemons write), on PostgreSQL (three
//! hosts of a fleet on one fresh database, each its own host id, one playbook) and on
//! SQLite beside it (three processes on one state folder, a playbook each, as `runner run`
//! and a daemon share a folder).
//!
//! `cargo bench --bench store_ingest -- --full` measures (3 × 1,000 runs of 25 checks with 2
//! metrics each); without `--full` (as `cargo test --all-targets` runs it) it records a few
//! runs per process and checks that each process reads back exactly its own, so the
//! benchmark cannot rot between measurements. The PostgreSQL server is
//! `RUNNER_TEST_POSTGRES` (default postgres://postgres@127.0.0.1:5432/postgres), as for the
//! store's tests.
//!
//! The parent spawns this binary three times as workers (`--worker BACKEND TARGET NAME
//! RUNS`, TARGET a database name or a state folder): each opens its store, says `ready`, waits for `go` on stdin, records its runs and
//! says how many it reads back. The clock runs from `go` to the last worker's exit.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Instant;

use runner::outcome::RunRecord;
use runner::store::Store;
use runner::store::postgres::Location;

const WORKERS: usize = 3;
const CHECKS: usize = 25;
const FIVE_MINUTES_MS: i64 = 300_000;

/// Run `i` of worker `name` on `playbook`: `CHECKS` checks with two metrics each, one in
/// fifty failing.
fn record(name: &str, playbook: &str, i: usize, start_ms: i64) -> RunRecord {
    let started = jiff::Timestamp::from_millisecond(start_ms + i as i64 * FIVE_MINUTES_MS).unwrap().to_string();
    let checks: Vec<serde_json::Value> = (0..CHECKS)
        .map(|c| {
            let status = if (i + c).is_multiple_of(50) { "critical" } else { "ok" };
            serde_json::json!({
                "id": format!("check-{c:02}"), "name": format!("check {c}"), "kind": "command", "status": status,
                "message": format!("check {c} of run {i}: {status}"),
                "metrics": {"latency_ms": (i % 97) as f64 / 10.0, "value": c as f64},
                "attempts": 1, "duration_ms": 3,
            })
        })
        .collect();
    serde_json::from_value(serde_json::json!({
        "id": format!("{name}-{i:06}"), "playbook": playbook, "file": format!("{playbook}.yaml"), "origin": "daemon",
        "started_at": started, "finished_at": started, "duration_ms": 80, "status": "ok", "exit_code": 0,
        "checks": checks, "summary": runner::outcome::Summary::default(), "period_ms": FIVE_MINUTES_MS,
    }))
    .expect("a run record")
}

/// The test server (its URL may hold a password: workers are given a database name only).
fn server() -> Location {
    let url =
        std::env::var("RUNNER_TEST_POSTGRES").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    Location::parse(&url).expect("RUNNER_TEST_POSTGRES is a postgres:// URL")
}

/// The store of `target` (a database of the test server, or a state folder) as host `name`.
fn open(backend: &str, target: &str, name: &str) -> std::sync::Arc<dyn Store> {
    match backend {
        "postgres" => runner::store::open_shared(&server().with_database(target), name),
        _ => runner::store::open(std::path::Path::new(target)),
    }
    .expect("the store opens")
}

/// A worker: records `runs` runs one per transaction once told to go.
fn worker(backend: &str, target: &str, name: &str, runs: usize) {
    let store = open(backend, target, name);
    // On PostgreSQL the hosts of a fleet run one playbook; on SQLite (one host) each
    // process has its own, as a daemon and a `runner run` of another playbook do.
    let playbook = if backend == "postgres" { "fleet".to_string() } else { format!("local-{name}") };
    let start_ms = jiff::Timestamp::now().as_millisecond() - runs as i64 * FIVE_MINUTES_MS;
    let records: Vec<RunRecord> = (0..runs).map(|i| record(name, &playbook, i, start_ms)).collect();
    println!("ready");
    std::io::stdout().flush().expect("stdout");
    let mut go = String::new();
    std::io::stdin().read_line(&mut go).expect("the parent says go");
    for record in &records {
        store.record_run(record).expect("a run is recorded");
    }
    let query = runner::store::results::ResultQuery {
        playbook: Some(&playbook),
        limit: i64::MAX,
        ..runner::store::results::ResultQuery::default()
    };
    println!("{}", store.results(&query).expect("results read back").len());
}

/// A fresh database on the test server, dropped after.
struct Database {
    server: Location,
    name: String,
}

impl Database {
    fn create() -> Database {
        let server = server();
        let name = format!("runner_bench_ingest_{}", std::process::id());
        let mut admin = server.connect_admin().expect("the PostgreSQL server answers");
        // Two statements: DROP and CREATE DATABASE cannot share one implicit transaction.
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\"")).expect("no leftover database");
        admin.batch_execute(&format!("CREATE DATABASE \"{name}\"")).expect("a database");
        Database { server, name }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut admin) = self.server.connect_admin() {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
        }
    }
}

/// Runs `WORKERS` workers on one store at once; the check results per second, from `go` to
/// the last one's end.
fn measure(backend: &str, target: &str, runs: usize) -> f64 {
    // Open (and migrate) once first, so that the workers time recording only.
    drop(open(backend, target, "setup"));
    let exe = std::env::current_exe().expect("this benchmark's path");
    let mut children: Vec<_> = (0..WORKERS)
        .map(|w| {
            let mut child = Command::new(&exe)
                .args(["--worker", backend, target, &format!("host-{w}"), &runs.to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("a worker starts");
            let mut lines = BufReader::new(child.stdout.take().expect("its stdout")).lines();
            assert_eq!(lines.next().and_then(Result::ok).as_deref(), Some("ready"), "worker {w} is ready");
            (child, lines)
        })
        .collect();
    let clock = Instant::now();
    for (child, _) in &mut children {
        child.stdin.as_mut().expect("its stdin").write_all(b"go\n").expect("go");
    }
    let mut read_back = Vec::new();
    for (mut child, mut lines) in children {
        read_back.push(lines.next().and_then(Result::ok).unwrap_or_default());
        assert!(child.wait().expect("a worker ends").success(), "a worker failed");
    }
    let elapsed = clock.elapsed();
    let expected = (runs * CHECKS).to_string();
    assert!(read_back.iter().all(|n| *n == expected), "each worker reads back its {expected} results: {read_back:?}");
    let total = WORKERS * runs * CHECKS;
    let rate = total as f64 / elapsed.as_secs_f64();
    println!(
        "{backend}: {WORKERS} processes × {runs} runs × {CHECKS} checks = {total} check results in {:.2} s = {rate:.0} check results/s",
        elapsed.as_secs_f64()
    );
    rate
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(at) = args.iter().position(|a| a == "--worker") {
        let field = |n: usize| args.get(at + n).map(String::as_str).expect("--worker BACKEND TARGET NAME RUNS");
        worker(field(1), field(2), field(3), field(4).parse().expect("RUNS is a number"));
        return;
    }
    let runs = if args.iter().any(|a| a == "--full") { 1_000 } else { 4 };
    let database = Database::create();
    measure("postgres", &database.name, runs);
    let dir = tempfile::tempdir().expect("a temporary folder");
    measure("sqlite", &dir.path().join("state").display().to_string(), runs);
}
