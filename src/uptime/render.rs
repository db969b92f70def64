//! The four views of an uptime report (`runner uptime --format human|json|csv|html`): one
//! [`Report`] shape, one function per format.
//!
//! The HTML is one self-contained file (no outside asset, no script) laid out for A4: print
//! CSS with page margins, each playbook on its own page, table headers repeated on every
//! page, rows never split. tests/it/uptime.rs prints it to PDF with headless Chromium.

use serde::Serialize;

use super::Figures;
use crate::store::uptime::SeriesFigures;

/// Uptime per playbook and check over one window.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    /// The window as asked (`30d`).
    pub since: String,
    /// The window's start and end (RFC 3339, UTC).
    pub from: String,
    pub until: String,
    /// The host whose results these are.
    pub host: String,
    pub playbooks: Vec<PlaybookUptime>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PlaybookUptime {
    pub playbook: String,
    /// The playbook's own series; `None` under `--check`, which reads one check only.
    #[serde(flatten)]
    pub figures: Option<Figures>,
    pub checks: Vec<CheckUptime>,
}

#[derive(Clone, Debug, Serialize)]
pub struct CheckUptime {
    pub check: String,
    #[serde(flatten)]
    pub figures: Figures,
}

impl Report {
    /// Groups series figures (a playbook's own first, then its checks) by playbook.
    pub fn new(since: String, from: String, until: String, host: String, series: Vec<SeriesFigures>) -> Report {
        let mut playbooks: Vec<PlaybookUptime> = Vec::new();
        for s in series {
            match s.check {
                None => {
                    playbooks.push(PlaybookUptime {
                        playbook: s.playbook,
                        figures: Some(s.figures),
                        checks: Vec::new(),
                    });
                }
                Some(check) => {
                    if playbooks.last().is_none_or(|p| p.playbook != s.playbook) {
                        playbooks.push(PlaybookUptime {
                            playbook: s.playbook.clone(),
                            figures: None,
                            checks: Vec::new(),
                        });
                    }
                    if let Some(playbook) = playbooks.last_mut() {
                        playbook.checks.push(CheckUptime { check, figures: s.figures });
                    }
                }
            }
        }
        Report { since, from, until, host, playbooks }
    }
}

/// An uptime percentage for people: "—" without data; two decimals, and a window with
/// any downtime never reads 100.00 % (99.999 % shows as 99.99 %).
pub fn percent_text(percent: Option<f64>) -> String {
    match percent {
        None => "—".into(),
        Some(p) if p < 100.0 && format!("{p:.2}") == "100.00" => "99.99 %".into(),
        Some(p) => format!("{p:.2} %"),
    }
}

/// A duration for people (`45s`, `1h30m`, `250ms`), "—" when there is none.
pub fn duration_text(ms: Option<i64>) -> String {
    match ms {
        None => "—".into(),
        Some(ms) if ms < 1000 => format!("{}ms", ms.max(0)),
        Some(ms) => {
            let seconds = u64::try_from((ms + 500) / 1000).unwrap_or(0);
            crate::duration::format(std::time::Duration::from_secs(seconds))
        }
    }
}

fn incidents_text(figures: &Figures) -> String {
    if figures.ongoing { format!("{} (1 open)", figures.incidents) } else { figures.incidents.to_string() }
}

/// The cells of one row: name, uptime, incidents, mean time to recover, longest outage.
fn cells(name: String, figures: &Figures) -> [String; 5] {
    [
        name,
        percent_text(figures.uptime_percent),
        incidents_text(figures),
        duration_text(figures.mean_time_to_recover_ms),
        duration_text(figures.longest_outage_ms),
    ]
}

const HEADERS: [&str; 5] = ["PLAYBOOK / CHECK", "UPTIME", "INCIDENTS", "MTTR", "LONGEST OUTAGE"];

fn rows(report: &Report) -> Vec<[String; 5]> {
    let mut rows = Vec::new();
    for p in &report.playbooks {
        match &p.figures {
            Some(figures) => rows.push(cells(p.playbook.clone(), figures)),
            None => rows.push([p.playbook.clone(), String::new(), String::new(), String::new(), String::new()]),
        }
        for c in &p.checks {
            rows.push(cells(format!("  {}", c.check), &c.figures));
        }
    }
    rows
}

/// An aligned table.
pub fn human(report: &Report) -> String {
    let mut out = format!(
        "Uptime over the last {} ({} – {}), host {}\n",
        report.since,
        short_time(&report.from),
        short_time(&report.until),
        report.host
    );
    if report.playbooks.is_empty() {
        out.push_str("  no results recorded in this store yet\n");
        return out;
    }
    let rows = rows(report);
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            let pad = width - cell.chars().count();
            // Names left, figures right.
            if i == 0 {
                text.push_str(cell);
                text.push_str(&" ".repeat(pad));
            } else {
                text.push_str("  ");
                text.push_str(&" ".repeat(pad));
                text.push_str(cell);
            }
        }
        text.trim_end().to_string() + "\n"
    };
    out.push_str(&line(HEADERS));
    for row in &rows {
        out.push_str(&line([&row[0], &row[1], &row[2], &row[3], &row[4]]));
    }
    out
}

fn short_time(rfc3339: &str) -> String {
    rfc3339.parse::<jiff::Timestamp>().map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_default()
}

