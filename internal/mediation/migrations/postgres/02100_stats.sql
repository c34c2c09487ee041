-- +goose Up
-- Daily figures per org, dispute type and source, recomputed from
-- med_cases by RefreshStats (stats.go); never typed by hand.
CREATE TABLE med_stats_daily (
    org_id       BIGINT NOT NULL REFERENCES orgs(id),
    day          TEXT NOT NULL,
    dispute_type TEXT NOT NULL,
    source       TEXT NOT NULL,
    accepted     INTEGER NOT NULL DEFAULT 0,
    succeeded    INTEGER NOT NULL DEFAULT 0,
    failed       INTEGER NOT NULL DEFAULT 0,
    amount_fen   BIGINT NOT NULL DEFAULT 0,
    crime_cases  INTEGER NOT NULL DEFAULT 0,
    crime_people INTEGER NOT NULL DEFAULT 0,
    group_cases  INTEGER NOT NULL DEFAULT 0,
    group_people INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, org_id, dispute_type, source)
);
-- Recomputing a day range finds its cases by these dates.
CREATE INDEX med_cases_accepted_on ON med_cases(accepted_on);
CREATE INDEX med_cases_agreed_on ON med_cases(agreed_on);
CREATE INDEX med_stats_cases_closed ON cases(closed_at);
CREATE INDEX med_stats_cases_updated ON cases(updated_at);
