//! Why a report could not be made: its path or content would not render, its template
//! would not read, or retention could not delete an old report. The report stage turns
//! each into its failed-stage line; `Display` is that line's reason.

use std::path::PathBuf;

/// Why the report stage could not render, write or prune a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Asked for the report of a playbook without a `report` section.
    #[error("no report configured")]
    NotConfigured,
    #[error("cannot render the report path: {}", describe(.0))]
    Path(#[source] minijinja::Error),
    #[error("the report path renders empty")]
    EmptyPath,
    /// `builtin:json` could not encode the run record.
    #[error("{0}")]
    Encode(#[source] serde_json::Error),
    #[error("cannot read template {}: {source}", path.display())]
    ReadTemplate {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The playbook's template (`name`) does not compile or does not render.
    #[error("template {name}: {}", describe(source))]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    /// A compiled template that the environment then does not find.
    #[error("{}", describe(.0))]
    Lookup(#[source] minijinja::Error),
    /// Retention could not delete an old report.
    #[error("cannot delete {}: {source}", path.display())]
    Delete {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// A template error in a few words: minijinja's detail (or its kind) and the line.
fn describe(error: &minijinja::Error) -> String {
    let mut text = error.detail().map(str::to_string).unwrap_or_else(|| error.kind().to_string());
    if let Some(line) = error.line() {
        text.push_str(&format!(" (line {line})"));
    }
    text
}
