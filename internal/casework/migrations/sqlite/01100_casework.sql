-- +goose Up
-- Cases of every business line; a line keeps its own detail rows keyed by case id.
CREATE TABLE cases (
    id              INTEGER PRIMARY KEY,
    type            TEXT NOT NULL,
    org_id          INTEGER NOT NULL REFERENCES orgs(id),
    number          TEXT NOT NULL UNIQUE,
    year            INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    title           TEXT NOT NULL,
    state           TEXT NOT NULL,
    handler_user_id INTEGER REFERENCES users(id),
    transfer_org_id INTEGER REFERENCES orgs(id), -- receiver of a pending transfer
    created_by      INTEGER,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL,
    closed_at       TIMESTAMP,
    version         INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_org_state ON cases(org_id, state);
CREATE INDEX cases_type_org ON cases(type, org_id, created_at);
CREATE INDEX cases_handler ON cases(handler_user_id, state);
CREATE INDEX cases_transfer ON cases(transfer_org_id) WHERE transfer_org_id IS NOT NULL;

-- Gap-free numbering: one row per org, type and year, bumped in the creating transaction.
CREATE TABLE case_sequences (
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    type   TEXT NOT NULL,
    year   INTEGER NOT NULL,
    last_seq INTEGER NOT NULL,
    PRIMARY KEY (org_id, type, year)
);

CREATE TABLE case_events (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    at            TIMESTAMP NOT NULL,
    actor_user_id INTEGER,
    actor_name    TEXT NOT NULL DEFAULT '',
    actor_org_id  INTEGER,
    kind          TEXT NOT NULL,
    code          TEXT NOT NULL DEFAULT '',
    from_state    TEXT NOT NULL DEFAULT '',
    to_state      TEXT NOT NULL DEFAULT '',
    fields        TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_events_case ON case_events(case_id, id);

CREATE TABLE case_supervisions (
    id            INTEGER PRIMARY KEY,
    case_id       INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    by_org_id     INTEGER NOT NULL REFERENCES orgs(id),
    by_user_id    INTEGER,
    instruction   TEXT NOT NULL,
    due_at        TIMESTAMP NOT NULL,
    state         TEXT NOT NULL, -- open | replied
    reply         TEXT NOT NULL DEFAULT '',
    replied_by    INTEGER,
    replied_at    TIMESTAMP,
    escalated_at  TIMESTAMP,
    escalated_to  INTEGER REFERENCES orgs(id),
    created_at    TIMESTAMP NOT NULL
);
CREATE INDEX case_supervisions_case ON case_supervisions(case_id);
CREATE INDEX case_supervisions_due ON case_supervisions(state, due_at) WHERE escalated_at IS NULL;

-- A deadline instance: started by a transition, met, paused, or cancelled.
CREATE TABLE case_deadlines (
    id             INTEGER PRIMARY KEY,
    case_id        INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    org_id         INTEGER NOT NULL REFERENCES orgs(id), -- the case's owner, copied so scoped due lists use one index
    code           TEXT NOT NULL,
    name           TEXT NOT NULL,
    state          TEXT NOT NULL, -- running | paused | met | cancelled
    started_at     TIMESTAMP NOT NULL,
    due_at         TIMESTAMP NOT NULL,
    met_at         TIMESTAMP,
    rule_days      INTEGER NOT NULL DEFAULT 0,
    rule_unit      TEXT NOT NULL DEFAULT '',
    rule_source    TEXT NOT NULL DEFAULT '',
    timezone       TEXT NOT NULL DEFAULT 'Asia/Shanghai',
    supervision_id INTEGER REFERENCES case_supervisions(id),
    next_remind_at TIMESTAMP
);
CREATE INDEX case_deadlines_due ON case_deadlines(state, due_at);
CREATE INDEX case_deadlines_org_due ON case_deadlines(org_id, state, due_at);
CREATE INDEX case_deadlines_case ON case_deadlines(case_id, state);
CREATE INDEX case_deadlines_remind ON case_deadlines(next_remind_at) WHERE next_remind_at IS NOT NULL;

CREATE TABLE case_deadline_pauses (
    deadline_id INTEGER NOT NULL REFERENCES case_deadlines(id) ON DELETE CASCADE,
    from_at     TIMESTAMP NOT NULL,
    to_at       TIMESTAMP
);
CREATE INDEX case_deadline_pauses_deadline ON case_deadline_pauses(deadline_id);

-- One row per reminder fired: a deadline, a kind and the due moment it was about.
CREATE TABLE case_reminders_sent (
    deadline_id INTEGER NOT NULL REFERENCES case_deadlines(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    due_at      TIMESTAMP NOT NULL,
    sent_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (deadline_id, kind, due_at)
);

CREATE TABLE case_transfers (
    id           INTEGER PRIMARY KEY,
    case_id      INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    from_org_id  INTEGER NOT NULL REFERENCES orgs(id),
    to_org_id    INTEGER NOT NULL REFERENCES orgs(id),
    reason       TEXT NOT NULL,
    state        TEXT NOT NULL, -- pending | accepted | returned
    by_user_id   INTEGER,
    created_at   TIMESTAMP NOT NULL,
    decided_by   INTEGER,
    decided_at   TIMESTAMP,
    return_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX case_transfers_case ON case_transfers(case_id, id);
CREATE INDEX case_transfers_to ON case_transfers(to_org_id, state);

CREATE TABLE case_feedback (
    id          INTEGER PRIMARY KEY,
    case_id     INTEGER NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  INTEGER,
    created_at  TIMESTAMP NOT NULL,
    expires_at  TIMESTAMP NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    rating      INTEGER,
    comment     TEXT NOT NULL DEFAULT '',
    rated_at    TIMESTAMP
);
CREATE INDEX case_feedback_case ON case_feedback(case_id);
