//! Maintenance windows: "is a window open at instant T, which one, until when" and "the
//! next window after T", for the playbook's windows and a check's own.
//!
//! A recurring window opens at each fire of its cron and lasts its `duration` of elapsed
//! time. The fires come from the schedule's cron planner (`schedule::cron`, croner), so
//! windows are DST-correct the way schedules are: a 02:30 Europe/Berlin window on the
//! spring-forward day opens once, right after the gap (03:00 CEST); on the fall-back day
//! it opens once, at the first 02:30. This module does no wall-clock arithmetic of its
//! own.
//!
//! Windows that overlap or touch hold as one: the hold lasts until the last of them
//! closes, so that no message slips out in between.
//!
//! The same reading ([`plan`]) serves validation (its diagnostics, with the place) and the
//! engine (which ignores them: an invalid playbook does not run).

use croner::Cron;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use super::Hold;
use crate::playbook::schedule_values;
use crate::playbook::{Check, Diagnostic, Playbook, Span, Window};
use crate::schedule::cron;

/// How many fires of one cron a question may look at: a bound, not a limit any valid
/// window reaches (a valid window is never longer than the gap between two fires).
const MAX_FIRES: usize = 10_000;

/// A window, read.
#[derive(Clone, Debug)]
pub struct Planned {
    when: When,
    /// The window's `reason`.
    pub reason: Option<String>,
}

#[derive(Clone, Debug)]
enum When {
    /// Boxed: a cron is large, and a one-off window is two instants.
    Recurring {
        cron: Box<Cron>,
        duration: SignedDuration,
        zone: TimeZone,
    },
    Once {
        from: Timestamp,
        until: Timestamp,
    },
}

/// A window open at some instant (or the next to open): its reason and its span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Open {
    pub reason: Option<String>,
    pub from: Timestamp,
    pub until: Timestamp,
}

impl Open {
    /// The hold this window puts on a check.
    pub fn hold(&self) -> Hold {
        Hold::Maintenance { note: self.reason.clone(), until_ms: self.until.as_millisecond() }
    }
}

/// The zone a window's cron is read in when it names none: the schedule's effective zone
/// (its `timezone`, else the machine's).
pub fn default_zone(playbook: &Playbook) -> TimeZone {
    let name = playbook.schedule.as_ref().and_then(|s| s.timezone.as_ref()).map(|t| t.as_str());
    cron::timezone(name).unwrap_or_else(|_| TimeZone::system())
}

/// Reads an RFC 3339 instant (`2026-12-24T00:00:00+01:00`, `…Z`).
fn instant(text: &str) -> Result<Timestamp, String> {
    text.trim().parse::<Timestamp>().map_err(|_| format!("`{text}` is not an RFC 3339 instant"))
}

const INSTANT_HINT: &str = "write a date, a time and an offset: `2026-12-24T00:00:00+01:00` or `2026-12-24T00:00:00Z`";
const SHAPE_HINT: &str =
    "a window is `{cron: \"0 3 * * 0\", duration: 2h}` or `{from: …, until: …}` (RFC 3339 instants)";

