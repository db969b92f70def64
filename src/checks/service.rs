//! `service`: a unit of systemd, launchd or pm2; metrics `active` (1/0) and `restarts`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::CheckKind;
use super::rules::KindRules;
use crate::playbook::values::{Dur, Text};

/// A managed service.
#[derive(Clone, Debug, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceCheck {
    /// The unit, label or pm2 process name.
    #[schemars(length(min = 1))]
    pub name: Text,
    /// Which manager (default `auto`: the first of systemd, launchd, pm2 that exists).
    pub manager: Option<Manager>,
    /// Count restarts within this window, as `restarts`.
    pub restarts_within: Option<Dur>,
}

/// A service manager.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Manager {
    Systemd,
    Launchd,
    Pm2,
    #[default]
    Auto,
}

impl CheckKind for ServiceCheck {
    const METRICS: &'static [&'static str] = &["active", "restarts"];

    fn validate(&self, rules: &mut KindRules<'_>) {
        if self.name.is_empty() {
            rules.error(self.name.span(), "the service `name` is empty", "name the unit, launchd label or pm2 app");
        }
        rules.positive("restarts_within", self.restarts_within.as_ref());
    }
}

// ---------------------------------------------------------------------------------------
// Probe

use std::path::Path;
use std::time::Duration;

use super::restarts::{self, CounterSample, IdentitySample};
use crate::outcome::Observation;
use crate::probe::context::ProbeContext;
use crate::process_group::{self, CommandSpec};

/// What a manager says about a service.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceState {
    /// The manager knows the service at all.
    pub found: bool,
    pub active: bool,
    /// The manager's words: "active (running)", "online", "loaded, last exit 0".
    pub state: String,
    /// Cumulative restarts, where the manager counts them.
    pub restart_counter: Option<u64>,
    /// When the current instance started (Unix seconds).
    pub started: Option<i64>,
    pub pid: Option<u32>,
    /// Instances (pm2 cluster mode).
    pub instances: u32,
}

/// Is there a systemd running this machine (sd_booted)?
fn systemd_running() -> bool {
    Path::new("/run/systemd/system").is_dir()
}

/// Finds a program on PATH.
pub fn on_path(program: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|p| p.is_file())
}

/// Why a service's state cannot be asked: no manager to ask, or an answer that does not
/// parse. `Display` is the reason the check's UNKNOWN gives.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("no service manager found: systemd is not running, and neither launchctl nor pm2 is installed")]
    NoManager,
    #[error("systemd is not running on this machine")]
    SystemdNotRunning,
    #[error("launchctl is not installed (launchd is macOS only)")]
    LaunchctlMissing,
    #[error("pm2 is not installed (npm install -g pm2)")]
    Pm2Missing,
    #[error("pm2 jlist printed no JSON")]
    Pm2NoJson,
    #[error("pm2 jlist printed invalid JSON: {0}")]
    Pm2InvalidJson(#[source] serde_json::Error),
}

/// Resolves `auto` to the first manager present; `Err` says why none is.
pub fn resolve_manager(manager: Manager) -> Result<Manager, ServiceError> {
    let available = |m: Manager| match m {
        Manager::Systemd => systemd_running(),
        Manager::Launchd => on_path("launchctl").is_some(),
        Manager::Pm2 => on_path("pm2").is_some(),
        Manager::Auto => false,
    };
    match manager {
        Manager::Auto => [Manager::Systemd, Manager::Launchd, Manager::Pm2]
            .into_iter()
            .find(|m| available(*m))
            .ok_or(ServiceError::NoManager),
        Manager::Systemd if !available(Manager::Systemd) => Err(ServiceError::SystemdNotRunning),
        Manager::Launchd if !available(Manager::Launchd) => Err(ServiceError::LaunchctlMissing),
        Manager::Pm2 if !available(Manager::Pm2) => Err(ServiceError::Pm2Missing),
        other => Ok(other),
    }
}

fn manager_name(manager: Manager) -> &'static str {
    match manager {
        Manager::Systemd => "systemd",
        Manager::Launchd => "launchd",
        Manager::Pm2 => "pm2",
        Manager::Auto => "auto",
    }
}

