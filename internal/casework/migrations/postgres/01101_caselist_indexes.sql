-- +goose Up
-- Case lists filtered by due status read case ids straight from the index
-- (no row lookups): case_id joins the scoped due index, and due_at the
-- per-case index that EXISTS probes use. Same leading columns as before,
-- so every existing query keeps its index.
DROP INDEX case_deadlines_org_due;
CREATE INDEX case_deadlines_org_due ON case_deadlines(org_id, state, due_at, case_id);
DROP INDEX case_deadlines_case;
CREATE INDEX case_deadlines_case ON case_deadlines(case_id, state, due_at);