/// Reads one window; `at` is where to point when the window has no key to point at.
/// The window is `None` when it cannot be used; the diagnostics say why (and warn).
pub fn plan(window: &Window, default_zone: &TimeZone, at: Span) -> (Option<Planned>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let reason = window.reason.as_ref().map(|r| r.to_string());
    let recurring = window.cron.is_some() || window.duration.is_some();
    let once = window.from.is_some() || window.until.is_some();
    let span = window
        .cron
        .as_ref()
        .map(|c| c.span())
        .or(window.from.as_ref().map(|f| f.span()))
        .or(window.duration.as_ref().map(|d| d.span()))
        .or(window.until.as_ref().map(|u| u.span()))
        .unwrap_or(at);
    if recurring && once {
        out.push(
            Diagnostic::error(span, "a maintenance window has `cron` and `duration`, or `from` and `until`, not both")
                .with_hint("write two windows"),
        );
        return (None, out);
    }
    if !recurring && !once {
        out.push(
            Diagnostic::error(span, "a maintenance window needs `cron` and `duration`, or `from` and `until`")
                .with_hint(SHAPE_HINT),
        );
        return (None, out);
    }
    if once {
        if let Some(zone) = &window.timezone {
            out.push(
                Diagnostic::warning(
                    zone.span(),
                    "`timezone` is for `cron` windows; `from` and `until` carry their offset",
                )
                .with_hint("remove `timezone`"),
            );
        }
        let (Some(from_text), Some(until_text)) = (&window.from, &window.until) else {
            let missing = if window.from.is_none() { "from" } else { "until" };
            out.push(
                Diagnostic::error(span, format!("a one-off maintenance window needs `{missing}` too"))
                    .with_hint(SHAPE_HINT),
            );
            return (None, out);
        };
        if !from_text.is_valid() || !until_text.is_valid() {
            return (None, out);
        }
        let from =
            instant(from_text.as_str()).map_err(|m| Diagnostic::error(from_text.span(), m).with_hint(INSTANT_HINT));
        let until =
            instant(until_text.as_str()).map_err(|m| Diagnostic::error(until_text.span(), m).with_hint(INSTANT_HINT));
        let (from, until) = match (from, until) {
            (Ok(from), Ok(until)) => (from, until),
            (from, until) => {
                out.extend(from.err());
                out.extend(until.err());
                return (None, out);
            }
        };
        if from >= until {
            out.push(
                Diagnostic::error(
                    from_text.span(),
                    format!("the window's `from` ({from}) is not before its `until` ({until})"),
                )
                .with_hint("swap them, or fix the date"),
            );
            return (None, out);
        }
        return (Some(Planned { when: When::Once { from, until }, reason }), out);
    }
    let (Some(cron_text), Some(duration)) = (&window.cron, &window.duration) else {
        let missing = if window.cron.is_none() { "cron" } else { "duration" };
        out.push(
            Diagnostic::error(span, format!("a recurring maintenance window needs `{missing}` too"))
                .with_hint(SHAPE_HINT),
        );
        return (None, out);
    };
    let zone = match &window.timezone {
        None => Some(default_zone.clone()),
        Some(name) if !name.is_valid() => None,
        Some(name) => match schedule_values::timezone(name.as_str(), name.span()) {
            Ok((zone, note)) => {
                out.extend(note);
                Some(zone)
            }
            Err(diagnostic) => {
                out.push(diagnostic);
                None
            }
        },
    };
    let parsed = if cron_text.is_valid() {
        schedule_values::cron(cron_text.as_str(), cron_text.span()).map_err(|d| out.push(d)).ok()
    } else {
        None
    };
    if duration.is_valid() && duration.get().is_zero() {
        out.push(
            Diagnostic::error(duration.span(), "a maintenance window of 0s never holds anything")
                .with_hint("give it a duration: `30m`, `2h`"),
        );
        return (None, out);
    }
    let (Some(zone), Some(parsed)) = (zone, parsed) else { return (None, out) };
    if !duration.is_valid() {
        return (None, out);
    }
    let Ok(length) = SignedDuration::try_from(duration.get()) else {
        out.push(Diagnostic::error(duration.span(), "this duration is too long"));
        return (None, out);
    };
    (Some(Planned { when: When::Recurring { cron: Box::new(parsed), duration: length, zone }, reason }), out)
}

/// What validation adds for a window that reads: a cron that never fires, a window
/// longer than the shortest gap between two fires (it would never close), a one-off
/// window already over.
pub fn validate(window: &Window, planned: &Planned, now: Timestamp) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    match &planned.when {
        When::Recurring { cron: parsed, duration, zone } => {
            let cron_span = window.cron.as_ref().map(|c| c.span()).unwrap_or_default();
            let text = window.cron.as_ref().map(|c| c.as_str().to_string()).unwrap_or_default();
            if cron::next_fire(parsed, zone, now).is_none() {
                out.push(
                    Diagnostic::error(cron_span, format!("`{text}` never fires: this window never opens"))
                        .with_hint("no date matches it (e.g. the 30th of February); check the day and month fields"),
                );
                return out;
            }
            let gap = cron::period(parsed, zone, now);
            if let Some(gap) = gap
                && duration.unsigned_abs() > gap
            {
                let span = window.duration.as_ref().map(|d| d.span()).unwrap_or(cron_span);
                out.push(
                    Diagnostic::error(
                        span,
                        format!(
                            "the window lasts {}, longer than the shortest gap between two fires of `{text}` ({}): it would never close",
                            crate::duration::format(duration.unsigned_abs()),
                            crate::duration::format(gap)
                        ),
                    )
                    .with_hint("shorten `duration`, or fire the cron less often"),
                );
            }
        }
        When::Once { until, .. } => {
            if *until <= now
                && let Some(text) = &window.until
            {
                out.push(
                    Diagnostic::warning(
                        text.span(),
                        format!("this window ended at {until}: it holds nothing any more"),
                    )
                    .with_hint("remove it, or move it to a date to come"),
                );
            }
        }
    }
    out
}

