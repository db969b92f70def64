//! The systemd export: a system unit running the daemon, with a hardening block that is
//! justified line by line against what playbooks touch.
//!
//! Escaping: systemd expands `%` specifiers in ExecStart=, Environment= and the path
//! settings, and `$` variables in Exec lines; a path is written with `%%` (and `$$` in
//! Exec lines), and double-quoted with C escapes when it has spaces or quotes, so that the
//! unit means exactly the path it names (a folder `p%d` is not the credentials folder).
//!
//! The folders the daemon writes are computed here: the state folder and each playbook's
//! report folder (the fixed part of its `report.path`). `ProtectSystem=strict` makes
//! every other path read-only.

use std::path::{Path, PathBuf};

use super::Export;
use super::environment::ENV_FILE;
use crate::error::Error;
use crate::playbook::Loaded;

/// The state folder when `--state` is not given: root's default (the unit runs as root).
const DEFAULT_STATE: &str = "/var/lib/runner";

/// How a word is read by systemd.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    /// ExecStart= and friends: specifiers and `$` variables.
    Exec,
    /// Environment=, ReadWritePaths=: specifiers only.
    Setting,
}

/// One word, escaped for `context`.
fn word(text: &str, context: Context) -> Result<String, Error> {
    super::refuse_control_characters(text, "a unit")?;
    let mut escaped = text.replace('%', "%%");
    if context == Context::Exec {
        escaped = escaped.replace('$', "$$");
    }
    if escaped.chars().any(|c| c.is_whitespace() || "\"'\\".contains(c)) {
        escaped = format!("\"{}\"", escaped.replace('\\', "\\\\").replace('"', "\\\""));
    }
    Ok(escaped)
}

/// The command name of ExecStart=. systemd takes no `$`, quote or backslash there, however
/// escaped (`systemd-analyze verify`: `$$` is not undone in a command name; the others are
/// "special characters"), so such a binary path is refused rather than written broken.
fn executable_word(path: &Path) -> Result<String, Error> {
    let text = path.display().to_string();
    if text.contains(['$', '"', '\'', '\\']) {
        return Err(Error::InvalidInput(format!(
            "{text:?}: systemd does not accept `$`, quotes or backslashes in the path of the command it runs; \
             install runner (or a link to it) under a path without them and export from there"
        )));
    }
    path_word(path, Context::Exec)
}

fn path_word(path: &Path, context: Context) -> Result<String, Error> {
    word(&path.display().to_string(), context)
}

/// The folder a playbook's reports go to: the part of `report.path` before its first
/// template tag, resolved against the playbook's folder.
fn report_folder(loaded: &Loaded) -> Option<PathBuf> {
    let report = loaded.playbook.report.as_ref()?;
    let source = report.path.source();
    let fixed = &source[..source.find('{').unwrap_or(source.len())];
    let folder = match fixed.strip_suffix('/') {
        Some(folder) => Path::new(folder),
        None => Path::new(fixed).parent().unwrap_or(Path::new("")),
    };
    Some(super::absolute(&loaded.base_dir.join(folder)))
}

/// The unit's settings for a fleet: the host id, and the shared store, unless its URL
/// holds a password (a unit file is readable by all: the URL then goes in the environment
/// file, which the unit reads).
fn fleet_settings(export: &Export) -> crate::error::Result<String> {
    let mut lines = String::new();
    match export.store_in_the_open() {
        Ok(Some(url)) => lines.push_str(&format!("Environment=RUNNER_STORE={}\n", word(url, Context::Setting)?)),
        Ok(None) => {}
        Err(masked) => lines.push_str(&format!(
            "# The shared store ({masked}) holds a password: put RUNNER_STORE=<its URL> in {ENV_FILE} (mode 600).\n"
        )),
    }
    if let Some(id) = &export.host_id {
        lines.push_str(&format!("Environment=RUNNER_HOST_ID={}\n", word(id, Context::Setting)?));
    }
    Ok(lines)
}

