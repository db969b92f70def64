//! Store ingest benchmark: a year of five-minute heartbeats (105,120 runs × 5 checks,
//! with metrics) written into a fresh state folder. Prints the ingest rate, in batches
//! and one run per transaction (as `runner run` writes), and leaves the folder for
//! benches/store.sh to query with the real binary.
//!
//! `cargo bench --bench store -- STATE_DIR`. Without STATE_DIR (as `cargo test
//! --all-targets` runs it) it ingests two days into a temporary folder and checks the
//! counts, so the benchmark cannot rot between measurements.

use std::time::Instant;

use indexmap::IndexMap;
use runner::outcome::{CheckResult, Origin, RunRecord, Status, Summary};
use runner::store::runs::RunStore;
// The SQLite backend itself: this measures its ingest, and counts its rows in SQL.
use runner::store::sqlite::SqliteStore;

const RUNS: usize = 105_120;
const FIVE_MINUTES_MS: i64 = 5 * 60 * 1000;

/// A small deterministic generator, so that every run of the benchmark writes the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn check(id: &str, status: Status, message: String, metrics: &[(&str, f64)], ms: u64) -> CheckResult {
    CheckResult {
        id: id.into(),
        name: id.into(),
        phase: None,
        kind: "bench".into(),
        status,
        message,
        metrics: metrics.iter().map(|(k, v)| (k.to_string(), *v)).collect::<IndexMap<_, _>>(),
        meta: IndexMap::new(),
        details: Vec::new(),
        attempts: 1,
        duration_ms: ms,
        remediation: None,
        runbook: None,
        tags: Vec::new(),
        holds: runner::quiet::Holds::default(),
    }
}

fn record(i: usize, start_ms: i64, rng: &mut Lcg) -> RunRecord {
    let started = jiff::Timestamp::from_millisecond(start_ms + i as i64 * FIVE_MINUTES_MS).unwrap();
    let day = i as f64 / 288.0;
    let latency = 0.5 + rng.next() * 3.0;
    let api_down = rng.next() < 0.01;
    let disk = 40.0 + day * 0.1 + rng.next();
    let checks = vec![
        check(
            "redis",
            Status::Ok,
            format!("PONG in {latency:.1}ms"),
            &[
                ("latency_ms", latency),
                ("connected_clients", 3.0 + (rng.next() * 5.0).floor()),
                ("used_memory", 1_000_000.0 + day * 1000.0),
            ],
            2,
        ),
        check(
            "database",
            Status::Ok,
            "1 row, value 42 in 0.4ms".into(),
            &[("latency_ms", 0.4 + rng.next()), ("rows", 1.0), ("value", 42.0)],
            1,
        ),
        if api_down {
            check("api", Status::Warning, "connection refused (127.0.0.1:4000)".into(), &[], 1)
        } else {
            check(
                "api",
                Status::Ok,
                format!("200 OK in {:.1}ms", latency * 3.0),
                &[("status_code", 200.0), ("latency_ms", latency * 3.0), ("body_bytes", 15.0)],
                4,
            )
        },
        check(
            "agents",
            Status::Ok,
            "systemd: `api` is active (running)".into(),
            &[("active", 1.0), ("restarts", 0.0)],
            3,
        ),
        check("disk", Status::Ok, format!("disk_used_percent {disk:.1}"), &[("disk_used_percent", disk)], 1),
    ];
    let status = if api_down { Status::Warning } else { Status::Ok };
    RunRecord {
        id: format!("{}-{i:06}", started.strftime("%Y%m%dT%H%M%S")),
        playbook: "heartbeat".into(),
        description: None,
        file: "playbooks/heartbeat.yaml".into(),
        origin: Origin::Daemon,
        started_at: started.to_string(),
        finished_at: started.to_string(),
        duration_ms: 6,
        status,
        exit_code: status.exit_code(),
        dry_run: false,
        phases: Vec::new(),
        summary: Summary::of(&checks),
        checks,
        stages: Vec::new(),
        notes: Vec::new(),
        stands_for: None,
        scheduled_for: None,
        period_ms: Some(FIVE_MINUTES_MS as u64),
        decisions: Vec::new(),
    }
}

fn main() {
    let smoke_dir;
    // The folder comes only from `--dir DIR` (benches/store.sh): under `cargo test
    // --all-targets -- FILTER` this harness receives the test filter too, and a filter is
    // never a folder to wipe.
    let args: Vec<String> = std::env::args().collect();
    let named = args.iter().position(|a| a == "--dir").and_then(|i| args.get(i + 1));
    let (dir, runs) = match named {
        Some(dir) => (std::path::PathBuf::from(dir), RUNS),
        None => {
            smoke_dir = tempfile::tempdir().expect("temporary folder");
            (smoke_dir.path().join("state"), 2 * 288 + 100)
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    let store = SqliteStore::open(&dir).expect("store");
    let mut rng = Lcg(42);
    let start_ms = jiff::Timestamp::now().as_millisecond() - runs as i64 * FIVE_MINUTES_MS;
    let records: Vec<RunRecord> = (0..runs).map(|i| record(i, start_ms, &mut rng)).collect();
    let results: usize = records.iter().map(|r| r.checks.len()).sum();
    let metrics: usize = records.iter().flat_map(|r| r.checks.iter()).map(|c| c.metrics.len()).sum();

    // The year, a day (288 runs) per transaction.
    let clock = Instant::now();
    let single = 2_000.min(runs / 10);
    for day in records[..runs - single].chunks(288) {
        store.record_runs(day).expect("insert");
    }
    let batched = clock.elapsed();
    let batched_results = (runs - single) * 5;
    // The rest one run per transaction, as `runner run` and the daemon write.
    let clock = Instant::now();
    for record in &records[runs - single..] {
        store.record_run(record).expect("insert");
    }
    let one_by_one = clock.elapsed();
    let stored: i64 = store.with(|c| c.query_row("SELECT count(*) FROM results", [], |r| r.get(0))).expect("count");
    assert_eq!(stored as usize, results, "every check result is stored");
    store.with(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")).expect("checkpoint");
    drop(store);
    let size = std::fs::metadata(dir.join("runner.db")).map(|m| m.len()).unwrap_or(0);

    println!("runs: {runs}, check results: {results}, metric samples: {metrics}");
    println!(
        "ingest, one day (288 runs) per transaction: {:.2} s for {batched_results} check results = {:.0} check results/s",
        batched.as_secs_f64(),
        batched_results as f64 / batched.as_secs_f64()
    );
    println!(
        "ingest, one run per transaction ({single} runs): {:.2} s for {} check results = {:.0} check results/s ({:.2} ms per run)",
        one_by_one.as_secs_f64(),
        single * 5,
        (single * 5) as f64 / one_by_one.as_secs_f64(),
        one_by_one.as_secs_f64() * 1000.0 / single as f64
    );
    println!("database size: {:.1} MB ({size} bytes)", size as f64 / 1e6);
}