impl Planned {
    /// The window open at `t` (start ≤ t < end), if any: for a cron, the latest fire in
    /// (t − duration, t].
    fn open_at(&self, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        match &self.when {
            When::Once { from, until } => (*from <= t && t < *until).then_some((*from, *until)),
            When::Recurring { cron: parsed, duration, zone } => {
                let earliest = t.checked_sub(*duration).ok()?;
                let mut latest = None;
                let mut after = earliest;
                for _ in 0..MAX_FIRES {
                    let Some(fire) = cron::next_fire(parsed, zone, after).map(|z| z.timestamp()) else { break };
                    if fire > t {
                        break;
                    }
                    latest = Some(fire);
                    after = fire;
                }
                let start = latest?;
                Some((start, start.checked_add(*duration).ok()?))
            }
        }
    }

    /// The first window to open strictly after `t`.
    fn next_after(&self, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        match &self.when {
            When::Once { from, until } => (*from > t).then_some((*from, *until)),
            When::Recurring { cron: parsed, duration, zone } => {
                let start = cron::next_fire(parsed, zone, t)?.timestamp();
                Some((start, start.checked_add(*duration).ok()?))
            }
        }
    }
}

/// The windows that apply to a check: the playbook's, then its own. Windows that do not
/// read are left out (validation reported them; an invalid playbook does not run).
pub fn windows_for(playbook: &Playbook, check: &Check) -> Vec<Planned> {
    if playbook.maintenance.is_none() && check.maintenance.is_none() {
        return Vec::new(); // without reading the zone, which costs more than a heartbeat
    }
    let zone = default_zone(playbook);
    playbook
        .maintenance
        .iter()
        .flatten()
        .chain(check.maintenance.iter().flatten())
        .filter_map(|w| plan(w, &zone, Span::UNKNOWN).0)
        .collect()
}

/// The playbook-wide windows alone (what a status page shows for the whole playbook).
pub fn playbook_windows(playbook: &Playbook) -> Vec<Planned> {
    if playbook.maintenance.is_none() {
        return Vec::new();
    }
    let zone = default_zone(playbook);
    playbook.maintenance.iter().flatten().filter_map(|w| plan(w, &zone, Span::UNKNOWN).0).collect()
}

/// Is a window open at `t`, which one, until when. Windows that overlap or touch hold as
/// one: `until` is when the last of them closes; the reason is the first open window's.
pub fn open_at(windows: &[Planned], t: Timestamp) -> Option<Open> {
    let mut found: Option<Open> = None;
    for window in windows {
        if let Some((from, until)) = window.open_at(t) {
            match &mut found {
                None => found = Some(Open { reason: window.reason.clone(), from, until }),
                Some(open) => {
                    open.from = open.from.min(from);
                    open.until = open.until.max(until);
                }
            }
        }
    }
    let mut open = found?;
    // Chain the windows open when this one closes.
    for _ in 0..windows.len() * 4 {
        let extended = windows.iter().filter_map(|w| w.open_at(open.until)).map(|(_, until)| until).max();
        match extended {
            Some(until) if until > open.until => open.until = until,
            _ => break,
        }
    }
    Some(open)
}

/// A set of windows (the playbook's, and a check's own), planned once per load, that
/// remembers its last answer to [`open_at`] over the instants where it cannot change:
/// from the instant asked until the next window opens or an open one closes. A run of
/// many checks, and run after run of a daemon, asks the cron planner again only at those
/// boundaries.
#[derive(Debug, Default)]
pub struct Windows {
    windows: Vec<Planned>,
    known: std::sync::Mutex<Option<Known>>,
}

/// An answer of [`open_at`] and the instants `[from, until)` it holds for.
#[derive(Clone, Debug)]
struct Known {
    from: Timestamp,
    until: Timestamp,
    open: Option<Open>,
}

