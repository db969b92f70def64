//! "Did you mean …?": the closest known word to a misspelt one.
//!
//! Used by diagnostics for unknown keys, unknown enum values and unknown check ids, and
//! for timezones, where the closest spelling is the wrong idea: `PST` is three letters
//! from `EST` and three hours from it, so abbreviations and offsets get their own hints.

/// The candidate closest to `word`, if it is close enough to be a plausible typo
/// (an edit distance of at most a third of the word's length, and at least 1).
pub fn did_you_mean<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    let lower = word.to_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(&lower, &candidate.to_lowercase()), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance, counting an adjacent transposition as one edit (so `timeuot`
/// is one edit from `timeout`).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev_prev: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        current[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(current[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(prev_prev[j - 2] + 1);
            }
            current[j] = best;
        }
        std::mem::swap(&mut prev_prev, &mut prev);
        std::mem::swap(&mut prev, &mut current);
    }
    prev[b.len()]
}

/// Common timezone abbreviations and the IANA zones they usually mean. Only those the tz
/// database does not itself accept (it knows `EST`, `CET`, `MST`, …, as fixed zones).
const ABBREVIATIONS: &[(&[&str], &[&str])] = &[
    (&["PST", "PDT", "PT"], &["America/Los_Angeles"]),
    (&["MDT", "MT"], &["America/Denver", "America/Phoenix"]),
    (&["CST", "CDT", "CT"], &["America/Chicago"]),
    (&["EDT", "ET"], &["America/New_York"]),
    (&["AKST", "AKDT"], &["America/Anchorage"]),
    (&["HAST", "HADT"], &["Pacific/Honolulu"]),
    (&["AST", "ADT"], &["America/Halifax"]),
    (&["NST", "NDT"], &["America/St_Johns"]),
    (&["BRT"], &["America/Sao_Paulo"]),
    (&["ART"], &["America/Argentina/Buenos_Aires"]),
    (&["BST"], &["Europe/London"]),
    (&["IST"], &["Asia/Kolkata", "Europe/Dublin"]),
    (&["CEST"], &["Europe/Berlin", "Europe/Paris"]),
    (&["EEST"], &["Europe/Athens", "Europe/Helsinki"]),
    (&["WEST"], &["Europe/Lisbon"]),
    (&["MSK"], &["Europe/Moscow"]),
    (&["SAST"], &["Africa/Johannesburg"]),
    (&["WAT"], &["Africa/Lagos"]),
    (&["EAT"], &["Africa/Nairobi"]),
    (&["GST"], &["Asia/Dubai"]),
    (&["PKT"], &["Asia/Karachi"]),
    (&["ICT"], &["Asia/Bangkok"]),
    (&["WIB"], &["Asia/Jakarta"]),
    (&["SGT"], &["Asia/Singapore"]),
    (&["HKT"], &["Asia/Hong_Kong"]),
    (&["JST"], &["Asia/Tokyo"]),
    (&["KST"], &["Asia/Seoul"]),
    (&["AWST"], &["Australia/Perth"]),
    (&["ACST", "ACDT"], &["Australia/Adelaide"]),
    (&["AEST", "AEDT"], &["Australia/Sydney", "Australia/Brisbane"]),
    (&["NZST", "NZDT"], &["Pacific/Auckland"]),
];

/// The hint for a timezone the tz database does not know: the zones an abbreviation
/// usually means, the `Etc/GMT` name of an offset (whose POSIX sign is inverted), or the
/// closest spelling of a zone name. `known` lists the database's names.
pub fn timezone_hint<'a>(name: &str, known: impl IntoIterator<Item = &'a str>) -> String {
    const EXAMPLES: &str = "use a name from the tz database, e.g. `UTC`, `Europe/Berlin`, `America/New_York`";
    let upper = name.trim().to_ascii_uppercase();
    if let Some((_, zones)) = ABBREVIATIONS.iter().find(|(abbreviations, _)| abbreviations.contains(&upper.as_str())) {
        let listed = zones.iter().map(|z| format!("`{z}`")).collect::<Vec<_>>().join(" or ");
        let what = if zones.len() == 1 { "the zone it usually means" } else { "the zones it usually means" };
        return format!("`{name}` is an abbreviation, not a zone: write {listed}, {what}");
    }
    if upper == "Z" {
        return "`Z` (Zulu) means UTC: write `UTC`".into();
    }
    if let Some(hint) = offset_hint(name, &upper) {
        return hint;
    }
    // A military letter (`A`…`Y`) is an offset too: no spelling near it is the same clock.
    let looks_abbreviated = (1..=5).contains(&name.len()) && name.chars().all(|c| c.is_ascii_uppercase());
    match did_you_mean(name, known) {
        Some(best) if !looks_abbreviated => format!("did you mean `{best}`?"),
        _ => EXAMPLES.into(),
    }
}

