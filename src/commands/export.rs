//! `runner export systemd|launchd|crontab [PATH...]`: what to install to run the
//! playbooks for good. systemd and launchd run the daemon (a unit with Type=notify and a
//! watchdog; a LaunchAgent with KeepAlive — never StartInterval, the setting that once
//! stopped firing silently); crontab runs `runner run` per playbook for those who prefer
//! cron.

use std::path::{Path, PathBuf};

use super::discover;
use crate::cli::{Cli, ExportArgs, ExportTarget};
use crate::error::Error;
use crate::playbook::load::LoadOptions;

fn absolute(path: &Path) -> PathBuf {
    std::fs::canonicalize(path).unwrap_or_else(|_| std::env::current_dir().unwrap_or_default().join(path))
}

fn runner_path() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::canonicalize(p).ok())
        .unwrap_or_else(|| PathBuf::from("/usr/local/bin/runner"))
}

fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    if text.chars().any(|c| c.is_whitespace() || "\"'\\$`".contains(c)) {
        format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
    } else {
        text
    }
}

pub fn run(cli: &Cli, args: &ExportArgs) -> crate::error::Result<i32> {
    let paths: Vec<PathBuf> =
        if args.paths.is_empty() { vec![PathBuf::from(discover::DEFAULT_DIR)] } else { args.paths.clone() };
    for path in &paths {
        std::fs::metadata(path).map_err(|source| Error::Read { path: path.clone(), source })?;
    }
    let paths: Vec<PathBuf> = paths.iter().map(|p| absolute(p)).collect();
    let state = cli.state.as_ref().map(|s| absolute(s));
    let text = match args.target {
        ExportTarget::Systemd => systemd(&paths, state.as_deref()),
        ExportTarget::Launchd => launchd(&paths, state.as_deref()),
        ExportTarget::Crontab => crontab(&paths, state.as_deref())?,
    };
    super::print_stdout(&text)?;
    Ok(0)
}

/// A system unit running the daemon.
pub fn systemd(paths: &[PathBuf], state: Option<&Path>) -> String {
    let runner = runner_path();
    let playbooks: Vec<String> = paths.iter().map(|p| quote(p)).collect();
    let state_line = match state {
        Some(state) => format!("Environment=RUNNER_STATE={}\n", quote(state)),
        None => "StateDirectory=runner\nEnvironment=RUNNER_STATE=/var/lib/runner\n".to_string(),
    };
    format!(
        "# runner daemon: every playbook on its schedule.
# Install: save as /etc/systemd/system/runner.service, then
#   systemctl daemon-reload && systemctl enable --now runner
# Secrets (REDIS_PASSWORD, webhook URLs): put them in /etc/runner/env (mode 600).
[Unit]
Description=runner: scheduled health checks ({playbooks})
Wants=network-online.target
After=network-online.target

[Service]
Type=notify
NotifyAccess=main
ExecStart={runner} daemon {playbooks} --listen 127.0.0.1:9464 --log-format json
ExecReload=/bin/kill -HUP $MAINPID
{state_line}EnvironmentFile=-/etc/runner/env
Restart=on-failure
RestartSec=5s
# The scheduling loop pings the watchdog on every tick (at most every 15 s); a loop that
# stops ticking is restarted.
WatchdogSec=60s
TimeoutStopSec=45s
KillMode=mixed

[Install]
WantedBy=multi-user.target
",
        runner = quote(&runner),
        playbooks = playbooks.join(" "),
    )
}

