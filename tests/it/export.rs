//! `runner export` checked by the real tools that read each file: Debian's cron runs the
//! crontab line (and `runner tick` behind it), `systemd-analyze verify` and `security
//! --offline` read the unit, Python's plistlib reads the plist (against launchd.plist(5)).
//! `runner tick` against a real store, lock and clock; its DST and timezone rules are
//! tested on the planner's controlled clock in src/schedule/tick.rs.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Output, Test, runner_bin};

/// A valid playbook with a schedule every export can write.
const DAILY: &str = "version: 1\nname: daily\nschedule: \"0 2 * * *\"\nchecks: [{id: a, manual: {instructions: x}}]\n";

/// A playbook fired every minute whose check fails (CRITICAL).
fn every_minute(name: &str, zone: &str) -> String {
    format!(
        "version: 1\nname: {name}\nschedule: {{cron: \"* * * * *\", timezone: {zone}}}\nchecks:\n  - id: c\n    command: {{shell: 'exit 2'}}\n"
    )
}

fn sqlite(state: &Path, sql: &str) -> String {
    // A tick that cron started may still be committing: wait for its lock as runner does.
    let output = Command::new("sqlite3")
        .args(["-cmd", ".timeout 10000"])
        .arg(state.join("runner.db"))
        .arg(sql)
        .output()
        .expect("sqlite3 is installed");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Runs a command and returns its output, whatever its exit code.
fn output(command: &mut Command) -> std::process::Output {
    command.output().unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

/// Runs `binary` (a link to runner) with `args` in `dir`.
fn run_linked(binary: &Path, dir: &Path, args: &[&str]) -> Output {
    let started = Instant::now();
    let out = output(Command::new(binary).args(args).current_dir(dir).env_remove("RUNNER_STATE"));
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: started.elapsed(),
    }
}

/// Starts `runner tick p` on `state` in the background (its log piped).
fn spawn_tick(test: &Test, state: &Path) -> Child {
    Command::new(runner_bin())
        .current_dir(test.root())
        .args(["--state", state.to_str().unwrap(), "tick", "p"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

// ---------------------------------------------------------------------------------------
// runner tick

#[test]
fn tick_counts_from_its_first_call_then_catches_up_once_and_exits_0_on_a_failing_check() {
    let test = Test::new().file("p/every.yaml", &every_minute("every", "UTC"));
    let state = test.path("state");
    let first = test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.contains("first tick"), "{}", first.stderr);
    assert_eq!(sqlite(&state, "SELECT count(*) FROM runs"), "0", "nothing from before the first tick runs");
    // Ten minutes without a tick (cron was down): one catch-up run standing for the
    // fires since, CRITICAL, and still exit 0 (failures are alerts, not cron mail).
    sqlite(&state, "UPDATE schedule_state SET last_fire_ms = (last_fire_ms / 60000 - 10) * 60000");
    let second = test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert_eq!(sqlite(&state, "SELECT status, origin, stands_for FROM runs"), "critical|daemon|10");
    // The same minute again: nothing is due twice.
    let third = test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]);
    assert_eq!(third.code, 0, "{}", third.stderr);
    assert_eq!(sqlite(&state, "SELECT count(*) FROM runs"), "1");
    assert!(third.stderr.is_empty(), "a tick with nothing to do prints nothing: {}", third.stderr);
}

#[test]
fn a_tick_while_the_playbook_still_runs_records_an_overlap_miss_and_exits_quietly() {
    let test = Test::new().file("p/every.yaml", &every_minute("every", "UTC"));
    let state = test.path("state");
    assert_eq!(test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]).code, 0);
    sqlite(&state, "UPDATE schedule_state SET last_fire_ms = (last_fire_ms / 60000 - 1) * 60000");
    // The previous minute's tick (or a manual run) holds the playbook's lock.
    std::fs::create_dir_all(state.join("locks")).unwrap();
    let lock = std::fs::File::create(state.join("locks/every.lock")).unwrap();
    lock.try_lock().unwrap();
    let tick = test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]);
    assert_eq!(tick.code, 0, "{}", tick.stderr);
    assert!(tick.elapsed < Duration::from_secs(5), "tick waited for the lock: {:?}", tick.elapsed);
    assert_eq!(sqlite(&state, "SELECT count(*) FROM runs"), "0");
    assert_eq!(sqlite(&state, "SELECT reason FROM misses"), "overlap");
    drop(lock);
}

