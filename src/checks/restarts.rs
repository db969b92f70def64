//! Counting restarts within a window (`restarts_within`) from samples kept between runs.
//!
//! Two sources: identities (pid + start time) of matching processes, where a restart is
//! an identity that appears; and a manager's own cumulative counter (systemd NRestarts,
//! pm2 restart_time). Either way the count runs from a baseline: the oldest sample inside
//! the window, or, when there is none, the newest before it (then the count covers more
//! than the window, and the result says so). Restarts whose new process started inside
//! an interval when runner itself was acting (its actions and remediations) are not
//! counted: runner must not mistake its own restarts for crashes.

use serde::{Deserialize, Serialize};

/// How many samples are kept per check (at most).
const MAX_SAMPLES: usize = 500;

/// A time interval (Unix seconds) during which runner restarted things itself.
pub type Interval = (i64, i64);

fn in_any(intervals: &[Interval], at: i64) -> bool {
    intervals.iter().any(|(start, end)| at >= *start && at <= *end)
}

/// Processes seen at one time: (pid, start time in Unix seconds).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentitySample {
    pub at: i64,
    pub ids: Vec<(u32, i64)>,
}

/// A manager's cumulative restart counter at one time, and when the current instance
/// started (Unix seconds, when known).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CounterSample {
    pub at: i64,
    pub counter: u64,
    pub started: Option<i64>,
}

/// The result of a count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Restarts seen; 0 when there was nothing to count from (see `baseline`).
    pub restarts: u32,
    /// There was no earlier sample: this one is the baseline, and counting starts with
    /// the next. A count of 0 then says nothing about restarts.
    pub baseline: bool,
    /// The baseline is older than the window (runs are further apart than the window).
    pub approximate: bool,
    /// Seconds the count covers.
    pub span: i64,
}

impl Count {
    /// The first sample: nothing counted yet.
    const BASELINE: Count = Count { restarts: 0, baseline: true, approximate: false, span: 0 };
}

/// The index of the baseline sample for a window starting at `window_start`.
fn baseline<T>(samples: &[T], at: impl Fn(&T) -> i64, window_start: i64) -> Option<usize> {
    samples.iter().position(|s| at(s) >= window_start).or_else(|| samples.len().checked_sub(1))
}

/// Restarts seen as new process identities within `within` seconds before `current`.
pub fn from_identities(
    history: &[IdentitySample],
    current: &IdentitySample,
    within: i64,
    runner: &[Interval],
) -> Count {
    let window_start = current.at - within;
    let Some(start) = baseline(history, |s| s.at, window_start) else {
        return Count::BASELINE;
    };
    let mut sequence: Vec<&IdentitySample> = history[start..].iter().collect();
    sequence.push(current);
    // Several processes of one name appearing at once (a first start, a scale-up) are not
    // restarts: only births that replace a vanished process count.
    let mut replaced = 0;
    for pair in sequence.windows(2) {
        let vanished = pair[0].ids.iter().filter(|id| !pair[1].ids.contains(id)).count() as u32;
        let born = pair[1].ids.iter().filter(|id| !pair[0].ids.contains(id) && !in_any(runner, id.1)).count() as u32;
        replaced += vanished.min(born);
    }
    let first = sequence[0].at;
    Count { restarts: replaced, baseline: false, approximate: first < window_start, span: current.at - first }
}

/// Restarts as the growth of a manager's counter within `within` seconds before `current`.
pub fn from_counter(history: &[CounterSample], current: &CounterSample, within: i64, runner: &[Interval]) -> Count {
    let window_start = current.at - within;
    let Some(start) = baseline(history, |s| s.at, window_start) else {
        return Count::BASELINE;
    };
    let base = &history[start];
    // A counter that went down was reset (the manager restarted): count from zero.
    let mut restarts = if current.counter >= base.counter { current.counter - base.counter } else { current.counter };
    if restarts > 0 && current.started.is_some_and(|s| in_any(runner, s)) {
        restarts -= 1;
    }
    Count {
        restarts: u32::try_from(restarts).unwrap_or(u32::MAX),
        baseline: false,
        approximate: base.at < window_start,
        span: current.at - base.at,
    }
}

/// Appends `sample` and drops samples older than twice the window (keeping at least the
/// newest one before it, the next count's baseline).
pub fn keep<T: Clone>(mut history: Vec<T>, sample: T, at: impl Fn(&T) -> i64, now: i64, within: i64) -> Vec<T> {
    history.push(sample);
    let horizon = now - 2 * within.max(1);
    let first_recent = history.iter().position(|s| at(s) >= horizon).unwrap_or(history.len() - 1);
    let keep_from = first_recent.saturating_sub(1);
    let mut kept: Vec<T> = history.split_off(keep_from);
    if kept.len() > MAX_SAMPLES {
        kept.drain(..kept.len() - MAX_SAMPLES);
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(at: i64, ids: &[(u32, i64)]) -> IdentitySample {
        IdentitySample { at, ids: ids.to_vec() }
    }

    #[test]
    fn identities_count_replacements_within_the_window() {
        let history = vec![ids(0, &[(1, 0)]), ids(60, &[(2, 50)]), ids(120, &[(3, 110)])];
        let now = ids(180, &[(4, 170)]);
        // Window of 150 s: baseline is the sample at 60 (the oldest inside), then 2 restarts.
        let count = from_identities(&history, &now, 150, &[]);
        assert_eq!(count, Count { restarts: 2, baseline: false, approximate: false, span: 120 });
        // Without an earlier sample, the current one is the baseline.
        assert_eq!(from_identities(&[], &now, 150, &[]), Count::BASELINE);
        // A restart inside runner's own interval is not counted.
        assert_eq!(from_identities(&history, &now, 150, &[(165, 175)]).restarts, 1);
        // Scale-up is not a restart.
        assert_eq!(from_identities(&[ids(0, &[(1, 0)])], &ids(60, &[(1, 0), (2, 55)]), 300, &[]).restarts, 0);
    }

    #[test]
    fn counters_count_growth_and_resets() {
        let history = vec![CounterSample { at: 0, counter: 3, started: None }];
        let now = CounterSample { at: 3600, counter: 9, started: Some(3500) };
        let count = from_counter(&history, &now, 300, &[]);
        assert_eq!(count, Count { restarts: 6, baseline: false, approximate: true, span: 3600 });
        assert_eq!(from_counter(&history, &now, 300, &[(3490, 3510)]).restarts, 5);
        let reset = CounterSample { at: 60, counter: 1, started: None };
        assert_eq!(from_counter(&history, &reset, 300, &[]).restarts, 1);
        assert_eq!(from_counter(&[], &now, 300, &[]), Count::BASELINE);
    }

    #[test]
    fn keep_prunes_old_samples_but_keeps_a_baseline() {
        let history: Vec<i64> = (0..10).map(|i| i * 100).collect();
        let kept = keep(history, 1000, |s| *s, 1000, 100);
        assert_eq!(kept, vec![700, 800, 900, 1000]);
    }
}
