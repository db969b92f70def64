//! `runner uptime` from the outside: real runs at instants the test sets
//! (`RUNNER_TEST_CLOCK`), the figures of CLI.md's definition in every format, and the HTML
//! report printed to PDF by headless Chromium, whose pages and text are checked.

use std::path::Path;
use std::process::Command;

use crate::support::{Output, Test};

/// Every five minutes; `api` fails while the file `down` exists; `never` is a manual
/// item (MANUAL: never data).
const SHOP: &str = r#"version: 1
name: shop
schedule: {cron: "*/5 * * * *", timezone: UTC}
checks:
  - id: api
    command: {run: ["sh", "-c", "test ! -e down"]}
  - id: never
    manual: {instructions: Look at the shop.}
"#;

fn at(test: &Test, clock: &str, args: &[&str]) -> Output {
    let clocked =
        Test::new().env("RUNNER_TEST_CLOCK", clock).env("RUNNER_STATE", &test.path(".state").display().to_string());
    clocked.cwd(test.root()).run_args(args)
}

/// Runs `shop` at 00:00, 00:05 (OK), 00:10, 00:15 (CRITICAL), 00:20 (OK).
///
/// At 00:31 (the clock then): up 00:00–00:10, down 00:10–00:20, up 00:20–00:30 (the last
/// result holds at most twice the period), no data 00:30–00:31: 20 / 30 min = 66.67 %.
/// One incident, 10 minutes from its first failing result to the next OK.
///
/// Each `runner run` starts some milliseconds after its clock's instant (a process
/// starting), so figures here are compared within 0.02 %; the unit tests of
/// store/uptime.rs hold the exact fixture to 0.01 %.
fn shop() -> Test {
    shop_with(SHOP)
}

fn shop_with(playbook: &str) -> Test {
    let test = Test::new().file("shop.yaml", playbook).file(
        "uptime.j2",
        "{{ uptime.window }}|{{ uptime.playbook.uptime }}|{{ uptime.checks.api.uptime }}|\
         {{ uptime.checks.api.incidents }}|{{ uptime.checks.api.mean_time_to_recover }}|{{ uptime.checks.never.uptime }}\n",
    );
    for (minute, down) in [("00", false), ("05", false), ("10", true), ("15", true), ("20", false)] {
        if down {
            std::fs::write(test.path("down"), "").unwrap();
        } else {
            let _ = std::fs::remove_file(test.path("down"));
        }
        let run = at(&test, &format!("2026-03-02T00:{minute}:00Z"), &["run", "shop.yaml"]);
        assert!(run.code == 0 || run.code == 2, "{run:?}");
    }
    test
}

const NOW: &str = "2026-03-02T00:31:00Z";

/// The percentage in a human table's row (`api  66.67 %  1 …`).
fn percent_in(row: &str) -> f64 {
    row.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("no percentage in {row:?}"))
}

fn assert_near(got: f64, expected: f64) {
    assert!((got - expected).abs() < 0.02, "{got} % is not {expected} %");
}

