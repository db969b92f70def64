//! The launchd export: a LaunchAgent running the daemon (launchd.plist(5)).
//!
//! `KeepAlive {SuccessfulExit: false}`: launchd starts it again when it fails, not when it
//! stopped cleanly (an unload). `ExitTimeOut` is longer than the daemon's shutdown grace,
//! so launchd waits for the daemon to end late runs and record them before SIGKILL (its
//! default, 20 s, is shorter). The state folder is the one a manual `runner run` by the
//! same user uses, so alert state and locks stay shared. Never StartInterval.

use super::Export;

/// XML text: the three characters that cannot appear as themselves.
fn xml(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A LaunchAgent running the daemon, restarted when it fails. A path with a control
/// character is refused: XML 1.0 has no way to write one.
pub fn launchd(export: &Export) -> crate::error::Result<String> {
    export.playbooks()?;
    let mut arguments = vec![export.runner.display().to_string()];
    arguments.extend(export.daemon_arguments());
    let state = export.state.clone().unwrap_or_else(|| super::absolute(&super::super::run::state_dir(None)));
    let state = state.display().to_string();
    for text in arguments.iter().chain([&state]) {
        super::refuse_control_characters(text, "a plist")?;
    }
    let arguments: String = arguments.iter().map(|a| format!("\t\t<string>{}</string>\n", xml(a))).collect();
    let state = xml(&state);
    Ok(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- runner daemon: every playbook on its schedule. Save as
     ~/Library/LaunchAgents/dev.runner.daemon.plist, create the state folder
     (RUNNER_STATE below: launchd opens the log in it), then
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
	<dict>
		<key>SuccessfulExit</key>
		<false/>
	</dict>
	<key>ExitTimeOut</key>
	<integer>{exit_timeout}</integer>
	<key>ProcessType</key>
	<string>Background</string>
	<key>EnvironmentVariables</key>
	<dict>
		<key>RUNNER_STATE</key>
		<string>{state}</string>
		<key>PATH</key>
		<string>/opt/homebrew/bin:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin</string>
	</dict>
	<key>StandardOutPath</key>
	<string>{state}/daemon.log</string>
	<key>StandardErrorPath</key>
	<string>{state}/daemon.log</string>
</dict>
</plist>
"#,
        exit_timeout = super::STOP_TIMEOUT.as_secs(),
    ))
}
