//! The `amqp` kind against the machine's RabbitMQ (127.0.0.1:5672, guest/guest), with
//! queues the tests declare, fill and consume from with `amqp-tools` (librabbitmq's
//! command-line client, not the codec the probe uses); a refused port and a port that
//! accepts and never answers. Time limits are asserted with a generous margin.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::one_check::{assert_secret_stays_hidden, run};
use crate::support::redis::free_port;
use crate::support::server::run_tool;
use crate::support::{Test, repo};

const URL: &str = "amqp://guest:guest@127.0.0.1:5672/%2F";

/// A queue of the test's own on the machine's RabbitMQ, deleted when dropped, with a
/// consumer when one is started.
struct TestQueue {
    name: String,
    consumer: Option<Child>,
}

impl TestQueue {
    fn declare(purpose: &str) -> TestQueue {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("runner-test-{purpose}-{}-{nanos}", std::process::id());
        run_tool("amqp-declare-queue", &["--url", URL, "-q", &name]);
        TestQueue { name, consumer: None }
    }

    fn publish(&self, count: usize) {
        for n in 0..count {
            run_tool("amqp-publish", &["--url", URL, "-r", &self.name, "-b", &format!("message {n}")]);
        }
    }

    /// A consumer that takes one message at a time and never finishes it: the message
    /// stays unacknowledged, the others ready in the queue.
    fn start_consumer(&mut self) {
        let child = Command::new("amqp-consume")
            .args(["--url", URL, "-q", &self.name, "-p", "1", "sleep", "600"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("amqp-consume is installed (tests/run installs amqp-tools)");
        self.consumer = Some(child);
    }
}

impl Drop for TestQueue {
    fn drop(&mut self) {
        if let Some(mut consumer) = self.consumer.take() {
            let _ = consumer.kill();
            let _ = consumer.wait();
        }
        let _ = Command::new("amqp-delete-queue").args(["--url", URL, "-q", &self.name]).output();
    }
}

#[test]
fn amqp_logs_in_to_the_machines_rabbitmq() {
    for url in [URL, "amqp://guest:guest@127.0.0.1:5672/", "amqp://127.0.0.1"] {
        let (check, _) = run(&format!("amqp: {{url: \"{url}\"}}"));
        assert_eq!(check["status"], "ok", "{url}: {check}");
        assert!(check["message"].as_str().unwrap().starts_with("logged in to vhost `/` in "), "{check}");
        assert!(check["metrics"]["latency_ms"].as_f64().unwrap() > 0.0, "{check}");
    }
}

#[test]
fn amqp_reads_a_queues_depth_and_consumers() {
    let mut queue = TestQueue::declare("depth");
    queue.publish(3);
    let body = format!("amqp: {{url: \"{URL}\", queue: {}}}", queue.name);
    let (check, _) = run(&body);
    assert_eq!(check["status"], "ok", "{check}");
    assert_eq!(check["metrics"]["messages"], 3.0, "{check}");
    assert_eq!(check["metrics"]["consumers"], 0.0, "{check}");
    assert!(
        check["message"].as_str().unwrap().starts_with(&format!("queue `{}`: 3 messages, 0 consumers in ", queue.name))
    );

    // A consumer holds one message unacknowledged: two stay ready.
    queue.start_consumer();
    let started = Instant::now();
    let check = loop {
        let (check, _) = run(&body);
        if check["metrics"]["consumers"] == 1.0 && check["metrics"]["messages"] == 2.0 {
            break check;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the consumer never showed: {check}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(check["status"], "ok", "{check}");

    // Thresholds on the metrics judge them.
    let (check, _) = run(&format!("{body}\nthresholds:\n  messages: {{crit: \">= 2\"}}"));
    assert_eq!(check["status"], "critical", "{check}");
}

#[test]
fn amqp_a_missing_queue_is_said_and_never_created() {
    let name = format!("runner-test-missing-{}", std::process::id());
    for _ in 0..2 {
        let (check, _) = run(&format!("amqp: {{url: \"{URL}\", queue: {name}}}"));
        assert_eq!(check["status"], "critical", "{check}");
        assert_eq!(check["message"], format!("queue `{name}` does not exist in vhost `/`"), "{check}");
    }
    // The second run found no queue either: the first did not create it.
}

#[test]
fn amqp_a_wrong_password_and_a_wrong_vhost_are_said_plainly_and_the_password_nowhere() {
    let (check, _) = run("amqp: {url: \"amqp://guest:not-the-password@127.0.0.1:5672/\"}");
    assert_eq!(check["status"], "critical", "{check}");
    assert!(
        check["message"].as_str().unwrap().starts_with("authentication failed (wrong user or password)"),
        "{check}"
    );

    let (check, _) = run("amqp: {url: \"amqp://guest:guest@127.0.0.1:5672/no-such-vhost\"}");
    assert_eq!(check["status"], "critical", "{check}");
    assert!(check["message"].as_str().unwrap().starts_with("access to vhost `no-such-vhost` refused"), "{check}");

    assert_secret_stays_hidden(
        "amqp: {url: \"amqp://guest:${SECRET}@127.0.0.1:5672/\"}",
        "Wr0ng-amqp-Pw-77c2",
        "authentication failed",
    );
}

#[test]
fn amqp_refused_port_and_tls_against_a_plain_broker_fail_fast_and_plainly() {
    let port = free_port();
    let (check, _) = run(&format!("amqp: {{url: \"amqp://guest:guest@127.0.0.1:{port}/\"}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], format!("connection refused (127.0.0.1:{port})"), "{check}");

    let (check, elapsed) = run("timeout: 10s\namqp: {url: \"amqps://guest:guest@127.0.0.1:5672/\"}");
    assert_eq!(check["status"], "critical", "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(message.starts_with("TLS handshake with 127.0.0.1:5672 failed"), "{check}");
    assert!(message.ends_with("the server does not speak TLS on this port"), "{check}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn amqp_silent_port_ends_at_the_checks_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (check, elapsed) = run(&format!("timeout: 1s\namqp: {{url: \"amqp://127.0.0.1:{port}\", queue: q}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], "timed out after 1s", "{check}");
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    drop(listener);
}

#[test]
fn amqp_the_shipped_example_runs_green_against_the_machines_rabbitmq() {
    let mut queue = TestQueue::declare("example");
    queue.start_consumer();
    let started = Instant::now();
    loop {
        let output = Test::new()
            .cwd(repo())
            .env("AMQP_QUEUE", &queue.name)
            .args(["run", "--no-store", "examples/amqp.yaml"])
            .run();
        if output.code == 0 {
            break;
        }
        // The consumer may not have registered yet.
        assert!(started.elapsed() < Duration::from_secs(15), "{}\n{}", output.stdout, output.stderr);
        std::thread::sleep(Duration::from_millis(200));
    }
}
