-- +goose Up
CREATE TABLE orgs (
    id            INTEGER PRIMARY KEY,
    parent_id     INTEGER REFERENCES orgs(id),
    kind          TEXT NOT NULL,
    name          TEXT NOT NULL,
    short_name    TEXT NOT NULL DEFAULT '',
    division_code TEXT NOT NULL DEFAULT '',
    path          TEXT NOT NULL UNIQUE,
    depth         INTEGER NOT NULL,
    sort          INTEGER NOT NULL DEFAULT 0,
    timezone      TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    address       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    lead_org_id   INTEGER REFERENCES orgs(id),
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX orgs_parent ON orgs(parent_id, sort, id);
CREATE INDEX orgs_division ON orgs(division_code);
CREATE INDEX orgs_kind ON orgs(kind, path);

-- Offices that a cluster (片区 / 大所带小所) groups; the cluster's lead office
-- (orgs.lead_org_id) may see their work.
CREATE TABLE org_cluster_members (
    cluster_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    member_id  INTEGER NOT NULL REFERENCES orgs(id),
    PRIMARY KEY (cluster_id, member_id)
);
CREATE INDEX org_cluster_members_member ON org_cluster_members(member_id);
