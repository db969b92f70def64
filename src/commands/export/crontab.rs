//! The crontab export: one line, every minute, calling `runner tick` on the paths.
//!
//! Why not one line per playbook: cron has no memory of missed fires, no notion of a
//! playbook's timezone (`CRON_TZ` is not in every cron, and Debian's has none), and no
//! `L`, `W` or `#`. `runner tick` fires each playbook by the daemon's own planner, in its
//! own zone, from the last fire persisted in the store; cron only has to wake it.
//!
//! Escaping: each argument is single-quoted for sh, then every `%` gets a backslash,
//! because cron turns an unescaped `%` into a newline (and removes the backslash).

use super::Export;
use crate::error::Error;

/// The crontab: a comment per playbook (its schedule and zone) and the tick line.
pub fn crontab(export: &Export) -> crate::error::Result<String> {
    let playbooks = export.playbooks()?;
    let mut notes = Vec::new();
    for loaded in &playbooks {
        let name = loaded.playbook.name.as_str();
        let Some(schedule) = &loaded.playbook.schedule else {
            notes.push(format!("#   {name}: no schedule (never run by tick)"));
            continue;
        };
        let cron = schedule.cron.as_str().trim();
        if !cron.starts_with('@') && cron.split_whitespace().count() == 6 {
            return Err(Error::InvalidInput(format!(
                "{}: playbook `{name}` is scheduled `{cron}`, with a seconds field; cron wakes runner once a \
                 minute, so it cannot keep that schedule. Run the daemon instead: `runner export systemd` \
                 (Linux) or `runner export launchd` (macOS), or `runner daemon`",
                loaded.path.display()
            )));
        }
        let zone = schedule.timezone.as_ref().map(|t| t.as_str()).unwrap_or("the machine's zone");
        notes.push(format!("#   {name}: {cron} ({zone})"));
    }
    let state = export.state.clone().unwrap_or_else(|| super::absolute(&super::super::run::state_dir(None)));
    let state_word = shell_word(&state.display().to_string());
    let log = shell_word(&state.join("tick.log").display().to_string());
    let mut command = format!(
        "mkdir -p {state_word} && exec {} --state {state_word} tick",
        shell_word(&export.runner.display().to_string())
    );
    for path in &export.paths {
        command.push(' ');
        command.push_str(&shell_word(&path.display().to_string()));
    }
    command.push_str(&format!(" >>{log} 2>&1"));
    if command.contains(['\n', '\r']) {
        return Err(Error::InvalidInput("a path with a line break cannot be written in a crontab line".into()));
    }
    Ok(format!(
        "# runner: the playbooks below, each on its own schedule and in its own timezone (DST
# included), from cron. Install with `crontab FILE` (it replaces your crontab: merge with
# `crontab -l` first), or paste into `crontab -e`.
# One line wakes `runner tick` every minute; tick runs what fell due by the daemon's rules
# (misfire, grace, overlap, the playbook's lock) and appends what it did to tick.log.
{}
SHELL=/bin/sh
PATH={}
* * * * * {}
",
        notes.join("\n"),
        search_path(),
        escape_percent(&command),
    ))
}

/// The exporting shell's PATH (so the commands of checks are found as they are by hand),
/// or the usual one when it cannot be written on one line.
fn search_path() -> String {
    std::env::var("PATH")
        .ok()
        .filter(|p| !p.is_empty() && !p.contains(['\n', '\r', '%']))
        .unwrap_or_else(|| "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into())
}

/// One word for sh: single-quoted, a `'` inside written as `'\''`.
fn shell_word(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// cron ends the command at an unescaped `%`; `\%` is a literal `%`.
fn escape_percent(command: &str) -> String {
    command.replace('%', r"\%")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_survive_sh_and_cron() {
        assert_eq!(shell_word("/srv/it's here"), r"'/srv/it'\''s here'");
        assert_eq!(escape_percent("'/srv/p%d' >>'/x/%H.log'"), r"'/srv/p\%d' >>'/x/\%H.log'");
    }
}
