//! The arithmetic of the uptime roll-ups, whatever keeps them (what they hold:
//! `store::uptime`): what a stretch of the fold adds to them ([`Rollup`]), and the figures
//! of a window read back from them ([`rolled_up`], over a backend's [`StoredSeries`]).
//! Each backend keeps only the queries, so SQLite and PostgreSQL cannot answer differently.

use std::collections::BTreeMap;

use super::timeline::Effect;
use super::{Figures, Incident, IncidentTotals, Mark, Sample, Span, Tail, Totals};

pub const DAY_MS: i64 = 86_400_000;

/// The `check_ref` of a playbook's own series.
pub const PLAYBOOK_SERIES: i64 = 0;

/// What a stretch of the fold adds to the stored roll-ups of one series.
#[derive(Default)]
pub struct Rollup {
    /// Per UTC day: its time and results, and the incidents that started that day.
    pub days: BTreeMap<i64, (Totals, IncidentTotals)>,
    /// Run-length: consecutive spans of one state are merged.
    pub spans: Vec<Span>,
    /// New incidents, and recoveries of stored ones.
    pub incidents: Vec<Incident>,
}

impl Rollup {
    pub fn take(&mut self, effect: Effect) {
        match effect {
            Effect::Span(span) => {
                let mut day = span.start_ms.div_euclid(DAY_MS);
                while day * DAY_MS < span.end_ms {
                    self.days.entry(day).or_default().0.add_span(span, day * DAY_MS, (day + 1) * DAY_MS);
                    day += 1;
                }
                match self.spans.last_mut() {
                    Some(last) if last.end_ms == span.start_ms && last.up == span.up => last.end_ms = span.end_ms,
                    _ => self.spans.push(span),
                }
            }
            Effect::Count { at_ms, up } => self.days.entry(at_ms.div_euclid(DAY_MS)).or_default().0.add_count(up),
            Effect::IncidentStarted { at_ms } => {
                self.days.entry(at_ms.div_euclid(DAY_MS)).or_default().1.started += 1;
                self.incidents.push(Incident { started_ms: at_ms, recovered_ms: None });
            }
            Effect::Recovered { started_ms, at_ms } => {
                self.days.entry(started_ms.div_euclid(DAY_MS)).or_default().1.add_recovered(at_ms - started_ms);
                match self.incidents.iter_mut().find(|i| i.started_ms == started_ms) {
                    Some(incident) => incident.recovered_ms = Some(at_ms),
                    None => self.incidents.push(Incident { started_ms, recovered_ms: Some(at_ms) }),
                }
            }
        }
    }

    /// The roll-up of `samples` (a whole series, replayed), and the tail they leave.
    pub fn replay(samples: &[Sample]) -> (Rollup, Tail) {
        let mut tail = Tail::default();
        let mut rollup = Rollup::default();
        for sample in samples {
            tail.step(*sample, |effect| rollup.take(effect));
        }
        (rollup, tail)
    }
}

/// How a mark is stored.
pub fn mark_name(mark: Mark) -> &'static str {
    match mark {
        Mark::Up => "up",
        Mark::Down => "down",
        Mark::NoData => "no_data",
    }
}

pub fn mark_from(name: &str) -> Mark {
    match name {
        "up" => Mark::Up,
        "down" => Mark::Down,
        _ => Mark::NoData,
    }
}

/// Results of runs (`(run, sample)`, in run order) as one sample per run: a playbook's own
/// series, whose mark is its run's worst.
pub fn per_run(rows: impl IntoIterator<Item = (i64, Sample)>) -> Vec<Sample> {
    let mut samples: Vec<Sample> = Vec::new();
    let mut current_run = None;
    for (run, one) in rows {
        match samples.last_mut() {
            Some(last) if current_run == Some(run) => last.mark = Mark::worst([last.mark, one.mark]),
            _ => samples.push(one),
        }
        current_run = Some(run);
    }
    samples
}

