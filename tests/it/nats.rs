//! The `nats` kind against the machine's NATS server (127.0.0.1:4222, JetStream on), with
//! streams and consumers the tests make through JetStream's API (with a client of the
//! tests' own, not the library the probe uses); `nats-server`s the tests start on free
//! ports with a user and password or a token; a refused port and a port that accepts and
//! never answers. Time limits are asserted with a generous margin.

use std::time::Duration;

use crate::support::nats::NatsClient;
use crate::support::one_check::{assert_secret_stays_hidden, run};
use crate::support::redis::free_port;
use crate::support::server::{ServerProcess, folder};
use crate::support::{Test, repo};

const URL: &str = "nats://127.0.0.1:4222";

/// A JetStream stream of the test's own (in memory, subjects `NAME.>`), deleted when
/// dropped.
struct TestStream {
    name: String,
    client: NatsClient,
}

impl TestStream {
    fn create(purpose: &str) -> TestStream {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let name = format!("RUNNER_TEST_{purpose}_{}_{nanos}", std::process::id());
        let mut client = NatsClient::connect(4222);
        let reply = client.request(
            &format!("$JS.API.STREAM.CREATE.{name}"),
            &format!(r#"{{"name":"{name}","subjects":["{name}.>"],"storage":"memory"}}"#),
        );
        assert!(!reply.contains("\"error\""), "{reply}");
        TestStream { name, client }
    }

    /// Publishes `count` messages and waits for JetStream to store each.
    fn publish(&mut self, count: usize) {
        for n in 0..count {
            let reply = self.client.request(&format!("{}.m", self.name), &format!("message {n}"));
            assert!(reply.contains("\"seq\""), "{reply}");
        }
    }

    /// A durable pull consumer that acknowledges explicitly.
    fn add_consumer(&mut self, consumer: &str) {
        let name = &self.name;
        let reply = self.client.request(
            &format!("$JS.API.CONSUMER.DURABLE.CREATE.{name}.{consumer}"),
            &format!(
                r#"{{"stream_name":"{name}","config":{{"durable_name":"{consumer}","ack_policy":"explicit","deliver_policy":"all"}}}}"#
            ),
        );
        assert!(!reply.contains("\"error\""), "{reply}");
    }

    /// Fetches `count` messages for `consumer` and acknowledges the first `acked` of them.
    fn fetch(&mut self, consumer: &str, count: usize, acked: usize) {
        let next = format!("$JS.API.CONSUMER.MSG.NEXT.{}.{consumer}", self.name);
        let messages = self.client.request_many(&next, &format!(r#"{{"batch":{count}}}"#), count);
        for message in &messages[..acked] {
            self.client.publish(message.reply.as_deref().expect("a JetStream message has its ack subject"), "+ACK");
        }
    }
}

impl Drop for TestStream {
    fn drop(&mut self) {
        let _ = self.client.request(&format!("$JS.API.STREAM.DELETE.{}", self.name), "");
    }
}

#[test]
fn nats_connects_and_a_request_makes_the_round_trip_through_the_server() {
    let (check, _) = run(&format!("nats: {{url: \"{URL}\"}}"));
    assert_eq!(check["status"], "ok", "{check}");
    assert!(check["message"].as_str().unwrap().starts_with("connected to 127.0.0.1:4222 in "), "{check}");
    assert!(check["metrics"]["latency_ms"].as_f64().unwrap() > 0.0, "{check}");

    let (check, _) = run(&format!("nats: {{url: \"{URL}\", subject: runner.test.health}}"));
    assert_eq!(check["status"], "ok", "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.starts_with("connected to 127.0.0.1:4222; a request on `runner.test.health.*` came back in "),
        "{check}"
    );
}

#[test]
fn nats_reads_a_streams_messages_and_what_its_consumers_have_pending() {
    let mut stream = TestStream::create("counts");
    stream.add_consumer("first");
    stream.publish(5);
    let name = stream.name.clone();

    let (check, _) = run(&format!("nats: {{url: \"{URL}\", stream: {name}, consumer: first}}"));
    assert_eq!(check["status"], "ok", "{check}");
    assert_eq!(check["metrics"]["messages"], 5.0, "{check}");
    assert_eq!(check["metrics"]["pending"], 5.0, "{check}");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains(&format!("stream `{name}`: 5 messages, consumer `first`: 5 pending"))
    );

    // Without `consumer`, the pending messages of all the stream's consumers, summed.
    stream.add_consumer("second");
    let (check, _) = run(&format!("nats: {{url: \"{URL}\", stream: {name}}}"));
    assert_eq!(check["status"], "ok", "{check}");
    assert_eq!(check["metrics"]["messages"], 5.0, "{check}");
    assert_eq!(check["metrics"]["pending"], 10.0, "{check}");

    // Two delivered, one of them acknowledged: 3 not delivered + 1 not acknowledged.
    stream.fetch("first", 2, 1);
    let (check, _) = run(&format!("nats: {{url: \"{URL}\", stream: {name}, consumer: first}}"));
    assert_eq!(check["metrics"]["pending"], 4.0, "{check}");
    assert_eq!(check["metrics"]["messages"], 5.0, "{check}");

    let (check, _) = run(&format!(
        "nats: {{url: \"{URL}\", stream: {name}, consumer: first}}\nthresholds:\n  pending: {{warn: \"> 3\"}}"
    ));
    assert_eq!(check["status"], "warning", "{check}");
}

#[test]
fn nats_a_missing_stream_or_consumer_is_said_plainly() {
    let stream = TestStream::create("missing");
    let (check, _) = run(&format!("nats: {{url: \"{URL}\", stream: NO_SUCH_STREAM_RUNNER}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], "JetStream stream `NO_SUCH_STREAM_RUNNER` does not exist", "{check}");

    let (check, _) = run(&format!("nats: {{url: \"{URL}\", stream: {}, consumer: nobody}}", stream.name));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], format!("consumer `nobody` of stream `{}` does not exist", stream.name), "{check}");
}

#[test]
fn nats_a_wrong_password_or_token_is_an_authentication_failure_in_no_output() {
    let with_password = ServerProcess::start("nats-server", folder(), |port, _| {
        ["-a", "127.0.0.1", "-p", &port.to_string(), "--user", "runner", "--pass", "right-pw"]
            .map(String::from)
            .to_vec()
    });
    let port = with_password.port;
    let (check, _) = run(&format!("nats: {{url: \"nats://runner:right-pw@127.0.0.1:{port}\", subject: t.rt}}"));
    assert_eq!(check["status"], "ok", "{check}");
    let (check, _) = run(&format!("nats: {{url: \"nats://127.0.0.1:{port}\"}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert!(check["message"].as_str().unwrap().starts_with("authentication failed"), "{check}");
    let secret = "Wr0ng-nats-Pw-91b0";
    assert_secret_stays_hidden(
        &format!("nats: {{url: \"nats://127.0.0.1:{port}\", username: runner, password: \"${{SECRET}}\"}}"),
        secret,
        "authentication failed",
    );
    assert_secret_stays_hidden(
        &format!("nats: {{url: \"nats://runner:${{SECRET}}@127.0.0.1:{port}\"}}"),
        secret,
        "authentication failed",
    );

    let with_token = ServerProcess::start("nats-server", folder(), |port, _| {
        ["-a", "127.0.0.1", "-p", &port.to_string(), "--auth", "Right-Token-5a5a"].map(String::from).to_vec()
    });
    let port = with_token.port;
    let (check, _) = run(&format!("nats: {{url: \"nats://Right-Token-5a5a@127.0.0.1:{port}\"}}"));
    assert_eq!(check["status"], "ok", "{check}");
    let (check, _) = run(&format!("nats: {{url: \"nats://127.0.0.1:{port}\", token: Right-Token-5a5a}}"));
    assert_eq!(check["status"], "ok", "{check}");
    assert_secret_stays_hidden(
        &format!("nats: {{url: \"nats://127.0.0.1:{port}\", token: \"${{SECRET}}\"}}"),
        "Wr0ng-nats-Token-3c3c",
        "authentication failed",
    );
}

#[test]
fn nats_refused_port_and_tls_against_a_plain_server_fail_fast_and_plainly() {
    let port = free_port();
    let (check, _) = run(&format!("nats: {{url: \"nats://127.0.0.1:{port}\"}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], format!("connection refused (127.0.0.1:{port})"), "{check}");

    let (check, elapsed) = run("timeout: 10s\nnats: {url: \"tls://127.0.0.1:4222\"}");
    assert_eq!(check["status"], "critical", "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(message.starts_with("TLS with 127.0.0.1:4222 failed"), "{check}");
    assert!(message.ends_with("the server does not speak TLS on this port"), "{check}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn nats_silent_port_ends_at_the_checks_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (check, elapsed) =
        run(&format!("timeout: 1s\nnats: {{url: \"nats://127.0.0.1:{port}\", subject: t.rt, stream: S}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert!(check["message"].as_str().unwrap().contains("timed out"), "{check}");
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    drop(listener);
}

#[test]
fn nats_the_shipped_example_runs_green_against_the_machines_nats() {
    let mut stream = TestStream::create("example");
    stream.add_consumer("workers");
    stream.publish(3);
    Test::new()
        .cwd(repo())
        .env("NATS_STREAM", &stream.name)
        .args(["run", "--no-store", "examples/nats.yaml"])
        .expect_code(0);
}

#[test]
fn nats_password_and_username_keys_override_the_urls() {
    let server = ServerProcess::start("nats-server", folder(), |port, _| {
        ["-a", "127.0.0.1", "-p", &port.to_string(), "--user", "runner", "--pass", "right-pw"]
            .map(String::from)
            .to_vec()
    });
    let port = server.port;
    let (check, _) = run(&format!("nats: {{url: \"nats://runner:WrongInUrl1@127.0.0.1:{port}\", password: right-pw}}"));
    assert_eq!(check["status"], "ok", "the password key overrides the URL's: {check}");
    let (check, _) =
        run(&format!("nats: {{url: \"nats://alice:right-pw@127.0.0.1:{port}\", username: runner, subject: t.rt}}"));
    assert_eq!(check["status"], "ok", "the username key overrides the URL's: {check}");
    let (check, _) = run(&format!("nats: {{url: \"nats://runner:right-pw@127.0.0.1:{port}\", password: wrong-pw}}"));
    assert!(check["message"].as_str().unwrap().starts_with("authentication failed"), "{check}");

    // A token URL with a password: which one is meant is not guessed.
    let test = Test::new().file(
        "p.yaml",
        &crate::support::one_check::playbook(&format!(
            "nats: {{url: \"nats://runner@127.0.0.1:{port}\", password: right-pw}}"
        )),
    );
    let output = test.run_args(&["validate", "p.yaml"]);
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(said.contains("`password` beside a token URL"), "{said}");
    assert!(said.contains("write the user in `username`"), "{said}");
}
