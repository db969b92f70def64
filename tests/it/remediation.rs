//! Remediation against a real service: a small HTTP server process (python3 -m
//! http.server) that the tests start and kill; the guard, dry runs, a hanging action,
//! the one-at-a-time lock, runner's own restarts, and the crash-loop example with a real
//! pm2.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::http::{Reply, Server};
use crate::support::redis::free_port;
use crate::support::{Test, repo};

/// Starts the service in the background the way an operator's script would, writing its
/// pid to `server.pid`.
fn start_service_command(port: u16) -> String {
    format!("nohup python3 -m http.server {port} --bind 127.0.0.1 >/dev/null 2>&1 & echo $! > server.pid")
}

fn kill_service(test: &Test) {
    if let Ok(pid) = std::fs::read_to_string(test.path("server.pid")) {
        let _ = Command::new("kill").arg(pid.trim()).status();
        std::thread::sleep(Duration::from_millis(200));
    }
}

fn playbook(port: u16, hook: Option<&str>, remediate: &str) -> String {
    let notify =
        hook.map(|url| format!("notify:\n  - id: hook\n    webhook: {{url: \"{url}\"}}\n")).unwrap_or_default();
    format!(
        r#"version: 1
name: web
checks:
  - id: site
    timeout: 2s
    http: {{url: "http://127.0.0.1:{port}/"}}
    remediate:
{remediate}
{notify}"#
    )
}

fn json(output: &crate::support::Output) -> serde_json::Value {
    serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr))
}

#[test]
fn a_dead_service_is_started_again_verified_and_audited() {
    let port = free_port();
    let remediate =
        format!("      actions:\n        - shell: \"{}\"\n      settle: 1500ms\n", start_service_command(port));
    let test = Test::new().file("p.yaml", &playbook(port, None, &remediate));
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    let result = json(&output);
    kill_service(&test);
    assert_eq!(output.code, 0, "fixed and verified is OK: {}", output.stdout);
    let site = &result["checks"][0];
    assert_eq!(site["status"], "ok");
    assert_eq!(site["remediation"]["result"], "fixed");
    assert_eq!(site["remediation"]["attempt"], 1);
    assert!(site["remediation"]["message"].as_str().unwrap().contains("verified OK (attempt 1 of 3 within 1h)"));
    let audit = test.run_args(&["history", "web", "--remediations", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&audit.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 1);
    let row = &rows[0];
    assert_eq!(row["check"], "site");
    assert_eq!(row["trigger"], "critical");
    assert_eq!(row["result"], "fixed");
    assert_eq!(row["origin"], "manual");
    assert_eq!(row["actions"][0]["exit_code"], 0);
    assert!(row["verify"].as_str().unwrap().starts_with("OK: 200 OK"));
    assert_eq!(row["guard"], "attempt 1 of 3 within 1h");
    let human = test.run_args(&["history", "web", "--remediations"]);
    assert!(human.stdout.contains("web/site  CRITICAL → fixed (attempt 1 of 3, manual)"), "{}", human.stdout);
}

#[test]
fn an_unfixable_service_gets_max_attempts_then_exhausted_and_alerts_still_fire() {
    let receiver = Server::with(|_| Reply::status(200, "ok"));
    let port = free_port();
    let remediate = "      actions:\n        - run: [\"true\"]\n      max_attempts: 2\n      within: 1h\n";
    let test = Test::new().file("p.yaml", &playbook(port, Some(&receiver.url("/hook")), remediate));
    let mut results = Vec::new();
    for _ in 0..4 {
        let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
        assert_eq!(output.code, 2);
        results.push(json(&output)["checks"][0]["remediation"].clone());
    }
    let verdicts: Vec<&str> = results.iter().map(|r| r["result"].as_str().unwrap()).collect();
    assert_eq!(verdicts, ["failed", "failed", "exhausted", "exhausted"]);
    assert_eq!(results[2]["message"], "remediation exhausted (2 of 2 within 1h)");
    let audit: serde_json::Value =
        serde_json::from_str(&test.run_args(&["history", "web", "--remediations", "--format", "json"]).stdout).unwrap();
    assert_eq!(audit.as_array().unwrap().len(), 2, "exactly max_attempts remediations ran");
    // Monitoring goes on and the alert carries the news.
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1, "one problem alert");
    assert!(requests[0].body.contains("remediation"), "{}", requests[0].body);
    let report = test.run_args(&["run", "p.yaml"]);
    assert!(report.stdout.contains("remediation exhausted (2 of 2 within 1h)"), "{}", report.stdout);
}

