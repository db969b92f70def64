//! Delivery without duplicates and without loss, against real receivers: a slow answer
//! within the attempt timeout is sent once; a repeat happens only after a crash or an
//! answer slower than the attempt timeout, with the same idempotency key; every attempt
//! is recorded; the daemon delivers what any run queued, and names what it cannot.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::alerts::{kinds, playbook, run_with};
use crate::daemon::{Daemon, wait_until};
use crate::support::Test;
use crate::support::http::{Reply, Server};

/// The delivery attempts recorded: `attempt|outcome|http_status`, one per line.
pub(crate) fn attempts(test: &Test) -> String {
    test.sql("SELECT attempt, outcome, http_status FROM delivery_attempts ORDER BY message_id, attempt")
}

#[test]
fn a_receiver_that_answers_after_8_seconds_gets_exactly_one_post() {
    let server = Server::with(|_| Reply::status(200, "ok").delayed(Duration::from_secs(8)));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "")).env("RUNNER_OUTBOX_BACKOFF", "100ms");
    std::fs::write(test.path("status"), "2").unwrap();
    let output = test.run_args(&["run", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output.stdout.contains("hook: PROBLEM CRITICAL alerting/flappy (1 failing run) — sent"),
        "{}",
        output.stdout
    );
    assert!(output.elapsed >= Duration::from_secs(8), "the run waited for the answer: {:?}", output.elapsed);
    assert_eq!(attempts(&test), "1|delivered|200");
    // Nothing is left to resend, however soon the next run comes.
    std::thread::sleep(Duration::from_millis(200));
    run_with(&test, 2);
    assert_eq!(server.requests().len(), 1, "exactly one POST");
}

#[test]
fn an_answer_slower_than_the_attempt_timeout_is_sent_again_with_the_same_key() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Server::with(move |_| {
        let reply = Reply::status(200, "ok");
        if counter.fetch_add(1, Ordering::SeqCst) == 0 { reply.delayed(Duration::from_secs(12)) } else { reply }
    });
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "")).env("RUNNER_OUTBOX_BACKOFF", "100ms");
    std::fs::write(test.path("status"), "2").unwrap();
    let output = test.run_args(&["run", "p.yaml"]);
    assert!(output.elapsed >= Duration::from_secs(10), "the attempt ran its full timeout: {:?}", output.elapsed);
    assert!(output.stdout.contains("not delivered ("), "{}", output.stdout);
    assert!(output.stdout.contains("queued, next try in"), "{}", output.stdout);
    std::thread::sleep(Duration::from_millis(200));
    run_with(&test, 2);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "sent again after the timeout");
    assert_eq!(requests[0].header("Idempotency-Key"), requests[1].header("Idempotency-Key"));
    let body: serde_json::Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(Some(body["idempotency_key"].as_str().unwrap()), requests[1].header("Idempotency-Key"));
    assert_eq!(attempts(&test), "1|retry|\n2|delivered|200");
    let error = test.sql("SELECT error FROM delivery_attempts WHERE attempt = 1");
    assert!(error.contains("timed out"), "{error}");
}

/// A playbook without a schedule (only ever run by hand), alerting `${HOOK_URL}`.
const MANUAL: &str = r#"version: 1
name: manual
checks:
  - id: down
    command: {shell: "exit 2"}
notify:
  - id: hook
    webhook: {url: "${HOOK_URL}"}
"#;

/// The daemon's own playbook, which has nothing to do with `manual`.
const HOURLY: &str = r#"version: 1
name: hourly
schedule: {cron: "0 * * * *", timezone: UTC}
checks:
  - id: fine
    command: {shell: "true"}
"#;

/// A receiver that answers 503 until `open` is set, then 200 after `delay`.
fn gated_receiver(delay: Duration) -> (Server, Arc<Mutex<bool>>) {
    let open = Arc::new(Mutex::new(false));
    let gate = open.clone();
    let server = Server::with(move |_| {
        if *gate.lock().unwrap() { Reply::status(200, "ok").delayed(delay) } else { Reply::status(503, "busy") }
    });
    (server, open)
}

