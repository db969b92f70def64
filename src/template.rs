//! The minijinja pieces shared by every place that renders templates (load-time strings,
//! report paths and bodies, notification bodies): the `strftime` filter.
//!
//! This module owns filters only; each renderer builds its own environment and context.

use jiff::Timestamp;
use jiff::tz::TimeZone;
use minijinja::value::Value;
use minijinja::{Error, ErrorKind};

/// Adds runner's filters to an environment. `strftime` formats in the zone `zone` gives
/// (the playbook's timezone), asked only when a template uses it: finding the machine's
/// zone reads the tz database, which most playbooks never need.
pub fn register_filters(env: &mut minijinja::Environment<'_>, zone: impl Fn() -> TimeZone + Send + Sync + 'static) {
    register_number(env);
    env.add_filter("strftime", move |value: Value, format: Option<String>| -> Result<String, Error> {
        let timestamp = to_timestamp(&value)?;
        let format = format.unwrap_or_else(|| "%Y-%m-%d %H:%M:%S %Z".to_string());
        let zoned = timestamp.to_zoned(zone());
        jiff::fmt::strtime::format(format.as_bytes(), &zoned)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("strftime: {e}")))
    });
}

/// Adds `number`: a metric value without noise (`3`, `0.25`, `12.346`).
fn register_number(env: &mut minijinja::Environment<'_>) {
    env.add_filter("number", |value: Value| -> String {
        match f64::try_from(value.clone()) {
            Ok(number) => crate::outcome::format_number(number),
            Err(_) => value.to_string(),
        }
    });
}

/// Accepts an RFC 3339 string (how timestamps appear in the run context) or a number of
/// seconds since the epoch.
fn to_timestamp(value: &Value) -> Result<Timestamp, Error> {
    if let Some(text) = value.as_str() {
        return text.parse::<Timestamp>().map_err(|e| {
            Error::new(ErrorKind::InvalidOperation, format!("strftime: `{text}` is not a timestamp: {e}"))
        });
    }
    if let Ok(seconds) = i64::try_from(value.clone()) {
        return Timestamp::from_second(seconds)
            .map_err(|e| Error::new(ErrorKind::InvalidOperation, format!("strftime: {e}")));
    }
    Err(Error::new(ErrorKind::InvalidOperation, "strftime expects a timestamp"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strftime_formats_in_the_zone() {
        let mut env = minijinja::Environment::new();
        register_filters(&mut env, || TimeZone::get("Europe/Berlin").unwrap());
        let out = env
            .render_str("{{ t | strftime('%Y-%m-%d_%H-%M') }}", minijinja::context! { t => "2026-07-01T10:00:00Z" })
            .unwrap();
        assert_eq!(out, "2026-07-01_12-00");
    }
}
