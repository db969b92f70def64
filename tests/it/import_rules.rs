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
    // The `sqlite` check kind queries a user's database: it is not the store. The uptime
    // benchmark fills a year of SQLite results with SQL (ten million rows through the
    // Store API would take longer than the measurement).
    let found =
        mentioning_outside_the_store(&["src", "benches"], "rusqlite", &["src/checks/sqlite.rs", "benches/uptime.rs"]);
    assert!(
        found.is_empty(),
        "only `src/store` keeps state in SQLite; use the `Store` interface:\n{}",
        found.join("\n")
    );
}

#[test]
fn callers_hold_the_store_interface_not_its_sqlite_backend() {
    // Callers get an `Arc<dyn Store>` from `store::open*`, the one seam that picks the
    // backend (inside `src/store`). The ingest and uptime benchmarks measure SQLite itself
    // (and fill a year of results with SQL).
    let found =
        mentioning_outside_the_store(&["src", "benches"], "SqliteStore", &["benches/store.rs", "benches/uptime.rs"]);
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

// ---------------------------------------------------------------------------------------
// Errors that cross modules are typed: no public function answers `Err(String)`.

/// Every module of the crate (a top-level file or folder of `src`) but `skip`.
fn modules_but(skip: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut names: Vec<String> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|path| path.is_dir() || path.extension().is_some_and(|e| e == "rs"))
        .map(|path| path.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|name| name != skip)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Signatures of the `pub` and `pub(…)` functions in `text` whose error type is `String`,
/// as `line: fn name -> return type`. A signature may span lines; a closure's `-> …` in a
/// parameter or a generic bound is not the function's own.
fn string_error_functions(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (start, _) in text.match_indices("fn ") {
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let qualifiers: Vec<&str> = text[line_start..start].split_whitespace().collect();
        let is_public = qualifiers.first().is_some_and(|q| q.starts_with("pub"))
            && qualifiers[1..].iter().all(|q| ["async", "const", "unsafe"].contains(q));
        if !is_public {
            continue;
        }
        let signature = signature_at(&text[start..]);
        let Some(returned) = top_level_split(&signature, "->").map(|(_, r)| r) else { continue };
        let returned = top_level_split(returned, " where ").map_or(returned, |(r, _)| r).trim();
        if error_type_of(returned).is_some_and(|e| ["String", "std::string::String"].contains(&e)) {
            let line = text[..start].matches('\n').count() + 1;
            found.push(format!("{line}: {signature}"));
        }
    }
    found
}

/// The text from `fn` to its body or `;`, on one line.
fn signature_at(text: &str) -> String {
    let mut depth = 0i32;
    let mut end = text.len();
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' => depth -= 1,
            '>' if previous != '-' => depth -= 1,
            '{' | ';' if depth == 0 => {
                end = i;
                break;
            }
            _ => {}
        }
        previous = c;
    }
    text[..end].split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `text` split at the first `separator` outside brackets (an arrow's `>` is no bracket).
fn top_level_split<'a>(text: &'a str, separator: &str) -> Option<(&'a str, &'a str)> {
    let mut depth = 0i32;
    let mut previous = ' ';
    for (i, c) in text.char_indices() {
        if depth == 0 && text[i..].starts_with(separator) {
            return Some((&text[..i], &text[i + separator.len()..]));
        }
        match c {
            '(' | '[' | '<' => depth += 1,
            ')' | ']' => depth -= 1,
            '>' if previous != '-' => depth -= 1,
            _ => {}
        }
        previous = c;
    }
    None
}

/// The error type of a `Result<T, E>` (any `…::Result`), trimmed.
fn error_type_of(returned: &str) -> Option<&str> {
    let (path, arguments) = returned.split_once('<')?;
    if path.rsplit("::").next()?.trim() != "Result" {
        return None;
    }
    let arguments = arguments.strip_suffix('>')?;
    let mut rest = arguments;
    let mut last = None;
    while let Some((_, after)) = top_level_split(rest, ",") {
        last = Some(after);
        rest = after;
    }
    last.map(str::trim)
}

#[test]
fn no_public_function_outside_the_store_returns_a_string_error() {
    // The store is being reshaped on its own branch; its errors are its own business.
    let mut found = Vec::new();
    for module in modules_but("store") {
        for file in sources(&module) {
            let text = std::fs::read_to_string(&file).unwrap();
            found.extend(string_error_functions(&text).into_iter().map(|f| format!("{}:{f}", file.display())));
            for (number, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.starts_with("type Err = String") || line.starts_with("type Error = String") {
                    found.push(format!("{}:{}: {line}", file.display(), number + 1));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "errors that cross modules are typed (a thiserror enum named for what it is), not `String`:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_signature_reader_sees_a_string_error() {
    let text = "\
/// pub fn in_a_comment() -> Result<(), String>
pub fn plain(text: &str) -> Result<u8, String> {
    todo
}
fn private() -> Result<(), String> {}
pub(crate) async fn spanning(
    f: impl Fn(&str) -> Result<(), String>,
) -> Result<Vec<(i64, f64)>, String>
where
    T: Clone;
pub fn generic<F: Fn() -> u8>(f: F) -> std::result::Result<HashMap<String, u8>, std::string::String> {}
pub fn typed() -> Result<String, DurationError> {}
pub fn closure_only(f: impl Fn() -> Result<(), String>) -> u8 {}
pub fn nested() -> Result<Result<(), String>, Error> {}
";
    let found = string_error_functions(text);
    let names: Vec<&str> =
        found.iter().map(|f| f.split("fn ").nth(1).unwrap().split(['(', '<']).next().unwrap()).collect();
    assert_eq!(names, ["plain", "spanning", "generic"], "{found:#?}");
    assert!(found[0].starts_with("2: "), "{found:#?}");
}
