package casework

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Supervision states.
const (
	SupervisionOpen    = "open"
	SupervisionReplied = "replied"
)

// Supervision is an instruction from a higher org on a case (督办).
type Supervision struct {
	ID          int64
	CaseID      int64
	ByOrgID     int64
	ByUserID    int64
	Instruction string
	DueAt       time.Time
	State       string
	Reply       string
	RepliedBy   int64
	RepliedAt   time.Time
	EscalatedAt time.Time
	EscalatedTo int64
	CreatedAt   time.Time
}

// Overdue reports an open supervision past its due moment.
func (v Supervision) Overdue(now time.Time) bool {
	return v.State == SupervisionOpen && now.After(v.DueAt)
}

// Supervise records an instruction on case id from the actor's org, which
// must lie strictly above the owning org; the owner must reply by due. The
// actor needs "<line>.approve". The reply due date shows among the case's
// deadlines and in DueList.
func (s *Store) Supervise(ctx context.Context, tx *store.Tx, sc org.Scope, id int64, instruction string, due time.Time) (*Supervision, error) {
	c, err := load(ctx, tx, sc, id)
	if err != nil {
		return nil, err
	}
	t, ok := Lookup(c.Type)
	if !ok {
		return nil, errors.New("casework: case type " + c.Type + " is not registered")
	}
	p, err := need(ctx, t.permApprove())
	if err != nil {
		return nil, err
	}
	var byPath string
	if err := tx.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, p.OrgID).Scan(&byPath); err != nil {
		return nil, forbidden("督办单位不存在")
	}
	if byPath == c.OrgPath || !strings.HasPrefix(c.OrgPath, byPath) || !sc.Contains(c.OrgPath) {
		return nil, forbidden("只有承办单位的上级单位可以督办")
	}
	if !c.ClosedAt.IsZero() {
		return nil, fieldErr("case", "已结案的案件不能督办")
	}
	if trimmed(instruction) == "" || utf8.RuneCountInString(instruction) > 2000 {
		return nil, fieldErr("instruction", "请填写督办意见（不超过2000字）")
	}
	now := s.now()
	if !due.After(now) {
		return nil, fieldErr("due_at", "回复期限须晚于当前时间")
	}
	var tz string
	if err := tx.QueryRow(ctx, `SELECT timezone FROM orgs WHERE id = ?`, c.OrgID).Scan(&tz); err != nil {
		return nil, err
	}
	loc, err := location(tz)
	if err != nil {
		return nil, err
	}
	due = due.UTC().Truncate(time.Millisecond)
	sid, err := store.InsertID(ctx, tx, `INSERT INTO case_supervisions (case_id, by_org_id, by_user_id, instruction, due_at, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.ID, p.OrgID, nullID(p.UserID), instruction, due, SupervisionOpen, now)
	if err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO case_deadlines (case_id, org_id, code, name, state, started_at, due_at, timezone, supervision_id, remind_days,
		next_remind_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', ?)`, c.ID, c.OrgID, supervisionCode, "督办回复", DeadlineRunning, now, due, loc.String(), sid,
		firstStage(now, due, loc, nil)); err != nil {
		return nil, err
	}
	if err := addEvent(ctx, tx, c.ID, now, "supervise", "", "", "", map[string]string{"by_org_id": itoa(p.OrgID)}, instruction); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "case.supervise", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID,
		Detail: "supervision_id=" + itoa(sid)}); err != nil {
		return nil, err
	}
	return &Supervision{ID: sid, CaseID: c.ID, ByOrgID: p.OrgID, ByUserID: p.UserID, Instruction: instruction, DueAt: due,
		State: SupervisionOpen, CreatedAt: now}, nil
}

