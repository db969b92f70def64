//! The import rules between layers, checked on the source: what a probe uses lives on the
//! checks' side, so check kinds, output formats and what they share never reach into the
//! engine that runs them.

use std::path::{Path, PathBuf};

use crate::support::repo;

/// (the source under the rule, what its code must not name).
const RULES: &[(&str, &str)] = &[
    ("src/checks", "crate::engine"),
    ("src/output", "crate::engine"),
    ("src/probe", "crate::engine"),
    ("src/process_group.rs", "crate::engine"),
    ("src/observer.rs", "crate::engine"),
];

#[test]
fn checks_outputs_and_probe_services_never_import_the_engine() {
    let mut broken = Vec::new();
    for (source, forbidden) in RULES {
        let files = rust_files(&repo().join(source));
        assert!(!files.is_empty(), "{source} holds no Rust files: the rule checks nothing");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            for (number, line) in text.lines().enumerate() {
                if line.contains(forbidden) {
                    broken.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
                }
            }
        }
    }
    assert!(broken.is_empty(), "these lines break an import rule:\n{}", broken.join("\n"));
}

/// `path` itself when it is a file, else every `.rs` file below it.
fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut files = Vec::new();
    for entry in std::fs::read_dir(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}
