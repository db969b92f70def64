//! The JSON Schema and the playbook reference stay in step with the types.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{Test, repo};

#[test]
fn schema_file_is_up_to_date() {
    let output = Test::new().args(["schema"]).expect_code(0);
    let path = repo().join("schemas/playbook.schema.json");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != output.stdout {
        if std::env::var_os("RUNNER_BLESS").is_some() {
            std::fs::write(&path, &output.stdout).unwrap();
            return;
        }
        panic!(
            "schemas/playbook.schema.json is stale: run `RUNNER_BLESS=1 cargo test schema` (or `runner schema > schemas/playbook.schema.json`) and commit it"
        );
    }
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["title"], "runner playbook");
    // Doc comments are the descriptions.
    assert!(
        schema["properties"]["name"]["description"].as_str().unwrap_or_default().contains("unique among the playbooks")
    );
}

/// The table of kinds (src/checks/mod.rs) and the model agree: every field of a check
/// whose type is a `…Check` config is a row of the table, under the same name, and
/// every row has such a field. A field without its row would never run.
#[test]
fn every_kind_field_of_a_check_is_in_the_table_of_kinds() {
    let output = Test::new().args(["schema"]).expect_code(0);
    let schema: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let properties = schema["definitions"]["Check"]["properties"].as_object().unwrap();
    let mut fields: Vec<&str> = properties
        .iter()
        .filter(|(_, property)| {
            property["anyOf"].as_array().into_iter().flatten().any(|branch| {
                branch["$ref"].as_str().is_some_and(|target| {
                    target.starts_with("#/definitions/") && target.ends_with("Check") && target != "#/definitions/Check"
                })
            })
        })
        .map(|(key, _)| key.as_str())
        .collect();
    let mut table: Vec<&str> = runner::checks::Kind::ALL.iter().map(|kind| kind.name()).collect();
    fields.sort_unstable();
    table.sort_unstable();
    assert_eq!(fields, table);
}

#[test]
fn every_shipped_playbook_declares_the_schema() {
    for dir in ["playbooks", "examples"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.starts_with("# yaml-language-server: $schema=../schemas/playbook.schema.json\n"),
                    "{} does not start with the $schema line",
                    path.display()
                );
            }
        }
    }
}

/// docs/playbook-reference.md names every key of the schema, and every check kind has an
/// example there.
#[test]
fn reference_covers_every_key_and_kind() {
    let reference =
        std::fs::read_to_string(repo().join("docs/playbook-reference.md")).expect("docs/playbook-reference.md");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/playbook.schema.json")).unwrap()).unwrap();
    let mut missing = Vec::new();
    let mut visit = |properties: &serde_json::Map<String, serde_json::Value>| {
        for key in properties.keys() {
            if !reference.contains(&format!("`{key}`")) {
                missing.push(key.clone());
            }
        }
    };
    if let Some(p) = schema["properties"].as_object() {
        visit(p);
    }
    for (_, definition) in schema["definitions"].as_object().unwrap() {
        if let Some(p) = definition["properties"].as_object() {
            visit(p);
        }
    }
    missing.sort();
    missing.dedup();
    assert!(missing.is_empty(), "docs/playbook-reference.md does not mention: {missing:?}");
    for kind in runner::checks::Kind::ALL.iter().map(|kind| kind.name()) {
        assert!(reference.contains(&format!("### `{kind}`")), "no section for `{kind}`");
        let section = reference.split(&format!("### `{kind}`")).nth(1).unwrap();
        let section = section.split("\n### ").next().unwrap();
        assert!(section.contains("```yaml"), "no example for `{kind}`");
    }
}

/// The YAML examples in the reference are real playbooks: each one validates.
#[test]
fn reference_examples_validate() {
    let reference = std::fs::read_to_string(repo().join("docs/playbook-reference.md")).unwrap();
    let mut test = Test::new();
    let mut count = 0;
    for (i, block) in reference.split("```yaml\n").skip(1).enumerate() {
        let yaml = block.split("```").next().unwrap();
        if yaml.starts_with("version: 1") {
            test = test.file(&format!("ref/{i:02}.yaml"), yaml);
            count += 1;
        }
    }
    assert!(count >= 5, "only {count} full examples");
    let output = test.args(["validate", "--strict", "ref"]).run();
    assert_eq!(output.code, 0, "{}", output.stdout);
}

