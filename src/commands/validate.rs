//! `runner validate [PATH...] [--format human|json] [--strict]`: every file, and in each
//! file every diagnostic. Exit 0 when all are valid, 1 when some is invalid or a folder
//! holds no playbook, 74 when a path cannot be read.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::cli::{ValidateArgs, ValidateFormat};
use crate::error::{Error, exit};
use crate::playbook::discover;
use crate::playbook::load::{FileReport, LoadOptions, load_file};
use crate::playbook::validate::names_unique_across;
use crate::playbook::{Diagnostic, Level};
use crate::style::Style;

/// Loads every file (in parallel: files are independent) and adds the cross-file rules.
/// Workers take the next file from a shared counter rather than a fixed share, so a
/// worker that the machine pauses does not leave the others waiting at the end.
pub fn validate_files(files: &[std::path::PathBuf], options: &LoadOptions) -> (Vec<FileReport>, Vec<Error>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1).min(8).min(files.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Vec<(usize, Result<FileReport, Error>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(path) = files.get(index) else { break };
                        let result =
                            load_file(path, options).map_err(|source| Error::Read { path: path.clone(), source });
                        done.push((index, result));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(results) => results,
                // A loader that panicked (a bug) must not make its files vanish from the
                // report: say so, loudly.
                Err(_) => vec![(usize::MAX, Err(Error::Internal("a playbook loader panicked".into())))],
            })
            .collect()
    });
    let mut ordered: Vec<(usize, Result<FileReport, Error>)> = results;
    ordered.sort_by_key(|(i, _)| *i);
    let mut reports = Vec::new();
    let mut errors = Vec::new();
    for (_, result) in ordered {
        match result {
            Ok(report) => reports.push(report),
            Err(error) => errors.push(error),
        }
    }
    let across = crate::playbook::dependencies::dependencies_across(&reports);
    for (index, diagnostic) in names_unique_across(&reports).into_iter().chain(across) {
        reports[index].diagnostics.push(diagnostic);
        reports[index].diagnostics.sort_by_key(|d| (d.span.line, d.span.col));
    }
    (reports, errors)
}

pub fn run(args: &ValidateArgs) -> crate::error::Result<i32> {
    let (files, mut errors) = discover::playbook_files(&args.paths);
    let options = LoadOptions { loose_forms: args.strict, ..LoadOptions::default() };
    let (reports, read_errors) = validate_files(&files, &options);
    errors.extend(read_errors);
    let empty = folders_without_playbooks(&args.paths, &files);

    let invalid = reports.iter().filter(|r| is_invalid(r, args.strict)).count();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        ValidateFormat::Human => {
            let style = Style::for_stdout();
            for report in &reports {
                for diagnostic in &report.diagnostics {
                    let shown = strictly(diagnostic, args.strict);
                    let text = shown.render(&report.display_path(), &report.source, style);
                    let _ = writeln!(out, "{}", crate::secret::scrub(&text));
                }
            }
            for error in &errors {
                let _ = writeln!(out, "{}: {error}", style.error("error"));
            }
            for folder in &empty {
                let _ = writeln!(out, "{}: {}", style.error("error"), no_playbook_message(folder));
            }
            let errors_total: usize = reports.iter().map(|r| count(r, args.strict).0).sum();
            let warnings_total: usize = reports.iter().map(|r| count(r, args.strict).1).sum();
            let files_word = if reports.len() == 1 { "file" } else { "files" };
            let summary = format!(
                "{} {files_word} checked: {} valid, {invalid} invalid ({errors_total} error{}, {warnings_total} warning{})",
                reports.len(),
                reports.len() - invalid,
                if errors_total == 1 { "" } else { "s" },
                if warnings_total == 1 { "" } else { "s" },
            );
            let summary = if invalid > 0 || !errors.is_empty() || !empty.is_empty() {
                style.error(&summary)
            } else {
                style.ok(&summary)
            };
            let _ = writeln!(out, "{summary}");
        }
        ValidateFormat::Json => {
            let json = JsonOutput {
                valid: invalid == 0 && errors.is_empty() && empty.is_empty(),
                files: reports
                    .iter()
                    .map(|r| JsonFile {
                        path: r.display_path(),
                        name: r.playbook.as_ref().map(|p| p.name.to_string()),
                        valid: !is_invalid(r, args.strict),
                        diagnostics: r.diagnostics.iter().map(|d| strictly(d, args.strict)).collect(),
                    })
                    .collect(),
                unreadable: errors.iter().map(|e| e.to_string()).collect(),
                no_playbook: empty.iter().map(|folder| no_playbook_message(folder)).collect(),
            };
            let text = serde_json::to_string_pretty(&json).map_err(Error::Encode)?;
            let _ = writeln!(out, "{}", crate::secret::scrub(&text));
        }
    }
    Ok(if errors.iter().any(|e| e.exit_code() == exit::SOFTWARE) {
        exit::SOFTWARE
    } else if !errors.is_empty() {
        exit::IO
    } else if invalid > 0 || !empty.is_empty() {
        exit::INVALID
    } else {
        exit::OK
    })
}

/// The folders among `paths` (the default folder when none is given) in which no
/// playbook file was found: validating nothing must not pass as "all valid".
fn folders_without_playbooks(paths: &[PathBuf], files: &[PathBuf]) -> Vec<PathBuf> {
    let default = [PathBuf::from(discover::DEFAULT_DIR)];
    let paths = if paths.is_empty() { &default[..] } else { paths };
    paths.iter().filter(|path| path.is_dir() && !files.iter().any(|file| file.starts_with(path))).cloned().collect()
}

fn no_playbook_message(folder: &Path) -> String {
    format!("no playbook found in {} (a playbook is a `.yaml` or `.yml` file)", folder.display())
}

fn is_invalid(report: &FileReport, strict: bool) -> bool {
    count(report, strict).0 > 0
}

/// (errors, warnings), with warnings counted as errors under `--strict`.
fn count(report: &FileReport, strict: bool) -> (usize, usize) {
    let errors = report.error_count();
    let warnings = report.warning_count();
    if strict { (errors + warnings, 0) } else { (errors, warnings) }
}

/// Under `--strict`, a warning is shown as an error.
fn strictly(diagnostic: &Diagnostic, strict: bool) -> Diagnostic {
    let mut d = diagnostic.clone();
    if strict && d.level == Level::Warning {
        d.level = Level::Error;
    }
    d
}

#[derive(Serialize)]
struct JsonOutput {
    valid: bool,
    files: Vec<JsonFile>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    unreadable: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    no_playbook: Vec<String>,
}

#[derive(Serialize)]
struct JsonFile {
    path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    valid: bool,
    diagnostics: Vec<Diagnostic>,
}
