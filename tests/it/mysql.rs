//! The `mysql` kind against the machine's MariaDB (127.0.0.1:3306, root without a password,
//! database `test`), a user with a password the test creates there, a refused port and a
//! port that accepts and never answers. Time limits are asserted with a generous margin.

use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::Test;
use crate::support::checks::{JsonRun, playbook};
use crate::support::redis::free_port;

const URL: &str = "mysql://root@127.0.0.1:3306/test";

/// Runs SQL as root with the server's own client (tests/run installs it).
fn as_root(sql: &str) {
    let output = Command::new("mysql")
        .args(["-uroot", "-h127.0.0.1", "-P3306", "-e", sql])
        .output()
        .expect("the mysql client is installed (tests/run installs mariadb-client)");
    assert!(output.status.success(), "{sql}: {}", String::from_utf8_lossy(&output.stderr));
}

/// A user with a password and SELECT on `test`, created for one test and dropped after it.
/// Both host forms: a TCP client from 127.0.0.1 is `localhost` to MariaDB unless it skips
/// name resolution.
struct User {
    name: String,
}

impl User {
    fn create(password: &str) -> User {
        let name = format!("runner_t{}", std::process::id());
        for host in ["localhost", "127.0.0.1"] {
            as_root(&format!(
                "DROP USER IF EXISTS '{name}'@'{host}'; CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'; \
                 GRANT SELECT ON test.* TO '{name}'@'{host}';"
            ));
        }
        User { name }
    }
}

impl Drop for User {
    fn drop(&mut self) {
        let name = &self.name;
        as_root(&format!("DROP USER IF EXISTS '{name}'@'localhost', '{name}'@'127.0.0.1';"));
    }
}

#[test]
fn mysql_select_1_passes_with_latency_value_and_rows() {
    let run = JsonRun::checks(&[("my", &format!("mysql:\n  url: {URL}"))]);
    let my = run.check("my");
    assert_eq!(my["status"], "ok", "{my}");
    assert!(run.message("my").starts_with("1 row, value 1 in "), "{my}");
    assert!(my["metrics"]["latency_ms"].as_f64().unwrap() > 0.0, "{my}");
    assert_eq!(my["metrics"]["value"], 1.0);
    assert_eq!(my["metrics"]["rows"], 1.0);
    // The machine's server is a primary: no replication lag.
    assert!(my["metrics"].get("replication_lag_s").is_none(), "{my}");
}

#[test]
fn mysql_query_min_rows_value_and_thresholds() {
    let run = JsonRun::checks(&[
        (
            "rows",
            &format!(
                "mysql:\n  url: {URL}\n  query: \"SELECT schema_name FROM information_schema.schemata\"\n  expect: {{min_rows: 2}}"
            ),
        ),
        ("text", &format!("mysql:\n  url: {URL}\n  query: \"SELECT 'ready', 2\"\n  expect: {{value: ready}}")),
        ("wrong", &format!("mysql:\n  url: {URL}\n  expect: {{value: 2}}")),
        ("too-few", &format!("mysql:\n  url: {URL}\n  expect: {{min_rows: 3}}")),
        (
            "threshold",
            &format!("mysql:\n  url: {URL}\n  query: \"SELECT 41 + 1\"\nthresholds:\n  value: {{crit: \">= 42\"}}"),
        ),
        ("nothing", &format!("mysql:\n  url: {URL}\n  query: \"SELECT 1 FROM DUAL WHERE 1 = 0\"")),
    ]);
    assert_eq!(run.check("rows")["status"], "ok", "{}", run.json);
    assert!(run.check("rows")["metrics"]["rows"].as_f64().unwrap() >= 2.0);
    assert_eq!(run.check("text")["status"], "ok", "{}", run.json);
    assert!(run.message("text").starts_with("1 row, value ready in "), "{}", run.json);
    assert!(run.check("text")["metrics"].get("value").is_none(), "text is no metric: {}", run.json);
    assert_eq!(run.check("wrong")["status"], "critical");
    assert!(run.message("wrong").starts_with("expected value 2, got 1"), "{}", run.json);
    assert!(run.message("too-few").starts_with("expected at least 3 rows, got 1"), "{}", run.json);
    assert_eq!(run.check("threshold")["status"], "critical", "{}", run.json);
    assert_eq!(run.check("threshold")["metrics"]["value"], 42.0);
    assert_eq!(run.check("nothing")["status"], "ok");
    assert_eq!(run.check("nothing")["metrics"]["rows"], 0.0);
}