/// The reads of one series' stored roll-ups that [`rolled_up`] needs: each backend
/// answers them with its own queries.
pub trait StoredSeries {
    type Error;
    /// The last result and the incident in progress.
    fn tail(&mut self) -> Result<Tail, Self::Error>;
    /// The days `[from_day, to_day)` summed (the longest incident their maximum).
    fn whole_days(&mut self, from_day: i64, to_day: i64) -> Result<(Totals, IncidentTotals), Self::Error>;
    /// The span holding at `from` (the last one starting at or before it), then those
    /// starting inside `(from, to)`.
    fn spans(&mut self, from: i64, to: i64) -> Result<Vec<Span>, Self::Error>;
    /// The results of runs without a schedule that started in `[from, to)`, as
    /// `(run, sample)` in run order (the series' own, or every check's for a playbook).
    fn unscheduled(&mut self, from: i64, to: i64) -> Result<Vec<(i64, Sample)>, Self::Error>;
    /// The incidents that started in `[from, to)`.
    fn incidents(&mut self, from: i64, to: i64) -> Result<Vec<Incident>, Self::Error>;
}

/// The figures of one series over `[since_ms, now_ms)` from its roll-ups: whole days from
/// the days, the cut days from the spans (and raw counts) and the incidents, the open span
/// and the open incident from the tail.
pub fn rolled_up<S: StoredSeries>(series: &mut S, since_ms: i64, now_ms: i64) -> Result<Figures, S::Error> {
    let mut totals = Totals::default();
    let mut incidents = IncidentTotals::default();
    if since_ms >= now_ms {
        return Ok(Figures::of(totals, incidents));
    }
    let tail = series.tail()?;
    let first_whole_day = (since_ms + DAY_MS - 1).div_euclid(DAY_MS);
    let end_day = now_ms.div_euclid(DAY_MS);
    // A day's incident figures hold recoveries up to the last result: they are whole only
    // when that result is not after now (a clock set back sees results "in the future").
    let whole_incidents = tail.last.is_none_or(|last| last.at_ms <= now_ms);
    if first_whole_day < end_day {
        let (days_totals, days_incidents) = series.whole_days(first_whole_day, end_day)?;
        totals.add(days_totals);
        totals.add(cut(series, since_ms, first_whole_day * DAY_MS)?);
        totals.add(cut(series, end_day * DAY_MS, now_ms)?);
        if whole_incidents {
            incidents.merge(days_incidents);
            incidents.merge(listed_incidents(series, since_ms, first_whole_day * DAY_MS, now_ms)?);
            incidents.merge(listed_incidents(series, end_day * DAY_MS, now_ms, now_ms)?);
            // The days count the open incident as started; how long it lasts is now's.
            if let Some(open) =
                tail.open_incident_ms.filter(|at| (first_whole_day * DAY_MS..end_day * DAY_MS).contains(at))
            {
                incidents.add_open(open, now_ms);
            }
        } else {
            incidents = listed_incidents(series, since_ms, now_ms, now_ms)?;
        }
    } else {
        totals.add(cut(series, since_ms, now_ms)?);
        incidents = listed_incidents(series, since_ms, now_ms, now_ms)?;
    }
    if let Some(span) = tail.open_span(now_ms) {
        totals.add_span(span, since_ms, now_ms);
    }
    Ok(Figures::of(totals, incidents))
}

/// The incidents that started in `[from, to)`, one by one, as they stand at `now_ms`.
fn listed_incidents<S: StoredSeries>(
    series: &mut S,
    from: i64,
    to: i64,
    now_ms: i64,
) -> Result<IncidentTotals, S::Error> {
    let mut totals = IncidentTotals::default();
    for incident in series.incidents(from, to)? {
        totals.add(incident, now_ms);
    }
    Ok(totals)
}

/// The closed spans' time in `[from, to)` (part of one day), and the results counted there.
fn cut<S: StoredSeries>(series: &mut S, from: i64, to: i64) -> Result<Totals, S::Error> {
    let mut totals = Totals::default();
    if from >= to {
        return Ok(totals);
    }
    // Spans never overlap: the one holding at `from`, then those starting inside.
    for span in series.spans(from, to)? {
        totals.add_span(span, from, to);
    }
    for sample in per_run(series.unscheduled(from, to)?) {
        if sample.mark != Mark::NoData {
            totals.add_count(sample.mark == Mark::Up);
        }
    }
    Ok(totals)
}
