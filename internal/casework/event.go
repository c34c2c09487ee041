package casework

import (
	"context"
	"encoding/json"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Event is one entry of a case's timeline.
type Event struct {
	ID          int64
	CaseID      int64
	At          time.Time
	ActorUserID int64 // 0: the system or a party without an account
	ActorName   string
	ActorOrgID  int64
	// Kind: create, transition, assign, reassign, transfer, transfer_accept,
	// transfer_return, supervise, supervision_reply, supervision_escalate,
	// feedback_link, feedback, or a line's own kind added with Note.
	Kind      string
	Code      string // transition code
	FromState string
	ToState   string
	Fields    map[string]string
	Note      string
	Name      string // the transition's name, filled by Timeline
}

// KindName is the Chinese label of common event kinds.
func (e Event) KindName() string {
	switch e.Kind {
	case "create":
		return "立案"
	case "transition":
		if e.Name != "" {
			return e.Name
		}
		return "办理"
	case "assign":
		return "指定承办人"
	case "reassign":
		return "变更承办人"
	case "transfer":
		return "分流转办"
	case "transfer_accept":
		return "接收转办"
	case "transfer_return":
		return "退回转办"
	case "supervise":
		return "督办"
	case "supervision_reply":
		return "督办回复"
	case "supervision_escalate":
		return "督办逾期上报"
	case "feedback_link":
		return "生成评价链接"
	case "feedback":
		return "当事人评价"
	}
	return e.Kind
}

func addEvent(ctx context.Context, tx *store.Tx, caseID int64, at time.Time, kind, code, from, to string, fields map[string]string, note string) error {
	var uid, oid int64
	var name string
	if p := auth.FromContext(ctx); p != nil {
		uid, oid, name = p.UserID, p.OrgID, p.DisplayName
		if name == "" {
			name = p.Username
		}
	} else if a := audit.ActorFrom(ctx); a.UserID != 0 {
		uid, oid, name = a.UserID, a.OrgID, a.Username
	}
	var fj string
	if len(fields) > 0 {
		b, err := json.Marshal(fields)
		if err != nil {
			return err
		}
		fj = string(b)
	}
	_, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, actor_user_id, actor_name, actor_org_id, kind, code, from_state, to_state, fields, note)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, caseID, at, nullID(uid), name, nullID(oid), kind, code, from, to, fj, note)
	return err
}

// Timeline lists the events of a case visible in sc, oldest first.
func (s *Store) Timeline(ctx context.Context, sc org.Scope, id int64) ([]Event, error) {
	c, err := load(ctx, s.DB.Read(), sc, id)
	if err != nil {
		return nil, err
	}
	t := c.TypeDef()
	rows, err := s.DB.Read().Query(ctx, `SELECT id, case_id, at, COALESCE(actor_user_id, 0), actor_name, COALESCE(actor_org_id, 0),
		kind, code, from_state, to_state, fields, note FROM case_events WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var fj string
		if err := rows.Scan(&e.ID, &e.CaseID, &e.At, &e.ActorUserID, &e.ActorName, &e.ActorOrgID, &e.Kind, &e.Code,
			&e.FromState, &e.ToState, &fj, &e.Note); err != nil {
			return nil, err
		}
		if fj != "" {
			if err := json.Unmarshal([]byte(fj), &e.Fields); err != nil {
				return nil, err
			}
		}
		if t != nil && e.Code != "" {
			if tr, ok := t.Transition(e.Code); ok {
				e.Name = tr.Name
			}
		}
		out = append(out, e)
	}
	return out, rows.Err()
}
