//! `runner history [NAME] [--check ID] [--since 7d] [--remediations] [--metrics] [--format human|json|csv]`:
//! a playbook's stored runs (status, duration) and per-check metric trends (min, avg,
//! max, last), or with `--remediations` one row per remediation that ran. CSV is one table
//! with one header, as a spreadsheet opens it: the runs, or with `--metrics` the trends.

use std::io::Write;

use serde::Serialize;

use crate::cli::{Cli, HistoryArgs, HistoryFormat};
use crate::error::Error;
use crate::outcome::exact_number;
use crate::store::{MetricTrend, RunRow, Store};
use crate::style::Style;

/// The CSV headers of the runs and of the metric trends.
const RUNS_HEADER: &str = "run_id,playbook,started_at,duration_ms,status,origin,interrupted,stands_for";
const TRENDS_HEADER: &str = "playbook,check,metric,samples,min,avg,max,last";

/// How many runs are listed at most.
const RUN_LIMIT: i64 = 10_000;

#[derive(Serialize)]
struct Output {
    since: String,
    runs: Vec<RunRow>,
    counts: Vec<(String, i64)>,
    trends: Vec<MetricTrend>,
    /// Per run id: what alerting decided per check and channel, with every reason that
    /// held (runs of playbooks that notify).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    decisions: DecisionsByRun,
    /// Silences that touched the playbook in the period (in force, or ended: they are
    /// kept for history).
    silences: Vec<crate::quiet::silence::Silence>,
}

/// Decisions per run id.
type DecisionsByRun = std::collections::BTreeMap<String, Vec<crate::store::decisions::DecisionRow>>;

/// The decisions of the listed runs, and the silences of the period.
fn quiet_times(
    store: &dyn Store,
    runs: &[RunRow],
    playbook: Option<&str>,
    since_ms: i64,
) -> crate::error::Result<(DecisionsByRun, Vec<crate::quiet::silence::Silence>)> {
    let mut decisions = std::collections::BTreeMap::new();
    for run in runs {
        let rows = store.decisions(&run.run_id)?;
        if !rows.is_empty() {
            decisions.insert(run.run_id.clone(), rows);
        }
    }
    let now = crate::clock::now_ms();
    let mut silences = store.silences(now, false)?;
    silences.extend(store.silences(now, true)?);
    silences.retain(|s| {
        s.end().0 >= since_ms && playbook.is_none_or(|name| s.playbook.as_deref().is_none_or(|p| p == name))
    });
    Ok((decisions, silences))
}

