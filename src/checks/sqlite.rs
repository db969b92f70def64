//! `sqlite`: a query against a SQLite file, always opened read-only; metrics
//! `latency_ms`, `value` and `rows`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{PathText, Text};

/// A SQLite database and a query.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqliteCheck {
    /// The database file (relative to the playbook's folder). Never created or changed.
    pub path: PathText,
    /// The query (default `SELECT 1`).
    pub query: Option<Text>,
    /// What the result must be.
    pub expect: Option<SqliteExpect>,
    /// Run `PRAGMA quick_check` first (default false).
    pub integrity: Option<bool>,
}

/// Expectations on a query result.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SqliteExpect {
    /// The first column of the first row.
    pub value: Option<serde_json::Value>,
    /// At least this many rows.
    pub min_rows: Option<u64>,
}

impl SqliteCheck {
    pub const METRICS: &'static [&'static str] = &["latency_ms", "value", "rows"];
}
