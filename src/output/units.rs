//! Units of measured metrics, for the outputs that carry them: which base unit a name suffix
//! or a plugin's unit of measure stands for (`_ms` → seconds, `GiB` → bytes), how a value is
//! brought to it without float noise, and which of them the Nagios plugin guidelines know.

/// How a value is brought to its base unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scale {
    /// A power of ten, applied to the decimal text (0.7 % is 0.007, not 0.006999999999999999).
    Decimal(i32),
    /// A multiplication (kibibytes, hours), exact for the values people measure.
    Times(f64),
}

impl Scale {
    pub fn apply(self, value: f64) -> f64 {
        match self {
            Scale::Decimal(0) | Scale::Times(1.0) => value,
            // `{value}` is the shortest text that reads back as `value`; moving its decimal
            // point and reading it again gives the nearest float to the decimal result.
            Scale::Decimal(exponent) if value.is_finite() => {
                format!("{value}e{exponent}").parse().unwrap_or(value * 10f64.powi(exponent))
            }
            Scale::Decimal(exponent) => value * 10f64.powi(exponent),
            Scale::Times(factor) => value * factor,
        }
    }
}

/// A unit expressed in a base unit: the Prometheus name suffix, the Nagios guideline unit,
/// the conversion, and whether it counts (a counter) rather than measures.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BaseUnit {
    pub suffix: &'static str,
    pub nagios: &'static str,
    pub scale: Scale,
    pub counter: bool,
}

const fn unit(suffix: &'static str, nagios: &'static str, scale: Scale) -> BaseUnit {
    BaseUnit { suffix, nagios, scale, counter: false }
}

/// The base unit of a name suffix or a unit of measure, matched without case (`GB`, `Gb`,
/// `gb`); `None` for units runner does not know (`rpm`). `m` is not one: minutes, meters
/// and `load_1m` would all read as it.
pub fn base_unit(text: &str) -> Option<BaseUnit> {
    const KIB: f64 = 1024.0;
    let seconds = |scale| unit("_seconds", "s", scale);
    let bytes = |factor| unit("_bytes", "B", Scale::Times(factor));
    if text == "c" {
        return Some(BaseUnit { suffix: "_total", nagios: "c", scale: Scale::Times(1.0), counter: true });
    }
    Some(match text.to_ascii_lowercase().as_str() {
        "s" | "sec" | "secs" | "second" | "seconds" => seconds(Scale::Decimal(0)),
        "ms" | "msec" | "millis" | "milliseconds" => seconds(Scale::Decimal(-3)),
        "us" | "usec" | "micros" | "microseconds" => seconds(Scale::Decimal(-6)),
        "ns" | "nsec" | "nanos" | "nanoseconds" => seconds(Scale::Decimal(-9)),
        "min" | "mins" | "minute" | "minutes" => seconds(Scale::Times(60.0)),
        "h" | "hr" | "hrs" | "hour" | "hours" => seconds(Scale::Times(3600.0)),
        "d" | "day" | "days" => seconds(Scale::Times(86_400.0)),
        "%" | "percent" | "pct" => unit("_ratio", "%", Scale::Decimal(-2)),
        "b" | "byte" | "bytes" => bytes(1.0),
        "kb" | "kib" => bytes(KIB),
        "mb" | "mib" => bytes(KIB * KIB),
        "gb" | "gib" => bytes(KIB * KIB * KIB),
        "tb" | "tib" => bytes(KIB * KIB * KIB * KIB),
        "pb" | "pib" => bytes(KIB * KIB * KIB * KIB * KIB),
        _ => return None,
    })
}

/// The units of measure of the Nagios plugin guidelines, passed through as the plugin wrote
/// them.
pub const NAGIOS_UNITS: &[&str] = &["s", "ms", "us", "%", "B", "KB", "MB", "GB", "TB", "c"];

