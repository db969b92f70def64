//! `history`: an aggregate of a stored metric over a window (capacity planning); metric
//! `value`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::playbook::values::{Dur, Text};

/// A stored metric to aggregate.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HistoryCheck {
    /// The playbook's `name` (default: this playbook).
    pub playbook: Option<Text>,
    /// The check id.
    pub check: Text,
    /// The metric name.
    pub metric: Text,
    /// The window (default 90d).
    pub over: Option<Dur>,
    /// How to aggregate (default avg).
    pub aggregate: Option<Aggregate>,
    /// Fewer samples than this make the check UNKNOWN (default 2 for slope_per_day, else 1).
    pub min_samples: Option<u32>,
}

/// An aggregate over stored samples.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    #[default]
    Avg,
    Min,
    Max,
    P95,
    Last,
    /// Least-squares slope, in metric units per day (positive = growing).
    SlopePerDay,
}

impl HistoryCheck {
    pub const METRICS: &'static [&'static str] = &["value", "samples"];
}
