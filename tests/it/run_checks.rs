//! `runner run` against real things: the machine's Redis and ones the tests start with a
//! password, HTTP(S) servers on 127.0.0.1, real SQLite files, real commands. Every hard
//! time limit is asserted with a generous margin (timeout + 1 s).

use std::time::Duration;

use crate::support::Test;
use crate::support::http::Server;
use crate::support::redis::RedisServer;

/// A playbook with one check (YAML for the check's body, indented by 4).
fn one_check(id: &str, body: &str) -> String {
    let body: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!("version: 1\nname: t\nchecks:\n  - id: {id}\n{body}")
}

fn run_json(test: impl std::borrow::Borrow<Test>) -> (i32, serde_json::Value, std::time::Duration) {
    let output = test.borrow().run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr));
    (output.code, json, output.elapsed)
}

fn check<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"))
}

// ---------------------------------------------------------------------------------------
// Redis

#[test]
fn redis_the_machines_own() {
    let playbook =
        one_check("redis", "redis:\n  url: redis://127.0.0.1:6379/0\n  info: [connected_clients, used_memory]");
    let (code, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    let redis = check(&json, "redis");
    assert_eq!(code, 0, "{json}");
    assert_eq!(redis["status"], "ok");
    assert!(redis["message"].as_str().unwrap().starts_with("PONG"));
    assert!(redis["metrics"]["connected_clients"].as_f64().unwrap() >= 1.0);
    assert!(redis["metrics"]["used_memory"].as_f64().unwrap() > 0.0);
    assert!(redis["metrics"]["latency_ms"].is_number());
}

#[test]
fn redis_with_a_password_right_wrong_missing_and_killed() {
    let mut server = RedisServer::start(Some("s3cret-pw"));
    let port = server.port;
    let body = |password: &str| format!("redis:\n  url: redis://127.0.0.1:{port}\n  password: \"{password}\"");
    let (code, json, _) = run_json(Test::new().file("p.yaml", &one_check("r", &body("s3cret-pw"))));
    assert_eq!((code, check(&json, "r")["status"].as_str().unwrap()), (0, "ok"), "{json}");

    let (code, json, _) = run_json(Test::new().file("p.yaml", &one_check("r", &body("wrong-pw"))));
    assert_eq!(code, 2);
    assert_eq!(check(&json, "r")["status"], "critical");
    assert!(check(&json, "r")["message"].as_str().unwrap().contains("authentication failed"), "{json}");

    let (code, json, _) = run_json(Test::new().file("p.yaml", &one_check("r", &body(""))));
    assert_eq!(code, 2);
    assert!(check(&json, "r")["message"].as_str().unwrap().contains("authentication required"), "{json}");

    // The password in the URL works too (user-info), and never shows.
    let url_form = one_check("r", &format!("redis:\n  url: redis://:s3cret-pw@127.0.0.1:{port}/0"));
    let (code, json, _) = run_json(Test::new().file("p.yaml", &url_form));
    assert_eq!(code, 0, "{json}");
    assert!(!json.to_string().contains("s3cret-pw"));

    server.kill();
    let (code, json, _) = run_json(Test::new().file("p.yaml", &one_check("r", &body("s3cret-pw"))));
    assert_eq!(code, 2);
    assert!(check(&json, "r")["message"].as_str().unwrap().contains("connection refused"), "{json}");
}

#[test]
fn redis_that_is_a_bare_tcp_listener_times_out() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let playbook = one_check("r", &format!("timeout: 1s\nredis:\n  url: redis://127.0.0.1:{port}"));
    let (code, json, elapsed) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 2, "{json}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    let message = check(&json, "r")["message"].as_str().unwrap().to_string();
    assert!(message.contains("timed out"), "{message}");
    drop(listener);
}

// ---------------------------------------------------------------------------------------
// HTTP