/// `manual` run once by hand with the receiver closed: its problem waits in the outbox.
fn queued_by_a_manual_run(server: &Server) -> Test {
    let test = Test::new()
        .file("manual/p.yaml", MANUAL)
        .file("daemon/hourly.yaml", HOURLY)
        .env("HOOK_URL", &server.url("/hook"))
        .env("RUNNER_OUTBOX_BACKOFF", "100ms");
    let output = test.run_args(&["run", "manual/p.yaml"]);
    assert!(output.stdout.contains("queued, next try in"), "{}", output.stdout);
    assert_eq!(server.requests().len(), 1);
    // Due again (the backoff is over) before a daemon starts: its first tick drains it.
    std::thread::sleep(Duration::from_millis(200));
    test
}

/// A daemon whose environment lacks the webhook variable, once it names the queued
/// message as undeliverable on /healthz.
fn a_daemon_that_cannot_deliver_it(test: &Test) -> Daemon {
    let daemon = Daemon::start(test, "daemon", &[]);
    let named = || daemon.get("/healthz").is_some_and(|(code, body)| code == 503 && body.contains("manual/hook"));
    assert!(wait_until(Duration::from_secs(10), named), "{:?}", daemon.get("/healthz"));
    daemon
}

#[test]
fn the_daemon_delivers_what_a_manual_run_of_another_playbook_queued() {
    let (server, open) = gated_receiver(Duration::ZERO);
    let test = queued_by_a_manual_run(&server);
    *open.lock().unwrap() = true;
    let hook = server.url("/hook");
    let mut daemon = Daemon::start_with_env(&test, "daemon", &[], &[("HOOK_URL", hook.as_str())]);
    assert!(wait_until(Duration::from_secs(10), || server.requests().len() == 2), "the daemon delivered it");
    let requests = server.requests();
    assert_eq!(requests[0].header("Idempotency-Key"), requests[1].header("Idempotency-Key"));
    assert_eq!(kinds(&server), ["problem", "problem"]);
    assert!(
        wait_until(Duration::from_secs(5), || attempts(&test) == "1|retry|503\n2|delivered|200"),
        "{}",
        attempts(&test)
    );
    let (code, body) = daemon.get("/healthz").unwrap();
    assert_eq!(code, 200, "{body}");
    daemon.stop();
    let alerts = test.run_args(&["alerts"]);
    assert!(alerts.stdout.contains("outbox: 0 messages waiting"), "{}", alerts.stdout);
}

#[test]
fn a_message_the_daemon_cannot_deliver_stays_queued_and_is_named_on_healthz_and_in_alerts() {
    let (server, open) = gated_receiver(Duration::ZERO);
    let test = queued_by_a_manual_run(&server);
    *open.lock().unwrap() = true;
    let mut daemon = a_daemon_that_cannot_deliver_it(&test);
    let (_, body) = daemon.get("/healthz").unwrap();
    assert!(body.contains("notification manual/hook cannot be delivered here"), "{body}");
    assert!(body.contains("HOOK_URL"), "the reason names the variable: {body}");
    daemon.stop();
    assert_eq!(server.requests().len(), 1, "nothing was sent");
    let alerts = test.run_args(&["alerts"]);
    assert!(alerts.stdout.contains("outbox: 1 message waiting"), "{}", alerts.stdout);
    assert!(alerts.stdout.contains("undeliverable here"), "{}", alerts.stdout);
    assert!(alerts.stdout.contains("manual/hook: PROBLEM CRITICAL manual/down"), "{}", alerts.stdout);

    // The file gone: still queued, and the reason says so.
    std::fs::remove_file(test.path("manual/p.yaml")).unwrap();
    let hook = server.url("/hook");
    let mut daemon = Daemon::start_with_env(&test, "daemon", &[], &[("HOOK_URL", hook.as_str())]);
    let gone = || daemon.get("/healthz").is_some_and(|(_, body)| body.contains("cannot read its playbook"));
    assert!(wait_until(Duration::from_secs(10), gone), "{:?}", daemon.get("/healthz"));
    daemon.stop();
    assert_eq!(server.requests().len(), 1, "nothing was sent");
    let alerts = test.run_args(&["alerts"]);
    assert!(alerts.stdout.contains("outbox: 1 message waiting"), "{}", alerts.stdout);

    // Back in place: the next daemon delivers it, and nobody calls it undeliverable.
    std::fs::write(test.path("manual/p.yaml"), MANUAL).unwrap();
    let mut daemon = Daemon::start_with_env(&test, "daemon", &[], &[("HOOK_URL", hook.as_str())]);
    assert!(wait_until(Duration::from_secs(10), || server.requests().len() == 2), "delivered");
    assert!(wait_until(Duration::from_secs(5), || daemon.get("/healthz").is_some_and(|(code, _)| code == 200)));
    daemon.stop();
    let alerts = test.run_args(&["alerts"]);
    assert!(!alerts.stdout.contains("undeliverable"), "{}", alerts.stdout);
}

