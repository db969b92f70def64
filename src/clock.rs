//! The wall clock every decision reads: when a run started, which fire is due, whether a
//! maintenance window or a silence is in force, how old a problem is, what "the last 30
//! days" of uptime means.
//!
//! Why one clock: quiet times, flapping, grouping and uptime are judged by tests that
//! must say "this run happens at 03:10 on Sunday" without waiting for Sunday. With
//! `RUNNER_TEST_CLOCK=2026-03-29T00:59:00Z` in its environment a process starts its clock
//! at that instant, and it then advances at the real rate (so durations and timeouts stay
//! true). Unset — always, outside tests — it is the system clock. The variable is named
//! for tests on purpose, and a process that uses it says so once in its log.
//!
//! Probes that compare against the file system or a server's certificate (a file's age,
//! a certificate's expiry) keep reading the system clock: they compare with other
//! clocks, not with the run's.

use std::sync::OnceLock;
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

/// The variable that starts the clock at a chosen instant (tests only).
pub const TEST_CLOCK_VAR: &str = "RUNNER_TEST_CLOCK";

/// The chosen start and the moment it was read, when the variable is set.
fn offset() -> Option<&'static (Timestamp, Instant)> {
    static START: OnceLock<Option<(Timestamp, Instant)>> = OnceLock::new();
    START
        .get_or_init(|| {
            let text = std::env::var(TEST_CLOCK_VAR).ok().filter(|t| !t.is_empty())?;
            match text.parse::<Timestamp>() {
                Ok(start) => {
                    tracing::warn!(target: "runner::clock", "{TEST_CLOCK_VAR} is set: the clock starts at {start}");
                    Some((start, Instant::now()))
                }
                Err(error) => {
                    tracing::warn!(target: "runner::clock", "{TEST_CLOCK_VAR}={text:?} is not an RFC 3339 instant ({error}); using the system clock");
                    None
                }
            }
        })
        .as_ref()
}

/// Now.
pub fn now() -> Timestamp {
    match offset() {
        Some((start, read_at)) => {
            let elapsed = SignedDuration::try_from(read_at.elapsed()).unwrap_or(SignedDuration::ZERO);
            start.checked_add(elapsed).unwrap_or(*start)
        }
        None => Timestamp::now(),
    }
}

/// Now, in Unix milliseconds.
pub fn now_ms() -> i64 {
    now().as_millisecond()
}

/// An instant for people: local time with its offset, `YYYY-MM-DD HH:MM ±HH:MM` (the zone
/// of the machine, `TZ` when set), so nobody converts from UTC in their head.
pub fn local_display(ms: i64) -> String {
    match Timestamp::from_millisecond(ms) {
        Ok(at) => at.to_zoned(jiff::tz::TimeZone::system()).strftime("%Y-%m-%d %H:%M %:z").to_string(),
        Err(_) => ms.to_string(),
    }
}

/// An instant for machines: RFC 3339 in UTC (`None` when out of range).
pub fn rfc3339(ms: i64) -> Option<String> {
    Timestamp::from_millisecond(ms).ok().map(|t| t.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_system_clock_without_the_variable() {
        // The unit tests never set the variable.
        let before = jiff::Timestamp::now();
        let now = super::now();
        assert!(now >= before && now.duration_since(before).as_secs() < 5);
    }
}
