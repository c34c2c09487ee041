-- +goose Up
CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            TIMESTAMPTZ NOT NULL,
    actor_user_id BIGINT,
    actor_name    TEXT NOT NULL DEFAULT '',
    org_id        BIGINT,
    action        TEXT NOT NULL,
    object_type   TEXT NOT NULL DEFAULT '',
    object_id     TEXT NOT NULL DEFAULT '',
    person_id     BIGINT,
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

CREATE TABLE audit_head (
    id           INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq     BIGINT NOT NULL,
    last_hash    TEXT NOT NULL,
    prune_before TIMESTAMPTZ NOT NULL
);
INSERT INTO audit_head(id, last_seq, last_hash, prune_before) VALUES (1, 0, '', '0001-01-01 00:00:00+00');

-- +goose StatementBegin
CREATE FUNCTION audit_log_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'audit_log is append-only';
    END IF;
    IF OLD.at >= (SELECT prune_before FROM audit_head WHERE id = 1) THEN
        RAISE EXCEPTION 'audit_log rows inside the retention period cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

-- +goose StatementBegin
CREATE FUNCTION audit_head_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_head cannot be deleted';
    END IF;
    IF NEW.prune_before > now() - interval '184 days' OR NEW.prune_before < OLD.prune_before THEN
        RAISE EXCEPTION 'audit retention floor is 184 days';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
-- +goose StatementEnd
CREATE TRIGGER audit_head_guard BEFORE UPDATE OF prune_before OR DELETE ON audit_head
FOR EACH ROW EXECUTE FUNCTION audit_head_guard();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard();
