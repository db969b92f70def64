//! The value rules of a schedule's `timezone` and `cron` strings, in one place for both
//! callers: validation of a playbook that parsed, and the shape walk of one that did not
//! (so that a misspelt zone is reported in the same round as a misspelt key).

use croner::Cron;
use jiff::tz::TimeZone;

use super::diagnostic::Diagnostic;
use super::span::Span;
use super::suggest::{fixed_zone_note, timezone_hint};
use crate::schedule::cron;

const CRON_HINT: &str = "cron is `minute hour day-of-month month day-of-week`, e.g. `*/5 * * * *` or `0 2 * * *`; a 6th leading field is seconds; or @hourly, @daily, @weekly, @monthly";

/// The zone a `timezone` names, with a warning when it is a fixed offset without the
/// place's daylight saving time (`EST`); an error with the zones it may mean otherwise.
pub fn timezone(name: &str, span: Span) -> Result<(TimeZone, Option<Diagnostic>), Diagnostic> {
    match cron::timezone(Some(name)) {
        Ok(zone) => {
            let note = fixed_zone_note(name).map(|(message, hint)| Diagnostic::warning(span, message).with_hint(hint));
            Ok((zone, note))
        }
        Err(error) => {
            let names: Vec<String> = jiff::tz::db().available().map(|n| n.to_string()).collect();
            Err(Diagnostic::error(span, error.to_string())
                .with_hint(timezone_hint(name, names.iter().map(String::as_str))))
        }
    }
}

/// The schedule a `cron` string writes, or the error that says what is wrong with it.
pub fn cron(text: &str, span: Span) -> Result<Cron, Diagnostic> {
    cron::parse(text)
        .map_err(|message| Diagnostic::error(span, format!("invalid cron `{text}`: {message}")).with_hint(CRON_HINT))
}
