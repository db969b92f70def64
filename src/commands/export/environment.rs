//! The environment file the exports read secrets from, and the variables the playbooks
//! need in it. The systemd unit reads it with `EnvironmentFile=-`; cron has no such
//! setting and runs with an almost empty environment, so the crontab line sources it
//! itself, exported (`set -a`), when it is readable. Without it a `${REDIS_PASSWORD}`
//! playbook exports fine and then fails every tick (65) into tick.log.

use crate::playbook::Loaded;
use crate::playbook::interpolate::expand_env;

/// Where the exports read secrets (`NAME=value` lines, mode 600).
pub const ENV_FILE: &str = "/etc/runner/env";

/// The sh prefix of the crontab command: the env file's variables, exported, if readable.
pub fn source_env_file() -> String {
    format!("set -a; [ -r {ENV_FILE} ] && . {ENV_FILE}; set +a; ")
}

/// The `${NAME}` references without a default in the playbooks, sorted, once each: what
/// must be set where the export runs. The loader's own expansion finds them (each one it
/// cannot expand, with no variable set, is an error at the reference).
pub fn needed_variables(playbooks: &[Loaded]) -> Vec<String> {
    let mut names: Vec<String> = playbooks
        .iter()
        .flat_map(|loaded| {
            let chars: Vec<char> = loaded.source.chars().collect();
            let errors = expand_env(&loaded.source, &|_| None).err().unwrap_or_default();
            errors
                .into_iter()
                .filter_map(|error| {
                    let reference: String = chars.get(error.offset..error.offset + error.len)?.iter().collect();
                    let name = reference.strip_prefix("${")?.strip_suffix('}')?;
                    let valid = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                    valid.then(|| name.to_string())
                })
                .collect::<Vec<_>>()
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// The comment naming what the playbooks need in [`ENV_FILE`], when they need anything.
pub fn needed_note(playbooks: &[Loaded]) -> Option<String> {
    let names = needed_variables(playbooks);
    (!names.is_empty()).then(|| format!("# needs in {ENV_FILE}: {}", names.join(" ")))
}
