//! `system`: host metrics — cpu, memory, swap, load, disk, uptime — reading only what is
//! asked.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::Text;

/// Host metrics to read.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SystemCheck {
    /// Which metrics to read.
    pub metrics: Vec<SystemMetric>,
    /// The mount point for `disk_used_percent` (default `/`).
    pub disk: Option<Text>,
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
            SystemMetric::UptimeS => "uptime_s",
        }
    }
}
