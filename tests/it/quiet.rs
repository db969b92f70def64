//! Quiet times (issue 12): maintenance windows and silences hold messages back, never
//! state, counted at a real webhook receiver; runs are placed in time with
//! `RUNNER_TEST_CLOCK`; the catch-up rule at the first unheld result; remediation not
//! started inside a window while its streak counts; decisions stored per result and
//! channel; and what a hostile user tries.

use std::time::Duration;

use crate::alerts::kinds;
use crate::daemon::{Daemon, wait_until};
use crate::support::Test;
use crate::support::http::{Reply, Server};

/// One failing-or-not check (its Nagios exit code in the file `status`), alerting a
/// webhook, with a maintenance window from 10:00 to 11:00 UTC on 2026-06-01.
fn windowed(url: &str, extra_check: &str, channel: &str) -> String {
    format!(
        r#"version: 1
name: quiet
maintenance:
  - from: "2026-06-01T10:00:00Z"
    until: "2026-06-01T11:00:00Z"
    reason: planned restart
checks:
  - id: api
    command: {{shell: 'exit $(cat status)', nagios: true}}
{extra_check}notify:
  - id: hook
    webhook: {{url: "{url}"}}
{channel}"#
    )
}

/// Runs `p.yaml` once at `at` (RFC 3339) with `status`; the exit code.
fn run_at(test: &Test, at: &str, status: u8) -> i32 {
    std::fs::write(test.path("status"), status.to_string()).unwrap();
    let output = test.clone_with_clock(at).run_args(&["run", "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    output.code
}

trait WithClock {
    fn clone_with_clock(&self, at: &str) -> ClockedTest<'_>;
}

/// A test whose runs start their clock at one instant.
struct ClockedTest<'a> {
    test: &'a Test,
    at: String,
}

impl WithClock for Test {
    fn clone_with_clock(&self, at: &str) -> ClockedTest<'_> {
        ClockedTest { test: self, at: at.to_string() }
    }
}

impl ClockedTest<'_> {
    fn run_args(&self, args: &[&str]) -> crate::support::Output {
        let mut full = vec!["--state".to_string(), self.test.path(".state").display().to_string()];
        full.extend(args.iter().map(|a| a.to_string()));
        let output = std::process::Command::new(crate::support::runner_bin())
            .args(&full)
            .current_dir(self.test.root())
            .env("RUNNER_TEST_CLOCK", &self.at)
            .env("NO_COLOR", "1")
            .env("TZ", "UTC")
            .output()
            .unwrap();
        crate::support::Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed: Duration::ZERO,
        }
    }
}

fn receiver() -> Server {
    Server::with(|_| Reply::status(200, "ok"))
}

#[test]
fn a_window_holds_messages_not_state_and_the_first_result_after_it_catches_up() {
    let server = receiver();
    let test = Test::new().file("p.yaml", &windowed(&server.url("/hook"), "", "    after: 2\n"));
    // Inside the window: failing, the exit code and the stored status are the truth.
    assert_eq!(run_at(&test, "2026-06-01T10:10:00Z", 2), 2);
    assert_eq!(run_at(&test, "2026-06-01T10:20:00Z", 2), 2);
    assert_eq!(run_at(&test, "2026-06-01T10:59:00Z", 2), 2);
    assert!(server.requests().is_empty(), "nothing is sent inside a window");
    assert_eq!(test.sql("SELECT status FROM results"), "critical\ncritical\ncritical");
    assert_eq!(test.sql("SELECT streak, notified IS NULL FROM alert_state"), "3|1", "the streak counts");
    assert_eq!(
        test.sql("SELECT kind IS NULL, reasons FROM decisions ORDER BY run_id"),
        "1|[\"maintenance\"]\n1|[\"maintenance\"]\n1|[\"maintenance\"]"
    );
    // The first result after it: failing, not notified, streak ≥ after → the problem.
    assert_eq!(run_at(&test, "2026-06-01T11:05:00Z", 2), 2);
    assert_eq!(kinds(&server), ["problem"]);
    assert_eq!(test.sql("SELECT kind, reasons FROM decisions ORDER BY run_id DESC LIMIT 1"), "problem|[]");
}

