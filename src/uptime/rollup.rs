//! The arithmetic of the uptime roll-ups, whatever keeps them (what they hold:
//! `store::uptime`): what a stretch of the fold adds to them ([`Rollup`]), and the figures
//! of a window read back from them ([`rolled_up`], over a backend's [`StoredSeries`]), and
//! how history retention moves their start ([`prune_series`], over a [`PrunedSeries`]).
//! Each backend keeps only the queries, so SQLite and PostgreSQL cannot answer differently.

use std::collections::BTreeMap;

use super::timeline::Effect;
use super::{Figures, Incident, IncidentTotals, Mark, Sample, Span, Tail, Totals, outage_ms};

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
    /// The incidents that recovered: their outage (the down time inside them) is added to
    /// the day they started once the spans are stored ([`Rollup::days_with_recoveries`]).
    pub recoveries: Vec<Incident>,
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
                self.recoveries.push(Incident { started_ms, recovered_ms: Some(at_ms) });
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

    /// The days this adds, with the recoveries' times to recover and outages: read from
    /// `series` once this rollup's spans are stored (an outage is the down time of the
    /// stored spans inside its incident).
    pub fn days_with_recoveries<S: StoredSeries>(
        &self,
        series: &mut S,
    ) -> Result<BTreeMap<i64, (Totals, IncidentTotals)>, S::Error> {
        let mut days = self.days.clone();
        for incident in &self.recoveries {
            let recovered_ms = incident.recovered_ms.unwrap_or(incident.started_ms);
            let outage =
                outage_ms(series.down_ms(incident.started_ms, recovered_ms)?, incident.started_ms, recovered_ms);
            let day = incident.started_ms.div_euclid(DAY_MS);
            days.entry(day).or_default().1.add_recovered(recovered_ms - incident.started_ms, outage);
        }
        Ok(days)
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
    /// The down time of the stored (closed) spans inside `[from, to)`.
    fn down_ms(&mut self, from: i64, to: i64) -> Result<i64, Self::Error>;
}

/// The outage of an incident as it stands at `now_ms`: the stored down spans inside it and
/// the last result's span if it is down.
fn outage_at<S: StoredSeries>(series: &mut S, tail: &Tail, incident: Incident, now_ms: i64) -> Result<i64, S::Error> {
    let end_ms = incident.end_at(now_ms);
    let mut down = series.down_ms(incident.started_ms, end_ms)?;
    if let Some(span) = tail.open_span(now_ms).filter(|s| !s.up) {
        down += span.overlap_ms(incident.started_ms, end_ms);
    }
    Ok(outage_ms(down, incident.started_ms, end_ms))
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
            incidents.merge(listed_incidents(series, &tail, since_ms, first_whole_day * DAY_MS, now_ms)?);
            incidents.merge(listed_incidents(series, &tail, end_day * DAY_MS, now_ms, now_ms)?);
            // The days count the open incident as started; how long it lasts is now's.
            if let Some(open) =
                tail.open_incident_ms.filter(|at| (first_whole_day * DAY_MS..end_day * DAY_MS).contains(at))
            {
                let open = Incident { started_ms: open, recovered_ms: None };
                incidents.add_open(outage_at(series, &tail, open, now_ms)?);
            }
        } else {
            incidents = listed_incidents(series, &tail, since_ms, now_ms, now_ms)?;
        }
    } else {
        totals.add(cut(series, since_ms, now_ms)?);
        incidents = listed_incidents(series, &tail, since_ms, now_ms, now_ms)?;
    }
    if let Some(span) = tail.open_span(now_ms) {
        totals.add_span(span, since_ms, now_ms);
    }
    Ok(Figures::of(totals, incidents))
}

