package casework

import (
	"context"
	"database/sql"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/jobs"
	"fengqiao/internal/store"
)

// Reminder kinds.
const (
	RemindBefore   = "before"   // DaysBefore days before the due day
	RemindToday    = "today"    // on the due day
	RemindOverdue  = "overdue"  // the moment it is overdue
	RemindEscalate = "escalate" // overdue for EscalateAfterDays: to the supervising org
	// RemindSupervisionEscalated: a supervision's reply is overdue; to the
	// org above the supervising org (EscalateOverdueSupervisions).
	RemindSupervisionEscalated = "supervision_escalated"
)

// Reminder is one reminder to deliver. It carries ids, codes and the case
// number only — no titles or names — so a channel may pass it on as is.
type Reminder struct {
	Kind          string
	DaysBefore    int // for RemindBefore
	DeadlineID    int64
	DeadlineCode  string
	DeadlineName  string
	DueAt         time.Time
	CaseID        int64
	CaseType      string
	Line          string
	CaseNumber    string
	OrgID         int64 // owning org
	SupervisionID int64
	// Recipients: ToUserID (the handler) when set, else everyone with the
	// line's permission in ToOrgID.
	ToUserID int64
	ToOrgID  int64
}

// Key names the reminder uniquely (dedupe key for a delivery job).
func (r Reminder) Key() string {
	return "case-reminder:" + strconv.FormatInt(r.DeadlineID, 10) + ":" + r.kindKey() + ":" + r.DueAt.UTC().Format(time.RFC3339Nano)
}

func (r Reminder) kindKey() string {
	if r.Kind == RemindBefore {
		return RemindBefore + ":" + strconv.Itoa(r.DaysBefore)
	}
	return r.Kind
}

// ReminderFunc delivers a reminder inside the transaction that records it
// as sent; an error rolls both back and the next scan tries again.
type ReminderFunc func(ctx context.Context, tx *store.Tx, r Reminder) error

var (
	hookMu sync.RWMutex
	hooks  []ReminderFunc
)

// OnReminder registers a delivery hook (internal/notify). Register before
// the scheduler runs: reminders found with no hook are recorded as sent.
func OnReminder(f ReminderFunc) {
	hookMu.Lock()
	defer hookMu.Unlock()
	hooks = append(hooks, f)
}

func fire(ctx context.Context, tx *store.Tx, r Reminder) error {
	hookMu.RLock()
	hs := append([]ReminderFunc(nil), hooks...)
	hookMu.RUnlock()
	for _, h := range hs {
		if err := h(ctx, tx, r); err != nil {
			return err
		}
	}
	return nil
}

type stage struct {
	kind     string
	days     int
	at       time.Time
	escalate bool
}

