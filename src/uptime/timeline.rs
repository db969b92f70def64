//! The definition of uptime (CLI.md, below the command table) as one fold over a series'
//! results in time order: what each result says ([`Mark`]), how long it holds, where an
//! incident starts and ends.
//!
//! Why a fold with a small carried state ([`Tail`]): the store keeps its roll-ups up to date
//! one committed run at a time, and the reference computation replays every stored result;
//! both call [`Tail::step`], so the roll-up and the raw answer cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::outcome::Status;

/// What one result says for uptime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// OK.
    Up,
    /// Failing: WARNING, CRITICAL or UNKNOWN.
    Down,
    /// Left out: SKIPPED, MANUAL, or held back by a maintenance window or a silence.
    NoData,
}

impl Mark {
    /// The mark of a result with `status`, held back for `quiet` (a hold's reason code).
    pub fn of(status: Status, quiet: Option<&str>) -> Mark {
        if quiet.is_some_and(is_no_data_reason) || !status.counts() {
            Mark::NoData
        } else if status.is_failing() {
            Mark::Down
        } else {
            Mark::Up
        }
    }

    /// The mark of a whole run: down when a counted check fails, up when every counted
    /// check is OK, no data when none counts.
    pub fn worst(marks: impl IntoIterator<Item = Mark>) -> Mark {
        marks.into_iter().fold(Mark::NoData, |worst, mark| match (worst, mark) {
            (Mark::Down, _) | (_, Mark::Down) => Mark::Down,
            (Mark::Up, _) | (_, Mark::Up) => Mark::Up,
            _ => Mark::NoData,
        })
    }
}

/// The quiet times that make a result "no data": a maintenance window and a silence (a
/// failing `depends_on` or flapping hold messages back, but the check really was down).
pub fn is_no_data_reason(code: &str) -> bool {
    matches!(code, "maintenance" | "silenced")
}

/// One result of a series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sample {
    /// When its run started (Unix ms).
    pub at_ms: i64,
    pub mark: Mark,
    /// Its playbook's schedule period; `None` for a playbook without a schedule, whose
    /// results are counted instead of weighted by time.
    pub period_ms: Option<i64>,
}

impl Sample {
    /// The latest instant this result can hold until: twice its period after it.
    fn cap_ms(&self) -> Option<i64> {
        self.period_ms.map(|p| self.at_ms.saturating_add(p.saturating_mul(2)))
    }
}

/// A stretch of time a result held for, up or down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub start_ms: i64,
    pub end_ms: i64,
    pub up: bool,
}

impl Span {
    /// How much of this span lies within `[from, to)`.
    pub fn overlap_ms(&self, from: i64, to: i64) -> i64 {
        (self.end_ms.min(to) - self.start_ms.max(from)).max(0)
    }
}

/// What one step of the fold produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Effect {
    /// The previous result's span, now that its end is known.
    Span(Span),
    /// A result of a playbook without a schedule, counted at its instant.
    Count { at_ms: i64, up: bool },
    /// The first failing result after an OK (or the first ever).
    IncidentStarted { at_ms: i64 },
    /// The OK that ends the incident that started at `started_ms`.
    Recovered { started_ms: i64, at_ms: i64 },
}

/// What the fold carries from one result to the next: the last result (its span is
/// still open) and the start of the incident in progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tail {
    pub last: Option<Sample>,
    pub open_incident_ms: Option<i64>,
}

impl Tail {
    /// Folds in the next result (not earlier than the last one), reporting what it settles.
    pub fn step(&mut self, sample: Sample, mut effect: impl FnMut(Effect)) {
        if let Some(span) = self.last.and_then(|last| last_span(last, sample.at_ms)) {
            effect(Effect::Span(span));
        }
        match (sample.mark, sample.period_ms) {
            (Mark::NoData, _) | (_, Some(_)) => {}
            (mark, None) => effect(Effect::Count { at_ms: sample.at_ms, up: mark == Mark::Up }),
        }
        // An incident is a maximal span of failing results: results with no data neither
        // start nor end one; only the next OK does.
        match (sample.mark, self.open_incident_ms) {
            (Mark::Down, None) => {
                self.open_incident_ms = Some(sample.at_ms);
                effect(Effect::IncidentStarted { at_ms: sample.at_ms });
            }
            (Mark::Up, Some(started_ms)) => {
                self.open_incident_ms = None;
                effect(Effect::Recovered { started_ms, at_ms: sample.at_ms });
            }
            _ => {}
        }
        self.last = Some(sample);
    }

