//! Grouping per destination (issue 12), counted at REAL receivers: 50 problems within a
//! minute go as one message to a webhook, and as the fewest messages that fit to Discord-
//! and Slack-shaped receivers that answer 400 to a body over the services' documented
//! limits, as the services do; a receiver failing then succeeding gets the same message
//! twice with the same key and nothing is lost; `max_per_hour` holds the rest for one
//! summary at the start of the next hour; two playbooks pointing at one webhook share a
//! group. Times are set with `RUNNER_TEST_CLOCK`.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::http::{Reply, Request, Server};
use crate::support::{self, Output, Test};

/// A playbook `name` of `checks` failing checks (`c00`, `c01`, …) whose message is
/// `down` padded to `message_len` characters, alerting `channel` (YAML of one channel).
fn failing(name: &str, checks: usize, message_len: usize, channel: &str) -> String {
    let mut text = format!("version: 1\nname: {name}\nchecks:\n");
    for n in 0..checks {
        text.push_str(&format!(
            "  - id: c{n:02}\n    command: {{shell: \"printf 'down {n:02} '; head -c {message_len} /dev/zero | tr '\\\\0' x; exit 2\"}}\n    runbook: https://runbooks.example/c{n:02}\n"
        ));
    }
    text.push_str("notify:\n");
    text.push_str(channel);
    text
}

/// [`support::runner_at`] with a short outbox backoff, so that retries come within a test.
fn runner_at(test: &Test, clock: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut env = env.to_vec();
    env.push(("RUNNER_OUTBOX_BACKOFF", "100ms"));
    support::runner_at(test, clock, args, &env)
}

fn json(request: &Request) -> serde_json::Value {
    serde_json::from_str(&request.body).unwrap_or_else(|e| panic!("{e}: {}", request.body))
}

fn chars(value: &serde_json::Value) -> usize {
    value.as_str().map_or(0, |s| s.chars().count())
}

/// Discord's documented limits for a webhook message (Message Resource, "Embed Limits";
/// Execute Webhook): `Err` names the first one broken, as Discord's 400 does.
fn discord_limits(body: &serde_json::Value) -> Result<(), String> {
    if chars(&body["content"]) > 2000 {
        return Err("content: must be 2000 or fewer in length".into());
    }
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > 10 {
        return Err("embeds: must be 10 or fewer in length".into());
    }
    let mut total = 0;
    for embed in &embeds {
        let fields = embed["fields"].as_array().cloned().unwrap_or_default();
        if chars(&embed["title"]) > 256 || chars(&embed["description"]) > 4096 || fields.len() > 25 {
            return Err("embed: title, description or fields over the limit".into());
        }
        if chars(&embed["footer"]["text"]) > 2048 {
            return Err("embed footer over 2048".into());
        }
        total += chars(&embed["title"])
            + chars(&embed["description"])
            + chars(&embed["footer"]["text"])
            + chars(&embed["author"]["name"]);
        for field in &fields {
            if chars(&field["name"]) > 256 || chars(&field["value"]) > 1024 || chars(&field["value"]) == 0 {
                return Err("embed field name or value over the limit (or empty)".into());
            }
            total += chars(&field["name"]) + chars(&field["value"]);
        }
    }
    if total > 6000 {
        return Err(format!("embeds: {total} characters, over 6000 in total"));
    }
    Ok(())
}

/// Slack's documented limits for an incoming webhook (Block Kit: 50 blocks, a section's
/// text 3000, a header's 150; `text` truncated past 40,000).
fn slack_limits(body: &serde_json::Value) -> Result<(), String> {
    if chars(&body["text"]) > 40_000 {
        return Err("text too long".into());
    }
    let blocks = body["blocks"].as_array().cloned().unwrap_or_default();
    if blocks.len() > 50 {
        return Err("invalid_blocks: more than 50 blocks".into());
    }
    for block in &blocks {
        let limit = match block["type"].as_str() {
            Some("header") => 150,
            _ => 3000,
        };
        if chars(&block["text"]["text"]) > limit {
            return Err(format!("invalid_blocks: a {} text over {limit}", block["type"]));
        }
    }
    Ok(())
}

