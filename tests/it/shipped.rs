//! The shipped playbooks and examples: valid with no environment set, and shaped like the
//! operations they replace.

use crate::support::{Test, repo};

#[test]
fn shipped_playbooks_and_examples_validate_with_no_environment() {
    let output = Test::new().cwd(repo()).args(["validate", "--strict", "playbooks", "examples"]).expect_code(0);
    assert!(output.stdout.contains("0 invalid (0 errors, 0 warnings)"), "{}", output.stdout);
}

#[test]
fn the_six_operations_are_shipped() {
    for name in ["heartbeat", "daily", "weekly", "hourly-alerts", "friday-restart", "quarterly"] {
        assert!(repo().join(format!("playbooks/{name}.yaml")).exists(), "playbooks/{name}.yaml");
    }
    let daily = std::fs::read_to_string(repo().join("playbooks/daily.yaml")).unwrap();
    for phase in ["id: smoke", "id: api", "id: notify-prep"] {
        assert!(daily.contains(phase), "daily.yaml lacks {phase}");
    }
    assert!(daily.contains("report:") && daily.contains("notify:"), "daily has report and notify stages");
    let hourly = std::fs::read_to_string(repo().join("playbooks/hourly-alerts.yaml")).unwrap();
    for threshold in
        ["{warn: \"> 20\", crit: \"> 80\"}", "{warn: \"> 8\", crit: \"> 12\"}", "crit: \"> 5\"", "restarts_within: 5m"]
    {
        assert!(hourly.contains(threshold), "hourly-alerts.yaml lacks {threshold}");
    }
    let heartbeat = std::fs::read_to_string(repo().join("playbooks/heartbeat.yaml")).unwrap();
    assert!(heartbeat.contains("after: 3") && heartbeat.contains("recovery: true"));
}

/// The README's YAML blocks are what people copy: each one must validate. A whole playbook
/// (it has `version:`) is validated as it is; a check fragment (`  - id: …`) inside a
/// minimal playbook.
#[test]
fn the_readme_yaml_examples_validate() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let blocks: Vec<&str> = readme.split("```yaml\n").skip(1).filter_map(|rest| rest.split("```").next()).collect();
    assert!(blocks.len() >= 2, "the README has its playbook and remediation examples");
    let test = Test::new();
    for (index, block) in blocks.iter().enumerate() {
        let text = if block.contains("version:") {
            block.to_string()
        } else {
            assert!(block.trim_start().starts_with("- id:"), "block {index} is a check fragment:\n{block}");
            format!("version: 1\nname: readme-{index}\nchecks:\n{block}")
        };
        let file = test.path(&format!("readme-{index}.yaml"));
        std::fs::write(&file, &text).unwrap();
        let output = test.run_args(&["validate", "--strict", file.to_str().unwrap()]);
        assert_eq!(output.code, 0, "README yaml block {index} does not validate:\n{text}\n{}", output.stdout);
    }
}