#[test]
fn with_overlap_queue_one_tick_waits_for_the_running_one_and_a_second_is_a_miss() {
    let playbook = every_minute("queued", "UTC").replace("timezone: UTC", "timezone: UTC, overlap: queue");
    let test = Test::new().file("p/queued.yaml", &playbook);
    let state = test.path("state");
    let tick = |test: &Test| spawn_tick(test, &state);
    let back_one_minute = "UPDATE schedule_state SET last_fire_ms = (last_fire_ms / 60000 - 1) * 60000";
    assert!(tick(&test).wait().unwrap().success());
    sqlite(&state, back_one_minute);
    std::fs::create_dir_all(state.join("locks")).unwrap();
    let lock = std::fs::File::create(state.join("locks/queued.lock")).unwrap();
    lock.try_lock().unwrap();
    let waiting = tick(&test);
    // The waiting tick holds the queue place.
    let place = state.join("locks/queue/queued.lock");
    let started = Instant::now();
    while !std::fs::File::open(&place).is_ok_and(|f| f.try_lock().is_err()) {
        assert!(started.elapsed() < Duration::from_secs(10), "no tick took the queue place");
        std::thread::sleep(Duration::from_millis(50));
    }
    // The next minute's tick finds the place taken: a recorded miss, and it exits.
    sqlite(&state, back_one_minute);
    let second = tick(&test).wait_with_output().unwrap();
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert_eq!(sqlite(&state, "SELECT reason FROM misses"), "overlap");
    assert_eq!(sqlite(&state, "SELECT count(*) FROM runs"), "0");
    // The run in progress ends: the waiting tick runs.
    drop(lock);
    let waited = waiting.wait_with_output().unwrap();
    assert!(waited.status.success(), "{}", String::from_utf8_lossy(&waited.stderr));
    assert_eq!(sqlite(&state, "SELECT count(*) FROM runs"), "1");
}

#[test]
fn sigterm_ends_a_tick_with_the_process_groups_of_its_runs() {
    let playbook = every_minute("slow", "UTC").replace("exit 2", "sleep 30.32");
    let test = Test::new().file("p/slow.yaml", &playbook);
    let state = test.path("state");
    assert_eq!(test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]).code, 0);
    sqlite(&state, "UPDATE schedule_state SET last_fire_ms = (last_fire_ms / 60000 - 1) * 60000");
    let tick = Command::new(runner_bin())
        .current_dir(test.root())
        .args(["--state", state.to_str().unwrap(), "tick", "p"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let sleeping = || output(Command::new("pgrep").args(["-f", "^sleep 30.32$"])).status.success();
    let started = Instant::now();
    while !sleeping() {
        assert!(started.elapsed() < Duration::from_secs(10), "the run never started");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(output(Command::new("kill").args(["-TERM", &tick.id().to_string()])).status.success());
    let ended = tick.wait_with_output().unwrap();
    assert_eq!(ended.status.code(), Some(143), "{}", String::from_utf8_lossy(&ended.stderr));
    std::thread::sleep(Duration::from_millis(200));
    assert!(!sleeping(), "the run's process outlived the tick");
}

#[test]
fn a_tick_with_nothing_due_touches_no_lock_so_a_manual_run_then_is_never_refused() {
    let test = Test::new().file("p/every.yaml", &every_minute("every", "UTC"));
    let state = test.path("state");
    for _ in 0..2 {
        let tick = test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]);
        assert_eq!(tick.code, 0, "{}", tick.stderr);
    }
    // Neither the first tick nor the one with nothing due took the lock (taking it
    // creates the file and writes the taker's pid).
    assert!(!state.join("locks/every.lock").exists(), "a tick that runs nothing took the run lock");
    assert_eq!(sqlite(&state, "SELECT count(*) FROM misses"), "0");
}