// stagesOf lists the reminder moments of a deadline in time order. A
// "days before" stage whose day came before the deadline started is left
// out: a 2-day deadline gets no "3 days left" reminder.
func stagesOf(started, due time.Time, loc *time.Location, before []int, escalateAfter int, withEscalation bool) []stage {
	day := calendar.DateIn(due, loc)
	first := calendar.DateIn(started, loc)
	var out []stage
	for _, n := range before {
		if d := day.AddDays(-n); !d.Before(first) {
			out = append(out, stage{kind: RemindBefore, days: n, at: d.Start(loc)})
		}
	}
	out = append(out, stage{kind: RemindToday, at: day.Start(loc)})
	over := due.Add(time.Millisecond)
	out = append(out, stage{kind: RemindOverdue, at: over})
	if withEscalation {
		out = append(out, stage{kind: RemindEscalate, at: over.AddDate(0, 0, escalateAfter), escalate: true})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

func firstStage(started, due time.Time, loc *time.Location, before []int) time.Time {
	return stagesOf(started, due, loc, before, 0, false)[0].at
}

// ScanDeadlines fires the reminders that are due at now, each exactly once
// per deadline, kind and due moment (a resumed deadline with a new due
// moment is reminded again). Only the latest handler stage that has come is
// fired: a deadline found two days late gets "overdue", not three stale
// reminders. Safe to run on several nodes at once. Returns how many
// reminders were fired.
func ScanDeadlines(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	fired := 0
	var lastID int64
	for {
		ids, err := remindCandidates(ctx, db, now, lastID)
		if err != nil {
			return fired, err
		}
		for _, id := range ids {
			n, err := remindOne(ctx, db, id, now)
			if err != nil {
				return fired, err
			}
			fired += n
		}
		if len(ids) < scanBatch {
			return fired, nil
		}
		lastID = ids[len(ids)-1]
	}
}

const scanBatch = 500

func remindCandidates(ctx context.Context, db *store.DB, now time.Time, after int64) ([]int64, error) {
	rows, err := db.Read().Query(ctx, `SELECT id FROM case_deadlines WHERE next_remind_at IS NOT NULL AND next_remind_at <= ? AND id > ?
		ORDER BY id LIMIT ?`, now, after, scanBatch)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// remindOne handles one deadline in its own transaction so a failing
// delivery hook holds back only that deadline.
func remindOne(ctx context.Context, db *store.DB, id int64, now time.Time) (int, error) {
	fired := 0
	err := db.Tx(ctx, func(tx *store.Tx) error {
		fired = 0
		var r Reminder
		var state string
		var handler, parent int64
		var tz string
		var next sql.NullTime
		var started time.Time
		var days sql.NullString
		err := tx.QueryRow(ctx, `SELECT d.id, d.code, d.name, d.started_at, d.due_at, d.state, d.timezone, d.next_remind_at, COALESCE(d.supervision_id, 0),
			d.remind_days, c.id, c.type, c.number, c.org_id, COALESCE(c.handler_user_id, 0), COALESCE(o.parent_id, 0)
			FROM case_deadlines d JOIN cases c ON c.id = d.case_id JOIN orgs o ON o.id = c.org_id WHERE d.id = ?`, id).
			Scan(&r.DeadlineID, &r.DeadlineCode, &r.DeadlineName, &started, &r.DueAt, &state, &tz, &next, &r.SupervisionID,
				&days, &r.CaseID, &r.CaseType, &r.CaseNumber, &r.OrgID, &handler, &parent)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if !next.Valid || next.Time.After(now) {
			return nil // another node got here first
		}
		if state != DeadlineRunning {
			_, err := tx.Exec(ctx, `UPDATE case_deadlines SET next_remind_at = NULL WHERE id = ?`, id)
			return err
		}
		loc, err := location(tz)
		if err != nil {
			return err
		}
		var static []int
		escalateAfter, withEsc := 0, r.SupervisionID == 0 // supervisions escalate through EscalateOverdueSupervisions
		if t, ok := Lookup(r.CaseType); ok {
			r.Line = t.Line
			for _, sp := range t.Deadlines {
				if sp.Code == r.DeadlineCode {
					static, escalateAfter = sp.RemindBefore, sp.EscalateAfterDays
				}
			}
		}
		// The days the deadline started with, not today's setting.
		stages := stagesOf(started, r.DueAt, loc, parseDays(days, static), escalateAfter, withEsc)
		var latest *stage
		var nextAt any
		escalate := false
		for i := range stages {
			st := &stages[i]
			if st.at.After(now) {
				if nextAt == nil {
					nextAt = st.at
				}
				continue
			}
			if st.escalate {
				escalate = true
				continue
			}
			latest = st
		}
		var out []Reminder // the handler first, then the org above
		if latest != nil {
			h := r
			h.Kind, h.DaysBefore = latest.kind, latest.days
			h.ToUserID = handler
			if handler == 0 {
				h.ToOrgID = r.OrgID
			}
			out = append(out, h)
		}
		if escalate {
			esc := r
			esc.Kind, esc.ToOrgID = RemindEscalate, parent
			if parent == 0 {
				esc.ToOrgID = r.OrgID
			}
			out = append(out, esc)
		}
		for _, x := range out {
			ok, err := send(ctx, tx, x, now)
			if err != nil {
				return err
			}
			if ok {
				fired++
			}
		}
		_, err = tx.Exec(ctx, `UPDATE case_deadlines SET next_remind_at = ? WHERE id = ?`, nextAt, id)
		return err
	})
	return fired, err
}

// send records r as sent and delivers it, unless it was sent before.
func send(ctx context.Context, tx *store.Tx, r Reminder, now time.Time) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, `INSERT INTO case_reminders_sent (deadline_id, kind, due_at, sent_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING RETURNING 1`, r.DeadlineID, r.kindKey(), r.DueAt, now).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return true, fire(ctx, tx, r)
}

// Label is the Chinese wording of a reminder (for channels that want it).
func (r Reminder) Label() string {
	switch r.Kind {
	case RemindBefore:
		return r.DeadlineName + "还有" + strconv.Itoa(r.DaysBefore) + "天到期"
	case RemindToday:
		return r.DeadlineName + "今日到期"
	case RemindOverdue:
		return r.DeadlineName + "已逾期"
	case RemindEscalate:
		return "下级单位案件" + r.DeadlineName + "已逾期"
	case RemindSupervisionEscalated:
		return "督办事项逾期未回复"
	}
	return strings.TrimSpace(r.DeadlineName)
}

// Schedule registers the periodic deadline scan and supervision
// escalation on a job runner (every interval, once per tick across nodes).
func Schedule(r *jobs.Runner, db *store.DB, interval time.Duration) {
	r.Every("casework.scan_deadlines", interval, func(ctx context.Context, tick time.Time) error {
		_, err := ScanDeadlines(ctx, db, time.Now())
		return err
	})
	r.Every("casework.escalate_supervisions", interval, func(ctx context.Context, tick time.Time) error {
		_, err := EscalateOverdueSupervisions(ctx, db, time.Now())
		return err
	})
}
