//! The minijinja pieces shared by every place that renders templates (load-time strings,
//! report paths and bodies, notification bodies): the `strftime` and `number` filters, and
//! the limits every render runs under.
//!
//! Templates come from playbooks, which `runner validate` reads from anywhere: a template
//! must not be able to loop for minutes or fill memory. Every environment gets a fuel
//! budget (instructions), and output is cut off at a size limit.
//!
//! This module owns filters and limits; each renderer builds its own environment and
//! context.

use std::fmt::Write as _;

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

/// Instructions a load-time string may execute (a `{{ vars.x }}` takes a handful).
pub const LOAD_FUEL: u64 = 100_000;
/// Instructions a report or notification template may execute per run.
pub const RUN_FUEL: u64 = 20_000_000;
/// The most text a load-time string may render to.
pub const LOAD_OUTPUT_LIMIT: usize = 64 * 1024;

/// An environment with runner's filters and the given fuel.
pub fn environment(zone: impl Fn() -> TimeZone + Send + Sync + 'static, fuel: u64) -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_fuel(Some(fuel));
    register_filters(&mut env, zone);
    env
}

/// Renders a template source with a limit on the output's size.
pub fn render_bounded(
    env: &minijinja::Environment<'_>,
    name: Option<&str>,
    source: &str,
    context: Value,
    limit: usize,
) -> Result<String, Error> {
    let template = match name {
        Some(name) => env.get_template(name)?,
        None => env.template_from_str(source)?,
    };
    let mut out = Bounded { text: String::new(), limit, overflowed: false };
    template.render_captured_to(context, &mut out).map(|_| ()).map_err(|e| {
        if out.overflowed {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("it renders to more than {}, the limit for it", size_words(limit)),
            )
        } else if e.kind() == ErrorKind::OutOfFuel {
            let steps = env.fuel().map(thousands).unwrap_or_else(|| "its budget of".into());
            Error::new(ErrorKind::OutOfFuel, format!("it needs more than {steps} steps to render, the limit for it"))
        } else {
            e
        }
    })?;
    Ok(out.text)
}

/// `65536` → "64 KiB", `4096` → "4 KiB", `1048576` → "1 MiB".
fn size_words(bytes: usize) -> String {
    match bytes {
        b if b >= 1024 * 1024 && b.is_multiple_of(1024 * 1024) => format!("{} MiB", b / (1024 * 1024)),
        b if b >= 1024 && b.is_multiple_of(1024) => format!("{} KiB", b / 1024),
        b => format!("{b} bytes"),
    }
}

/// `100000` → "100,000".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A writer that refuses to grow past its limit.
struct Bounded {
    text: String,
    limit: usize,
    overflowed: bool,
}

impl std::io::Write for Bounded {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if self.text.len() + bytes.len() > self.limit {
            self.overflowed = true;
            return Err(std::io::Error::other("output limit reached"));
        }
        let _ = write!(self.text, "{}", String::from_utf8_lossy(bytes));
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
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
    fn runaway_templates_are_stopped() {
        let env = environment(|| TimeZone::UTC, LOAD_FUEL);
        let nested = "{% for a in range(9999) %}{% for b in range(9999) %}{% endfor %}{% endfor %}";
        let started = std::time::Instant::now();
        assert!(render_bounded(&env, None, nested, minijinja::context! {}, LOAD_OUTPUT_LIMIT).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let huge = "{% set s = 'x' * 1000 %}{% for i in range(99999) %}{{ s }}{% endfor %}";
        let error = render_bounded(&env, None, huge, minijinja::context! {}, LOAD_OUTPUT_LIMIT).unwrap_err();
        let said = error.detail().unwrap_or_default();
        assert!(
            said == "it needs more than 100,000 steps to render, the limit for it"
                || said == "it renders to more than 64 KiB, the limit for it",
            "{error}"
        );
        assert_eq!(
            render_bounded(&env, None, "a{{ 1 + 1 }}", minijinja::context! {}, LOAD_OUTPUT_LIMIT).unwrap(),
            "a2"
        );
    }

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
