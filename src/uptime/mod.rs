//! Uptime (CLI.md, the definition below the command table): per check and per playbook,
//! over a window ending now, the uptime percentage, the incidents, the mean time to
//! recover and the longest outage.
//!
//! - [`timeline`] is the definition as a fold over results in time order;
//! - this module turns what the fold settled inside a window ([`Totals`], [`IncidentTotals`])
//!   into the figures people read ([`Figures`]), and holds the reference computation
//!   over raw results ([`raw_figures`]) that the roll-ups in `store::uptime` must equal;
//! - [`render`] writes the figures as a table, JSON, CSV or a printable HTML report.
//!
//! A playbook's own series is its runs: a run is down when a counted check fails, up when
//! every counted check is OK, no data when no check counts (all skipped or held back).
//! Incidents are counted in the window they start in; the time to recover and the longest
//! outage are whole incidents (an incident still open runs until now). An incident is a
//! maximal span of failing results that no-data results inside do not end; its outage
//! length counts only its down time ([`outage_ms`]), so the longest outage never exceeds
//! the down time.

pub mod render;
pub mod rollup;
pub mod timeline;

use serde::Serialize;

pub use timeline::{Mark, Sample, Span, Tail};

use crate::outcome::CheckResult;

/// What a window adds up to before it becomes figures: time up and down (time-weighted
/// results), and results up and down (results of a playbook without a schedule).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub up_ms: i64,
    pub down_ms: i64,
    pub up_results: i64,
    pub down_results: i64,
}

impl Totals {
    /// Adds the part of `span` inside `[from, to)`.
    pub fn add_span(&mut self, span: Span, from: i64, to: i64) {
        let ms = span.overlap_ms(from, to);
        if span.up {
            self.up_ms += ms;
        } else {
            self.down_ms += ms;
        }
    }

    pub fn add_count(&mut self, up: bool) {
        if up {
            self.up_results += 1;
        } else {
            self.down_results += 1;
        }
    }

    pub fn add(&mut self, other: Totals) {
        self.up_ms += other.up_ms;
        self.down_ms += other.down_ms;
        self.up_results += other.up_results;
        self.down_results += other.down_results;
    }
}

/// An incident: from its first failing result to the next OK (`None` while it lasts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Incident {
    pub started_ms: i64,
    pub recovered_ms: Option<i64>,
}

impl Incident {
    /// Where the incident ends as seen at `now_ms` (a recovery later than now: not yet).
    pub fn end_at(&self, now_ms: i64) -> i64 {
        self.recovered_ms.filter(|at| *at <= now_ms).unwrap_or(now_ms).max(self.started_ms)
    }
}

/// An incident's outage length: its down time (`down_ms`, the failing results' spans inside
/// it), never the no-data time inside it, so the longest outage cannot exceed the down time.
/// A series weighted by result (no schedule) has no down time: its outage is then the time
/// from the first failing result to `end_ms` (the next OK, or now).
pub fn outage_ms(down_ms: i64, started_ms: i64, end_ms: i64) -> i64 {
    if down_ms > 0 { down_ms } else { (end_ms - started_ms).max(0) }
}

/// What the incidents that started in a window add up to (additive, so whole days of
/// roll-ups and cut days add up the same as a list of incidents).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncidentTotals {
    pub started: i64,
    pub recovered: i64,
    /// The sum of the recovered ones' times to recover.
    pub recover_ms: i64,
    /// The longest incident's outage ([`outage_ms`]; an open one counts until now).
    pub longest_ms: Option<i64>,
    /// Whether one is still open.
    pub ongoing: bool,
}

impl IncidentTotals {
    /// Adds one incident, as it stands at `now_ms` (recovered later than now: still open),
    /// with its outage length up to then.
    pub fn add(&mut self, incident: Incident, outage_ms: i64, now_ms: i64) {
        self.started += 1;
        match incident.recovered_ms.filter(|at| *at <= now_ms) {
            Some(at) => self.add_recovered(at - incident.started_ms, outage_ms),
            None => self.add_open(outage_ms),
        }
    }

    pub fn add_recovered(&mut self, took_ms: i64, outage_ms: i64) {
        self.recovered += 1;
        self.recover_ms += took_ms;
        self.longest_ms = self.longest_ms.max(Some(outage_ms));
    }

    /// An incident still open, with its outage so far (counted in `started` elsewhere).
    pub fn add_open(&mut self, outage_ms: i64) {
        self.ongoing = true;
        self.longest_ms = self.longest_ms.max(Some(outage_ms.max(0)));
    }

    pub fn merge(&mut self, other: IncidentTotals) {
        self.started += other.started;
        self.recovered += other.recovered;
        self.recover_ms += other.recover_ms;
        self.longest_ms = self.longest_ms.max(other.longest_ms);
        self.ongoing |= other.ongoing;
    }
}

/// How an uptime percentage was weighed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Weighing {
    /// Each result holds until the next, at most twice the period.
    Time,
    /// A playbook without a schedule: each result counts once.
    Result,
}