// ---------------------------------------------------------------------------------------
// The schema agrees with `validate`, judged by a real JSON Schema validator:
// check-jsonschema (PyPI, default settings: ECMA-262 regexes, formats checked), which
// tests/run installs.

/// Runs check-jsonschema with the committed schema over `files`; returns the errors per
/// file (a YAML parse error counts as one). It expands YAML aliases without a budget, so
/// it runs under a 2 GB address-space limit and a timeout (and never on the alias bomb).
fn check_jsonschema(files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<String>> {
    let output = Command::new("timeout")
        .args(["120", "prlimit", "--as=2000000000", "--", "check-jsonschema"])
        .args(["--output-format", "json", "--schemafile"])
        .arg(repo().join("schemas/playbook.schema.json"))
        .args(files)
        .output()
        .expect("timeout and prlimit run");
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|_| {
        panic!(
            "check-jsonschema (tests/run installs it: `pip install check-jsonschema`) said:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let mut errors: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for error in
        report["errors"].as_array().into_iter().flatten().chain(report["parse_errors"].as_array().into_iter().flatten())
    {
        let file = PathBuf::from(error["filename"].as_str().unwrap_or_default());
        errors.entry(file).or_default().push(format!("{}: {}", error["path"], error["message"]));
    }
    errors
}

/// `runner validate FILE`'s exit code (0 valid, 1 invalid).
fn validate_code(file: &Path) -> i32 {
    Test::new().args(["validate", file.as_os_str().to_str().unwrap()]).run().code
}

/// Writes `(name, yaml)` cases into `dir`, returning their paths.
fn write_cases(dir: &Path, cases: &[(&str, String)]) -> Vec<PathBuf> {
    cases
        .iter()
        .map(|(name, yaml)| {
            let path = dir.join(format!("{name}.yaml"));
            std::fs::write(&path, yaml).unwrap();
            path
        })
        .collect()
}

/// A playbook of one check: `version`, `name` and `checks` around the check's keys.
fn one_check(check: &str) -> String {
    format!("version: 1\nname: case\nchecks:\n  - id: a\n{}", indent(check, 4))
}

fn indent(text: &str, by: usize) -> String {
    text.lines().map(|line| format!("{:by$}{line}\n", "")).collect()
}

/// The YAML blocks of README.md and the reference, each as a whole playbook: a complete
/// one as written; a fragment of a playbook (`schedule: …`) with what it lacks added; a
/// fragment of a check (`thresholds: …`, `command: …`) in a check, with a kind when it has
/// none; a list of checks under `checks:`. A block that starts with a key of neither (the
/// YAML of another tool) is not a playbook and is left out.
fn documented_playbooks(schema: &serde_json::Value) -> Vec<(String, String)> {
    let keys_of = |pointer: &str| -> Vec<String> {
        schema.pointer(pointer).and_then(|p| p.as_object()).map(|p| p.keys().cloned().collect()).unwrap_or_default()
    };
    let top_level = keys_of("/properties");
    let check_keys = keys_of("/definitions/Check/properties");
    let one_kind_rules = schema["definitions"]["Check"]["oneOf"].as_array().unwrap();
    let kinds: Vec<&String> =
        check_keys.iter().filter(|key| one_kind_rules.iter().any(|rule| rule["required"][0] == key.as_str())).collect();
    let mut playbooks = Vec::new();
    for doc in ["README.md", "docs/playbook-reference.md"] {
        let text = std::fs::read_to_string(repo().join(doc)).unwrap();
        for (i, block) in text.split("```yaml\n").skip(1).enumerate() {
            let yaml = block.split("```").next().unwrap();
            let Some(first) = yaml.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')) else {
                continue;
            };
            let first_key = first.split(':').next().unwrap().trim().to_string();
            let has = |key: &str| yaml.lines().any(|l| l.starts_with(&format!("{key}:")));
            let whole = if first.trim_start().starts_with("- ") {
                format!("version: 1\nname: snippet\nchecks:\n{yaml}")
            } else if top_level.contains(&first_key) {
                let mut whole = yaml.to_string();
                for (key, value) in [("version", "1"), ("name", "snippet")] {
                    if !has(key) {
                        whole.push_str(&format!("{key}: {value}\n"));
                    }
                }
                if !has("checks") && !has("phases") {
                    whole.push_str("checks: [{id: a, manual: {instructions: x}}]\n");
                }
                whole
            } else if check_keys.contains(&first_key) {
                let kind = if kinds.iter().any(|k| has(k)) { "" } else { "http: {url: \"http://127.0.0.1/\"}\n" };
                one_check(&format!("{yaml}{kind}"))
            } else {
                continue;
            };
            let stem = doc.trim_end_matches(".md").replace('/', "-");
            playbooks.push((format!("{stem}-{i:02}"), whole));
        }
    }
    playbooks
}

/// Every shipped playbook and example, and every YAML block of README.md and the
/// reference, passes check-jsonschema.
#[test]
fn check_jsonschema_accepts_every_shipped_playbook_and_documented_snippet() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("schemas/playbook.schema.json")).unwrap()).unwrap();
    let mut files = Vec::new();
    for dir in ["playbooks", "examples"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "yaml") {
                files.push(path);
            }
        }
    }
    let shipped = files.len();
    let snippets = tempfile::tempdir().unwrap();
    let documented = documented_playbooks(&schema);
    let documented: Vec<(&str, String)> = documented.iter().map(|(name, yaml)| (name.as_str(), yaml.clone())).collect();
    files.extend(write_cases(snippets.path(), &documented));
    assert!(shipped >= 10 && documented.len() >= 20, "{shipped} shipped playbooks, {} snippets", documented.len());
    let errors = check_jsonschema(&files);
    assert!(errors.is_empty(), "check-jsonschema rejects:\n{errors:#?}");
}