/// The incidents that started in `[from, to)`, one by one, as they stand at `now_ms`.
fn listed_incidents<S: StoredSeries>(
    series: &mut S,
    tail: &Tail,
    from: i64,
    to: i64,
    now_ms: i64,
) -> Result<IncidentTotals, S::Error> {
    let mut totals = IncidentTotals::default();
    for incident in series.incidents(from, to)? {
        totals.add(incident, outage_at(series, tail, incident, now_ms)?, now_ms);
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

/// The edits of one series' stored roll-ups that [`prune_series`] needs, on top of the
/// reads: each backend makes them with its own statements, in the prune's transaction.
pub trait PrunedSeries: StoredSeries {
    /// When the series' first stored result is (`None`: it has none left).
    fn first_result_ms(&mut self) -> Result<Option<i64>, Self::Error>;
    /// Forgets every roll-up of the series, its tail too.
    fn delete_all(&mut self) -> Result<(), Self::Error>;
    /// Deletes the spans that end at or before `first`; the one running across it starts there.
    fn cut_spans_at(&mut self, first: i64) -> Result<(), Self::Error>;
    /// The incident that started before `first` and had not recovered by then.
    fn incident_across(&mut self, first: i64) -> Result<Option<Incident>, Self::Error>;
    /// Deletes the incidents that started before `first`.
    fn delete_incidents_before(&mut self, first: i64) -> Result<(), Self::Error>;
    /// The series' results of runs started in `[from, to)`, in time order, from the raw tables.
    fn samples_between(&mut self, from: i64, to: i64) -> Result<Vec<Sample>, Self::Error>;
    fn insert_incident(&mut self, incident: Incident) -> Result<(), Self::Error>;
    fn save_tail(&mut self, tail: &Tail) -> Result<(), Self::Error>;
    /// Deletes the days before `day`.
    fn delete_days_before(&mut self, day: i64) -> Result<(), Self::Error>;
    /// Stores `day`'s roll-up in place of the one there.
    fn replace_day(&mut self, day: i64, totals: Totals, incidents: IncidentTotals) -> Result<(), Self::Error>;
}

/// Forgets a series' roll-ups older than the raw results that history retention kept:
/// called in the transaction that prunes them, after they went. The roll-ups become those
/// of a replay from the first kept result (what `uptime_raw` computes), without replaying
/// it: only the boundary changes (the time the last pruned result held, the incident it
/// left open, the day each falls in).
pub fn prune_series<S: PrunedSeries>(series: &mut S) -> Result<(), S::Error> {
    let Some(first) = series.first_result_ms()? else {
        return series.delete_all();
    };
    // Spans: the pruned results' go, and one that ran into the first kept result (merged
    // run-length with its span) starts there.
    series.cut_spans_at(first)?;
    // The incident a pruned result left open: a replay starts it at its first failing kept
    // result before its recovery (none: it is gone).
    let across = series.incident_across(first)?;
    series.delete_incidents_before(first)?;
    let mut restarted = None;
    if let Some(incident) = across {
        let until = incident.recovered_ms.unwrap_or(i64::MAX);
        restarted = series.samples_between(first, until)?.iter().find(|s| s.mark == Mark::Down).map(|s| s.at_ms);
        if let Some(at) = restarted {
            series.insert_incident(Incident { started_ms: at, recovered_ms: incident.recovered_ms })?;
        }
        let mut tail = series.tail()?;
        if tail.open_incident_ms == Some(incident.started_ms) {
            tail.open_incident_ms = restarted;
            series.save_tail(&tail)?;
        }
    }
    // Days: those before the first kept result go; its day and the restarted incident's
    // are recounted from the timeline above.
    let first_day = first.div_euclid(DAY_MS);
    series.delete_days_before(first_day)?;
    recount_day(series, first_day)?;
    if let Some(day) = restarted.map(|at| at.div_euclid(DAY_MS)).filter(|day| *day != first_day) {
        recount_day(series, day)?;
    }
    Ok(())
}

/// Recounts one day's roll-up from the timeline, the incidents and the raw counts.
fn recount_day<S: PrunedSeries>(series: &mut S, day: i64) -> Result<(), S::Error> {
    let (from, to) = (day * DAY_MS, (day + 1) * DAY_MS);
    let totals = cut(series, from, to)?;
    let mut incidents = IncidentTotals::default();
    for incident in series.incidents(from, to)? {
        incidents.started += 1;
        if let Some(at) = incident.recovered_ms {
            let outage = outage_ms(series.down_ms(incident.started_ms, at)?, incident.started_ms, at);
            incidents.add_recovered(at - incident.started_ms, outage);
        }
    }
    series.replace_day(day, totals, incidents)
}
