-- +goose Up
-- People's mediation, part 1: per-county settings, committee details,
-- mediation rooms, mediators and their training, dispute screening.

-- Local policy values per county (key → JSON value); code holds defaults.
CREATE TABLE med_settings (
    county_org_id INTEGER NOT NULL REFERENCES orgs(id),
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    updated_by    INTEGER,
    PRIMARY KEY (county_org_id, key)
);

-- Details of an org node of kind mediation_committee.
CREATE TABLE med_committees (
    org_id         INTEGER PRIMARY KEY REFERENCES orgs(id),
    level          TEXT NOT NULL CHECK (level IN ('township', 'village', 'enterprise', 'trade')),
    trade_kind     TEXT NOT NULL DEFAULT '',
    established_on TEXT NOT NULL DEFAULT '',
    members        INTEGER NOT NULL DEFAULT 0 CHECK (members >= 0),
    updated_at     TIMESTAMP NOT NULL
);

CREATE TABLE med_rooms (
    id           INTEGER PRIMARY KEY,
    committee_id INTEGER NOT NULL REFERENCES orgs(id),
    name         TEXT NOT NULL,
    brand_name   TEXT NOT NULL DEFAULT '',
    address      TEXT NOT NULL DEFAULT '',
    phone        TEXT NOT NULL DEFAULT '',
    active       BOOLEAN NOT NULL DEFAULT TRUE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX med_rooms_committee ON med_rooms(committee_id);

-- Identity (name, ID number, phone) lives in persons; no unique
-- (org_id, person_id) so that a person merge can never fail here.
CREATE TABLE med_mediators (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs(id),
    person_id     INTEGER NOT NULL REFERENCES persons(id),
    full_time     BOOLEAN NOT NULL DEFAULT FALSE,
    title         TEXT NOT NULL DEFAULT '',
    registered    BOOLEAN NOT NULL DEFAULT FALSE,
    registry_no   TEXT NOT NULL DEFAULT '',
    registered_on TEXT NOT NULL DEFAULT '',
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX med_mediators_org ON med_mediators(org_id);
CREATE INDEX med_mediators_person ON med_mediators(person_id);
CREATE UNIQUE INDEX med_mediators_registry_no ON med_mediators(registry_no) WHERE registry_no <> '';

CREATE TABLE med_trainings (
    id          INTEGER PRIMARY KEY,
    mediator_id INTEGER NOT NULL REFERENCES med_mediators(id) ON DELETE CASCADE,
    held_on     TEXT NOT NULL,
    hours       REAL NOT NULL CHECK (hours > 0),
    topic       TEXT NOT NULL,
    organizer   TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX med_trainings_mediator ON med_trainings(mediator_id, held_on);

CREATE TABLE med_screenings (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES orgs(id),
    held_on      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('routine', 'special')),
    reason       TEXT NOT NULL DEFAULT '',
    participants TEXT NOT NULL DEFAULT '',
    found        INTEGER NOT NULL DEFAULT 0 CHECK (found >= 0),
    notes        TEXT NOT NULL DEFAULT '',
    created_by   INTEGER,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
CREATE INDEX med_screenings_org ON med_screenings(org_id, held_on);

-- case_id is set when part 2 turns a finding into a mediation case.
CREATE TABLE med_screening_findings (
    id            INTEGER PRIMARY KEY,
    screening_id  INTEGER NOT NULL REFERENCES med_screenings(id) ON DELETE CASCADE,
    summary       TEXT NOT NULL,
    dispute_type  TEXT NOT NULL,
    people        INTEGER NOT NULL DEFAULT 0 CHECK (people >= 0),
    risk_criminal BOOLEAN NOT NULL DEFAULT FALSE,
    risk_group    BOOLEAN NOT NULL DEFAULT FALSE,
    status        TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'case')),
    case_id       INTEGER,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
CREATE INDEX med_findings_screening ON med_screening_findings(screening_id);
