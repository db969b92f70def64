//! Flapping per channel against a real webhook receiver, with a clock the test controls
//! (RUNNER_TEST_CLOCK, one run every 5 minutes): the exact sequence of messages the
//! formula of PLAYBOOK.md gives for a check toggling OK/CRITICAL, computed by hand below.

use crate::alerts::{kinds, playbook};
use crate::dependencies::run_at;
use crate::support::Test;
use crate::support::http::{Reply, Server};

/// The clock of run `n` (1-based): one run every 5 minutes from 10:00.
fn clock(n: u32) -> String {
    let minutes = (n - 1) * 5;
    format!("2026-03-02T{:02}:{:02}:00Z", 10 + minutes / 60, minutes % 60)
}

fn run(test: &Test, n: u32, status: u8) {
    std::fs::write(test.path("status"), status.to_string()).unwrap();
    run_at(test, &clock(n), &["run", "p.yaml"]);
}

#[test]
fn a_check_toggling_every_run_sends_the_sequence_the_formula_gives() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel = "    after: 1\n    flapping: {window: 10, high: 50%, low: 25%}\n";
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), channel));

    // window 10: 9 pairs of consecutive results, weighted 0.80, 0.85, …, 1.20 (oldest to
    // newest); percent = Σ weights of the changes ÷ 9 × 100. Runs alternate CRITICAL
    // (odd) and OK (even); missing results (the first nine runs) count as no change.
    //
    //  run status  changed pairs (weights)            percent  flapping  message
    //   1  CRIT    —                                   0.00     no        PROBLEM
    //   2  OK      1.20                               13.33     no        RECOVERY
    //   3  CRIT    1.15+1.20 = 2.35                   26.11     no        PROBLEM
    //   4  OK      1.10+…+1.20 = 3.45                 38.33     no        RECOVERY
    //   5  CRIT    1.05+…+1.20 = 4.50                 50.00     no (not above 50)  PROBLEM
    //   6  OK      1.00+…+1.20 = 5.50                 61.11     starts    FLAPPING
    //   7  CRIT    0.95+…+1.20 = 6.45                 71.67     yes       —
    //   8  OK      0.90+…+1.20 = 7.35                 81.67     yes       —
    //   9  CRIT    0.85+…+1.20 = 8.20                 91.11     yes       —
    //  10  OK      0.80+…+1.20 = 9.00                100.00     yes       —
    //  11…20       every pair changes                100.00     yes       —
    let mut expected = vec!["problem", "recovery", "problem", "recovery", "problem", "flapping"];
    for n in 1..=20 {
        run(&test, n, if n % 2 == 1 { 2 } else { 0 });
    }
    assert_eq!(kinds(&server), expected, "20 toggling runs");
    // Each decision is stored with its reasons: runs 1–5 held by nothing; from run 6
    // (where it started, and its one message was sent) held by `flapping`.
    let decisions = test.sql(
        "SELECT group_concat(coalesce(d.kind, '-') || ' ' || d.reasons, ' | ') FROM
           (SELECT d.kind, d.reasons FROM decisions d JOIN runs r ON r.run_id = d.run_id ORDER BY r.started_ms) d",
    );
    let mut rows =
        vec!["problem []", "recovery []", "problem []", "recovery []", "problem []", "flapping [\"flapping\"]"];
    rows.extend(std::iter::repeat_n("- [\"flapping\"]", 14));
    assert_eq!(decisions, rows.join(" | "));
    let started: serde_json::Value = serde_json::from_str(&server.requests()[5].body).unwrap();
    assert!(started["alert"]["title"].as_str().unwrap().contains("started flapping"), "{started}");
    assert!(started["alert"]["text"].as_str().unwrap().starts_with("61.1% weighted state changes over the last 10"));

    // The state is stored and shown.
    let alerts = test.run_args(&["alerts"]).stdout;
    assert!(alerts.contains("FLAPPING (100.0% state changes)"), "{alerts}");

    // Then it settles on OK. The changes age out of the window (run 20 was OK):
    //  21  OK  pairs 0..7 change = 0.80+…+1.15 = 7.80   86.67  yes  —
    //  22  OK  pairs 0..6        = 6.65                 73.89  yes  —
    //  23  OK  pairs 0..5        = 5.55                 61.67  yes  —
    //  24  OK  pairs 0..4        = 4.50                 50.00  yes  —
    //  25  OK  pairs 0..3        = 3.50                 38.89  yes  —
    //  26  OK  pairs 0..2        = 2.55                 28.33  yes (not below 25)  —
    //  27  OK  pairs 0..1        = 1.65                 18.33  stops  STABLE (OK)
    // No RECOVERY: the stop message carries the status, and OK closes the problem that
    // was open when flapping started (run 5's).
    for n in 21..=27 {
        run(&test, n, 0);
    }
    expected.push("stable");
    assert_eq!(kinds(&server), expected);
    let stopped: serde_json::Value = serde_json::from_str(&server.requests()[6].body).unwrap();
    assert_eq!(stopped["alert"]["status"], "ok");
    assert!(stopped["alert"]["title"].as_str().unwrap().contains("stopped flapping: OK"), "{stopped}");
    // Closed: the next failure is a new problem, its end a recovery.
    //  28  CRIT  pairs 0 and 8 = 0.80+1.20 = 2.00  22.22  no  PROBLEM
    //  29  OK    pairs 7, 8    = 1.15+1.20 = 2.35  26.11  no  RECOVERY
    run(&test, 28, 2);
    run(&test, 29, 0);
    expected.extend(["problem", "recovery"]);
    assert_eq!(kinds(&server), expected);
    let state = test.sql("SELECT flap FROM alert_state");
    assert!(state.contains("\"flapping\":false"), "{state}");
}