// ReplySupervision answers an open supervision of a case owned in sc; the
// actor needs "<line>.edit".
func (s *Store) ReplySupervision(ctx context.Context, tx *store.Tx, sc org.Scope, supervisionID int64, reply string) error {
	var caseID int64
	var state string
	err := tx.QueryRow(ctx, `SELECT case_id, state FROM case_supervisions WHERE id = ?`, supervisionID).Scan(&caseID, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	c, t, err := loadOwned(ctx, tx, sc, caseID)
	if err != nil {
		return err
	}
	p, err := need(ctx, t.permEdit())
	if err != nil {
		return err
	}
	if state != SupervisionOpen {
		return fieldErr("reply", "该督办已回复")
	}
	if trimmed(reply) == "" || utf8.RuneCountInString(reply) > 2000 {
		return fieldErr("reply", "请填写回复（不超过2000字）")
	}
	now := s.now()
	if _, err := tx.Exec(ctx, `UPDATE case_supervisions SET state = ?, reply = ?, replied_by = ?, replied_at = ? WHERE id = ?`,
		SupervisionReplied, reply, nullID(p.UserID), now, supervisionID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE case_deadlines SET state = ?, met_at = ?, next_remind_at = NULL WHERE supervision_id = ? AND state = ?`,
		DeadlineMet, now, supervisionID, DeadlineRunning); err != nil {
		return err
	}
	if err := addEvent(ctx, tx, c.ID, now, "supervision_reply", "", "", "", map[string]string{"supervision_id": itoa(supervisionID)}, reply); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "case.supervision_reply", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID,
		Detail: "supervision_id=" + itoa(supervisionID)})
}

// Supervisions lists the supervisions of a case visible in sc.
func (s *Store) Supervisions(ctx context.Context, sc org.Scope, id int64) ([]Supervision, error) {
	if _, err := load(ctx, s.DB.Read(), sc, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT id, case_id, by_org_id, COALESCE(by_user_id, 0), instruction, due_at, state, reply,
		COALESCE(replied_by, 0), replied_at, escalated_at, COALESCE(escalated_to, 0), created_at
		FROM case_supervisions WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Supervision
	for rows.Next() {
		var v Supervision
		var rep, esc sql.NullTime
		if err := rows.Scan(&v.ID, &v.CaseID, &v.ByOrgID, &v.ByUserID, &v.Instruction, &v.DueAt, &v.State, &v.Reply,
			&v.RepliedBy, &rep, &esc, &v.EscalatedTo, &v.CreatedAt); err != nil {
			return nil, err
		}
		v.RepliedAt, v.EscalatedAt = rep.Time, esc.Time
		out = append(out, v)
	}
	return out, rows.Err()
}

// EscalateOverdueSupervisions marks open supervisions past due as
// escalated and fires a RemindSupervisionEscalated reminder to the org
// above the supervising org (the supervising org itself at the top). Each
// supervision escalates once, also with several nodes running it. One call
// handles at most 1000; the next tick takes the rest.
func EscalateOverdueSupervisions(ctx context.Context, db *store.DB, now time.Time) (int, error) {
	rows, err := db.Read().Query(ctx, `SELECT id FROM case_supervisions WHERE state = ? AND escalated_at IS NULL AND due_at < ? ORDER BY id LIMIT 1000`,
		SupervisionOpen, now)
	if err != nil {
		return 0, err
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var r Reminder
			var byOrg, parent int64
			var dID sql.NullInt64
			err := tx.QueryRow(ctx, `SELECT v.id, v.case_id, v.by_org_id, COALESCE(bo.parent_id, 0), v.due_at, c.type, c.number, c.org_id,
				(SELECT d.id FROM case_deadlines d WHERE d.supervision_id = v.id)
				FROM case_supervisions v JOIN cases c ON c.id = v.case_id JOIN orgs bo ON bo.id = v.by_org_id
				WHERE v.id = ? AND v.state = ? AND v.escalated_at IS NULL`, id, SupervisionOpen).
				Scan(&r.SupervisionID, &r.CaseID, &byOrg, &parent, &r.DueAt, &r.CaseType, &r.CaseNumber, &r.OrgID, &dID)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			res, err := tx.Exec(ctx, `UPDATE case_supervisions SET escalated_at = ?, escalated_to = ? WHERE id = ? AND escalated_at IS NULL`,
				now, nullID(parent), id)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k != 1 {
				return nil // another node escalated it
			}
			r.Kind, r.DeadlineID, r.DeadlineCode, r.DeadlineName = RemindSupervisionEscalated, dID.Int64, supervisionCode, "督办回复"
			r.ToOrgID = parent
			if parent == 0 {
				r.ToOrgID = byOrg
			}
			if t, ok := Lookup(r.CaseType); ok {
				r.Line = t.Line
			}
			if err := addEvent(ctx, tx, r.CaseID, now, "supervision_escalate", "", "", "",
				map[string]string{"supervision_id": itoa(id), "to_org_id": itoa(r.ToOrgID)}, ""); err != nil {
				return err
			}
			if err := fire(ctx, tx, r); err != nil {
				return err
			}
			n++
			return nil
		})
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
