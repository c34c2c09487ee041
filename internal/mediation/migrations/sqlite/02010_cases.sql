-- +goose Up
-- A mediation case's own columns; state, number, handler and timeline live in casework's cases.
-- Money is integer fen (amount_at_stake, agreed_amount): exact, and the same on both engines.
CREATE TABLE med_cases (
    case_id            INTEGER PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
    source             TEXT NOT NULL,
    source_ref         TEXT NOT NULL DEFAULT '',
    referring_org      TEXT NOT NULL DEFAULT '',
    dispute_type       TEXT NOT NULL,
    amount_at_stake    INTEGER NOT NULL DEFAULT 0 CHECK (amount_at_stake >= 0),
    people_count       INTEGER NOT NULL DEFAULT 0 CHECK (people_count >= 0),
    risk_crime         BOOLEAN NOT NULL DEFAULT FALSE,
    risk_group         BOOLEAN NOT NULL DEFAULT FALSE,
    repeated           BOOLEAN NOT NULL DEFAULT FALSE,
    summary            TEXT NOT NULL,
    accepted_on        TEXT NOT NULL DEFAULT '',
    decline_reason     TEXT NOT NULL DEFAULT '',
    agreement_form     TEXT NOT NULL DEFAULT '',
    agreement_text     TEXT NOT NULL DEFAULT '', -- JSON object of the 第二十九条 items
    terms              TEXT NOT NULL DEFAULT '',
    agreed_amount      INTEGER NOT NULL DEFAULT 0 CHECK (agreed_amount >= 0),
    agreed_on          TEXT NOT NULL DEFAULT '', -- the agreement's effective date
    perform_by         TEXT NOT NULL DEFAULT '',
    referral           TEXT NOT NULL DEFAULT '',
    performed_on       TEXT NOT NULL DEFAULT '',
    performance_note   TEXT NOT NULL DEFAULT '',
    followup_on        TEXT NOT NULL DEFAULT '',
    followup_note      TEXT NOT NULL DEFAULT '',
    confirm_applied_on TEXT NOT NULL DEFAULT '',
    confirm_result     TEXT NOT NULL DEFAULT '',
    screening_finding_id INTEGER REFERENCES med_screening_findings(id)
);
CREATE INDEX med_cases_type ON med_cases(dispute_type);

CREATE TABLE med_parties (
    case_id   INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    person_id INTEGER NOT NULL REFERENCES persons(id),
    role      TEXT NOT NULL CHECK (role IN ('applicant', 'respondent', 'other')),
    UNIQUE (case_id, person_id)
);
CREATE INDEX med_parties_person ON med_parties(person_id);

CREATE TABLE med_case_mediators (
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    mediator_id INTEGER NOT NULL REFERENCES med_mediators(id),
    lead        BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (case_id, mediator_id)
);

CREATE TABLE med_sessions (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('investigation', 'session')),
    held_on     TEXT NOT NULL,
    place       TEXT NOT NULL DEFAULT '',
    mediator_id INTEGER REFERENCES med_mediators(id),
    attendees   TEXT NOT NULL DEFAULT '',
    record      TEXT NOT NULL,
    created_by  INTEGER,
    created_at  TIMESTAMP NOT NULL
);
CREATE INDEX med_sessions_case ON med_sessions(case_id, held_on);
