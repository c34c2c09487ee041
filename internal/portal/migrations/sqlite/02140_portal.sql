-- +goose Up
-- Tracking codes of online applications: only hashes are kept. phone_hash
-- binds the applicant's last four phone digits to the code, so the digits
-- cannot be guessed without the code.
CREATE TABLE portal_tracking (
    code_hash  TEXT PRIMARY KEY,
    case_id    INTEGER NOT NULL UNIQUE REFERENCES cases(id) ON DELETE CASCADE,
    phone_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Per-IP fixed-window counters of the public forms (ip is a hash).
CREATE TABLE portal_throttle (
    ip           TEXT NOT NULL,
    kind         TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (ip, kind)
);
