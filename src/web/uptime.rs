//! Uptime from raw results, by CLI.md's rule: time-weighted, each result holding until
//! the next one, at most twice the period; SKIPPED and MANUAL are no data; down is
//! WARNING, CRITICAL or UNKNOWN; with no data the figure is `None` ("—", never 100 %).
//!
//! This is the one place the page, the API and the badges get an uptime from. The roll-ups
//! of `runner uptime` (src/store/uptime.rs, another branch) replace its body; maintenance
//! and silences then leave their spans out there too.

use crate::store::results::ResultRow;

/// The windows the page shows, with their labels.
pub const WINDOWS: [(&str, i64); 3] = [("24h", 86_400_000), ("7d", 7 * 86_400_000), ("30d", 30 * 86_400_000)];

/// The window of a label (`24h`, `7d`, `30d`).
pub fn window_ms(label: &str) -> Option<i64> {
    WINDOWS.iter().find(|(l, _)| *l == label).map(|(_, ms)| *ms)
}

/// The share of time up (0–100) over the `window_ms` before `now_ms`, from `results`
/// of one check, newest first; `None` without data.
pub fn percent(results: &[ResultRow], window_ms: i64, now_ms: i64) -> Option<f64> {
    let start = now_ms - window_ms;
    let period = typical_gap(results);
    let (mut up, mut counted) = (0i64, 0i64);
    let mut until = now_ms;
    for result in results {
        if result.started_ms >= until {
            continue;
        }
        let held_until = until.min(result.started_ms + 2 * period);
        let from = result.started_ms.max(start);
        until = result.started_ms;
        let span = held_until - from;
        if span <= 0 || matches!(result.status.as_str(), "skipped" | "manual") {
            if result.started_ms < start {
                break;
            }
            continue;
        }
        counted += span;
        if result.status == "ok" {
            up += span;
        }
        if result.started_ms < start {
            break;
        }
    }
    (counted > 0).then(|| up as f64 * 100.0 / counted as f64)
}

/// The median gap between results: the period a result holds for (a minute when only
/// one result is known).
fn typical_gap(results: &[ResultRow]) -> i64 {
    let mut gaps: Vec<i64> = results.windows(2).map(|w| w[0].started_ms - w[1].started_ms).filter(|g| *g > 0).collect();
    gaps.sort_unstable();
    gaps.get(gaps.len() / 2).copied().unwrap_or(60_000)
}

/// `99.95 %`, `100 %`, or `—`.
pub fn words(percent: Option<f64>) -> String {
    match percent {
        None => "—".into(),
        Some(p) if p >= 100.0 => "100 %".into(),
        Some(p) => format!("{:.2} %", (p * 100.0).floor() / 100.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(at_min: i64, status: &str) -> ResultRow {
        ResultRow {
            seq: at_min,
            run_id: String::new(),
            playbook: "p".into(),
            check: "c".into(),
            started_ms: at_min * 60_000,
            status: status.into(),
            duration_ms: 1,
            message: String::new(),
        }
    }

    #[test]
    fn time_weighted_gaps_are_no_data_and_no_data_is_a_dash() {
        let now = 10 * 60_000;
        // Every minute: 8 ok, 1 critical (minute 5), newest first.
        let rows: Vec<ResultRow> = (1..10).rev().map(|m| row(m, if m == 5 { "critical" } else { "ok" })).collect();
        let p = percent(&rows, 3_600_000, now).unwrap();
        assert!((p - 8.0 / 9.0 * 100.0).abs() < 0.01, "{p}");
        assert_eq!(percent(&[], 3_600_000, now), None);
        assert_eq!(words(None), "—");
        assert_eq!(words(Some(99.999)), "99.99 %");
        // A long silence after the last result is no data, not uptime: the last result
        // holds for two periods, not fifty.
        let p = percent(&rows, 3_600_000, now + 3_000_000).unwrap();
        assert!((p - 90.0).abs() < 0.01, "{p}");
    }
}
