-- +goose Up
-- Append-only, hash-chained audit log. Values of personal data never appear
-- here: only ids.
CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            TIMESTAMP NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL DEFAULT '',
    org_id        INTEGER,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL DEFAULT '',
    object_id     TEXT NOT NULL DEFAULT '',
    person_id     INTEGER,
    ip            TEXT NOT NULL DEFAULT '',
    user_agent    TEXT NOT NULL DEFAULT '',
    request_id    TEXT NOT NULL DEFAULT '',
    result        TEXT NOT NULL DEFAULT 'ok',
    detail        TEXT NOT NULL DEFAULT '',
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_actor ON audit_log(actor_user_id, at);
CREATE INDEX audit_log_object ON audit_log(object_type, object_id);
CREATE INDEX audit_log_person ON audit_log(person_id) WHERE person_id IS NOT NULL;

-- The chain head: the last sequence number and hash, and the retention
-- boundary before which rows may be pruned.
CREATE TABLE audit_head (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq     INTEGER NOT NULL,
    last_hash    TEXT NOT NULL,
    prune_before TIMESTAMP NOT NULL
);
INSERT INTO audit_head(id, last_seq, last_hash, prune_before) VALUES (1, 0, '', '0001-01-01 00:00:00.000000');

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.at >= (SELECT prune_before FROM audit_head WHERE id = 1)
BEGIN SELECT RAISE(ABORT, 'audit_log rows inside the retention period cannot be deleted'); END;

-- The prune boundary may only move to at least 184 days ago (six months,
-- Cybersecurity Law art. 23) and never backwards.
CREATE TRIGGER audit_head_prune_floor BEFORE UPDATE OF prune_before ON audit_head
WHEN NEW.prune_before > strftime('%Y-%m-%d %H:%M:%f000', 'now', '-184 days')
  OR NEW.prune_before < OLD.prune_before
BEGIN SELECT RAISE(ABORT, 'audit retention floor is 184 days'); END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head cannot be deleted'); END;
