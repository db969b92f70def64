//! Cron arithmetic: parsing a schedule's cron string (with croner), describing it in
//! words, its next fire times in its timezone, its period, and the DST changes that touch
//! a fixed-time schedule.
//!
//! croner is DST-correct (a fixed time inside a spring-forward gap runs once right after
//! it; a repeated hour runs once; intervals follow elapsed time) so this module never
//! does wall-clock arithmetic of its own; it only asks croner and jiff.

use std::sync::Arc;
use std::time::Duration;

use croner::parser::{CronParser, Seconds};
use croner::{Cron, JobType};
use jiff::tz::TimeZone;
use jiff::{Timestamp, Zoned};

/// What validation needs to know about a schedule, computed once per (cron, zone, day)
/// in a process: a folder of playbooks usually shares a few schedules, and finding fire
/// times is the costliest part of validating one.
#[derive(Clone, Debug)]
pub struct Analysis {
    pub period: Option<Duration>,
    pub hazards: Vec<DstHazard>,
    /// The next fire, `None` when it never fires (30 February).
    pub next: Option<Timestamp>,
}

/// Analyses a parsed schedule in `zone` from now (cached; see [`Analysis`]).
pub fn analyse(text: &str, cron: &Cron, zone: &TimeZone, horizon: Duration) -> Analysis {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    /// (cron text, zone name, day number) → analysis.
    type Cache = Mutex<HashMap<(String, String, i64), Analysis>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let now = crate::clock::now();
    let key = (text.to_string(), zone.iana_name().unwrap_or("").to_string(), now.as_second() / 86_400);
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
        return found;
    }
    let analysis = Analysis {
        next: next_fire(cron, zone, now).map(|z| z.timestamp()),
        period: period(cron, zone, now),
        hazards: dst_hazards(cron, zone, now, horizon),
    };
    if let Ok(mut cache) = cache.lock() {
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert(key, analysis.clone());
    }
    analysis
}

/// Why a schedule's cron string or timezone is refused. Each `Display` is the reason the
/// playbook's diagnostic and `runner list` give. Clone, so that [`parse`] can remember a
/// refusal as it remembers a schedule.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CronError {
    /// Not 5 or 6 fields, and not a nickname.
    #[error(
        "it has {fields} field{}; cron takes 5 (minute hour day month weekday) or 6 (with leading seconds)",
        if *fields == 1 { "" } else { "s" }
    )]
    FieldCount { fields: usize },
    #[error("a value is out of range (second 0–59, minute 0–59, hour 0–23, day 1–31, month 1–12, weekday 0–7)")]
    OutOfRange {
        #[source]
        source: Arc<croner::errors::CronError>,
    },
    /// Any other refusal by croner; `reason` is its message, lowercased and without its
    /// "Invalid pattern:" frame.
    #[error("{reason}")]
    Invalid {
        reason: String,
        #[source]
        source: Arc<croner::errors::CronError>,
    },
    #[error("`{name}` is not an IANA timezone")]
    UnknownTimezone {
        name: String,
        #[source]
        source: jiff::Error,
    },
}

impl From<croner::errors::CronError> for CronError {
    fn from(error: croner::errors::CronError) -> Self {
        let message = error.to_string();
        let source = Arc::new(error);
        if message.contains("out of bounds") {
            return CronError::OutOfRange { source };
        }
        let message = message.trim_end_matches('.');
        let message = message.strip_prefix("Invalid pattern: ").unwrap_or(message);
        let mut chars = message.chars();
        let reason = match chars.next() {
            Some(first) => first.to_lowercase().collect::<String>() + chars.as_str(),
            None => "invalid cron".into(),
        };
        CronError::Invalid { reason, source }
    }
}

/// Parses a cron string: 5 fields (minute precision), 6 fields (leading seconds), or a
/// nickname (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`, `@annually`).
pub fn parse(text: &str) -> Result<Cron, CronError> {
    // Parsing is costly (croner builds bit sets per field) and a folder of playbooks
    // shares a few expressions: remember them.
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Result<Cron, CronError>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    if let Some(found) = cache.lock().ok().and_then(|c| c.get(text).cloned()) {
        return found;
    }
    let parsed = parse_uncached(text);
    if let Ok(mut cache) = cache.lock() {
        if cache.len() > 1024 {
            cache.clear();
        }
        cache.insert(text.to_string(), parsed.clone());
    }
    parsed
}

