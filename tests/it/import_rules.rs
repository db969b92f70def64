//! The layering of DESIGN.md, checked on the source: which module may name which. A rule
//! broken here is a dependency pointing the wrong way (the schedule reaching into a
//! subcommand, the store knowing who calls it), found before it grows roots.

use std::path::{Path, PathBuf};

/// Every `.rs` file under `src/<module>` (a folder or a single file).
fn sources(module: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let file = root.join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let mut folders = vec![root.join(module)];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for path in entries.map(|e| e.unwrap().path()) {
            if path.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    assert!(!files.is_empty(), "no source for module `{module}`");
    files
}

/// The lines of `module` that name one of the `forbidden` modules, as `file:line: text`.
fn naming(module: &str, forbidden: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for file in sources(module) {
        let text = std::fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            // `use crate::{commands, …}` is named as plainly as `crate::commands::x`.
            let names = |name: &&str| {
                line.contains(&format!("crate::{name}"))
                    || (line.contains("crate::{") && line.contains(&format!(" {name}")))
                    || line.contains(&format!("super::super::{name}"))
            };
            if forbidden.iter().any(names) {
                found.push(format!("{}:{}: {}", file.display(), number + 1, line.trim()));
            }
        }
    }
    found
}

fn assert_never_names(module: &str, forbidden: &[&str]) {
    let found = naming(module, forbidden);
    assert!(found.is_empty(), "`{module}` must not name {forbidden:?}:\n{}", found.join("\n"));
}

#[test]
fn the_schedule_never_reaches_into_the_subcommands() {
    assert_never_names("schedule", &["commands", "cli"]);
}

#[test]
fn the_pipeline_lock_and_errors_know_nothing_of_the_command_line() {
    for module in ["pipeline", "lock", "error"] {
        assert_never_names(module, &["commands", "cli"]);
    }
}

#[test]
fn the_store_knows_nothing_of_who_calls_it() {
    assert_never_names("store", &["commands", "cli", "pipeline", "schedule"]);
}

#[test]
fn the_rule_reader_sees_a_broken_rule() {
    // `commands` names the subcommands' own modules: the reader must find them.
    assert!(!naming("commands", &["pipeline"]).is_empty());
}