impl Windows {
    pub fn new(windows: Vec<Planned>) -> Windows {
        Windows { windows, known: std::sync::Mutex::new(None) }
    }

    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    /// [`open_at`] over these windows, from memory when `t` is where the last answer holds.
    pub fn open_at(&self, t: Timestamp) -> Option<Open> {
        if self.windows.is_empty() {
            return None;
        }
        if let Ok(known) = self.known.lock()
            && let Some(known) = known.as_ref()
            && known.from <= t
            && t < known.until
        {
            return known.open.clone();
        }
        let open = open_at(&self.windows, t);
        // Nothing changes before a window opens (every start is a fire or a `from`) or an
        // open one closes (which may change the reason, or end the hold).
        let starts = self.windows.iter().filter_map(|w| w.next_after(t)).map(|(from, _)| from);
        let ends = self.windows.iter().filter_map(|w| w.open_at(t)).map(|(_, until)| until);
        let until = starts.chain(ends).min().unwrap_or(Timestamp::MAX);
        if let Ok(mut known) = self.known.lock() {
            *known = Some(Known { from: t, until, open: open.clone() });
        }
        open
    }

    /// [`next_after`] over these windows.
    pub fn next_after(&self, t: Timestamp) -> Option<Open> {
        next_after(&self.windows, t)
    }
}

