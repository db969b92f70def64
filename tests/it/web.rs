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
maintenance:
  - {from: "2099-01-01T00:00:00Z", until: "2099-01-01T02:00:00Z", reason: "the next century"}
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
    // Silences and maintenance windows in words: none in force, the window next to open.
    assert!(dom.contains("No silence in force"));
    assert!(
        dom.contains("(the next century): next: 2099-01-01T00:00:00Z to 2099-01-01T02:00:00Z"),
        "the maintenance window is not shown in words"
    );
    // A terminal escape is shown as text a font has, not as a box.
    assert!(dom.contains(r"\x1b[31mred\x1b[0m"), "the escape is not shown as \\x1b");
    assert!(!dom.contains('\u{1b}') && !dom.contains('\u{241b}'));
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
    assert_eq!(request(serve.1, "POST", "/api/v1/silences", &right, "{}").0, 400, "a body without a reason");
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

/// `runner silence list --format json` of the test's store.
fn silence_list(test: &Test, expired: bool) -> serde_json::Value {
    let mut args = vec!["silence", "list", "--format", "json"];
    if expired {
        args.push("--expired");
    }
    let output = std::process::Command::new(crate::support::runner_bin())
        .args(&args)
        .current_dir(test.root())
        .env("RUNNER_STATE", test.path(".state"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn silences_are_made_and_ended_through_the_api_by_the_cli_rules_and_show_on_the_page() {
    let test = hostile_store();
    let token = "s1lence-t0ken";
    let serve = Serve::start(&test, &[("RUNNER_API_TOKEN", token)]);
    let bearer = format!("Bearer {token}");
    let auth = [("Authorization", bearer.as_str()), ("Content-Type", "application/json")];
    let body = r#"{"playbook": "shop", "check": "hostile", "for": "2h", "reason": "deploying the shop"}"#;
    // The guard comes first: no token, a wrong one.
    assert_eq!(request(serve.1, "POST", "/api/v1/silences", &[], body).0, 401);
    let (code, head, _) =
        request(serve.1, "POST", "/api/v1/silences", &[("Authorization", "Bearer s1lence-t0kem")], body);
    assert_eq!(code, 401);
    assert!(head.contains("www-authenticate: bearer"), "{head}");
    // Made: 201 with the silence, by `api`, stored where `runner silence list` reads.
    let (code, head, made) = request(serve.1, "POST", "/api/v1/silences", &auth, body);
    assert_eq!(code, 201, "{made}");
    assert!(head.contains("content-type: application/json"), "{head}");
    let made: serde_json::Value = serde_json::from_str(&made).unwrap();
    assert_eq!((made["playbook"].as_str(), made["check"].as_str()), (Some("shop"), Some("hostile")));
    assert_eq!(made["maker"], "api");
    let left = made["expires_ms"].as_i64().unwrap() - made["created_ms"].as_i64().unwrap();
    assert_eq!(left, 2 * 3_600_000);
    let id = made["id"].as_i64().unwrap();
    let listed = silence_list(&test, false);
    assert_eq!(listed["silences"][0]["id"].as_i64(), Some(id), "{listed}");
    // The API lists it, and the page says it in words.
    let (_, _, list) = request(serve.1, "GET", "/api/v1/silences", &[], "");
    let list: serde_json::Value = serde_json::from_str(&list).unwrap();
    assert_eq!(list["items"][0]["id"].as_i64(), Some(id), "{list}");
    let (_, _, page) = request(serve.1, "GET", "/p/shop", &[], "");
    assert!(page.contains(&format!("silenced (#{id}, by api)")) && page.contains("shop&#x2f;hostile"), "{page}");
    assert!(page.contains("deploying the shop"));
    // Bad input: malformed is 400; what reads but cannot be made is 422, saying why.
    for (body, expected, says) in [
        ("not json", 400, "not a silence"),
        (r#"{"playbook": "shop", "for": "2h"}"#, 400, "reason"),
        (r#"{"playbook": "shop", "for": "2h", "reason": "x", "colour": "red"}"#, 400, "colour"),
        (r#"{"playbook": "shpo", "for": "2h", "reason": "x"}"#, 422, "did you mean `shop`?"),
        (r#"{"playbook": "shop", "check": "hostil", "for": "2h", "reason": "x"}"#, 422, "did you mean `hostile`?"),
        (r#"{"playbook": "shop", "reason": "x"}"#, 422, "`for`"),
        (r#"{"playbook": "shop", "for": "5000d", "reason": "x"}"#, 422, "longer than a year"),
        (r#"{"playbook": "shop", "until": "2001-01-01T00:00:00Z", "reason": "x"}"#, 422, "past"),
        (r#"{"playbook": "shop", "for": "2h", "reason": "  "}"#, 422, "cannot be empty"),
        (r#"{"all": true, "playbook": "shop", "for": "2h", "reason": "x"}"#, 422, "not both"),
        (r#"{"for": "2h", "reason": "x"}"#, 422, "name a playbook"),
    ] {
        let (code, head, answer) = request(serve.1, "POST", "/api/v1/silences", &auth, body);
        assert_eq!(code, expected, "{body}: {answer}");
        assert!(head.contains("application/problem+json"), "{body}: {head}");
        assert!(answer.contains(says), "{body}: {answer}");
    }
    // Ended: 200 with it ended by the API; an unknown id is 404; the guard holds here too.
    let path = format!("/api/v1/silences/{id}/expire");
    assert_eq!(request(serve.1, "POST", &path, &[], "").0, 401);
    let (code, _, ended) = request(serve.1, "POST", &path, &auth, "");
    assert_eq!(code, 200, "{ended}");
    let ended: serde_json::Value = serde_json::from_str(&ended).unwrap();
    assert_eq!(ended["ended_by"], "expired by api");
    assert!(ended["ended_ms"].is_i64());
    assert_eq!(request(serve.1, "POST", "/api/v1/silences/999/expire", &auth, "").0, 404);
    assert_eq!(request(serve.1, "POST", "/api/v1/silences/x/expire", &auth, "").0, 404);
    assert!(silence_list(&test, false)["silences"].as_array().unwrap().is_empty());
    assert_eq!(silence_list(&test, true)["silences"][0]["id"].as_i64(), Some(id));
    let (_, _, page) = request(serve.1, "GET", "/p/shop", &[], "");
    assert!(page.contains("No silence in force"), "the page shows the end at once");
    // `all` silences everything, until each check's first OK.
    let (code, _, all) = request(
        serve.1,
        "POST",
        "/api/v1/silences",
        &auth,
        r#"{"all": true, "until_ok": true, "for": "1h", "reason": "storm"}"#,
    );
    assert_eq!(code, 201, "{all}");
    let all: serde_json::Value = serde_json::from_str(&all).unwrap();
    assert!(all["playbook"].is_null() && all["until_ok"] == true);
    assert_eq!(all["matched"], serde_json::json!(["shop/api", "shop/hostile"]));
}