pub fn run(cli: &Cli, args: &HistoryArgs) -> crate::error::Result<i32> {
    let since = crate::duration::parse(&args.since)
        .map_err(|source| Error::DurationFlag { flag: format!("--since {}", args.since), source })?;
    let dir = super::run::state_dir(cli.state.as_deref());
    let Some(store) = crate::store::open_read_only(&dir)? else {
        eprintln!("no history yet in {} (runs are recorded by `runner run` and the daemon)", dir.display());
        // A CSV reader still gets its table, empty.
        if args.format == HistoryFormat::Csv && !args.remediations {
            println!("{}", if args.metrics { TRENDS_HEADER } else { RUNS_HEADER });
        }
        return Ok(0);
    };
    if args.metrics && args.format != HistoryFormat::Csv {
        return Err(Error::Usage(
            "--metrics picks the table of --format csv; human and json show runs and metrics together".into(),
        ));
    }
    let since_ms = crate::clock::now().as_millisecond() - since.as_millis() as i64;
    let name = args.name.as_deref();
    if args.remediations {
        return super::remediations::print(store.as_ref(), name, args.check.as_deref(), since_ms, args.format);
    }
    if let Some(check) = args.check.as_deref() {
        known_check(store.as_ref(), name, check)?;
    }
    let runs = store.runs(name, args.check.as_deref(), since_ms, RUN_LIMIT)?;
    let counts = store.run_counts(name, args.check.as_deref(), since_ms)?;
    let trends = store.trends(name, args.check.as_deref(), since_ms)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match args.format {
        HistoryFormat::Json => {
            let (decisions, silences) = quiet_times(store.as_ref(), &runs, name, since_ms)?;
            let output = Output { since: crate::duration::format(since), runs, counts, trends, decisions, silences };
            let _ = writeln!(out, "{}", serde_json::to_string_pretty(&output).map_err(Error::Encode)?);
        }
        HistoryFormat::Csv if args.metrics => {
            let _ = writeln!(out, "{TRENDS_HEADER}");
            for t in &trends {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    csv(&t.playbook),
                    csv(&t.check),
                    csv(&t.metric),
                    t.samples,
                    exact_number(t.min),
                    exact_number(t.avg),
                    exact_number(t.max),
                    exact_number(t.last)
                );
            }
        }
        HistoryFormat::Csv => {
            let _ = writeln!(out, "{RUNS_HEADER}");
            for r in &runs {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{},{}",
                    csv(&r.run_id),
                    csv(&r.playbook),
                    csv(&r.started_at),
                    r.duration_ms,
                    csv(&r.status),
                    csv(&r.origin),
                    r.interrupted,
                    r.stands_for.map(|n| n.to_string()).unwrap_or_default()
                );
            }
        }
        HistoryFormat::Human => {
            let style = Style::for_stdout();
            let scope = name.map(|n| format!("`{n}`")).unwrap_or_else(|| "all playbooks".into());
            let _ = writeln!(
                out,
                "{}",
                style.bold(&format!("Runs of {scope} in the last {}", crate::duration::format(since)))
            );
            if runs.is_empty() {
                let _ = writeln!(out, "  none");
            }
            let counted: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
            if !counted.is_empty() {
                let _ = writeln!(out, "  {} runs: {}", runs.len(), counted.join(", "));
            }
            for r in runs.iter().take(20) {
                let mut extra = String::new();
                if r.interrupted {
                    extra.push_str("  (interrupted)");
                }
                if let Some(n) = r.stands_for {
                    extra.push_str(&format!("  (catch-up for {n} fires)"));
                }
                let _ = writeln!(
                    out,
                    "  {}  {:<8}  {:>8}  {:<14} {}{extra}",
                    r.started_at.get(..19).unwrap_or(&r.started_at).replace('T', " "),
                    r.status.to_uppercase(),
                    crate::duration::format_elapsed(std::time::Duration::from_millis(r.duration_ms.max(0) as u64)),
                    r.playbook,
                    style.dim(&r.origin)
                );
            }
            if runs.len() > 20 {
                let _ = writeln!(out, "  … {} more (use --format json or csv for all)", runs.len() - 20);
            }
            let _ = writeln!(out);
            let _ = writeln!(out, "{}", style.bold("Metric trends (min / avg / max / last)"));
            if trends.is_empty() {
                let _ = writeln!(out, "  none");
            }
            let width = trends.iter().map(|t| t.check.len() + t.metric.len() + 1).max().unwrap_or(0);
            for t in &trends {
                let label = format!("{}.{}", t.check, t.metric);
                let prefix = if name.is_none() { format!("{} ", t.playbook) } else { String::new() };
                let n = crate::outcome::format_number;
                let _ = writeln!(
                    out,
                    "  {prefix}{label:<width$}  {} / {} / {} / {}  ({} samples)",
                    n(t.min),
                    n((t.avg * 100.0).round() / 100.0),
                    n(t.max),
                    n(t.last),
                    t.samples
                );
            }
        }
    }
    Ok(0)
}

/// `--check ID` must name a check the store knows (of the playbook, if one is named): a
/// typo is a usage error with the closest id, not an empty or unfiltered table.
pub(crate) fn known_check(store: &dyn Store, playbook: Option<&str>, check: &str) -> crate::error::Result<()> {
    let ids = store.check_ids(playbook)?;
    if ids.iter().any(|id| id == check) {
        return Ok(());
    }
    let scope = playbook.map(|p| format!("of `{p}`")).unwrap_or_else(|| "of any playbook".into());
    let hint = crate::playbook::suggest::did_you_mean(check, ids.iter().map(String::as_str))
        .map(|id| format!("; did you mean `{id}`?"))
        .unwrap_or_default();
    Err(Error::Usage(format!("--check {check}: no stored results {scope} have that check{hint}")))
}

/// A CSV text field (RFC 4180): quoted when it holds a comma, a quote or a line break. A
/// field a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, TAB or CR first, as
/// OWASP lists them) gets a leading `'`, so that opening the file never evaluates text that
/// came from a check.
pub fn csv(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{text}") } else { text.to_string() };
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text }
}

#[cfg(test)]
mod tests {
    use super::csv;

    #[test]
    fn fields_are_quoted_and_never_formulas() {
        assert_eq!(csv("plain"), "plain");
        assert_eq!(csv("a,b"), "\"a,b\"");
        assert_eq!(csv("say \"hi\"\r\n"), "\"say \"\"hi\"\"\r\n\"");
        assert_eq!(csv("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv("-1+2"), "'-1+2");
        assert_eq!(csv("\t=1+1"), "'\t=1+1");
        assert_eq!(csv("\r=2"), "\"'\r=2\"");
    }
}
