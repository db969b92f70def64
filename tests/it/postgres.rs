//! The `postgres` kind against the machine's PostgreSQL (127.0.0.1:5432, trust auth, user
//! `postgres`), a refused port and a port that accepts and never answers. Time limits are
//! asserted with a generous margin.

use std::time::Duration;

use crate::support::Test;
use crate::support::redis::free_port;

const URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn playbook(body: &str) -> String {
    let body: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!("version: 1\nname: t\nchecks:\n  - id: pg\n{body}")
}

/// Runs `body` as the one check `pg`; its JSON result and how long the run took.
fn run_pg(body: &str) -> (serde_json::Value, Duration) {
    let test = Test::new().file("p.yaml", &playbook(body));
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    let json: serde_json::Value =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr));
    (json["checks"][0].clone(), output.elapsed)
}

#[test]
fn postgres_select_1_passes_with_latency_and_the_server_version() {
    let (pg, _) = run_pg(&format!("postgres:\n  url: {URL}"));
    assert_eq!(pg["status"], "ok", "{pg}");
    assert!(pg["message"].as_str().unwrap().starts_with("1 row, value 1 in "), "{pg}");
    assert!(pg["metrics"]["latency_ms"].as_f64().unwrap() > 0.0, "{pg}");
    assert_eq!(pg["metrics"]["value"], 1.0);
    assert_eq!(pg["metrics"]["rows"], 1.0);
    assert!(pg["metrics"]["server_version_num"].as_f64().unwrap() >= 100_000.0, "{pg}");
    // The machine's server is a primary: no replication lag.
    assert!(pg["metrics"].get("replication_lag_s").is_none(), "{pg}");
}

#[test]
fn postgres_query_with_min_rows_and_a_threshold_on_value() {
    let body = format!(
        "postgres:\n  url: {URL}\n  query: \"SELECT count(*) FROM pg_stat_activity\"\n  expect: {{min_rows: 1}}\nthresholds:\n  value: {{warn: \"> 100000\"}}"
    );
    let (pg, _) = run_pg(&body);
    assert_eq!(pg["status"], "ok", "{pg}");
    assert!(pg["metrics"]["value"].as_f64().unwrap() >= 1.0, "{pg}");

    let body = format!(
        "postgres:\n  url: {URL}\n  query: \"SELECT count(*) FROM pg_stat_activity\"\nthresholds:\n  value: {{crit: \">= 1\"}}"
    );
    let (pg, _) = run_pg(&body);
    assert_eq!(pg["status"], "critical", "{pg}");
}

#[test]
fn postgres_expect_value_fails_with_a_clear_message() {
    let (pg, _) = run_pg(&format!("postgres:\n  url: {URL}\n  expect: {{value: 2}}"));
    assert_eq!(pg["status"], "critical", "{pg}");
    assert!(pg["message"].as_str().unwrap().starts_with("expected value 2, got 1"), "{pg}");
}

#[test]
fn postgres_refused_port_and_unknown_database_are_said_plainly() {
    let port = free_port();
    let (pg, _) = run_pg(&format!("postgres:\n  url: postgres://postgres@127.0.0.1:{port}/postgres"));
    assert_eq!(pg["status"], "critical", "{pg}");
    assert_eq!(pg["message"], "connection refused", "{pg}");

    let (pg, _) = run_pg("postgres:\n  url: postgres://postgres@127.0.0.1:5432/no_such_db_runner");
    assert_eq!(pg["status"], "critical", "{pg}");
    // The URL is a secret as a whole: a name in it that looks like a token is masked.
    assert!(pg["message"].as_str().unwrap().starts_with("no such database: database "), "{pg}");
}

#[test]
fn postgres_silent_port_ends_at_the_checks_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts (the kernel does, from the backlog) and never answers.
    let (pg, elapsed) =
        run_pg(&format!("timeout: 1s\npostgres:\n  url: postgres://postgres@127.0.0.1:{port}/postgres"));
    assert_eq!(pg["status"], "critical", "{pg}");
    assert!(pg["message"].as_str().unwrap().contains("timed out"), "{pg}");
    assert!(elapsed < Duration::from_secs(4), "took {elapsed:?}");
    drop(listener);
}