#[test]
fn two_ticks_at_the_same_minute_run_the_due_fire_exactly_once_and_miss_nothing() {
    let test = Test::new().file("p/every.yaml", &every_minute("every", "UTC"));
    let state = test.path("state");
    assert_eq!(test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]).code, 0);
    let tick = || spawn_tick(&test, &state);
    let rounds = 8;
    for _ in 0..rounds {
        sqlite(&state, "UPDATE schedule_state SET last_fire_ms = (last_fire_ms / 60000 - 1) * 60000");
        let (first, second) = (tick(), tick());
        for ended in [first.wait_with_output().unwrap(), second.wait_with_output().unwrap()] {
            assert!(ended.status.success(), "{}", String::from_utf8_lossy(&ended.stderr));
        }
    }
    // Deciding takes no lock: the tick that lost the compare-and-set never made the
    // winner see a run in progress.
    assert_eq!(sqlite(&state, "SELECT count(*) FROM misses"), "0");
    assert_eq!(sqlite(&state, "SELECT count(*) FROM runs"), rounds.to_string());
}

#[test]
fn tick_runs_the_valid_playbooks_and_says_which_is_invalid_with_exit_65() {
    let test = Test::new()
        .file("p/every.yaml", &every_minute("every", "UTC"))
        .file("p/broken.yaml", "version: 1\nname: broken\nschedule: \"* * * * *\"\nchecks: 3\n");
    let state = test.path("state");
    let tick = test.run_args(&["--state", state.to_str().unwrap(), "tick", "p"]);
    assert_eq!(tick.code, 65, "{}", tick.stderr);
    assert!(tick.stderr.contains("broken.yaml"), "{}", tick.stderr);
    assert_eq!(sqlite(&state, "SELECT playbook FROM schedule_state"), "every");
}

// ---------------------------------------------------------------------------------------
// crontab

#[test]
fn the_crontab_export_is_one_minute_line_calling_tick_with_percent_escaped_and_a_log() {
    let test = Test::new()
        .file("p%d/berlin.yaml", "version: 1\nname: berlin\nschedule: {cron: \"30 2 * * *\", timezone: Europe/Berlin}\nchecks: [{id: a, manual: {instructions: x}}]\n")
        .file("p%d/last-day.yaml", "version: 1\nname: last-day\nschedule: \"0 9 L * *\"\nchecks: [{id: a, manual: {instructions: x}}]\n");
    let state = test.path("st%n");
    let crontab = test.run_args(&["--state", state.to_str().unwrap(), "export", "crontab", "p%d"]);
    assert_eq!(crontab.code, 0, "{}", crontab.stderr);
    let text = crontab.stdout;
    assert!(!text.contains("CRON_TZ"), "no CRON_TZ: tick fires each playbook in its zone\n{text}");
    let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#') && !l.contains('=')).collect();
    assert_eq!(lines.len(), 1, "one line\n{text}");
    let line = lines[0];
    assert!(line.starts_with("* * * * * "), "{line}");
    assert!(line.contains(" tick "), "{line}");
    // Every `%` escaped (an unescaped one ends cron's command); the state is carried; the
    // output goes to a log in the state folder.
    assert!(!line.replace("\\%", "").contains('%'), "{line}");
    assert!(line.contains(&format!("--state '{}'", state.display().to_string().replace('%', "\\%"))), "{line}");
    assert!(line.contains("p\\%d'"), "{line}");
    assert!(line.ends_with("/tick.log' 2>&1"), "{line}");
    assert!(!text.contains("/dev/null"), "{text}");
    assert!(text.contains("#   berlin: 30 2 * * * (Europe/Berlin)"), "{text}");
    assert!(text.contains("#   last-day: 0 9 L * *"), "{text}");
}

#[test]
fn the_crontab_export_refuses_a_seconds_schedule_and_points_at_the_daemon() {
    let test = Test::new().file(
        "p/fast.yaml",
        "version: 1\nname: fast\nschedule: \"*/10 * * * * *\"\nchecks: [{id: a, manual: {instructions: x}}]\n",
    );
    let crontab = test.run_args(&["export", "crontab", "p"]);
    assert_eq!(crontab.code, 65, "{}", crontab.stdout);
    assert!(crontab.stdout.is_empty());
    assert!(
        crontab.stderr.contains("seconds field") && crontab.stderr.contains("runner export systemd"),
        "{}",
        crontab.stderr
    );
}

