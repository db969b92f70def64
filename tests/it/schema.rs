//! The JSON Schema and the playbook reference stay in step with the types.

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
    for kind in [
        "http", "tcp", "redis", "sqlite", "command", "system", "process", "service", "file", "log", "history", "manual",
    ] {
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
