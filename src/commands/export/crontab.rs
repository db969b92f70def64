//! The crontab export: one line, every minute, calling `runner tick` on the paths (as the
//! user gave them: a folder stays one word). Debian's cron refuses a command longer than
//! 998 bytes, so paths that do not fit are spread over several lines, each its own tick
//! of its own playbooks; a path that does not fit even alone is refused.
//!
//! Why not one line per playbook: cron has no memory of missed fires, no notion of a
//! playbook's timezone (`CRON_TZ` is not in every cron, and Debian's has none), and no
//! `L`, `W` or `#`. `runner tick` fires each playbook by the daemon's own planner, in its
//! own zone, from the last fire persisted in the store; cron only has to wake it.
//!
//! Escaping: each argument is single-quoted for sh, then every `%` gets a backslash,
//! because cron turns an unescaped `%` into a newline (and removes the backslash).

use std::path::Path;

use super::{Export, environment};
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
    notes.extend(environment::needed_note(&playbooks));
    if let Err(masked) = export.store_in_the_open() {
        notes.push(format!(
            "# The shared store ({masked}) holds a password: put RUNNER_STORE=<its URL> in {} (mode 600); the line reads it.",
            environment::ENV_FILE
        ));
    }
    let lines: Vec<String> = tick_commands(export, &state)?.iter().map(|c| format!("* * * * * {c}")).collect();
    Ok(format!(
        "# runner: the playbooks below, each on its own schedule and in its own timezone (DST
# included), from cron. Install with `crontab FILE` (it replaces your crontab: merge with
# `crontab -l` first), or paste into `crontab -e`.
# One line wakes `runner tick` every minute (several, each with its own paths, when they do
# not fit in the {MAX_COMMAND} bytes cron takes); tick runs what fell due by the daemon's rules
# (misfire, grace, overlap, the playbook's lock) and appends what it did to tick.log.
{}
SHELL=/bin/sh
PATH={}
{}
",
        notes.join("\n"),
        search_path(),
        lines.join("\n"),
    ))
}

/// The longest command Debian's cron takes after the five time fields: `crontab` installs
/// 998 bytes and refuses 999 ("command too long").
const MAX_COMMAND: usize = 998;

/// The tick commands, escaped for cron: the paths as the user gave them (a folder stays
/// one word), as many per command as fit in [`MAX_COMMAND`]. A path that does not fit even
/// alone is refused.
fn tick_commands(export: &Export, state: &Path) -> crate::error::Result<Vec<String>> {
    let state_word = shell_word(&state.display().to_string());
    let log = shell_word(&state.join("tick.log").display().to_string());
    let runner = shell_word(&export.runner.display().to_string());
    // cron's umask (022) would make the state folder 0755 and tick.log 0644: runner then
    // warns on every tick that its state is open to others.
    // Cron's environment has none of the playbooks' secrets: the line reads the env file.
    let mut fleet = String::new();
    if let Ok(Some(url)) = export.store_in_the_open() {
        fleet.push_str(&format!(" --store {}", shell_word(url)));
    }
    if let Some(id) = &export.host_id {
        fleet.push_str(&format!(" --host-id {}", shell_word(id)));
    }
    let start = escape_percent(&format!(
        "umask 077; {}mkdir -p {state_word} && exec {runner} --state {state_word}{fleet} tick",
        environment::source_env_file()
    ));
    let end = escape_percent(&format!(" >>{log} 2>&1"));
    let line_break = || Error::InvalidInput("a path with a line break cannot be written in a crontab line".into());
    if start.contains(['\n', '\r']) {
        return Err(line_break());
    }
    let mut commands = Vec::new();
    let mut paths = String::new();
    for path in &export.paths {
        let word = escape_percent(&format!(" {}", shell_word(&path.display().to_string())));
        if word.contains(['\n', '\r']) {
            return Err(line_break());
        }
        let alone = start.len() + word.len() + end.len();
        if alone > MAX_COMMAND {
            return Err(Error::InvalidInput(format!(
                "{}: the crontab line for this path would be {alone} bytes, and cron takes at most {MAX_COMMAND}; \
                 use shorter paths (a link to the folder, a shorter --state) or `runner export systemd`",
                path.display()
            )));
        }
        if !paths.is_empty() && start.len() + paths.len() + word.len() + end.len() > MAX_COMMAND {
            commands.push(format!("{start}{paths}{end}"));
            paths.clear();
        }
        paths.push_str(&word);
    }
    commands.push(format!("{start}{paths}{end}"));
    Ok(commands)
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
