//! A fleet on one store (PLAYBOOK.md "Fleet", CLI.md `--store`, `--host-id`): what the
//! command line accepts and refuses, and that a store URL's password is a secret.

use crate::support::Test;

/// A password that must never be shown.
const PASSWORD: &str = "fleet-Secret-7731";

#[test]
fn a_store_url_that_is_not_sqlite_or_postgres_is_a_usage_error() {
    for url in ["mysql://u@h/db", "postgres://u@h", "http://h/x", "not a url"] {
        let out = Test::new().args(["--store", url, "history"]).expect_status(64).run();
        assert!(out.stderr.contains("--store"), "{url}: {}", out.stderr);
    }
    // `sqlite` is the default, said or not.
    Test::new().args(["--store", "sqlite", "history"]).expect_status(0).run();
}

#[test]
fn a_shared_store_needs_a_real_host_id() {
    let url = format!("postgres://postgres:{PASSWORD}@127.0.0.1:5432/runner_fleet_never");
    for id in ["localhost", "LOCALHOST", ""] {
        let out = Test::new().args(["--store", &url, "--host-id", id, "history"]).expect_status(64).run();
        assert!(out.stderr.contains("own id"), "{id:?}: {}", out.stderr);
        assert!(!out.stderr.contains(PASSWORD), "{}", out.stderr);
    }
    // The same rule read from the environment.
    let out = Test::new()
        .env("RUNNER_STORE", &url)
        .env("RUNNER_HOST_ID", "localhost")
        .args(["history"])
        .expect_status(64)
        .run();
    assert!(out.stderr.contains("own id"), "{}", out.stderr);
}

#[test]
fn a_host_id_is_a_slug_with_any_store() {
    for id in ["web 1", "-web", "a/b", &"x".repeat(64)] {
        let out = Test::new().args([&format!("--host-id={id}"), "history"]).expect_status(64).run();
        assert!(out.stderr.contains("--host-id"), "{id:?}: {}", out.stderr);
    }
    Test::new().args(["--host-id", "web-1.example", "history"]).expect_status(0).run();
}

#[test]
fn an_unreachable_store_says_so_without_its_password() {
    // Port 1 on loopback: nothing listens, the refusal is immediate.
    let url = format!("postgres://runner:{PASSWORD}@127.0.0.1:1/runner");
    let out = Test::new().args(["--store", &url, "--host-id", "web-1", "history"]).expect_status(74).run();
    assert!(out.stderr.contains("postgres://runner:***@127.0.0.1:1/runner"), "{}", out.stderr);
    assert!(out.stderr.contains("refused"), "{}", out.stderr);
    assert!(!out.stderr.contains(PASSWORD) && !out.stdout.contains(PASSWORD), "{}", out.stderr);
    // Nor in --help, where clap would show the environment's value.
    let help = Test::new().env("RUNNER_STORE", &url).args(["--help"]).expect_status(0).run();
    assert!(!help.stdout.contains(PASSWORD), "{}", help.stdout);
}
