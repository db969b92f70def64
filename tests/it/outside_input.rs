//! Parsers of what servers and commands send: RFC 9535 JSON paths (filters included) into
//! a health document served over HTTP and into a command's output, and the certificate's
//! expiry read from what a real TLS server presents, garbage included.

use crate::support::Test;
use crate::support::http::{Reply, Server, default_routes};

const HEALTH: &str = r#"{"status": "UP", "checks": [
  {"name": "db", "status": "ok"}, {"name": "cache", "status": "down"}, {"name": "queue", "status": "ok"}]}"#;

fn run_json(test: &Test) -> (i32, serde_json::Value) {
    let output = test.run_args(&["run", "--no-store", "--format", "json", "p.yaml"]);
    assert!(!output.stderr.contains("panicked"), "{}", output.stderr);
    let json =
        serde_json::from_str(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}\n{}", output.stdout, output.stderr));
    (output.code, json)
}

fn check<'a>(json: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    json["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id}"))
}

/// An `http` check expecting one JSON path to have one value.
fn expecting(id: &str, url: &str, path: &str, value: &str) -> String {
    format!(
        "  - id: {id}\n    http:\n      url: \"{url}\"\n      expect:\n        json:\n          \"{path}\": {value}\n"
    )
}

#[test]
fn json_path_filters_pick_one_entry_of_a_health_document() {
    let server = Server::with(|_| Reply::json(200, HEALTH));
    let url = server.url("/health");
    let checks = [
        expecting("db", &url, "$.checks[?(@.name=='db')].status", "ok"),
        expecting("cache", &url, "$.checks[?@.name == 'cache'].status", "ok"),
        expecting("absent", &url, "$.checks[?@.name=='nope'].status", "ok"),
        expecting("several", &url, "$.checks[?@.status=='ok'].name", "db"),
        expecting("old-form", &url, "$['checks'][-1].name", "queue"),
    ];
    let test = Test::new().file("p.yaml", &format!("version: 1\nname: t\nchecks:\n{}", checks.concat()));
    let (code, json) = run_json(&test);
    assert_eq!(code, 2, "{json}");
    assert_eq!(check(&json, "db")["status"], "ok", "{json}");
    assert_eq!(check(&json, "old-form")["status"], "ok", "{json}");
    let message = |id| check(&json, id)["message"].as_str().unwrap().to_string();
    assert!(message("cache").contains(r#"$.checks[?@.name == 'cache'].status is "down", expected "ok""#), "{json}");
    assert!(message("absent").contains("$.checks[?@.name=='nope'].status is missing"), "{json}");
    assert!(message("several").contains("$.checks[?@.status=='ok'].name selects 2 values, not one"), "{json}");
    for id in ["cache", "absent", "several"] {
        assert_eq!(check(&json, id)["status"], "critical", "{id}: {json}");
    }
}

#[test]
fn a_command_metric_is_read_through_a_filter() {
    let output = r#"{"disks": [{"mount": "/boot", "used": 7}, {"mount": "/", "used": 42}]}"#;
    let playbook = format!(
        "version: 1\nname: t\nchecks:\n  - id: disk\n    command:\n      run: [printf, '%s', '{output}']\n      metrics:\n        used: \"$.disks[?@.mount=='/'].used\"\n        either: \"$.disks[*].used\"\n"
    );
    let (_, json) = run_json(&Test::new().file("p.yaml", &playbook));
    let disk = check(&json, "disk");
    assert_eq!(disk["metrics"]["used"], 42.0, "{json}");
    assert!(disk["metrics"].get("either").is_none(), "{json}");
    assert!(disk.to_string().contains("either (its JSON path selects 2 values, not one)"), "{json}");
}

#[test]
fn an_invalid_filter_is_a_validate_error_at_its_check() {
    let server_url = "http://127.0.0.1:9/health";
    let playbook =
        format!("version: 1\nname: t\nchecks:\n{}", expecting("db", server_url, "$.checks[?@.name=='db'.status", "ok"));
    let output = Test::new().file("p.yaml", &playbook).args(["validate", "p.yaml"]).expect_code(1);
    assert!(
        output.stdout.contains("p.yaml:4:9: error: invalid JSON path `$.checks[?@.name=='db'.status`: at position"),
        "{}",
        output.stdout
    );
}

/// An `http` and a `tcp` check, without verification, against one TLS server.
fn tls_checks(server: &Server) -> String {
    format!(
        "version: 1\nname: t\nchecks:
  - id: http\n    http: {{url: \"{url}\", tls_verify: false}}\n    thresholds:\n      cert_days_left: {{crit: \"< 7\"}}
  - id: tcp\n    tcp: {{address: \"127.0.0.1:{port}\", tls: true, tls_verify: false, server_name: localhost}}\n    thresholds:\n      cert_days_left: {{crit: \"< 7\"}}\n",
        url = server.url("/ok"),
        port = server.port
    )
}

#[test]
fn a_certificates_expiry_is_read_to_the_second() {
    let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
    params.not_after = rcgen::date_time_ymd(2031, 5, 17);
    let certificate = params.self_signed(&rcgen::KeyPair::generate().unwrap()).unwrap();
    let server = Server::tls_presenting(certificate.der(), default_routes);
    let (_, json) = run_json(&Test::new().file("p.yaml", &tls_checks(&server)));
    let not_after: jiff::Timestamp = "2031-05-17T00:00:00Z".parse().unwrap();
    let expected = (not_after.as_second() - jiff::Timestamp::now().as_second()) as f64 / 86_400.0;
    for id in ["http", "tcp"] {
        let days = check(&json, id)["metrics"]["cert_days_left"].as_f64().unwrap_or_else(|| panic!("{id}: {json}"));
        assert!((days - expected).abs() < 60.0 / 86_400.0, "{id}: {days} days, expected {expected}");
        assert_eq!(check(&json, id)["status"], "ok", "{json}");
    }
}

#[test]
fn a_garbage_certificate_is_said_to_be_unreadable() {
    let server = Server::tls_presenting(b"\x30\x82\xff\xffnot a certificate", default_routes);
    let (_, json) = run_json(&Test::new().file("p.yaml", &tls_checks(&server)));
    for id in ["http", "tcp"] {
        let result = check(&json, id);
        assert_eq!(result["status"], "unknown", "{id}: {json}");
        assert!(result["metrics"].get("cert_days_left").is_none(), "{id}: {json}");
        assert!(result.to_string().contains("the certificate's expiry cannot be read"), "{id}: {json}");
        assert!(result.to_string().contains("no metric `cert_days_left`"), "{id}: {json}");
    }
}
