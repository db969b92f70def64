//! Alerts against a real HTTP receiver started by the tests: streaks and `after`,
//! recovery, reminders, escalation, persistence across processes (every `runner run` is
//! a new process), retries with backoff, Retry-After, permanent errors, and a process
//! killed between deciding and delivering.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::support::Test;
use crate::support::http::{Reply, Request, Server};

/// A playbook whose one check has the status written in the file `status` (a Nagios
/// exit code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN), alerting a webhook.
pub(crate) fn playbook(url: &str, channel_extra: &str) -> String {
    format!(
        r#"version: 1
name: alerting
checks:
  - id: flappy
    command: {{shell: 'echo "state $(cat status)"; exit $(cat status)', nagios: true}}
    runbook: https://runbooks.example/flappy
notify:
  - id: hook
    webhook: {{url: "{url}"}}
{channel_extra}"#
    )
}

/// Runs once with `status` and returns the exit code.
pub(crate) fn run_with(test: &Test, status: u8) -> i32 {
    std::fs::write(test.path("status"), status.to_string()).unwrap();
    let output = test.run_args(&["run", "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    output.code
}

/// The `kind` of every alert the receiver got, in order.
pub(crate) fn kinds(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|r| {
            serde_json::from_str::<serde_json::Value>(&r.body).unwrap()["alert"]["kind"].as_str().unwrap().to_string()
        })
        .collect()
}

#[test]
fn three_failing_runs_give_one_alert_at_the_third_and_one_recovery() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "    after: 3\n"));
    assert_eq!(run_with(&test, 2), 2);
    assert_eq!(run_with(&test, 2), 2);
    assert!(server.requests().is_empty(), "alerted before the third failing run");
    assert_eq!(run_with(&test, 2), 2);
    assert_eq!(kinds(&server), ["problem"]);
    run_with(&test, 2);
    run_with(&test, 2);
    assert_eq!(kinds(&server), ["problem"], "the problem is raised once");
    run_with(&test, 0);
    run_with(&test, 0);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
    // The payload: the alert, an idempotency key (also as a header), the RunRecord.
    let requests = server.requests();
    let problem: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(problem["alert"]["status"], "critical");
    assert_eq!(problem["alert"]["streak"], 3);
    assert_eq!(problem["alert"]["runbook"], "https://runbooks.example/flappy");
    assert_eq!(problem["run"]["checks"][0]["id"], "flappy");
    let key = problem["idempotency_key"].as_str().unwrap();
    assert!(key.starts_with("alerting:hook:flappy:problem:"), "{key}");
    assert_eq!(requests[0].header("Idempotency-Key"), Some(key));
    // A failure shorter than `after` never notified: no recovery for it.
    run_with(&test, 2);
    run_with(&test, 0);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
}

#[test]
fn escalation_keeps_the_streak_and_reminders_follow_repeat() {
    let server = Server::with(|_| Reply::status(204, ""));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "    after: 3\n    repeat: 2s\n"));
    // WARNING, WARNING, CRITICAL: the third failing run alerts (the streak survives the
    // escalation), then CRITICAL after WARNING would be an escalation.
    run_with(&test, 1);
    run_with(&test, 1);
    run_with(&test, 1);
    assert_eq!(kinds(&server), ["problem"]);
    run_with(&test, 2);
    assert_eq!(kinds(&server), ["problem", "escalation"]);
    let escalation: serde_json::Value = serde_json::from_str(&server.requests()[1].body).unwrap();
    assert_eq!(escalation["alert"]["previous"], "warning");
    assert_eq!(escalation["alert"]["status"], "critical");
    run_with(&test, 2);
    assert_eq!(kinds(&server).len(), 2, "no reminder before `repeat`");
    std::thread::sleep(Duration::from_millis(2100));
    run_with(&test, 2);
    run_with(&test, 2);
    assert_eq!(kinds(&server), ["problem", "escalation", "reminder"]);
    std::thread::sleep(Duration::from_millis(2100));
    run_with(&test, 2);
    assert_eq!(kinds(&server), ["problem", "escalation", "reminder", "reminder"]);
}

