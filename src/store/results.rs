//! Check results over time, for the status page and the API: each result of a check
//! with its run's start, newest first, paged by a cursor (the run's sequence number, so
//! that a page never repeats or skips a result written meanwhile).

use serde::Serialize;

use crate::error::Error;

/// One stored result of one check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultRow {
    /// The cursor: results older than this one have a smaller `seq`.
    pub seq: i64,
    pub run_id: String,
    pub playbook: String,
    pub check: String,
    pub started_ms: i64,
    pub status: String,
    pub duration_ms: i64,
    pub message: String,
}

/// What to read.
#[derive(Clone, Debug, Default)]
pub struct ResultQuery<'a> {
    pub playbook: Option<&'a str>,
    pub check: Option<&'a str>,
    /// Only results of runs that started at or after this (Unix ms).
    pub since_ms: i64,
    /// Only results older than this cursor (a `seq` from an earlier page).
    pub before: Option<i64>,
    pub limit: i64,
}

/// Results as the page and the API read them.
pub trait ResultStore {
    /// Results matching `query`, newest first (finished, not dry, not interrupted runs).
    fn results(&self, query: &ResultQuery<'_>) -> Result<Vec<ResultRow>, Error>;
    /// The last `limit` results of one check, newest first (as [`ResultStore::results`]
    /// counts them), read from that check's own index: what the status page reads per
    /// check, at a cost that does not grow with the store.
    fn latest_results(&self, playbook: &str, check: &str, limit: i64) -> Result<Vec<ResultRow>, Error>;
}
