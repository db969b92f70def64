//! The HTTP server (`runner daemon --listen`, `runner serve`) against clients that do not
//! play nice: slow, many, hostile. The scheduler shares the process with it.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::daemon::{Daemon, every_second, wait_until};
use crate::support::Test;

/// A connection that sends a request head one byte at a time and never finishes it.
struct Dribbler {
    stream: TcpStream,
    sent: usize,
    closed: bool,
}

const HEAD: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

impl Dribbler {
    /// Sends the next byte; notes when the server has closed the connection.
    fn dribble(&mut self) {
        if self.closed {
            return;
        }
        let mut peek = [0u8; 256];
        match self.stream.read(&mut peek) {
            Ok(0) => self.closed = true,
            Ok(_) => {} // an answer (408 or 503): the close follows
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => self.closed = true,
        }
        if !self.closed {
            let byte = HEAD[self.sent % HEAD.len()];
            if self.stream.write_all(&[byte]).is_err() {
                self.closed = true;
            }
            self.sent += 1;
        }
    }
}

#[test]
fn a_slowloris_neither_stalls_the_scheduler_nor_holds_its_connections() {
    let test = Test::new().file("p/beat.yaml", &every_second("beat", "true", ""));
    let daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(10), || daemon.query("SELECT count(*) FROM runs") != "0"), "no run started");
    let runs_before: i64 = daemon.query("SELECT count(*) FROM runs").parse().unwrap();
    // More connections than the server's cap (512), each dribbling a byte every 200 ms.
    let mut dribblers: Vec<Dribbler> = (0..530)
        .map(|_| {
            let stream = TcpStream::connect(("127.0.0.1", daemon.port())).unwrap();
            stream.set_nonblocking(true).unwrap();
            Dribbler { stream, sent: 0, closed: false }
        })
        .collect();
    let started = Instant::now();
    let mut refused_health_quickly = false;
    while started.elapsed() < Duration::from_secs(12) {
        for dribbler in &mut dribblers {
            dribbler.dribble();
        }
        if started.elapsed() > Duration::from_secs(1) && started.elapsed() < Duration::from_secs(3) {
            // While every slot is held, a new client hears 503 at once instead of hanging.
            let asked = Instant::now();
            if let Some((code, body)) = daemon.get("/healthz") {
                refused_health_quickly |= code == 503 && body.contains("too many connections");
                assert!(asked.elapsed() < Duration::from_secs(2), "the answer took {:?}", asked.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(refused_health_quickly, "past the connection cap a new client was not told 503");
    // The header-read deadline (5 s) cut every dribbler off, whatever it kept sending.
    let open = dribblers.iter().filter(|d| !d.closed).count();
    assert_eq!(open, 0, "{open} slow connections still open after 12 s");
    // The daemon answers again, and the scheduler never missed a fire meanwhile.
    let (code, body) = daemon.get("/healthz").unwrap();
    assert_eq!(code, 200, "{body}");
    let runs_after: i64 = daemon.query("SELECT count(*) FROM runs").parse().unwrap();
    assert!(runs_after - runs_before >= 11, "{} runs in 12 s", runs_after - runs_before);
    assert_eq!(daemon.query("SELECT count(*) FROM misses"), "0", "fires were missed under the slowloris");
}

/// One request on its own connection: (status, head, body).
pub(crate) fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).unwrap();
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    let code = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (code, head.to_ascii_lowercase(), body.to_string())
}

/// `runner serve` on a free port over the state folder of `test`; killed when dropped.
pub(crate) struct Serve(std::process::Child, pub(crate) u16);

impl Serve {
    pub(crate) fn start(test: &Test, env: &[(&str, &str)]) -> Serve {
        let port = crate::support::redis::free_port();
        let child = std::process::Command::new(crate::support::runner_bin())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .current_dir(test.root())
            .env("RUNNER_STATE", test.path(".state"))
            .envs(env.iter().copied())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let serve = Serve(child, port);
        assert!(wait_until(Duration::from_secs(10), || TcpStream::connect(("127.0.0.1", port)).is_ok()));
        serve
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

const HOSTILE: &str = r#"version: 1
name: shop
schedule: {cron: "* * * * * *", timezone: UTC}
checks:
  - id: api
    name: Shop API
    runbook: https://wiki.example/shop-api
    command: {shell: 'echo all good'}
  - id: hostile
    runbook: "javascript:alert(1)"
    command: {shell: 'printf "<script>alert(1)</script> \"><img src=x onerror=alert(1)> \033[31mred\033[0m"; head -c 1048576 /dev/zero | tr "\\0" x; exit 2'}
"#;

/// A store with a daemon's snapshot and a few runs of [`HOSTILE`], the daemon stopped.
fn hostile_store() -> Test {
    let test = Test::new().file("p/shop.yaml", HOSTILE);
    let mut daemon = Daemon::start(&test, "p", &[]);
    assert!(wait_until(Duration::from_secs(10), || daemon
        .query("SELECT count(*) FROM runs")
        .parse::<i64>()
        .unwrap_or(0)
        >= 3));
    daemon.stop();
    test
}

/// Headless Chromium's DOM of `url` after it loaded, and a screenshot at `width`×`height`.
fn chromium(url: &str, screenshot: &std::path::Path, width: u32, height: u32) -> String {
    let run = |extra: &[String]| {
        let output = std::process::Command::new("chromium")
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"])
            .args(extra)
            .arg(url)
            .output()
            .expect("chromium (tests/run installs it)");
        assert!(output.status.success(), "chromium: {}", String::from_utf8_lossy(&output.stderr));
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    run(&[format!("--window-size={width},{height}"), format!("--screenshot={}", screenshot.display())]);
    run(&["--dump-dom".to_string()])
}

#[test]
fn the_status_page_shows_every_check_in_words_and_hostile_output_as_text_in_chromium() {
    let test = hostile_store();
    let serve = Serve::start(&test, &[]);
    let (code, head, body) = request(serve.1, "GET", "/", &[], "");
    assert_eq!(code, 200, "{body}");
    let policy = head.lines().find(|l| l.starts_with("content-security-policy:")).expect("a CSP header");
    assert!(policy.contains("default-src 'none'") && !policy.contains("unsafe-inline"), "{policy}");
    assert!(!body.contains("<script"), "the page has no script of its own, and none from a check");
    let artifacts = crate::support::repo().join("target/artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let url = format!("http://127.0.0.1:{}/", serve.1);
    let dom = chromium(&url, &artifacts.join("status-desktop.png"), 1280, 800);
    chromium(&url, &artifacts.join("status-phone.png"), 390, 844);
    // What a person must see: each check, its status in words, its message, the runbook.
    for words in [
        "Shop API",
        "hostile",
        "CRITICAL",
        "OK",
        "all good",
        "Open problems (1)",
        "uptime",
        "24h",
        "7d",
        "30d",
        "runbook",
    ] {
        assert!(dom.contains(words), "the page does not say {words:?}");
    }
    assert!(dom.contains(r#"href="https://wiki.example/shop-api""#));
    // Hostile output is text: no element was made of it, the 1 MB line is cut with a note.
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the script tag is not shown as text");
    assert!(dom.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert!(!dom.contains("<img"), "an element was created from check output");
    assert!(!dom.contains("<script"), "a script element is in the DOM");
    assert!(!dom.contains("javascript:"), "a javascript: runbook became a link");
    // The 1 MB line reaches the page cut (by the run's own output limit, or the page's
    // with a note), never whole.
    assert!(dom.len() < 200_000, "the page carries {} bytes", dom.len());
    // One playbook's page, and an unknown one.
    let (code, _, body) = request(serve.1, "GET", "/p/shop", &[], "");
    assert_eq!(code, 200);
    assert!(body.contains("Shop API"));
    assert_eq!(request(serve.1, "GET", "/p/nope", &[], "").0, 404);
}

/// The JSON schema `reference` points at, inside the OpenAPI document.
fn resolve<'a>(document: &'a serde_json::Value, schema: &'a serde_json::Value) -> &'a serde_json::Value {
    match schema["$ref"].as_str() {
        Some(reference) => document.pointer(reference.trim_start_matches('#')).unwrap(),
        None => schema,
    }
}

/// Checks `value` against `schema` (the subset the document uses: type, required,
/// properties, items, enum), saying where it differs.
fn conforms(document: &serde_json::Value, schema: &serde_json::Value, value: &serde_json::Value, at: &str) {
    let schema = resolve(document, schema);
    if let Some(types) = schema.get("type") {
        let types: Vec<&str> = match types {
            serde_json::Value::String(t) => vec![t.as_str()],
            other => other.as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect(),
        };
        let actual = match value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "boolean",
            serde_json::Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        };
        let fits = types.contains(&actual) || (actual == "integer" && types.contains(&"number"));
        assert!(fits, "{at}: {actual} where the document says {types:?}");
    }
    for key in schema["required"].as_array().into_iter().flatten() {
        assert!(value.get(key.as_str().unwrap()).is_some(), "{at}: `{key}` is missing");
    }
    if let Some(properties) = schema["properties"].as_object() {
        for (key, property) in properties {
            if let Some(inner) = value.get(key) {
                conforms(document, property, inner, &format!("{at}.{key}"));
            }
        }
    }
    if let (Some(items), Some(values)) = (schema.get("items"), value.as_array()) {
        for (i, inner) in values.iter().enumerate() {
            conforms(document, items, inner, &format!("{at}[{i}]"));
        }
    }
}

#[test]
fn every_api_answer_matches_the_openapi_document_and_bad_input_is_a_4xx_problem() {
    let test = hostile_store();
    let serve = Serve::start(&test, &[("RUNNER_API_TOKEN", "t0ken-for-the-api-test")]);
    let (code, _, text) = request(serve.1, "GET", "/api/v1/openapi.json", &[], "");
    assert_eq!(code, 200);
    let document: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(document["openapi"], "3.1.0");
    let mut answered = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let Some(get) = item.get("get") else { continue };
        let concrete = path.replace("{name}", "shop");
        let (code, head, body) = request(serve.1, "GET", &concrete, &[], "");
        assert_eq!(code, 200, "{concrete}: {body}");
        assert!(head.contains("content-type: application/json"), "{concrete}: {head}");
        let value: serde_json::Value = serde_json::from_str(&body).unwrap();
        let schema = &get["responses"]["200"]["content"]["application/json"]["schema"];
        conforms(&document, schema, &value, &concrete);
        answered += 1;
    }
    assert!(answered >= 10, "{answered} paths");
    // The results page on by cursor, without repeating one.
    let (_, _, first) = request(serve.1, "GET", "/api/v1/results?playbook=shop&check=api&limit=2", &[], "");
    let first: serde_json::Value = serde_json::from_str(&first).unwrap();
    let cursor = first["next_cursor"].as_str().expect("a next page");
    let (_, _, next) =
        request(serve.1, "GET", &format!("/api/v1/results?playbook=shop&check=api&limit=2&cursor={cursor}"), &[], "");
    let next: serde_json::Value = serde_json::from_str(&next).unwrap();
    assert!(next["items"][0]["seq"].as_i64() < first["items"][1]["seq"].as_i64());
    // Bad input: a problem, never a 5xx.
    for (path, expected) in [
        ("/api/v1/results?limit=0", 400),
        ("/api/v1/results?limit=99999999999999999999", 400),
        ("/api/v1/results?cursor=-1", 400),
        ("/api/v1/results?since=soon", 400),
        ("/api/v1/uptime?window=1y", 400),
        ("/api/v1/checks?bogus=1", 400),
        ("/api/v1/playbooks/nope", 404),
        ("/api/v1/nope", 404),
        ("/badge/shop.svg?show=colour", 400),
        ("/badge/shop/nope.svg", 404),
    ] {
        let (code, head, body) = request(serve.1, "GET", path, &[], "");
        assert_eq!(code, expected, "{path}: {body}");
        assert!(head.contains("application/problem+json"), "{path}: {head}");
    }
    assert_eq!(request(serve.1, "DELETE", "/api/v1/results", &[], "").0, 405);
    // Writes: a wrong or missing token is 401 with the challenge; a right one passes the guard.
    let (code, head, _) = request(serve.1, "POST", "/api/v1/silences", &[("Authorization", "Bearer wrong")], "{}");
    assert_eq!(code, 401);
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    assert_eq!(request(serve.1, "POST", "/api/v1/silences", &[], "{}").0, 401);
    let right = [("Authorization", "Bearer t0ken-for-the-api-test")];
    assert_eq!(request(serve.1, "POST", "/api/v1/silences", &right, "{}").0, 501);
    let (code, _, _) = request(serve.1, "POST", "/api/v1/silences", &right, &"x".repeat(100_000));
    assert_eq!(code, 413, "a body past the limit");
    // Badges: words and colour, cacheable, revalidated by ETag.
    let (code, head, body) = request(serve.1, "GET", "/badge/shop/api.svg?show=uptime&window=7d", &[], "");
    assert_eq!(code, 200);
    assert!(body.contains("shop/api") && body.contains("100 % 7d"), "{body}");
    assert!(head.contains("cache-control: public, max-age=30"));
    let etag = head.lines().find_map(|l| l.strip_prefix("etag: ")).unwrap().trim().to_string();
    let (_, _, status_badge) = request(serve.1, "GET", "/badge/shop.svg", &[], "");
    assert!(status_badge.contains("critical"));
    let (code, _, _) =
        request(serve.1, "GET", "/badge/shop/api.svg?show=uptime&window=7d", &[("If-None-Match", &etag)], "");
    assert_eq!(code, 304);
}

#[test]
fn a_server_without_a_token_takes_no_writes() {
    let test = Test::new();
    let serve = Serve::start(&test, &[]);
    let (code, _, body) = request(serve.1, "POST", "/api/v1/silences", &[("Authorization", "Bearer anything")], "{}");
    assert_eq!(code, 403, "{body}");
    // An empty store: the page says so, the API lists nothing.
    let (code, _, body) = request(serve.1, "GET", "/", &[], "");
    assert_eq!(code, 200);
    assert!(body.contains("Nothing stored yet"), "{body}");
}
