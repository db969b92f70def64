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
    // clap takes the value without case (`--format NAGIOS`), so this does too.
    let nagios = |value: &std::ffi::OsStr| value.eq_ignore_ascii_case("nagios");
    args.iter().zip(args.iter().skip(1).map(Some).chain([None])).any(|(arg, next)| {
        arg.to_str().and_then(|a| a.strip_prefix("--format=")).is_some_and(|value| nagios(value.as_ref()))
            || (arg == "--format" && next.is_some_and(|value| nagios(value)))
    })
}

/// The first sentence of an error: its first line, and when that line ends in `:` (clap's
/// `the following required arguments were not provided:`) the lines of its paragraph.
fn first_sentence(message: &str) -> String {
    let mut lines = message.lines().map(str::trim).skip_while(|line| line.is_empty());
    let first = lines.next().unwrap_or("runner failed");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    if !first.ends_with(':') {
        return first.to_string();
    }
    let rest: Vec<&str> = lines.take_while(|line| !line.is_empty()).collect();
    if rest.is_empty() { first.trim_end_matches(':').to_string() } else { format!("{first} {}", rest.join(", ")) }
}

/// Prints `UNKNOWN - <sentence>` (the first sentence of `message`, without a leading
/// `error: `, scrubbed, with no `|`) to stdout and returns 3.
pub fn unknown(message: &str) -> i32 {
    let sentence = first_sentence(message);
    let line = super::nagios::plugin_text(&crate::secret::scrub(&sentence));
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
        assert!(requested(&args(&["runner", "run", "--format", "NAGIOS", "p.yaml"])));
        assert!(requested(&args(&["runner", "run", "--format=Nagios", "p.yaml"])));
    }

    #[test]
    fn a_sentence_ending_in_a_colon_keeps_its_list() {
        let clap = "error: the following required arguments were not provided:\n  <PLAYBOOK>\n\nUsage: runner run\n";
        assert_eq!(first_sentence(clap), "the following required arguments were not provided: <PLAYBOOK>");
        assert_eq!(first_sentence("error: lock held\nmore"), "lock held");
        assert_eq!(first_sentence("trailing:"), "trailing");
    }
}