pub async fn probe(config: &ServiceCheck, ctx: &ProbeContext<'_>) -> Observation {
    let manager = match resolve_manager(config.manager.unwrap_or_default()) {
        Ok(manager) => manager,
        Err(error) => return Observation::unknown(error.to_string()),
    };
    let name = config.name.as_str();
    let limit = ctx.timeout;
    let state = match manager {
        Manager::Systemd => systemd(name, limit).await,
        Manager::Launchd => launchd(name, limit).await,
        Manager::Pm2 => pm2(name, limit).await,
        Manager::Auto => unreachable!("resolved above"),
    };
    let state = match state {
        Ok(state) => state,
        Err(StateError::Unknown(reason)) => return Observation::unknown(reason),
        Err(StateError::Fail(reason)) => return Observation::fail(reason),
    };
    let who = manager_name(manager);
    if !state.found {
        return Observation::fail(format!("{who} has no service `{name}`")).metric("active", 0.0);
    }
    let mut observation = Observation::pass("").metric("active", if state.active { 1.0 } else { 0.0 });
    let mut note = String::new();
    if let Some(within) = config.restarts_within {
        let now = jiff::Timestamp::now().as_second();
        let within_s = within.get().as_secs() as i64;
        let count = match state.restart_counter {
            Some(counter) => {
                let key = ctx.state_key("service-counter");
                let history: Vec<CounterSample> =
                    ctx.services.state.load(&key).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                let current = CounterSample { at: now, counter, started: state.started };
                let count = restarts::from_counter(&history, &current, within_s, &ctx.runner_restarts());
                let kept = restarts::keep(history, current, |s| s.at, now, within_s);
                if let Ok(text) = serde_json::to_string(&kept) {
                    ctx.services.state.save(&key, &text);
                }
                count
            }
            None => {
                // No counter (launchd): watch the PID change.
                let key = ctx.state_key("service-pids");
                let history: Vec<IdentitySample> =
                    ctx.services.state.load(&key).and_then(|t| serde_json::from_str(&t).ok()).unwrap_or_default();
                let current = IdentitySample {
                    at: now,
                    ids: state.pid.map(|p| vec![(p, state.started.unwrap_or(0))]).unwrap_or_default(),
                };
                let count = restarts::from_identities(&history, &current, within_s, &ctx.runner_restarts());
                let kept = restarts::keep(history, current, |s| s.at, now, within_s);
                if let Ok(text) = serde_json::to_string(&kept) {
                    ctx.services.state.save(&key, &text);
                }
                count
            }
        };
        observation = observation.metric("restarts", f64::from(count.restarts));
        note = super::process::restart_sentence(count, within.get());
    }
    if let Some(counter) = state.restart_counter {
        observation = observation.detail(format!("{who} restart counter: {counter}"));
    }
    if state.active {
        observation.message = format!("{who}: `{name}` is {}{note}", state.state);
        observation
    } else {
        let mut failed = Observation::fail(format!("{who}: `{name}` is {}{note}", state.state));
        failed.metrics = observation.metrics;
        failed.details = observation.details;
        failed
    }
}

enum StateError {
    /// Could not be evaluated.
    Unknown(String),
    /// The service's own failure.
    Fail(String),
}

async fn ask(program: &str, args: &[&str], limit: Duration) -> Result<process_group::Finished, StateError> {
    let spec = CommandSpec {
        program: program.into(),
        args: args.iter().map(|a| a.to_string()).collect(),
        cwd: std::env::temp_dir(),
        env: Vec::new(),
    };
    let finished = process_group::run(&spec, limit)
        .await
        .map_err(|e| StateError::Unknown(format!("cannot run {program}: {e}")))?;
    if finished.timed_out {
        return Err(StateError::Fail(format!("`{}` timed out", spec.display())));
    }
    Ok(finished)
}

async fn systemd(name: &str, limit: Duration) -> Result<ServiceState, StateError> {
    let finished = ask(
        "systemctl",
        &[
            "show",
            name,
            "--timestamp=unix",
            "-p",
            "LoadState,ActiveState,SubState,NRestarts,MainPID,ExecMainStartTimestamp",
        ],
        limit,
    )
    .await?;
    if finished.exit_code != Some(0) {
        return Err(StateError::Unknown(format!("systemctl failed: {}", finished.combined_output().trim())));
    }
    Ok(parse_systemctl_show(&finished.stdout.text()))
}

