//! `history`: an aggregate of a stored metric over a window (capacity planning); metric
//! `value`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::suggest::did_you_mean;
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

impl CheckKind for HistoryCheck {
    const METRICS: &'static [&'static str] = &["value", "samples"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        rules.positive("over", self.over.as_ref());
        let same_playbook = self.playbook.as_ref().is_none_or(|p| p.as_str() == rules.playbook_name);
        if same_playbook && !rules.check_ids.contains(&self.check.as_str()) {
            let hint = match did_you_mean(self.check.as_str(), rules.check_ids.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => "name a check of this playbook, or set `playbook:` to another playbook's name".into(),
            };
            rules.error(self.check.span(), format!("`{}` is not a check of this playbook", self.check), &hint);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use crate::outcome::{Observation, format_number};
use crate::probe::context::ProbeContext;

/// Stored samples of a metric: (Unix seconds, value), oldest first.
pub trait MetricHistory: Send + Sync {
    fn samples(&self, playbook: &str, check: &str, metric: &str, since: i64) -> Result<Vec<(i64, f64)>, String>;
}

pub async fn probe(config: &HistoryCheck, ctx: &ProbeContext<'_>) -> Observation {
    let Some(history) = ctx.services.history.clone() else {
        return Observation::unknown("no stored history (this run keeps no state: --no-store)");
    };
    let playbook = config.playbook.as_ref().map(|p| p.as_str().to_string()).unwrap_or_else(|| ctx.playbook.to_string());
    let check = config.check.as_str().to_string();
    let metric = config.metric.as_str().to_string();
    let over = config.over.map(|d| d.get()).unwrap_or(std::time::Duration::from_secs(90 * 86_400));
    let aggregate = config.aggregate.unwrap_or_default();
    let since = jiff::Timestamp::now().as_second() - over.as_secs() as i64;
    let (p, c, m) = (playbook.clone(), check.clone(), metric.clone());
    let samples = match tokio::task::spawn_blocking(move || history.samples(&p, &c, &m, since)).await {
        Ok(Ok(samples)) => samples,
        Ok(Err(message)) => return Observation::unknown(format!("cannot read history: {message}")),
        Err(error) => return Observation::unknown(format!("cannot read history: {error}")),
    };
    let min_samples = config.min_samples.unwrap_or(if aggregate == Aggregate::SlopePerDay { 2 } else { 1 }) as usize;
    let what = format!("{playbook}/{check}/{metric}");
    if samples.len() < min_samples.max(1) {
        return Observation::unknown(format!(
            "not enough history for {what} over {}: {} sample{} (need {})",
            crate::duration::format(over),
            samples.len(),
            if samples.len() == 1 { "" } else { "s" },
            min_samples.max(1)
        ))
        .metric("samples", samples.len() as f64);
    }
    let Some(value) = aggregate_samples(&samples, aggregate) else {
        return Observation::unknown(format!("cannot compute {aggregate:?} of {what}"));
    };
    let value = (value * 1000.0).round() / 1000.0;
    let name = match aggregate {
        Aggregate::Avg => "average",
        Aggregate::Min => "minimum",
        Aggregate::Max => "maximum",
        Aggregate::P95 => "p95",
        Aggregate::Last => "last",
        Aggregate::SlopePerDay => "trend per day",
    };
    Observation::pass(format!(
        "{name} of {what} over {}: {} ({} samples)",
        crate::duration::format(over),
        format_number(value),
        samples.len()
    ))
    .metric("value", value)
    .metric("samples", samples.len() as f64)
}

/// The aggregate of samples (time, value).
pub fn aggregate_samples(samples: &[(i64, f64)], aggregate: Aggregate) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    let values: Vec<f64> = samples.iter().map(|(_, v)| *v).collect();
    Some(match aggregate {
        Aggregate::Avg => values.iter().sum::<f64>() / values.len() as f64,
        Aggregate::Min => values.iter().copied().fold(f64::INFINITY, f64::min),
        Aggregate::Max => values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Aggregate::Last => samples.iter().max_by_key(|(t, _)| *t)?.1,
        Aggregate::P95 => {
            let mut sorted = values.clone();
            sorted.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
            // Nearest-rank percentile.
            let rank = ((0.95 * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
            sorted[rank - 1]
        }
        Aggregate::SlopePerDay => {
            if samples.len() < 2 {
                return None;
            }
            // Least squares over days since the first sample.
            let t0 = samples[0].0;
            let xs: Vec<f64> = samples.iter().map(|(t, _)| (t - t0) as f64 / 86_400.0).collect();
            let n = xs.len() as f64;
            let mean_x = xs.iter().sum::<f64>() / n;
            let mean_y = values.iter().sum::<f64>() / n;
            let covariance: f64 = xs.iter().zip(&values).map(|(x, y)| (x - mean_x) * (y - mean_y)).sum();
            let variance: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
            if variance == 0.0 {
                return None;
            }
            covariance / variance
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aggregates() {
        let day = 86_400;
        let samples: Vec<(i64, f64)> = (0..20).map(|i| (i * day, 10.0 + i as f64 * 0.5)).collect();
        assert_eq!(aggregate_samples(&samples, Aggregate::Min), Some(10.0));
        assert_eq!(aggregate_samples(&samples, Aggregate::Max), Some(19.5));
        assert_eq!(aggregate_samples(&samples, Aggregate::Last), Some(19.5));
        assert_eq!(aggregate_samples(&samples, Aggregate::Avg), Some(14.75));
        assert_eq!(aggregate_samples(&samples, Aggregate::P95), Some(19.0));
        assert!((aggregate_samples(&samples, Aggregate::SlopePerDay).unwrap() - 0.5).abs() < 1e-9);
        assert_eq!(aggregate_samples(&[(0, 1.0)], Aggregate::SlopePerDay), None);
    }
}