/// The figures of one series over one window.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    /// `None` when there is no data: shown as "—", never 100 %.
    pub uptime_percent: Option<f64>,
    pub weighed_by: Option<Weighing>,
    #[serde(flatten)]
    pub totals: Totals,
    /// Incidents that started in the window.
    pub incidents: u32,
    /// Whether one of them is still open.
    pub ongoing: bool,
    /// The mean time from an incident's first failing result to the next OK, over the
    /// incidents that recovered.
    pub mean_time_to_recover_ms: Option<i64>,
    /// The longest incident's outage: its down time only, never the no-data time inside
    /// it (an open one counts until now).
    pub longest_outage_ms: Option<i64>,
}

impl Figures {
    /// The figures of a window from its totals and the incidents that started in it.
    pub fn of(totals: Totals, incidents: IncidentTotals) -> Figures {
        let (percent, weighed_by) = if totals.up_ms + totals.down_ms > 0 {
            (Some(percent(totals.up_ms, totals.down_ms)), Some(Weighing::Time))
        } else if totals.up_results + totals.down_results > 0 {
            (Some(percent(totals.up_results, totals.down_results)), Some(Weighing::Result))
        } else {
            (None, None)
        };
        Figures {
            uptime_percent: percent,
            weighed_by,
            totals,
            incidents: u32::try_from(incidents.started).unwrap_or(u32::MAX),
            ongoing: incidents.ongoing,
            mean_time_to_recover_ms: (incidents.recovered > 0).then(|| incidents.recover_ms / incidents.recovered),
            longest_outage_ms: incidents.longest_ms,
        }
    }
}

fn percent(up: i64, down: i64) -> f64 {
    up as f64 * 100.0 / (up + down) as f64
}

/// The reference computation: the figures of `samples` (one series, in time order) over
/// `[since_ms, now_ms)`, straight from the definition.
pub fn raw_figures(samples: &[Sample], since_ms: i64, now_ms: i64) -> Figures {
    let mut tail = Tail::default();
    let mut totals = Totals::default();
    let mut incidents: Vec<Incident> = Vec::new();
    // Every down span, whole: an incident's outage is the down time inside it.
    let mut down: Vec<Span> = Vec::new();
    let in_window = |at: i64| at >= since_ms && at < now_ms;
    for sample in samples {
        tail.step(*sample, |effect| match effect {
            timeline::Effect::Span(span) => {
                totals.add_span(span, since_ms, now_ms);
                if !span.up {
                    down.push(span);
                }
            }
            timeline::Effect::Count { at_ms, up } if in_window(at_ms) => totals.add_count(up),
            timeline::Effect::IncidentStarted { at_ms } if in_window(at_ms) => {
                incidents.push(Incident { started_ms: at_ms, recovered_ms: None });
            }
            timeline::Effect::Recovered { started_ms, at_ms } => {
                if let Some(incident) = incidents.iter_mut().find(|i| i.started_ms == started_ms) {
                    incident.recovered_ms = Some(at_ms);
                }
            }
            timeline::Effect::Count { .. } | timeline::Effect::IncidentStarted { .. } => {}
        });
    }
    if let Some(span) = tail.open_span(now_ms) {
        totals.add_span(span, since_ms, now_ms);
        if !span.up {
            down.push(span);
        }
    }
    let mut summed = IncidentTotals::default();
    for incident in incidents {
        let end_ms = incident.end_at(now_ms);
        let down_ms = down.iter().map(|s| s.overlap_ms(incident.started_ms, end_ms)).sum();
        summed.add(incident, outage_ms(down_ms, incident.started_ms, end_ms), now_ms);
    }
    Figures::of(totals, summed)
}

/// The quiet time that makes a result "no data" for uptime (`maintenance` or `silenced`),
/// the first of its holds that is one: a failing dependency or flapping does not hide
/// downtime (CLI.md names only maintenance and silences).
pub fn quiet_reason(check: &CheckResult) -> Option<&'static str> {
    check.holds.codes().into_iter().find(|code| timeline::is_no_data_reason(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_data_is_no_figure_never_100_percent() {
        let figures = raw_figures(&[], 0, 1_000);
        assert_eq!(figures.uptime_percent, None);
        assert_eq!(figures.incidents, 0);
        assert_eq!(figures.mean_time_to_recover_ms, None);
        assert_eq!(figures.longest_outage_ms, None);
        let held = Sample { at_ms: 0, mark: Mark::NoData, period_ms: Some(100) };
        assert_eq!(raw_figures(&[held], 0, 1_000).uptime_percent, None);
    }

    #[test]
    fn an_open_incident_runs_until_now() {
        let samples = [
            Sample { at_ms: 0, mark: Mark::Up, period_ms: Some(100) },
            Sample { at_ms: 100, mark: Mark::Down, period_ms: Some(100) },
        ];
        let figures = raw_figures(&samples, 0, 250);
        // Up 0–100, down 100–250 (within twice the period).
        assert_eq!(figures.totals.up_ms, 100);
        assert_eq!(figures.totals.down_ms, 150);
        assert!(figures.ongoing);
        assert_eq!(figures.longest_outage_ms, Some(150));
        assert_eq!(figures.mean_time_to_recover_ms, None);
    }
}
