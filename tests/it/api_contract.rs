//! The HTTP API against its own document, judged by schemathesis (tests/run installs it):
//! every operation of `/api/v1/openapi.json`, a live `runner serve` over a store seeded by
//! real runs, every check schemathesis has (no 5xx; statuses, content types, headers and
//! bodies as documented; schema-valid input taken, schema-invalid input refused).

use crate::support::{Test, http, runner_at};
use crate::web::{Serve, request};

/// The token the server is started with and schemathesis sends.
const TOKEN: &str = "api-contract-t0ken";

/// A playbook whose runs leave every kind of row the API lists: an OK check with metrics, a
/// WARNING by threshold, a failing check that is remediated (and fails again), hostile output
/// (markup, escapes, 100 kB), and alert state on a webhook channel.
fn playbook(hook: &str) -> String {
    format!(
        r#"version: 1
name: shop
notify:
  - id: ops
    webhook: {{url: "{hook}"}}
checks:
  - id: api
    name: Shop API
    runbook: https://wiki.example/shop-api
    command:
      shell: 'echo "latency=42 queue=7"'
      metrics: {{latency_ms: 'latency=(\d+)', queue: 'queue=(\d+)'}}
    thresholds:
      queue: {{warn: "> 5", crit: "> 50"}}
  - id: db
    command: {{run: ["false"]}}
    remediate:
      actions:
        - run: ["true"]
  - id: hostile
    runbook: "javascript:alert(1)"
    command: {{shell: 'printf "<script>alert(1)</script> \"><img src=x onerror=alert(1)> \033[31mred\033[0m"; head -c 100000 /dev/zero | tr "\\0" x; exit 2'}}
  - id: fine
    command: {{run: ["true"]}}
"#
    )
}

/// Schemathesis's report and whether it passed.
fn schemathesis(test: &Test, port: u16, extra: &[&str]) -> (bool, String) {
    let output = std::process::Command::new("schemathesis")
        .arg("run")
        .arg(format!("http://127.0.0.1:{port}/api/v1/openapi.json"))
        .args(["--checks", "all", "--seed", "20261201", "--max-examples", "50", "--workers", "1"])
        .args(["--generation-database", "none", "--request-timeout", "10", "--no-color"])
        .args(["--header", &format!("Authorization: Bearer {TOKEN}")])
        .args(extra)
        .current_dir(test.root())
        .output()
        .expect("schemathesis (tests/run installs it with pip)");
    let report = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), report)
}

/// The number after `label` on a line of the report's summary (`Tested: 11`).
fn figure(report: &str, label: &str) -> Option<usize> {
    report.lines().find_map(|line| line.trim().strip_prefix(label)?.trim().split('/').next()?.parse().ok())
}

#[test]
fn schemathesis_finds_no_5xx_and_every_answer_matches_the_openapi_document() {
    let hook = http::Server::start();
    let test = Test::new().file("shop.yaml", &playbook(&hook.url("/ok")));
    for _ in 0..3 {
        let run = runner_at(&test, None, &["run", "shop.yaml"], &[]);
        assert_eq!(run.code, 2, "a CRITICAL run exits 2: {}", run.stderr);
    }
    let silenced = runner_at(
        &test,
        None,
        &["silence", "add", "--playbook", "shop", "--check", "db", "--for", "2h", "--reason", "db migration"],
        &[("USER", "ops")],
    );
    assert_eq!(silenced.code, 0, "{}", silenced.stderr);
    let serve = Serve::start(&test, &[("RUNNER_API_TOKEN", TOKEN)]);
    // The store has what the API lists, so schemathesis sees full answers, not empty lists.
    for (path, needle) in [
        ("/api/v1/results?limit=1000", "<script>"),
        ("/api/v1/metrics", "latency_ms"),
        ("/api/v1/alerts", "critical"),
        ("/api/v1/remediations", "db"),
        ("/api/v1/uptime", "hostile"),
    ] {
        let (code, _, body) = request(serve.1, "GET", path, &[], "");
        assert!(code == 200 && body.contains(needle), "{path}: {code} {}", &body[..body.len().min(500)]);
    }
    // A method a path does not take: 405, the methods it does take, and a problem body.
    let (code, head, body) = request(serve.1, "DELETE", "/api/v1/results", &[], "");
    assert_eq!(code, 405, "{body}");
    assert!(head.contains("allow: get,head") && head.contains("content-type: application/problem+json"), "{head}");
    // Every operation with every check, but making a silence: whether a request can make
    // one depends on what the store knows (a playbook name, a check), on the clock (an end
    // in the past) and on limits (a year), which no schema states; so a schema-valid body
    // may rightly be refused with 422. That one operation is run again on its own, with
    // every check but "a schema-valid request is accepted".
    let silence_op = "POST /api/v1/silences";
    let (passed, report) = schemathesis(&test, serve.1, &["--exclude-name", silence_op]);
    assert!(passed, "schemathesis failed:\n{report}");
    assert_all_tested(&report, 1);
    let (passed, report) =
        schemathesis(&test, serve.1, &["--include-name", silence_op, "--exclude-checks", "positive_data_acceptance"]);
    assert!(passed, "schemathesis failed on {silence_op}:\n{report}");
    assert_all_tested(&report, report_total(&report).unwrap_or(1) - 1);
    // And the API made silences while it ran (its stateful phase ends them again): it was
    // exercised, not only refused.
    let all = runner_at(&test, None, &["silence", "list", "--expired"], &[]);
    let ended_by_api = runner_at(&test, None, &["silence", "list"], &[]).stdout + &all.stdout;
    assert!(ended_by_api.contains("by api"), "no silence made through the API:\n{ended_by_api}");
}

/// The total after `Selected: N/TOTAL` in a report.
fn report_total(report: &str) -> Option<usize> {
    report.lines().find_map(|l| l.trim().strip_prefix("Selected:")?.split('/').nth(1)?.trim().parse::<usize>().ok())
}

/// Every selected operation was exercised, and exactly `left_out` were not selected.
fn assert_all_tested(report: &str, left_out: usize) {
    let (selected, tested) = (figure(report, "Selected:"), figure(report, "Tested:"));
    assert!(selected.is_some() && selected == tested, "not every operation was tested:\n{report}");
    assert_eq!(report_total(report).unwrap_or(0) - selected.unwrap_or(0), left_out, "operations left out:\n{report}");
}