/// A receiver that answers 400 (as the service does) to a body over `limits`, 200 else.
fn strict_receiver(limits: fn(&serde_json::Value) -> Result<(), String>) -> Server {
    Server::with(move |request| {
        match serde_json::from_str(&request.body).map_err(|e| e.to_string()).and_then(|b| limits(&b)) {
            Ok(()) => Reply::status(200, "ok"),
            Err(error) => Reply::status(400, &error),
        }
    })
}

/// The checks named in a Discord message's fields (`… p/c07 …` → `c07`), in order.
fn discord_checks(body: &serde_json::Value) -> Vec<String> {
    let mut checks = Vec::new();
    for embed in body["embeds"].as_array().unwrap() {
        for field in embed["fields"].as_array().unwrap() {
            checks.push(check_named(field["name"].as_str().unwrap()));
        }
    }
    checks
}

fn check_named(text: &str) -> String {
    let at = text.find("/c").unwrap_or_else(|| panic!("no check in {text}"));
    text[at + 1..at + 4].to_string()
}

/// Each of `c00`…`c(n-1)` exactly once.
fn assert_each_once(mut checks: Vec<String>, n: usize) {
    checks.sort();
    let expected: Vec<String> = (0..n).map(|i| format!("c{i:02}")).collect();
    assert_eq!(checks, expected, "every problem exactly once");
}

#[test]
fn fifty_problems_to_one_webhook_go_as_one_grouped_message() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel =
        format!("  - id: hook\n    webhook: {{url: \"{}\"}}\n    group: {{window: 1m}}\n", server.url("/hook"));
    let test = Test::new().file("p.yaml", &failing("fifty", 50, 20, &channel));
    let output = runner_at(&test, None, &["run", "p.yaml"], &[]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one grouped message");
    let body = json(&requests[0]);
    assert_eq!(body["group"]["kind"], "group");
    assert_eq!(body["group"]["count"], 50);
    assert_eq!(Some(body["idempotency_key"].as_str().unwrap()), requests[0].header("Idempotency-Key"));
    let alerts = body["alerts"].as_array().unwrap();
    assert_each_once(alerts.iter().map(|a| a["stream"].as_str().unwrap().to_string()).collect(), 50);
    for alert in alerts {
        assert_eq!(alert["kind"], "problem");
        assert_eq!(alert["status"], "critical");
        assert!(alert["runbook"].as_str().unwrap().starts_with("https://runbooks.example/c"));
        assert!(alert["text"].as_str().unwrap().contains("down "));
    }
    assert!(output.stdout.contains("GROUP 50 alerts: 50 problems — sent"), "{}", output.stdout);
    assert!(!output.stdout.contains("— queued"), "no member is said to wait: {}", output.stdout);
    // The store keeps the destination's hash, never its URL; every member is delivered.
    let url = server.url("/hook");
    assert_eq!(
        test.sql(&format!("SELECT count(*) FROM outbox WHERE body LIKE '%{url}%' OR group_key LIKE '%{url}%'")),
        "0"
    );
    assert_eq!(test.sql("SELECT count(*) FROM outbox WHERE alert IS NOT NULL AND delivered_ms IS NOT NULL"), "50");
    assert_eq!(test.sql("SELECT attempt, outcome, http_status, carried FROM delivery_attempts"), "1|delivered|200|50");
    // The next run has nothing new to say.
    runner_at(&test, None, &["run", "p.yaml"], &[]);
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn fifty_long_problems_to_discord_go_as_the_fewest_messages_within_its_limits() {
    let server = strict_receiver(discord_limits);
    let channel = format!(
        "  - id: discord\n    discord: {{webhook_url: \"{}\"}}\n    group: {{window: 1m}}\n",
        server.url("/api/webhooks/1/token")
    );
    // About 330 characters a problem: some 16,500 in all, over 6000 per message.
    let test = Test::new().file("p.yaml", &failing("fifty", 50, 250, &channel));
    let output = runner_at(&test, None, &["run", "p.yaml"], &[]);
    assert_eq!(output.code, 2, "{}", output.stderr);
    let requests = server.requests();
    for request in &requests {
        assert_eq!(discord_limits(&json(request)), Ok(()), "nothing over Discord's limits was sent");
    }
    // In part order (parts go out concurrently).
    let mut bodies: Vec<serde_json::Value> = requests.iter().map(json).collect();
    let part = |body: &serde_json::Value| {
        let content = body["content"].as_str().unwrap();
        content[content.find("(part ").unwrap() + 6..].split(' ').next().unwrap().parse::<usize>().unwrap()
    };
    bodies.sort_by_key(part);
    assert_each_once(bodies.iter().flat_map(discord_checks).collect(), 50);
    // The fewest: no message could have taken the first problem of the next one.
    let field_cost = |field: &serde_json::Value| chars(&field["name"]) + chars(&field["value"]);
    let total = |body: &serde_json::Value| {
        body["embeds"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                chars(&e["title"])
                    + chars(&e["footer"]["text"])
                    + e["fields"].as_array().unwrap().iter().map(field_cost).sum::<usize>()
            })
            .sum::<usize>()
    };
    for pair in bodies.windows(2) {
        let next = field_cost(&pair[1]["embeds"][0]["fields"][0]);
        assert!(
            total(&pair[0]) + next > 6000,
            "a message had room for the next problem: {} + {next}; {}",
            total(&pair[0]),
            pair[0]
        );
    }
    let all: usize = bodies.iter().map(total).sum();
    assert_eq!(requests.len(), all.div_ceil(6000), "{} messages for {all} characters", requests.len());
    assert!(requests.len() > 1, "split where the limits make it");
    let keys: std::collections::BTreeSet<&str> =
        requests.iter().map(|r| r.header("Idempotency-Key").unwrap()).collect();
    assert_eq!(keys.len(), requests.len(), "each part has its own key");
    assert!(output.stdout.contains("(part 1 of "), "{}", output.stdout);
}

