//! `depends_on` against real webhook receivers and the real store, with a clock the test
//! controls (RUNNER_TEST_CLOCK): one gateway down holds thirty dependents' messages and
//! remediations; dependencies across playbooks fresh, stale and never run; and what a
//! hostile playbook tries (cycles, itself, a later phase, a SKIPPED dependency).

use crate::alerts::kinds;
use crate::support::Test;
use crate::support::http::{Reply, Server};

/// Runs `runner ARGS` in the test's folder and state with the clock started at `clock`.
pub(crate) fn run_at(test: &Test, clock: &str, args: &[&str]) -> (i32, String) {
    let output = crate::support::runner_at(test, Some(clock), args, &[]);
    (output.code, output.stdout)
}

/// A check whose Nagios status is in the file `status-ID`, else in `status`.
fn check(id: &str, extra: &str) -> String {
    format!(
        "  - id: {id}\n    command: {{shell: 's=$(cat status-{id} 2>/dev/null || cat status); echo \"{id} $s\"; exit $s', nagios: true}}\n{extra}"
    )
}

fn channel(url: &str) -> String {
    format!("notify:\n  - id: hook\n    webhook: {{url: \"{url}\"}}\n    after: 1\n")
}

/// The (check, holds) of every result of the last run, from `--format json`.
fn holds_of(stdout: &str) -> Vec<(String, serde_json::Value)> {
    let run: serde_json::Value = serde_json::from_str(stdout).unwrap();
    run["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["id"].as_str().unwrap().to_string(), c["holds"].clone()))
        .collect()
}

#[test]
fn one_gateway_down_sends_one_message_for_thirty_one_failing_checks() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let mut yaml = String::from("version: 1\nname: site\nchecks:\n");
    yaml.push_str(&check("gateway", ""));
    for n in 1..=30 {
        let remediate = "    remediate:\n      actions: [{shell: 'echo x >> remediations'}]\n";
        yaml.push_str(&check(&format!("d{n:02}"), &format!("    depends_on: [gateway]\n{remediate}")));
    }
    yaml.push_str(&channel(&server.url("/hook")));
    let test = Test::new().file("site.yaml", &yaml).file("status", "0");

    // Before the outage, d07 fails alone: it is notified and remediated (nothing holds it).
    std::fs::write(test.path("status-d07"), "2").unwrap();
    assert_eq!(run_at(&test, "2026-03-02T10:00:00Z", &["run", "site.yaml"]).0, 2);
    assert_eq!(kinds(&server), ["problem"]);
    assert_eq!(test.sql("SELECT count(*) FROM remediations"), "1");
    std::fs::remove_file(test.path("remediations")).unwrap();

    // The gateway goes down and takes everything with it: 31 failing checks.
    std::fs::write(test.path("status"), "2").unwrap();
    let (code, stdout) = run_at(&test, "2026-03-02T10:05:00Z", &["run", "site.yaml", "--format", "json"]);
    assert_eq!(code, 2, "quiet times never change a run's status");
    // 1 problem message: the gateway's (d07's problem is already open; held, nothing).
    assert_eq!(kinds(&server), ["problem", "problem"]);
    let gateway_problem: serde_json::Value = serde_json::from_str(&server.requests()[1].body).unwrap();
    assert_eq!(gateway_problem["alert"]["stream"], "gateway");
    // Every dependent's result says why it was held, in the output and in the store.
    let holds = holds_of(&stdout);
    let held: Vec<&(String, serde_json::Value)> = holds.iter().filter(|(_, h)| !h.is_null()).collect();
    assert_eq!(held.len(), 30);
    for (_, hold) in &held {
        assert_eq!(hold[0]["reason"], "suppressed_by");
        assert_eq!(hold[0]["dependency"], "gateway");
        assert_eq!(hold[0]["status"], "critical");
    }
    assert_eq!(
        test.sql(
            "SELECT count(*) FROM results res JOIN runs r ON r.id = res.run
             WHERE r.started_ms = (SELECT max(started_ms) FROM runs) AND res.holds LIKE '%\"suppressed_by\"%'"
        ),
        "30",
        "30 results stored as suppressed"
    );
    // And 30 stored decisions on the channel: nothing sent, held by `suppressed_by`
    // alone; the gateway's decision is the problem sent, held by nothing.
    let last_run = "(SELECT run_id FROM runs WHERE started_ms = (SELECT max(started_ms) FROM runs))";
    assert_eq!(
        test.sql(&format!(
            "SELECT count(*) FROM decisions WHERE run_id = {last_run} AND channel = 'hook'
             AND kind IS NULL AND reasons = '[\"suppressed_by\"]' AND check_id LIKE 'd%'"
        )),
        "30",
        "30 decisions stored as suppressed"
    );
    assert_eq!(
        test.sql(&format!(
            "SELECT kind || ' ' || reasons FROM decisions WHERE run_id = {last_run} AND check_id = 'gateway'"
        )),
        "problem []"
    );
    assert_eq!(test.sql(&format!("SELECT count(*) FROM decisions WHERE run_id = {last_run}")), "31");
    // 0 remediations of the dependents: held, said so, none ran, none audited.
    assert!(!test.path("remediations").exists(), "a held dependent was remediated");
    assert_eq!(test.sql("SELECT count(*) FROM remediations"), "1", "d07's, before the outage, only");
    let run: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let d01 = run["checks"].as_array().unwrap().iter().find(|c| c["id"] == "d01").unwrap();
    assert_eq!(d01["remediation"]["result"], "held");
    assert_eq!(d01["remediation"]["message"], "held: depends on gateway (CRITICAL)");

    // Still down: nothing new.
    run_at(&test, "2026-03-02T10:10:00Z", &["run", "site.yaml"]);
    assert_eq!(kinds(&server).len(), 2);

    // Everything recovers: 31 recoveries' worth of truth, 2 messages: the gateway's, and
    // d07's (the only dependent that was notified).
    std::fs::write(test.path("status"), "0").unwrap();
    std::fs::remove_file(test.path("status-d07")).unwrap();
    assert_eq!(run_at(&test, "2026-03-02T10:15:00Z", &["run", "site.yaml"]).0, 0);
    assert_eq!(kinds(&server), ["problem", "problem", "recovery", "recovery"]);
    let streams: Vec<String> = server.requests()[2..]
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["alert"]["stream"].as_str().unwrap().into()
        })
        .collect();
    let mut streams = streams;
    streams.sort();
    assert_eq!(streams, ["d07", "gateway"]);
    assert_eq!(test.sql("SELECT count(*) FROM alert_state WHERE notified IS NOT NULL"), "0");
}

