-- +goose Up
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY,
    owner_type   TEXT NOT NULL,
    owner_id     INTEGER NOT NULL,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    storage      TEXT NOT NULL CHECK (storage IN ('db', 'dir')),
    blob         BLOB,
    path         TEXT,
    created_by   INTEGER,
    created_at   TIMESTAMP NOT NULL,
    deleted_at   TIMESTAMP,
    deleted_by   INTEGER
);
CREATE INDEX attachments_owner ON attachments (owner_type, owner_id);
CREATE INDEX attachments_org ON attachments (org_id);
CREATE INDEX attachments_sha ON attachments (sha256);