#[test]
fn a_receiver_that_fails_twice_then_succeeds_gets_the_message_once() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Server::with(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) < 2 { Reply::status(503, "busy") } else { Reply::status(200, "ok") }
    });
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "")).env("RUNNER_OUTBOX_BACKOFF", "200ms");
    run_with(&test, 2);
    assert_eq!(server.requests().len(), 1);
    std::thread::sleep(Duration::from_millis(250));
    run_with(&test, 2); // the retry (attempt 2) is due: 503 again
    assert_eq!(server.requests().len(), 2);
    std::thread::sleep(Duration::from_millis(450)); // backoff doubled
    run_with(&test, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 3, "one message, three attempts");
    let keys: Vec<&str> = requests.iter().map(|r| r.header("Idempotency-Key").unwrap()).collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "the same message each time: {keys:?}");
    run_with(&test, 2);
    assert_eq!(server.requests().len(), 3, "delivered once, never again");
    let alerts = test.run_args(&["alerts"]);
    assert!(alerts.stdout.contains("outbox: 0 messages waiting"), "{}", alerts.stdout);
}

#[test]
fn too_many_requests_waits_for_retry_after_and_4xx_is_dropped() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Server::with(move |request: &Request| {
        if request.path == "/gone" {
            return Reply::status(404, "no such webhook");
        }
        if counter.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::status(429, "slow down").header("Retry-After", "1")
        } else {
            Reply::status(200, "ok")
        }
    });
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "")).env("RUNNER_OUTBOX_BACKOFF", "50ms");
    run_with(&test, 2);
    run_with(&test, 2); // within Retry-After: not attempted
    assert_eq!(server.requests().len(), 1);
    std::thread::sleep(Duration::from_millis(1100));
    let output = test.run_args(&["run", "p.yaml"]);
    assert_eq!(server.requests().len(), 2, "{}", output.stdout);
    assert!(output.stdout.contains("sent"), "{}", output.stdout);

    let gone = Test::new().file("p.yaml", &playbook(&server.url("/gone"), ""));
    std::fs::write(gone.path("status"), "2").unwrap();
    let output = gone.run_args(&["run", "-v", "p.yaml"]);
    assert!(output.stdout.contains("dropped: HTTP 404: no such webhook"), "{}", output.stdout);
    assert!(output.stderr.contains("notification dropped"), "the reason is logged: {}", output.stderr);
    std::fs::write(gone.path("status"), "2").unwrap();
    let before = server.requests().len();
    gone.run_args(&["run", "p.yaml"]);
    assert_eq!(server.requests().len(), before, "a dropped message is not retried");
}

#[test]
fn killed_between_deciding_and_delivering_delivers_on_the_next_run() {
    // The receiver hangs on the first request: the run has decided and committed the
    // alert and is waiting for the delivery when it is killed.
    let hang = Arc::new(Mutex::new(true));
    let flag = hang.clone();
    let server = Server::with(move |_| if *flag.lock().unwrap() { Reply::Hang } else { Reply::status(200, "ok") });
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), ""));
    std::fs::write(test.path("status"), "2").unwrap();
    let mut child = test.spawn(&["run", "p.yaml"]);
    let started = std::time::Instant::now();
    while server.requests().is_empty() && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(server.requests().len(), 1, "the delivery started");
    let recorded = crate::daemon::wait_until(Duration::from_secs(5), || crate::delivery::attempts(&test) == "1||");
    assert!(recorded, "the attempt is recorded before its answer: {}", crate::delivery::attempts(&test));
    // SAFETY: kill -9 of our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    let _ = child.wait();
    *hang.lock().unwrap() = false;
    // The next run (still failing: no new decision) delivers the queued message.
    run_with(&test, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "delivered on the next run");
    assert_eq!(requests[0].header("Idempotency-Key"), requests[1].header("Idempotency-Key"));
    assert_eq!(kinds(&server), ["problem", "problem"]);
    assert_eq!(crate::delivery::attempts(&test), "1|abandoned|\n2|delivered|200");
    assert_eq!(test.sql("SELECT attempts FROM outbox"), "2", "the abandoned attempt counts");
}