#[test]
fn postgres_url_password_is_in_no_output_format() {
    let test = Test::new().file(
        "p.yaml",
        // The server echoes the password back as the query's value: only the scrubber,
        // which knows it from the URL, keeps it out.
        &playbook(
            "postgres:\n  url: postgres://postgres:s3cr3t-pw@127.0.0.1:5432/postgres\n  query: \"SELECT 's3cr3t-pw'\"\n  expect: {value: 2}",
        ),
    );
    for format in ["human", "json", "junit", "tap", "prometheus", "nagios"] {
        let output = test.run_args(&["run", "--no-store", "--format", format, "p.yaml"]);
        let said = if format == "prometheus" { "runner_check_rows" } else { "expected value 2" };
        assert!(output.stdout.contains(said), "{format}: {}", output.stdout);
        assert!(!output.stdout.contains("s3cr3t-pw"), "{format}: {}", output.stdout);
        assert!(!output.stderr.contains("s3cr3t-pw"), "{format}: {}", output.stderr);
    }
    // A refused port and an invalid URL too (errors carry what the library knows).
    let port = free_port();
    let test = Test::new().file(
        "p.yaml",
        &playbook(&format!("postgres:\n  url: postgres://postgres:s3cr3t-pw@127.0.0.1:{port}/postgres?sslmode=bogus")),
    );
    for format in ["human", "json"] {
        let output = test.run_args(&["run", "--no-store", "--format", format, "p.yaml"]);
        assert!(!output.stdout.contains("s3cr3t-pw"), "{format}: {}", output.stdout);
        assert!(!output.stderr.contains("s3cr3t-pw"), "{format}: {}", output.stderr);
    }
}