#[test]
fn a_dependent_in_a_later_phase_waits_for_its_dependency_and_is_held() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    // The dependency is slow: the dependent must wait for it, in the same phase too.
    let slow = "  - id: gateway\n    command: {shell: 'sleep 0.5; exit 2', nagios: true}\n";
    let indent = |text: String| text.lines().map(|l| format!("    {l}\n")).collect::<String>();
    let yaml = format!(
        "version: 1\nname: site\nphases:\n  - id: first\n    checks:\n{}{}  - id: second\n    checks:\n{}{}",
        indent(slow.to_string()),
        indent(check("dns", "    depends_on: [gateway]\n")),
        indent(check("api", "    depends_on: [gateway, dns]\n")),
        channel(&server.url("/hook"))
    );
    let test = Test::new().file("site.yaml", &yaml).file("status", "2");
    let (code, stdout) = run_at(&test, "2026-03-02T10:00:00Z", &["run", "site.yaml", "--format", "json"]);
    assert_eq!(code, 2);
    let holds = holds_of(&stdout);
    let reasons: Vec<(String, usize)> =
        holds.iter().map(|(id, h)| (id.clone(), h.as_array().map_or(0, Vec::len))).collect();
    assert_eq!(reasons, [("gateway".into(), 0), ("dns".into(), 1), ("api".into(), 2)]);
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn a_skipped_dependency_holds_nothing() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    // `gateway` needs `dns`, which fails: gateway is SKIPPED, not failing.
    let yaml = format!(
        "version: 1\nname: site\nchecks:\n{}{}{}{}",
        check("dns", ""),
        check("gateway", "    needs: [dns]\n"),
        check("api", "    depends_on: [gateway]\n"),
        channel(&server.url("/hook"))
    );
    let test = Test::new().file("site.yaml", &yaml).file("status", "2");
    let (_, stdout) = run_at(&test, "2026-03-02T10:00:00Z", &["run", "site.yaml", "--format", "json"]);
    let run: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let status: Vec<&str> = run["checks"].as_array().unwrap().iter().map(|c| c["status"].as_str().unwrap()).collect();
    assert_eq!(status, ["critical", "skipped", "critical"], "depends_on never skips the dependent");
    assert!(holds_of(&stdout).iter().all(|(_, h)| h.is_null()));
    assert_eq!(kinds(&server), ["problem", "problem"], "dns and api, each notified");
}