#[test]
fn fifty_problems_to_slack_fit_its_block_limits() {
    let server = strict_receiver(slack_limits);
    let channel = format!(
        "  - id: slack\n    slack: {{webhook_url: \"{}\"}}\n    group: {{window: 1m}}\n",
        server.url("/services/T0/B0/secret")
    );
    let short = Test::new().file("p.yaml", &failing("fifty", 50, 20, &channel));
    runner_at(&short, None, &["run", "p.yaml"], &[]);
    assert_eq!(server.requests().len(), 1, "50 short problems: one message");
    let body = json(&server.requests()[0]);
    assert_eq!(slack_limits(&body), Ok(()));
    let text: String = body["blocks"].as_array().unwrap().iter().filter_map(|b| b["text"]["text"].as_str()).collect();
    assert_each_once(
        (0..50).filter(|n| text.contains(&format!("fifty/c{n:02}"))).map(|n| format!("c{n:02}")).collect(),
        50,
    );

    // Long problems: more text than one message takes; each part within the limits.
    let server = strict_receiver(slack_limits);
    let channel =
        format!("  - id: slack\n    slack: {{webhook_url: \"{}\"}}\n    group: {{window: 1m}}\n", server.url("/s"));
    let long = Test::new().file("p.yaml", &failing("fifty", 50, 900, &channel));
    runner_at(&long, None, &["run", "p.yaml"], &[]);
    let requests = server.requests();
    assert!(requests.len() > 1 && requests.len() < 50, "{} messages", requests.len());
    let mut seen = Vec::new();
    for request in &requests {
        let body = json(request);
        assert_eq!(slack_limits(&body), Ok(()));
        let text: String =
            body["blocks"].as_array().unwrap().iter().filter_map(|b| b["text"]["text"].as_str()).collect();
        seen.extend((0..50).filter(|n| text.contains(&format!("fifty/c{n:02}"))).map(|n| format!("c{n:02}")));
    }
    assert_each_once(seen, 50);
    assert_eq!(
        long.sql("SELECT count(*) FROM delivery_attempts WHERE outcome = 'delivered'"),
        requests.len().to_string()
    );
}

