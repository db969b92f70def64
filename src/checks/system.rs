//! `system`: host metrics — cpu, memory, swap, load, disk, uptime — reading only what is
//! asked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::PathText;

/// Host metrics to read.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemCheck {
    /// Which metrics to read.
    #[schemars(length(min = 1))]
    pub metrics: Vec<SystemMetric>,
    /// A path on the filesystem that `disk_used_percent`, `disk_free_bytes` and
    /// `inodes_used_percent` measure (default `/`): the filesystem holding it, whatever
    /// is mounted where. A relative path resolves against the playbook's folder.
    pub disk: Option<PathText>,
}

/// A host metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SystemMetric {
    CpuPercent,
    MemoryUsedPercent,
    SwapUsedPercent,
    #[serde(rename = "load_1m")]
    Load1m,
    #[serde(rename = "load_5m")]
    Load5m,
    #[serde(rename = "load_15m")]
    Load15m,
    DiskUsedPercent,
    DiskFreeBytes,
    InodesUsedPercent,
    UptimeS,
}

impl SystemMetric {
    pub fn name(self) -> &'static str {
        match self {
            SystemMetric::CpuPercent => "cpu_percent",
            SystemMetric::MemoryUsedPercent => "memory_used_percent",
            SystemMetric::SwapUsedPercent => "swap_used_percent",
            SystemMetric::Load1m => "load_1m",
            SystemMetric::Load5m => "load_5m",
            SystemMetric::Load15m => "load_15m",
            SystemMetric::DiskUsedPercent => "disk_used_percent",
            SystemMetric::DiskFreeBytes => "disk_free_bytes",
            SystemMetric::InodesUsedPercent => "inodes_used_percent",
            SystemMetric::UptimeS => "uptime_s",
        }
    }
}

impl CheckKind for SystemCheck {
    /// Exactly the metrics listed.
    fn metric_names(&self) -> Option<Vec<String>> {
        Some(self.metrics.iter().map(|m| m.name().to_string()).collect())
    }