/// A system unit running the daemon.
pub fn systemd(export: &Export) -> crate::error::Result<String> {
    let playbooks = export.playbooks()?;
    let runner = executable_word(&export.runner)?;
    let arguments: Vec<String> =
        export.daemon_arguments().iter().map(|a| word(a, Context::Exec)).collect::<Result<_, _>>()?;
    let state = export.state.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_STATE));
    let state_lines = match &export.state {
        Some(state) => format!("Environment=RUNNER_STATE={}\n", path_word(state, Context::Setting)?),
        None => format!("StateDirectory=runner\nStateDirectoryMode=0700\nEnvironment=RUNNER_STATE={DEFAULT_STATE}\n"),
    };
    let fleet_lines = fleet_settings(export)?;
    let mut writable = vec![state.clone()];
    writable.extend(playbooks.iter().filter_map(report_folder));
    writable.sort();
    writable.dedup();
    let mut made = Vec::new();
    for folder in &writable {
        made.push(path_word(folder, Context::Exec)?);
    }
    let mut write_lines = String::new();
    for folder in &writable {
        write_lines.push_str(&format!("ReadWritePaths={}\n", path_word(folder, Context::Setting)?));
    }
    let pm2 = playbooks.iter().any(|p| p.source.contains("pm2"));
    let pm2_line = if pm2 {
        "# A playbook talks to pm2, which keeps its socket and dump in ~/.pm2.\nReadWritePaths=-/root/.pm2\n"
    } else {
        ""
    };
    Ok(format!(
        "# runner daemon: every playbook on its schedule.
# Install: save as /etc/systemd/system/runner.service, then
#   systemctl daemon-reload && systemctl enable --now runner
# Secrets (REDIS_PASSWORD, webhook URLs): put them in /etc/runner/env (mode 600).
[Unit]
Description=runner: scheduled health checks
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
NotifyAccess=main
# The folders the daemon writes must exist before the sandbox below is set up ('+': outside it).
ExecStartPre=+/bin/mkdir -p {made}
ExecStart={runner} {arguments}
ExecReload=/bin/kill -HUP $MAINPID
{state_lines}{fleet_lines}EnvironmentFile=-{ENV_FILE}
Restart=on-failure
RestartSec=5s
# The scheduling loop pings the watchdog on every tick (at most every 15 s); a loop that
# stops ticking is restarted.
WatchdogSec=60s
# Longer than --shutdown-grace: the daemon ends late runs itself and records them.
TimeoutStopSec={stop}s
KillMode=mixed

# Hardening. Checks observe the whole machine and remediations restart services, so the
# daemon runs as root; what it never needs is taken away.
# setuid binaries cannot raise privileges (commands already run as root).
NoNewPrivileges=yes
# The whole file system is read-only but for the folders runner writes: the state folder
# (store, locks, log offsets) and each playbook's report folder, computed at export.
# (A sqlite check reads a WAL database read-only; while its writer is down SQLite must
# create the -shm file: add that database's folder here if you check one like that.)
ProtectSystem=strict
{write_lines}{pm2_line}# Commands write temporary files and reach sockets in /tmp (see PrivateTmp below).
ReadWritePaths=/tmp /var/tmp
# Checks read /proc/sys, /sys and cgroups; none writes them, loads modules or reads the
# kernel log, or sets the clock or the hostname.
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
# No check needs device nodes: disk usage is statvfs on the mount point.
PrivateDevices=yes
# AF_UNIX: D-Bus (systemctl, the service kind), pm2's socket, Redis and database sockets;
# AF_INET/AF_INET6: every network check; AF_NETLINK: interface and socket listings.
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallErrorNumber=EPERM
# The store and reports are not for other users to read.
UMask=0077
# Off, each because a shipped playbook or kind would break:
# ProtectHome=read-only   hides ~/.pm2 (the service and restarts kinds with pm2, the
#                         crash-loop remediation) and files under /home that checks read.
# PrivateTmp=yes          hides sockets and files in /tmp from checks and commands.
# ProtectProc=invisible   process and service checks read other processes;
# ProcSubset=pid          the system kind reads /proc/meminfo and /proc/loadavg.
# MemoryDenyWriteExecute=yes  pm2 is node, whose JIT needs writable code.
# PrivateUsers=yes        systemctl would reach D-Bus as an unmapped user, denied by polkit.
# CapabilityBoundingSet=  remediations restart services and end processes by design.
# PrivateNetwork=yes / IPAddressDeny=any  every network check.

[Install]
WantedBy=multi-user.target
",
        made = made.join(" "),
        arguments = arguments.join(" "),
        stop = super::STOP_TIMEOUT.as_secs(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specifiers_variables_and_spaces_are_escaped() {
        assert_eq!(word("/srv/p%d", Context::Setting).unwrap(), "/srv/p%%d");
        assert_eq!(word("/srv/$HOME %n", Context::Exec).unwrap(), "\"/srv/$$HOME %%n\"");
        assert_eq!(word("/srv/$HOME", Context::Setting).unwrap(), "/srv/$HOME");
        assert!(word("/srv/a\nb", Context::Exec).is_err());
    }
}