#[test]
fn a_silenced_dependency_that_is_ok_holds_messages_but_never_the_fix() {
    // `gateway` is OK but silenced: it is "itself held back", so `api`'s messages wait, but
    // remediation is held only by a *failing* dependency (PLAYBOOK.md's table), and a
    // silence quiets people, not fixes.
    let server = Server::with(|_| Reply::status(200, "ok"));
    let remediate = "    remediate:\n      actions: [{shell: 'echo x >> remediations'}]\n";
    let yaml = format!(
        "version: 1\nname: site\nchecks:\n{}{}{}",
        check("gateway", ""),
        check("api", &format!("    depends_on: [gateway]\n{remediate}")),
        channel(&server.url("/hook"))
    );
    let test = Test::new().file("site.yaml", &yaml).file("status-gateway", "0").file("status-api", "2");
    let clock = "2026-03-02T10:00:00Z";
    let (code, _) = run_at(
        &test,
        clock,
        &[
            "silence",
            "add",
            "--playbook",
            "site",
            "--check",
            "gateway",
            "--for",
            "1h",
            "--reason",
            "noisy",
            "--path",
            ".",
        ],
    );
    assert_eq!(code, 0);
    let (code, stdout) = run_at(&test, clock, &["run", "site.yaml", "--format", "json"]);
    assert_eq!(code, 2, "quiet times never change the exit code");
    let api = holds_of(&stdout).into_iter().find(|(id, _)| id == "api").unwrap().1;
    assert_eq!(api[0]["reason"], "suppressed_by", "{api}");
    assert!(kinds(&server).is_empty(), "the dependent's message is held");
    let done = std::fs::read_to_string(test.path("remediations")).unwrap_or_default();
    assert_eq!(done.lines().count(), 1, "the dependent's remediation ran");
}

/// Two playbooks in one folder: `network` (every 5 minutes) and `app`, whose `api`
/// depends on `network/uplink`.
fn two_playbooks(url: &str) -> Test {
    let network =
        format!("version: 1\nname: network\nschedule: {{cron: \"*/5 * * * *\"}}\nchecks:\n{}", check("uplink", ""));
    let app = format!(
        "version: 1\nname: app\nschedule: {{cron: \"*/5 * * * *\"}}\nchecks:\n{}{}",
        check("api", "    depends_on: [network/uplink]\n"),
        channel(url)
    );
    Test::new().file("network.yaml", &network).file("app.yaml", &app).file("status", "2")
}

