//! Reports: a file per run, rendered with minijinja from a builtin template (markdown,
//! html, json) or the playbook's own, at a path that is itself a template; and retention
//! (`keep`, `keep_last`) that deletes only reports this playbook wrote.
//!
//! A report that cannot be written is a failed stage with a clear reason, never a lost
//! run: the pipeline stores and alerts the run before it writes the report.

pub mod context;
mod error;
pub mod retention;
pub mod uptime;

pub use error::ReportError;

use std::path::{Path, PathBuf};

use crate::outcome::{RunRecord, StageResult, StageStatus};
use crate::playbook::Loaded;
use crate::playbook::interpolate::resolve_against;

const MARKDOWN: &str = include_str!("../../templates/report.md.j2");
const HTML: &str = include_str!("../../templates/report.html.j2");

/// A minijinja environment with runner's filters, in the playbook's timezone.
fn environment(loaded: &Loaded) -> minijinja::Environment<'static> {
    let zone = context::zone(loaded);
    let mut env = crate::template::environment(move || zone.clone(), crate::template::RUN_FUEL);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
    if let Ok(syntax) = minijinja::syntax::SyntaxConfig::builder().keep_trailing_newline(true).build() {
        env.set_syntax(syntax);
    }
    env
}

/// Renders the report path of a run, resolved against the playbook's folder, with `uptime`
/// in the context ([`uptime::context`]).
fn path_with(record: &RunRecord, loaded: &Loaded, uptime: Option<&serde_json::Value>) -> Result<PathBuf, ReportError> {
    let Some(report) = &loaded.playbook.report else { return Err(ReportError::NotConfigured) };
    let env = environment(loaded);
    let rendered = crate::template::render_bounded(
        &env,
        None,
        report.path.source(),
        context::value_with(record, loaded, uptime),
        4096,
    )
    .map_err(ReportError::Path)?;
    let rendered = rendered.trim();
    if rendered.is_empty() {
        return Err(ReportError::EmptyPath);
    }
    Ok(resolve_against(&loaded.base_dir, rendered))
}

/// Renders the report's content, with `uptime` in the context ([`uptime::context`]).
fn render_with(record: &RunRecord, loaded: &Loaded, uptime: Option<&serde_json::Value>) -> Result<String, ReportError> {
    let Some(report) = &loaded.playbook.report else { return Err(ReportError::NotConfigured) };
    let template =
        report.template.as_ref().map(|t| t.as_str().to_string()).unwrap_or_else(|| "builtin:markdown".into());
    let mut env = environment(loaded);
    let (name, source) = match template.as_str() {
        "builtin:json" => {
            let mut text = serde_json::to_string_pretty(record).map_err(ReportError::Encode)?;
            text.push('\n');
            return Ok(crate::secret::scrub_owned(text));
        }
        "builtin:markdown" => ("report.md.j2".to_string(), MARKDOWN.to_string()),
        "builtin:html" => ("report.html.j2".to_string(), HTML.to_string()),
        file => {
            let path = resolve_against(&loaded.base_dir, file);
            let source = match std::fs::read_to_string(&path) {
                Ok(source) => source,
                Err(source) => return Err(ReportError::ReadTemplate { path, source }),
            };
            (file.to_string(), source)
        }
    };
    let in_template = |source| ReportError::Template { name: name.clone(), source };
    env.add_template_owned(name.clone(), source).map_err(in_template)?;
    let template = env.get_template(&name).map_err(ReportError::Lookup)?;
    let text = template.render(context::value_with(record, loaded, uptime)).map_err(in_template)?;
    Ok(crate::secret::scrub_owned(text))
}

/// The report stage of a run: render, write (atomically), apply retention. `written`
/// records what this playbook wrote, so that retention deletes only its own reports.
/// `uptime` is the context's `uptime` ([`uptime::context`]), when the store can say.
pub fn stage(
    record: &RunRecord,
    loaded: &Loaded,
    dry_run: bool,
    written: Option<&dyn retention::Ledger>,
    uptime: Option<&serde_json::Value>,
) -> Option<StageResult> {
    let report = loaded.playbook.report.as_ref()?;
    let stage = |status, line: String| {
        Some(StageResult { name: "report".into(), status, lines: vec![crate::secret::scrub_owned(line)] })
    };
    let path = match path_with(record, loaded, uptime) {
        Ok(path) => path,
        Err(error) => return stage(StageStatus::Failed, error.to_string()),
    };
    let shown = display(&path, &loaded.base_dir);
    if dry_run {
        let mut lines = vec![format!("would write {shown}")];
        if let Some(keep) = report.keep {
            lines.push(format!(
                "would delete this playbook's reports older than {}",
                crate::duration::format(keep.get())
            ));
        }
        if let Some(keep_last) = report.keep_last {
            lines.push(format!("would keep this playbook's newest {keep_last} reports"));
        }
        return Some(StageResult { name: "report".into(), status: StageStatus::Planned, lines });
    }
    let content = match render_with(record, loaded, uptime) {
        Ok(content) => content,
        Err(error) => return stage(StageStatus::Failed, format!("cannot render the report: {error}")),
    };
    if let Err(error) = crate::write::write_atomically(&path, &content) {
        let reason = match &error {
            crate::error::Error::Write { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        return stage(StageStatus::Failed, format!("cannot write the report {shown}: {reason}"));
    }
    let mut lines = vec![format!("wrote {shown}")];
    if let Some(ledger) = written {
        ledger.remember(loaded.playbook.name.as_str(), &path);
        match retention::apply(report, loaded.playbook.name.as_str(), ledger, &path) {
            Ok(0) => {}
            Ok(n) => lines.push(format!("deleted {n} old report{}", if n == 1 { "" } else { "s" })),
            Err(error) => lines.push(format!("retention: {error}")),
        }
    }
    Some(StageResult { name: "report".into(), status: StageStatus::Done, lines })
}

/// A path relative to the playbook's folder when it is inside it.
fn display(path: &Path, base: &Path) -> String {
    path.strip_prefix(base).map(|p| p.display().to_string()).unwrap_or_else(|_| path.display().to_string())
}
