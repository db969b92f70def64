//! Humane durations: `500ms`, `3s`, `5m`, `2h`, `7d`, `1w`, and sums like `1h30m`.
//!
//! The playbook, the CLI (`--since 7d`, `--older-than 90d`) and the output all speak this
//! one format; this module owns parsing and printing it.

use std::time::Duration;

/// Why a text is not a humane duration. Each `Display` is the reason the playbook's
/// diagnostic and the CLI's usage errors (`--since 7x: …`) give after the text.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum DurationError {
    #[error("it is empty")]
    Empty,
    #[error("it is negative")]
    Negative,
    /// Something other than a number where a part must start (`h5`).
    #[error("expected a number at `{at}`")]
    ExpectedNumber { at: String },
    /// Digits and dots that are no number (`1.2.3`).
    #[error("`{text}` is not a number")]
    NotANumber {
        text: String,
        #[source]
        source: std::num::ParseFloatError,
    },
    #[error("a unit is missing (ms, s, m, h, d or w)")]
    MissingUnit,
    #[error("`{unit}` is not a unit (ms, s, m, h, d or w)")]
    UnknownUnit { unit: String },
    /// Over a century, or not finite.
    #[error("it is too long")]
    TooLong,
}

/// Parses a humane duration. Units: ms, s, m, h, d, w (a day is 24 h: these are elapsed
/// durations, not calendar arithmetic). Spaces between parts are allowed.
pub fn parse(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Empty);
    }
    let mut total = 0f64;
    let mut rest = text;
    while !rest.is_empty() {
        let number_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if number_len == 0 {
            return Err(if rest.starts_with('-') {
                DurationError::Negative
            } else {
                DurationError::ExpectedNumber { at: rest.to_string() }
            });
        }
        let digits = &rest[..number_len];
        let number: f64 =
            digits.parse().map_err(|source| DurationError::NotANumber { text: digits.to_string(), source })?;
        rest = rest[number_len..].trim_start();
        let unit_len = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let seconds = match unit {
            "ms" => 0.001,
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "w" | "week" | "weeks" => 604_800.0,
            "" => return Err(DurationError::MissingUnit),
            other => return Err(DurationError::UnknownUnit { unit: other.to_string() }),
        };
        total += number * seconds;
        rest = rest[unit_len..].trim_start();
    }
    if !total.is_finite() || total > 100.0 * 365.0 * 86_400.0 {
        return Err(DurationError::TooLong);
    }
    Ok(Duration::from_secs_f64(total))
}

/// Prints a duration the way a person would write it: `250ms`, `1.5s`, `5m`, `1h30m`, `7d`.
pub fn format(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms == 0 {
        return "0s".into();
    }
    if ms < 1000 {
        return format!("{ms}ms");
    }
    if !ms.is_multiple_of(1000) {
        let seconds = format!("{:.3}", ms as f64 / 1000.0);
        return format!("{}s", seconds.trim_end_matches('0'));
    }
    let mut secs = duration.as_secs();
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

/// A short human form for measured times: `12ms`, `1.4s`, `2m05s`.
pub fn format_elapsed(duration: Duration) -> String {
    let ms = duration.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        format!("{:.1}s", ms as f64 / 1000.0)
    } else {
        let s = duration.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_humane_durations() {
        assert_eq!(parse("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse("3s").unwrap(), Duration::from_secs(3));
        assert_eq!(parse("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(parse("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse("1h30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1h 30m").unwrap(), Duration::from_secs(5400));
        assert_eq!(parse("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse("5").unwrap_err(), DurationError::MissingUnit);
        assert_eq!(parse("5x").unwrap_err().to_string(), "`x` is not a unit (ms, s, m, h, d or w)");
        assert_eq!(parse("-5s").unwrap_err().to_string(), "it is negative");
        assert_eq!(parse("1.2.3s").unwrap_err().to_string(), "`1.2.3` is not a number");
        assert_eq!(parse("").unwrap_err(), DurationError::Empty);
    }

    #[test]
    fn formats_round_trip() {
        for text in ["250ms", "3s", "5m", "1h30m", "7d", "1d2h"] {
            assert_eq!(format(parse(text).unwrap()), text);
        }
        assert_eq!(format(Duration::from_millis(1500)), "1.5s");
    }
}