/// A value and unit as Nagios perfdata carries them: a guideline unit as it is, any other
/// known unit converted to its guideline base unit (`11Gb` → `11811160064B`, `13ns` →
/// `0.000000013s`), an unknown one dropped. The flag says whether the value was converted.
pub fn nagios_value(value: f64, unit: &str) -> (f64, &str, bool) {
    if unit.is_empty() || NAGIOS_UNITS.contains(&unit) {
        return (value, unit, false);
    }
    match base_unit(unit) {
        Some(base) => (base.scale.apply(value), base.nagios, true),
        None => (value, "", true),
    }
}

/// Parts of a metric name that promtool's lint reads as abbreviated units
/// (`metric names should not contain abbreviated units`).
const ABBREVIATIONS: &[&str] = &["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"];

/// Joins every `_`-separated part of `stem` that reads as an abbreviated unit to the part
/// before it (the first part to the one after it): `it_s` → `its`, `a_b` → `ab`. A stem
/// that is one such part gets `value` after it (`mvalue`).
pub fn without_abbreviations(stem: &str) -> String {
    let is_abbreviation = |part: &str| ABBREVIATIONS.contains(&part.to_ascii_lowercase().as_str());
    let mut parts: Vec<String> = Vec::new();
    let mut pending = String::new();
    for part in stem.split('_') {
        match parts.last_mut() {
            Some(last) if is_abbreviation(part) => last.push_str(part),
            None if is_abbreviation(part) => pending.push_str(part),
            _ => parts.push(format!("{}{part}", std::mem::take(&mut pending))),
        }
    }
    let joined = parts.join("_");
    if parts.is_empty() || is_abbreviation(joined.trim_start_matches('_')) {
        return format!("{joined}{pending}value");
    }
    joined
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_conversions_have_no_float_noise() {
        assert_eq!(format!("{}", Scale::Decimal(-2).apply(0.7)), "0.007");
        assert_eq!(format!("{}", Scale::Decimal(-3).apply(0.018)), "0.000018");
        assert_eq!(format!("{}", Scale::Decimal(-9).apply(13.0)), "0.000000013");
        assert_eq!(Scale::Times(3600.0).apply(2.5), 9000.0);
        assert!(Scale::Decimal(-3).apply(f64::NAN).is_nan());
    }

    #[test]
    fn units_are_known_without_case() {
        assert_eq!(base_unit("Gb").map(|u| u.suffix), Some("_bytes"));
        assert_eq!(base_unit("MiB").map(|u| u.scale), Some(Scale::Times(1048576.0)));
        assert_eq!(base_unit("hours").map(|u| u.scale), Some(Scale::Times(3600.0)));
        assert_eq!(base_unit("m"), None);
        assert_eq!(base_unit("rpm"), None);
    }

    #[test]
    fn nagios_keeps_guideline_units_and_converts_the_others() {
        assert_eq!(nagios_value(12.0, "KB"), (12.0, "KB", false));
        assert_eq!(nagios_value(11.0, "Gb"), (11.0 * 1024.0 * 1024.0 * 1024.0, "B", true));
        assert_eq!(nagios_value(13.0, "ns"), (0.000000013, "s", true));
        assert_eq!(nagios_value(14.0, "MiB"), (14.0 * 1048576.0, "B", true));
        assert_eq!(nagios_value(300.0, "rpm"), (300.0, "", true));
    }

    #[test]
    fn abbreviated_units_leave_names() {
        assert_eq!(without_abbreviations("it_s"), "its");
        assert_eq!(without_abbreviations("a_b"), "ab");
        assert_eq!(without_abbreviations("c__Used_Space"), "c__Used_Space");
        assert_eq!(without_abbreviations("_s"), "svalue");
        assert_eq!(without_abbreviations("s_total_h"), "stotalh");
        assert_eq!(without_abbreviations("m"), "mvalue");
        assert_eq!(without_abbreviations("queue_depth"), "queue_depth");
    }
}
