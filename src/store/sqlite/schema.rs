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
pub const VERSIONS: usize = 9;

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
        // 4. Grouping per destination (issue 12). A grouped decision is an outbox row with
        //    its alert (`alert`, JSON), its destination's key (`group_key`: SHA-256 of method
        //    and URL, never the URL) and its channel's window and hourly limit; it is not
        //    delivered itself but bound to the message that carries it (`carried_by`), an
        //    ordinary outbox row with the same `group_key` and no `alert`. An attempt
        //    records how many members it carried (`delivery_attempts.carried`).
        M::up(
            r#"
ALTER TABLE outbox ADD COLUMN group_key TEXT;
ALTER TABLE outbox ADD COLUMN group_window_ms INTEGER;
ALTER TABLE outbox ADD COLUMN group_max_per_hour INTEGER;
ALTER TABLE outbox ADD COLUMN alert TEXT;
ALTER TABLE outbox ADD COLUMN carried_by INTEGER REFERENCES outbox(id);
CREATE INDEX outbox_members_waiting ON outbox (group_key, created_ms) WHERE alert IS NOT NULL AND carried_by IS NULL;
CREATE INDEX outbox_carried_by ON outbox (carried_by) WHERE carried_by IS NOT NULL;
CREATE INDEX outbox_carriers ON outbox (group_key, created_ms) WHERE alert IS NULL AND group_key IS NOT NULL;
ALTER TABLE delivery_attempts ADD COLUMN carried INTEGER;
"#,
        ),
        // 5. What each daemon loaded (`store::snapshots`), so that `runner serve` shows a
        //    playbook without its file: one JSON body per playbook and host.
        M::up(
            r#"
CREATE TABLE playbook_snapshots (
    playbook  TEXT NOT NULL,
    host_id   TEXT NOT NULL,
    body      TEXT NOT NULL,
    saved_ms  INTEGER NOT NULL,
    PRIMARY KEY (playbook, host_id)
) WITHOUT ROWID;
"#,
        ),
        // 6. Uptime (issue 12): each run keeps its schedule's period and each result the
        //    quiet time that made it "no data" (`maintenance`, `silenced`); the roll-ups of
        //    store/uptime.rs are kept per series (`check_ref` 0 is the playbook's own) and
        //    built here from the results an existing store already holds.
        M::up_with_hook(
            r#"
ALTER TABLE runs ADD COLUMN period_ms INTEGER;
ALTER TABLE results ADD COLUMN quiet TEXT;

CREATE TABLE uptime_days (
    playbook_id  INTEGER NOT NULL,
    check_ref    INTEGER NOT NULL,
    day          INTEGER NOT NULL, -- UTC day: Unix ms / 86,400,000
    up_ms        INTEGER NOT NULL,
    down_ms      INTEGER NOT NULL,
    up_results   INTEGER NOT NULL,
    down_results INTEGER NOT NULL,
    incidents    INTEGER NOT NULL, -- started this day
    recovered    INTEGER NOT NULL, -- of those, recovered (at any later time)
    recover_ms   INTEGER NOT NULL, -- their times to recover, summed
    longest_ms   INTEGER,          -- the longest of them
    PRIMARY KEY (playbook_id, check_ref, day)
) WITHOUT ROWID;

CREATE TABLE uptime_spans (
    playbook_id INTEGER NOT NULL,
    check_ref   INTEGER NOT NULL,
    start_ms    INTEGER NOT NULL,
    end_ms      INTEGER NOT NULL,
    up          INTEGER NOT NULL,
    PRIMARY KEY (playbook_id, check_ref, start_ms)
) WITHOUT ROWID;

CREATE TABLE uptime_incidents (
    playbook_id  INTEGER NOT NULL,
    check_ref    INTEGER NOT NULL,
    started_ms   INTEGER NOT NULL,
    recovered_ms INTEGER,
    PRIMARY KEY (playbook_id, check_ref, started_ms)
) WITHOUT ROWID;

CREATE TABLE uptime_tails (
    playbook_id      INTEGER NOT NULL,
    check_ref        INTEGER NOT NULL,
    at_ms            INTEGER NOT NULL,
    mark             TEXT NOT NULL,
    period_ms        INTEGER,
    open_incident_ms INTEGER,
    PRIMARY KEY (playbook_id, check_ref)
) WITHOUT ROWID;
"#,
            |tx: &rusqlite::Transaction<'_>| -> rusqlite_migration::HookResult {
                super::uptime::rebuild_all(tx)?;
                Ok(())
            },
        ),
        // 7. Quiet times (issue 12).
        // - `silences`: made by `runner silence add` (or the API), kept after they end
        //   (`ended_ms`, `ended_by`) for `history`. `matched` is, for `--until-ok`, the
        //   checks known when it was made ("playbook/check", JSON): it ends when each is
        //   released, by its own first OK after `created_ms` (`silence_releases`).
        // - `decisions`: one row per (result, channel): the message kind sent, or none,
        //   and every reason that held it back, in order (JSON list of codes).
        // - `results.holds`: the check-level holds of a result (JSON), for uptime and
        //   history, whether or not the playbook notifies; `depends_on` reads a
        //   dependency's latest stored result and whether it was itself held back.
        // - `alert_state.flap`: an alert stream's flapping state (JSON of
        //   `quiet::flapping::FlapState`), NULL when the channel does not detect flapping.
        M::up(
            r#"
CREATE TABLE silences (
    id          INTEGER PRIMARY KEY,
    playbook    TEXT,
    check_id    TEXT,
    host        TEXT,
    reason      TEXT NOT NULL,
    maker       TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    until_ok    INTEGER NOT NULL DEFAULT 0,
    matched     TEXT,
    ended_ms    INTEGER,
    ended_by    TEXT
);
CREATE INDEX silences_in_force ON silences (ended_ms, expires_ms);

CREATE TABLE silence_releases (
    silence_id  INTEGER NOT NULL REFERENCES silences(id) ON DELETE CASCADE,
    playbook    TEXT NOT NULL,
    check_id    TEXT NOT NULL,
    released_ms INTEGER NOT NULL,
    PRIMARY KEY (silence_id, playbook, check_id)
) WITHOUT ROWID;

CREATE TABLE decisions (
    run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    channel  TEXT NOT NULL,
    kind     TEXT,
    reasons  TEXT NOT NULL,
    PRIMARY KEY (run_id, check_id, channel)
) WITHOUT ROWID;

ALTER TABLE results ADD COLUMN holds TEXT;
ALTER TABLE alert_state ADD COLUMN flap TEXT;
"#,
        ),
        // 8. Uptime's longest outage is an incident's down time, no longer its time to
        //    recover (the no-data time inside an incident is no outage): the day roll-ups'
        //    `longest_ms` are rebuilt from the raw results under that definition.
        M::up_with_hook("", |tx: &rusqlite::Transaction<'_>| -> rusqlite_migration::HookResult {
            super::uptime::rebuild_all(tx)?;
            Ok(())
        }),
        // 9. A fleet (PLAYBOOK.md "Fleet"; `store::fleet`):
        // - `fleet_hosts`: each daemon's heartbeat, by host id, with the instance (one
        //   process) that beats, and when the fleet raised it as silent;
        // - `fire_claims`: who runs each fire of a one-host playbook, under a lease.
        M::up(
            r#"
CREATE TABLE fleet_hosts (
    host            TEXT PRIMARY KEY,
    instance        TEXT NOT NULL,
    pid             INTEGER NOT NULL,
    started_ms      INTEGER NOT NULL,
    seen_ms         INTEGER NOT NULL,
    grace_ms        INTEGER NOT NULL,
    playbooks       TEXT NOT NULL,
    silent_since_ms INTEGER
) WITHOUT ROWID;

CREATE TABLE fire_claims (
    playbook        TEXT NOT NULL,
    fire_ms         INTEGER NOT NULL,
    host            TEXT NOT NULL,
    lease_until_ms  INTEGER NOT NULL,
    claimed_ms      INTEGER NOT NULL,
    finished_ms     INTEGER,
    takeovers       INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (playbook, fire_ms)
) WITHOUT ROWID;
"#,
        ),
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
