//! Uptime roll-ups: what keeps `runner uptime --since 365d` fast on a year of 5-minute runs
//! (CLI.md's definition; the fold is `crate::uptime::timeline`).
//!
//! Per series (a check, or a playbook's own series under `check_ref` 0):
//! - `uptime_days`: per UTC day, the milliseconds up and down, the results up and down
//!   (playbooks without a schedule), and the incidents that started that day (how many,
//!   how many recovered, their times to recover summed, the longest); a span that crosses
//!   midnight is split exactly, and a recovery is added to the day its incident started;
//! - `uptime_spans`: the same time as a run-length timeline (consecutive spans of one state
//!   merged), which answers the part of a day that `--since` or now cuts, exactly;
//! - `uptime_incidents`: each incident's first failing result and the OK that ended it,
//!   so incidents stitch across days without a second look at results;
//! - `uptime_tails`: the last result (its span is still open) and the incident in progress.
//!
//! They are written in the transaction that records the run (`store::sqlite::uptime`,
//! `store::postgres::uptime`, per host there; their arithmetic is `uptime::rollup`, shared),
//! and can be rebuilt from the raw results (the
//! migration that adds them does that for an existing store, and a result older than the
//! last one of its series — a clock set back — rebuilds that series). [`UptimeStore::uptime_raw`]
//! computes the same figures from raw results; a test holds the two equal.

use serde::Serialize;

use crate::error::Error;
use crate::uptime::{Figures, Span};

/// The figures of one series over a window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SeriesFigures {
    pub playbook: String,
    /// `None` for the playbook's own series.
    pub check: Option<String>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// One series' recent course, from the roll-ups: what the status page's uptime bar and
/// its "since when" read instead of raw results.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesTimeline {
    pub playbook: String,
    /// `None` for the playbook's own series.
    pub check: Option<String>,
    /// The up and down spans that overlap the window, cut to it, oldest first, the last
    /// result's open span included; time in none of them is no data.
    pub spans: Vec<Span>,
    /// When the series last turned between up and down: the start of the incident in
    /// progress, else the end of the last incident that recovered, else the start of its
    /// first span. `None` before any up or down result.
    pub state_since_ms: Option<i64>,
}

/// Which series a query reads.
#[derive(Clone, Copy, Debug, Default)]
pub struct Filter<'a> {
    pub playbook: Option<&'a str>,
    pub check: Option<&'a str>,
}

/// The uptime queries of the store .
pub trait UptimeStore {
    /// The figures of every matching series over `[since_ms, now_ms)`, from the roll-ups.
    fn uptime(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error>;
    /// The course of every matching series over `[since_ms, now_ms)`, from the roll-ups.
    fn uptime_timeline(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesTimeline>, Error>;
    /// The same figures computed from the raw results (the reference the roll-ups equal).
    fn uptime_raw(&self, filter: Filter<'_>, since_ms: i64, now_ms: i64) -> Result<Vec<SeriesFigures>, Error>;
    /// Rebuilds every roll-up from the raw results.
    fn rebuild_uptime(&self) -> Result<(), Error>;
    /// The names of the playbooks with stored results.
    fn uptime_playbooks(&self) -> Result<Vec<String>, Error>;
    /// The roll-up rows older than `cutoff_ms`, which a prune at that cutoff leaves none of
    /// (tests look into the tables through this, whatever the backend).
    #[cfg(test)]
    fn uptime_rows_older(&self, cutoff_ms: i64) -> Result<OlderRows, Error>;
}

/// Roll-up rows older than a cutoff, per table (tests only).
#[cfg(test)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OlderRows {
    /// Days before the cutoff's day.
    pub days: i64,
    /// Spans that end at or before it.
    pub spans: i64,
    /// Incidents that started before it.
    pub incidents: i64,
    /// Tails whose last result is before it.
    pub tails: i64,
}
