//! `command`: a program (argv) or a shell line, with expectations on exit code and
//! output; metrics `exit_code`, `duration_ms` and the declared ones. With `nagios: true`
//! a Nagios plugin's exit code is the status and its perfdata become metrics.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{PathText, Pattern, Text};
use crate::playbook::IntList;

/// A command to run.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandCheck {
    /// The program and its arguments, run without a shell.
    pub run: Option<Vec<Text>>,
    /// A line for `sh -c`.
    pub shell: Option<Text>,
    /// The working directory (default: the playbook's folder).
    pub cwd: Option<PathText>,
    /// Extra environment variables.
    pub env: Option<IndexMap<String, Text>>,
    /// What the command must do (default: exit 0).
    pub expect: Option<CommandExpect>,
    /// Metrics from the output: a regex with one capture group, or a JSON path (`$.a.b`)
    /// into stdout parsed as JSON.
    pub metrics: Option<IndexMap<String, Text>>,
    /// A Nagios plugin: exit 0/1/2/3 is OK/WARNING/CRITICAL/UNKNOWN and perfdata after
    /// `|` become metrics.
    pub nagios: Option<bool>,
}

/// Expectations on a command.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandExpect {
    /// The exit code, or a list of acceptable codes (default 0).
    pub exit: Option<IntList>,
    /// A substring stdout must contain.
    pub stdout_contains: Option<Text>,
    /// A regex stdout must match.
    pub stdout_regex: Option<Pattern>,
}

/// How a declared metric is read from a command's output.
#[derive(Clone, Debug)]
pub enum MetricExtractor {
    /// A regex on stdout; its one capture group is the number.
    Regex(regex::Regex),
    /// A JSON path into stdout parsed as JSON.
    Json(crate::jsonpath::JsonPath),
}

/// Parses a metric source: a JSON path (starting with `$`) or a regex with exactly one
/// capture group.
pub fn metric_extractor(source: &str) -> Result<MetricExtractor, String> {
    if source.trim_start().starts_with('$') {
        return crate::jsonpath::JsonPath::parse(source)
            .map(MetricExtractor::Json)
            .map_err(|e| format!("invalid JSON path: {e}"));
    }
    let regex = regex::Regex::new(source).map_err(|e| {
        let text = e.to_string();
        let last = text.lines().rev().find(|l| l.starts_with("error:")).unwrap_or(text.as_str()).trim_start_matches("error: ").to_string();
        format!("invalid regex: {last}")
    })?;
    match regex.captures_len() - 1 {
        1 => Ok(MetricExtractor::Regex(regex)),
        n => Err(format!("the regex has {n} capture groups; it needs exactly one (the number)")),
    }
}
