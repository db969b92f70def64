//! The invalid corpus: every file under tests/invalid/ is refused with its exact
//! diagnostics (snapshotted), exit code 1, no panic, well under a second. Plus inputs too
//! large or strange to commit: a 10 MB file, binary garbage, 10,000 levels of nesting and
//! a big alias bomb, generated here.

use std::time::Duration;

use crate::support::{Test, repo};

/// Nothing the loader is given may take longer than this (the bound).
const LIMIT: Duration = Duration::from_secs(1);

#[test]
fn every_invalid_playbook_is_refused_with_its_diagnostics() {
    let dir = repo().join("tests/invalid");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the corpus has {} files", files.len());
    for file in files {
        let relative = file.strip_prefix(repo()).unwrap().to_string_lossy().into_owned();
        let output = Test::new().cwd(repo()).args(["validate", relative.as_str()]).expect_code(1);
        assert!(output.elapsed < LIMIT, "{relative} took {:?}", output.elapsed);
        let name = file.file_stem().unwrap().to_string_lossy().into_owned();
        insta::assert_snapshot!(name, output.stdout);
    }
}

#[test]
fn a_10_mb_file_is_refused_without_parsing() {
    let big = "# padding\n".repeat(1024 * 1024);
    let test = Test::new().file("big.yaml", &big).args(["validate", "big.yaml"]);
    let output = test.expect_code(1);
    assert!(output.elapsed < LIMIT, "took {:?}", output.elapsed);
    insta::assert_snapshot!(output.stdout);
}

#[test]
fn binary_garbage_is_refused() {
    let mut garbage = Vec::new();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..4096 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        garbage.push((x & 0xff) as u8);
    }
    let output = Test::new().bytes("garbage.yaml", &garbage).args(["validate", "garbage.yaml"]).expect_code(1);
    assert!(output.elapsed < LIMIT);
    insta::assert_snapshot!(output.stdout);
    // NUL bytes in otherwise valid UTF-8.
    let output =
        Test::new().bytes("nul.yaml", b"version: 1\nname: x\0y\n").args(["validate", "nul.yaml"]).expect_code(1);
    insta::assert_snapshot!("nul_byte", output.stdout);
}

#[test]
fn ten_thousand_levels_of_nesting_are_refused_fast() {
    let deep = format!("version: 1\nname: deep\nvars:\n  x: {}{}\n", "[".repeat(10_000), "]".repeat(10_000));
    let output = Test::new().file("deep.yaml", &deep).args(["validate", "deep.yaml"]).expect_code(1);
    assert!(output.elapsed < LIMIT, "took {:?}", output.elapsed);
    assert!(output.stdout.contains("nested deeper than 64 levels"), "{}", output.stdout);
    // Block-style nesting too.
    let mut block = String::from("version: 1\nname: deep\nvars:\n");
    for level in 0..200 {
        block.push_str(&format!("{}k{level}:\n", "  ".repeat(level + 1)));
    }
    let output = Test::new().file("block.yaml", &block).args(["validate", "block.yaml"]).expect_code(1);
    assert!(output.elapsed < LIMIT, "took {:?}", output.elapsed);
    assert!(output.stdout.contains("nested deeper than 64 levels"), "{}", output.stdout);
}

#[test]
fn a_billion_laughs_is_refused_fast() {
    let mut bomb = String::from("version: 1\nname: bomb\nvars:\n  l0: &l0 [");
    bomb.push_str(&["\"lol\""; 10].join(","));
    bomb.push_str("]\n");
    for level in 1..12 {
        let refs = vec![format!("*l{}", level - 1); 10].join(",");
        bomb.push_str(&format!("  l{level}: &l{level} [{refs}]\n"));
    }
    bomb.push_str("checks:\n  - id: a\n    manual: {instructions: x}\n");
    let output = Test::new().file("bomb.yaml", &bomb).args(["validate", "bomb.yaml"]).expect_code(1);
    assert!(output.elapsed < LIMIT, "took {:?}", output.elapsed);
    assert!(output.stdout.contains("aliases expand beyond 10000 nodes"), "{}", output.stdout);
}

#[test]
fn a_folder_without_playbooks_is_not_all_valid() {
    let test = Test::new().file("empty/README.md", "no playbooks here\n");
    let output = test.args(["validate", "empty"]).expect_code(1);
    assert_eq!(
        output.stdout,
        "error: no playbook found in empty (a playbook is a `.yaml` or `.yml` file)\n0 files checked: 0 valid, 0 invalid (0 errors, 0 warnings)\n"
    );
    let test = Test::new().file("empty/README.md", "no playbooks here\n");
    let json = test.args(["validate", "--format", "json", "empty"]).expect_code(1);
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(value["valid"], false);
    assert_eq!(value["no_playbook"][0], "no playbook found in empty (a playbook is a `.yaml` or `.yml` file)");
}

#[test]
fn a_relative_disk_path_is_a_warning() {
    let playbook = "version: 1\nname: disk\nchecks:\n  - id: data\n    system: {metrics: [disk_used_percent], disk: data}\n  - id: root\n    system: {metrics: [disk_used_percent], disk: /}\n";
    let test = Test::new().file("disk.yaml", playbook).args(["validate", "disk.yaml"]);
    let output = test.expect_code(0);
    let folder = std::fs::canonicalize(test.root()).unwrap();
    insta::assert_snapshot!(output.stdout.replace(&folder.display().to_string(), "[playbook folder]"));
    Test::new().file("disk.yaml", playbook).args(["validate", "--strict", "disk.yaml"]).expect_code(1);
}

#[test]
fn a_fixed_offset_abbreviation_the_database_knows_is_a_warning() {
    let playbook = "version: 1\nname: eastern\nschedule: {cron: \"0 9 * * *\", timezone: EST}\nchecks:\n  - id: a\n    manual: {instructions: x}\n";
    let output = Test::new().file("est.yaml", playbook).args(["validate", "est.yaml"]).expect_code(0);
    insta::assert_snapshot!(output.stdout);
}