/// For `EST` and `MST`, zones the tz database keeps as fixed offsets: (warning, hint).
/// Written as abbreviations they usually mean a place's time, which changes in summer.
pub fn fixed_zone_note(name: &str) -> Option<(String, String)> {
    let (offset, places) = match name {
        "EST" => ("UTC-5", "`America/New_York`"),
        "MST" => ("UTC-7", "`America/Denver` (Arizona: `America/Phoenix`)"),
        _ => return None,
    };
    Some((
        format!("`{name}` is {offset} all year, without daylight saving time"),
        format!("for the local time of a place write its zone, e.g. {places}"),
    ))
}

/// `GMT+2`, `UTC-5`, `UTC+05:30`, `+02:00`, `-0500`: a fixed offset. The tz database
/// spells whole hours `Etc/GMT-2` for UTC+2 (POSIX inverts the sign); a city's zone also
/// follows DST.
fn offset_hint(name: &str, upper: &str) -> Option<String> {
    let rest = upper.strip_prefix("UTC").or_else(|| upper.strip_prefix("GMT")).unwrap_or(upper);
    let (sign, digits) = match rest.chars().next()? {
        '+' => ('+', &rest[1..]),
        '-' => ('-', &rest[1..]),
        _ => return None,
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some(split) => split,
        None if digits.len() == 4 => digits.split_at(2),
        None => (digits, "0"),
    };
    let (hours, minutes): (u32, u32) = (hours.parse().ok()?, minutes.parse().ok()?);
    if minutes != 0 || hours > 14 {
        return Some(format!(
            "`{name}` is a fixed offset, not a zone; use the zone of a place at that offset (e.g. `Asia/Kolkata` for UTC+05:30), which also follows its daylight saving time"
        ));
    }
    let inverted = if sign == '+' { '-' } else { '+' };
    Some(format!(
        "`{name}` is a fixed offset, not a zone: write `Etc/GMT{inverted}{hours}` (POSIX names invert the sign: `Etc/GMT{inverted}{hours}` is UTC{sign}{hours}), or better the zone of a place at that offset, which also follows daylight saving time"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_words_only() {
        let keys = ["timeout", "retries", "retry_delay", "severity"];
        assert_eq!(did_you_mean("timout", keys), Some("timeout"));
        assert_eq!(did_you_mean("timeuot", keys), Some("timeout"));
        assert_eq!(did_you_mean("retires", keys), Some("retries"));
        assert_eq!(did_you_mean("banana", keys), None);
    }

    #[test]
    fn timezone_hints_mean_the_same_clock() {
        let zones = ["EST", "Europe/Berlin", "America/Los_Angeles", "Etc/GMT-2"];
        let pst = timezone_hint("PST", zones);
        assert!(pst.contains("`America/Los_Angeles`") && !pst.contains("EST"), "{pst}");
        assert!(timezone_hint("IST", zones).contains("`Asia/Kolkata`"));
        let gmt = timezone_hint("GMT+2", zones);
        assert!(gmt.contains("`Etc/GMT-2`") && gmt.contains("invert"), "{gmt}");
        assert!(timezone_hint("UTC-5", zones).contains("`Etc/GMT+5`"));
        assert!(timezone_hint("UTC+05:30", zones).contains("`Asia/Kolkata`"));
        assert!(timezone_hint("+02:00", zones).contains("`Etc/GMT-2`"));
        assert!(timezone_hint("-0500", zones).contains("`Etc/GMT+5`"));
        assert!(timezone_hint("+05:30", zones).contains("`Asia/Kolkata`"));
        assert!(timezone_hint("Z", zones).ends_with("write `UTC`"));
        assert!(timezone_hint("K", zones).starts_with("use a name"));
        assert_eq!(timezone_hint("Europe/Berln", zones), "did you mean `Europe/Berlin`?");
        // An unknown abbreviation gets examples, never the nearest spelling (hours away).
        assert!(timezone_hint("XST", zones).starts_with("use a name"), "{}", timezone_hint("XST", zones));
    }
}
