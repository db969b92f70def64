//! Uptime benchmark (issue 12): `runner uptime --since 365d` on a year of 5-minute results
//! for 100 checks (10 playbooks × 10 checks × 105,120 runs = 10.5 M results). Goal ≤ 200 ms.
//!
//! `cargo bench --bench uptime -- --full`: builds the store once under
//! `target/bench-uptime/` (raw runs and results written with SQL, then the roll-ups built
//! by `rebuild_uptime`, the path the migration takes for an existing store), reuses it on
//! later runs, then times the release binary's `runner uptime --since 365d` as a whole
//! process (clock fixed by `RUNNER_TEST_CLOCK` at the data's end) and, once, the raw
//! computation the roll-ups replace. Without `--full` (as `cargo test --all-targets` runs
//! it) it builds two days into a temporary folder and checks the command and the
//! roll-ups against the raw computation, so the benchmark cannot rot between measurements.
//! `-- --full --build-only` builds (or keeps) the store and stops: `benches/web.sh` serves it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use runner::store::sqlite::SqliteStore;
use runner::store::uptime::{Filter, UptimeStore};

const PLAYBOOKS: usize = 10;
const CHECKS: usize = 10;
const FIVE_MINUTES_MS: i64 = 5 * 60 * 1000;
const YEAR_RUNS: usize = 105_120;
/// The data ends here (the clock the command runs at), so a cached store stays valid.
const END_MS: i64 = 1_788_220_800_000; // 2026-09-01T00:00:00Z
/// Bump when the generated data or the schema changes: the cache is rebuilt.
const DATA_VERSION: &str = "uptime-bench-1 schema-4";

/// A small deterministic generator, so that every build writes the same data.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Writes `runs` 5-minute runs of every playbook, ending at `END_MS`: mostly OK, an
/// incident starting in 0.2 % of runs and lasting ~3 runs, 0.5 % SKIPPED, a weekly
/// maintenance-held hour, and an hour a month when the daemon was down (no runs).
fn build(store: &SqliteStore, runs: usize) {
    store
        .with(|c| {
            let tx = c.transaction()?;
            let start_ms = END_MS - runs as i64 * FIVE_MINUTES_MS;
            let mut rng = Lcg(12);
            for p in 0..PLAYBOOKS {
                tx.execute("INSERT INTO playbooks (name) VALUES (?1)", [format!("service-{p:02}")])?;
                let playbook = tx.last_insert_rowid();
                let mut check_refs = Vec::new();
                for k in 0..CHECKS {
                    tx.execute(
                        "INSERT INTO checks (playbook_id, check_id) VALUES (?1, ?2)",
                        rusqlite::params![playbook, format!("check-{k:02}")],
                    )?;
                    check_refs.push(tx.last_insert_rowid());
                }
                let mut failing_for = vec![0u32; CHECKS];
                let mut insert_run = tx.prepare(
                    "INSERT INTO runs (run_id, playbook_id, started_ms, duration_ms, status, origin, summary, period_ms)
                     VALUES (?1, ?2, ?3, 5, ?4, 'daemon', '{}', ?5)",
                )?;
                let mut insert_result = tx.prepare(
                    "INSERT INTO results (run, check_ref, status, duration_ms, attempts, message, quiet)
                     VALUES (?1, ?2, ?3, 1, 1, '', ?4)",
                )?;
                for i in 0..runs {
                    let at = start_ms + i as i64 * FIVE_MINUTES_MS;
                    let hour_of_month = (i / 12) % (30 * 24);
                    if hour_of_month == 100 + p {
                        continue; // the daemon was down
                    }
                    let held = (i / 12) % (7 * 24) == 50; // Sunday's maintenance hour
                    let mut statuses = Vec::with_capacity(CHECKS);
                    for failing in &mut failing_for {
                        if *failing == 0 && rng.next() < 0.002 {
                            *failing = 1 + (rng.next() * 5.0) as u32;
                        }
                        let status = if *failing > 0 {
                            *failing -= 1;
                            "critical"
                        } else if rng.next() < 0.005 {
                            "skipped"
                        } else {
                            "ok"
                        };
                        statuses.push(status);
                    }
                    let run_status = if statuses.contains(&"critical") { "critical" } else { "ok" };
                    insert_run.execute(rusqlite::params![
                        format!("{p}-{i}"),
                        playbook,
                        at,
                        run_status,
                        FIVE_MINUTES_MS
                    ])?;
                    let run = tx.last_insert_rowid();
                    for (check_ref, status) in check_refs.iter().zip(statuses) {
                        let quiet = held.then_some("maintenance");
                        insert_result.execute(rusqlite::params![run, check_ref, status, quiet])?;
                    }
                }
            }
            drop(tx.prepare("SELECT 1")?);
            tx.commit()
        })
        .expect("raw results");
    store.rebuild_uptime().expect("roll-ups");
}

fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    times[times.len() / 2]
}

/// Runs `runner uptime` at the data's end; returns the wall time and the output.
fn uptime(state: &Path, args: &[&str]) -> (Duration, String) {
    let clock = jiff::Timestamp::from_millisecond(END_MS + 60_000).unwrap().to_string();
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_runner"))
        .arg("uptime")
        .args(args)
        .env("RUNNER_STATE", state)
        .env("RUNNER_TEST_CLOCK", &clock)
        .env("RUST_LOG", "error")
        .output()
        .expect("runner runs");
    let elapsed = started.elapsed();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    (elapsed, String::from_utf8_lossy(&output.stdout).into_owned())
}

fn main() {
    let full = std::env::args().any(|a| a == "--full");
    let smoke;
    let dir = if full {
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-uptime")
    } else {
        smoke = tempfile::tempdir().expect("temporary folder");
        smoke.path().to_path_buf()
    };
    let state = dir.join("state");
    let marker = dir.join("built");
    let runs = if full { YEAR_RUNS } else { 2 * 288 };
    if std::fs::read_to_string(&marker).ok().as_deref() != Some(DATA_VERSION) {
        let _ = std::fs::remove_dir_all(&state);
        let store = SqliteStore::open(&state).expect("store");
        let clock = Instant::now();
        build(&store, runs);
        store.with(|c| c.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")).expect("checkpoint");
        println!(
            "built {} runs, {} results in {:.1} s",
            runs * PLAYBOOKS,
            runs * PLAYBOOKS * CHECKS,
            clock.elapsed().as_secs_f64()
        );
        if full {
            std::fs::write(&marker, DATA_VERSION).expect("marker");
        }
    }
    let size = std::fs::metadata(state.join("runner.db")).map(|m| m.len()).unwrap_or(0);
    println!("database: {:.1} MB", size as f64 / 1e6);
    if std::env::args().any(|a| a == "--build-only") {
        return; // benches/web.sh serves the store it built
    }

    let store = SqliteStore::open(&state).expect("store");
    let now = END_MS + 60_000;
    let since = now - 365 * 86_400_000;
    if !full {
        let rolled = store.uptime(Filter::default(), since, now).expect("roll-ups");
        let raw = store.uptime_raw(Filter::default(), since, now).expect("raw");
        assert_eq!(rolled, raw, "the roll-ups equal the raw computation");
        let (_, text) = uptime(&state, &["--since", "365d"]);
        assert!(text.contains("service-09") && text.contains("check-09"), "{text}");
        return;
    }
    let clock = Instant::now();
    let raw = store.uptime_raw(Filter::default(), since, now).expect("raw");
    let raw_time = clock.elapsed();
    let clock = Instant::now();
    let rolled = store.uptime(Filter::default(), since, now).expect("roll-ups");
    let rolled_time = clock.elapsed();
    assert_eq!(rolled, raw, "the roll-ups equal the raw computation");
    println!(
        "in process: raw computation {:.0} ms, roll-ups {:.1} ms (110 series: 100 checks, 10 playbooks)",
        raw_time.as_secs_f64() * 1000.0,
        rolled_time.as_secs_f64() * 1000.0
    );
    drop(store);
    for args in [&["--since", "365d"][..], &["--since", "365d", "--format", "json"], &["--since", "30d"]] {
        let _ = uptime(&state, args); // warm-up
        let mut times: Vec<Duration> = (0..30).map(|_| uptime(&state, args).0).collect();
        let med = median(&mut times);
        println!(
            "runner uptime {:<28} median {:6.1} ms  min {:6.1} ms  max {:6.1} ms  (30 runs, whole process)",
            args.join(" "),
            med.as_secs_f64() * 1000.0,
            times[0].as_secs_f64() * 1000.0,
            times[times.len() - 1].as_secs_f64() * 1000.0
        );
    }
    let (_, text) = uptime(&state, &["--since", "365d"]);
    println!("{}", text.lines().take(6).collect::<Vec<_>>().join("\n"));
}
