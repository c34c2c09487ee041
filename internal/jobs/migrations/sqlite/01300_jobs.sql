-- +goose Up
-- Durable background jobs. A row is claimed by setting lease_owner and
-- lease_until; attempts doubles as the fencing token of a claim.
CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL DEFAULT 'null',
    run_at       TIMESTAMP NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_owner  TEXT,
    lease_until  TIMESTAMP,
    last_error   TEXT NOT NULL DEFAULT '',
    done_at      TIMESTAMP,
    dead_at      TIMESTAMP,
    dedupe_key   TEXT,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
-- Unique only when set: many jobs carry no key.
CREATE UNIQUE INDEX jobs_dedupe ON jobs(dedupe_key) WHERE dedupe_key IS NOT NULL;
-- The claim query scans only open jobs.
CREATE INDEX jobs_open ON jobs(run_at, id) WHERE done_at IS NULL AND dead_at IS NULL;
CREATE INDEX jobs_dead ON jobs(dead_at) WHERE dead_at IS NOT NULL;

-- Periodic schedules: one row per name; a node runs a tick by moving
-- next_run_at forward, which only one node can do.
CREATE TABLE job_schedules (
    name        TEXT PRIMARY KEY,
    interval_ms INTEGER NOT NULL,
    next_run_at TIMESTAMP NOT NULL,
    last_run_at TIMESTAMP,
    last_owner  TEXT NOT NULL DEFAULT '',
    last_error  TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMP NOT NULL
);