/// The next window to open strictly after `t`.
pub fn next_after(windows: &[Planned], t: Timestamp) -> Option<Open> {
    windows
        .iter()
        .filter_map(|w| w.next_after(t).map(|(from, until)| Open { reason: w.reason.clone(), from, until }))
        .min_by_key(|open| open.from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(yaml: &str) -> Window {
        serde_saphyr::from_str(yaml).unwrap()
    }

    fn planned(yaml: &str) -> Planned {
        let (planned, diagnostics) = plan(&window(yaml), &TimeZone::UTC, Span::UNKNOWN);
        assert!(diagnostics.iter().all(|d| !d.is_error()), "{diagnostics:?}");
        planned.unwrap()
    }

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn a_berlin_0230_window_on_the_spring_forward_day_opens_once_after_the_gap() {
        // 2026-03-29: clocks go from 02:00 CET to 03:00 CEST; 02:30 does not exist.
        let w = planned("{cron: '30 2 * * *', duration: 1h, timezone: Europe/Berlin, reason: backup}");
        let open = open_at(std::slice::from_ref(&w), at("2026-03-29T01:10:00Z")).expect("open after the gap");
        assert_eq!(open.from, at("2026-03-29T01:00:00Z"), "03:00 CEST, right after the gap");
        assert_eq!(open.until, at("2026-03-29T02:00:00Z"), "an hour of elapsed time");
        assert_eq!(open_at(std::slice::from_ref(&w), at("2026-03-29T00:59:00Z")), None, "01:59 CET: not yet");
        assert_eq!(open_at(std::slice::from_ref(&w), at("2026-03-29T02:00:00Z")), None, "closed at its end");
        // The day before and after: 02:30 local, one hour.
        let before = open_at(std::slice::from_ref(&w), at("2026-03-28T01:45:00Z")).unwrap();
        assert_eq!(before.from, at("2026-03-28T01:30:00Z"));
        let after = open_at(std::slice::from_ref(&w), at("2026-03-30T00:45:00Z")).unwrap();
        assert_eq!(after.from, at("2026-03-30T00:30:00Z"));
        assert_eq!(next_after(&[w], at("2026-03-28T12:00:00Z")).unwrap().from, at("2026-03-29T01:00:00Z"));
    }

    #[test]
    fn a_berlin_0230_window_on_the_fall_back_day_opens_once_at_the_first_0230() {
        // 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
        let w = planned("{cron: '30 2 * * *', duration: 1h, timezone: Europe/Berlin}");
        let windows = [w];
        let open = open_at(&windows, at("2026-10-25T00:40:00Z")).expect("the first 02:30 (CEST)");
        assert_eq!(open.from, at("2026-10-25T00:30:00Z"));
        assert_eq!(open.until, at("2026-10-25T01:30:00Z"), "02:30 CET, an hour later");
        assert_eq!(open_at(&windows, at("2026-10-25T01:35:00Z")), None, "the second 02:30 opens nothing");
        assert_eq!(next_after(&windows, at("2026-10-25T00:31:00Z")).unwrap().from, at("2026-10-26T01:30:00Z"));
    }

    #[test]
    fn a_window_over_midnight() {
        let w = planned("{cron: '30 23 * * *', duration: 2h}");
        let windows = [w];
        let open = open_at(&windows, at("2026-05-02T00:15:00Z")).expect("open past midnight");
        assert_eq!(open.from, at("2026-05-01T23:30:00Z"));
        assert_eq!(open.until, at("2026-05-02T01:30:00Z"));
        assert_eq!(open_at(&windows, at("2026-05-02T01:30:00Z")), None);
        assert_eq!(open_at(&windows, at("2026-05-01T23:29:59Z")), None);
    }

    #[test]
    fn overlapping_and_touching_windows_hold_as_one() {
        let a = planned("{from: '2026-06-01T10:00:00Z', until: '2026-06-01T12:00:00Z', reason: first}");
        let b = planned("{from: '2026-06-01T11:00:00Z', until: '2026-06-01T13:00:00Z', reason: second}");
        let c = planned("{from: '2026-06-01T13:00:00Z', until: '2026-06-01T14:00:00Z'}");
        let windows = [a, b, c];
        let open = open_at(&windows, at("2026-06-01T10:30:00Z")).unwrap();
        assert_eq!(open.reason.as_deref(), Some("first"));
        assert_eq!(open.until, at("2026-06-01T14:00:00Z"), "until the last one closes");
        assert_eq!(open_at(&windows, at("2026-06-01T14:00:00Z")), None);
    }

    #[test]
    fn a_set_of_windows_remembers_its_answer_only_where_it_cannot_change() {
        // A recurring window, a one-off overlapping it with another reason, and the DST
        // day: every minute of two days, the remembered answer is the computed one.
        let windows = || {
            vec![
                planned("{cron: '30 2 * * *', duration: 1h, timezone: Europe/Berlin, reason: nightly}"),
                planned("{from: '2026-03-29T01:30:00Z', until: '2026-03-29T03:00:00Z', reason: upgrade}"),
                planned("{cron: '0 12 * * *', duration: 15m}"),
            ]
        };
        let remembered = Windows::new(windows());
        let fresh = windows();
        let mut t = at("2026-03-28T00:00:00Z");
        let mut changes = 0;
        let mut last = None;
        while t < at("2026-03-30T00:00:00Z") {
            let answer = remembered.open_at(t);
            assert_eq!(answer, open_at(&fresh, t), "at {t}");
            changes += usize::from(answer != last);
            last = answer;
            t = t.checked_add(SignedDuration::from_secs(60)).unwrap();
        }
        // The 28th: nightly opens and closes, noon too (4). The 29th: nightly opens after
        // the gap, already held until upgrade closes (the chain); upgrade opening inside
        // it changes nothing; nightly closing changes the reason and `from`; upgrade
        // closes; noon opens and closes (5).
        assert_eq!(changes, 9);
        // Asked backwards in time, it computes again rather than answer from memory.
        assert_eq!(remembered.open_at(at("2026-03-28T01:45:00Z")).unwrap().reason.as_deref(), Some("nightly"));
        assert!(Windows::default().open_at(t).is_none());
    }

    #[test]
    fn bad_windows_are_diagnosed() {
        let errors = |yaml: &str| {
            let w = window(yaml);
            let (planned, mut diagnostics) = plan(&w, &TimeZone::UTC, Span::UNKNOWN);
            if let Some(planned) = planned {
                diagnostics.extend(validate(&w, &planned, at("2026-01-01T00:00:00Z")));
            }
            diagnostics.into_iter().filter(Diagnostic::is_error).map(|d| d.message).collect::<Vec<_>>()
        };
        assert!(errors("{from: '2026-06-02T00:00:00Z', until: '2026-06-01T00:00:00Z'}")[0].contains("is not before"));
        assert!(errors("{cron: '0 * * * *', duration: 2h}")[0].contains("never close"));
        assert!(errors("{cron: '0 0 30 2 *', duration: 1h}")[0].contains("never fires"));
        assert!(errors("{cron: '0 3 * * *'}")[0].contains("needs `duration`"));
        assert!(errors("{from: 'tomorrow', until: '2026-06-01T00:00:00Z'}")[0].contains("RFC 3339"));
        assert!(errors("{cron: '0 3 * * *', duration: 0s}")[0].contains("0s"));
        assert!(errors("{reason: nothing}")[0].contains("needs"));
        assert!(errors("{cron: '0 3 * * *', duration: 1h, from: '2026-06-01T00:00:00Z'}")[0].contains("not both"));
        assert!(errors("{cron: '0 3 * * *', duration: 1h}").is_empty());
    }
}
