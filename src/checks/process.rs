//! `process`: processes by exact name or command-line pattern; metrics `count`, `rss_mb`,
//! `cpu_percent` and `restarts`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{Dur, Pattern, Text};

/// Processes to find.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(transform = crate::playbook::schema_rules::process_check)]
pub struct ProcessCheck {
    /// The exact process name (as in `ps -o comm`).
    pub name: Option<Text>,
    /// A regex on the full command line.
    pub pattern: Option<Pattern>,
    /// At least this many must run (default 1).
    pub min: Option<u32>,
    /// At most this many may run.
    pub max: Option<u32>,
    /// Count restarts (PID or start-time changes) within this window, as `restarts`.
    pub restarts_within: Option<Dur>,
}

impl CheckKind for ProcessCheck {
    const METRICS: &'static [&'static str] = &["count", "rss_mb", "cpu_percent", "restarts"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        let how = "`name` is the exact process name; `pattern` a regex on the command line";
        let (name, pattern) = (("name", self.name.is_some()), ("pattern", self.pattern.is_some()));
        rules.exactly_one_of("a process check", name, pattern, how);
        if let (Some(min), Some(max)) = (self.min, self.max)
            && min > max
        {
            rules.error(rules.check.id.span(), format!("`min` {min} is more than `max` {max}"), "min ≤ max");
        }
        rules.positive("restarts_within", self.restarts_within.as_ref());
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use sysinfo::{ProcessRefreshKind, ProcessesToUpdate, UpdateKind};

use super::restarts::{self, IdentitySample};
use super::system::{SystemReadError, SystemReader};
use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// What was found: one entry per matching process.
#[derive(Clone, Debug)]
struct Found {
    pid: u32,
    start: i64,
    rss: u64,
    cpu: f32,
}

pub async fn probe(config: &ProcessCheck, ctx: &ProbeContext<'_>) -> Observation {
    let reader = ctx.services.system.clone();
    let name = config.name.as_ref().map(|n| n.as_str().to_string());
    let pattern = config.pattern.as_ref().and_then(|p| p.regex().cloned());
    let want_cpu = ctx.wants("cpu_percent");
    let found = tokio::task::spawn_blocking(move || scan(&reader, name.as_deref(), pattern.as_ref(), want_cpu)).await;
    let found = match found {
        Ok(Ok(found)) => found,
        Ok(Err(error)) => return Observation::unknown(error.to_string()),
        Err(error) => return Observation::unknown(format!("reading processes failed: {error}")),
    };
    let what = match (&config.name, &config.pattern) {
        (Some(name), _) => format!("`{name}`"),
        (None, Some(pattern)) => format!("/{}/", pattern.source()),
        _ => "?".into(),
    };
    let count = found.len() as u32;
    let rss_mb = found.iter().map(|f| f.rss).sum::<u64>() as f64 / (1024.0 * 1024.0);
    let mut observation =
        Observation::pass("").metric("count", f64::from(count)).metric("rss_mb", (rss_mb * 10.0).round() / 10.0);
    if ctx.wants("cpu_percent") {
        observation = observation
            .metric("cpu_percent", (found.iter().map(|f| f64::from(f.cpu)).sum::<f64>() * 10.0).round() / 10.0);
    }
    let mut restart_note = String::new();
    if let Some(within) = config.restarts_within {
        let now = jiff::Timestamp::now().as_second();
        let within_s = within.get().as_secs() as i64;
        let key = ctx.state_key("process-samples");
        let history: Vec<IdentitySample> =
            ctx.services.state.load(&key).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
        let current = IdentitySample { at: now, ids: found.iter().map(|f| (f.pid, f.start)).collect() };
        let count = restarts::from_identities(&history, &current, within_s, &ctx.runner_restarts());
        let kept = restarts::keep(history, current, |s| s.at, now, within_s);
        if let Ok(text) = serde_json::to_string(&kept) {
            ctx.services.state.save(&key, &text);
        }
        observation = observation.metric("restarts", f64::from(count.restarts));
        restart_note = restart_sentence(count, within.get());
    }
    for f in found.iter().take(10) {
        observation = observation.detail(format!(
            "pid {} rss {} MB",
            f.pid,
            format_number((f.rss as f64 / 1048576.0 * 10.0).round() / 10.0)
        ));
    }
    let min = config.min.unwrap_or(1);
    let summary =
        format!("{count} running {what}, {} MB RSS{restart_note}", format_number((rss_mb * 10.0).round() / 10.0));
    if count < min {
        let message = if count == 0 {
            format!("no process matches {what}")
        } else {
            format!("{count} {what} running, expected at least {min}")
        };
        let mut failed = Observation::fail(message);
        failed.metrics = observation.metrics;
        return failed;
    }
    if let Some(max) = config.max
        && count > max
    {
        let mut failed = Observation::fail(format!("{count} {what} running, expected at most {max}"));
        failed.metrics = observation.metrics;
        failed.details = observation.details;
        return failed;
    }
    observation.message = summary;
    observation
}

/// ", 2 restarts in the last 5m" (or "since the previous run 1h ago" when runs are further
/// apart than the window, or that the baseline was taken when there was no earlier sample).
pub fn restart_sentence(count: restarts::Count, within: std::time::Duration) -> String {
    let noun = if count.restarts == 1 { "restart" } else { "restarts" };
    if count.baseline {
        // Not "0 restarts": nothing could be counted yet.
        ", restarts: baseline taken, counted from the next run".to_string()
    } else if count.approximate {
        format!(
            ", {} {noun} since the previous sample {} ago (runs are further apart than restarts_within {})",
            count.restarts,
            crate::duration::format(std::time::Duration::from_secs(count.span.max(0) as u64)),
            crate::duration::format(within)
        )
    } else {
        format!(", {} {noun} in the last {}", count.restarts, crate::duration::format(within))
    }
}

fn scan(
    reader: &SystemReader,
    name: Option<&str>,
    pattern: Option<&regex::Regex>,
    want_cpu: bool,
) -> Result<Vec<Found>, SystemReadError> {
    let matches = |proc: &mut super::procfs::Proc| match (name, pattern) {
        (Some(name), _) => proc.has_name(name),
        (None, Some(pattern)) => pattern.is_match(&proc.command_line()),
        _ => false,
    };
    let listed = if cfg!(target_os = "linux") { super::procfs::list().ok() } else { None };
    let mut found: Vec<Found> = match listed {
        // Linux: /proc directly, one read per process.
        Some(mut procs) => procs
            .iter_mut()
            .filter_map(|p| if matches(p) { Some(&*p) } else { None })
            .map(|p| Found { pid: p.pid, start: p.start, rss: super::procfs::rss_bytes(p.pid).unwrap_or(0), cpu: 0.0 })
            .collect(),
        // Elsewhere (macOS): sysinfo.
        None => scan_sysinfo(reader, name, pattern)?,
    };
    if want_cpu {
        // CPU usage needs two readings a moment apart; only of the matches.
        let pids: Vec<sysinfo::Pid> = found.iter().map(|f| sysinfo::Pid::from_u32(f.pid)).collect();
        let kind = ProcessRefreshKind::nothing().without_tasks().with_cpu();
        reader.with(|s| s.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind))?;
        std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        reader.with(|s| {
            s.refresh_processes_specifics(ProcessesToUpdate::Some(&pids), true, kind);
            for f in &mut found {
                f.cpu = s.process(sysinfo::Pid::from_u32(f.pid)).map(|p| p.cpu_usage()).unwrap_or(0.0);
            }
        })?;
    }
    found.sort_by_key(|f| f.pid);
    Ok(found)
}

fn scan_sysinfo(
    reader: &SystemReader,
    name: Option<&str>,
    pattern: Option<&regex::Regex>,
) -> Result<Vec<Found>, SystemReadError> {
    let own = std::process::id();
    let kind = ProcessRefreshKind::nothing().without_tasks().with_memory().with_cmd(UpdateKind::OnlyIfNotSet);
    reader.with(|s| {
        s.refresh_processes_specifics(ProcessesToUpdate::All, true, kind);
        s.processes()
            .values()
            .filter(|p| p.pid().as_u32() != own && p.thread_kind().is_none())
            .filter(|p| match (name, pattern) {
                (Some(name), _) => p.name().to_string_lossy() == name,
                (None, Some(pattern)) => {
                    let line = p.cmd().iter().map(|a| a.to_string_lossy()).collect::<Vec<_>>().join(" ");
                    let line = if line.is_empty() { p.name().to_string_lossy().into_owned() } else { line };
                    pattern.is_match(&line)
                }
                _ => false,
            })
            .map(|p| Found { pid: p.pid().as_u32(), start: p.start_time() as i64, rss: p.memory(), cpu: 0.0 })
            .collect()
    })
}