#[test]
fn a_crontab_too_long_for_one_cron_line_is_split_into_lines_crontab_installs() {
    let folder = "f".repeat(160);
    let mut test = Test::new();
    let mut files = Vec::new();
    for n in 0..12 {
        let file = format!("{folder}/every-{n}.yaml");
        test = test.file(&file, &every_minute(&format!("every-{n}"), "UTC"));
        files.push(file);
    }
    let mut args = vec!["export", "crontab"];
    args.extend(files.iter().map(String::as_str));
    let exported = test.run_args(&args);
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    let lines: Vec<&str> = exported.stdout.lines().filter(|l| l.starts_with("* * * * * ")).collect();
    assert!(lines.len() > 1, "{}", exported.stdout);
    for file in &files {
        let named = lines.iter().filter(|l| l.contains(&format!("/{file}'"))).count();
        assert_eq!(named, 1, "{file} on exactly one line\n{}", exported.stdout);
    }
    std::fs::write(test.path("crontab"), &exported.stdout).unwrap();
    let serial = std::fs::File::create(std::env::temp_dir().join("runner-nobody-crontab-test.lock")).unwrap();
    serial.lock().unwrap();
    let installed = output(Command::new("crontab").args(["-u", "nobody"]).arg(test.path("crontab")));
    let _ = output(Command::new("crontab").args(["-u", "nobody", "-r"]));
    assert!(installed.status.success(), "{}\n{}", String::from_utf8_lossy(&installed.stderr), exported.stdout);
    // The folder passed as one word: one line.
    let by_folder = test.run_args(&["export", "crontab", &folder]);
    assert_eq!(by_folder.stdout.lines().filter(|l| l.starts_with("* * * * * ")).count(), 1, "{}", by_folder.stdout);
}

#[test]
fn a_crontab_path_too_long_for_any_cron_line_is_refused_with_a_sentence() {
    let test = Test::new().file("p/daily.yaml", DAILY);
    let state = test.path(&["s".repeat(200), "t".repeat(200)].join("/"));
    let exported = test.run_args(&["--state", state.to_str().unwrap(), "export", "crontab", "p"]);
    assert_eq!(exported.code, 65, "{}", exported.stdout);
    assert!(exported.stdout.is_empty(), "{}", exported.stdout);
    assert!(exported.stderr.contains("cron takes at most 998"), "{}", exported.stderr);
}

/// Serialises the real-cron test across processes (other checkouts run it on this
/// machine too), and puts root's crontab back as it was, whatever happens.
struct RootCrontab {
    _serial: std::fs::File,
    saved: Option<Vec<u8>>,
    cron: Option<Child>,
}

impl RootCrontab {
    fn take() -> RootCrontab {
        let serial = std::fs::File::create(std::env::temp_dir().join("runner-real-cron-test.lock")).unwrap();
        serial.lock().unwrap();
        let listed = output(Command::new("crontab").args(["-l", "-u", "root"]));
        RootCrontab { _serial: serial, saved: listed.status.success().then_some(listed.stdout), cron: None }
    }

    #[expect(clippy::unused_self, reason = "only the holder of the taken crontab may install one")]
    fn install(&self, file: &Path) {
        let installed = output(Command::new("crontab").args(["-u", "root"]).arg(file));
        assert!(
            installed.status.success(),
            "crontab refused the export: {}",
            String::from_utf8_lossy(&installed.stderr)
        );
    }