/// What `validate` accepts that a careless schema would not: each case is valid for
/// `validate` and for check-jsonschema.
#[test]
fn check_jsonschema_accepts_what_validate_accepts() {
    let cases = [
        ("null-kind-key", one_check("http: ~\ntcp: {address: \"127.0.0.1:80\"}")),
        ("durations", one_check("tcp: {address: \"127.0.0.1:80\"}\ntimeout: 30 seconds\nretry_delay: .5s")),
        ("duration-sum", one_check("tcp: {address: \"127.0.0.1:80\"}\ntimeout: 1h 30m\nretry_delay: 2mins")),
        ("duration-env", one_check("tcp: {address: \"127.0.0.1:80\"}\ntimeout: \"${CHECK_TIMEOUT:-5s}\"")),
        (
            "conditions",
            one_check(
                "http: {url: \"http://127.0.0.1/\"}\nthresholds:\n  latency_ms: {warn: \"> 1e3\", crit: \">=+2000\"}\n  status: {crit: \"!= 200%\"}",
            ),
        ),
        ("rust-regex", one_check("log: {path: /var/log/syslog, pattern: '(?i)\\A\\s*(?P<level>error)\\z'}")),
        (
            "on-from-env",
            format!(
                "{}notify:\n  - id: ops\n    slack: {{webhook_url: \"\"}}\n    on: [\"${{ALERT_ON:-critical}}\", warning]\n",
                one_check("manual: {instructions: x}")
            ),
        ),
        ("sizes", one_check("file: {path: /tmp/x, min_size: 0.5kib, max_size: 5 MB}")),
        ("since-new", one_check("log: {path: /tmp/x.log, since: new}")),
        ("since-window", one_check("log: {path: /tmp/x.log, since: 2 days}")),
        ("run-empty-argument", one_check("command: {run: [echo, \"\"]}\ntags: [web, db]")),
        (
            "phase-of-actions",
            "version: 1\nname: case\nphases:\n  - id: p\n    actions:\n      - sleep: 1s\n".to_string(),
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let files = write_cases(dir.path(), &cases);
    for file in &files {
        assert_eq!(validate_code(file), 0, "validate rejects {}", file.display());
    }
    let errors = check_jsonschema(&files);
    assert!(errors.is_empty(), "check-jsonschema rejects what validate accepts:\n{errors:#?}");
}

/// The structural mistakes `validate` rejects, check-jsonschema rejects too: the invalid
/// corpus's structural files, and more cases here. Each is first shown to be rejected by
/// `validate`.
#[test]
fn check_jsonschema_rejects_the_structural_mistakes_validate_rejects() {
    let corpus = [
        "05-wrong-type-version",
        "06-wrong-type-retries",
        "07-wrong-type-checks-map",
        "08-root-is-a-list",
        "09-unknown-key-timeout",
        "10-unknown-top-level-key",
        "11-unknown-kind-key",
        "12-unknown-key-in-kind",
        "13-kind-at-top-level",
        "32-no-kind",
        "33-two-kinds",
        "34-checks-and-phases",
        "35-neither-checks-nor-phases",
        "36-notify-bad-on",
        "37-keep-and-keep-last",
        "39-bad-duration",
        "40-bad-name-and-id",
        "41-unknown-enum-value",
        "42-bad-version",
        "43-missing-name",
        "44-missing-check-id",
        "45-action-two-kinds",
        "53-process-name-and-pattern",
        "58-retries-too-many",
    ];
    let mut files: Vec<PathBuf> = corpus.iter().map(|name| repo().join(format!("tests/invalid/{name}.yaml"))).collect();
    let slack = "slack: {webhook_url: \"\"}";
    let cases = [
        ("command-run-and-shell", one_check("command: {run: [\"true\"], shell: \"true\"}")),
        ("command-neither", one_check("command: {expect: {exit: 0}}")),
        ("command-empty-run", one_check("command: {run: []}")),
        ("action-none", "version: 1\nname: case\nphases:\n  - id: p\n    actions:\n      - {timeout: 5s}\n".into()),
        (
            "action-run-and-shell",
            "version: 1\nname: case\nphases:\n  - id: p\n    actions:\n      - {run: [\"true\"], shell: \"true\"}\n"
                .into(),
        ),
        ("checks-empty", "version: 1\nname: case\nchecks: []\n".into()),
        ("phase-empty", "version: 1\nname: case\nphases:\n  - id: p\n    checks: []\n".into()),
        (
            "two-notifiers",
            format!(
                "{}notify:\n  - id: ops\n    {slack}\n    discord: {{webhook_url: \"\"}}\n",
                one_check("manual: {instructions: x}")
            ),
        ),
        ("no-notifier", format!("{}notify:\n  - id: ops\n    after: 2\n", one_check("manual: {instructions: x}"))),
        (
            "notify-after-zero",
            format!("{}notify:\n  - id: ops\n    {slack}\n    after: 0\n", one_check("manual: {instructions: x}")),
        ),
        ("empty-threshold", one_check("http: {url: \"http://127.0.0.1/\"}\nthresholds:\n  latency_ms: {}")),
        ("null-threshold", one_check("http: {url: \"http://127.0.0.1/\"}\nthresholds:\n  latency_ms: {warn: ~}")),
        ("threshold-number", one_check("http: {url: \"http://127.0.0.1/\"}\nthresholds:\n  latency_ms: {warn: 500}")),
        (
            "threshold-no-operator",
            one_check("http: {url: \"http://127.0.0.1/\"}\nthresholds:\n  latency_ms: {warn: \"500\"}"),
        ),
        ("kind-null-only", one_check("http: ~")),
        ("version-missing", "name: case\nchecks: [{id: a, manual: {instructions: x}}]\n".into()),
        ("version-zero", "version: 0\nname: case\nchecks: [{id: a, manual: {instructions: x}}]\n".into()),
        ("duration-no-unit", one_check("tcp: {address: \"127.0.0.1:80\"}\ntimeout: 5")),
        ("duration-bad-unit", one_check("tcp: {address: \"127.0.0.1:80\"}\ntimeout: 5 parsecs")),
        ("system-no-metrics", one_check("system: {metrics: []}")),
        ("remediate-no-actions", one_check("tcp: {address: \"127.0.0.1:80\"}\nremediate: {actions: []}")),
        (
            "remediate-max-attempts-zero",
            one_check("tcp: {address: \"127.0.0.1:80\"}\nremediate: {max_attempts: 0, actions: [{sleep: 1s}]}"),
        ),
        ("keep-last-zero", format!("{}report: {{path: r.md, keep_last: 0}}\n", one_check("manual: {instructions: x}"))),
        ("process-neither", one_check("process: {min: 1}")),
        ("run-empty-program", one_check("command: {run: [\"\", x]}")),
        ("service-empty-name", one_check("service: {name: \"\"}")),
        ("tag-with-comma", one_check("manual: {instructions: x}\ntags: [\"a,b\"]")),
        ("tag-blank", "version: 1\nname: case\ntags: [\" \"]\nchecks: [{id: a, manual: {instructions: x}}]\n".into()),
        ("report-blank-path", format!("{}report: {{path: \" \"}}\n", one_check("manual: {instructions: x}"))),
        ("since-bogus", one_check("log: {path: /tmp/x.log, since: yesterday}")),
        ("size-negative", one_check("file: {path: /tmp/x, min_size: -1}")),
        ("size-bad-unit", one_check("file: {path: /tmp/x, max_size: 5 parsecs}")),
    ];
    let dir = tempfile::tempdir().unwrap();
    files.extend(write_cases(dir.path(), &cases));
    for file in &files {
        assert_eq!(validate_code(file), 1, "validate accepts {}", file.display());
    }
    let errors = check_jsonschema(&files);
    let accepted: Vec<&PathBuf> = files.iter().filter(|file| !errors.contains_key(*file)).collect();
    assert!(accepted.is_empty(), "check-jsonschema accepts what validate rejects: {accepted:#?}");
}

/// The loose YAML forms runner reads but the schema rejects (an editor underlines them):
/// `validate` accepts each with a warning that names the key, `--strict` refuses it, and
/// check-jsonschema rejects it; the same playbook written strictly has no warning.
#[test]
fn validate_warns_on_the_loose_forms_the_schema_rejects() {
    let check = "manual: {instructions: x}";
    let cases = [
        (
            "version-quoted",
            "version: \"1\"\nname: case\nchecks: [{id: a, manual: {instructions: x}}]\n".into(),
            "version",
        ),
        ("name-number", "version: 1\nname: 123\nchecks: [{id: a, manual: {instructions: x}}]\n".into(), "name"),
        ("id-number", "version: 1\nname: case\nchecks: [{id: 7, manual: {instructions: x}}]\n".into(), "id"),
        ("run-number", one_check("command: {run: [echo, 5]}"), "run[1]"),
        ("nagios-yes", one_check("command: {run: [echo], nagios: yes}"), "nagios"),
        ("nagios-quoted-yes", one_check("command: {run: [echo], nagios: \"yes\"}"), "nagios"),
        ("nagios-quoted-true", one_check("command: {run: [echo], nagios: \"true\"}"), "nagios"),
        ("tag-bool", one_check(&format!("{check}\ntags: [web, true]")), "tags[1]"),
    ];
    let dir = tempfile::tempdir().unwrap();
    let files = write_cases(dir.path(), &cases.iter().map(|(name, yaml, _)| (*name, yaml.clone())).collect::<Vec<_>>());
    for ((name, _, key), file) in cases.iter().zip(&files) {
        let path = file.to_str().unwrap();
        // A plain validate (and `run`) reads them as YAML does, with its one parse; the second
        // walk that finds them is `--strict`'s (CI's), which refuses them.
        let plain = Test::new().args(["validate", path]).run();
        assert_eq!(plain.code, 0, "{name}: {}", plain.stdout);
        let strict = Test::new().args(["validate", "--strict", path]).run();
        assert_eq!(strict.code, 1, "{name}: --strict accepts it");
        assert!(strict.stdout.contains(&format!("`{key}` expects")), "{name}: {}", strict.stdout);
    }
    let errors = check_jsonschema(&files);
    let accepted: Vec<&PathBuf> = files.iter().filter(|file| !errors.contains_key(*file)).collect();
    assert!(accepted.is_empty(), "check-jsonschema accepts a loose form: {accepted:#?}");
    let strict = write_cases(
        dir.path(),
        &[("strict", one_check("command: {run: [echo, \"5\", \"yes\"], nagios: true}\ntags: [web, \"true\"]"))],
    );
    let written_strictly = Test::new().args(["validate", "--strict", strict[0].to_str().unwrap()]).run();
    assert_eq!(written_strictly.code, 0, "{}", written_strictly.stdout);
    assert!(!written_strictly.stdout.contains("warning:"), "{}", written_strictly.stdout);
    assert!(check_jsonschema(&strict).is_empty());
}

/// Where the schema and `validate` differ on purpose, the reference says so.
#[test]
fn reference_says_where_the_schema_and_validate_differ() {
    let reference = std::fs::read_to_string(repo().join("docs/playbook-reference.md")).unwrap();
    let section = reference.split("### The JSON Schema and `validate`").nth(1).expect("the section");
    let section = section.split("\n#").next().unwrap();
    for topic in
        ["cron", "cross-references", "`needs`", "format: regex", "templates", "`${VAR}`", "`version: 1.0`", "--strict"]
    {
        assert!(section.contains(topic), "the section does not say how `{topic}` differs");
    }
}