#[test]
fn no_store_runs_keep_no_state_and_send_nothing() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), ""));
    std::fs::write(test.path("status"), "2").unwrap();
    for _ in 0..3 {
        let output = test.run_args(&["run", "--no-store", "p.yaml"]);
        assert_eq!(output.code, 2);
    }
    assert!(server.requests().is_empty());
    assert!(!test.path(".state/runner.db").exists());
}

#[test]
fn a_dry_run_says_what_it_would_send_and_sends_nothing() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "    after: 2\n"));
    run_with(&test, 2);
    std::fs::write(test.path("status"), "2").unwrap();
    let output = test.run_args(&["run", "--dry-run", "p.yaml"]);
    assert!(
        output.stdout.contains("would send PROBLEM CRITICAL alerting/flappy (2 failing runs)"),
        "{}",
        output.stdout
    );
    assert!(server.requests().is_empty());
    // And the dry run did not advance the streak: the next real run is the second.
    run_with(&test, 2);
    assert_eq!(kinds(&server), ["problem"]);
}

#[test]
fn discord_and_slack_payloads() {
    let server = Server::with(|_| Reply::status(204, ""));
    let playbook = format!(
        r#"version: 1
name: chat
checks:
  - id: down
    command: {{shell: "exit 2"}}
notify:
  - id: discord
    discord: {{webhook_url: "{d}"}}
  - id: slack
    slack: {{webhook_url: "{s}"}}
  - id: off
    discord: {{webhook_url: "${{UNSET_DISCORD_WEBHOOK:-}}"}}
"#,
        d = server.url("/discord"),
        s = server.url("/slack")
    );
    let test = Test::new().file("p.yaml", &playbook);
    let output = test.run_args(&["run", "p.yaml"]);
    assert!(output.stdout.contains("off: off (its URL is empty)"), "{}", output.stdout);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let discord: serde_json::Value =
        serde_json::from_str(&requests.iter().find(|r| r.path == "/discord").unwrap().body).unwrap();
    assert_eq!(discord["embeds"][0]["color"], 0xD1242F, "critical is red");
    assert!(discord["embeds"][0]["title"].as_str().unwrap().contains("PROBLEM · CRITICAL chat/down"));
    let slack: serde_json::Value =
        serde_json::from_str(&requests.iter().find(|r| r.path == "/slack").unwrap().body).unwrap();
    assert_eq!(slack["blocks"][0]["type"], "header");
    assert!(slack["blocks"][1]["text"]["text"].as_str().unwrap().contains(":red_circle: *CRITICAL*"));
    for request in &requests {
        assert_eq!(request.header("Content-Type"), Some("application/json"));
    }
}

#[test]
fn a_webhook_body_template_and_notify_test() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let playbook = format!(
        r#"version: 1
name: templated
checks:
  - id: down
    command: {{shell: "exit 2"}}
notify:
  - id: pager
    webhook:
      url: "{url}"
      method: PUT
      headers: {{X-Team: ops}}
      body: '{{{{ alert.kind }}}} {{{{ alert.stream }}}} {{{{ summary.critical }}}} {{{{ run.status }}}}'
"#,
        url = server.url("/page")
    );
    let test = Test::new().file("p.yaml", &playbook);
    test.run_args(&["run", "p.yaml"]);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method, "PUT");
    assert_eq!(requests[0].header("X-Team"), Some("ops"));
    assert_eq!(requests[0].body, "problem down 1 critical");
    let output = test.run_args(&["notify", "test", "p.yaml", "pager"]);
    assert_eq!(output.code, 0, "{}{}", output.stdout, output.stderr);
    assert!(output.stdout.contains("sent a test message through `pager`"));
    assert_eq!(server.requests().len(), 2);
    assert_eq!(server.requests()[1].body, "test playbook 0 ok");
    let output = test.run_args(&["notify", "test", "p.yaml", "nope"]);
    assert_eq!(output.code, 64);
    assert!(output.stderr.contains("has no channel `nope` (its channels: pager)"));
}