/// Runs SQL on the machine's PostgreSQL with its own client; the one value it prints.
fn psql(sql: &str) -> String {
    let output = std::process::Command::new("psql")
        .args(["-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-tAc", sql])
        .output()
        .expect("psql is installed (tests/run installs the PostgreSQL client)");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

#[test]
fn postgres_check_never_writes_whatever_the_query_says() {
    let table = format!("runner_pg_must_not_exist_{}", std::process::id());
    let attacks = [
        ("create", format!("CREATE TABLE {table} (a int)")),
        ("begin-rw", format!("BEGIN READ WRITE; CREATE TABLE {table} (a int); COMMIT")),
        ("commit-first", format!("COMMIT; CREATE TABLE {table} (a int)")),
        ("set-rw", format!("SET TRANSACTION READ WRITE; CREATE TABLE {table} (a int)")),
        ("set-rw-alone", "SET TRANSACTION READ WRITE".to_string()),
        ("session-rw", format!("SET default_transaction_read_only = off; CREATE TABLE {table} (a int)")),
        ("insert", "INSERT INTO pg_catalog.pg_description VALUES (0, 0, 0, 'x')".to_string()),
    ];
    let checks: Vec<(&str, String)> =
        attacks.iter().map(|(id, sql)| (*id, format!("postgres:\n  url: {URL}\n  query: \"{sql}\""))).collect();
    let run = crate::support::checks::JsonRun::checks(&checks);
    for id in ["create", "begin-rw", "commit-first", "set-rw", "session-rw", "insert"] {
        assert_eq!(run.check(id)["status"], "critical", "{id}: {}", run.json);
    }
    for id in ["begin-rw", "commit-first", "set-rw", "session-rw"] {
        assert_eq!(
            run.message(id),
            "the query must be one statement (a check runs one read-only statement)",
            "{}",
            run.json
        );
    }
    assert!(run.message("create").contains("read-only transaction"), "{}", run.json);
    assert_eq!(
        psql(&format!("SELECT count(*) FROM pg_tables WHERE tablename = '{table}'")),
        "0",
        "the table was created"
    );
}

#[test]
fn postgres_query_cut_by_the_timeout_stops_on_the_server() {
    let marker = format!("runner_cut_{}", std::process::id());
    let (pg, elapsed) =
        run_pg(&format!("timeout: 2s\npostgres:\n  url: {URL}\n  query: \"SELECT pg_sleep(30) /* {marker} */\""));
    assert_eq!(pg["status"], "critical", "{pg}");
    assert!(pg["message"].as_str().unwrap().contains("timed out"), "{pg}");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    // Split so that this query's own text does not match itself.
    let still_running = format!(
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%' || '{}' || '{}%'",
        &marker[..4],
        &marker[4..]
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let running = psql(&still_running);
        if running == "0" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the query still runs on the server 2s after the timeout");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn huge_values_keep_every_checks_timeout_and_are_cut_with_a_marker() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let big = |letter: char| {
        format!("timeout: 1s\npostgres:\n  url: {URL}\n  query: \"SELECT repeat('{letter}', 50000000)\"")
    };
    let run = crate::support::checks::JsonRun::checks(&[
        ("big-a", big('a')),
        ("big-b", big('b')),
        ("big-c", big('c')),
        (
            "my-big",
            "timeout: 1s\nmysql:\n  url: mysql://root@127.0.0.1:3306/test\n  query: \"SELECT repeat('m', 10000000)\""
                .into(),
        ),
        ("silent", format!("timeout: 1s\npostgres:\n  url: postgres://postgres@127.0.0.1:{port}/postgres")),
        ("long", format!("postgres:\n  url: {URL}\n  query: \"SELECT repeat('l', 5000)\"")),
        ("my-long", "mysql:\n  url: mysql://root@127.0.0.1:3306/test\n  query: \"SELECT repeat('l', 5000)\"".into()),
    ]);
    let silent_ms = run.check("silent")["duration_ms"].as_f64().unwrap();
    assert!(run.message("silent").contains("timed out"), "{}", run.json);
    assert!(silent_ms < 1600.0, "the silent check's 1s timeout fired after {silent_ms}ms: {}", run.json);
    for id in ["big-a", "big-b", "big-c", "my-big"] {
        let took = run.check(id)["duration_ms"].as_f64().unwrap();
        assert!(took < 1600.0, "{id} took {took}ms with a 1s timeout");
    }
    for id in ["long", "my-long"] {
        assert_eq!(run.check(id)["status"], "ok", "{}", run.json);
        let message = run.message(id);
        assert!(message.starts_with(&format!("1 row, value {}… in ", "l".repeat(80))), "{id}: {message}");
    }
    drop(silent);
}

#[test]
fn a_million_rows_are_counted_not_kept() {
    let test = Test::new().file(
        "p.yaml",
        &playbook(&format!("timeout: 20s\npostgres:\n  url: {URL}\n  query: \"SELECT generate_series(1, 1000000)\"")),
    );
    let output = std::process::Command::new("/usr/bin/time")
        .arg("-f")
        .arg("maxrss=%M")
        .arg(crate::support::runner_bin())
        .args(["run", "--no-store", "--format", "json", "p.yaml"])
        .current_dir(test.root())
        .env("RUNNER_STATE", test.path(".state"))
        .env("HOME", test.root())
        .output()
        .expect("/usr/bin/time is installed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    assert_eq!(json["checks"][0]["metrics"]["rows"], 1_000_000.0, "{json}");
    let kib: u64 = stderr.lines().find_map(|l| l.strip_prefix("maxrss=")).and_then(|v| v.trim().parse().ok()).unwrap();
    assert!(kib < 120 * 1024, "a million rows took {kib} KiB");
}

#[test]
fn postgres_sslmode_encrypts_verifies_or_says_the_server_has_no_tls() {
    // The machine's PostgreSQL has TLS on, with a certificate for `localhost` only.
    let run = crate::support::checks::JsonRun::checks(&[
        (
            "require",
            format!(
                "postgres:\n  url: \"{URL}?sslmode=require\"\n  query: \"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\"\n  expect: {{value: true}}"
            ),
        ),
        (
            "disable",
            format!(
                "postgres:\n  url: \"{URL}?sslmode=disable\"\n  query: \"SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()\"\n  expect: {{value: false}}"
            ),
        ),
        ("verify-full", format!("postgres:\n  url: \"{URL}?sslmode=verify-full\"")),
    ]);
    assert_eq!(run.check("require")["status"], "ok", "{}", run.json);
    assert_eq!(run.check("disable")["status"], "ok", "{}", run.json);
    assert_eq!(run.check("verify-full")["status"], "critical", "{}", run.json);
    assert!(run.message("verify-full").starts_with("TLS: "), "{}", run.json);
    assert!(run.message("verify-full").contains("not valid for name"), "{}", run.json);

    // A server without TLS answers the TLS request with `N`, as PostgreSQL with ssl=off does.
    let plain = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = plain.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for mut client in plain.incoming().flatten() {
            let mut request = [0u8; 8];
            if std::io::Read::read_exact(&mut client, &mut request).is_ok() {
                let _ = std::io::Write::write_all(&mut client, b"N");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    let (pg, _) =
        run_pg(&format!("postgres:\n  url: \"postgres://postgres@127.0.0.1:{port}/postgres?sslmode=require\""));
    assert_eq!(pg["status"], "critical", "{pg}");
    assert!(pg["message"].as_str().unwrap().starts_with("TLS: the server does not offer TLS"), "{pg}");
}

#[test]
fn postgres_url_parameters_are_checked_by_validate() {
    for (parameter, said) in [
        ("sslmode=banana", "`sslmode=banana` is not a mode runner knows"),
        ("foo=bar", "the url has the parameter `foo`, which runner does not accept"),
        ("options=-c%20default_transaction_read_only%3Doff", "the url has the parameter `options`"),
    ] {
        let test = Test::new().file("p.yaml", &playbook(&format!("postgres:\n  url: \"{URL}?{parameter}\"")));
        let output = test.run_args(&["validate", "p.yaml"]);
        assert_eq!(output.code, 1, "{parameter}: {}\n{}", output.stdout, output.stderr);
        let text = format!("{}{}", output.stdout, output.stderr);
        assert!(text.contains(said), "{parameter}: {text}");
    }
}