#[test]
fn a_receiver_failing_then_succeeding_gets_the_same_group_with_the_same_key_and_nothing_twice() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let server = Server::with(move |_| {
        if counter.fetch_add(1, Ordering::SeqCst) == 0 { Reply::status(503, "busy") } else { Reply::status(200, "ok") }
    });
    let channel =
        format!("  - id: hook\n    webhook: {{url: \"{}\"}}\n    group: {{window: 1m}}\n", server.url("/hook"));
    let test = Test::new().file("p.yaml", &failing("fifty", 50, 20, &channel));
    let first = runner_at(&test, None, &["run", "p.yaml"], &[]);
    assert!(first.stdout.contains("not delivered (HTTP 503"), "{}", first.stdout);
    assert_eq!(
        test.sql("SELECT count(*) FROM outbox WHERE alert IS NOT NULL AND delivered_ms IS NULL AND dropped IS NULL"),
        "50"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    // The next run decides nothing new, and delivers what waits.
    runner_at(&test, None, &["run", "p.yaml"], &[]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].header("Idempotency-Key"), requests[1].header("Idempotency-Key"));
    assert_eq!(requests[0].body, requests[1].body, "a retry is the same message");
    assert_eq!(json(&requests[1])["alerts"].as_array().unwrap().len(), 50);
    assert_eq!(
        test.sql("SELECT attempt, outcome, http_status, carried FROM delivery_attempts"),
        "1|retry|503|50\n2|delivered|200|50"
    );
    assert_eq!(test.sql("SELECT count(*) FROM outbox WHERE alert IS NOT NULL AND delivered_ms IS NOT NULL"), "50");
    runner_at(&test, None, &["run", "p.yaml"], &[]);
    assert_eq!(server.requests().len(), 2, "nothing twice");
}

/// One check whose status is the file `status`, alerting a webhook with `group`.
fn one_check(url: &str, group: &str) -> String {
    format!(
        r#"version: 1
name: capped
checks:
  - id: flappy
    command: {{shell: 'echo "state $(cat status)"; exit $(cat status)', nagios: true}}
notify:
  - id: hook
    webhook: {{url: "{url}"}}
    group: {group}
"#
    )
}

#[test]
fn past_max_per_hour_the_rest_waits_for_one_summary_at_the_start_of_the_next_hour() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let test = Test::new().file("p.yaml", &one_check(&server.url("/hook"), "{window: 1m, max_per_hour: 1}"));
    let run = |status: u8, clock: &str| {
        std::fs::write(test.path("status"), status.to_string()).unwrap();
        runner_at(&test, Some(clock), &["run", "p.yaml"], &[])
    };
    run(2, "2026-03-02T10:59:00Z");
    assert_eq!(server.requests().len(), 1, "the hour's one message");
    let held = run(0, "2026-03-02T10:59:10Z");
    assert!(held.stdout.contains("— queued"), "{}", held.stdout);
    run(2, "2026-03-02T10:59:20Z");
    assert_eq!(server.requests().len(), 1, "held by max_per_hour");
    // Still the same hour: nothing.
    runner_at(&test, Some("2026-03-02T10:59:50Z"), &["tick", "p.yaml"], &[]);
    assert_eq!(server.requests().len(), 1);
    // The next hour: one summary of what waited, in order.
    runner_at(&test, Some("2026-03-02T11:00:01Z"), &["tick", "p.yaml"], &[]);
    let requests = server.requests();
    assert_eq!(requests.len(), 2, "one summary");
    let summary = json(&requests[1]);
    assert_eq!(summary["group"]["kind"], "summary");
    let kinds: Vec<&str> = summary["alerts"].as_array().unwrap().iter().map(|a| a["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["recovery", "problem"]);
    runner_at(&test, Some("2026-03-02T11:00:30Z"), &["tick", "p.yaml"], &[]);
    assert_eq!(server.requests().len(), 2, "the summary is sent once");
}

#[test]
fn two_playbooks_pointing_at_one_webhook_share_a_group_that_closes_with_its_window() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel = "  - id: hook\n    webhook: {url: \"${HOOK_URL}\"}\n    group: {window: 1m}\n";
    let scheduled = |name: &str, checks: usize| {
        failing(name, checks, 10, channel).replacen(
            "checks:\n",
            "schedule: {cron: \"* * * * *\", timezone: UTC}\nchecks:\n",
            1,
        )
    };
    let test = Test::new().file("pb/a.yaml", &scheduled("alpha", 3)).file("pb/b.yaml", &scheduled("beta", 2));
    let url = server.url("/hook");
    let tick = |clock: &str| runner_at(&test, Some(clock), &["tick", "pb"], &[("HOOK_URL", &url)]);
    tick("2026-03-02T10:00:30Z"); // the first tick: fires count from now
    let ran = tick("2026-03-02T10:01:05Z");
    assert_eq!(test.sql("SELECT count(*) FROM outbox WHERE alert IS NOT NULL"), "5", "{}", ran.stderr);
    assert!(server.requests().is_empty(), "the window is open");
    tick("2026-03-02T10:02:10Z");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "one message for both playbooks");
    let body = json(&requests[0]);
    let mut who: Vec<String> = body["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}/{}", a["playbook"].as_str().unwrap(), a["stream"].as_str().unwrap()))
        .collect();
    who.sort();
    assert_eq!(who, ["alpha/c00", "alpha/c01", "alpha/c02", "beta/c00", "beta/c01"]);
    tick("2026-03-02T10:03:10Z");
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn a_body_template_sees_the_list_of_alerts() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel = format!(
        "  - id: hook\n    webhook:\n      url: \"{}\"\n      body: '{{{{ alerts | length }}}} alerts: {{% for a in alerts %}}{{{{ a.stream }}}} {{% endfor %}}'\n    group: {{window: 1m}}\n",
        server.url("/hook")
    );
    let test = Test::new().file("p.yaml", &failing("tpl", 3, 5, &channel));
    runner_at(&test, None, &["run", "p.yaml"], &[]);
    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].body, "3 alerts: c00 c01 c02 ");
}