#[test]
fn a_dry_run_prints_the_plan_with_the_guard_and_changes_nothing() {
    let port = free_port();
    let remediate = format!("      actions:\n        - shell: \"{}\"\n", start_service_command(port));
    let test = Test::new().file("p.yaml", &playbook(port, None, &remediate));
    // Before any store exists, the plan is the first attempt (and no store is created).
    let output = test.run_args(&["run", "--dry-run", "p.yaml"]);
    assert!(output.stdout.contains("attempt 1 of 3 within 1h"), "{}", output.stdout);
    assert!(!test.path(".state").exists(), "the dry run created the store");
    // One real attempt, so that the guard has something to say; the service is then
    // killed again.
    test.run_args(&["run", "p.yaml"]);
    kill_service(&test);
    std::fs::remove_file(test.path("server.pid")).unwrap();
    let before = std::fs::read(test.path(".state/runner.db")).unwrap();
    let output = test.run_args(&["run", "--dry-run", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stdout);
    assert!(
        output.stdout.contains(&format!("would run `{}`: attempt 2 of 3 within 1h", start_service_command(port))),
        "{}",
        output.stdout
    );
    assert!(!test.path("server.pid").exists(), "the dry run started the service");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "the service is up");
    assert_eq!(std::fs::read(test.path(".state/runner.db")).unwrap(), before, "the dry run wrote to the store");
    let output = test.run_args(&["run", "--no-remediate", "--format", "json", "p.yaml"]);
    assert!(json(&output)["checks"][0]["remediation"].is_null());
    assert!(!test.path("server.pid").exists());
}

#[test]
fn a_hanging_remediation_action_is_killed_at_its_timeout_and_the_run_completes() {
    let port = free_port();
    let remediate = "      actions:\n        - shell: \"trap '' TERM; sleep 60\"\n          timeout: 1s\n";
    let test = Test::new().file("p.yaml", &playbook(port, None, remediate));
    let started = Instant::now();
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    assert_eq!(output.code, 2);
    let remediation = &json(&output)["checks"][0]["remediation"];
    assert_eq!(remediation["result"], "failed");
    assert!(remediation["message"].as_str().unwrap().contains("timed out after 1s"), "{remediation}");
}

#[test]
fn one_remediation_per_check_at_a_time() {
    let port = free_port();
    let remediate = "      actions:\n        - run: [touch, remediated]\n";
    let test = Test::new().file("p.yaml", &playbook(port, None, remediate));
    std::fs::create_dir_all(test.path(".state/locks")).unwrap();
    // Another process holds this check's remediation lock.
    let mut holder = Command::new("flock")
        .arg(test.path(".state/locks/remediate-web-site.lock"))
        .args(["sleep", "5"])
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(json(&output)["checks"][0]["remediation"]["result"], "busy", "{}", output.stdout);
    assert!(!test.path("remediated").exists());
}

