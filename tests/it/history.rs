//! `runner history`, the `history` check kind, retention and `runner prune`.

use crate::support::Test;

const PLAYBOOK: &str = r#"version: 1
name: trend
checks:
  - id: gauge
    command:
      shell: 'cat value'
      metrics: {level: '(\d+)'}
  - id: growth
    needs: [gauge]
    history:
      check: gauge
      metric: level
      over: 1d
      aggregate: max
    thresholds:
      value: {warn: "> 25"}
"#;

#[test]
fn runs_and_trends_are_stored_and_shown() {
    let test = Test::new().file("p.yaml", PLAYBOOK);
    for value in [10, 20, 30] {
        std::fs::write(test.path("value"), value.to_string()).unwrap();
        test.run_args(&["run", "p.yaml"]);
    }
    let json: serde_json::Value =
        serde_json::from_str(&test.run_args(&["history", "trend", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 3);
    let level = json["trends"].as_array().unwrap().iter().find(|t| t["metric"] == "level").unwrap();
    assert_eq!(
        (level["min"].as_f64(), level["max"].as_f64(), level["last"].as_f64(), level["samples"].as_i64()),
        (Some(10.0), Some(30.0), Some(30.0), Some(3))
    );
    assert_eq!(level["avg"], 20.0);
    let human = test.run_args(&["history", "trend"]);
    assert!(human.stdout.contains("gauge.level"), "{}", human.stdout);
    assert!(human.stdout.contains("10 / 20 / 30 / 30  (3 samples)"), "{}", human.stdout);
    let csv = test.run_args(&["history", "trend", "--check", "gauge", "--format", "csv"]).stdout;
    assert!(csv.starts_with("run_id,playbook,started_at,duration_ms,status,origin,interrupted,stands_for\n"));
    // CSV is one table: the trends are their own, picked with --metrics.
    let csv = test.run_args(&["history", "trend", "--check", "gauge", "--format", "csv", "--metrics"]).stdout;
    assert!(csv.starts_with("playbook,check,metric,samples,min,avg,max,last\n"), "{csv}");
    assert!(csv.contains("\ntrend,gauge,level,3,10,20,30,30\n"), "{csv}");
    assert!(!csv.contains("growth"), "--check filters trends");
    // The history check sees the stored samples (the third run saw 10 and 20; now 30 too).
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    let run: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    let growth = run["checks"].as_array().unwrap().iter().find(|c| c["id"] == "growth").unwrap();
    assert_eq!(growth["metrics"]["value"], 30.0, "{growth}");
    assert_eq!(growth["status"], "warning");
}

#[test]
fn the_history_check_is_unknown_without_enough_samples_or_a_store() {
    let test = Test::new().file("p.yaml", PLAYBOOK).file("value", "5");
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(output.stdout.contains("no stored history"), "{}", output.stdout);
    let slope = PLAYBOOK.replace("aggregate: max", "aggregate: slope_per_day");
    let test = Test::new().file("p.yaml", &slope).file("value", "5");
    // The history check reads what is stored: this run's own samples are not yet.
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    assert!(output.stdout.contains("0 samples (need 2)"), "{}", output.stdout);
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    assert!(
        output.stdout.contains("not enough history for trend/gauge/level over 1d: 1 sample (need 2)"),
        "{}",
        output.stdout
    );
}

#[test]
fn prune_deletes_old_history() {
    let test = Test::new().file("p.yaml", PLAYBOOK).file("value", "5");
    test.run_args(&["run", "p.yaml"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    test.run_args(&["run", "p.yaml"]);
    let output = test.run_args(&["prune", "--older-than", "1s"]);
    assert_eq!(output.code, 0, "{}", output.stderr);
    assert!(output.stdout.contains("deleted 1 run older than 1s"), "{}", output.stdout);
    let json: serde_json::Value =
        serde_json::from_str(&test.run_args(&["history", "trend", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 1);
    let level = json["trends"].as_array().unwrap().iter().find(|t| t["metric"] == "level").unwrap();
    assert_eq!(level["samples"], 1);
    assert_eq!(test.run_args(&["prune", "--older-than", "soon"]).code, 64);
}

#[test]
fn retention_prunes_a_playbooks_own_runs() {
    let with_retention = PLAYBOOK.replace("name: trend\n", "name: trend\nretention: 1s\n");
    let test = Test::new().file("p.yaml", &with_retention).file("value", "5");
    test.run_args(&["run", "p.yaml"]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    test.run_args(&["run", "p.yaml"]);
    let json: serde_json::Value =
        serde_json::from_str(&test.run_args(&["history", "trend", "--format", "json"]).stdout).unwrap();
    assert_eq!(json["runs"].as_array().unwrap().len(), 1, "the older run was pruned by `retention`");
}

#[test]
fn first_runs_in_parallel_on_a_new_state_folder_all_succeed() {
    // They all find schema version 0; without a migration lock, all but one failed with
    // "table already exists".
    let mut test = Test::new();
    for i in 0..12 {
        test = test.file(
            &format!("p{i}.yaml"),
            &format!("version: 1\nname: p{i}\nchecks: [{{id: a, manual: {{instructions: x}}}}]\n"),
        );
    }
    let root = test.root().to_path_buf();
    let runs: Vec<_> = (0..12)
        .map(|i| {
            std::process::Command::new(crate::support::runner_bin())
                .args(["run", &format!("p{i}.yaml")])
                .current_dir(&root)
                .env("RUNNER_STATE", root.join(".state"))
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in runs {
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    }
}
