package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/store"
)

// Deadline states.
const (
	DeadlineRunning   = "running"
	DeadlinePaused    = "paused"
	DeadlineMet       = "met"
	DeadlineCancelled = "cancelled" // the case closed without meeting it
)

// supervisionCode is the deadline code of a supervision's reply due date.
const supervisionCode = "supervision"

// Deadline is one deadline of a case.
type Deadline struct {
	ID            int64
	CaseID        int64
	Code          string
	Name          string
	State         string
	StartedAt     time.Time
	DueAt         time.Time // while paused: the due moment before the pause
	MetAt         time.Time
	Rule          calendar.Rule // zero for a supervision's reply date
	Timezone      string
	SupervisionID int64
	// Status is judged at read time for running deadlines ("" otherwise).
	Status calendar.Status
}

const deadlineCols = `d.id, d.case_id, d.code, d.name, d.state, d.started_at, d.due_at, d.met_at, d.rule_days, d.rule_unit,
	d.rule_source, d.timezone, COALESCE(d.supervision_id, 0)`

func scanDeadline(sc interface{ Scan(...any) error }, extra ...any) (Deadline, error) {
	var d Deadline
	var met sql.NullTime
	var unit string
	err := sc.Scan(append([]any{&d.ID, &d.CaseID, &d.Code, &d.Name, &d.State, &d.StartedAt, &d.DueAt, &met, &d.Rule.Days, &unit,
		&d.Rule.Source, &d.Timezone, &d.SupervisionID}, extra...)...)
	d.Rule.Unit = calendar.Unit(unit)
	if met.Valid {
		d.MetAt = met.Time
	}
	return d, err
}

func (s *Store) judge(d *Deadline, now time.Time) {
	if d.State != DeadlineRunning {
		return
	}
	loc, err := location(d.Timezone)
	if err != nil {
		loc = nil
	}
	d.Status = calendar.Watch{SoonDays: s.soonDays(), Loc: loc}.State(d.DueAt, now)
}

func (s *Store) deadlinesOf(ctx context.Context, q store.Querier, caseID int64) ([]Deadline, error) {
	rows, err := q.Query(ctx, `SELECT `+deadlineCols+` FROM case_deadlines d WHERE d.case_id = ? AND d.state <> ? ORDER BY d.id`,
		caseID, DeadlineCancelled)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	now := s.now()
	var out []Deadline
	for rows.Next() {
		d, err := scanDeadline(rows)
		if err != nil {
			return nil, err
		}
		s.judge(&d, now)
		out = append(out, d)
	}
	return out, rows.Err()
}

// applyDeadlines stops, pauses, resumes and starts the case's deadlines for
// a transition (code "" at creation) that entered state.
func (s *Store) applyDeadlines(ctx context.Context, tx *store.Tx, c *Case, t *Type, code, state string, now time.Time) error {
	st, _ := t.State(state)
	for _, spec := range t.Deadlines {
		if matches(spec.StopOn, code, state) {
			if err := finishDeadlines(ctx, tx, c.ID, spec.Code, DeadlineMet, now); err != nil {
				return err
			}
		}
		if matches(spec.PauseOn, code, state) {
			if err := pauseDeadline(ctx, tx, c.ID, spec.Code, now); err != nil {
				return err
			}
		}
		if matches(spec.ResumeOn, code, state) {
			if err := s.resumeDeadline(ctx, tx, c.ID, spec, now); err != nil {
				return err
			}
		}
		if matches(spec.StartOn, code, state) && !st.Final {
			if err := s.startDeadline(ctx, tx, c, spec, now); err != nil {
				return err
			}
		}
	}
	if st.Final {
		// Nothing is due on a closed case; the code "" means every deadline.
		return finishDeadlines(ctx, tx, c.ID, "", DeadlineCancelled, now)
	}
	return nil
}

func finishDeadlines(ctx context.Context, tx *store.Tx, caseID int64, code, state string, now time.Time) error {
	q := `UPDATE case_deadlines SET state = ?, met_at = ?, next_remind_at = NULL WHERE case_id = ? AND state IN (?, ?)`
	args := []any{state, now, caseID, DeadlineRunning, DeadlinePaused}
	if code != "" {
		q += ` AND code = ?`
		args = append(args, code)
	}
	if state == DeadlineCancelled {
		q = `UPDATE case_deadlines SET state = ?, next_remind_at = NULL WHERE case_id = ? AND state IN (?, ?)`
		args = []any{state, caseID, DeadlineRunning, DeadlinePaused}
	}
	if _, err := tx.Exec(ctx, q, args...); err != nil {
		return err
	}
	// Close open pauses of what just ended.
	_, err := tx.Exec(ctx, `UPDATE case_deadline_pauses SET to_at = ? WHERE to_at IS NULL AND deadline_id IN
		(SELECT id FROM case_deadlines WHERE case_id = ? AND state = ?)`, now, caseID, state)
	return err
}