#[test]
fn group_values_that_make_no_sense_are_validate_errors() {
    let url = "http://127.0.0.1:9/hook";
    for (group, message) in [
        ("{window: 0s}", "`group.window` must be more than zero"),
        ("{window: 2d}", "`group.window` is longer than a day"),
        ("{max_per_hour: 0}", "`group.max_per_hour` must be at least 1"),
        ("{window: 1m, every: 2}", "every"),
        ("{window: soon}", "soon"),
    ] {
        let test = Test::new().file("p.yaml", &one_check(url, group));
        let output = runner_at(&test, None, &["validate", "p.yaml"], &[]);
        assert_eq!(output.code, 1, "{group}: {}{}", output.stdout, output.stderr);
        let said = format!("{}{}", output.stdout, output.stderr);
        assert!(said.contains(message), "{group}: {said}");
    }
    let fine = Test::new().file("p.yaml", &one_check(url, "{window: 30s, max_per_hour: 30}"));
    assert_eq!(runner_at(&fine, None, &["validate", "--strict", "p.yaml"], &[]).code, 0);
}

/// A hostile receiver URL with a token: the grouped message never writes it anywhere.
#[test]
fn the_destination_of_a_group_is_never_stored_nor_printed() {
    let server = Server::with(|_| Reply::status(500, "no"));
    let token = "s3cr3t-T0KEN-grp";
    let channel = "  - id: hook\n    webhook: {url: \"${HOOK_URL}\"}\n    group: {window: 1m}\n";
    let test = Test::new().file("p.yaml", &failing("secretive", 2, 5, channel));
    let url = format!("{}?token={token}", server.url("/hook"));
    let output = runner_at(&test, None, &["run", "p.yaml"], &[("HOOK_URL", &url)]);
    assert!(!output.stdout.contains(token) && !output.stderr.contains(token));
    let dump = Command::new("sqlite3").arg(test.path(".state/runner.db")).arg(".dump").output().unwrap();
    assert!(!String::from_utf8_lossy(&dump.stdout).contains(token), "the store holds the token");
    let mut grouped: BTreeMap<String, String> = BTreeMap::new();
    for line in test.sql("SELECT DISTINCT group_key FROM outbox").lines() {
        grouped.insert(line.to_string(), String::new());
    }
    assert_eq!(grouped.len(), 1, "one destination");
}