    fn validate(&self, rules: &mut KindRules<'_>) {
        if let Some(disk) = self.disk.as_ref().map(PathText::written)
            && disk.is_valid()
            && !disk.as_str().starts_with('/')
            && !disk.as_str().starts_with("~/")
        {
            let folder = rules.playbook_dir.display().to_string();
            let d = rules.warning(
                disk.span(),
                format!("`disk: {disk}` is a relative path, resolved against the playbook's folder, `{folder}`"),
            );
            d.hint = Some("write the absolute path, e.g. `/` or `/var/lib`".into());
        }
        if self.metrics.is_empty() {
            rules.error(
                rules.check.id.span(),
                "`metrics` is empty",
                "list what to read, e.g. `[swap_used_percent, load_1m]`",
            );
        }
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::sync::Mutex;

use sysinfo::System;

use super::disk::{self, DiskUsage};

use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// One `sysinfo::System` per process, refreshed only for what a check asks. CPU usage
/// needs two readings ~200 ms apart; a long-lived reader (the daemon) has the previous
/// one already.
#[derive(Default)]
pub struct SystemReader {
    system: Mutex<Option<System>>,
    cpu_primed_at: Mutex<Option<std::time::Instant>>,
}

/// Why the shared system reader cannot answer; `Display` is the reason a `system` or
/// `process` check's UNKNOWN gives.
#[derive(Debug, thiserror::Error)]
pub enum SystemReadError {
    /// A thread panicked while holding the reader.
    #[error("the system reader is poisoned")]
    ReaderPoisoned,
    /// A thread panicked while holding the time of the last CPU reading.
    #[error("poisoned")]
    CpuClockPoisoned,
    #[error("cannot read system information: {0}")]
    Unavailable(#[source] sysinfo::Error),
}

impl SystemReader {
    /// Runs `f` with the shared System (created on first use).
    pub fn with<R>(&self, f: impl FnOnce(&mut System) -> R) -> Result<R, SystemReadError> {
        let mut guard = self.system.lock().map_err(|_| SystemReadError::ReaderPoisoned)?;
        if guard.is_none() {
            *guard = Some(System::new().map_err(SystemReadError::Unavailable)?);
        }
        Ok(f(guard.as_mut().expect("just created")))
    }

    /// Global CPU usage in percent, waiting for a second reading when needed.
    pub fn cpu_percent(&self) -> Result<f64, SystemReadError> {
        let primed = {
            let mut at = self.cpu_primed_at.lock().map_err(|_| SystemReadError::CpuClockPoisoned)?;
            let fresh = at.is_some_and(|t| t.elapsed() >= sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
            if at.is_none() {
                self.with(|s| s.refresh_cpu_usage())?;
                *at = Some(std::time::Instant::now());
            }
            fresh
        };
        if !primed {
            std::thread::sleep(sysinfo::MINIMUM_CPU_UPDATE_INTERVAL);
        }
        let usage = self.with(|s| {
            s.refresh_cpu_usage();
            f64::from(s.global_cpu_usage())
        })?;
        if let Ok(mut at) = self.cpu_primed_at.lock() {
            *at = Some(std::time::Instant::now());
        }
        Ok(usage)
    }
}

/// `part` of `total` in percent, with one decimal.
pub(crate) fn percent(part: u64, total: u64) -> f64 {
    if total == 0 { 0.0 } else { (part as f64 / total as f64 * 1000.0).round() / 10.0 }
}

pub async fn probe(config: &SystemCheck, ctx: &ProbeContext<'_>) -> Observation {
    let reader = ctx.services.system.clone();
    let metrics = config.metrics.clone();
    let disk = config.disk.as_ref().map(|d| d.resolved().to_string_lossy().into_owned()).unwrap_or_else(|| "/".into());
    let result = tokio::task::spawn_blocking(move || read(&reader, &metrics, &disk)).await;
    match result {
        Ok(observation) => observation,
        Err(error) => Observation::unknown(format!("reading system metrics failed: {error}")),
    }
}

fn read(reader: &SystemReader, metrics: &[SystemMetric], disk: &str) -> Observation {
    let mut observation = Observation::pass("");
    // Each reason once, with the metrics it stopped (three disk metrics share one).
    let mut problems: Vec<(String, Vec<&str>)> = Vec::new();
    let needs_memory =
        metrics.iter().any(|m| matches!(m, SystemMetric::MemoryUsedPercent | SystemMetric::SwapUsedPercent));
    if needs_memory && let Err(error) = reader.with(|s| s.refresh_memory()) {
        return Observation::unknown(error.to_string());
    }
    // One statvfs for every disk metric, none without one.
    let disk_usage = std::cell::LazyCell::new(|| disk::usage(disk).map_err(|e| e.to_string()));
    let from_disk =
        |read: fn(&DiskUsage) -> Result<f64, String>| disk_usage.as_ref().map_err(Clone::clone).and_then(read);
    for metric in metrics {
        // Each error becomes its reason here: the words of the observation (data), compared
        // so that a reason shared by several metrics is said once.
        let value: Result<f64, String> = match metric {
            SystemMetric::CpuPercent => {
                reader.cpu_percent().map(|v| (v * 10.0).round() / 10.0).map_err(|e| e.to_string())
            }
            SystemMetric::MemoryUsedPercent => reader
                .with(|s| percent(s.total_memory().saturating_sub(s.available_memory()), s.total_memory()))
                .map_err(|e| e.to_string()),
            SystemMetric::SwapUsedPercent => {
                reader.with(|s| percent(s.used_swap(), s.total_swap())).map_err(|e| e.to_string())
            }
            SystemMetric::Load1m => System::load_average().map(|l| l.one).map_err(|e| e.to_string()),
            SystemMetric::Load5m => System::load_average().map(|l| l.five).map_err(|e| e.to_string()),
            SystemMetric::Load15m => System::load_average().map(|l| l.fifteen).map_err(|e| e.to_string()),
            SystemMetric::DiskUsedPercent => from_disk(|u| Ok(u.used_percent)),
            SystemMetric::DiskFreeBytes => from_disk(|u| Ok(u.free_bytes as f64)),
            SystemMetric::InodesUsedPercent => {
                from_disk(|u| u.inodes_used_percent.ok_or_else(|| "the filesystem does not count inodes".to_string()))
            }
            SystemMetric::UptimeS => System::uptime().map(|u| u as f64).map_err(|e| e.to_string()),
        };
        match value {
            Ok(value) => observation = observation.metric(metric.name(), value),
            Err(reason) => match problems.iter_mut().find(|(known, _)| *known == reason) {
                Some((_, names)) => names.push(metric.name()),
                None => problems.push((reason, vec![metric.name()])),
            },
        }
    }
    if !problems.is_empty() {
        let problems: Vec<String> =
            problems.iter().map(|(reason, names)| format!("{}: {reason}", names.join(", "))).collect();
        let mut unknown = Observation::unknown(format!("cannot read {}", problems.join("; ")));
        unknown.metrics = observation.metrics;
        return unknown;
    }
    observation.message =
        observation.metrics.iter().map(|(k, v)| format!("{k} {}", format_number(*v))).collect::<Vec<_>>().join(", ");
    if let Some(Ok(DiskUsage { mount: Some(mount), .. })) = std::cell::LazyCell::get(&disk_usage) {
        observation.message.push_str(&format!(" ({disk}: {} on {})", mount.fstype, mount.point.display()));
    }
    observation
}