/// Parses `systemctl show -p …` (KEY=VALUE lines).
pub fn parse_systemctl_show(text: &str) -> ServiceState {
    let get = |key: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).map(str::trim).unwrap_or("");
    let load = get("LoadState");
    let active = get("ActiveState");
    let sub = get("SubState");
    let started = get("ExecMainStartTimestamp").strip_prefix('@').and_then(|s| s.parse::<i64>().ok());
    ServiceState {
        found: !load.is_empty() && load != "not-found",
        active: active == "active",
        state: if sub.is_empty() { active.to_string() } else { format!("{active} ({sub})") },
        restart_counter: get("NRestarts").parse().ok(),
        started,
        pid: get("MainPID").parse().ok().filter(|p| *p > 0),
        instances: 1,
    }
}

async fn launchd(label: &str, limit: Duration) -> Result<ServiceState, StateError> {
    let finished = ask("launchctl", &["list", label], limit).await?;
    if finished.exit_code != Some(0) {
        // "Could not find service" exits non-zero.
        return Ok(ServiceState::default());
    }
    Ok(parse_launchctl_list(&finished.stdout.text()))
}

/// Parses `launchctl list LABEL` (a plist-like dictionary). A job is healthy when it runs,
/// or, for a job that runs on a timer, when its last exit status was 0.
pub fn parse_launchctl_list(text: &str) -> ServiceState {
    let get = |key: &str| {
        text.lines().find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix(&format!("\"{key}\" = "))?;
            Some(rest.trim_end_matches(';').trim_matches('"').to_string())
        })
    };
    let pid: Option<u32> = get("PID").and_then(|p| p.parse().ok());
    let last_exit: Option<i64> = get("LastExitStatus").and_then(|s| s.parse().ok());
    let (active, state) = match (pid, last_exit) {
        (Some(pid), _) => (true, format!("running (pid {pid})")),
        (None, Some(0) | None) => (true, "loaded, not running, last exit 0".to_string()),
        (None, Some(code)) => (false, format!("loaded, not running, last exit status {code}")),
    };
    ServiceState {
        found: get("Label").is_some(),
        active,
        state,
        restart_counter: None,
        started: None,
        pid,
        instances: 1,
    }
}

async fn pm2(name: &str, limit: Duration) -> Result<ServiceState, StateError> {
    // `pm2 jlist` starts the pm2 daemon when it is not running; a check must only
    // observe, so look for the daemon first.
    if !pm2_daemon_running() {
        return Err(StateError::Fail(
            "the pm2 daemon is not running (runner does not start it; `pm2 resurrect` does)".into(),
        ));
    }
    let finished = ask("pm2", &["jlist"], limit).await?;
    if finished.exit_code != Some(0) {
        return Err(StateError::Unknown(format!("pm2 jlist failed: {}", finished.combined_output().trim())));
    }
    parse_pm2_jlist(&finished.stdout.text(), name).map_err(|error| StateError::Unknown(error.to_string()))
}

