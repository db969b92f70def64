-- A fleet (store::fleet; src/store/postgres/fleet.rs): heartbeats by host id, and who runs
-- each fire of a one-host playbook, under a lease.
CREATE TABLE fleet_hosts (
    host            TEXT PRIMARY KEY,
    instance        TEXT NOT NULL,
    pid             BIGINT NOT NULL,
    started_ms      BIGINT NOT NULL,
    seen_ms         BIGINT NOT NULL,
    grace_ms        BIGINT NOT NULL,
    playbooks       TEXT NOT NULL,
    silent_since_ms BIGINT
);

CREATE TABLE fire_claims (
    playbook        TEXT NOT NULL,
    fire_ms         BIGINT NOT NULL,
    host            TEXT NOT NULL,
    lease_until_ms  BIGINT NOT NULL,
    claimed_ms      BIGINT NOT NULL,
    finished_ms     BIGINT,
    takeovers       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (playbook, fire_ms)
);
CREATE INDEX fire_claims_unfinished ON fire_claims (playbook, fire_ms) WHERE finished_ms IS NULL;