    /// The last result's span as it stands at `now_ms` (it holds until now, at most
    /// twice its period).
    pub fn open_span(&self, now_ms: i64) -> Option<Span> {
        self.last.and_then(|last| last_span(last, now_ms))
    }
}

/// The span of `last` when the next result (or now) comes at `next_ms`: until then, at
/// most twice its period; none for a result with no data or without a period.
fn last_span(last: Sample, next_ms: i64) -> Option<Span> {
    let up = match last.mark {
        Mark::Up => true,
        Mark::Down => false,
        Mark::NoData => return None,
    };
    let end_ms = next_ms.min(last.cap_ms()?);
    (end_ms > last.at_ms).then_some(Span { start_ms: last.at_ms, end_ms, up })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: i64 = 60_000;

    fn sample(minute: i64, mark: Mark) -> Sample {
        Sample { at_ms: minute * MIN, mark, period_ms: Some(5 * MIN) }
    }

    fn fold(samples: &[Sample]) -> (Vec<Effect>, Tail) {
        let mut tail = Tail::default();
        let mut effects = Vec::new();
        for s in samples {
            tail.step(*s, |e| effects.push(e));
        }
        (effects, tail)
    }

    #[test]
    fn a_result_holds_until_the_next_at_most_twice_its_period() {
        let (effects, tail) = fold(&[sample(0, Mark::Up), sample(5, Mark::Down), sample(60, Mark::Up)]);
        assert_eq!(
            effects,
            [
                Effect::Span(Span { start_ms: 0, end_ms: 5 * MIN, up: true }),
                Effect::IncidentStarted { at_ms: 5 * MIN },
                // 55 minutes to the next result: it holds for 10, the rest is no data.
                Effect::Span(Span { start_ms: 5 * MIN, end_ms: 15 * MIN, up: false }),
                Effect::Recovered { started_ms: 5 * MIN, at_ms: 60 * MIN },
            ]
        );
        assert_eq!(tail.open_span(62 * MIN), Some(Span { start_ms: 60 * MIN, end_ms: 62 * MIN, up: true }));
    }

    #[test]
    fn no_data_neither_holds_nor_ends_an_incident() {
        let (effects, _) = fold(&[sample(0, Mark::Down), sample(5, Mark::NoData), sample(10, Mark::Down)]);
        assert_eq!(
            effects,
            [Effect::IncidentStarted { at_ms: 0 }, Effect::Span(Span { start_ms: 0, end_ms: 5 * MIN, up: false }),]
        );
    }

    #[test]
    fn results_without_a_schedule_are_counted() {
        let mut tail = Tail::default();
        let mut effects = Vec::new();
        tail.step(Sample { at_ms: 0, mark: Mark::Up, period_ms: None }, |e| effects.push(e));
        tail.step(Sample { at_ms: 9 * MIN, mark: Mark::Down, period_ms: None }, |e| effects.push(e));
        assert_eq!(
            effects,
            [
                Effect::Count { at_ms: 0, up: true },
                Effect::Count { at_ms: 9 * MIN, up: false },
                Effect::IncidentStarted { at_ms: 9 * MIN }
            ]
        );
    }

    #[test]
    fn marks() {
        assert_eq!(Mark::of(Status::Warning, None), Mark::Down);
        assert_eq!(Mark::of(Status::Unknown, None), Mark::Down);
        assert_eq!(Mark::of(Status::Ok, None), Mark::Up);
        assert_eq!(Mark::of(Status::Skipped, None), Mark::NoData);
        assert_eq!(Mark::of(Status::Manual, None), Mark::NoData);
        assert_eq!(Mark::of(Status::Critical, Some("maintenance")), Mark::NoData);
        assert_eq!(Mark::of(Status::Critical, Some("silenced")), Mark::NoData);
        assert_eq!(Mark::of(Status::Critical, Some("suppressed_by")), Mark::Down);
        assert_eq!(Mark::worst([Mark::Up, Mark::NoData]), Mark::Up);
        assert_eq!(Mark::worst([Mark::Up, Mark::Down, Mark::NoData]), Mark::Down);
        assert_eq!(Mark::worst([Mark::NoData]), Mark::NoData);
    }
}
