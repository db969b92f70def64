//! The added cost per run of the quiet-time rule: for a playbook of 20 checks with two
//! maintenance windows (one recurring, one one-off) and a check-level window, three
//! silences in force, a same-playbook `depends_on` and one notify channel, what `runner
//! run` adds to a run — each check's holds (`quiet::check_holds`, with the load's plan)
//! and the alert decisions with their per-result rows (`alert::decide`) — against
//! `alert::decide` alone on the same run without holds. Also timed: the same with
//! flapping on the channel, and the first run of a load (the plan made, then used).
//!
//! `cargo bench --bench quiet` prints microseconds per run (goal: ≤ 200 µs added). Under
//! `cargo test --all-targets` it runs a few iterations only, so that it cannot rot.

use std::cell::Cell;
use std::time::Instant;

use runner::outcome::{CheckResult, Origin, RunRecord, Status, Summary};
use runner::quiet::dependency::ThisRun;
use runner::quiet::silence::Silence;

fn playbook(flapping: bool) -> String {
    let mut text = String::from(
        "version: 1\nname: bench\nschedule: {cron: \"*/5 * * * *\", timezone: Europe/Berlin}\nmaintenance:\n  - {cron: \"0 3 * * 0\", duration: 2h, reason: backup}\n  - {from: \"2030-12-24T00:00:00+01:00\", until: \"2030-12-27T00:00:00+01:00\"}\nchecks:\n",
    );
    for i in 0..20 {
        text.push_str(&format!("  - id: c{i}\n    command: {{shell: 'true'}}\n"));
        if i == 0 {
            text.push_str("    maintenance: [{cron: \"30 2 1 * *\", duration: 30m}]\n");
        }
        if i == 2 {
            text.push_str("    depends_on: [c1]\n");
        }
    }
    text.push_str("notify:\n  - id: hook\n    webhook: {url: \"http://127.0.0.1:9/x\"}\n");
    if flapping {
        text.push_str("    flapping: {window: 21, high: 50%, low: 25%}\n");
    }
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
    let load = |text: String| {
        let report = runner::playbook::load::load_str(
            std::path::Path::new("bench.yaml"),
            &text,
            &runner::playbook::LoadOptions::default(),
        );
        let Ok(loaded) = report.into_loaded(true) else { panic!("the bench playbook is invalid") };
        loaded
    };
    let loaded = load(playbook(false));
    let flapping = load(playbook(true));
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
        period_ms: None,
    };

    // The streams as they stand after a first run (problems notified), so that the loops
    // below measure the policy, not the building of message bodies.
    let current = runner::alert::decide(&record, &loaded, &[], false, now.as_millisecond()).states;
    // The instant moves on a millisecond per check, as a run's checks finish one after
    // another, so that the windows' memory is asked across instants, not at one.
    let clock_ms = Cell::new(now.as_millisecond());
    let holds_of_run = |plan: &runner::quiet::plan::Plan| {
        let run = runner::quiet::RunQuiet { plan, silences: &silences, host: "host", stored: None, own_period: None };
        let this_run = |_: &str| Some(ThisRun { status: Status::Critical, held: false });
        loaded
            .playbook
            .all_checks()
            .into_iter()
            .map(|(_, spec)| {
                clock_ms.set(clock_ms.get() + 1);
                let at = jiff::Timestamp::from_millisecond(clock_ms.get()).expect("an instant");
                runner::quiet::check_holds(&loaded.playbook, spec, &run, at, this_run).0
            })
            .collect::<Vec<_>>()
    };
    let plan = loaded.quiet_plan();
    let mut held = record.clone();
    for (check, holds) in held.checks.iter_mut().zip(holds_of_run(&plan)) {
        check.holds = holds;
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
        std::hint::black_box(holds_of_run(&plan));
    });
    let first_of_load = timed(&|| {
        std::hint::black_box(holds_of_run(&runner::quiet::plan::Plan::new(&loaded)));
    });
    let deciding = timed(&|| {
        std::hint::black_box(runner::alert::decide(&held, &loaded, &current, false, now.as_millisecond()));
    });
    let flapping_current = runner::alert::decide(&record, &flapping, &[], false, now.as_millisecond()).states;
    let deciding_flapping = timed(&|| {
        std::hint::black_box(runner::alert::decide(&held, &flapping, &flapping_current, false, now.as_millisecond()));
    });
    println!(
        "per run of 20 checks: holds {holds:.1} µs ({first_of_load:.1} µs at the first run of a load, the plan made); decide {deciding:.1} µs with holds and decision rows ({deciding_flapping:.1} µs with flapping on the channel), {plain:.1} µs without; added ≈ {:.1} µs, {:.1} µs with flapping (goal ≤ 200 µs)",
        holds + (deciding - plain).max(0.0),
        holds + (deciding_flapping - plain).max(0.0)
    );
}