pub fn json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_default() + "\n"
}

/// The CSV header: one row per playbook (empty `check`) and per check.
pub const CSV_HEADER: &str = "playbook,check,uptime_percent,weighed_by,up_ms,down_ms,up_results,down_results,incidents,ongoing,mean_time_to_recover_ms,longest_outage_ms";

/// RFC 4180: CRLF line ends, fields quoted where they must be.
pub fn csv(report: &Report) -> String {
    let field = crate::commands::history::csv;
    let number = |n: Option<i64>| n.map(|n| n.to_string()).unwrap_or_default();
    let mut out = format!("{CSV_HEADER}\r\n");
    let mut row = |playbook: &str, check: &str, f: &Figures| {
        let weighed = match f.weighed_by {
            Some(super::Weighing::Time) => "time",
            Some(super::Weighing::Result) => "result",
            None => "",
        };
        out.push_str(&format!(
            "{},{},{},{weighed},{},{},{},{},{},{},{},{}\r\n",
            field(playbook),
            field(check),
            f.uptime_percent.map(crate::outcome::exact_number).unwrap_or_default(),
            f.totals.up_ms,
            f.totals.down_ms,
            f.totals.up_results,
            f.totals.down_results,
            f.incidents,
            f.ongoing,
            number(f.mean_time_to_recover_ms),
            number(f.longest_outage_ms),
        ));
    };
    for p in &report.playbooks {
        if let Some(figures) = &p.figures {
            row(&p.playbook, "", figures);
        }
        for c in &p.checks {
            row(&p.playbook, &c.check, &c.figures);
        }
    }
    out
}

/// Text in HTML: the XML escaping of the JUnit output serves (and drops control
/// characters a check's output may carry).
fn escape(text: &str) -> String {
    crate::output::junit::escape(text)
}

/// The print stylesheet: A4, a page per playbook, headers repeated, rows whole.
const STYLE: &str = "
@page { size: A4; margin: 18mm 15mm; }
* { box-sizing: border-box; }
body { font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; font-size: 10pt; color: #111; margin: 0; }
header.report { margin-bottom: 8mm; }
h1 { font-size: 16pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 0 0 3mm; }
p.window { margin: 0; color: #444; }
section.playbook { break-before: page; page-break-before: always; }
section.playbook:first-of-type { break-before: auto; page-break-before: auto; }
table { width: 100%; border-collapse: collapse; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { padding: 1.6mm 2mm; border-bottom: 0.3mm solid #bbb; text-align: right; }
th { background: #eee; font-weight: bold; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
th:first-child, td:first-child { text-align: left; }
tr.playbook td { font-weight: bold; }
td.down { color: #a00; }
p.empty { color: #444; }
";

/// A self-contained HTML report that prints on A4.
pub fn html(report: &Report) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!("<title>Uptime over the last {}</title>\n", escape(&report.since)));
    out.push_str(&format!("<style>{STYLE}</style>\n</head>\n<body>\n"));
    out.push_str(&format!(
        "<header class=\"report\"><h1>Uptime over the last {}</h1><p class=\"window\">{} – {} · host {}</p></header>\n",
        escape(&report.since),
        escape(&short_time(&report.from)),
        escape(&short_time(&report.until)),
        escape(&report.host)
    ));
    if report.playbooks.is_empty() {
        out.push_str("<p class=\"empty\">No results recorded in this store yet.</p>\n");
    }
    for p in &report.playbooks {
        out.push_str(&format!("<section class=\"playbook\">\n<h2>{}</h2>\n<table>\n<thead><tr>", escape(&p.playbook)));
        for header in ["Check", "Uptime", "Incidents", "Mean time to recover", "Longest outage"] {
            out.push_str(&format!("<th>{header}</th>"));
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        let row = |class: &str, name: &str, f: &Figures| {
            let [_, uptime, incidents, mttr, longest] = cells(String::new(), f);
            let down = if f.totals.down_ms > 0 || f.totals.down_results > 0 { " class=\"down\"" } else { "" };
            format!(
                "<tr class=\"{class}\"><td>{}</td><td{down}>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                escape(name),
                escape(&uptime),
                escape(&incidents),
                escape(&mttr),
                escape(&longest)
            )
        };
        if let Some(figures) = &p.figures {
            out.push_str(&row("playbook", "whole playbook", figures));
        }
        for c in &p.checks {
            out.push_str(&row("check", &c.check, &c.figures));
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_plainly() {
        assert_eq!(percent_text(None), "—");
        assert_eq!(percent_text(Some(100.0)), "100.00 %");
        assert_eq!(percent_text(Some(99.9999)), "99.99 %");
        assert_eq!(percent_text(Some(59.998)), "60.00 %");
        assert_eq!(percent_text(Some(50.0)), "50.00 %");
        assert_eq!(duration_text(None), "—");
        assert_eq!(duration_text(Some(250)), "250ms");
        assert_eq!(duration_text(Some(90_000)), "1m30s");
        assert_eq!(duration_text(Some(5_400_000)), "1h30m");
    }

    #[test]
    fn html_escapes_names() {
        let report = Report::new("1d".into(), String::new(), String::new(), "<h>".into(), Vec::new());
        assert!(html(&report).contains("host &lt;h&gt;"));
    }
}