#[test]
fn restarts_runner_causes_are_not_counted_as_crashes() {
    // A phase restarts a process on purpose (as the Friday restart does); the crash-loop
    // check that follows must not count it. A restart from outside is counted.
    let marker = format!("sleep 86.{}", std::process::id());
    let playbook = format!(
        r#"version: 1
name: restarter
phases:
  - id: restart
    actions:
      - shell: "pkill -f '^{marker}$'; nohup {marker} >/dev/null 2>&1 &"
      - sleep: 1100ms
    checks:
      - id: loop
        process: {{pattern: '^{marker}$', restarts_within: 10m}}
        thresholds: {{restarts: {{crit: "> 0"}}}}
"#
    );
    let test = Test::new().file("p.yaml", &playbook);
    let mut outside = Command::new("sh").args(["-c", &format!("exec {marker}")]).spawn().unwrap();
    for _ in 0..3 {
        let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
        let result = json(&output);
        assert_eq!(result["checks"][0]["metrics"]["restarts"], 0.0, "{}", output.stdout);
    }
    // Now a restart that runner did not cause: counted.
    let _ = Command::new("pkill").args(["-f", &format!("^{marker}$")]).status();
    let _ = outside.wait();
    // Keep clear of runner's last action: its interval is widened by a second each way,
    // and a start time read from /proc can be up to 2 s early (boot time and ticks are
    // both truncated to whole seconds).
    std::thread::sleep(Duration::from_millis(4000));
    outside = Command::new("sh").args(["-c", &format!("exec {marker}")]).spawn().unwrap();
    // `sh` has to exec the sleep before the check can see it (slow on a loaded machine).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while Command::new("pgrep").args(["-f", &format!("^{marker}$")]).output().unwrap().stdout.is_empty() {
        assert!(std::time::Instant::now() < deadline, "the outside restart never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    let only_check = test.run_args(&["run", "--check", "loop", "--format", "json", "p.yaml"]);
    let _ = Command::new("pkill").args(["-f", &format!("^{marker}$")]).status();
    let _ = outside.wait();
    let result = json(&only_check);
    assert_eq!(result["checks"][0]["metrics"]["restarts"], 1.0, "{}", only_check.stdout);
    assert_eq!(result["checks"][0]["status"], "critical");
}

#[test]
fn the_crash_loop_example_stops_a_crash_looping_pm2_app_and_alerts() {
    let receiver = Server::with(|_| Reply::status(200, "ok"));
    // The example, with its webhook pointed at the receiver.
    let example = std::fs::read_to_string(repo().join("examples/crash-loop.yaml")).unwrap();
    let example = example.replace(
        "slack:\n      webhook_url: \"${SLACK_WEBHOOK_URL:-}\"",
        &format!("webhook:\n      url: \"{}\"", receiver.url("/hook")),
    );
    assert!(example.contains("webhook:"), "the example's channel changed: update this test");
    let test = Test::new().file("crash.js", "process.exit(1);\n").file("crash-loop.yaml", &example);
    let pm2_home = test.path(".pm2");
    let pm2 = |args: &[&str]| {
        Command::new("pm2")
            .args(args)
            .current_dir(test.root())
            .env("PM2_HOME", &pm2_home)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("pm2 is installed (tests/run installs it)")
    };
    // The pm2 daemon this test starts goes away with the test, even when an assertion fails.
    struct KillPm2(std::path::PathBuf);
    impl Drop for KillPm2 {
        fn drop(&mut self) {
            let _ = Command::new("pm2")
                .arg("kill")
                .env("PM2_HOME", &self.0)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }
    let _kill_pm2 = KillPm2(pm2_home.clone());
    // pm2 gives up on an app after 15 unstable restarts by default: raise that, so the count
    // keeps growing however the two samples fall.
    assert!(
        pm2(&["start", "crash.js", "--name", "worker", "--restart-delay", "100", "--max-restarts", "1000"]).success()
    );
    let run = |extra: &[&str]| {
        let output = Command::new(crate::support::runner_bin())
            .args(["run", "--check", "worker-crash-loop", "--format", "json"])
            .args(extra)
            .arg("crash-loop.yaml")
            .current_dir(test.root())
            .env("PM2_HOME", &pm2_home)
            .env("RUNNER_STATE", test.path(".state"))
            .output()
            .unwrap();
        serde_json::from_slice::<serde_json::Value>(&output.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&output.stderr)))
    };
    let pm2_restarts = || -> u64 {
        let output = Command::new("pm2")
            .arg("jlist")
            .current_dir(test.root())
            .env("PM2_HOME", &pm2_home)
            .output()
            .expect("pm2 runs");
        // pm2 may print notices before the JSON: parse it as runner does.
        let text = String::from_utf8_lossy(&output.stdout);
        runner::checks::service::parse_pm2_jlist(&text, "worker")
            .ok()
            .and_then(|state| state.restart_counter)
            .unwrap_or(0)
    };
    // The baseline sample. pm2 may be between two starts of the app right then ("waiting
    // restart"): down is only a warning in the example, so nothing is stopped or alerted.
    let first = run(&[]);
    assert_ne!(first["checks"][0]["status"], "critical", "{first}");
    // pm2 restarts the crashing app many times. How fast depends on the machine's load (a
    // node start per crash), so wait for pm2 itself to count more than 5, not a fixed time.
    let baseline = pm2_restarts();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let now = pm2_restarts();
        if now >= baseline + 7 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "pm2 did not restart the app 7 times in 60 s (from {baseline} to {now}); first run: {first}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let second = run(&[]);
    pm2(&["kill"]);
    let check = &second["checks"][0];
    assert!(first["checks"][0]["metrics"]["restarts"].as_f64().unwrap() <= 5.0);
    assert!(check["metrics"]["restarts"].as_f64().unwrap() > 5.0, "{check}");
    assert_eq!(check["status"], "critical");
    assert_eq!(check["remediation"]["result"], "unverified", "{check}");
    assert!(check["remediation"]["message"].as_str().unwrap().contains("pm2 stop worker"));
    let alerts = receiver.requests();
    assert_eq!(alerts.len(), 1, "the crash loop is alerted");
    assert!(alerts[0].body.contains("pm2 stop worker"), "the alert says what was done: {}", alerts[0].body);
}