#[test]
fn a_dependency_in_another_playbook_holds_by_its_latest_stored_result() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = two_playbooks(&server.url("/hook"));
    assert_eq!(run_at(&test, "2026-03-02T10:00:00Z", &["validate", "."]).0, 0);
    run_at(&test, "2026-03-02T10:00:00Z", &["run", "network.yaml"]);
    let (code, stdout) = run_at(&test, "2026-03-02T10:01:00Z", &["run", "app.yaml", "--format", "json"]);
    assert_eq!(code, 2);
    let holds = holds_of(&stdout);
    assert_eq!(holds[0].1[0]["dependency"], "network/uplink");
    assert!(server.requests().is_empty(), "api is held by network/uplink");
    // The uplink recovers: api is no longer held, and its failure is caught up at once.
    std::fs::write(test.path("status-uplink"), "0").unwrap();
    run_at(&test, "2026-03-02T10:05:00Z", &["run", "network.yaml"]);
    run_at(&test, "2026-03-02T10:05:30Z", &["run", "app.yaml"]);
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn a_stale_dependency_in_another_playbook_is_ignored_with_a_note() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = two_playbooks(&server.url("/hook"));
    run_at(&test, "2026-03-02T10:00:00Z", &["run", "network.yaml"]);
    // 11 minutes later: older than two of network's 5-minute periods.
    let (_, stdout) = run_at(&test, "2026-03-02T10:11:00Z", &["run", "app.yaml", "--format", "json"]);
    let run: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let api = &run["checks"][0];
    assert!(api["holds"].is_null(), "{api}");
    let details = api["details"].to_string();
    assert!(details.contains("network/uplink") && details.contains("older than two of its periods (10m)"), "{details}");
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn a_dependency_that_never_ran_holds_nothing() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = two_playbooks(&server.url("/hook"));
    let (_, stdout) = run_at(&test, "2026-03-02T10:00:00Z", &["run", "app.yaml", "--format", "json"]);
    assert!(holds_of(&stdout)[0].1.is_null());
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn validate_refuses_cycles_itself_later_phases_and_unknown_names() {
    let yaml = r#"version: 1
name: site
phases:
  - id: first
    checks:
      - id: a
        command: {run: ["true"]}
        depends_on: [b]
      - id: b
        command: {run: ["true"]}
        depends_on: [a]
      - id: c
        command: {run: ["true"]}
        depends_on: [c, later, gatewy, nowhere/x]
      - id: gateway
        command: {run: ["true"]}
  - id: second
    checks:
      - id: later
        command: {run: ["true"]}
"#;
    let test = Test::new().file("site.yaml", yaml).args(["validate", "."]);
    let output = test.expect_code(1);
    let text = &output.stdout;
    for expected in [
        "./site.yaml:11:22: error: `depends_on` forms a cycle: a → b → a",
        "./site.yaml:14:22: error: check `c` depends on itself",
        "./site.yaml:14:25: error: `depends_on` names `later`, which runs in a later phase",
        "./site.yaml:14:32: error: `depends_on` names `gatewy`, which is not a check of this playbook",
        "hint: did you mean `gateway`?",
        "./site.yaml:14:40: error: `depends_on` names playbook `nowhere`, which is not in this folder",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(text.contains("^"), "a caret under the place:\n{text}");
}

#[test]
fn validate_refuses_a_cycle_across_playbooks_and_an_unknown_check_of_a_known_one() {
    let test = Test::new()
        .file(
            "a.yaml",
            "version: 1\nname: a\nchecks:\n  - id: x\n    command: {run: [\"true\"]}\n    depends_on: [b/y, b/z]\n",
        )
        .file(
            "b.yaml",
            "version: 1\nname: b\nchecks:\n  - id: y\n    command: {run: [\"true\"]}\n    depends_on: [a/x]\n",
        )
        .args(["validate", "."]);
    let output = test.expect_code(1);
    assert!(
        output.stdout.contains("`depends_on` forms a cycle across playbooks: a/x → b/y → a/x"),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains("`depends_on` names `b/z`, but playbook `b` has no check `z`"), "{}", output.stdout);
    // One file of the folder alone: the folder is not validated whole, so a playbook it
    // names is not known to be missing.
    Test::new()
        .file(
            "a.yaml",
            "version: 1\nname: a\nchecks:\n  - id: x\n    command: {run: [\"true\"]}\n    depends_on: [c/y]\n",
        )
        .file("b.yaml", "version: 1\nname: b\nchecks:\n  - id: y\n    command: {run: [\"true\"]}\n")
        .args(["validate", "a.yaml"])
        .expect_code(0);
}

#[test]
fn scope_playbook_a_held_dependent_is_no_recovery_of_its_playbook() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let network = format!("version: 1\nname: network\nchecks:\n{}", check("uplink", ""));
    let app = format!(
        "version: 1\nname: app\nchecks:\n{}{}{}    scope: playbook\n",
        check("api", "    depends_on: [network/uplink]\n"),
        check("db", ""),
        channel(&server.url("/hook"))
    );
    let test = Test::new().file("network.yaml", &network).file("app.yaml", &app).file("status", "0");
    std::fs::write(test.path("status-api"), "2").unwrap();
    // api fails before the uplink ever ran: the playbook's problem.
    run_at(&test, "2026-03-02T10:00:00Z", &["run", "app.yaml"]);
    assert_eq!(kinds(&server), ["problem"]);
    // The uplink fails: api (the only failing check of app) is held; db is OK. Nothing.
    std::fs::write(test.path("status-uplink"), "2").unwrap();
    run_at(&test, "2026-03-02T10:01:00Z", &["run", "network.yaml"]);
    run_at(&test, "2026-03-02T10:02:00Z", &["run", "app.yaml"]);
    assert_eq!(kinds(&server), ["problem"], "a held failure is no recovery");
    assert_eq!(test.sql("SELECT streak, notified FROM alert_state WHERE playbook = 'app'"), "2|critical");
    // Everything OK again: one recovery.
    std::fs::write(test.path("status-uplink"), "0").unwrap();
    std::fs::write(test.path("status-api"), "0").unwrap();
    run_at(&test, "2026-03-02T10:03:00Z", &["run", "network.yaml"]);
    run_at(&test, "2026-03-02T10:04:00Z", &["run", "app.yaml"]);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
}