/// A LaunchAgent running the daemon, kept alive by launchd.
pub fn launchd(paths: &[PathBuf], state: Option<&Path>) -> String {
    let runner = runner_path();
    let xml = |text: &str| text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let mut arguments = vec![runner.display().to_string(), "daemon".into()];
    arguments.extend(paths.iter().map(|p| p.display().to_string()));
    arguments.extend(["--listen".into(), "127.0.0.1:9464".into(), "--log-format".into(), "json".into()]);
    let arguments: String = arguments.iter().map(|a| format!("\t\t<string>{}</string>\n", xml(a))).collect();
    let home = std::env::var("HOME").unwrap_or_else(|_| "~".into());
    let state = state.map(|s| s.display().to_string()).unwrap_or_else(|| format!("{home}/.local/state/runner"));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- runner daemon: every playbook on its schedule. Save as
     ~/Library/LaunchAgents/dev.runner.daemon.plist, then
     launchctl bootstrap gui/$(id -u) ~/Library/LaunchAgents/dev.runner.daemon.plist
     KeepAlive, not StartInterval: the daemon schedules itself and tells on missed fires. -->
<plist version="1.0">
<dict>
	<key>Label</key>
	<string>dev.runner.daemon</string>
	<key>ProgramArguments</key>
	<array>
{arguments}	</array>
	<key>RunAtLoad</key>
	<true/>
	<key>KeepAlive</key>
	<true/>
	<key>ProcessType</key>
	<string>Background</string>
	<key>EnvironmentVariables</key>
	<dict>
		<key>RUNNER_STATE</key>
		<string>{state}</string>
		<key>PATH</key>
		<string>/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin</string>
	</dict>
	<key>StandardOutPath</key>
	<string>{state}/daemon.log</string>
	<key>StandardErrorPath</key>
	<string>{state}/daemon.log</string>
</dict>
</plist>
"#,
        state = xml(&state),
    )
}

/// One crontab line per scheduled playbook.
pub fn crontab(paths: &[PathBuf], state: Option<&Path>) -> crate::error::Result<String> {
    let runner = runner_path();
    let (files, errors) = discover::playbook_files(paths);
    if let Some(error) = errors.into_iter().next() {
        return Err(error);
    }
    let (reports, _) = super::validate::validate_files(&files, &LoadOptions::default());
    let mut out = String::from(
        "# runner: one line per scheduled playbook (`crontab -e`, paste these).\n# cron has no memory of missed fires and no overlap lock beyond runner's own: the daemon\n# (`runner export systemd` or `launchd`) is the safer choice.\n",
    );
    if let Some(state) = state {
        out.push_str(&format!("RUNNER_STATE={}\n", quote(state)));
    }
    let mut zoned: Vec<(String, String)> = Vec::new();
    for report in reports {
        let path = absolute(&report.path);
        let Some(playbook) = report.playbook.as_ref().filter(|_| !report.has_errors()) else {
            out.push_str(&format!(
                "# {}: invalid, not exported (run `runner validate {}`)\n",
                path.display(),
                path.display()
            ));
            continue;
        };
        let Some(schedule) = &playbook.schedule else {
            out.push_str(&format!("# {}: no schedule\n", playbook.name));
            continue;
        };
        let cron = schedule.cron.as_str().trim();
        let fields = cron.split_whitespace().count();
        if !cron.starts_with('@') && fields == 6 {
            out.push_str(&format!(
                "# {}: `{cron}` has a seconds field, which cron cannot express; use the daemon\n",
                playbook.name
            ));
            continue;
        }
        let line = format!("{cron} {} run {} >/dev/null 2>&1\n", quote(&runner), quote(&path));
        match &schedule.timezone {
            Some(zone) => zoned.push((zone.to_string(), line)),
            None => out.push_str(&line),
        }
    }
    // `CRON_TZ=` holds for every line after it, so the playbooks in the machine's own zone
    // come first and each zone's lines follow their own `CRON_TZ` (a cron that does not
    // know `CRON_TZ` runs every line in the machine's zone).
    zoned.sort_by(|a, b| a.0.cmp(&b.0));
    let mut current: Option<&str> = None;
    for (zone, line) in &zoned {
        if current != Some(zone.as_str()) {
            out.push_str(&format!("CRON_TZ={zone}\n"));
            current = Some(zone.as_str());
        }
        out.push_str(line);
    }
    Ok(out)
}