/// The pm2 daemon's pid file names a live process.
pub fn pm2_daemon_running() -> bool {
    let home = std::env::var_os("PM2_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".pm2")));
    let Some(home) = home else { return false };
    let Ok(text) = std::fs::read_to_string(home.join("pm2.pid")) else {
        return false;
    };
    let Ok(pid) = text.trim().parse::<i32>() else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    pid > 0 && unsafe { libc::kill(pid, 0) } == 0
}

/// Parses `pm2 jlist` (a JSON array of processes) for the app `name`; cluster-mode apps
/// have several entries of one name.
pub fn parse_pm2_jlist(text: &str, name: &str) -> Result<ServiceState, ServiceError> {
    let start = text.find('[').ok_or(ServiceError::Pm2NoJson)?;
    let apps: Vec<serde_json::Value> = serde_json::from_str(&text[start..]).map_err(ServiceError::Pm2InvalidJson)?;
    let matching: Vec<&serde_json::Value> = apps.iter().filter(|a| a["name"] == name).collect();
    if matching.is_empty() {
        return Ok(ServiceState::default());
    }
    let statuses: Vec<String> =
        matching.iter().map(|a| a["pm2_env"]["status"].as_str().unwrap_or("unknown").to_string()).collect();
    let online = statuses.iter().filter(|s| *s == "online").count();
    let restarts: u64 = matching.iter().filter_map(|a| a["pm2_env"]["restart_time"].as_u64()).sum();
    let started = matching.iter().filter_map(|a| a["pm2_env"]["pm_uptime"].as_i64()).max().map(|ms| ms / 1000);
    let instances = matching.len() as u32;
    let state = if instances == 1 { statuses[0].clone() } else { format!("{online} of {instances} instances online") };
    Ok(ServiceState {
        found: true,
        active: online == matching.len(),
        state,
        restart_counter: Some(restarts),
        started,
        pid: matching.first().and_then(|a| a["pid"].as_u64()).map(|p| p as u32).filter(|p| *p > 0),
        instances,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Recorded from `systemctl show nginx --timestamp=unix -p …` on Debian 12 (systemd 252).
    const SYSTEMCTL_ACTIVE: &str = "NRestarts=2\nExecMainStartTimestamp=@1763800000\nMainPID=812\nLoadState=loaded\nActiveState=active\nSubState=running\n";
    /// A unit that does not exist.
    const SYSTEMCTL_MISSING: &str =
        "NRestarts=0\nExecMainStartTimestamp=\nMainPID=0\nLoadState=not-found\nActiveState=inactive\nSubState=dead\n";
    /// Recorded from `launchctl list com.example.optimizer` on macOS 15.
    const LAUNCHCTL_TIMER_JOB: &str = "{\n\t\"LimitLoadToSessionType\" = \"Aqua\";\n\t\"Label\" = \"com.example.optimizer\";\n\t\"OnDemand\" = true;\n\t\"LastExitStatus\" = 0;\n\t\"Program\" = \"/usr/local/bin/node\";\n};\n";
    const LAUNCHCTL_RUNNING: &str =
        "{\n\t\"Label\" = \"com.example.monitor\";\n\t\"LastExitStatus\" = 19968;\n\t\"PID\" = 32101;\n};\n";
    const LAUNCHCTL_FAILED: &str = "{\n\t\"Label\" = \"com.example.digest\";\n\t\"LastExitStatus\" = 78;\n};\n";

    #[test]
    fn systemctl_show() {
        let s = parse_systemctl_show(SYSTEMCTL_ACTIVE);
        assert!(s.found && s.active);
        assert_eq!(s.state, "active (running)");
        assert_eq!(s.restart_counter, Some(2));
        assert_eq!(s.started, Some(1_763_800_000));
        assert_eq!(s.pid, Some(812));
        let s = parse_systemctl_show(SYSTEMCTL_MISSING);
        assert!(!s.found && !s.active);
    }

    #[test]
    fn launchctl_list() {
        let s = parse_launchctl_list(LAUNCHCTL_TIMER_JOB);
        assert!(s.found && s.active);
        assert_eq!(s.state, "loaded, not running, last exit 0");
        let s = parse_launchctl_list(LAUNCHCTL_RUNNING);
        assert!(s.active);
        assert_eq!(s.pid, Some(32101));
        let s = parse_launchctl_list(LAUNCHCTL_FAILED);
        assert!(s.found && !s.active);
        assert_eq!(s.state, "loaded, not running, last exit status 78");
    }

    #[test]
    fn pm2_jlist() {
        let text = r#"[{"pid":4242,"name":"api","pm2_env":{"status":"online","restart_time":7,"pm_uptime":1763800000123}},
                      {"pid":0,"name":"worker","pm2_env":{"status":"errored","restart_time":15,"pm_uptime":1763700000000}}]"#;
        let api = parse_pm2_jlist(text, "api").unwrap();
        assert!(api.found && api.active);
        assert_eq!(api.restart_counter, Some(7));
        assert_eq!(api.started, Some(1_763_800_000));
        let worker = parse_pm2_jlist(text, "worker").unwrap();
        assert!(worker.found && !worker.active);
        assert_eq!(worker.state, "errored");
        assert!(!parse_pm2_jlist(text, "nope").unwrap().found);
        assert!(matches!(parse_pm2_jlist("oops", "api"), Err(ServiceError::Pm2NoJson)));
        assert!(matches!(parse_pm2_jlist("[oops", "api"), Err(ServiceError::Pm2InvalidJson(_))));
    }
}