/// `network` without a schedule and `app` (`api` depends on `network/uplink`), with the
/// schedule `app_schedule` (a YAML line, or nothing).
fn unscheduled_dependency(url: &str, app_schedule: &str) -> Test {
    let network = format!("version: 1\nname: network\nchecks:\n{}", check("uplink", ""));
    let app = format!(
        "version: 1\nname: app\n{app_schedule}checks:\n{}{}",
        check("api", "    depends_on: [network/uplink]\n"),
        channel(url)
    );
    Test::new().file("network.yaml", &network).file("app.yaml", &app).file("status", "2")
}

#[test]
fn a_dependency_without_a_schedule_is_stale_after_two_of_the_dependents_periods() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = unscheduled_dependency(&server.url("/hook"), "schedule: {cron: \"*/5 * * * *\"}\n");
    run_at(&test, "2026-03-02T10:00:00Z", &["run", "network.yaml"]);
    let (_, stdout) = run_at(&test, "2026-03-02T10:09:00Z", &["run", "app.yaml", "--format", "json"]);
    assert_eq!(holds_of(&stdout)[0].1[0]["dependency"], "network/uplink", "fresh: it holds");
    assert!(server.requests().is_empty());
    // 11 minutes: older than two of app's 5-minute periods. The note is in the human view.
    let (_, stdout) = run_at(&test, "2026-03-02T10:11:00Z", &["run", "app.yaml"]);
    assert!(
        stdout.contains("note: api: depends_on network/uplink: its latest result (CRITICAL, 11m ago)")
            && stdout.contains("older than two of this playbook's periods (10m; network has no schedule)"),
        "{stdout}"
    );
    assert!(!stdout.contains("held:"), "{stdout}");
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn a_dependency_is_stale_after_an_hour_when_neither_playbook_has_a_schedule() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = unscheduled_dependency(&server.url("/hook"), "");
    run_at(&test, "2026-03-02T10:00:00Z", &["run", "network.yaml"]);
    let (_, stdout) = run_at(&test, "2026-03-02T10:59:00Z", &["run", "app.yaml"]);
    assert!(stdout.contains("held: depends on network/uplink (CRITICAL)"), "{stdout}");
    assert!(server.requests().is_empty());
    // An old CRITICAL does not hold forever: after an hour it is ignored, with a note.
    let (_, stdout) = run_at(&test, "2026-03-02T11:01:00Z", &["run", "app.yaml", "--format", "json"]);
    let run: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(run["checks"][0]["holds"].is_null(), "{stdout}");
    let details = run["checks"][0]["details"].to_string();
    assert!(details.contains("older than 1h (no schedule to measure it by)"), "{details}");
    let note = run["checks"][0]["details"].as_array().and_then(|d| d.last()).and_then(|d| d.as_str()).unwrap_or("");
    assert_eq!(run["notes"][0].as_str().unwrap_or(""), format!("api: {note}"), "on the run's notes too");
    assert_eq!(kinds(&server), ["problem"]);
}