#[test]
fn alerts_shows_the_current_state() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "    after: 2\n"));
    run_with(&test, 2);
    let output = test.run_args(&["alerts"]);
    assert!(output.stdout.contains("alerting/hook/flappy"), "{}", output.stdout);
    assert!(output.stdout.contains("failing, not yet alerted (1 run)"), "{}", output.stdout);
    run_with(&test, 2);
    let output = test.run_args(&["alerts", "alerting"]);
    assert!(output.stdout.contains("ALERTING (CRITICAL alert raised"), "{}", output.stdout);
}

#[test]
fn playbook_scope_is_one_stream() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let playbook = format!(
        r#"version: 1
name: scoped
checks:
  - id: a
    command: {{shell: 'exit $(cat a)', nagios: true}}
  - id: b
    command: {{shell: 'exit $(cat b)', nagios: true}}
notify:
  - id: hook
    webhook: {{url: "{url}"}}
    scope: playbook
"#,
        url = server.url("/hook")
    );
    let test = Test::new().file("p.yaml", &playbook).file("a", "2").file("b", "2");
    test.run_args(&["run", "p.yaml"]);
    std::fs::write(test.path("a"), "0").unwrap();
    test.run_args(&["run", "p.yaml"]);
    std::fs::write(test.path("b"), "0").unwrap();
    test.run_args(&["run", "p.yaml"]);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
    let problem: serde_json::Value = serde_json::from_str(&server.requests()[0].body).unwrap();
    assert_eq!(problem["alert"]["stream"], "playbook");
    assert!(problem["alert"]["text"].as_str().unwrap().contains("CRITICAL a"));
    assert!(problem["alert"]["text"].as_str().unwrap().contains("CRITICAL b"));
}

/// [`playbook`] with a body template on its webhook (`body`, YAML single-quoted).
fn templated_playbook(url: &str, body: &str, channel_extra: &str) -> String {
    let inline = format!("webhook: {{url: \"{url}\"}}");
    let templated = format!("webhook: {{url: \"{url}\", body: '{body}'}}");
    let text = playbook(url, channel_extra);
    assert!(text.contains(&inline), "the playbook's webhook changed: update this helper");
    text.replace(&inline, &templated)
}

