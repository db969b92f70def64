//! Under `--format nagios` every exit of `runner` is a plugin exit (CLI.md): runner's own
//! errors (usage 64, invalid playbook 65, internal 70, unreadable 74, lock held 75), an
//! interrupted run and clap's usage errors become one `UNKNOWN - <sentence>` line on stdout
//! and exit 3, because a Nagios/Icinga reader knows no other codes. The error still goes to
//! stderr in full, as without the flag.

use std::ffi::OsString;

/// The plugin exit code for UNKNOWN.
pub const UNKNOWN: i32 = 3;

/// Does this command line ask for `--format nagios` (also as `--format=nagios`)? Read from
/// the raw arguments, so it also holds when clap cannot parse the rest of them.
pub fn requested(args: &[OsString]) -> bool {
    args.iter().zip(args.iter().skip(1).map(Some).chain([None])).any(|(arg, next)| {
        arg == "--format=nagios" || (arg == "--format" && next.is_some_and(|value| value == "nagios"))
    })
}

/// Prints `UNKNOWN - <sentence>` (the first line of `message`, without a leading `error: `,
/// scrubbed, with no `|`) to stdout and returns 3.
pub fn unknown(message: &str) -> i32 {
    let first = message.lines().map(str::trim).find(|line| !line.is_empty()).unwrap_or("runner failed");
    let sentence = first.strip_prefix("error: ").unwrap_or(first);
    let line = super::nagios::plugin_text(&crate::secret::scrub(sentence));
    println!("UNKNOWN - {line}");
    UNKNOWN
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<OsString> {
        list.iter().map(OsString::from).collect()
    }

    #[test]
    fn finds_the_flag_in_both_spellings_only() {
        assert!(requested(&args(&["runner", "run", "--format", "nagios", "p.yaml"])));
        assert!(requested(&args(&["runner", "run", "p.yaml", "--format=nagios"])));
        assert!(!requested(&args(&["runner", "run", "--format", "json", "nagios"])));
        assert!(!requested(&args(&["runner", "run", "p.yaml", "--format"])));
    }
}
