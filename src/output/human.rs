//! The human view (default): a header, the checks aligned in columns (status symbol and
//! label, check, phase, duration, message) grouped by phase with their actions, then the
//! report and notify stages and a summary line. Colour only on a terminal.

use super::Format;
use crate::outcome::{ActionStatus, CheckResult, RunRecord, StageStatus, Status};
use crate::style::Style;

pub struct Human {
    pub style: Style,
}

impl Human {
    fn status(&self, status: Status) -> String {
        let text = format!("{} {:<8}", status.symbol(), status.label());
        match status {
            Status::Ok => self.style.ok(&text),
            Status::Warning => self.style.yellow(&text),
            Status::Critical => self.style.red(&text),
            Status::Unknown => self.style.magenta(&text),
            Status::Skipped => self.style.dim(&text),
            Status::Manual => self.style.cyan(&text),
        }
    }
}

fn elapsed(ms: u64) -> String {
    crate::duration::format_elapsed(std::time::Duration::from_millis(ms))
}

impl Format for Human {
    fn render(&self, record: &RunRecord) -> String {
        let style = self.style;
        let mut out = String::new();
        let started = record
            .started_at
            .parse::<jiff::Timestamp>()
            .map(|t| t.strftime("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|_| record.started_at.clone());
        let mut header = format!("{} · {started}", style.bold(&record.playbook));
        if record.dry_run {
            header.push_str(&style.yellow(" · DRY RUN (checks observe; nothing else runs, is sent or written)"));
        }
        out.push_str(&header);
        out.push('\n');
        if let Some(description) = &record.description {
            out.push_str(&format!("{}\n", style.dim(description)));
        }
        out.push('\n');

        let id_width = record.checks.iter().map(|c| c.id.chars().count()).max().unwrap_or(0).max(5);
        let phase_width =
            record.checks.iter().filter_map(|c| c.phase.as_ref()).map(|p| p.chars().count()).max().unwrap_or(0);
        let time_width = record.checks.iter().map(|c| elapsed(c.duration_ms).len()).max().unwrap_or(0);
        let line = |check: &CheckResult| -> String {
            let phase = match &check.phase {
                Some(phase) => format!("{phase:<phase_width$}  "),
                None if phase_width > 0 => format!("{:<phase_width$}  ", ""),
                None => String::new(),
            };
            let mut text = format!(
                "  {}  {:<id_width$}  {}{}  {}",
                self.status(check.status),
                check.id,
                style.dim(&phase),
                style.dim(&format!("{:>time_width$}", elapsed(check.duration_ms))),
                check.message.lines().next().unwrap_or("")
            );
            if let Some(remediation) = &check.remediation {
                text.push_str(&format!("\n  {:>12}  {}", "", style.cyan(&format!("↻ {}", remediation.message))));
            }
            // Quiet times: the status stands; the line says its messages are held (the
            // check's own holds first, then flapping, a hold of a channel).
            let flapping = flapping_channels(record, &check.id);
            let first = check
                .holds
                .first()
                .map(crate::quiet::Hold::describe)
                .or_else(|| (!flapping.is_empty()).then(|| format!("flapping on {}", flapping.join(", "))));
            if let Some(first) = first {
                let more = check.holds.iter().count().saturating_sub(1)
                    + if check.holds.is_empty() { 0 } else { flapping.len() };
                let more = if more > 0 { format!(" (+{more} more)") } else { String::new() };
                text.push_str(&format!("\n  {:>12}  {}", "", style.dim(&format!("held: {first}{more}"))));
            }
            text.trim_end().to_string() + "\n"
        };

        if record.phases.is_empty() {
            for check in &record.checks {
                out.push_str(&line(check));
            }
        } else {
            let mut step = 0;
            for phase in &record.phases {
                step += 1;
                out.push_str(&style.bold(&format!("{step}. {}", phase.name)));
                if phase.name != phase.id {
                    out.push_str(&format!(" {}", style.dim(&format!("({})", phase.id))));
                }
                if phase.status != Status::Ok {
                    out.push_str(&format!("  {}", self.status(phase.status).trim_end()));
                }
                out.push('\n');
                for action in &phase.actions {
                    let mark = match action.status {
                        ActionStatus::Ok => style.ok("▸ ran    "),
                        ActionStatus::Failed => style.red("▸ FAILED "),
                        ActionStatus::Planned => style.yellow("▸ would  "),
                        ActionStatus::Skipped => style.dim("▸ skipped"),
                    };
                    out.push_str(&format!(
                        "  {mark} {}  {}  {}\n",
                        action.action,
                        style.dim(&elapsed(action.duration_ms)),
                        action.message
                    ));
                    if action.status == ActionStatus::Failed {
                        for output_line in action.output.lines().take(10) {
                            out.push_str(&format!("             {}\n", style.dim(output_line)));
                        }
                    }
                }
                for check in record.checks.iter().filter(|c| c.phase.as_deref() == Some(phase.id.as_str())) {
                    out.push_str(&line(check));
                }
                if let Some(message) = &phase.message {
                    out.push_str(&format!("  {}\n", style.dim(message)));
                }
            }
            // The report and notify stages every run has are steps after the phases.
            for stage in &record.stages {
                step += 1;
                out.push_str(&format!("{}\n", style.bold(&format!("{step}. {}", capitalize(&stage.name)))));
                out.push_str(&stage_lines(stage, style));
            }
        }
        if record.phases.is_empty() && !record.stages.is_empty() {
            out.push('\n');
            for stage in &record.stages {
                out.push_str(&format!("{}\n", style.bold(&capitalize(&stage.name))));
                out.push_str(&stage_lines(stage, style));
            }
        }
        for note in &record.notes {
            out.push_str(&format!("{}\n", style.dim(&format!("note: {note}"))));
        }
        for check in record.checks.iter().filter(|c| c.status.is_failing()) {
            if let Some(runbook) = &check.runbook {
                let first = runbook.lines().next().unwrap_or("");
                out.push_str(&format!("{}\n", style.dim(&format!("runbook {}: {first}", check.id))));
            }
        }
        out.push('\n');
        let verdict = match record.status {
            Status::Ok => style.ok(&style.bold("OK")),
            Status::Warning => style.yellow(&style.bold("WARNING")),
            Status::Critical => style.red(&style.bold("CRITICAL")),
            Status::Unknown => style.magenta(&style.bold("UNKNOWN")),
            other => other.label().to_string(),
        };
        out.push_str(&format!("{verdict} · {} · {}\n", record.summary.sentence(), elapsed(record.duration_ms)));
        out
    }
}

/// The channels on which `check` is flapping in this run (its decisions say so).
fn flapping_channels<'a>(record: &'a RunRecord, check: &str) -> Vec<&'a str> {
    record
        .decisions
        .iter()
        .filter(|d| d.check == check && d.reasons.iter().any(|r| r == "flapping"))
        .map(|d| d.channel.as_str())
        .collect()
}

fn stage_lines(stage: &crate::outcome::StageResult, style: Style) -> String {
    let mark = match stage.status {
        StageStatus::Done => style.ok("✓"),
        StageStatus::Failed => style.red("✗"),
        StageStatus::Planned => style.yellow("▸"),
        StageStatus::Off => style.dim("-"),
    };
    let mut out = String::new();
    for line in &stage.lines {
        out.push_str(&format!("  {mark} {line}\n"));
    }
    out
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => String::new(),
    }
}