#[test]
fn members_whose_group_cannot_be_built_are_recorded_undeliverable_then_expire() {
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel =
        format!("  - id: hook\n    webhook: {{url: \"{}\"}}\n    group: {{window: 1m}}\n", server.url("/hook"));
    let scheduled = |channel: &str| {
        failing("alpha", 2, 10, channel).replacen(
            "checks:\n",
            "schedule: {cron: \"* * * * *\", timezone: UTC}\nchecks:\n",
            1,
        )
    };
    let test = Test::new().file("pb/a.yaml", &scheduled(&channel));
    let tick = |clock: &str| runner_at(&test, Some(clock), &["tick", "pb"], &[]);
    tick("2026-03-02T10:00:30Z");
    tick("2026-03-02T10:01:05Z");
    assert_eq!(test.sql("SELECT count(*) FROM outbox WHERE alert IS NOT NULL"), "2");
    // The channel is removed while its group's window is open: the group cannot be built.
    std::fs::write(test.path("pb/a.yaml"), scheduled("  - id: other\n    webhook: {url: \"\"}\n")).unwrap();
    let ticked = tick("2026-03-02T10:02:10Z");
    assert!(!ticked.stderr.contains("panicked"), "{}", ticked.stderr);
    assert!(server.requests().is_empty());
    assert_eq!(
        test.sql("SELECT count(DISTINCT message_id), min(reason) FROM outbox_undeliverable"),
        "2|its group cannot be built here: channel `hook` is no longer in the playbook",
        "each member is recorded undeliverable, with why"
    );
    let alerts = runner_at(&test, Some("2026-03-02T10:02:20Z"), &["alerts"], &[]).stdout;
    assert_eq!(alerts.matches("undeliverable here").count(), 2, "{alerts}");
    assert!(alerts.contains("channel `hook` is no longer in the playbook"), "{alerts}");
    // A day later they end: dropped, each with a finished delivery attempt saying why.
    tick("2026-03-03T10:02:10Z");
    assert_eq!(test.sql("SELECT count(*) FROM outbox WHERE alert IS NOT NULL AND dropped LIKE 'expired:%'"), "2");
    assert_eq!(
        test.sql(
            "SELECT count(*) FROM delivery_attempts WHERE outcome = 'dropped' AND error LIKE '%channel `hook` is no longer%'"
        ),
        "2"
    );
    assert_eq!(test.sql("SELECT count(*) FROM outbox_undeliverable"), "0");
    assert!(server.requests().is_empty());
}

#[test]
fn the_daemon_closes_a_group_window_when_it_ends_not_at_its_next_tick() {
    use crate::daemon::{Daemon, wait_until};
    let server = Server::with(|_| Reply::status(200, "ok"));
    let channel =
        format!("  - id: hook\n    webhook: {{url: \"{}\"}}\n    group: {{window: 2s}}\n", server.url("/hook"));
    // One fire, at 04:00:00, five seconds after the daemon starts; the next is an hour
    // away, so the daemon would otherwise nap its longest (15 s) after the run.
    let playbook = failing("hourly", 2, 10, &channel).replacen(
        "checks:\n",
        "schedule: {cron: \"0 * * * *\", timezone: UTC}\nchecks:\n",
        1,
    );
    let test = Test::new().file("pb/hourly.yaml", &playbook);
    let mut daemon = Daemon::start_with_env(&test, "pb", &[], &[("RUNNER_TEST_CLOCK", "2026-03-02T03:59:55Z")]);
    assert!(wait_until(std::time::Duration::from_secs(40), || !server.requests().is_empty()), "one group message");
    let waited: i64 = daemon
        .query(
            "SELECT (SELECT min(finished_ms) FROM delivery_attempts WHERE outcome = 'delivered')
                  - (SELECT min(created_ms) FROM outbox WHERE alert IS NOT NULL)",
        )
        .parse()
        .unwrap();
    assert_eq!(daemon.stop(), Some(0));
    assert_eq!(server.requests().len(), 1);
    assert_eq!(json(&server.requests()[0])["alerts"].as_array().map(Vec::len), Some(2));
    // Within the window and a generous second or three, not at the 15-second tick.
    assert!((2_000..5_000).contains(&waited), "delivered {waited} ms after the first member was queued");
}