func pauseDeadline(ctx context.Context, tx *store.Tx, caseID int64, code string, now time.Time) error {
	var id int64
	err := tx.QueryRow(ctx, `UPDATE case_deadlines SET state = ?, next_remind_at = NULL WHERE case_id = ? AND code = ? AND state = ? RETURNING id`,
		DeadlinePaused, caseID, code, DeadlineRunning).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not running: nothing to pause
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_deadline_pauses (deadline_id, from_at) VALUES (?, ?)`, id, now)
	return err
}

func (s *Store) resumeDeadline(ctx context.Context, tx *store.Tx, caseID int64, spec DeadlineSpec, now time.Time) error {
	d, err := scanDeadline(tx.QueryRow(ctx, `SELECT `+deadlineCols+` FROM case_deadlines d WHERE d.case_id = ? AND d.code = ? AND d.state = ?`,
		caseID, spec.Code, DeadlinePaused))
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE case_deadline_pauses SET to_at = ? WHERE deadline_id = ? AND to_at IS NULL`, now, d.ID); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT from_at, to_at FROM case_deadline_pauses WHERE deadline_id = ? ORDER BY from_at`, d.ID)
	if err != nil {
		return err
	}
	var pauses []calendar.Pause
	for rows.Next() {
		var p calendar.Pause
		var to sql.NullTime
		if err := rows.Scan(&p.From, &to); err != nil {
			rows.Close()
			return err
		}
		p.To = to.Time
		pauses = append(pauses, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	loc, err := location(d.Timezone)
	if err != nil {
		return err
	}
	due, err := s.cal().Compute(d.StartedAt, d.Rule, loc, pauses)
	if err != nil {
		return fmt.Errorf("deadline %s: %w", d.Code, err)
	}
	days, err := keptRemindDays(ctx, tx, d.ID, spec.RemindBefore)
	if err != nil {
		return err
	}
	next := firstStage(d.StartedAt, due, loc, days)
	_, err = tx.Exec(ctx, `UPDATE case_deadlines SET state = ?, due_at = ?, next_remind_at = ? WHERE id = ?`,
		DeadlineRunning, due, next, d.ID)
	return err
}

func (s *Store) startDeadline(ctx context.Context, tx *store.Tx, c *Case, spec DeadlineSpec, now time.Time) error {
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM case_deadlines WHERE case_id = ? AND code = ? AND state IN (?, ?)`,
		c.ID, spec.Code, DeadlineRunning, DeadlinePaused).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil // already counting: entering the state again does not restart it
	}
	rule, err := spec.Rule(ctx)
	if err != nil {
		return fmt.Errorf("deadline %s: %w", spec.Code, err)
	}
	days, err := spec.remindDays(ctx)
	if err != nil {
		return fmt.Errorf("deadline %s: %w", spec.Code, err)
	}
	var tz string
	if err := tx.QueryRow(ctx, `SELECT timezone FROM orgs WHERE id = ?`, c.OrgID).Scan(&tz); err != nil {
		return err
	}
	loc, err := location(tz)
	if err != nil {
		return err
	}
	due, err := s.cal().Compute(now, rule, loc, nil)
	if err != nil {
		return fmt.Errorf("deadline %s: %w", spec.Code, err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO case_deadlines (case_id, org_id, code, name, state, started_at, due_at, rule_days, rule_unit, rule_source,
		timezone, remind_days, next_remind_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.OrgID, spec.Code, spec.Name, DeadlineRunning,
		now, due, rule.Days, string(rule.Unit), rule.Source, loc.String(), formatDays(days), firstStage(now, due, loc, days))
	return err
}

// remindDays are the reminder days in force for a deadline starting now.
func (d DeadlineSpec) remindDays(ctx context.Context) ([]int, error) {
	if d.Remind == nil {
		return normDays(d.RemindBefore)
	}
	days, err := d.Remind(ctx)
	if err != nil {
		return nil, err
	}
	days, err = normDays(days)
	if err != nil {
		return nil, fmt.Errorf("reminder days: %w", err)
	}
	return days, nil
}

// normDays checks reminder days and sorts them, furthest first, without
// repeats.
func normDays(days []int) ([]int, error) {
	out := make([]int, 0, len(days))
	for _, n := range days {
		if n < 1 || n > 366 {
			return nil, fmt.Errorf("%d out of 1..366", n)
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	slices.SortFunc(out, func(a, b int) int { return b - a })
	return out, nil
}

// formatDays is the remind_days column's form: "7,1", "" for none.
func formatDays(days []int) string {
	parts := make([]string, len(days))
	for i, n := range days {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// parseDays reads remind_days; NULL (a deadline started before the
// column existed) falls back to the type's static days.
func parseDays(v sql.NullString, fallback []int) []int {
	if !v.Valid {
		return fallback
	}
	var out []int
	for _, p := range strings.Split(v.String, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// keptRemindDays reads the reminder days a deadline started with.
func keptRemindDays(ctx context.Context, q store.Querier, id int64, fallback []int) ([]int, error) {
	var v sql.NullString
	if err := q.QueryRow(ctx, `SELECT remind_days FROM case_deadlines WHERE id = ?`, id).Scan(&v); err != nil {
		return nil, err
	}
	return parseDays(v, fallback), nil
}