fn parse_uncached(text: &str) -> Result<Cron, CronError> {
    let text = text.trim();
    let fields = text.split_whitespace().count();
    if !text.starts_with('@') && !(5..=6).contains(&fields) {
        return Err(CronError::FieldCount { fields });
    }
    Ok(CronParser::builder().seconds(Seconds::Optional).build().parse(text)?)
}

/// Resolves a timezone name (IANA), or the machine's zone when `None`.
pub fn timezone(name: Option<&str>) -> Result<TimeZone, CronError> {
    match name {
        None => Ok(TimeZone::system()),
        Some(name) => {
            TimeZone::get(name).map_err(|source| CronError::UnknownTimezone { name: name.to_string(), source })
        }
    }
}

/// The schedule in words: "Every 5 minutes", "At 02:00".
pub fn describe(cron: &Cron) -> String {
    let text = cron.describe();
    let text = text.trim_end_matches('.');
    match text.strip_prefix("At every ") {
        Some(rest) => format!("Every {rest}"),
        None => text.to_string(),
    }
}

/// The next `count` fires strictly after `after`, in `zone`.
pub fn next_fires(cron: &Cron, zone: &TimeZone, after: Timestamp, count: usize) -> Vec<Zoned> {
    cron.iter_after(after.to_zoned(zone.clone())).take(count).collect()
}

/// The first fire strictly after `after`.
pub fn next_fire(cron: &Cron, zone: &TimeZone, after: Timestamp) -> Option<Zoned> {
    cron.find_next_occurrence(&after.to_zoned(zone.clone()), false).ok()
}

/// The shortest elapsed time between two consecutive fires over the next 25 fires from
/// `from`: the period that timeouts and grace are compared with.
pub fn period(cron: &Cron, zone: &TimeZone, from: Timestamp) -> Option<Duration> {
    let fires = next_fires(cron, zone, from, 25);
    fires
        .windows(2)
        .filter_map(|pair| {
            let seconds = pair[1].timestamp().as_second() - pair[0].timestamp().as_second();
            u64::try_from(seconds).ok().map(Duration::from_secs)
        })
        .min()
}

/// A fixed-time schedule that lands inside a DST change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DstHazard {
    /// The day of the change, `YYYY-MM-DD`.
    pub date: String,
    /// True for a spring-forward gap (the wall time does not exist); false for a
    /// fall-back fold (it happens twice).
    pub gap: bool,
    /// The local wall-clock window that is skipped or repeated, `HH:MM–HH:MM`.
    pub window: String,
    /// The schedule's wall-clock time, `HH:MM`.
    pub time: String,
}

/// The DST changes within `horizon` after `from` during which a fixed-time schedule's wall
/// time does not exist or happens twice, on a day the schedule would run.
pub fn dst_hazards(cron: &Cron, zone: &TimeZone, from: Timestamp, horizon: Duration) -> Vec<DstHazard> {
    if cron.determine_job_type() != JobType::FixedTime {
        return Vec::new();
    }
    let Ok(end) = from.checked_add(jiff::SignedDuration::try_from(horizon).unwrap_or_default()) else {
        return Vec::new();
    };
    let mut hazards = Vec::new();
    for transition in zone.following(from) {
        let at = transition.timestamp();
        if at > end {
            break;
        }
        let Ok(before_at) = at.checked_sub(jiff::SignedDuration::from_secs(1)) else {
            continue;
        };
        let before = zone.to_offset(before_at).seconds();
        let after = transition.offset().seconds();
        if before == after {
            continue;
        }
        // The local window that is skipped (gap) or repeated (fold).
        let (start_offset, end_offset) = if after > before { (before, after) } else { (after, before) };
        let window_start = at
            .to_zoned(TimeZone::fixed(jiff::tz::Offset::from_seconds(start_offset).unwrap_or(jiff::tz::Offset::UTC)))
            .datetime();
        let window_end = at
            .to_zoned(TimeZone::fixed(jiff::tz::Offset::from_seconds(end_offset).unwrap_or(jiff::tz::Offset::UTC)))
            .datetime();
        let date = window_start.date();
        // Does the schedule run on that day, and at which wall time? (`None`: not that day.)
        let Some(wall) = fixed_wall_time(cron, date) else {
            continue;
        };
        if wall >= window_start.time() && wall < window_end.time() {
            hazards.push(DstHazard {
                date: date.to_string(),
                gap: after > before,
                window: format!("{}–{}", window_start.time().strftime("%H:%M"), window_end.time().strftime("%H:%M")),
                time: wall.strftime("%H:%M").to_string(),
            });
        }
    }
    hazards
}

