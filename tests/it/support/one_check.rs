//! One check run on its own, for the tests of a kind: the playbook around it, its JSON
//! result, and the proof that a secret it holds is in no output format, log or store.

use std::time::Duration;

use super::Test;

/// A playbook whose one check `c` has `body` (YAML lines of the check, without its id).
pub fn playbook(body: &str) -> String {
    let body: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!("version: 1\nname: t\nchecks:\n  - id: c\n{body}")
}

/// Runs `body` as the one check; its JSON result and how long the run took.
pub fn run(body: &str) -> (serde_json::Value, Duration) {
    let test = Test::new().file("p.yaml", &playbook(body));
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr));
    (json["checks"][0].clone(), output.elapsed)
}

/// Runs `body` (where `${SECRET}` stands for `secret`) in every output format, with the
/// store and every log line on, and asserts the secret is nowhere: not in stdout, not in
/// stderr, not on disk. `said` is a piece of the check's message every format but
/// prometheus shows, proving the check ran and failed as it should.
pub fn assert_secret_stays_hidden(body: &str, secret: &str, said: &str) {
    let test = Test::new().file("p.yaml", &playbook(body)).env("SECRET", secret).env("RUST_LOG", "trace");
    for format in ["human", "json", "junit", "tap", "prometheus", "nagios"] {
        let output = test.run_args(&["run", "-vv", "--format", format, "p.yaml"]);
        assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
        if format != "prometheus" {
            assert!(output.stdout.contains(said), "{format}: {}", output.stdout);
        }
        assert!(!output.stdout.contains(secret), "{format} stdout leaks the secret:\n{}", output.stdout);
        assert!(!output.stderr.contains(secret), "{format} logs leak the secret:\n{}", output.stderr);
    }
    for format in ["human", "json"] {
        let output = test.run_args(&["validate", "--format", format, "p.yaml"]);
        assert!(!output.stdout.contains(secret) && !output.stderr.contains(secret), "validate leaks the secret");
    }
    let stored: String = ["runner.db", "runner.db-wal"]
        .iter()
        .filter_map(|file| std::fs::read(test.path(&format!(".state/{file}"))).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect();
    assert!(!stored.is_empty(), "the runs were stored");
    assert!(!stored.contains(secret), "the store holds the secret");
}