#[test]
fn an_undeliverable_message_is_logged_once_with_its_summary_under_its_own_key() {
    let (server, _closed) = gated_receiver(Duration::ZERO);
    let test = queued_by_a_manual_run(&server);
    let mut daemon = a_daemon_that_cannot_deliver_it(&test);
    // A few more ticks try it again, for the same reason.
    std::thread::sleep(Duration::from_secs(3));
    daemon.stop();
    let log = std::fs::read_to_string(test.path("daemon.log")).unwrap();
    let said: Vec<&str> = log.lines().filter(|line| line.contains("cannot deliver here")).collect();
    assert_eq!(said.len(), 1, "said once while the reason stays the same:\n{log}");
    assert_eq!(said[0].matches("\"message\":").count(), 1, "one `message` key: {}", said[0]);
    let line: serde_json::Value = serde_json::from_str(said[0]).unwrap();
    let summary = line["fields"]["summary"].as_str().unwrap_or_default();
    assert!(summary.contains("PROBLEM CRITICAL manual/down"), "{line}");
}

#[test]
fn a_daemon_stopped_mid_delivery_lets_the_attempt_finish_and_nothing_is_sent_twice() {
    let (server, open) = gated_receiver(Duration::from_secs(3));
    let test = queued_by_a_manual_run(&server);
    *open.lock().unwrap() = true;
    let hook = server.url("/hook");
    let mut daemon = Daemon::start_with_env(&test, "daemon", &[], &[("HOOK_URL", hook.as_str())]);
    assert!(wait_until(Duration::from_secs(10), || server.requests().len() == 2), "the daemon's attempt started");
    let started = std::time::Instant::now();
    assert_eq!(daemon.stop(), Some(0));
    assert!(started.elapsed() >= Duration::from_secs(2), "SIGTERM waited for the answer: {:?}", started.elapsed());
    assert_eq!(attempts(&test), "1|retry|503\n2|delivered|200");
    // A later deliverer has nothing to send again.
    let mut daemon = Daemon::start_with_env(&test, "daemon", &[], &[("HOOK_URL", hook.as_str())]);
    std::thread::sleep(Duration::from_millis(500));
    daemon.stop();
    assert_eq!(server.requests().len(), 2, "sent once by the daemon");
}

#[test]
fn runner_run_stopped_mid_delivery_lets_the_attempt_finish_and_nothing_is_sent_twice() {
    let server = Server::with(|_| Reply::status(200, "ok").delayed(Duration::from_secs(3)));
    let test = Test::new().file("p.yaml", &playbook(&server.url("/hook"), "")).env("RUNNER_OUTBOX_BACKOFF", "100ms");
    std::fs::write(test.path("status"), "2").unwrap();
    let mut run = test.spawn(&["run", "p.yaml"]);
    assert!(wait_until(Duration::from_secs(10), || !server.requests().is_empty()), "the delivery started");
    let stopped = std::time::Instant::now();
    // SAFETY: signalling our own child.
    unsafe { libc::kill(run.id() as i32, libc::SIGTERM) };
    assert_eq!(run.wait().unwrap().code(), Some(143));
    assert!(stopped.elapsed() >= Duration::from_secs(2), "it waited for the answer: {:?}", stopped.elapsed());
    assert_eq!(attempts(&test), "1|delivered|200");
    std::thread::sleep(Duration::from_millis(200));
    run_with(&test, 2);
    assert_eq!(server.requests().len(), 1, "exactly one POST");
}