#[test]
fn a_recovery_and_an_escalation_inside_a_window_are_sent_after_it() {
    let server = receiver();
    let test = Test::new().file("p.yaml", &windowed(&server.url("/hook"), "", ""));
    assert_eq!(run_at(&test, "2026-06-01T09:50:00Z", 2), 2);
    assert_eq!(kinds(&server), ["problem"]);
    run_at(&test, "2026-06-01T10:10:00Z", 0);
    run_at(&test, "2026-06-01T10:50:00Z", 0);
    assert_eq!(kinds(&server), ["problem"], "the recovery waits for the window to close");
    run_at(&test, "2026-06-01T11:01:00Z", 0);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
    run_at(&test, "2026-06-01T11:02:00Z", 0);
    assert_eq!(kinds(&server), ["problem", "recovery"], "once");

    let server = receiver();
    let test = Test::new().file("p.yaml", &windowed(&server.url("/hook"), "", ""));
    run_at(&test, "2026-06-01T09:50:00Z", 1);
    run_at(&test, "2026-06-01T10:10:00Z", 2);
    assert_eq!(kinds(&server), ["problem"]);
    run_at(&test, "2026-06-01T11:10:00Z", 2);
    assert_eq!(kinds(&server), ["problem", "escalation"]);
}

#[test]
fn remediation_does_not_start_in_a_window_but_its_streak_counts() {
    let server = receiver();
    let check = "    remediate:\n      after: 2\n      verify: false\n      actions: [{shell: 'touch remediated'}]\n";
    let test = Test::new().file("p.yaml", &windowed(&server.url("/hook"), check, ""));
    run_at(&test, "2026-06-01T10:10:00Z", 2);
    let output = test.clone_with_clock("2026-06-01T10:20:00Z").run_args(&["run", "p.yaml", "--format", "json"]);
    assert_eq!(output.code, 2);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let api = &json["checks"][0];
    assert_eq!(api["remediation"]["result"], "not_started", "{api}");
    assert_eq!(api["holds"][0]["reason"], "maintenance");
    assert_eq!(api["status"], "critical", "quiet times never change the status");
    assert!(!test.path("remediated").exists(), "no remediation inside the window");
    assert_eq!(test.sql("SELECT count(*) FROM remediations"), "0");
    // After the window, the counted streak (3 ≥ 2) starts it at once.
    run_at(&test, "2026-06-01T11:05:00Z", 2);
    assert!(test.path("remediated").exists(), "the streak counted inside the window");
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn a_window_over_a_daemon_restart_sends_nothing_and_keeps_every_run() {
    let server = receiver();
    let playbook = format!(
        r#"version: 1
name: nightly
schedule: {{cron: "* * * * * *", timezone: UTC}}
maintenance:
  - cron: "0 3 * * *"
    duration: 1h
    reason: nightly restart
checks:
  - id: db
    command: {{shell: 'exit 2'}}
notify:
  - id: hook
    webhook: {{url: "{}"}}
"#,
        server.url("/hook")
    );
    let test = Test::new().file("p/nightly.yaml", &playbook);
    let clock = [("RUNNER_TEST_CLOCK", "2026-06-01T03:10:00Z")];
    let mut daemon = Daemon::start_with_env(&test, "p", &[], &clock);
    assert!(wait_until(Duration::from_secs(15), || daemon
        .query("SELECT count(*) FROM results")
        .parse::<i32>()
        .unwrap_or(0)
        >= 3));
    // The restart: killed, started again, still inside the window (03:20).
    daemon.kill9();
    let before: i32 = daemon.query("SELECT count(*) FROM results").parse().unwrap();
    let clock = [("RUNNER_TEST_CLOCK", "2026-06-01T03:20:00Z")];
    let mut daemon = Daemon::start_with_env(&test, "p", &[], &clock);
    assert!(wait_until(Duration::from_secs(15), || {
        daemon.query("SELECT count(*) FROM results").parse::<i32>().unwrap_or(0) >= before + 3
    }));
    assert_eq!(daemon.stop(), Some(0));
    assert!(server.requests().is_empty(), "0 messages: {:?}", kinds(&server));
    // Full runs in history: every one CRITICAL, held by the window, none notified.
    assert_eq!(daemon.query("SELECT count(*) FROM results WHERE status != 'critical'"), "0");
    assert_eq!(daemon.query("SELECT count(*) FROM results WHERE holds IS NULL"), "0");
    assert_eq!(daemon.query("SELECT count(*) FROM decisions WHERE kind IS NOT NULL"), "0");
    assert_eq!(daemon.query("SELECT count(*) FROM outbox"), "0");
    let json = test.run_args(&["history", "nightly", "--format", "json", "--since", "3650d"]).stdout;
    assert!(json.contains("\"maintenance\""), "history shows the reason: {json}");
}

/// A playbook with two failing checks (their exit codes in `a` and `b`).
fn two_checks(url: &str, name: &str) -> String {
    format!(
        r#"version: 1
name: {name}
checks:
  - id: a
    command: {{shell: 'exit $(cat a)', nagios: true}}
  - id: b
    command: {{shell: 'exit $(cat b)', nagios: true}}
notify:
  - id: hook
    webhook: {{url: "{url}"}}
"#
    )
}

fn set(test: &Test, a: u8, b: u8) {
    std::fs::write(test.path("a"), a.to_string()).unwrap();
    std::fs::write(test.path("b"), b.to_string()).unwrap();
}

/// The (check, kind) of every alert the receiver got.
fn checks_and_kinds(server: &Server) -> Vec<(String, String)> {
    server
        .requests()
        .iter()
        .map(|r| {
            let v: serde_json::Value = serde_json::from_str(&r.body).unwrap();
            (v["alert"]["stream"].as_str().unwrap_or("").to_string(), v["alert"]["kind"].as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn a_silence_until_ok_releases_each_check_at_its_first_ok() {
    let server = receiver();
    let test = Test::new().file("p.yaml", &two_checks(&server.url("/hook"), "web")).env("USER", "alice");
    set(&test, 2, 2);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(server.requests().len(), 2, "both problems");
    let made =
        test.run_args(&["silence", "add", "--playbook", "web", "--for", "1h", "--until-ok", "--reason", "deploy"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    let id = made.stdout.trim().to_string();
    set(&test, 2, 1);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(server.requests().len(), 2, "silenced: no escalation");
    set(&test, 0, 2);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(checks_and_kinds(&server)[2..], [("a".to_string(), "recovery".to_string())], "a released at its OK");
    set(&test, 2, 2);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(checks_and_kinds(&server)[3..], [("a".to_string(), "problem".to_string())], "a is no longer silenced");
    let list = test.run_args(&["silence", "list"]).stdout;
    assert!(list.contains("1 of 2 released") && list.contains("alice"), "{list}");
    set(&test, 2, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(checks_and_kinds(&server)[4..], [("b".to_string(), "recovery".to_string())]);
    assert!(test.run_args(&["silence", "list"]).stdout.contains("no silence in force"));
    let ended = test.run_args(&["silence", "list", "--expired"]).stdout;
    assert!(ended.starts_with(&format!("{id} playbook web")) && ended.contains("(released)"), "{ended}");
}

#[test]
fn a_silence_of_everything_holds_every_playbook_until_it_is_expired() {
    let server = receiver();
    let test = Test::new()
        .file("p.yaml", &two_checks(&server.url("/hook"), "web"))
        .file("q.yaml", &two_checks(&server.url("/hook"), "db"));
    set(&test, 2, 2);
    test.run_args(&["run", "p.yaml"]);
    let made = test.run_args(&["silence", "add", "--all", "--for", "2h", "--reason", "datacenter move"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    server_reset_count(&server, 2);
    set(&test, 0, 0);
    test.run_args(&["run", "p.yaml"]);
    set(&test, 2, 2);
    test.run_args(&["run", "q.yaml"]);
    let output = test.run_args(&["run", "q.yaml"]);
    assert!(output.stdout.contains("held: silenced by"), "{}", output.stdout);
    assert_eq!(output.code, 2, "the exit code stands");
    server_reset_count(&server, 2);
    let alerts = test.run_args(&["alerts"]).stdout;
    assert!(alerts.contains("datacenter move"), "runner alerts shows the silence: {alerts}");
    let id = made.stdout.trim();
    assert_eq!(test.run_args(&["silence", "expire", id]).code, 0);
    // The first result after: q's problems (never notified) are raised; p recovered while
    // silenced and its recovery is sent at its next result.
    test.run_args(&["run", "q.yaml"]);
    set(&test, 0, 0);
    test.run_args(&["run", "p.yaml"]);
    let mut got = checks_and_kinds(&server)[2..].to_vec();
    got.sort();
    assert_eq!(
        got,
        [
            ("a".to_string(), "problem".to_string()),
            ("a".to_string(), "recovery".to_string()),
            ("b".to_string(), "problem".to_string()),
            ("b".to_string(), "recovery".to_string())
        ]
    );
}

fn server_reset_count(server: &Server, expected: usize) {
    assert_eq!(server.requests().len(), expected, "{:?}", checks_and_kinds(server));
}

#[test]
fn a_silence_expires_by_itself_and_is_kept() {
    let server = receiver();
    let test = Test::new().file("p.yaml", &two_checks(&server.url("/hook"), "web"));
    set(&test, 0, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(
        test.run_args(&["silence", "add", "--playbook", "web", "--check", "a", "--for", "2s", "--reason", "x"]).code,
        0
    );
    set(&test, 2, 0);
    test.run_args(&["run", "p.yaml"]);
    assert!(server.requests().is_empty());
    std::thread::sleep(Duration::from_millis(2200));
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem"]);
    assert!(test.run_args(&["silence", "list", "--expired"]).stdout.contains("web/a, ended"));
}

#[test]
fn hostile_silences_are_usage_errors() {
    let server = receiver();
    let test = Test::new().file("playbooks/web.yaml", &two_checks(&server.url("/hook"), "web"));
    let add = |args: &[&str]| {
        let mut all = vec!["silence", "add"];
        all.extend_from_slice(args);
        test.run_args(&all)
    };
    let wrong = add(&["--playbook", "wbe", "--for", "1h", "--reason", "x"]);
    assert_eq!(wrong.code, 64);
    assert!(wrong.stderr.contains("did you mean `web`?"), "{}", wrong.stderr);
    let wrong = add(&["--playbook", "web", "--check", "c", "--for", "1h", "--reason", "x"]);
    assert_eq!(wrong.code, 64);
    assert!(wrong.stderr.contains("no check `c`"), "{}", wrong.stderr);
    assert_eq!(add(&["--playbook", "web", "--for", "0s", "--reason", "x"]).code, 64);
    assert_eq!(add(&["--playbook", "web", "--until", "2001-01-01 00:00", "--reason", "x"]).code, 64);
    assert_eq!(add(&["--playbook", "web", "--for", "400d", "--reason", "x"]).code, 64);
    assert_eq!(add(&["--playbook", "web", "--for", "soon", "--reason", "x"]).code, 64);
    assert_eq!(add(&["--playbook", "web", "--for", "1h", "--reason", "  "]).code, 64);
    assert_eq!(add(&["--for", "1h", "--reason", "x"]).code, 64, "a target is required");
    // `--check` belongs to one playbook: with `--all` it must not be dropped, widening the
    // silence to everything.
    assert_eq!(add(&["--all", "--check", "a", "--for", "1h", "--reason", "x"]).code, 64);
    assert_eq!(test.run_args(&["silence", "list"]).stdout.matches("everything").count(), 0);
    assert_eq!(test.run_args(&["silence", "expire", "42"]).code, 64);
    assert_eq!(test.run_args(&["silence", "expire", "x; drop table"]).code, 64);
    // Found in the folder before it ever ran: fine.
    assert_eq!(
        add(&["--playbook", "web", "--check", "a", "--until", "2099-01-01T00:00:00Z", "--reason", "x"]).code,
        64,
        "more than a year"
    );
    assert_eq!(add(&["--playbook", "web", "--check", "a", "--for", "1h", "--reason", "x"]).code, 0);
}

#[test]
fn silences_are_at_most_a_year_for_a_host_id_made_by_the_uid_and_shown_in_local_time() {
    let server = receiver();
    let test = Test::new().file("playbooks/web.yaml", &two_checks(&server.url("/hook"), "web"));
    let clock = Some("2026-03-02T10:00:00Z");
    // No $USER (cron, systemd): runner_at clears the environment.
    let add = |args: &[&str]| {
        let mut all = vec!["silence", "add", "--playbook", "web", "--reason", "x"];
        all.extend_from_slice(args);
        crate::support::runner_at(&test, clock, &all, &[("TZ", "Asia/Kolkata")])
    };
    let long = add(&["--for", "366d"]);
    assert_eq!(long.code, 64, "{long:?}");
    assert!(long.stderr.contains("at most 365d; use --until for a date"), "{long:?}");
    let far = add(&["--until", "2027-03-03T10:00:00Z"]);
    assert_eq!(far.code, 64, "{far:?}");
    assert!(far.stderr.contains("at most a year"), "{far:?}");
    let host = add(&["--for", "1h", "--host", "Web 1;rm"]);
    assert_eq!(host.code, 64, "{host:?}");
    assert!(host.stderr.contains("not a host id"), "{host:?}");
    assert_eq!(add(&["--for", "1h", "--host", "web-1.example"]).code, 0);
    assert_eq!(add(&["--for", "365d"]).code, 0);
    let list = crate::support::runner_at(&test, clock, &["silence", "list"], &[("TZ", "Asia/Kolkata")]);
    // 2027-03-02 10:00 UTC is 15:30 in India (+05:30); made by this uid's login name.
    assert!(list.stdout.contains("until 2027-03-02 15:30 +05:30"), "{list:?}");
    assert!(!list.stdout.contains("unknown"), "{list:?}");
    let login = std::process::Command::new("id").arg("-un").output().unwrap();
    let login = String::from_utf8_lossy(&login.stdout).trim().to_string();
    assert!(list.stdout.contains(&format!("by {login}")), "{list:?}");
    let json = crate::support::runner_at(&test, clock, &["silence", "list", "--format", "json"], &[]);
    let json: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let silence = json["silences"].as_array().unwrap().iter().find(|s| s["host"].is_null()).unwrap();
    assert_eq!(silence["created"], "2026-03-02T10:00:00Z", "{silence}");
    assert_eq!(silence["expires"], "2027-03-02T10:00:00Z", "{silence}");
    assert!(silence["ended"].is_null() && silence["expires_ms"].is_i64(), "{silence}");
    // `runner alerts` with a typo: did you mean.
    let alerts = crate::support::runner_at(&test, clock, &["alerts", "wbe"], &[]);
    assert_eq!(alerts.code, 64, "{alerts:?}");
}

#[test]
fn hostile_windows_are_validate_errors() {
    let check = "checks:\n  - id: c\n    command: {shell: 'true'}\n";
    let case = |windows: &str| format!("version: 1\nname: w\nmaintenance:\n{windows}{check}");
    let test = Test::new()
        .file("never.yaml", &case("  - {cron: '0 0 30 2 *', duration: 1h}\n"))
        .file("reversed.yaml", &case("  - {from: '2030-01-02T00:00:00Z', until: '2030-01-01T00:00:00Z'}\n"))
        .file("endless.yaml", &case("  - {cron: '*/10 * * * *', duration: 11m}\n"))
        .file(
            "overlapping.yaml",
            &case("  - {cron: '0 3 * * *', duration: 2h}\n  - {from: '2030-01-01T00:00:00Z', until: '2030-02-01T00:00:00Z'}\n"),
        );
    let never = test.run_args(&["validate", "never.yaml"]);
    assert_eq!(never.code, 1);
    assert!(never.stdout.contains("never.yaml:4:") && never.stdout.contains("never fires"), "{}", never.stdout);
    let reversed = test.run_args(&["validate", "reversed.yaml"]);
    assert!(reversed.code == 1 && reversed.stdout.contains("is not before"), "{}", reversed.stdout);
    let endless = test.run_args(&["validate", "endless.yaml"]);
    assert!(endless.code == 1 && endless.stdout.contains("never close"), "{}", endless.stdout);
    assert_eq!(test.run_args(&["validate", "--strict", "overlapping.yaml"]).code, 0, "overlapping windows hold as one");
}

/// `two_checks` with one alert stream for the whole playbook.
fn two_checks_one_stream(url: &str, check_a_extra: &str) -> String {
    format!(
        r#"version: 1
name: web
checks:
  - id: a
    command: {{shell: 'exit $(cat a)', nagios: true}}
{check_a_extra}  - id: b
    command: {{shell: 'exit $(cat b)', nagios: true}}
notify:
  - id: hook
    webhook: {{url: "{url}"}}
    scope: playbook
"#
    )
}

#[test]
fn scope_playbook_a_silence_on_the_only_failing_check_sends_no_false_recovery() {
    let server = receiver();
    let test = Test::new().file("p.yaml", &two_checks_one_stream(&server.url("/hook"), ""));
    set(&test, 2, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem"]);
    let made = test.run_args(&["silence", "add", "--playbook", "web", "--check", "a", "--for", "1h", "--reason", "x"]);
    assert_eq!(made.code, 0, "{}", made.stderr);
    // a still fails, silenced; b is OK: the playbook is still CRITICAL, nothing is sent.
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem"], "a silence is no recovery");
    assert_eq!(
        test.sql("SELECT streak, status, notified FROM alert_state"),
        "2|critical|critical",
        "the streak stands"
    );
    // a is OK while still silenced: the recovery waits for the hold to lift.
    set(&test, 0, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem"]);
    assert_eq!(test.run_args(&["silence", "expire", made.stdout.trim()]).code, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem", "recovery"], "caught up at the first result after the hold");
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem", "recovery"], "once");

    // Still failing when the silence ends: nothing then; one recovery when all are OK.
    let server = receiver();
    let test = Test::new().file("p.yaml", &two_checks_one_stream(&server.url("/hook"), ""));
    set(&test, 2, 0);
    test.run_args(&["run", "p.yaml"]);
    let made = test.run_args(&["silence", "add", "--playbook", "web", "--check", "a", "--for", "1h", "--reason", "x"]);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(test.run_args(&["silence", "expire", made.stdout.trim()]).code, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem"]);
    set(&test, 0, 0);
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
}

#[test]
fn scope_playbook_a_window_on_one_check_holds_only_that_checks_failure() {
    let server = receiver();
    let window = "    maintenance: [{from: '2026-06-01T10:00:00Z', until: '2026-06-01T11:00:00Z', reason: restart}]\n";
    let test = Test::new().file("p.yaml", &two_checks_one_stream(&server.url("/hook"), window));
    let run = |at: &str, a: u8, b: u8| {
        set(&test, a, b);
        test.clone_with_clock(at).run_args(&["run", "p.yaml"]).code
    };
    assert_eq!(run("2026-06-01T09:50:00Z", 1, 0), 1);
    assert_eq!(kinds(&server), ["problem"]);
    // a gets worse inside its window: held, not an escalation, and no recovery either.
    assert_eq!(run("2026-06-01T10:10:00Z", 2, 0), 2);
    assert_eq!(kinds(&server), ["problem"]);
    // b fails too, nothing holds it: the escalation names b, not a (held back).
    assert_eq!(run("2026-06-01T10:20:00Z", 2, 2), 2);
    assert_eq!(kinds(&server), ["problem", "escalation"]);
    let escalation: serde_json::Value = serde_json::from_str(&server.requests()[1].body).unwrap();
    let text = escalation["alert"]["text"].as_str().unwrap();
    assert!(text.contains("CRITICAL b") && !text.contains(" a:"), "{text}");
    // b recovers, a is OK inside its window: held; the recovery comes after the window.
    assert_eq!(run("2026-06-01T10:30:00Z", 0, 0), 0);
    assert_eq!(kinds(&server), ["problem", "escalation"]);
    assert_eq!(run("2026-06-01T11:05:00Z", 0, 0), 0);
    assert_eq!(kinds(&server), ["problem", "escalation", "recovery"]);
}

#[test]
fn a_silence_for_another_host_holds_nothing_and_one_for_this_host_holds() {
    let server = receiver();
    let mut test = Test::new().file("p.yaml", &two_checks(&server.url("/hook"), "web"));
    // This host's id as runner computes it (RUNNER_HOST_ID, else the kernel's host name).
    let here = runner::host::id();
    if let Ok(id) = std::env::var("RUNNER_HOST_ID") {
        test = test.env("RUNNER_HOST_ID", &id);
    }
    let silence = |check: &str, host: &str| {
        let args = ["silence", "add", "--playbook", "web", "--check", check, "--host", host, "--for", "1h"];
        let made = test.run_args(&[&args[..], &["--reason", "host test"]].concat());
        assert_eq!(made.code, 0, "{}", made.stderr);
    };
    set(&test, 0, 0);
    test.run_args(&["run", "p.yaml"]);
    silence("a", "elsewhere.example");
    set(&test, 2, 0);
    let output = test.run_args(&["run", "p.yaml"]);
    assert!(!output.stdout.contains("held:"), "{}", output.stdout);
    assert_eq!(checks_and_kinds(&server), [("a".to_string(), "problem".to_string())], "another host's silence");
    silence("b", &here);
    set(&test, 2, 2);
    let output = test.run_args(&["run", "p.yaml"]);
    assert!(output.stdout.contains("held: silenced by"), "{}", output.stdout);
    assert_eq!(output.code, 2);
    assert_eq!(checks_and_kinds(&server).len(), 1, "this host's silence holds b");
    let listed = test.run_args(&["silence", "list"]).stdout;
    assert!(listed.contains(&format!("on {here}")) && listed.contains("on elsewhere.example"), "{listed}");
}

#[test]
fn scope_playbook_speaks_with_the_worst_status_nothing_holds_back() {
    let server = receiver();
    let window = "    maintenance: [{from: '2026-06-01T10:00:00Z', until: '2026-06-01T11:00:00Z', reason: restart}]\n";
    let test = Test::new().file("p.yaml", &two_checks_one_stream(&server.url("/hook"), window));
    let run = |at: &str, a: u8, b: u8| {
        set(&test, a, b);
        test.clone_with_clock(at).run_args(&["run", "p.yaml"]).code
    };
    // a is CRITICAL inside its window, b WARNING and free: a WARNING problem naming b only.
    assert_eq!(run("2026-06-01T10:10:00Z", 2, 1), 2);
    assert_eq!(kinds(&server), ["problem"]);
    let problem: serde_json::Value = serde_json::from_str(&server.requests()[0].body).unwrap();
    assert_eq!(problem["alert"]["status"], "warning", "{problem}");
    let text = problem["alert"]["text"].as_str().unwrap();
    assert!(text.contains("WARNING b") && !text.contains(" a:"), "{text}");
    // Still inside the window: the held CRITICAL is no escalation.
    assert_eq!(run("2026-06-01T10:20:00Z", 2, 1), 2);
    assert_eq!(kinds(&server), ["problem"]);
    // After the window, a's CRITICAL is heard: one escalation.
    assert_eq!(run("2026-06-01T11:05:00Z", 2, 1), 2);
    assert_eq!(kinds(&server), ["problem", "escalation"]);
}