#[test]
fn mysql_session_is_read_only() {
    let table = format!("runner_must_not_exist_{}", std::process::id());
    let run = JsonRun::checks(&[
        ("create", &format!("mysql:\n  url: {URL}\n  query: \"CREATE TABLE {table} (a INT)\"")),
        ("bad-sql", &format!("mysql:\n  url: {URL}\n  query: \"SELEKT 1\"")),
    ]);
    assert_eq!(run.check("create")["status"], "critical", "{}", run.json);
    assert!(run.message("create").contains("READ ONLY transaction"), "{}", run.json);
    let check = JsonRun::checks(&[(
        "gone",
        &format!(
            "mysql:\n  url: {URL}\n  query: \"SELECT count(*) FROM information_schema.tables WHERE table_name = '{table}'\"\n  expect: {{value: 0}}"
        ),
    )]);
    assert_eq!(check.check("gone")["status"], "ok", "the table was created: {}", check.json);
    assert!(run.message("bad-sql").starts_with("query failed: You have an error in your SQL syntax"), "{}", run.json);
    assert!(run.message("bad-sql").contains("(error 1064, SQLSTATE 42000)"), "{}", run.json);
}

#[test]
fn mysql_check_never_writes_whatever_the_query_says() {
    let table = format!("runner_my_must_not_exist_{}", std::process::id());
    let attacks = [
        ("create", format!("CREATE TABLE {table} (a INT)")),
        ("session-rw", format!("SET SESSION TRANSACTION READ WRITE; CREATE TABLE {table} (a INT)")),
        ("commit-first", format!("COMMIT; CREATE TABLE {table} (a INT)")),
        ("begin-rw", format!("START TRANSACTION READ WRITE; CREATE TABLE {table} (a INT); COMMIT")),
        ("insert", "INSERT INTO mysql.plugin VALUES ('runner_x', 'x.so')".to_string()),
    ];
    let checks: Vec<(&str, String)> =
        attacks.iter().map(|(id, sql)| (*id, format!("mysql:\n  url: {URL}\n  query: \"{sql}\""))).collect();
    let run = JsonRun::checks(&checks);
    for (id, _) in &attacks {
        assert_eq!(run.check(id)["status"], "critical", "{id}: {}", run.json);
    }
    for id in ["session-rw", "commit-first", "begin-rw"] {
        assert!(run.message(id).starts_with("query failed: You have an error in your SQL syntax"), "{}", run.json);
    }
    assert!(run.message("create").contains("READ ONLY transaction"), "{}", run.json);
    assert!(run.message("insert").contains("READ ONLY transaction"), "{}", run.json);
    let check = JsonRun::checks(&[(
        "gone",
        &format!(
            "mysql:\n  url: {URL}\n  query: \"SELECT count(*) FROM information_schema.tables WHERE table_name IN ('{table}', 'runner_x')\"\n  expect: {{value: 0}}"
        ),
    )]);
    assert_eq!(check.check("gone")["status"], "ok", "a table was created: {}", check.json);
    let check = JsonRun::checks(&[(
        "gone",
        &format!(
            "mysql:\n  url: {URL}\n  query: \"SELECT count(*) FROM mysql.plugin WHERE name = 'runner_x'\"\n  expect: {{value: 0}}"
        ),
    )]);
    assert_eq!(check.check("gone")["status"], "ok", "a row was inserted: {}", check.json);
}

#[test]
fn mysql_refused_port_unknown_database_and_tls_against_a_server_without_it() {
    let port = free_port();
    let run = JsonRun::checks(&[
        ("refused", format!("mysql:\n  url: mysql://root@127.0.0.1:{port}/test")),
        ("no-db", "mysql:\n  url: mysql://root@127.0.0.1:3306/no_such_db_runner".to_string()),
        ("tls", format!("mysql:\n  url: \"{URL}?require_ssl=true\"")),
    ]);
    for id in ["refused", "no-db", "tls"] {
        assert_eq!(run.check(id)["status"], "critical", "{}", run.json);
    }
    assert_eq!(run.message("refused"), format!("connection refused (127.0.0.1:{port})"), "{}", run.json);
    // The URL is a secret as a whole: the database's name, a part of it, is masked.
    assert!(run.message("no-db").starts_with("no such database: Unknown database "), "{}", run.json);
    // The machine's MariaDB runs without TLS (`have_ssl` DISABLED).
    assert!(run.message("tls").starts_with("TLS: the server does not offer TLS"), "{}", run.json);
}

