//! Flapping, per notify channel (PLAYBOOK.md "Flapping and grouping, per notify channel"):
//! the weighted share of state changes over a check's last `window` results, and the
//! hysteresis that turns it on above `high` and off below `low`.
//!
//! Pure: the recent statuses and the config in, the new state and whether flapping
//! started or stopped out. The alert policy keeps the state on the stream's
//! `AlertState` and decides the messages; this module only owns the formula, so that it
//! can be checked by hand:
//!
//! - the state is the status; SKIPPED and MANUAL results are not observations;
//! - over the last `window` results (fewer at first: missing ones count as no change),
//!   each change between two consecutive results is weighted linearly from 0.8 (the
//!   oldest pair of the window) to 1.2 (the newest);
//! - percent = sum of the weights of the changes ÷ (window − 1) × 100.
//!
//! The weights are computed in integers (each weight × 5·(window − 2)) so that a percent
//! that is exactly a threshold by hand (50 % of a window of 10) is exactly it here too,
//! and "above 50 %" does not start on a rounding error.

use serde::{Deserialize, Serialize};

use crate::outcome::Status;

/// A channel's `flapping:` setting, resolved.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlapConfig {
    /// How many recent results count (≥ 2).
    pub window: u32,
    /// Above this percent flapping starts.
    pub high: f64,
    /// Below this percent flapping stops.
    pub low: f64,
}

/// What is kept per stream and channel between runs (on `AlertState`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct FlapState {
    /// Flapping now (between a start and a stop).
    #[serde(default)]
    pub flapping: bool,
    /// The last `window` counted statuses, oldest first.
    #[serde(default)]
    pub recent: Vec<Status>,
    /// The percent at the last result.
    #[serde(default)]
    pub percent: f64,
}

/// What one result did to the flapping state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlapChange {
    /// Still flapping, or still not.
    Same,
    /// Crossed above `high`: one "started flapping" message.
    Started,
    /// Fell below `low`: one "stopped flapping" message with the current status.
    Stopped,
}

/// The flap percent of `recent` (oldest first) over a window of `window` results.
pub fn percent(recent: &[Status], window: u32) -> f64 {
    let window = window.max(2) as usize;
    let recent = &recent[recent.len().saturating_sub(window)..];
    // Pair k (0 = oldest of the window) sits between results k and k + 1 of a full
    // window; with fewer results, the ones we have are the newest.
    let offset = window - recent.len();
    let pairs = window - 1;
    let mut units: u64 = 0;
    for (i, pair) in recent.windows(2).enumerate() {
        if pair[0] != pair[1] {
            units += weight_units(offset + i, pairs);
        }
    }
    // percent = Σ weight ÷ pairs × 100, and weight = units ÷ scale.
    (units as f64 * 100.0) / (scale(pairs) as f64 * pairs as f64)
}

/// The weight of pair `k` of `pairs`, times [`scale`]: 0.8 for the oldest, 1.2 for the
/// newest, linear between. A window of 2 has one pair, weighted 1.
fn weight_units(k: usize, pairs: usize) -> u64 {
    if pairs <= 1 {
        return 1;
    }
    // 0.8 + 0.4·k/(pairs − 1), times 5·(pairs − 1): 4·(pairs − 1) + 2·k.
    (4 * (pairs - 1) + 2 * k) as u64
}

fn scale(pairs: usize) -> u64 {
    if pairs <= 1 { 1 } else { 5 * (pairs as u64 - 1) }
}