#[test]
fn uptime_of_real_runs_in_every_format() {
    let test = shop();
    let human = at(&test, NOW, &["uptime", "--since", "1h"]);
    assert_eq!(human.code, 0, "{human:?}");
    let lines: Vec<&str> = human.stdout.lines().collect();
    assert!(lines[0].starts_with("Uptime over the last 1h (2026-03-01 23:31 UTC – 2026-03-02 00:31 UTC)"), "{human:?}");
    assert!(lines[1].starts_with("PLAYBOOK / CHECK") && lines[1].ends_with("LONGEST OUTAGE"), "{human:?}");
    let words = |line: &str| line.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    for (line, name) in [(lines[2], "shop"), (lines[3], "api")] {
        assert_near(percent_in(line), 66.67);
        assert_eq!(words(line)[0], name);
        assert_eq!(words(line)[2..], ["%", "1", "10m", "10m"], "{human:?}");
    }
    // A manual item is never data: "—", never 100 %.
    assert_eq!(words(lines[4]), ["never", "—", "0", "—", "—"], "{human:?}");
    // Aligned: every figure column ends where its header does.
    let end = lines[1].len();
    assert!(lines[2..].iter().all(|l| l.len() == end || l.chars().count() == lines[1].chars().count()), "{human:?}");

    let json = at(&test, NOW, &["uptime", "shop", "--since", "1h", "--format", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let value: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let playbook = &value["playbooks"][0];
    assert_eq!(playbook["playbook"], "shop");
    assert_near(playbook["uptime_percent"].as_f64().unwrap(), 66.667);
    assert_eq!(playbook["incidents"], 1);
    let ttr = playbook["mean_time_to_recover_ms"].as_i64().unwrap();
    assert!((ttr - 600_000).abs() < 2_000, "{playbook}");
    assert_eq!(playbook["checks"][1]["check"], "never");
    assert!(playbook["checks"][1]["uptime_percent"].is_null(), "no data is null: {playbook}");

    let csv = at(&test, NOW, &["uptime", "--check", "api", "--since", "1h", "--format", "csv"]);
    assert_eq!(csv.code, 0, "{csv:?}");
    let rows: Vec<&str> = csv.stdout.split("\r\n").collect();
    assert_eq!(
        rows[0],
        "playbook,check,uptime_percent,weighed_by,up_ms,down_ms,up_results,down_results,incidents,ongoing,mean_time_to_recover_ms,longest_outage_ms"
    );
    let fields: Vec<&str> = rows[1].split(',').collect();
    assert_eq!(fields[..2], ["shop", "api"], "{csv:?}");
    assert_near(fields[2].parse().unwrap(), 66.667);
    assert_eq!(fields[3], "time");
    assert_eq!(rows.len(), 3, "one row and the final CRLF: {csv:?}");

    // Since 00:06 (a cut of the day): up 00:06–00:10, down 00:10–00:20, up 00:20–00:30:
    // 14 / 24 min = 58.33 %; the incident started inside.
    let cut = at(&test, NOW, &["uptime", "shop", "--check", "api", "--since", "25m"]);
    let row = cut.stdout.lines().find(|l| l.trim_start().starts_with("api")).unwrap().to_string();
    assert_near(percent_in(&row), 58.33);
    assert_eq!(words(&row)[3], "1", "{cut:?}");
    // Since 00:16: the incident started before the window: down 00:16–00:20, up
    // 00:20–00:30: 10 / 14 min = 71.43 %, no incident.
    let cut = at(&test, NOW, &["uptime", "shop", "--check", "api", "--since", "15m"]);
    let row = cut.stdout.lines().find(|l| l.trim_start().starts_with("api")).unwrap().to_string();
    assert_near(percent_in(&row), 71.43);
    assert_eq!(words(&row)[3..], ["0", "—", "—"], "{cut:?}");
}

#[test]
fn uptime_refuses_what_it_cannot_answer() {
    let test = shop();
    let typo = at(&test, NOW, &["uptime", "shpo"]);
    assert_eq!(typo.code, 64, "{typo:?}");
    assert!(typo.stderr.contains("did you mean `shop`?"), "{typo:?}");
    let check = at(&test, NOW, &["uptime", "shop", "--check", "apj"]);
    assert_eq!(check.code, 64, "{check:?}");
    assert!(check.stderr.contains("did you mean `api`?"), "{check:?}");
    assert_eq!(at(&test, NOW, &["uptime", "--since", "soon"]).code, 64);
    assert_eq!(at(&test, NOW, &["uptime", "--since", "-5m"]).code, 64);
    assert_eq!(at(&test, NOW, &["uptime", "--host", "elsewhere.example"]).code, 64);
    // This host is this host.
    let host = runner::host::id();
    assert_eq!(at(&test, NOW, &["uptime", "--host", &host]).code, 0);
    // A zero window answers nothing.
    let zero = at(&test, NOW, &["uptime", "--since", "0s"]);
    assert_eq!(zero.code, 64, "{zero:?}");
    assert!(zero.stderr.contains("longer than zero"), "{zero:?}");
    // No store yet, a name: nothing is known of it.
    let unseen = Test::new().run_args(&["uptime", "shop"]);
    assert_eq!(unseen.code, 64, "{unseen:?}");
    assert!(unseen.stderr.contains("`shop`"), "{unseen:?}");
    // No store yet: a sentence, and an empty table.
    let empty = Test::new().run_args(&["uptime", "--format", "csv"]);
    assert_eq!(empty.code, 0, "{empty:?}");
    assert!(empty.stdout.starts_with("playbook,check,"), "{empty:?}");
}

/// Prints `html` to PDF with headless Chromium; returns the PDF's path.
fn print_to_pdf(dir: &Path, html: &str) -> std::path::PathBuf {
    let page = dir.join("uptime.html");
    let pdf = dir.join("uptime.pdf");
    std::fs::write(&page, html).unwrap();
    let status = Command::new("chromium")
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer"])
        .arg(format!("--user-data-dir={}", dir.join("chromium-profile").display()))
        .arg(format!("--print-to-pdf={}", pdf.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium is installed (tests/run installs it)");
    assert!(pdf.exists(), "chromium wrote no PDF: {}", String::from_utf8_lossy(&status.stderr));
    pdf
}

fn pdf_text(pdf: &Path, page: Option<u32>) -> String {
    let mut command = Command::new("pdftotext");
    command.arg("-layout");
    if let Some(page) = page {
        command.args(["-f", &page.to_string(), "-l", &page.to_string()]);
    }
    let output = command.arg(pdf).arg("-").output().expect("pdftotext is installed (poppler-utils)");
    assert!(output.status.success());
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn pdf_pages(pdf: &Path) -> u32 {
    let output = Command::new("pdfinfo").arg(pdf).output().expect("pdfinfo is installed (poppler-utils)");
    let info = String::from_utf8_lossy(&output.stdout).into_owned();
    let line = info.lines().find(|l| l.starts_with("Pages:")).expect("a page count");
    line["Pages:".len()..].trim().parse().unwrap()
}

#[test]
fn the_html_report_prints_on_a4_in_chromium() {
    let test = shop();
    // A second playbook with 50 checks: more rows than one A4 page holds.
    let mut big =
        String::from("version: 1\nname: fleet-of-checks\nschedule: {cron: \"*/5 * * * *\", timezone: UTC}\nchecks:\n");
    for i in 0..50 {
        big.push_str(&format!("  - id: check-{i:02}\n    command: {{run: [\"true\"]}}\n"));
    }
    std::fs::write(test.path("big.yaml"), big).unwrap();
    assert_eq!(at(&test, "2026-03-02T00:20:00Z", &["run", "big.yaml"]).code, 0);
    let html = at(&test, NOW, &["uptime", "--since", "1h", "--format", "html"]);
    assert_eq!(html.code, 0, "{html:?}");
    assert!(!html.stdout.contains("http://") && !html.stdout.contains("https://"), "no outside asset");
    assert!(!html.stdout.contains("<script"), "no script");

    let pdf = print_to_pdf(test.root(), &html.stdout);
    // Kept for a person to look at: PNGs of the pages next to the PDF.
    if let Ok(dir) = std::env::var("UPTIME_PDF_PAGES") {
        eprintln!("{}", html.stdout);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(&pdf, Path::new(&dir).join("uptime.pdf")).unwrap();
        let _ =
            Command::new("pdftoppm").args(["-png", "-r", "60"]).arg(&pdf).arg(Path::new(&dir).join("page")).status();
    }
    // Page 1: `fleet-of-checks`, whose 51 rows run onto page 2; page 3: `shop` (each
    // playbook starts a page).
    assert_eq!(pdf_pages(&pdf), 3, "{}", pdf_text(&pdf, None));
    let first = pdf_text(&pdf, Some(1));
    assert!(first.contains("Uptime over the last 1h") && first.contains("fleet-of-checks"), "{first}");
    assert!(first.contains("check-00") && first.contains("100.00 %"), "{first}");
    let second = pdf_text(&pdf, Some(2));
    assert!(second.contains("Mean time to recover"), "the table header repeats on page 2: {second}");
    assert!(second.contains("check-49"), "{second}");
    assert!(!second.contains("shop"), "`shop` starts its own page: {second}");
    let third = pdf_text(&pdf, Some(3));
    assert!(third.contains("shop") && third.contains("66.6") && third.contains("10m"), "{third}");
    assert!(third.contains("never") && third.contains("—"), "{third}");
}

#[test]
fn reports_see_uptime_in_their_context() {
    let playbook = format!("{SHOP}report: {{path: \"out/report.txt\", template: uptime.j2}}\n");
    let test = shop_with(&playbook);
    // Written by the run at 00:20, just after it was stored: up 00:00–00:10, down
    // 00:10–00:20 (and the 00:20 result's first milliseconds): 50.00 %, one incident that
    // took 10 minutes to recover; the manual item has no data.
    let report = std::fs::read_to_string(test.path("out/report.txt")).unwrap();
    let fields: Vec<&str> = report.trim_end().split('|').collect();
    assert_eq!(fields[0], "30d", "{report}");
    assert!(fields[1].starts_with("50.0") && fields[1] == fields[2], "{report}");
    assert_eq!(fields[3..], ["1", "10m", "—"], "{report}");
}
