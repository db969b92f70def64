//! The store's schema and its migrations (rusqlite_migration, tracked in
//! `PRAGMA user_version`). A migration is never edited once released: add a new one.
//!
//! Shape, and why:
//! - `runs` holds one row per run, `results` one per check per run. Check ids and metric
//!   names are interned (`checks`, `series`) so that a year of 5-minute heartbeats stays
//!   small: the per-row cost is a few integers and a short message.
//! - `metrics` is keyed by (series, time): a trend over a window is one range scan.
//! - `probe_state` is what probes keep between runs (log offsets, samples).
//! - `runner_actions` is when runner itself acted (phase actions, remediations), so that
//!   `restarts` does not count runner's own restarts as crashes.
//! - `alert_state`, `outbox` and `remediations` belong to alerting and remediation;
//!   `reports` to report retention; `schedule_state` and `misses` to the daemon.
//! - No secret is ever stored: the outbox keeps which playbook file and channel a message
//!   goes to, not the webhook URL or headers, which are resolved when it is delivered.

use rusqlite_migration::{M, Migrations};

/// How many migrations there are (the schema version this runner writes).
pub const VERSIONS: usize = 4;

pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(
            r#"
CREATE TABLE playbooks (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE checks (
    id          INTEGER PRIMARY KEY,
    playbook_id INTEGER NOT NULL REFERENCES playbooks(id),
    check_id    TEXT NOT NULL,
    UNIQUE (playbook_id, check_id)
);

CREATE TABLE series (
    id       INTEGER PRIMARY KEY,
    check_ref INTEGER NOT NULL REFERENCES checks(id),
    metric   TEXT NOT NULL,
    UNIQUE (check_ref, metric)
);

CREATE TABLE runs (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL UNIQUE,
    playbook_id INTEGER NOT NULL REFERENCES playbooks(id),
    started_ms  INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    status      TEXT NOT NULL,
    origin      TEXT NOT NULL,
    dry_run     INTEGER NOT NULL DEFAULT 0,
    stands_for  INTEGER,
    scheduled_ms INTEGER,
    interrupted INTEGER NOT NULL DEFAULT 0,
    summary     TEXT NOT NULL
);
CREATE INDEX runs_by_playbook ON runs (playbook_id, started_ms);
CREATE INDEX runs_by_time ON runs (started_ms);

CREATE TABLE results (
    run         INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_ref   INTEGER NOT NULL REFERENCES checks(id),
    status      TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    message     TEXT NOT NULL,
    details     TEXT,
    remediation TEXT,
    PRIMARY KEY (run, check_ref)
) WITHOUT ROWID;
CREATE INDEX results_by_check ON results (check_ref, run);

CREATE TABLE metrics (
    series INTEGER NOT NULL,
    at     INTEGER NOT NULL, -- Unix ms, the run's start
    run    INTEGER NOT NULL,
    value  REAL NOT NULL,
    PRIMARY KEY (series, at, run)
) WITHOUT ROWID;

CREATE TABLE probe_state (
    playbook   TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_ms INTEGER NOT NULL,
    PRIMARY KEY (playbook, check_id, name)
) WITHOUT ROWID;

CREATE TABLE alert_state (
    playbook      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    stream        TEXT NOT NULL,
    streak        INTEGER NOT NULL,
    status        TEXT NOT NULL,
    notified      TEXT,
    notified_ms   INTEGER,
    since_ms      INTEGER,
    updated_ms    INTEGER NOT NULL,
    PRIMARY KEY (playbook, channel, stream)
) WITHOUT ROWID;

CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    idempotency   TEXT NOT NULL UNIQUE,
    playbook      TEXT NOT NULL,
    file          TEXT NOT NULL,
    channel       TEXT NOT NULL,
    kind          TEXT NOT NULL,
    summary       TEXT NOT NULL,
    body          TEXT NOT NULL,
    created_ms    INTEGER NOT NULL,
    due_ms        INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    delivered_ms  INTEGER,
    dropped       TEXT,
    claimed_by    INTEGER,
    claimed_until INTEGER
);
CREATE INDEX outbox_due ON outbox (delivered_ms, dropped, due_ms);

CREATE TABLE remediations (
    id          INTEGER PRIMARY KEY,
    playbook    TEXT NOT NULL,
    check_id    TEXT NOT NULL,
    run_id      TEXT,
    started_ms  INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL,
    trigger     TEXT NOT NULL,
    result      TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    max_attempts INTEGER NOT NULL,
    origin      TEXT NOT NULL,
    actions     TEXT NOT NULL,
    verify      TEXT,
    guard       TEXT NOT NULL
);
CREATE INDEX remediations_by_check ON remediations (playbook, check_id, started_ms);

CREATE TABLE runner_actions (
    id          INTEGER PRIMARY KEY,
    playbook    TEXT NOT NULL,
    what        TEXT NOT NULL,
    started_ms  INTEGER NOT NULL,
    finished_ms INTEGER NOT NULL
);
CREATE INDEX runner_actions_by_time ON runner_actions (finished_ms);

CREATE TABLE reports (
    playbook   TEXT NOT NULL,
    path       TEXT NOT NULL,
    written_ms INTEGER NOT NULL,
    PRIMARY KEY (playbook, path)
) WITHOUT ROWID;

CREATE TABLE schedule_state (
    playbook      TEXT PRIMARY KEY,
    last_fire_ms  INTEGER NOT NULL,
    updated_ms    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE misses (
    id        INTEGER PRIMARY KEY,
    playbook  TEXT NOT NULL,
    fire_ms   INTEGER NOT NULL,
    reason    TEXT NOT NULL,
    noted_ms  INTEGER NOT NULL
);
CREATE INDEX misses_by_playbook ON misses (playbook, fire_ms);
"#,
        ),
        // Delivery attempts, undeliverable messages and process groups (issue 9).
        // - `delivery_attempts`: one row per attempt, written before the request goes out
        //   and finished with its outcome, so that a crash mid-delivery leaves a row
        //   without an outcome (the next claim marks it `abandoned`). Grouping and fleet
        //   leases extend this table; `host_id` is ready for them.
        // - `outbox_undeliverable`: a host that cannot deliver a message (its playbook
        //   file is gone, its webhook variable unset there) says so, per host; the row
        //   goes when the message is delivered or dropped.
        // - `process_groups`: a command's process group while its leader runs, with the
        //   leader's start time (clock ticks since boot), so that the groups of a run
        //   killed with `kill -9` are ended at the next start, and a recycled pid never.
        M::up(
            r#"
CREATE TABLE delivery_attempts (
    id           INTEGER PRIMARY KEY,
    message_id   INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    idempotency  TEXT NOT NULL,
    attempt      INTEGER NOT NULL,
    host_id      TEXT NOT NULL,
    pid          INTEGER NOT NULL,
    started_ms   INTEGER NOT NULL,
    finished_ms  INTEGER,
    outcome      TEXT,
    http_status  INTEGER,
    error        TEXT,
    UNIQUE (message_id, attempt)
);
CREATE INDEX delivery_attempts_open ON delivery_attempts (message_id, finished_ms);

CREATE TABLE outbox_undeliverable (
    message_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    host_id    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    noted_ms   INTEGER NOT NULL,
    PRIMARY KEY (message_id, host_id)
) WITHOUT ROWID;

CREATE TABLE process_groups (
    playbook     TEXT NOT NULL,
    pgid         INTEGER NOT NULL,
    leader_start INTEGER NOT NULL,
    run_id       TEXT,
    host_id      TEXT NOT NULL,
    command      TEXT NOT NULL,
    started_ms   INTEGER NOT NULL,
    PRIMARY KEY (playbook, pgid)
) WITHOUT ROWID;
"#,
        ),
        // 3. A series keeps the unit and ranges its metric was last measured with (a
        //    plugin's `0.5%` or `1KB`), so that a restarted daemon's `/metrics` names and
        //    scales it as before instead of starting a series of another meaning.
        M::up("ALTER TABLE series ADD COLUMN meta TEXT;"),
        // 4. Quiet times of quiet-b: a result keeps the check-level holds that held its
        //    messages (`depends_on` reads a dependency's latest stored result and whether
        //    it was itself held back), and an alert stream its flapping state (JSON of
        //    `quiet::flapping::FlapState`), both NULL when there is nothing to say.
        M::up("ALTER TABLE results ADD COLUMN holds TEXT; ALTER TABLE alert_state ADD COLUMN flap TEXT;"),
    ])
}

#[cfg(test)]
mod tests {
    #[test]
    fn migrations_are_valid() {
        super::migrations().validate().unwrap();
        let mut connection = rusqlite::Connection::open_in_memory().unwrap();
        super::migrations().to_latest(&mut connection).unwrap();
        let version: i64 = connection.pragma_query_value(None, "user_version", |r| r.get(0)).unwrap();
        assert_eq!(version as usize, super::VERSIONS);
    }
}