    /// Starts Debian's cron in the foreground. When one already runs, the new one exits at
    /// once ("cron already running") and the running one reads the crontab.
    fn start_cron(&mut self) {
        let mut child = Command::new("cron")
            .args(["-f", "-L", "15"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cron is installed (tests/run installs it)");
        std::thread::sleep(Duration::from_millis(500));
        if child.try_wait().unwrap().is_none() {
            self.cron = Some(child);
        }
    }
}

impl Drop for RootCrontab {
    fn drop(&mut self) {
        match &self.saved {
            Some(saved) => {
                let mut restore =
                    Command::new("crontab").args(["-u", "root", "-"]).stdin(Stdio::piped()).spawn().unwrap();
                restore.stdin.take().unwrap().write_all(saved).unwrap();
                let _ = restore.wait();
            }
            None => {
                let _ = Command::new("crontab").args(["-r", "-u", "root"]).output();
            }
        }
        if let Some(mut cron) = self.cron.take() {
            let _ = cron.kill();
            let _ = cron.wait();
        }
    }
}

#[test]
fn real_cron_installs_the_crontab_export_and_its_minute_line_runs_tick() {
    // A folder and a state folder with `%` in their names: cron must pass them through.
    let test = Test::new().file("p%d/every.yaml", &every_minute("every", "Asia/Tokyo"));
    let state = test.path("st%n");
    let exported = test.run_args(&["--state", state.to_str().unwrap(), "export", "crontab", "p%d"]);
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    std::fs::write(test.path("crontab"), &exported.stdout).unwrap();
    let mut root = RootCrontab::take();
    root.install(&test.path("crontab"));
    root.start_cron();
    // cron reads a changed crontab at its next minute and runs the line then; two minute
    // boundaries bound the wait.
    let log = state.join("tick.log");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(130) {
        if std::fs::read_to_string(&log).is_ok_and(|l| l.contains("first tick")) {
            break;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    drop(root);
    let text = std::fs::read_to_string(&log).unwrap_or_else(|_| panic!("cron never ran the line\n{}", exported.stdout));
    assert!(text.contains("first tick") && text.contains("every"), "{text}");
    assert_eq!(sqlite(&state, "SELECT playbook FROM schedule_state"), "every");
}

// ---------------------------------------------------------------------------------------
// systemd

/// The runner binary, hard-linked into `dir` (so that the exported ExecStart names a path
/// with `%` in it); a copy where links cannot be made.
fn runner_in(dir: &Path) -> PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    let binary = dir.join("runner");
    if std::fs::hard_link(runner_bin(), &binary).is_err() {
        std::fs::copy(runner_bin(), &binary).unwrap();
    }
    binary
}

#[test]
fn the_systemd_unit_for_a_folder_named_with_percent_verifies_and_means_that_path() {
    let test = Test::new().file(
        "p%d/daily.yaml",
        "version: 1\nname: daily\nschedule: \"0 2 * * *\"\nreport: {path: \"out%h/{{ run.id }}.md\"}\nchecks: [{id: a, manual: {instructions: x}}]\n",
    );
    let binary = runner_in(&test.path("bin%d"));
    let state = test.path("st%n");
    let unit = run_linked(&binary, test.root(), &["--state", state.to_str().unwrap(), "export", "systemd", "p%d"]);
    assert_eq!(unit.code, 0, "{}", unit.stderr);
    let root = test.root().display().to_string().replace('%', "%%");
    // `systemd-analyze verify` checks that ExecStart's binary exists: an unescaped `%d`
    // would name the credentials folder instead.
    assert!(unit.stdout.contains(&format!("ExecStart={root}/bin%%d/runner daemon {root}/p%%d ")), "{}", unit.stdout);
    assert!(unit.stdout.contains(&format!("Environment=RUNNER_STATE={root}/st%%n\n")), "{}", unit.stdout);
    assert!(unit.stdout.contains(&format!("ReadWritePaths={root}/st%%n\n")), "{}", unit.stdout);
    assert!(
        unit.stdout.contains(&format!("ReadWritePaths={root}/p%%d/out%%h\n")),
        "the report folder\n{}",
        unit.stdout
    );
    for line in [
        "Type=notify",
        "WatchdogSec=",
        "Restart=on-failure",
        "ExecReload=/bin/kill -HUP $MAINPID",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "--shutdown-grace 30s",
        "TimeoutStopSec=45s",
    ] {
        assert!(unit.stdout.contains(line), "{line}\n{}", unit.stdout);
    }
    for off in ["# ProtectHome=", "# PrivateTmp=", "# MemoryDenyWriteExecute="] {
        assert!(unit.stdout.contains(off), "shipped commented out with its reason: {off}");
    }
    let file = test.path("runner.service");
    std::fs::write(&file, &unit.stdout).unwrap();
    let verify = output(Command::new("systemd-analyze").arg("verify").arg(&file));
    assert!(verify.status.success(), "{}\n{}", unit.stdout, String::from_utf8_lossy(&verify.stderr));
    let security = output(Command::new("systemd-analyze").args(["security", "--offline=true"]).arg(&file));
    let report = String::from_utf8_lossy(&security.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|l| l.split("Overall exposure level for runner.service: ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|score| score.parse().ok())
        .unwrap_or_else(|| panic!("no exposure score:\n{report}{}", String::from_utf8_lossy(&security.stderr)));
    // Measured 4.4 ("OK"); the unit runs as root on purpose (README).
    assert!(exposure <= 4.5, "exposure {exposure}\n{report}");
}

#[test]
fn the_systemd_export_refuses_a_runner_binary_path_that_systemd_cannot_run() {
    let test = Test::new().file("p/daily.yaml", DAILY);
    for folder in ["b_dol$X", "b_dq\"X", "b_sq'X", "b_bs\\X"] {
        let binary = runner_in(&test.path(folder));
        let unit = run_linked(&binary, test.root(), &["export", "systemd", "p"]);
        assert_eq!(unit.code, 65, "{folder}: {}\n{}", unit.stderr, unit.stdout);
        assert!(unit.stdout.is_empty(), "{folder}: {}", unit.stdout);
        assert!(unit.stderr.contains("systemd does not accept"), "{folder}: {}", unit.stderr);
    }
}

// ---------------------------------------------------------------------------------------
// launchd

#[test]
fn the_launchd_plist_is_a_plist_with_the_types_launchd_plist_5_gives() {
    let test = Test::new().file(
        "p/weekly.yaml",
        "version: 1\nname: weekly\nschedule: \"@weekly\"\nchecks: [{id: a, manual: {instructions: x}}]\n",
    );
    let state = test.path("state & <more>");
    let plist = test.run_args(&["--state", state.to_str().unwrap(), "export", "launchd", "p"]);
    assert_eq!(plist.code, 0, "{}", plist.stderr);
    // launchd.plist(5): each key this export uses, with the type the manual gives it;
    // any other key is a mistake.
    let check = r#"
import json, plistlib, sys
p = plistlib.loads(sys.stdin.buffer.read())
types = {"Label": str, "ProgramArguments": list, "RunAtLoad": bool, "KeepAlive": dict,
         "ExitTimeOut": int, "ProcessType": str, "EnvironmentVariables": dict,
         "StandardOutPath": str, "StandardErrorPath": str}
for key, value in p.items():
    assert key in types, f"unknown key {key}"
    assert type(value) is types[key], f"{key}: {type(value).__name__}"
assert all(type(a) is str for a in p["ProgramArguments"])
assert all(type(v) is str for v in p["EnvironmentVariables"].values())
assert p["ProcessType"] in ("Background", "Standard", "Adaptive", "Interactive")
assert set(p["KeepAlive"]) <= {"SuccessfulExit", "NetworkState", "PathState", "OtherJobEnabled", "Crashed"}
print(json.dumps(p))
"#;
    let mut python = Command::new("python3")
        .args(["-c", check])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    python.stdin.take().unwrap().write_all(plist.stdout.as_bytes()).unwrap();
    let parsed = python.wait_with_output().unwrap();
    assert!(parsed.status.success(), "{}\n{}", String::from_utf8_lossy(&parsed.stderr), plist.stdout);
    let plist: serde_json::Value = serde_json::from_slice(&parsed.stdout).unwrap();
    assert_eq!(plist["KeepAlive"], serde_json::json!({"SuccessfulExit": false}));
    assert!(plist.get("StartInterval").is_none(), "never StartInterval");
    let arguments: Vec<&str> =
        plist["ProgramArguments"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
    assert_eq!(arguments[1], "daemon");
    let grace = arguments.iter().position(|a| *a == "--shutdown-grace").map(|i| arguments[i + 1]);
    assert_eq!(grace, Some("30s"));
    assert!(plist["ExitTimeOut"].as_i64().unwrap() > 30, "ExitTimeOut must outlast the shutdown grace");
    // The same state folder as a manual `runner run --state …`.
    assert_eq!(plist["EnvironmentVariables"]["RUNNER_STATE"], state.display().to_string());
}

#[test]
fn the_launchd_export_refuses_a_control_character_that_xml_cannot_carry() {
    let test = Test::new().file("p/daily.yaml", DAILY).file("ctl\u{1}p/daily.yaml", DAILY);
    let state = test.path("ctl\u{1}x");
    for args in
        [vec!["--state", state.to_str().unwrap(), "export", "launchd", "p"], vec!["export", "launchd", "ctl\u{1}p"]]
    {
        let plist = test.run_args(&args);
        assert_eq!(plist.code, 65, "{args:?}: {}\n{}", plist.stderr, plist.stdout);
        assert!(plist.stdout.is_empty(), "{}", plist.stdout);
        assert!(plist.stderr.contains("control characters"), "{}", plist.stderr);
    }
}

// ---------------------------------------------------------------------------------------
// every export

#[test]
fn every_export_of_an_invalid_playbook_is_refused_with_its_diagnostics() {
    // A seconds schedule (crontab's own refusal needs a valid playbook) and a check with
    // no kind.
    let test = Test::new()
        .file("p/daily.yaml", DAILY)
        .file("p/broken.yaml", "version: 1\nname: broken\nschedule: \"*/10 * * * * *\"\nchecks: [{id: a}]\n");
    for target in ["crontab", "systemd", "launchd"] {
        let export = test.run_args(&["export", target, "p"]);
        assert_eq!(export.code, 65, "{target}: {}\n{}", export.stderr, export.stdout);
        assert!(export.stdout.is_empty(), "{target}: {}", export.stdout);
        assert!(export.stderr.contains("broken.yaml"), "{target}: {}", export.stderr);
        assert!(export.stderr.contains("error"), "{target}: the diagnostics\n{}", export.stderr);
    }
}

#[test]
fn every_export_refuses_a_folder_name_that_is_not_utf8_rather_than_write_another_path() {
    use std::os::unix::ffi::OsStrExt;
    let test = Test::new();
    let folder = test.root().join(std::ffi::OsStr::from_bytes(b"p\xff"));
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("daily.yaml"), DAILY).unwrap();
    for target in ["crontab", "systemd", "launchd"] {
        let export = output(
            Command::new(runner_bin())
                .args(["export", target])
                .arg(&folder)
                .current_dir(test.root())
                .env_remove("RUNNER_STATE"),
        );
        let (stdout, stderr) = (String::from_utf8_lossy(&export.stdout), String::from_utf8_lossy(&export.stderr));
        assert_eq!(export.status.code(), Some(65), "{target}: {stderr}\n{stdout}");
        assert!(stdout.is_empty(), "{target}: {stdout}");
        assert!(stderr.contains("not valid UTF-8"), "{target}: {stderr}");
    }
}

#[test]
fn the_crontab_line_keeps_the_state_private_under_crons_umask() {
    use std::os::unix::fs::PermissionsExt;
    let test = Test::new().file("p/daily.yaml", DAILY);
    let state = test.path("fresh/state");
    let crontab = test.run_args(&["--state", state.to_str().unwrap(), "export", "crontab", "p"]);
    assert_eq!(crontab.code, 0, "{}", crontab.stderr);
    let line = crontab.stdout.lines().find(|l| l.starts_with("* * * * * ")).unwrap();
    let command = line.strip_prefix("* * * * * ").unwrap();
    assert!(command.starts_with("umask 077;"), "{line}");
    // As cron runs it: sh, umask 022 (no `%` in these paths, so nothing for cron to undo).
    let ran = output(Command::new("sh").arg("-c").arg(format!("umask 022; {command}")).current_dir(test.root()));
    assert!(ran.status.success(), "{line}\n{}", String::from_utf8_lossy(&ran.stderr));
    let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&state), 0o700, "the state folder");
    assert_eq!(mode(&state.join("tick.log")), 0o600, "tick.log");
    let log = std::fs::read_to_string(state.join("tick.log")).unwrap();
    assert!(!log.contains("open to others"), "{log}");
}

#[test]
fn the_systemd_unit_makes_its_state_directory_private_and_verifies() {
    let test = Test::new().file("p/daily.yaml", DAILY);
    // No --state and no RUNNER_STATE: the unit's own /var/lib/runner.
    let unit = run_linked(&runner_bin(), test.root(), &["export", "systemd", "p"]);
    assert_eq!(unit.code, 0, "{}", unit.stderr);
    assert!(unit.stdout.contains("StateDirectory=runner\nStateDirectoryMode=0700\n"), "{}", unit.stdout);
    let file = test.path("runner.service");
    std::fs::write(&file, &unit.stdout).unwrap();
    let verify = output(Command::new("systemd-analyze").arg("verify").arg(&file));
    assert!(verify.status.success(), "{}\n{}", unit.stdout, String::from_utf8_lossy(&verify.stderr));
}

#[test]
fn the_crontab_line_reads_the_env_file_and_names_the_variables_the_playbooks_need() {
    // Set where the export runs (the export loads the playbook), not where cron runs it.
    let test = Test::new().env("X_TEST_SECRET", "s3cret").file(
        "p/secret.yaml",
        "version: 1\nname: secret\nschedule: \"0 2 * * *\"\nchecks: [{id: a, manual: {instructions: \"${X_TEST_SECRET} ${X_TEST_HOST:-h} $${X_TEST_LITERAL}\"}}]\n",
    );
    let state = test.path("state");
    let crontab = test.run_args(&["--state", state.to_str().unwrap(), "export", "crontab", "p"]);
    assert_eq!(crontab.code, 0, "{}", crontab.stderr);
    assert!(crontab.stdout.contains("\n# needs in /etc/runner/env: X_TEST_SECRET\n"), "{}", crontab.stdout);
    let command = crontab.stdout.lines().find_map(|l| l.strip_prefix("* * * * * ")).unwrap();
    assert!(
        command.starts_with("umask 077; set -a; [ -r /etc/runner/env ] && . /etc/runner/env; set +a; mkdir -p "),
        "{command}"
    );
    // Run as cron does (an empty environment), with the env file's path pointed into the test.
    let env_file = test.path("env");
    let command = command.replace("/etc/runner/env", env_file.to_str().unwrap());
    let tick = || output(Command::new("env").args(["-i", "PATH=/usr/bin:/bin", "sh", "-c", &command]));
    assert_eq!(tick().status.code(), Some(65), "no env file: the playbook cannot load");
    std::fs::write(&env_file, "X_TEST_SECRET=s3cret\n").unwrap();
    let ran = tick();
    let log = std::fs::read_to_string(state.join("tick.log")).unwrap();
    assert_eq!(ran.status.code(), Some(0), "{command}\n{log}");
}

#[test]
fn a_fleet_export_carries_the_store_and_host_id_and_never_a_store_password() {
    let test = Test::new().file("p/daily.yaml", DAILY);
    let open_url = "postgres://runner@db.internal:5432/runner";
    let unit =
        run_linked(&runner_bin(), test.root(), &["--store", open_url, "--host-id", "web-1", "export", "systemd", "p"]);
    assert_eq!(unit.code, 0, "{}", unit.stderr);
    assert!(unit.stdout.contains(&format!("Environment=RUNNER_STORE={open_url}\n")), "{}", unit.stdout);
    assert!(unit.stdout.contains("Environment=RUNNER_HOST_ID=web-1\n"), "{}", unit.stdout);
    let file = test.path("runner.service");
    std::fs::write(&file, &unit.stdout).unwrap();
    let verify = output(Command::new("systemd-analyze").arg("verify").arg(&file));
    assert!(verify.status.success(), "{}\n{}", unit.stdout, String::from_utf8_lossy(&verify.stderr));

    // A URL with a password goes in the environment file, which the unit and the crontab
    // line read: neither shows it.
    let secret_url = "postgres://runner:Fleet-pw-8812@db.internal/runner";
    for target in ["systemd", "crontab"] {
        let out = run_linked(
            &runner_bin(),
            test.root(),
            &["--store", secret_url, "--host-id", "web-1", "export", target, "p"],
        );
        assert_eq!(out.code, 0, "{target}: {}", out.stderr);
        assert!(
            !out.stdout.contains("Fleet-pw-8812") && !out.stderr.contains("Fleet-pw-8812"),
            "{target}: {}",
            out.stdout
        );
        assert!(out.stdout.contains("put RUNNER_STORE=<its URL> in /etc/runner/env"), "{target}: {}", out.stdout);
        assert!(out.stdout.contains("web-1"), "{target}: {}", out.stdout);
    }
    let crontab =
        run_linked(&runner_bin(), test.root(), &["--store", open_url, "--host-id", "web-1", "export", "crontab", "p"]);
    assert!(crontab.stdout.contains(&format!("--store '{open_url}' --host-id 'web-1' tick")), "{}", crontab.stdout);
}
