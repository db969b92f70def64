//! The `mqtt` kind against real brokers: the machine's Mosquitto (127.0.0.1:1883, anonymous
//! allowed), and Mosquittos the tests start on free ports with a password file made by
//! `mosquitto_passwd` and an ACL; a refused port and a port that accepts and never
//! answers. Time limits are asserted with a generous margin.

use std::time::Duration;

use crate::support::one_check::{assert_secret_stays_hidden, run};
use crate::support::redis::free_port;
use crate::support::server::{ServerProcess, folder, run_tool};
use crate::support::{Test, repo};

/// A Mosquitto with logins: `reader` may only read `t/#`, `admin` may read and write it.
fn mosquitto_with_logins() -> ServerProcess {
    let dir = folder();
    let passwords = dir.path().join("passwd").display().to_string();
    run_tool("mosquitto_passwd", &["-b", "-c", &passwords, "reader", "reader-pw"]);
    run_tool("mosquitto_passwd", &["-b", &passwords, "admin", "admin-pw"]);
    std::fs::set_permissions(&passwords, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    std::fs::write(dir.path().join("acl"), "user reader\ntopic read t/#\n\nuser admin\ntopic readwrite t/#\n").unwrap();
    ServerProcess::start("mosquitto", dir, |port, dir| {
        let config = dir.join(format!("mosquitto-{port}.conf"));
        let text = format!(
            "listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {0}/passwd\nacl_file {0}/acl\npersistence false\n",
            dir.display()
        );
        std::fs::write(&config, text).unwrap();
        vec!["-c".into(), config.display().to_string()]
    })
}

#[test]
fn mqtt_connects_to_the_machines_broker_and_sends_a_message_through_a_topic() {
    let (check, _) = run("mqtt: {url: \"mqtt://127.0.0.1:1883\"}");
    assert_eq!(check["status"], "ok", "{check}");
    assert!(check["message"].as_str().unwrap().starts_with("connected to 127.0.0.1:1883 in "), "{check}");
    assert!(check["metrics"]["latency_ms"].as_f64().unwrap() > 0.0, "{check}");

    let (check, _) = run("mqtt: {url: \"mqtt://127.0.0.1:1883\", topic: runner/test/health}");
    assert_eq!(check["status"], "ok", "{check}");
    assert!(
        check["message"].as_str().unwrap().starts_with("published and received a message on `runner/test/health` in "),
        "{check}"
    );
    assert!(check["metrics"]["latency_ms"].as_f64().unwrap() > 0.0, "{check}");
}

#[test]
fn mqtt_a_stale_retained_message_cannot_pass_for_the_probes_own() {
    let broker = mosquitto_with_logins();
    let port = broker.port.to_string();
    // A retained message waits on the topic; `reader` receives it on subscribing but may
    // not publish, so its own message never arrives.
    run_tool(
        "mosquitto_pub",
        &[
            "-h",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "admin",
            "-P",
            "admin-pw",
            "-t",
            "t/health",
            "-r",
            "-m",
            "runner probe old",
        ],
    );
    let (check, elapsed) =
        run(&format!("timeout: 2s\nmqtt: {{url: \"mqtt://reader:reader-pw@127.0.0.1:{port}\", topic: t/health}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert!(check["message"].as_str().unwrap().contains("did not come back"), "{check}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");

    // The user who may write passes, with the same retained message there.
    let (check, _) = run(&format!(
        "mqtt: {{url: \"mqtt://127.0.0.1:{port}\", username: admin, password: admin-pw, topic: t/health}}"
    ));
    assert_eq!(check["status"], "ok", "{check}");
}

#[test]
fn mqtt_a_wrong_password_is_an_authentication_failure_in_no_output() {
    let broker = mosquitto_with_logins();
    let port = broker.port;
    let (check, _) = run(&format!("mqtt: {{url: \"mqtt://127.0.0.1:{port}\"}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert!(check["message"].as_str().unwrap().starts_with("authentication failed"), "{check}");

    let secret = "Wr0ng-mqtt-Pw-4e1d";
    assert_secret_stays_hidden(
        &format!("mqtt: {{url: \"mqtt://127.0.0.1:{port}\", username: reader, password: \"${{SECRET}}\"}}"),
        secret,
        "authentication failed",
    );
    assert_secret_stays_hidden(
        &format!("mqtt: {{url: \"mqtt://reader:${{SECRET}}@127.0.0.1:{port}\", topic: t/x}}"),
        secret,
        "authentication failed",
    );
}

#[test]
fn mqtt_refused_port_and_tls_against_a_plain_broker_fail_fast_and_plainly() {
    let port = free_port();
    let (check, _) = run(&format!("mqtt: {{url: \"mqtt://127.0.0.1:{port}\"}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], format!("connection refused (127.0.0.1:{port})"), "{check}");

    let (check, elapsed) = run("timeout: 10s\nmqtt: {url: \"mqtts://127.0.0.1:1883\"}");
    assert_eq!(check["status"], "critical", "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(message.starts_with("TLS handshake with 127.0.0.1:1883 failed"), "{check}");
    assert!(message.ends_with("the server does not speak TLS on this port"), "{check}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
}

#[test]
fn mqtt_silent_port_ends_at_the_checks_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts (the kernel does, from the backlog) and never answers.
    let (check, elapsed) = run(&format!("timeout: 1s\nmqtt: {{url: \"mqtt://127.0.0.1:{port}\", topic: t/x}}"));
    assert_eq!(check["status"], "critical", "{check}");
    assert_eq!(check["message"], "timed out after 1s", "{check}");
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    drop(listener);
}

#[test]
fn mqtt_the_shipped_example_runs_green_against_the_machines_broker() {
    Test::new().cwd(repo()).args(["run", "--no-store", "examples/mqtt.yaml"]).expect_code(0);
}
