//! `process`: processes by exact name or command-line pattern; metrics `count`, `rss_mb`,
//! `cpu_percent` and `restarts`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{Dur, Pattern, Text};

/// Processes to find.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
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

impl ProcessCheck {
    pub const METRICS: &'static [&'static str] = &["count", "rss_mb", "cpu_percent", "restarts"];
}
