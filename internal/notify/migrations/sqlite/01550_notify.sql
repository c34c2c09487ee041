-- +goose Up
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER,
    org_id     INTEGER REFERENCES orgs(id),
    perm       TEXT NOT NULL DEFAULT '',
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    dedupe_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    read_at    TIMESTAMP,
    CHECK ((user_id IS NOT NULL OR org_id IS NOT NULL) AND (user_id IS NULL OR perm = ''))
);
CREATE INDEX notifications_user ON notifications (user_id, id);
CREATE INDEX notifications_org ON notifications (org_id, id) WHERE user_id IS NULL;

CREATE TABLE notification_reads (
    user_id         INTEGER NOT NULL,
    notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,
    read_at         TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, notification_id)
);

CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs(id),
    name       TEXT NOT NULL,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    events     TEXT NOT NULL DEFAULT '',
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_by INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id);

CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks(id),
    event         TEXT NOT NULL,
    payload       TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'pending',
    attempts      INTEGER NOT NULL DEFAULT 0,
    response_code INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    next_at       TIMESTAMP,
    created_at    TIMESTAMP NOT NULL,
    delivered_at  TIMESTAMP
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);
