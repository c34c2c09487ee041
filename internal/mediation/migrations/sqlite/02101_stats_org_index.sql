-- +goose Up
-- A scope's report reads each org's days: seek by org, then by day.
CREATE INDEX med_stats_daily_org ON med_stats_daily(org_id, day);
