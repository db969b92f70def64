//! What a SQL query kind (`sqlite`, `postgres`) checks in its result, and how it says so:
//! `expect.value` on the first column of the first row, `expect.min_rows`, the metrics
//! `latency_ms`, `rows` and `value`, and the one-line summary ("1 row, value 1 in 3ms").

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use std::borrow::Cow;

use crate::outcome::{Observation, format_number};

/// How many characters of a text value a query kind keeps (the rest is never copied, parsed
/// or scrubbed: a 50 MB value would otherwise hold a runtime thread for seconds). A number
/// is far shorter, so a value used as a metric is always whole.
pub const KEPT_VALUE_CHARS: usize = 1000;

/// `text` cut to [`KEPT_VALUE_CHARS`], with `…` when cut. An ending that is the start of a
/// secret is masked, as the scrubber cannot recognise it once the rest is gone.
pub fn kept_text(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(KEPT_VALUE_CHARS) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", crate::secret::mask_cut_end(&text[..end]))),
    }
}

/// `text` scrubbed and cut to `max_chars`, with `…` when cut.
fn scrubbed_and_marked(text: &str, max_chars: usize) -> String {
    let scrubbed = crate::secret::scrub(text);
    match scrubbed.char_indices().nth(max_chars) {
        None => scrubbed.into_owned(),
        Some((end, _)) => format!("{}…", &scrubbed[..end]),
    }
}

/// Expectations on a query result.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryExpect {
    /// The first column of the first row.
    pub value: Option<serde_json::Value>,
    /// At least this many rows.
    pub min_rows: Option<u64>,
}

/// What a query gave.
pub struct QueryResult {
    pub rows: u64,
    /// The first column of the first row, if there is a row.
    pub first: Option<serde_json::Value>,
    /// From the start of the attempt (opening or connecting included), rounded to 0.1 ms.
    pub latency_ms: f64,
}

impl QueryResult {
    /// The verdict: `observation` (with any metrics the kind read before) gets the
    /// result's metrics, its summary, and fails when an expectation is not met.
    pub fn judge(&self, expect: Option<&QueryExpect>, observation: Observation) -> Observation {
        let mut observation = observation.metric("latency_ms", self.latency_ms).metric("rows", self.rows as f64);
        if let Some(number) = self.first.as_ref().and_then(crate::jsonpath::as_number) {
            observation = observation.metric("value", number);
        }
        let failures = expect.map(|expect| self.unmet(expect)).unwrap_or_default();
        let summary = self.summary();
        if failures.is_empty() {
            observation.message = summary;
            observation
        } else {
            let mut failed =
                Observation::fail(format!("{} ({summary})", scrubbed_and_marked(&failures.join("; "), 400)));
            failed.metrics = observation.metrics;
            failed
        }
    }

    fn unmet(&self, expect: &QueryExpect) -> Vec<String> {
        let mut failures = Vec::new();
        let count = self.rows;
        if let Some(min_rows) = expect.min_rows
            && count < min_rows
        {
            failures.push(format!("expected at least {min_rows} rows, got {count}"));
        }
        if let Some(expected) = &expect.value {
            match &self.first {
                Some(actual) if crate::jsonpath::matches_expected(expected, actual) => {}
                Some(actual) => failures.push(format!("expected value {expected}, got {actual}")),
                None => failures.push(format!("expected value {expected}, got no rows")),
            }
        }
        failures
    }

    fn summary(&self) -> String {
        let value_text = self.first.as_ref().map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        format!(
            "{} row{}{} in {}ms",
            self.rows,
            if self.rows == 1 { "" } else { "s" },
            value_text.map(|v| format!(", value {}", scrubbed_and_marked(&v, 80))).unwrap_or_default(),
            format_number(self.latency_ms)
        )
    }
}
