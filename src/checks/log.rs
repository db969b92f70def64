//! `log`: regex matches in log files, over a window or since the last run; metric
//! `matches`, the first matching lines in the details.

use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize};

use crate::playbook::values::{PathText, Pattern};

/// Log files to scan.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogCheck {
    /// The log file; a glob scans several.
    pub path: PathText,
    /// The regex for a bad line (default `(?i)\b(error|fatal|panic)\b`).
    pub pattern: Option<Pattern>,
    /// `new` (default): lines added since the last run; or a window such as `7d`: lines
    /// written within it (by file modification time and line timestamps where present).
    pub since: Option<LogSince>,
    /// How many matching lines to keep in the details (default 20).
    pub max_lines: Option<u32>,
}

impl LogCheck {
    pub const METRICS: &'static [&'static str] = &["matches", "lines"];
    pub const DEFAULT_PATTERN: &'static str = r"(?i)\b(error|fatal|panic)\b";
}

/// `new` or a duration.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
pub enum LogSince {
    New,
    Window(crate::playbook::values::Dur),
}

impl fmt::Debug for LogSince {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogSince::New => f.write_str("new"),
            LogSince::Window(d) => write!(f, "{d:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for LogSince {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // A duration knows how to read itself (with location and diagnostics); `new` is
        // the one word it would reject, so look for it first.
        let spanned = serde_saphyr::Spanned::<String>::deserialize(deserializer)?;
        if spanned.value.trim() == "new" {
            return Ok(LogSince::New);
        }
        let dur = crate::playbook::values::Dur::from_spanned(spanned);
        Ok(LogSince::Window(dur))
    }
}

impl JsonSchema for LogSince {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LogSince".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "`new` (lines added since the last run) or a window such as `7d`.",
            "type": "string",
            "examples": ["new", "7d", "1h"]
        })
    }
}
