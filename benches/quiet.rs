//! The added cost per run of the quiet-time rule: for a playbook of 20 checks with two
//! maintenance windows (one recurring, one one-off) and a check-level window, three
//! silences in force and one notify channel, what `runner run` adds to a run — each
//! check's holds (`quiet::check_holds`) and the alert decisions with their per-result
//! rows (`alert::decide`) — against `alert::decide` alone on the same run without holds.
//!
//! `cargo bench --bench quiet` prints microseconds per run (goal: ≤ 200 µs added). Under
//! `cargo test --all-targets` it runs a few iterations only, so that it cannot rot.

use std::time::Instant;

use runner::outcome::{CheckResult, Origin, RunRecord, Status, Summary};
use runner::quiet::silence::Silence;

fn playbook() -> String {
    let mut text = String::from(
        "version: 1\nname: bench\nschedule: {cron: \"*/5 * * * *\", timezone: Europe/Berlin}\nmaintenance:\n  - {cron: \"0 3 * * 0\", duration: 2h, reason: backup}\n  - {from: \"2030-12-24T00:00:00+01:00\", until: \"2030-12-27T00:00:00+01:00\"}\nchecks:\n",
    );
    for i in 0..20 {
        text.push_str(&format!("  - id: c{i}\n    command: {{shell: 'true'}}\n"));
        if i == 0 {
            text.push_str("    maintenance: [{cron: \"30 2 1 * *\", duration: 30m}]\n");
        }
    }
    text.push_str("notify:\n  - id: hook\n    webhook: {url: \"http://127.0.0.1:9/x\"}\n");
    text
}

fn silence(id: i64, check: Option<&str>) -> Silence {
    Silence {
        id,
        playbook: Some("bench".into()),
        check: check.map(str::to_string),
        host: None,
        reason: "bench".into(),
        maker: "bench".into(),
        created_ms: 0,
        expires_ms: i64::MAX,
        until_ok: false,
        matched: Vec::new(),
        released: Vec::new(),
        ended_ms: None,
        ended_by: None,
    }
}

fn result(id: &str, status: Status) -> CheckResult {
    serde_json::from_value(serde_json::json!({
        "id": id, "name": id, "kind": "command", "status": status, "message": "m",
        "metrics": {}, "attempts": 1, "duration_ms": 1
    }))
    .expect("a result")
}

fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let iterations = if quick { 20 } else { 20_000 };
    let report = runner::playbook::load::load_str(
        std::path::Path::new("bench.yaml"),
        &playbook(),
        &runner::playbook::LoadOptions::default(),
    );
    let Ok(loaded) = report.into_loaded(true) else { panic!("the bench playbook is invalid") };
    let silences = vec![silence(1, Some("c3")), silence(2, Some("c7")), silence(3, Some("nothing"))];
    let now = jiff::Timestamp::now();
    let checks: Vec<CheckResult> =
        (0..20).map(|i| result(&format!("c{i}"), if i % 3 == 0 { Status::Critical } else { Status::Ok })).collect();
    let record = RunRecord {
        id: "run".into(),
        playbook: "bench".into(),
        description: None,
        file: "bench.yaml".into(),
        origin: Origin::Manual,
        started_at: now.to_string(),
        finished_at: now.to_string(),
        duration_ms: 1,
        status: Status::Critical,
        exit_code: 2,
        dry_run: false,
        phases: Vec::new(),
        summary: Summary::of(&checks),
        checks,
        stages: Vec::new(),
        notes: Vec::new(),
        stands_for: None,
        scheduled_for: None,
        decisions: Vec::new(),
    };

    // The streams as they stand after a first run (problems notified), so that the loops
    // below measure the policy, not the building of message bodies.
    let current = runner::alert::decide(&record, &loaded, &[], false, now.as_millisecond()).states;
    let mut held = record.clone();
    for (check, (_, spec)) in held.checks.iter_mut().zip(loaded.playbook.all_checks()) {
        check.holds = runner::quiet::check_holds(&loaded.playbook, spec, &silences, "host", now);
    }
    let timed = |f: &dyn Fn()| {
        let clock = Instant::now();
        for _ in 0..iterations {
            f();
        }
        clock.elapsed().as_secs_f64() * 1e6 / f64::from(iterations)
    };
    let plain = timed(&|| {
        std::hint::black_box(runner::alert::decide(&record, &loaded, &current, false, now.as_millisecond()));
    });
    let holds = timed(&|| {
        for (_, spec) in loaded.playbook.all_checks() {
            std::hint::black_box(runner::quiet::check_holds(&loaded.playbook, spec, &silences, "host", now));
        }
    });
    let deciding = timed(&|| {
        std::hint::black_box(runner::alert::decide(&held, &loaded, &current, false, now.as_millisecond()));
    });
    println!(
        "per run of 20 checks: holds {holds:.1} µs; decide {deciding:.1} µs with holds and decision rows, {plain:.1} µs without; added ≈ {:.1} µs (goal ≤ 200 µs)",
        holds + (deciding - plain).max(0.0)
    );
}