#[test]
fn mysql_right_and_wrong_passwords_and_the_wrong_one_is_in_no_output_log_or_store() {
    const RIGHT: &str = "Right-pw-4a1c7";
    const WRONG: &str = "Wr0ng-pw-9e2d5";
    let user = User::create(RIGHT);
    let name = &user.name;
    let checks = [
        ("url-right", format!("mysql:\n  url: mysql://{name}:{RIGHT}@127.0.0.1:3306/test")),
        ("key-right", format!("mysql:\n  url: mysql://{name}@127.0.0.1:3306/test\n  password: \"${{RIGHT_PW}}\"")),
        ("url-wrong", format!("mysql:\n  url: mysql://{name}:{WRONG}@127.0.0.1:3306/test")),
        (
            "key-wrong",
            format!("mysql:\n  url: mysql://{name}:{RIGHT}@127.0.0.1:3306/test\n  password: \"${{WRONG_PW}}\""),
        ),
        // The server echoes the password back as the query's value.
        (
            "echo",
            format!(
                "mysql:\n  url: mysql://{name}:{RIGHT}@127.0.0.1:3306/test\n  query: \"SELECT '{RIGHT}', '{WRONG}'\"\n  expect: {{value: 2}}"
            ),
        ),
        ("refused", format!("mysql:\n  url: mysql://{name}:{WRONG}@127.0.0.1:{}/test", free_port())),
    ];
    let test = Test::new()
        .file("p.yaml", &playbook(&checks))
        .env("RIGHT_PW", RIGHT)
        .env("WRONG_PW", WRONG)
        .env("RUST_LOG", "trace");

    let run = JsonRun::of(&test);
    assert_eq!(run.check("url-right")["status"], "ok", "{}", run.json);
    assert_eq!(run.check("key-right")["status"], "ok", "{}", run.json);
    for id in ["url-wrong", "key-wrong"] {
        assert_eq!(run.check(id)["status"], "critical", "{}", run.json);
        assert!(run.message(id).starts_with("authentication failed (wrong password or user): "), "{}", run.json);
    }
    assert!(run.message("echo").starts_with("expected value 2, got \"***\""), "{}", run.json);

    for format in ["human", "json", "junit", "tap", "prometheus", "nagios"] {
        let output = test.run_args(&["run", "-vv", "--format", format, "p.yaml"]);
        for secret in [RIGHT, WRONG] {
            assert!(!output.stdout.contains(secret), "{format} stdout:\n{}", output.stdout);
            assert!(!output.stderr.contains(secret), "{format} stderr:\n{}", output.stderr);
        }
    }
    for format in ["human", "json"] {
        let output = test.run_args(&["validate", "--format", format, "p.yaml"]);
        assert!(!output.stdout.contains(WRONG) && !output.stderr.contains(WRONG), "{}", output.stdout);
    }
    let stored: String = ["runner.db", "runner.db-wal"]
        .iter()
        .filter_map(|file| std::fs::read(test.path(&format!(".state/{file}"))).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect();
    assert!(stored.contains("authentication failed"), "the runs were stored");
    assert!(!stored.contains(RIGHT) && !stored.contains(WRONG), "the store holds a password");
}

#[test]
fn mysql_silent_port_ends_at_the_checks_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    // Accepts (the kernel does, from the backlog) and never sends the server's greeting.
    let run =
        JsonRun::checks(&[("silent", &format!("timeout: 1s\nmysql:\n  url: mysql://root@127.0.0.1:{port}/test"))]);
    assert_eq!(run.check("silent")["status"], "critical", "{}", run.json);
    assert_eq!(run.message("silent"), "timed out after 1s", "{}", run.json);
    assert!(run.elapsed < Duration::from_secs(4), "took {:?}", run.elapsed);
    drop(listener);
}

/// For each client of a [`Proxy`]: when it connected, and when it closed its side.
type Clients = std::sync::Arc<std::sync::Mutex<Vec<(Instant, Option<Instant>)>>>;

/// A TCP proxy to the machine's MariaDB that notes its clients.
struct Proxy {
    port: u16,
    clients: Clients,
}

impl Proxy {
    fn start() -> Proxy {
        Proxy::listening_on("127.0.0.1:0")
    }

