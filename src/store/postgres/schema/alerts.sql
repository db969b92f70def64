-- Alert state, outbox, delivery attempts, grouping, remediations, process groups, schedule state, silences, decisions, reports: src/store/postgres/{alerts,groups_outbox,remediations,groups,schedule,silences,decisions,ledger}.rs
--
-- The same shape as SQLite's (src/store/sqlite/schema.rs), for a fleet (PLAYBOOK.md, "Fleet:
-- many hosts, one shared store"):
-- - Host-scoped tables carry `host` (the daemon's host id) and are read one host at a time:
--   alert state (every playbook is every-host for now, whose alerts are per host), remediation
--   audit, runner's own actions, reports, process groups, schedule state and misses.
-- - Fleet-scoped tables have no host column: the outbox (one row per idempotency key, claimed
--   by one daemon at a time: a lease of host id and expiry; the pid only tells this host's own
--   deliverers apart), silences (`host` is the silence's optional filter, not its owner),
--   decisions (they follow their run, whose host is in `runs`).
-- - Ids are identities, times BIGINT Unix milliseconds, flags BOOLEAN.
-- - `decisions` references `runs` by its natural key (run id text): data.sql runs first.

CREATE TABLE alert_state (
    host        TEXT NOT NULL,
    playbook    TEXT NOT NULL,
    channel     TEXT NOT NULL,
    stream      TEXT NOT NULL,
    streak      BIGINT NOT NULL,
    status      TEXT NOT NULL,
    notified    TEXT,
    notified_ms BIGINT,
    since_ms    BIGINT,
    updated_ms  BIGINT NOT NULL,
    flap        TEXT, -- JSON of quiet::flapping::FlapState; NULL when the channel does not detect flapping
    PRIMARY KEY (host, playbook, channel, stream)
);

-- A grouped decision (a member) has `alert`, `group_key`, its window and hourly limit, and is
-- bound to its carrier (`carried_by`); a carrier is an ordinary row with a `group_key`.
-- A claim is `claimed_host` + `claimed_until` (the lease), with the claimant's pid.
CREATE TABLE outbox (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency        TEXT NOT NULL UNIQUE,
    playbook           TEXT NOT NULL,
    file               TEXT NOT NULL,
    channel            TEXT NOT NULL,
    kind               TEXT NOT NULL,
    summary            TEXT NOT NULL,
    body               TEXT NOT NULL,
    created_ms         BIGINT NOT NULL,
    due_ms             BIGINT NOT NULL,
    attempts           BIGINT NOT NULL DEFAULT 0,
    last_error         TEXT,
    delivered_ms       BIGINT,
    dropped            TEXT,
    claimed_host       TEXT,
    claimed_pid        BIGINT,
    claimed_until      BIGINT,
    group_key          TEXT,
    group_window_ms    BIGINT,
    group_max_per_hour BIGINT,
    alert              TEXT,
    carried_by         BIGINT REFERENCES outbox(id)
);
CREATE INDEX outbox_due ON outbox (due_ms, id) WHERE delivered_ms IS NULL AND dropped IS NULL;
CREATE INDEX outbox_by_playbook ON outbox (playbook, id);
CREATE INDEX outbox_members_waiting ON outbox (group_key, created_ms) WHERE alert IS NOT NULL AND carried_by IS NULL;
CREATE INDEX outbox_carried_by ON outbox (carried_by) WHERE carried_by IS NOT NULL;
CREATE INDEX outbox_carriers ON outbox (group_key, created_ms) WHERE alert IS NULL AND group_key IS NOT NULL;

CREATE TABLE delivery_attempts (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id  BIGINT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    idempotency TEXT NOT NULL,
    attempt     BIGINT NOT NULL,
    host_id     TEXT NOT NULL,
    pid         BIGINT NOT NULL,
    started_ms  BIGINT NOT NULL,
    finished_ms BIGINT,
    outcome     TEXT,
    http_status INTEGER,
    error       TEXT,
    carried     BIGINT,
    UNIQUE (message_id, attempt)
);
CREATE INDEX delivery_attempts_open ON delivery_attempts (message_id) WHERE outcome IS NULL;

CREATE TABLE outbox_undeliverable (
    message_id BIGINT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    host_id    TEXT NOT NULL,
    reason     TEXT NOT NULL,
    noted_ms   BIGINT NOT NULL,
    PRIMARY KEY (message_id, host_id)
);

CREATE TABLE remediations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host         TEXT NOT NULL,
    playbook     TEXT NOT NULL,
    check_id     TEXT NOT NULL,
    run_id       TEXT,
    started_ms   BIGINT NOT NULL,
    finished_ms  BIGINT NOT NULL,
    trigger      TEXT NOT NULL,
    result       TEXT NOT NULL,
    attempt      BIGINT NOT NULL,
    max_attempts BIGINT NOT NULL,
    origin       TEXT NOT NULL,
    actions      TEXT NOT NULL, -- JSON
    verify       TEXT,
    guard        TEXT NOT NULL
);
CREATE INDEX remediations_by_check ON remediations (host, playbook, check_id, started_ms);
CREATE INDEX remediations_by_time ON remediations (host, started_ms);

CREATE TABLE runner_actions (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host        TEXT NOT NULL,
    playbook    TEXT NOT NULL,
    what        TEXT NOT NULL,
    started_ms  BIGINT NOT NULL,
    finished_ms BIGINT NOT NULL
);
CREATE INDEX runner_actions_by_time ON runner_actions (host, finished_ms);

CREATE TABLE reports (
    host       TEXT NOT NULL,
    playbook   TEXT NOT NULL,
    path       TEXT NOT NULL,
    written_ms BIGINT NOT NULL,
    PRIMARY KEY (host, playbook, path)
);

CREATE TABLE schedule_state (
    host         TEXT NOT NULL,
    playbook     TEXT NOT NULL,
    last_fire_ms BIGINT NOT NULL,
    updated_ms   BIGINT NOT NULL,
    PRIMARY KEY (host, playbook)
);

CREATE TABLE misses (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    host     TEXT NOT NULL,
    playbook TEXT NOT NULL,
    fire_ms  BIGINT NOT NULL,
    reason   TEXT NOT NULL,
    noted_ms BIGINT NOT NULL
);
CREATE INDEX misses_by_playbook ON misses (host, playbook, fire_ms);

-- `leader_start`: the leader's start time in clock ticks since boot, so that a recycled pid
-- is never taken for the group's leader.
CREATE TABLE process_groups (
    host         TEXT NOT NULL,
    playbook     TEXT NOT NULL,
    pgid         INTEGER NOT NULL,
    leader_start BIGINT NOT NULL,
    run_id       TEXT,
    command      TEXT NOT NULL,
    started_ms   BIGINT NOT NULL,
    PRIMARY KEY (host, playbook, pgid)
);

-- `host`: the silence's filter (NULL: every host). `matched`: with `until_ok`, the checks
-- known when it was made ("playbook/check", JSON); it ends when each is released.
CREATE TABLE silences (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    playbook   TEXT,
    check_id   TEXT,
    host       TEXT,
    reason     TEXT NOT NULL,
    maker      TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    expires_ms BIGINT NOT NULL,
    until_ok   BOOLEAN NOT NULL DEFAULT FALSE,
    matched    TEXT,
    ended_ms   BIGINT,
    ended_by   TEXT
);
CREATE INDEX silences_in_force ON silences (expires_ms) WHERE ended_ms IS NULL;

CREATE TABLE silence_releases (
    silence_id  BIGINT NOT NULL REFERENCES silences(id) ON DELETE CASCADE,
    playbook    TEXT NOT NULL,
    check_id    TEXT NOT NULL,
    released_ms BIGINT NOT NULL,
    PRIMARY KEY (silence_id, playbook, check_id)
);

-- `reasons`: every reason that held the message back, in order (JSON list of codes).
CREATE TABLE decisions (
    run_id   TEXT NOT NULL REFERENCES runs(run_id) ON DELETE CASCADE,
    check_id TEXT NOT NULL,
    channel  TEXT NOT NULL,
    kind     TEXT,
    reasons  TEXT NOT NULL,
    PRIMARY KEY (run_id, check_id, channel)
);