#[test]
fn a_failing_body_template_still_delivers_the_default_body_once_at_the_right_time() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let body = r#"{"t": "{{ undefined_thing.x }}"}"#;
    let test = Test::new().file("p.yaml", &templated_playbook(&server.url("/hook"), body, "    after: 2\n"));
    // The template is only wrong at run time: validate accepts it.
    assert_eq!(test.run_args(&["validate", "p.yaml"]).code, 0);
    assert_eq!(run_with(&test, 2), 2);
    assert!(server.requests().is_empty(), "alerted before the second failing run");
    std::fs::write(test.path("status"), "2").unwrap();
    let output = test.run_args(&["run", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    // One alert, with the default body (the alert and its RunRecord, as JSON).
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{}", output.stdout);
    let sent: serde_json::Value = serde_json::from_str(&requests[0].body).unwrap();
    assert_eq!(sent["alert"]["kind"], "problem");
    assert_eq!(sent["alert"]["streak"], 2);
    assert_eq!(sent["run"]["checks"][0]["id"], "flappy");
    let key = sent["idempotency_key"].as_str().unwrap();
    assert!(key.starts_with("alerting:hook:flappy:problem:"), "{key}");
    assert_eq!(requests[0].header("Idempotency-Key"), Some(key));
    assert_eq!(requests[0].header("Content-Type"), Some("application/json"));
    // The notify stage says what happened, with a useful reason, and that it was sent.
    let line = output.stdout.lines().find(|l| l.contains("body template failed")).unwrap_or_else(|| {
        panic!("the notify stage does not mention the template:\n{}", output.stdout);
    });
    assert!(line.contains("hook: PROBLEM CRITICAL alerting/flappy"), "{line}");
    assert!(line.contains("body template failed (undefined value"), "{line}");
    assert!(line.contains("undefined_thing"), "the reason names the expression: {line}");
    assert!(line.contains("using the default body"), "{line}");
    assert!(line.ends_with("— sent"), "{line}");
    assert!(!output.stdout.contains("nothing to send"), "{}", output.stdout);
    assert!(output.stderr.contains("the body template failed to render"), "logged: {}", output.stderr);
    // Delivered once: nothing waits, and later failing runs send nothing more.
    let alerts = test.run_args(&["alerts"]);
    assert!(alerts.stdout.contains("outbox: 0 messages waiting"), "{}", alerts.stdout);
    run_with(&test, 2);
    assert_eq!(server.requests().len(), 1, "the problem is raised once");
    // The recovery goes the same way.
    run_with(&test, 0);
    assert_eq!(kinds(&server), ["problem", "recovery"]);
}

#[test]
fn every_kind_of_body_template_failure_falls_back_and_notify_test_says_why() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    for (body, reason) in [
        (r#"{"t": "{{ 1/0 }}"}"#, "unable to calculate 1 / 0"),
        (r#"{"t": "{{ run.nope.deeper }}"}"#, "`run.nope` is undefined"),
        (r#"{"t": "{{ undefined_thing.x }}"}"#, "`undefined_thing` is undefined"),
    ] {
        let before = server.requests().len();
        let test = Test::new().file("p.yaml", &templated_playbook(&server.url("/hook"), body, ""));
        std::fs::write(test.path("status"), "2").unwrap();
        let output = test.run_args(&["run", "p.yaml"]);
        assert_eq!(server.requests().len(), before + 1, "{body}: {}", output.stdout);
        let sent: serde_json::Value = serde_json::from_str(&server.requests()[before].body).unwrap();
        assert_eq!(sent["alert"]["kind"], "problem", "{body}");
        assert!(output.stdout.contains("body template failed ("), "{body}: {}", output.stdout);
        assert!(!output.stdout.contains("body template failed ()"), "{body}: an empty reason");
        assert!(output.stdout.contains(reason), "{body}: the reason names `{reason}`: {}", output.stdout);
        // `notify test`: the default body goes, and the command says why and exits 65.
        let output = test.run_args(&["notify", "test", "p.yaml", "hook"]);
        assert_eq!(output.code, 65, "{body}: {}{}", output.stdout, output.stderr);
        assert_eq!(server.requests().len(), before + 2, "{body}: the test message was sent");
        let sent: serde_json::Value = serde_json::from_str(&server.requests()[before + 1].body).unwrap();
        assert_eq!(sent["alert"]["kind"], "test", "{body}");
        assert!(output.stdout.contains("with the default body: its body template failed ("), "{}", output.stdout);
        assert!(output.stdout.contains(reason), "{body}: {}", output.stdout);
        assert!(!output.stderr.contains("cannot render the body template: \n"), "{}", output.stderr);
    }
}

#[test]
fn the_outbox_count_and_its_listing_are_the_same_messages() {
    let server = Server::with(|_| Reply::status(503, "busy"));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "    after: 1\n"));
    run_with(&test, 2);
    assert_eq!(server.requests().len(), 1, "one message, refused: it waits");
    // Newer messages that do not wait: a dozen delivered, one dropped, and a grouped
    // member carried by the waiting one (it goes out inside it).
    let copy = |n: usize, set: &str| {
        format!(
            "INSERT INTO outbox (idempotency, playbook, file, channel, kind, summary, body, created_ms, due_ms, {set})
             SELECT idempotency || '-{n}', playbook, file, channel, kind, 'not waiting {n}', body, created_ms + {n}, due_ms, "
        )
    };
    for n in 0..12 {
        test.sql(&format!("{}1 FROM outbox WHERE id = 1", copy(n, "delivered_ms")));
    }
    test.sql(&format!("{}'gone' FROM outbox WHERE id = 1", copy(12, "dropped")));
    test.sql(&format!("{}1 FROM outbox WHERE id = 1", copy(13, "carried_by")));
    let alerts = test.run_args(&["alerts"]);
    assert!(alerts.stdout.contains("outbox: 1 message waiting"), "{}", alerts.stdout);
    let listed: Vec<&str> = alerts.stdout.lines().filter(|l| l.starts_with("  hook: ")).collect();
    assert_eq!(listed.len(), 1, "{}", alerts.stdout);
    assert!(!listed[0].contains("not waiting"), "{}", alerts.stdout);
}