/// Takes one result: appends its status (unless SKIPPED or MANUAL), recomputes the
/// percent and applies the hysteresis.
pub fn observe(state: &FlapState, status: Status, config: &FlapConfig) -> (FlapState, FlapChange) {
    if !status.counts() {
        return (state.clone(), FlapChange::Same);
    }
    let window = config.window.max(2) as usize;
    let mut recent = state.recent.clone();
    recent.push(status);
    if recent.len() > window {
        recent.drain(..recent.len() - window);
    }
    let percent = percent(&recent, config.window);
    let (flapping, change) = match state.flapping {
        false if percent > config.high => (true, FlapChange::Started),
        true if percent < config.low => (false, FlapChange::Stopped),
        still => (still, FlapChange::Same),
    };
    (FlapState { flapping, recent, percent }, change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::{Critical as C, Ok as O, Warning as W};

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn weights_run_from_0_8_to_1_2() {
        // A window of 21 (Nagios's): 20 pairs, weights 0.80, 0.82, …, 1.20 (scale 95).
        assert_eq!(scale(20), 95);
        assert_eq!(weight_units(0, 20), 76); // 76/95 = 0.8
        assert_eq!(weight_units(19, 20), 114); // 114/95 = 1.2
        // A window of 10: 9 pairs, 0.80, 0.85, …, 1.20 (scale 40).
        assert_eq!((weight_units(0, 9), weight_units(4, 9), weight_units(8, 9)), (32, 40, 48));
    }

    #[test]
    fn hand_computed_percents_for_a_window_of_10() {
        // Divisor 9 pairs; weights 0.80 0.85 0.90 0.95 1.00 1.05 1.10 1.15 1.20.
        assert!(close(percent(&[C], 10), 0.0));
        // One change, the newest pair: 1.20 / 9 = 13.33 %.
        assert!(close(percent(&[C, O], 10), 1.2 / 9.0 * 100.0));
        // 1.15 + 1.20 = 2.35 → 26.11 %.
        assert!(close(percent(&[C, O, C], 10), 2.35 / 9.0 * 100.0));
        // 1.05 + 1.10 + 1.15 + 1.20 = 4.50 → exactly 50 %.
        assert_eq!(percent(&[C, O, C, O, C], 10), 50.0);
        // Every pair changes: 9.0 / 9 = 100 %.
        assert_eq!(percent(&[C, O, C, O, C, O, C, O, C, O], 10), 100.0);
        // Only the oldest pair changes: 0.80 / 9 = 8.89 %.
        assert!(close(percent(&[C, O, O, O, O, O, O, O, O, O], 10), 0.8 / 9.0 * 100.0));
        // More than the window: only the last 10 count (the same as above).
        assert!(close(percent(&[O, C, O, O, O, O, O, O, O, O, O], 10), 0.8 / 9.0 * 100.0));
        // WARNING → CRITICAL is a change too (the state is the status).
        assert!(close(percent(&[W, C], 10), 1.2 / 9.0 * 100.0));
    }

    #[test]
    fn a_window_of_two_weighs_its_one_pair_as_one() {
        assert_eq!(percent(&[O, C], 2), 100.0);
        assert_eq!(percent(&[C, C], 2), 0.0);
    }

    #[test]
    fn hysteresis_starts_above_high_and_stops_below_low() {
        let config = FlapConfig { window: 10, high: 50.0, low: 25.0 };
        let mut state = FlapState::default();
        let mut changes = Vec::new();
        // Toggling: 0, 13.3, 26.1, 38.3, 50.0 (not above 50), 61.1 → started.
        for status in [C, O, C, O, C, O, C] {
            let (next, change) = observe(&state, status, &config);
            state = next;
            changes.push(change);
        }
        use FlapChange::{Same, Started, Stopped};
        assert_eq!(changes, [Same, Same, Same, Same, Same, Started, Same]);
        // SKIPPED and MANUAL change nothing.
        let (same, change) = observe(&state, Status::Skipped, &config);
        assert_eq!((same, change), (state.clone(), Same));
        // Steady OK from here: the changes age out of the window until below 25 %.
        let mut stopped_after = None;
        for n in 1..=10 {
            let (next, change) = observe(&state, O, &config);
            state = next;
            if change == Stopped {
                stopped_after = Some(n);
                break;
            }
            assert!(state.flapping, "still flapping at {}%", state.percent);
        }
        // After 3 OKs the window is C O C O C O C O O O: pairs 0..6 change,
        // 0.80+0.85+0.90+0.95+1.00+1.05+1.10 = 6.65 → 73.9 %; after 4: 5.55 → 61.7 %;
        // 5: 4.50 → 50 %; 6: 3.50 → 38.9 %; 7: 2.55 → 28.3 %; 8: 1.65 → 18.3 % < 25: stops.
        assert_eq!(stopped_after, Some(8));
        assert!(close(state.percent, 1.65 / 9.0 * 100.0));
        assert!(!state.flapping);
    }
}