    fn listening_on(address: &str) -> Proxy {
        let listener = TcpListener::bind(address).unwrap();
        let port = listener.local_addr().unwrap().port();
        let clients = Clients::default();
        let noted = clients.clone();
        std::thread::spawn(move || {
            for mut client in listener.incoming().flatten() {
                let index = {
                    let mut clients = noted.lock().unwrap();
                    clients.push((Instant::now(), None));
                    clients.len() - 1
                };
                let noted = noted.clone();
                std::thread::spawn(move || {
                    let mut server = TcpStream::connect("127.0.0.1:3306").unwrap();
                    let (mut from_server, mut to_client) = (server.try_clone().unwrap(), client.try_clone().unwrap());
                    std::thread::spawn(move || std::io::copy(&mut from_server, &mut to_client));
                    let _ = std::io::copy(&mut client, &mut server);
                    noted.lock().unwrap()[index].1 = Some(Instant::now());
                    let _ = server.shutdown(std::net::Shutdown::Both);
                });
            }
        });
        Proxy { port, clients }
    }
}

#[test]
fn mysql_a_query_cut_by_the_timeout_closes_its_connection_in_a_daemon() {
    // The query outlasts the check's timeout by far: a first row too big for the server's
    // buffer goes out at once (the client holds a result it has not read to the end), then
    // the server is silent for 20 s. Left to itself, mysql_async would read that result to
    // its end after the drop, in a task of its own.
    let proxy = Proxy::start();
    let test = Test::new().file(
        "p/slow.yaml",
        &format!(
            "version: 1\nname: slow\nschedule: {{cron: \"*/5 * * * * *\", timezone: UTC}}\nchecks:\n  - id: slow\n    timeout: 1s\n    mysql:\n      url: mysql://root@127.0.0.1:{}/test\n      query: \"SELECT REPEAT('x', 100000) UNION ALL SELECT SLEEP(20)\"\n",
            proxy.port
        ),
    );
    let _daemon = crate::daemon::Daemon::start(&test, "p", &[]);
    let started = Instant::now();
    let first = loop {
        if let Some(&client) = proxy.clients.lock().unwrap().first() {
            break client;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "the daemon never connected");
        std::thread::sleep(Duration::from_millis(50));
    };
    // The daemon lives on: the connection must end with the check (timeout 1 s, then at
    // most 1 s to say COM_QUIT), not when the server answers 20 s later.
    while proxy.clients.lock().unwrap()[0].1.is_none() && first.0.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let closed = proxy.clients.lock().unwrap()[0].1.map(|at| at - first.0);
    assert!(closed.is_some_and(|after| after < Duration::from_secs(4)), "closed after {closed:?}");
}

#[test]
fn mysql_ipv6_hosts_connect_and_connect_errors_name_the_host() {
    // The machine's MariaDB listens on 127.0.0.1 only: an IPv6 proxy in front of it.
    let proxy = Proxy::listening_on("[::1]:0");
    let closed = free_port();
    let run = JsonRun::checks(&[
        ("v6", format!("mysql:\n  url: \"mysql://root@[::1]:{}/test\"", proxy.port)),
        ("v6-refused", format!("mysql:\n  url: \"mysql://root@[::1]:{closed}/test\"")),
        ("no-host", "mysql:\n  url: mysql://root@no-such-host.invalid:3306/test".to_string()),
    ]);
    assert_eq!(run.check("v6")["status"], "ok", "{}", run.json);
    assert_eq!(run.message("v6-refused"), format!("connection refused ([::1]:{closed})"), "{}", run.json);
    assert!(run.message("no-host").ends_with("(no-such-host.invalid:3306)"), "{}", run.json);
}

#[test]
fn mysql_url_parameters_other_than_tls_are_refused_by_validate() {
    let test = Test::new().file(
        "p.yaml",
        &playbook(&[("c", "mysql:\n  url: \"mysql://root@127.0.0.1:3306/test?socket=/run/mysqld/mysqld.sock\"")]),
    );
    let output = test.run_args(&["validate", "p.yaml"]);
    assert_eq!(output.code, 1, "{}\n{}", output.stdout, output.stderr);
    let said = format!("{}{}", output.stdout, output.stderr);
    assert!(said.contains("the url has the parameter `socket`, which runner does not accept"), "{said}");
    assert!(said.contains("parameters runner knows: `require_ssl=true`"), "{said}");
    let output = test.run_args(&["run", "--no-store", "p.yaml"]);
    assert_ne!(output.code, 0, "{}", output.stdout);
}
