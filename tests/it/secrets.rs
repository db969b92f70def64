//! Secrets never leave: a canary placed in a password, a webhook URL and a header stays
//! out of every output format, error message and log (even at RUST_LOG=trace, even when a
//! library error carries the URL), and out of the store.

use crate::support::Test;
use crate::support::redis::RedisServer;

const CANARY: &str = "CanarySecret-7f3a9b";

/// What the store holds on disk (the database and its write-ahead log), as text.
fn stored(test: &Test) -> String {
    ["runner.db", "runner.db-wal"]
        .iter()
        .filter_map(|file| std::fs::read(test.path(&format!(".state/{file}"))).ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .collect()
}

fn playbook(redis_port: u16, dead_port: u16) -> String {
    format!(
        r#"version: 1
name: secretive
checks:
  - id: redis-wrong-password
    redis:
      url: "redis://127.0.0.1:{redis_port}"
      password: "${{REDIS_PASSWORD}}"
  - id: redis-url-password
    redis:
      url: "redis://:${{REDIS_PASSWORD}}@127.0.0.1:{dead_port}/0"
  - id: api-token-in-url
    http:
      url: "http://127.0.0.1:{dead_port}/health?token=${{API_TOKEN}}"
  - id: header
    http:
      url: "http://user:${{API_TOKEN}}@127.0.0.1:{dead_port}/"
      headers:
        Authorization: "Bearer ${{API_TOKEN}}"
  - id: echo
    command:
      shell: 'echo "the token is $TOKEN_COPY"; exit 2'
      env: {{TOKEN_COPY: "${{API_TOKEN}}"}}
notify:
  - id: hook
    webhook:
      url: "http://127.0.0.1:{dead_port}/hook/${{HOOK_WEBHOOK}}"
      headers:
        X-Api-Key: "${{HOOK_KEY}}"
"#
    )
}

#[test]
fn a_canary_never_appears_in_any_format_log_or_store() {
    let server = RedisServer::start(Some("the-real-password"));
    let dead = crate::support::redis::free_port();
    let test = Test::new()
        .file("p.yaml", &playbook(server.port, dead))
        .env("REDIS_PASSWORD", CANARY)
        .env("API_TOKEN", CANARY)
        .env("HOOK_WEBHOOK", CANARY)
        .env("HOOK_KEY", CANARY)
        .env("RUST_LOG", "trace");
    for format in ["human", "json", "junit", "tap", "prometheus", "nagios"] {
        let output = test.run_args(&["run", "-vv", "--format", format, "p.yaml"]);
        assert!(!output.stdout.contains(CANARY), "{format} stdout leaks the canary:\n{}", output.stdout);
        assert!(!output.stderr.contains(CANARY), "{format} logs leak the canary:\n{}", output.stderr);
        assert!(!output.stdout.contains("7f3a9b"), "{format}: a fragment leaked");
        assert_eq!(output.code, 2, "{format}: {}", output.stderr);
    }
    // The errors were real: authentication failed and connections were refused.
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    assert!(output.stdout.contains("authentication failed"), "{}", output.stdout);
    assert!(output.stdout.contains("connection refused"), "{}", output.stdout);
    assert!(output.stdout.contains("the token is ***"), "command output is scrubbed: {}", output.stdout);
    // validate, in both formats.
    for format in ["human", "json"] {
        let output = test.run_args(&["validate", "--format", format, "p.yaml"]);
        assert!(!output.stdout.contains(CANARY) && !output.stderr.contains(CANARY));
    }
    // Nothing secret reached the store on disk.
    assert!(!stored(&test).contains(CANARY), "the store holds the canary");
}

#[test]
fn an_invalid_field_holding_a_secret_is_reported_without_it() {
    let playbook = "version: 1\nname: bad\nchecks:\n  - id: db\n    tcp: {address: \"${DB_PASSWORD}\"}\n";
    let output = Test::new().file("p.yaml", playbook).env("DB_PASSWORD", CANARY).run_args(&["validate", "p.yaml"]);
    assert_eq!(output.code, 1);
    assert!(output.stdout.contains("`***` is not `host:port`"), "{}", output.stdout);
    assert!(!output.stdout.contains(CANARY));
}

#[test]
fn a_secret_cut_by_an_output_limit_shows_no_part_of_itself() {
    // The first line of a command's output is cut at 160 characters and its capture at
    // 64 KiB; each cut here falls inside the secret.
    let playbook = r#"version: 1
name: cut
checks:
  - id: first-line
    command:
      shell: 'printf "%0150d" 0; echo "$TOKEN_COPY"; exit 2'
      env: {TOKEN_COPY: "${API_TOKEN}"}
  - id: capture
    command:
      shell: 'head -c 65526 /dev/zero | tr "\0" a; echo "$TOKEN_COPY"; exit 2'
      env: {TOKEN_COPY: "${API_TOKEN}"}
"#;
    let test = Test::new().file("p.yaml", playbook).env("API_TOKEN", CANARY);
    let output = test.run_args(&["run", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    // The first 10 characters of the canary ("CanarySecr") would be shown by a cut that
    // scrubbed afterwards; here even a 6-character prefix must not appear.
    assert!(!output.stdout.contains(&CANARY[..6]), "a prefix of the secret leaked:\n{}", output.stdout);
    assert!(!stored(&test).contains(&CANARY[..6]), "the store holds a prefix of the canary");
}

#[test]
fn tokens_in_webhook_urls_stay_hidden_when_a_server_echoes_part_of_the_url() {
    use crate::support::http::{Reply, Request, Server};
    // A receiver that refuses everything and echoes the path and the credentials it got,
    // as many servers do ("Cannot POST /services/…").
    let server = Server::with(|request: &Request| {
        let auth = request.header("Authorization").unwrap_or("none");
        Reply::status(500, &format!("Cannot {} {} (auth: {auth})", request.method, request.path))
    });
    const PATH_TOKEN: &str = "CANARYW3";
    const SLACK_TOKEN: &str = "CanaryW3bhookTokenXyz";
    const PASSWORD: &str = "CanaryPassw0rd";
    // base64("hookuser:CanaryPassw0rd"), the Basic auth header.
    let basic = "aG9va3VzZXI6Q2FuYXJ5UGFzc3cwcmQ=";
    let playbook = format!(
        r#"version: 1
name: echoed
checks:
  - id: down
    command: {{shell: "exit 2"}}
notify:
  - id: hook
    webhook: {{url: "{hook}"}}
  - id: slack
    slack: {{webhook_url: "${{SLACK_WEBHOOK_URL}}"}}
  - id: basic
    webhook: {{url: "http://hookuser:{PASSWORD}@127.0.0.1:{port}/basic"}}
"#,
        hook = server.url(&format!("/echo/{PATH_TOKEN}")),
        port = server.port,
    );
    let slack = server.url(&format!("/services/T0000/B0000/{SLACK_TOKEN}"));
    let test =
        Test::new().file("p.yaml", &playbook).env("SLACK_WEBHOOK_URL", &slack).env("RUNNER_OUTBOX_BACKOFF", "50ms");
    let leaks = |text: &str| -> Vec<&str> {
        [PATH_TOKEN, SLACK_TOKEN, PASSWORD, basic].into_iter().filter(|t| text.contains(t)).collect()
    };
    let mut outputs = Vec::new();
    for args in [&["run", "-vv", "p.yaml"][..], &["run", "-v", "--format", "json", "p.yaml"], &["alerts"]] {
        std::thread::sleep(std::time::Duration::from_millis(100));
        outputs.push((args.join(" "), test.run_args(args)));
    }
    outputs.push(("notify test".into(), test.run_args(&["notify", "test", "p.yaml", "hook"])));
    // The errors were real: every channel was tried and answered 500 with the echo.
    let requests = server.requests();
    for path in [format!("/echo/{PATH_TOKEN}"), format!("/services/T0000/B0000/{SLACK_TOKEN}"), "/basic".into()] {
        assert!(requests.iter().any(|r| r.path == path), "{path} was not tried");
    }
    assert!(requests.iter().any(|r| r.header("Authorization") == Some(&format!("Basic {basic}"))));
    let (_, first) = &outputs[0];
    assert!(first.stdout.contains("HTTP 500: Cannot POST ***"), "{}", first.stdout);
    for (what, output) in &outputs {
        assert!(
            leaks(&output.stdout).is_empty(),
            "{what}: stdout leaks {:?}:\n{}",
            leaks(&output.stdout),
            output.stdout
        );
        assert!(
            leaks(&output.stderr).is_empty(),
            "{what}: stderr leaks {:?}:\n{}",
            leaks(&output.stderr),
            output.stderr
        );
    }
    let stored = stored(&test);
    assert!(leaks(&stored).is_empty(), "the store holds {:?}", leaks(&stored));
}

#[test]
fn a_password_stays_hidden_in_every_spelling_a_server_echoes_it() {
    use crate::support::http::{Reply, Request, Server};
    const PASSWORD: &str = "Cänary pa$s+wörd=7Q";
    // The spellings, as Python writes them (base64.b64encode, urllib.parse.quote_plus,
    // json.dumps) and as the URL parser sends a query value.
    let spellings = [
        ("Basic auth", "cHJvYmU6Q8OkbmFyeSBwYSRzK3fDtnJkPTdR"),
        ("form-encoded", "C%C3%A4nary+pa%24s%2Bw%C3%B6rd%3D7Q"),
        ("query as sent", "C%C3%A4nary%20pa$s+w%C3%B6rd=7Q"),
        ("JSON-escaped", r"C\u00e4nary pa$s+w\u00f6rd=7Q"),
        ("plain", PASSWORD),
        ("a fragment", "pa$s+w"),
    ];
    // A server that refuses the credentials and echoes what it got, in every spelling.
    let server = Server::with(|request: &Request| {
        let auth = request.header("Authorization").unwrap_or("none");
        let query = request.path.split_once('?').map_or("", |(_, q)| q);
        Reply::json(
            401,
            &format!(
                r#"{{"got": "{auth}", "query": "{query}", "form": "k=C%C3%A4nary+pa%24s%2Bw%C3%B6rd%3D7Q", "echo": "C\u00e4nary pa$s+w\u00f6rd=7Q"}}"#
            ),
        )
    });
    let playbook = format!(
        r#"version: 1
name: basic
checks:
  - id: api
    http:
      url: "http://probe:${{API_PASSWORD}}@127.0.0.1:{port}/login?k=${{API_PASSWORD}}"
report:
  path: report.json
  template: builtin:json
"#,
        port = server.port
    );
    let test = Test::new().file("p.yaml", &playbook).env("API_PASSWORD", PASSWORD);
    let leaks = |text: &str| -> Vec<&str> {
        spellings.iter().filter(|(_, spelling)| text.contains(spelling)).map(|(what, _)| *what).collect()
    };
    for format in ["human", "json", "junit", "tap", "prometheus", "nagios"] {
        let output = test.run_args(&["run", "-vv", "--format", format, "p.yaml"]);
        assert_eq!(output.code, 2, "{format}: {}", output.stderr);
        assert!(
            leaks(&output.stdout).is_empty(),
            "{format} stdout leaks {:?}:\n{}",
            leaks(&output.stdout),
            output.stdout
        );
        assert!(leaks(&output.stderr).is_empty(), "{format} stderr leaks {:?}", leaks(&output.stderr));
    }
    // The echo was real: the server got the Basic header and the query, and said so.
    let requests = server.requests();
    let sent = format!("Basic {}", spellings[0].1);
    assert!(requests.iter().any(|r| r.header("Authorization") == Some(sent.as_str())), "{requests:?}");
    assert!(requests.iter().any(|r| r.path.ends_with(spellings[2].1)), "{requests:?}");
    let json = test.run_args(&["run", "--format", "json", "p.yaml"]).stdout;
    assert!(json.contains(r#"\"got\": \"Basic ***\", \"query\": \"k=***\", \"form\": \"k=***\""#), "{json}");
    let report = std::fs::read_to_string(test.path("report.json")).unwrap();
    assert!(report.contains("Basic ***"), "{report}");
    assert!(leaks(&report).is_empty(), "the report leaks {:?}", leaks(&report));
    assert!(leaks(&stored(&test)).is_empty(), "the store holds {:?}", leaks(&stored(&test)));
}

#[test]
fn secret_words_mark_whole_words_only() {
    use crate::support::http::Server;
    // A server that says back the query it got.
    let server = Server::with(|request: &crate::support::http::Request| {
        crate::support::http::Reply::status(500, &format!("query {}", request.path))
    });
    let playbook = format!(
        r#"version: 1
name: words
checks:
  - id: echo
    http:
      url: "http://127.0.0.1:{port}/?a=${{DB_PWD}}&b=${{BASIC_AUTH}}&c=${{APP_PRIVATE_SALT}}&g=${{CLOUD_CREDENTIALS}}&h=${{ADMIN_PASS}}&d=${{PWD}}&e=${{BYPASS_X}}&f=${{AUTHOR}}"
"#,
        port = server.port
    );
    let output = Test::new()
        .file("p.yaml", &playbook)
        .env("DB_PWD", "CanaryPwd1")
        .env("BASIC_AUTH", "CanaryAuth2")
        .env("APP_PRIVATE_SALT", "CanaryPriv3")
        .env("CLOUD_CREDENTIALS", "CanaryCred4")
        .env("ADMIN_PASS", "CanaryPass5")
        .env("PWD", "/home/shown1")
        .env("BYPASS_X", "bypass-shown2")
        .env("AUTHOR", "author-shown3")
        .run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    assert!(
        output.stdout.contains("query /?a=***&b=***&c=***&g=***&h=***&d=/home/shown1&e=bypass-shown2&f=author-shown3"),
        "{}",
        output.stdout
    );
}

#[test]
fn a_password_with_reserved_characters_in_a_url_is_refused_by_validate_without_printing_it() {
    let playbook = "version: 1\nname: u\nchecks:\n  - id: web\n    http: {url: \"http://admin:${URL_PASSWORD}@127.0.0.1:1/x\"}\n  - id: cache\n    redis: {url: \"redis://:${URL_PASSWORD}@127.0.0.1:6379/0\"}\n";
    let test = Test::new().file("p.yaml", playbook).env("URL_PASSWORD", "p@ss:w/rd%").args(["validate", "p.yaml"]);
    let output = test.expect_code(1);
    let said = "the URL does not parse (invalid port number): a password with reserved characters (@ : / % # ?) must be percent-encoded in a URL, or given in";
    assert!(
        output.stdout.contains(&format!("p.yaml:5:17: error: {said} an `Authorization` header")),
        "{}",
        output.stdout
    );
    assert!(output.stdout.contains(&format!("p.yaml:7:18: error: {said} `password:`")), "{}", output.stdout);
    assert!(!output.stdout.contains("p@ss") && !output.stderr.contains("p@ss"), "{}{}", output.stdout, output.stderr);
    // Percent-encoded, the same password is fine.
    let encoded =
        Test::new().file("p.yaml", playbook).env("URL_PASSWORD", "p%40ss%3Aw%2Frd%25").args(["validate", "p.yaml"]);
    let output = encoded.run();
    assert_eq!(output.code, 0, "{}", output.stdout);
}