#[test]
fn flapping_stops_on_a_failing_status_that_counts_as_a_notified_problem() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel = "    after: 3\n    flapping: {window: 4, high: 60%, low: 30%}\n";
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), channel));
    // window 4: 3 pairs weighted 0.8, 1.0, 1.2; ÷ 3.
    //  1 CRIT  —                 0      streak 1
    //  2 OK    1.2              40.0
    //  3 CRIT  1.0+1.2 = 2.2    73.3   starts: FLAPPING (after: 3 never reached)
    //  4 CRIT  0.8+1.0 = 1.8    60.0   still (not below 30)
    //  5 CRIT  0.8 = 0.8        26.7   stops: STABLE (CRITICAL), a notified problem
    //  6 CRIT  0                 0     nothing (already notified)
    //  7 OK    1.2              40.0   RECOVERY
    for (n, status) in [(1, 2), (2, 0), (3, 2), (4, 2), (5, 2), (6, 2), (7, 0)] {
        run(&test, n, status);
    }
    assert_eq!(kinds(&server), ["flapping", "stable", "recovery"]);
    let stopped: serde_json::Value = serde_json::from_str(&server.requests()[1].body).unwrap();
    assert_eq!(stopped["alert"]["status"], "critical");
}

#[test]
fn validate_refuses_a_window_under_two_and_low_not_under_high() {
    let bad = "    flapping: {window: 1, high: 20%, low: 30%}\n    after: 1\n";
    let test = Test::new().file("p.yaml", &playbook("http://127.0.0.1:9/hook", bad)).args(["validate", "p.yaml"]);
    let output = test.expect_code(1);
    assert!(output.stdout.contains("`flapping.window: 1` must be at least 2"), "{}", output.stdout);
    assert!(
        output.stdout.contains("`flapping.low` (30%) must be lower than `flapping.high` (20%)"),
        "{}",
        output.stdout
    );
    let over = "    flapping: {high: 150%}\n";
    let output = Test::new()
        .file("p.yaml", &playbook("http://127.0.0.1:9/hook", over))
        .args(["validate", "p.yaml"])
        .expect_code(1);
    assert!(output.stdout.contains("`flapping.high: 150%` is not between 0% and 100%"), "{}", output.stdout);
    let word = "    flapping: {high: lots}\n";
    let output = Test::new()
        .file("p.yaml", &playbook("http://127.0.0.1:9/hook", word))
        .args(["validate", "p.yaml"])
        .expect_code(1);
    assert!(output.stdout.contains("`lots` is not a percent"), "{}", output.stdout);
}

#[test]
fn the_human_view_says_a_flapping_check_is_held_on_its_channel() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel = "    after: 1\n    flapping: {window: 4, high: 60%, low: 30%}\n";
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), channel));
    // As above: flapping from run 3 on.
    for (n, status) in [(1, 2), (2, 0), (3, 2)] {
        run(&test, n, status);
    }
    std::fs::write(test.path("status"), "0").unwrap();
    let (code, stdout) = run_at(&test, &clock(4), &["run", "p.yaml"]);
    assert_eq!(code, 0, "flapping never changes the status");
    assert!(stdout.contains("held: flapping on hook"), "{stdout}");
    assert_eq!(kinds(&server), ["problem", "recovery", "flapping"]);
}
