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

/// The lines of every `.rs` file under `folders` (of the crate) that contain `word`, but
/// those of files under `src/store` or named in `allowed`, as `file:line: text`.
fn mentioning_outside_the_store(folders: &[&str], word: &str, allowed: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    let mut pending: Vec<PathBuf> = folders.iter().map(|f| root.join(f)).collect();
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for path in entries.map(|e| e.unwrap().path()) {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().into_owned();
            if relative.starts_with("src/store") || allowed.contains(&relative.as_str()) {
                continue;
            }
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (number, line) in text.lines().enumerate() {
                    if line.contains(word) {
                        found.push(format!("{relative}:{}: {}", number + 1, line.trim()));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn only_the_store_and_the_sqlite_check_use_sqlite() {
    // The `sqlite` check kind queries a user's database: it is not the store.
    let found = mentioning_outside_the_store(&["src", "benches"], "rusqlite", &["src/checks/sqlite.rs"]);
    assert!(
        found.is_empty(),
        "only `src/store` keeps state in SQLite; use the `Store` interface:\n{}",
        found.join("\n")
    );
}

#[test]
fn callers_hold_the_store_interface_not_its_sqlite_backend() {
    // Callers get an `Arc<dyn Store>` from `store::open*`, the one seam that picks the
    // backend (inside `src/store`). The ingest benchmark measures SQLite itself.
    let found = mentioning_outside_the_store(&["src", "benches"], "SqliteStore", &["benches/store.rs"]);
    assert!(found.is_empty(), "outside `src/store`, name `dyn Store`, not its backend:\n{}", found.join("\n"));
}

#[test]
fn the_store_interface_is_backend_neutral() {
    // The traits and their data (src/store/*.rs) name no backend; the opening seam
    // (mod.rs) and the tests' factories (contract) pick one.
    let store = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/store");
    let mut found = Vec::new();
    for file in sources("store") {
        let relative = file.strip_prefix(&store).unwrap().to_string_lossy().into_owned();
        if relative.starts_with("sqlite/") || relative.starts_with("contract/") || relative == "mod.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        // Code only: a comment may point at the backend that implements it.
        let code = text.lines().enumerate().filter(|(_, line)| !line.trim_start().starts_with("//"));
        for (number, line) in code {
            if line.contains("rusqlite") || line.contains("SqliteStore") || line.contains("sqlite::") {
                found.push(format!("src/store/{relative}:{}: {}", number + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the store's interface must not name a backend:\n{}", found.join("\n"));
}

#[test]
fn the_store_rules_see_a_broken_rule() {
    // Without their exceptions, the readers find the `sqlite` check and the benchmark.
    assert!(!mentioning_outside_the_store(&["src"], "rusqlite", &[]).is_empty());
    assert!(!mentioning_outside_the_store(&["benches"], "SqliteStore", &[]).is_empty());
}
