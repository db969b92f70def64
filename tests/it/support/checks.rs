//! What the tests of a check kind repeat: a playbook of a few checks, run once with
//! `--format json`, and each check's result by its id.

use std::time::Duration;

use super::Test;

/// A playbook `p` of these checks: each an id and the YAML of its body (its kind and any
/// common keys), which is indented here.
pub fn playbook<Body: AsRef<str>>(checks: &[(&str, Body)]) -> String {
    let mut yaml = String::from("version: 1\nname: p\nchecks:\n");
    for (id, body) in checks {
        yaml.push_str(&format!("  - id: {id}\n"));
        for line in body.as_ref().lines() {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    yaml
}

/// One `runner run --no-store --format json p.yaml` of a test that has `p.yaml`.
pub struct JsonRun {
    pub code: i32,
    pub json: serde_json::Value,
    pub elapsed: Duration,
}

impl JsonRun {
    pub fn of(test: &Test) -> JsonRun {
        let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
        assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
        let json = serde_json::from_str(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr));
        JsonRun { code: output.code, json, elapsed: output.elapsed }
    }

    /// Runs a new test whose `p.yaml` holds these checks.
    pub fn checks<Body: AsRef<str>>(checks: &[(&str, Body)]) -> JsonRun {
        JsonRun::of(&Test::new().file("p.yaml", &playbook(checks)))
    }

    /// The result of the check `id`.
    pub fn check(&self, id: &str) -> &serde_json::Value {
        self.json["checks"]
            .as_array()
            .and_then(|checks| checks.iter().find(|c| c["id"] == id))
            .unwrap_or_else(|| panic!("no check {id} in {}", self.json))
    }

    /// The message of the check `id`.
    pub fn message(&self, id: &str) -> &str {
        self.check(id)["message"].as_str().unwrap_or_default()
    }
}
