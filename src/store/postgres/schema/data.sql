-- Runs, results, metrics, probe state, snapshots, uptime roll-ups: src/store/postgres/{runs,history,last_run,results,uptime,snapshots,probe_state,dependencies}.rs
--
-- The same shape as SQLite's (src/store/sqlite/schema.rs), for a fleet:
-- - Names are interned once for the whole fleet (`playbooks`, `checks`, `series`): every
--   host that runs a playbook shares its ids.
-- - Host-scoped rows carry `host` (the daemon's host id): runs (and through them their
--   results and decisions), metrics, probe state and the uptime roll-ups; every read of
--   them is one host's. A playbook snapshot has a host of its own (`host_id`).
-- - Ids are identities, times BIGINT Unix milliseconds, flags BOOLEAN.
-- - `runs.run_id` is unique fleet-wide (run ids are random): a run recorded twice (a
--   spool flushed again) is stored once.

CREATE TABLE playbooks (
    id   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE checks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    playbook_id BIGINT NOT NULL REFERENCES playbooks(id),
    check_id    TEXT NOT NULL,
    UNIQUE (playbook_id, check_id)
);

-- `meta`: the unit and ranges the metric was last measured with (JSON), as in SQLite.
CREATE TABLE series (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    check_ref BIGINT NOT NULL REFERENCES checks(id),
    metric    TEXT NOT NULL,
    meta      TEXT,
    UNIQUE (check_ref, metric)
);

-- A run begun but not finished (`status = 'running'`, written by ScheduleStore::begin_run)
-- gives way to the finished run of the same id.
CREATE TABLE runs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       TEXT NOT NULL UNIQUE,
    host         TEXT NOT NULL,
    playbook_id  BIGINT NOT NULL REFERENCES playbooks(id),
    started_ms   BIGINT NOT NULL,
    duration_ms  BIGINT NOT NULL,
    status       TEXT NOT NULL,
    origin       TEXT NOT NULL,
    dry_run      BOOLEAN NOT NULL DEFAULT FALSE,
    stands_for   BIGINT,
    scheduled_ms BIGINT,
    interrupted  BOOLEAN NOT NULL DEFAULT FALSE,
    summary      TEXT NOT NULL,
    period_ms    BIGINT
);
CREATE INDEX runs_by_playbook ON runs (host, playbook_id, started_ms);
CREATE INDEX runs_by_time ON runs (host, started_ms);

-- `quiet`: what made the result "no data" (maintenance, silenced); `holds`: its
-- check-level holds (JSON), as in SQLite. A result is its run's host's.
CREATE TABLE results (
    run         BIGINT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    check_ref   BIGINT NOT NULL REFERENCES checks(id),
    status      TEXT NOT NULL,
    duration_ms BIGINT NOT NULL,
    attempts    BIGINT NOT NULL,
    message     TEXT NOT NULL,
    details     TEXT,
    remediation TEXT,
    quiet       TEXT,
    holds       TEXT,
    PRIMARY KEY (run, check_ref)
);
CREATE INDEX results_by_check ON results (check_ref, run);

-- Keyed for a trend: one host's series over a window is one range scan. `run` is
-- `runs.id`; metrics go by time (prune), not with their run.
CREATE TABLE metrics (
    host   TEXT NOT NULL,
    series BIGINT NOT NULL,
    at     BIGINT NOT NULL, -- Unix ms, the run's start
    run    BIGINT NOT NULL,
    value  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (host, series, at, run)
);

CREATE TABLE probe_state (
    host       TEXT NOT NULL,
    playbook   TEXT NOT NULL,
    check_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_ms BIGINT NOT NULL,
    PRIMARY KEY (host, playbook, check_id, name)
);

-- What each daemon loaded, one JSON body per playbook and host (`runner serve`).
CREATE TABLE playbook_snapshots (
    playbook TEXT NOT NULL,
    host_id  TEXT NOT NULL,
    body     TEXT NOT NULL,
    saved_ms BIGINT NOT NULL,
    PRIMARY KEY (playbook, host_id)
);

-- Uptime roll-ups (store/uptime.rs), per host and series (`check_ref` 0 is the
-- playbook's own series).
CREATE TABLE uptime_days (
    host         TEXT NOT NULL,
    playbook_id  BIGINT NOT NULL,
    check_ref    BIGINT NOT NULL,
    day          BIGINT NOT NULL, -- UTC day: Unix ms / 86,400,000
    up_ms        BIGINT NOT NULL,
    down_ms      BIGINT NOT NULL,
    up_results   BIGINT NOT NULL,
    down_results BIGINT NOT NULL,
    incidents    BIGINT NOT NULL, -- started this day
    recovered    BIGINT NOT NULL, -- of those, recovered (at any later time)
    recover_ms   BIGINT NOT NULL, -- their times to recover, summed
    longest_ms   BIGINT,          -- the longest of them
    PRIMARY KEY (host, playbook_id, check_ref, day)
);

CREATE TABLE uptime_spans (
    host        TEXT NOT NULL,
    playbook_id BIGINT NOT NULL,
    check_ref   BIGINT NOT NULL,
    start_ms    BIGINT NOT NULL,
    end_ms      BIGINT NOT NULL,
    up          BOOLEAN NOT NULL,
    PRIMARY KEY (host, playbook_id, check_ref, start_ms)
);

CREATE TABLE uptime_incidents (
    host         TEXT NOT NULL,
    playbook_id  BIGINT NOT NULL,
    check_ref    BIGINT NOT NULL,
    started_ms   BIGINT NOT NULL,
    recovered_ms BIGINT,
    PRIMARY KEY (host, playbook_id, check_ref, started_ms)
);

CREATE TABLE uptime_tails (
    host             TEXT NOT NULL,
    playbook_id      BIGINT NOT NULL,
    check_ref        BIGINT NOT NULL,
    at_ms            BIGINT NOT NULL,
    mark             TEXT NOT NULL,
    period_ms        BIGINT,
    open_incident_ms BIGINT,
    PRIMARY KEY (host, playbook_id, check_ref)
);