/// The wall-clock time of a fixed-time job, read by matching it on a civil day (civil
/// times have no DST).
fn fixed_wall_time(cron: &Cron, date: jiff::civil::Date) -> Option<jiff::civil::Time> {
    let start = date.to_datetime(jiff::civil::Time::midnight());
    let fire = cron.find_next_occurrence(&start, true).ok()?;
    (fire.date() == date).then(|| fire.time())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn parses_crontab_seconds_and_nicknames() {
        assert!(parse("*/5 * * * *").is_ok());
        assert!(parse("*/10 * * * * *").is_ok());
        assert!(parse("@hourly").is_ok());
        assert!(parse("@daily").is_ok());
        assert!(parse("0 2 * * MON-FRI").is_ok());
        assert!(matches!(parse("61 * * * *"), Err(CronError::OutOfRange { .. })));
        assert!(matches!(parse("* * *"), Err(CronError::FieldCount { fields: 3 })));
        assert!(parse("* * *").unwrap_err().to_string().contains("3 fields"));
        assert!(matches!(timezone(Some("Mars/Olympus")), Err(CronError::UnknownTimezone { .. })));
        assert!(parse("0 0 0 1 1 * 2030").is_err());
    }

    #[test]
    fn weekday_one_is_monday() {
        let cron = parse("0 9 * * 1").unwrap();
        let fire = next_fire(&cron, &TimeZone::UTC, ts("2026-11-22T00:00:00Z")).unwrap();
        assert_eq!(fire.date().weekday(), jiff::civil::Weekday::Monday);
    }

    #[test]
    fn period_of_intervals() {
        let cron = parse("*/5 * * * *").unwrap();
        assert_eq!(period(&cron, &TimeZone::UTC, ts("2026-11-22T00:00:00Z")), Some(Duration::from_secs(300)));
    }

    #[test]
    fn finds_spring_gap_and_fall_fold_in_berlin() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let cron = parse("30 2 * * *").unwrap();
        let hazards = dst_hazards(&cron, &berlin, ts("2026-11-22T00:00:00Z"), Duration::from_secs(366 * 86_400));
        assert_eq!(hazards.len(), 2, "{hazards:?}");
        assert!(hazards[0].gap);
        assert_eq!(hazards[0].date, "2027-03-28");
        assert_eq!(hazards[0].window, "02:00–03:00");
        assert!(!hazards[1].gap);
        assert_eq!(hazards[1].date, "2027-10-31");
        // 04:00 is never touched; intervals are not fixed-time.
        assert!(
            dst_hazards(
                &parse("0 4 * * *").unwrap(),
                &berlin,
                ts("2026-11-22T00:00:00Z"),
                Duration::from_secs(366 * 86_400)
            )
            .is_empty()
        );
        assert!(
            dst_hazards(
                &parse("*/30 * * * *").unwrap(),
                &berlin,
                ts("2026-11-22T00:00:00Z"),
                Duration::from_secs(366 * 86_400)
            )
            .is_empty()
        );
        // A weekday-only schedule never runs on the Sunday of the change.
        assert!(
            dst_hazards(
                &parse("30 2 * * 1-5").unwrap(),
                &berlin,
                ts("2026-11-22T00:00:00Z"),
                Duration::from_secs(366 * 86_400)
            )
            .is_empty()
        );
    }
}
