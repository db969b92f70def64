//! `/metrics` as Prometheus itself reads it: Debian's `prometheus` server scrapes a real
//! `runner daemon` running a per-second playbook, and its HTTP API is asked for the series
//! (names of the naming guide, every digit, the daemon's own `process_*`). Every wait is
//! bounded and both processes are killed at the end, on failure too.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::redis::free_port;
use crate::support::{Test, runner_bin};

/// A child process killed (SIGKILL) and reaped when dropped, even by a failing assertion.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One HTTP/1.0 request (no chunked answer, the server closes): (status, body).
fn http(port: u16, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(stream, "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").ok()?;
    let mut text = String::new();
    stream.read_to_string(&mut text).ok()?;
    let code = text.split_whitespace().nth(1)?.parse().ok()?;
    Some((code, text.split_once("\r\n\r\n")?.1.to_string()))
}

/// The result vector of an instant query (empty while Prometheus has no such series).
fn query(port: u16, promql: &str) -> Vec<serde_json::Value> {
    let encoded: String = promql
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b == b'_' { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    let Some((200, body)) = http(port, "GET", &format!("/api/v1/query?query={encoded}")) else { return Vec::new() };
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
    answer["data"]["result"].as_array().cloned().unwrap_or_default()
}

/// Polls until `promql` has a series, for at most `limit`.
fn wait_for_series(port: u16, promql: &str, limit: Duration) -> Vec<serde_json::Value> {
    let started = Instant::now();
    loop {
        let result = query(port, promql);
        if !result.is_empty() || started.elapsed() > limit {
            return result;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn value(series: &[serde_json::Value]) -> String {
    series.first().and_then(|s| s["value"][1].as_str()).unwrap_or("").to_string()
}

#[test]
fn prometheus_scrapes_the_daemon_and_reads_the_guides_names() {
    let playbook = r#"version: 1
name: scraped
schedule: {cron: "* * * * * *", timezone: UTC}
checks:
  - id: plugin
    command: {run: ["printf", "OK - fast | time=0.000381s;;;0\n"], nagios: true}
  - id: redis-port
    tcp: {address: "127.0.0.1:6379"}
"#;
    let runner_port = free_port();
    let prometheus_port = free_port();
    let test = Test::new().file("p/scraped.yaml", playbook).file(
        "prometheus.yml",
        &format!(
            "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
             scrape_configs:\n  - job_name: runner\n    scrape_interval: 1s\n    \
             static_configs: [{{targets: [\"127.0.0.1:{runner_port}\"]}}]\n"
        ),
    );
    let _daemon = Killed(
        Command::new(runner_bin())
            .args(["daemon", "p", "--listen", &format!("127.0.0.1:{runner_port}")])
            .current_dir(test.root())
            .env("RUNNER_STATE", test.path(".state"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let log = std::fs::File::create(test.path("prometheus.log")).unwrap();
    let _prometheus = Killed(
        Command::new("prometheus")
            .arg(format!("--config.file={}", test.path("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", test.path("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
            .current_dir(test.root())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("prometheus is installed (tests/run installs the prometheus package)"),
    );
    let prometheus_log = || std::fs::read_to_string(test.path("prometheus.log")).unwrap_or_default();

    let limit = Duration::from_secs(60);
    let up = wait_for_series(prometheus_port, "up{job=\"runner\"} == 1", limit);
    assert_eq!(value(&up), "1", "Prometheus never scraped the daemon:\n{}", prometheus_log());
    let success = wait_for_series(prometheus_port, "runner_check_success{check=\"plugin\"}", limit);
    assert_eq!(value(&success), "1", "{success:?}");
    assert_eq!(success[0]["metric"]["playbook"], "scraped");

    // A plugin's seconds keep every digit; a kind's milliseconds arrive as seconds.
    let time = query(prometheus_port, "runner_metric_time_seconds{check=\"plugin\"}");
    assert_eq!(value(&time), "0.000381", "{time:?}");
    let latency = query(prometheus_port, "runner_check_latency_seconds{check=\"redis-port\"}");
    let latency: f64 = value(&latency).parse().expect("a latency in seconds");
    assert!(latency > 0.0 && latency < 5.0, "{latency}");
    for family in [
        "runner_check_status{check=\"plugin\",status=\"ok\"}",
        "runner_check_duration_seconds{check=\"plugin\"}",
        "runner_check_command_duration_seconds{check=\"plugin\"}",
        "runner_build_info",
        "process_resident_memory_bytes{job=\"runner\"}",
        "process_cpu_seconds_total{job=\"runner\"}",
        "process_start_time_seconds{job=\"runner\"}",
        "runner_daemon_runs_total{playbook=\"scraped\",status=\"ok\"}",
    ] {
        assert!(!query(prometheus_port, family).is_empty(), "no series {family}");
    }
    // The old catch-all family, with units hidden in a label value, is gone.
    assert!(query(prometheus_port, "runner_check_metric").is_empty());
    // Prometheus saw no problem with the exposition.
    let (_, targets) = http(prometheus_port, "GET", "/api/v1/targets").unwrap();
    let targets: serde_json::Value = serde_json::from_str(&targets).unwrap();
    let target = &targets["data"]["activeTargets"][0];
    assert_eq!(target["health"], "up", "{target}");
    assert_eq!(target["lastError"], "", "{target}");

    // HEAD /metrics answers like GET, without the body.
    let (code, body) = http(runner_port, "HEAD", "/metrics").unwrap();
    assert_eq!((code, body.as_str()), (200, ""));
}