#[test]
fn http_ok_500_json_and_redirects() {
    let server = Server::start();
    let playbook = format!(
        "version: 1\nname: t\nchecks:
  - id: ok\n    http: {{url: \"{ok}\"}}
  - id: fail\n    http: {{url: \"{fail}\"}}
  - id: json\n    http:\n      url: \"{health}\"\n      expect:\n        status: 200\n        json: {{\"$.status\": \"UP\", \"$.checks[0].ok\": true}}
  - id: json-wrong\n    http:\n      url: \"{health}\"\n      expect:\n        json: {{\"$.status\": \"DOWN\"}}
  - id: redirect\n    http: {{url: \"{redirect}\"}}
  - id: loop\n    http: {{url: \"{lp}\"}}
  - id: body\n    http:\n      url: \"{ok}\"\n      expect: {{body_contains: \"nope\"}}\n",
        ok = server.url("/ok"),
        fail = server.url("/fail"),
        health = server.url("/health"),
        redirect = server.url("/redirect"),
        lp = server.url("/loop"),
    );
    let (code, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 2);
    assert_eq!(check(&json, "ok")["status"], "ok");
    assert_eq!(check(&json, "ok")["metrics"]["status_code"], 200.0);
    assert!(check(&json, "ok")["metrics"]["latency_ms"].is_number());
    assert_eq!(check(&json, "ok")["metrics"]["body_bytes"], 2.0);
    assert_eq!(check(&json, "fail")["status"], "critical");
    assert!(check(&json, "fail")["message"].as_str().unwrap().contains("expected status 2xx, got 500"));
    assert_eq!(check(&json, "json")["status"], "ok", "{json}");
    assert!(check(&json, "json-wrong")["message"].as_str().unwrap().contains("$.status is \"UP\", expected \"DOWN\""));
    assert_eq!(check(&json, "redirect")["status"], "ok");
    assert!(check(&json, "loop")["message"].as_str().unwrap().contains("too many redirects"), "{json}");
    assert!(check(&json, "body")["message"].as_str().unwrap().contains("body does not contain"));
}

#[test]
fn http_slower_than_the_timeout_and_one_that_never_answers() {
    let server = Server::start();
    let playbook = format!(
        "version: 1\nname: t\ndefaults: {{timeout: 1s}}\nchecks:\n  - id: slow\n    http: {{url: \"{}\"}}\n  - id: hang\n    http: {{url: \"{}\"}}\n",
        server.url("/slow"),
        server.url("/hang")
    );
    let (code, json, elapsed) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 2);
    // Both run concurrently: the whole run ends within the timeout plus a second.
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    for id in ["slow", "hang"] {
        let message = check(&json, id)["message"].as_str().unwrap().to_string();
        assert!(message.contains("timed out"), "{id}: {message}");
    }
}

#[test]
fn https_self_signed_is_refused_unless_told_and_reports_expiry() {
    let server = Server::tls(30, crate::support::http::default_routes);
    let playbook = format!(
        "version: 1\nname: t\nchecks:
  - id: strict\n    http: {{url: \"{url}\"}}
  - id: lax\n    http: {{url: \"{url}\", tls_verify: false}}\n    thresholds:\n      cert_days_left: {{warn: \"< 45\", crit: \"< 7\"}}
  - id: tcp-tls\n    tcp: {{address: \"127.0.0.1:{port}\", tls: true, tls_verify: false, server_name: localhost}}\n",
        url = server.url("/ok"),
        port = server.port
    );
    let (code, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 2);
    let strict = check(&json, "strict")["message"].as_str().unwrap().to_string();
    assert!(strict.contains("not trusted"), "{strict}");
    let lax = check(&json, "lax");
    assert_eq!(lax["status"], "warning", "{json}");
    let days = lax["metrics"]["cert_days_left"].as_f64().unwrap();
    assert!((29.0..=31.0).contains(&days), "{days}");
    assert!(lax["message"].as_str().unwrap().contains("cert_days_left"));
    let tcp = check(&json, "tcp-tls");
    assert_eq!(tcp["status"], "ok", "{json}");
    assert!((29.0..=31.0).contains(&tcp["metrics"]["cert_days_left"].as_f64().unwrap()));
}

#[test]
fn tcp_open_and_refused() {
    let server = Server::start();
    let closed = crate::support::redis::free_port();
    let playbook = format!(
        "version: 1\nname: t\nchecks:\n  - id: open\n    tcp: {{address: \"127.0.0.1:{}\"}}\n  - id: closed\n    tcp: {{address: \"127.0.0.1:{closed}\"}}\n",
        server.port
    );
    let (_, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(check(&json, "open")["status"], "ok");
    assert!(check(&json, "closed")["message"].as_str().unwrap().contains("connection refused"));
}

// ---------------------------------------------------------------------------------------
// SQLite

fn sqlite(path: &std::path::Path, sql: &str) {
    let status = std::process::Command::new("sqlite3").arg(path).arg(sql).status().expect("sqlite3 is installed");
    assert!(status.success());
}

#[test]
fn sqlite_ok_missing_corrupt_and_never_changed() {
    let test = Test::new();
    let db = test.path("app.db");
    sqlite(&db, "CREATE TABLE items (n INTEGER); INSERT INTO items VALUES (1), (2), (3);");
    std::fs::write(
        test.path("corrupt.db"),
        b"SQLite format 3\0 this is not really a database at all, just bytes that look like one",
    )
    .unwrap();
    let before = std::fs::read(&db).unwrap();
    let playbook = "version: 1\nname: t\nchecks:
  - id: ok\n    sqlite:\n      path: app.db\n      query: SELECT count(*) FROM items\n      expect: {value: 3, min_rows: 1}\n      integrity: true\n    thresholds:\n      value: {crit: \"< 1\"}
  - id: wrong-value\n    sqlite:\n      path: app.db\n      query: SELECT count(*) FROM items\n      expect: {value: 4}
  - id: missing\n    sqlite: {path: nope.db}
  - id: corrupt\n    sqlite: {path: corrupt.db}
  - id: write-attempt\n    sqlite:\n      path: app.db\n      query: DELETE FROM items\n";
    let test = test.file("p.yaml", playbook);
    let (code, json, _) = run_json(&test);
    assert_eq!(code, 2);
    let ok = check(&json, "ok");
    assert_eq!(ok["status"], "ok", "{json}");
    assert_eq!(ok["metrics"]["value"], 3.0);
    assert_eq!(ok["metrics"]["rows"], 1.0);
    assert!(check(&json, "wrong-value")["message"].as_str().unwrap().contains("expected value 4, got 3"));
    assert!(
        check(&json, "missing")["message"].as_str().unwrap().contains("database file not found: nope.db"),
        "{json}"
    );
    let corrupt = check(&json, "corrupt")["message"].as_str().unwrap().to_string();
    assert!(corrupt.contains("not a SQLite database") || corrupt.contains("corrupt"), "{corrupt}");
    assert!(check(&json, "write-attempt")["message"].as_str().unwrap().contains("read-only"), "{json}");
    // The database was not changed and no file was created beside it.
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert!(!std::path::Path::new(&format!("{}", db.display()).replace("app.db", "nope.db")).exists());
    let names: Vec<String> = std::fs::read_dir(test.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names.iter().any(|n| n.starts_with("app.db-") || n.starts_with("nope.db") || n.starts_with("corrupt.db-")),
        "{names:?}"
    );
}

#[test]
fn an_empty_sqlite_file_is_not_a_database() {
    // SQLite itself would answer `SELECT 1` from a 0-byte file, as from a new database.
    let test = Test::new().file("empty.db", "").file("p.yaml", &one_check("db", "sqlite: {path: empty.db}"));
    let (code, json, _) = run_json(&test);
    assert_eq!(code, 2, "{json}");
    assert_eq!(check(&json, "db")["message"], "empty.db: empty file, not a database", "{json}");
    assert_eq!(std::fs::metadata(test.path("empty.db")).unwrap().len(), 0, "the file was not written");
}

#[test]
fn sqlite_locked_by_a_writer_is_reported_as_locked() {
    let test = Test::new();
    let db = test.path("busy.db");
    sqlite(&db, "PRAGMA journal_mode=DELETE; CREATE TABLE t (n INTEGER);");
    // A real writer holds an exclusive lock for 5 s.
    let mut holder =
        std::process::Command::new("sqlite3").arg(&db).stdin(std::process::Stdio::piped()).spawn().unwrap();
    {
        use std::io::Write;
        let stdin = holder.stdin.as_mut().unwrap();
        writeln!(stdin, "PRAGMA locking_mode=EXCLUSIVE; BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);").unwrap();
        stdin.flush().unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let playbook = one_check("busy", "timeout: 1s\nsqlite: {path: busy.db, query: SELECT count(*) FROM t}");
    let (code, json, elapsed) = run_json(test.file("p.yaml", &playbook));
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(code, 2, "{json}");
    let message = check(&json, "busy")["message"].as_str().unwrap().to_string();
    assert!(message.contains("locked"), "{message}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
}

// ---------------------------------------------------------------------------------------
// Commands

#[test]
fn commands_exit_codes_expectations_and_metrics() {
    let playbook = "version: 1\nname: t\nchecks:
  - id: zero\n    command: {run: [\"true\"]}
  - id: three\n    command: {shell: \"echo broken >&2; exit 3\"}
  - id: allowed\n    command: {shell: \"exit 1\", expect: {exit: [0, 1]}}
  - id: metrics\n    command:\n      shell: 'echo \"used=42 free=8\"'\n      metrics: {used: 'used=(\\d+)'}\n    thresholds:\n      used: {warn: \"> 40\", crit: \"> 90\"}
  - id: json-metric\n    command:\n      run: [cat, out.json]\n      metrics: {pct: \"$.disk.pct\"}
  - id: env-cwd\n    command:\n      shell: 'test \"$GREETING\" = hello && test \"$(basename \"$PWD\")\" = sub'\n      env: {GREETING: hello}\n      cwd: sub
  - id: missing\n    command: {run: [\"/no/such/program\"]}\n";
    let test =
        Test::new().file("p.yaml", playbook).file("sub/.keep", "").file("out.json", r#"{"disk": {"pct": 73.5}}"#);
    let (code, json, _) = run_json(test);
    assert_eq!(code, 2, "{json}");
    assert_eq!(check(&json, "zero")["status"], "ok");
    assert_eq!(check(&json, "zero")["metrics"]["exit_code"], 0.0);
    let three = check(&json, "three");
    assert_eq!(three["status"], "critical");
    assert_eq!(three["message"], "exit 3: broken");
    assert_eq!(three["metrics"]["exit_code"], 3.0);
    assert_eq!(check(&json, "allowed")["status"], "ok");
    let metrics = check(&json, "metrics");
    assert_eq!(metrics["status"], "warning", "{json}");
    assert_eq!(metrics["metrics"]["used"], 42.0);
    assert!(metrics["message"].as_str().unwrap().starts_with("used = 42 (warn > 40)"));
    assert_eq!(check(&json, "json-metric")["metrics"]["pct"], 73.5, "{json}");
    assert_eq!(check(&json, "env-cwd")["status"], "ok", "{json}");
    assert!(check(&json, "missing")["message"].as_str().unwrap().contains("command not found"));
}

#[test]
fn a_command_that_ignores_sigterm_and_forks_is_killed_with_its_group() {
    let test = Test::new();
    let marker = test.path("grandchild-survived");
    // The shell ignores SIGTERM, its grandchildren keep stdout open and would write the
    // marker after 3 s if they survived.
    let line = format!("trap '' TERM; (sleep 3; touch {m}) & (sleep 3; touch {m}) & sleep 30", m = marker.display());
    let playbook = one_check("stubborn", &format!("timeout: 1s\ncommand: {{shell: \"{line}\"}}"));
    let (code, json, elapsed) = run_json(test.file("p.yaml", &playbook));
    assert_eq!(code, 2);
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(check(&json, "stubborn")["message"].as_str().unwrap().contains("timed out after 1s"), "{json}");
    std::thread::sleep(Duration::from_secs(3));
    assert!(!marker.exists(), "a grandchild survived the timeout");
}

#[test]
fn huge_output_is_bounded() {
    let playbook =
        one_check("flood", "command: {shell: \"head -c 50000000 /dev/zero | tr '\\\\0' x; echo; echo done\"}");
    let (code, json, elapsed) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 0, "{json}");
    assert!(elapsed < Duration::from_secs(20));
    let details = check(&json, "flood")["details"][0].as_str().unwrap().to_string();
    assert!(details.len() < 70_000, "{} bytes kept", details.len());
    assert!(details.contains("more bytes not kept"));
}

#[test]
fn nagios_plugins_exit_codes_are_statuses_and_perfdata_metrics() {
    let playbook = "version: 1\nname: t\nchecks:
  - id: ok\n    command: {shell: \"echo 'DISK OK - 56% free | /=2643MB;5948;5958;0;5968 inodes=12%'\", nagios: true}
  - id: warn\n    command: {shell: \"echo 'LOAD WARNING - load 9.1 | load1=9.1;8;12'; exit 1\", nagios: true}
  - id: crit\n    command: {shell: \"echo 'PROCS CRITICAL'; exit 2\", nagios: true}\n    severity: warning
  - id: unknown\n    command: {shell: \"echo 'UNKNOWN - no such disk'; exit 3\", nagios: true}
  - id: thresholds\n    command: {shell: \"echo 'QUEUE OK | jobs=120'\", nagios: true}\n    thresholds: {jobs: {warn: \"> 50\", crit: \"> 100\"}}\n";
    let (code, json, _) = run_json(Test::new().file("p.yaml", playbook));
    assert_eq!(code, 2);
    assert_eq!(check(&json, "ok")["status"], "ok");
    assert_eq!(check(&json, "ok")["message"], "DISK OK - 56% free");
    assert_eq!(check(&json, "ok")["metrics"]["/"], 2643.0);
    assert_eq!(check(&json, "ok")["metrics"]["inodes"], 12.0);
    assert_eq!(check(&json, "warn")["status"], "warning");
    assert_eq!(check(&json, "warn")["metrics"]["load1"], 9.1);
    // A plugin's own status stands regardless of severity.
    assert_eq!(check(&json, "crit")["status"], "critical");
    assert_eq!(check(&json, "unknown")["status"], "unknown");
    assert_eq!(check(&json, "thresholds")["status"], "critical");
}

// ---------------------------------------------------------------------------------------
// Files, logs, system, processes

#[test]
fn files_age_size_content_and_value() {
    let playbook = "version: 1\nname: t\nchecks:
  - id: swappiness\n    file: {path: swappiness}\n    thresholds: {value: {warn: \"!= 10\"}}
  - id: equals\n    file: {path: swappiness, equals: \"10\"}
  - id: contains\n    file: {path: conf/*.conf, contains: \"listen 80\"}
  - id: fresh\n    file: {path: swappiness, max_age: 1h, min_size: 1, max_size: 10KB}
  - id: absent\n    file: {path: nope.txt, exists: false}
  - id: missing\n    file: {path: nope.txt}\n";
    let test =
        Test::new().file("p.yaml", playbook).file("swappiness", "60\n").file("conf/a.conf", "server { listen 80; }");
    let (_, json, _) = run_json(test);
    assert_eq!(check(&json, "swappiness")["status"], "warning");
    assert_eq!(check(&json, "swappiness")["metrics"]["value"], 60.0);
    assert!(check(&json, "equals")["message"].as_str().unwrap().contains("is \"60\", expected \"10\""));
    assert_eq!(check(&json, "contains")["status"], "ok");
    assert_eq!(check(&json, "fresh")["status"], "ok", "{json}");
    assert_eq!(check(&json, "absent")["status"], "ok");
    assert_eq!(check(&json, "missing")["status"], "critical");
}

#[test]
fn a_glob_past_the_cap_is_unknown_for_files_and_logs() {
    let cap = runner::checks::walk::MAX_GLOB_MATCHES;
    let test = Test::new();
    std::fs::create_dir(test.path("many")).unwrap();
    for i in 0..=cap {
        std::fs::write(test.path(&format!("many/{i}.log")), "").unwrap();
    }
    let playbook = "version: 1\nname: t\nchecks:
  - id: file\n    file: {path: \"many/*\"}
  - id: log\n    log: {path: \"**/*.log\", since: 7d}
  - id: fewer\n    file: {path: \"many/1?.log\"}\n";
    let (code, json, _) = run_json(test.file("p.yaml", playbook));
    assert_eq!(code, 3, "{json}");
    for id in ["file", "log"] {
        assert_eq!(check(&json, id)["status"], "unknown", "{json}");
        let message = check(&json, id)["message"].as_str().unwrap();
        assert!(message.contains(&format!("the glob matches more than {cap} paths; narrow it")), "{message}");
    }
    assert_eq!(check(&json, "fewer")["metrics"]["count"], 10.0, "{json}");
}

#[test]
fn files_that_are_directories_or_larger_than_what_is_read() {
    let big = format!("{}\nneedle past the first MiB\n", "x".repeat(1024 * 1024 + 10));
    let playbook = "version: 1\nname: t\nchecks:
  - id: dir\n    file: {path: conf, contains: \"listen\"}
  - id: dir_exists\n    file: {path: conf}
  - id: found\n    file: {path: big.txt, contains: \"needle past\"}
  - id: absent\n    file: {path: big.txt, contains: \"nowhere\"}
  - id: equals\n    file: {path: big.txt, equals: \"x\"}\n";
    let test = Test::new().file("p.yaml", playbook).file("conf/a.conf", "listen 80").file("big.txt", &big);
    let (_, json, _) = run_json(test);
    assert_eq!(check(&json, "dir")["status"], "critical", "{json}");
    assert!(check(&json, "dir")["message"].as_str().unwrap().contains("is a directory"), "{json}");
    assert_eq!(check(&json, "dir_exists")["status"], "ok", "{json}");
    assert_eq!(check(&json, "found")["status"], "ok", "{json}");
    assert!(check(&json, "absent")["message"].as_str().unwrap().contains("does not contain \"nowhere\""));
    assert!(check(&json, "equals")["message"].as_str().unwrap().contains("larger than the 1 MiB read"), "{json}");
}

#[test]
fn a_log_reached_through_a_symlink_loop_and_a_link_is_read_once() {
    let test = Test::new().file("logs/app.log", "FATAL: once\n").file("logs/sub/other.txt", "");
    std::os::unix::fs::symlink("..", test.path("logs/sub/up")).unwrap();
    std::os::unix::fs::symlink("app.log", test.path("logs/alias.log")).unwrap();
    let playbook = one_check("log", "log: {path: \"logs/**/*.log\", since: 7d}");
    let (code, json, _) = run_json(test.file("p.yaml", &playbook));
    assert_eq!(check(&json, "log")["metrics"]["matches"], 1.0, "{json}");
    assert!(check(&json, "log")["message"].as_str().unwrap().contains("(file)"), "{json}");
    assert_eq!(code, 2);
}

#[test]
fn a_log_line_starting_exactly_at_the_64_mib_cut_is_read() {
    // 1 KiB before the cut, the FATAL line at it, then exactly 64 MiB to the end.
    let line = |text: &str| format!("{text:<1023}\n");
    let mut log = line("before the cut");
    log.push_str(&line("FATAL exactly at the cut"));
    log.push_str(&line(".").repeat(64 * 1024 - 1));
    assert_eq!(log.len(), 1024 + 64 * 1024 * 1024);
    let playbook = one_check("log", "log: {path: app.log, since: 7d}");
    let (code, json, _) = run_json(Test::new().file("app.log", &log).file("p.yaml", &playbook));
    assert_eq!(check(&json, "log")["metrics"]["matches"], 1.0, "{json}");
    assert_eq!(code, 2);
}

#[test]
fn logs_since_the_last_run_follow_rotation_and_truncation() {
    let test = Test::new().file("app.log", "old error before we watched\n");
    let playbook =
        one_check("log", "log:\n  path: app.log\n  since: new\nthresholds:\n  matches: {warn: \"> 0\", crit: \"> 2\"}");
    let test = test.file("p.yaml", &playbook);
    let run = |test: &Test| -> serde_json::Value {
        let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", output.stdout))
    };
    // First run: baseline at the end.
    let json = run(&test);
    assert_eq!(check(&json, "log")["metrics"]["matches"], 0.0, "{json}");
    assert!(check(&json, "log")["details"][0].as_str().unwrap().contains("first run"));
    // New lines: one match.
    append(&test.path("app.log"), "fine\nERROR: disk full\n");
    let json = run(&test);
    assert_eq!(check(&json, "log")["metrics"]["matches"], 1.0, "{json}");
    assert_eq!(check(&json, "log")["status"], "warning");
    assert!(
        check(&json, "log")["details"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d.as_str().unwrap().contains("ERROR: disk full"))
    );
    // Nothing new: no match.
    let json = run(&test);
    assert_eq!(check(&json, "log")["metrics"]["matches"], 0.0, "{json}");
    // Rotation: the old file gets one more line, is renamed, and a new file starts.
    append(&test.path("app.log"), "fatal: after the last run, before rotation\n");
    std::fs::rename(test.path("app.log"), test.path("app.log.1")).unwrap();
    std::fs::write(test.path("app.log"), "panic: in the new file\nok\n").unwrap();
    let json = run(&test);
    assert_eq!(check(&json, "log")["metrics"]["matches"], 2.0, "{json}");
    // Truncation: the file shrinks, it is read from the start.
    std::fs::write(test.path("app.log"), "error one\nerror two\nerror three\n").unwrap();
    let json = run(&test);
    assert_eq!(check(&json, "log")["metrics"]["matches"], 3.0, "{json}");
    assert_eq!(check(&json, "log")["status"], "critical");
}

fn append(path: &std::path::Path, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

#[test]
fn logs_within_a_window_use_line_timestamps() {
    let now = jiff::Timestamp::now();
    let old = now.checked_sub(jiff::SignedDuration::from_hours(10 * 24)).unwrap();
    let recent = now.checked_sub(jiff::SignedDuration::from_hours(24)).unwrap();
    let log = format!("{old} ERROR ancient\n{recent} ERROR recent one\ncontinuation error line\n{recent} info fine\n");
    let playbook = one_check("log", "log: {path: \"*.log\", since: 7d}");
    let (code, json, _) = run_json(Test::new().file("app.log", &log).file("p.yaml", &playbook));
    assert_eq!(check(&json, "log")["metrics"]["matches"], 2.0, "{json}");
    // No thresholds: any match fails the check.
    assert_eq!(code, 2);
}

#[test]
fn system_metrics_are_read_only_when_asked() {
    let playbook = one_check(
        "sys",
        "system:\n  metrics: [memory_used_percent, swap_used_percent, load_1m, disk_used_percent, uptime_s, cpu_percent]",
    );
    let (code, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 0, "{json}");
    let metrics = check(&json, "sys")["metrics"].as_object().unwrap().clone();
    let names: Vec<&str> = metrics.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        ["memory_used_percent", "swap_used_percent", "load_1m", "disk_used_percent", "uptime_s", "cpu_percent"]
    );
    let memory = metrics["memory_used_percent"].as_f64().unwrap();
    assert!((0.0..=100.0).contains(&memory));
    let only_load = one_check("sys", "system: {metrics: [load_5m]}");
    let (_, json, _) = run_json(Test::new().file("p.yaml", &only_load));
    assert_eq!(check(&json, "sys")["metrics"].as_object().unwrap().len(), 1);
}

/// `df -B1 --output=pcent,avail,ipcent PATH`: used %, available bytes, inodes used %.
fn df(path: &std::path::Path) -> (f64, f64, f64) {
    let output = std::process::Command::new("df").args(["-B1", "--output=pcent,avail,ipcent"]).arg(path).output();
    let text = String::from_utf8(output.unwrap().stdout).unwrap();
    let figures: Vec<f64> =
        text.lines().nth(1).unwrap().split_whitespace().map(|f| f.trim_end_matches('%').parse().unwrap()).collect();
    (figures[0], figures[1], figures[2])
}

/// runner's disk metrics for `path`: used %, free bytes, inodes used %, and the message.
fn disk_metrics(path: &std::path::Path) -> (f64, f64, f64, String) {
    let body = format!(
        "system:\n  metrics: [disk_used_percent, disk_free_bytes, inodes_used_percent]\n  disk: '{}'",
        path.display()
    );
    let (code, json, _) = run_json(Test::new().file("p.yaml", &one_check("disk", &body)));
    assert_eq!(code, 0, "{json}");
    let disk = check(&json, "disk");
    let metric = |name: &str| disk["metrics"][name].as_f64().unwrap_or_else(|| panic!("no {name}: {json}"));
    (
        metric("disk_used_percent"),
        metric("disk_free_bytes"),
        metric("inodes_used_percent"),
        disk["message"].as_str().unwrap().to_string(),
    )
}

/// runner agrees with df: df rounds percentages up, runner to one decimal.
fn assert_matches_df(path: &std::path::Path, free_tolerance: f64) -> String {
    let (used, free, inodes, message) = disk_metrics(path);
    let (df_used, df_free, df_inodes) = df(path);
    assert!((used - df_used).abs() <= 1.0, "{}: runner {used} %, df {df_used} %", path.display());
    assert!((inodes - df_inodes).abs() <= 1.0, "{}: runner {inodes} % inodes, df {df_inodes} %", path.display());
    assert!((free - df_free).abs() <= free_tolerance, "{}: runner {free} B free, df {df_free} B", path.display());
    message
}

#[test]
fn disk_metrics_match_df_on_the_root_filesystem() {
    // Others write to / while this runs: free bytes within 0.5 %.
    let (_, root_free, _) = df(std::path::Path::new("/"));
    let message = assert_matches_df(std::path::Path::new("/"), root_free * 0.005);
    assert!(message.contains("on /)"), "{message}");
}

#[test]
fn disk_metrics_measure_the_tmpfs_or_bind_mount_that_holds_the_path() {
    use crate::support::mount::{Mounted, can_mount};
    if !can_mount("disk_metrics_measure_the_tmpfs_or_bind_mount_that_holds_the_path") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let tmpfs = Mounted::tmpfs(&dir.path().join("small"), "4m");
    std::fs::create_dir_all(tmpfs.point.join("deep/er")).unwrap();
    let empty = assert_matches_df(&tmpfs.point.join("deep/er"), 0.0);
    assert!(empty.contains(&format!("tmpfs on {})", tmpfs.point.display())), "{empty}");
    // Written files change the figures, and runner still agrees with df.
    std::fs::write(tmpfs.point.join("deep/fill"), vec![7u8; 3 << 20]).unwrap();
    for i in 0..50 {
        std::fs::write(tmpfs.point.join(format!("deep/er/{i}")), "x").unwrap();
    }
    assert_matches_df(&tmpfs.point.join("deep/er"), 0.0);
    let (used, free, _, _) = disk_metrics(&tmpfs.point);
    assert!(used >= 70.0 && free <= f64::from(1 << 20), "a 4 MiB tmpfs with 3 MiB written: {used} %, {free} B free");
    // A bind mount of a folder of the tmpfs measures the tmpfs, wherever it is mounted.
    let bound = Mounted::bind(&tmpfs.point.join("deep"), &dir.path().join("bound"));
    let message = assert_matches_df(&bound.point.join("er"), 0.0);
    assert_eq!(disk_metrics(&bound.point).0, used, "{message}");
    assert!(message.contains(&format!("on {})", bound.point.display())), "{message}");
    drop(bound);
    drop(tmpfs);
}

#[test]
fn the_disk_metrics_are_kind_families_in_prometheus() {
    let body = "system: {metrics: [disk_free_bytes, inodes_used_percent], disk: /}";
    let test = Test::new().file("p.yaml", &one_check("disk", body));
    let output = test.run_args(&["run", "--no-store", "--format", "prometheus", "p.yaml"]);
    assert_eq!(output.code, 0, "{}{}", output.stdout, output.stderr);
    for family in ["runner_check_disk_free_bytes{", "runner_check_inodes_used_ratio{"] {
        assert!(output.stdout.contains(family), "no {family}: {}", output.stdout);
    }
    assert!(!output.stdout.contains("runner_metric_"), "{}", output.stdout);
}

#[test]
fn a_relative_disk_path_resolves_against_the_playbook_folder() {
    let test = Test::new().file("sub/p.yaml", &one_check("disk", "system: {metrics: [disk_used_percent], disk: t}"));
    std::fs::create_dir(test.path("sub/t")).unwrap();
    // Run from the test's root, where there is no `t`: only the playbook's folder has one.
    let output = test.run_args(&["run", "--no-store", "--format", "json", "sub/p.yaml"]);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {output:?}"));
    assert_eq!(output.code, 0, "{json}");
    let folder = std::fs::canonicalize(test.path("sub")).unwrap();
    let message = check(&json, "disk")["message"].as_str().unwrap();
    assert!(message.contains(&format!("({}: ", folder.join("t").display())), "{message}");
    let validated = test.run_args(&["validate", "sub/p.yaml"]);
    let expected = format!("resolved against the playbook's folder, `{}`", folder.display());
    assert!(validated.stdout.contains(&expected), "{}", validated.stdout);
}

#[test]
fn a_disk_path_that_does_not_exist_is_unknown_with_the_reason() {
    let body = "system: {metrics: [disk_used_percent, disk_free_bytes], disk: /no/such/folder-xyz}";
    let (code, json, _) = run_json(Test::new().file("p.yaml", &one_check("disk", body)));
    assert_eq!(code, 3, "{json}");
    let message = check(&json, "disk")["message"].as_str().unwrap();
    assert_eq!(message, "cannot read disk_used_percent, disk_free_bytes: /no/such/folder-xyz does not exist");
    assert!(check(&json, "disk")["metrics"].as_object().unwrap().is_empty(), "{json}");
}

#[test]
fn processes_by_name_and_pattern() {
    let test = Test::new();
    let mut sleeper = std::process::Command::new("sleep").arg("31.4159").spawn().unwrap();
    let playbook = "version: 1\nname: t\nchecks:
  - id: by-name\n    process: {name: redis-server}\n    thresholds: {rss_mb: {crit: \"> 100000\"}}
  - id: by-pattern\n    process: {pattern: 'sleep 31\\.4159'}
  - id: absent\n    process: {name: no-such-process-xyz}
  - id: too-many\n    process: {pattern: 'sleep 31\\.4159', max: 0, min: 0}\n";
    let (_, json, _) = run_json(test.file("p.yaml", playbook));
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(check(&json, "by-name")["status"], "ok", "{json}");
    assert!(check(&json, "by-name")["metrics"]["count"].as_f64().unwrap() >= 1.0);
    assert!(check(&json, "by-name")["metrics"]["rss_mb"].as_f64().unwrap() > 0.0);
    assert_eq!(check(&json, "by-pattern")["metrics"]["count"], 1.0, "{json}");
    assert!(check(&json, "absent")["message"].as_str().unwrap().contains("no process matches"));
    assert_eq!(check(&json, "too-many")["status"], "critical");
}

#[test]
fn process_restarts_are_counted_across_runs() {
    let test = Test::new()
        .file("p.yaml", &one_check("flappy", "process: {pattern: 'sleep 27\\.18', min: 0, restarts_within: 5m}"));
    let run = |test: &Test| -> serde_json::Value {
        let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
        serde_json::from_str(&output.stdout).unwrap()
    };
    let mut child = std::process::Command::new("sleep").arg("27.18").spawn().unwrap();
    assert_eq!(check(&run(&test), "flappy")["metrics"]["restarts"], 0.0);
    for _ in 0..3 {
        let _ = child.kill();
        let _ = child.wait();
        child = std::process::Command::new("sleep").arg("27.18").spawn().unwrap();
        std::thread::sleep(Duration::from_millis(1100)); // a new start time
        let _ = run(&test);
    }
    let json = run(&test);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(check(&json, "flappy")["metrics"]["restarts"], 3.0, "{json}");
    assert!(check(&json, "flappy")["message"].as_str().unwrap().contains("3 restarts in the last 5m"), "{json}");
}

#[test]
fn a_service_says_it_took_its_baseline_before_it_counts_restarts() {
    // launchd cannot run here: `launchctl list LABEL` is answered at its command boundary,
    // with the output a real launchd gives (its PID read from a file the test changes).
    let test = Test::new()
        .file(
            "bin/launchctl",
            "#!/bin/sh\nprintf '{\\n\\t\"Label\" = \"%s\";\\n\\t\"LastExitStatus\" = 0;\\n\\t\"PID\" = %s;\\n};\\n' \"$2\" \"$(cat \"$PID_FILE\")\"\n",
        )
        .file("pid", "4242")
        .file("p.yaml", &one_check("agent", "service: {name: com.example.agent, manager: launchd, restarts_within: 5m}"));
    std::fs::set_permissions(test.path("bin/launchctl"), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let (bin, pid) = (test.path("bin"), test.path("pid"));
    let test = test.env("PATH", &format!("{}:/usr/bin:/bin", bin.display())).env("PID_FILE", pid.to_str().unwrap());
    let run = || -> serde_json::Value {
        let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr))
    };
    let first = run();
    assert_eq!(
        check(&first, "agent")["message"],
        "launchd: `com.example.agent` is running (pid 4242), restarts: baseline taken, counted from the next run",
        "{first}"
    );
    std::fs::write(&pid, "4343").unwrap();
    let second = run();
    assert_eq!(check(&second, "agent")["metrics"]["restarts"], 1.0, "{second}");
    assert!(check(&second, "agent")["message"].as_str().unwrap().ends_with(", 1 restart in the last 5m"), "{second}");
}

#[test]
fn a_missing_service_manager_is_unknown_with_the_reason() {
    // With an empty PATH there is no launchctl and no pm2; this container runs no systemd.
    let playbook = one_check("svc", "service: {name: nginx, manager: launchd}");
    let output = Test::new().file("p.yaml", &playbook).env("PATH", "/nonexistent").run_args(&[
        "run",
        "--no-store",
        "--format",
        "json",
        "p.yaml",
    ]);
    let json: serde_json::Value = serde_json::from_str(&output.stdout).unwrap();
    assert_eq!(output.code, 3);
    assert_eq!(check(&json, "svc")["status"], "unknown");
    assert!(check(&json, "svc")["message"].as_str().unwrap().contains("launchctl is not installed"));
}

#[test]
fn manual_items_never_change_the_exit_code() {
    let playbook = one_check("review", "manual: {instructions: Read the dashboards.}");
    let (code, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 0);
    assert_eq!(check(&json, "review")["status"], "manual");
    assert_eq!(json["status"], "ok");
}

#[test]
fn retries_report_attempts_and_the_last_one_counts() {
    let playbook = one_check(
        "flaky",
        "retries: 2\nretry_delay: 100ms\ncommand:\n  shell: 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; test $n -ge 3'",
    );
    let (code, json, _) = run_json(Test::new().file("p.yaml", &playbook));
    assert_eq!(code, 0, "{json}");
    assert_eq!(check(&json, "flaky")["attempts"], 3);
    assert!(check(&json, "flaky")["message"].as_str().unwrap().contains("attempt 3 of 3"));
}

#[test]
fn unknown_metric_in_a_threshold_is_unknown() {
    let playbook = one_check("t", "command: {run: [\"true\"]}\nthresholds: {bogus_metric: {warn: \"> 1\"}}");
    let output = Test::new().file("p.yaml", &playbook).run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 3, "{}", output.stdout);
    assert!(output.stdout.contains("no metric `bogus_metric`"));
}

#[test]
fn a_sqlite_query_that_would_write_a_file_is_refused() {
    let test = Test::new();
    let db = test.path("app.db");
    assert!(
        std::process::Command::new("sqlite3")
            .arg(&db)
            .arg("CREATE TABLE t(a); INSERT INTO t VALUES (1);")
            .status()
            .unwrap()
            .success()
    );
    let copy = test.path("copy.db");
    let playbook =
        one_check("vacuum", &format!("sqlite: {{path: app.db, query: \"VACUUM INTO '{}'\"}}", copy.display()));
    let (code, json, _) = run_json(test.file("p.yaml", &playbook));
    assert_eq!(code, 3, "{json}");
    assert!(check(&json, "vacuum")["message"].as_str().unwrap().contains("not read-only"), "{json}");
    assert!(!copy.exists(), "the check wrote a file");
}
