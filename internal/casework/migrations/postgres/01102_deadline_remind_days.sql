-- +goose Up
-- The reminder days in force when a deadline started ("7,1"; '' for none),
-- like its rule: a later change of a line's setting leaves running deadlines
-- alone. NULL on rows started before this column: the type's RemindBefore.
ALTER TABLE case_deadlines ADD COLUMN remind_days TEXT;
