package mediation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Screening is one round of dispute screening (矛盾纠纷排查) by an office
// or a village: routine, or special (holidays, sensitive periods) with its
// reason.
type Screening struct {
	ID           int64
	OrgID        int64
	OrgName      string
	HeldOn       string
	Kind         string
	Reason       string
	Participants string
	Found        int // disputes found, as reported
	Notes        string
	CreatedBy    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Findings     int // recorded findings
	OpenHighRisk int // open findings with a 民转刑 or 群体性 risk
}

// KindName is the Chinese name of the kind.
func (s Screening) KindName() string { return ScreeningKindName(s.Kind) }

// Finding is one dispute found in a screening round. CaseID is set when
// part 2 (case intake) turns it into a mediation case.
type Finding struct {
	ID           int64
	ScreeningID  int64
	Summary      string
	DisputeType  string
	People       int
	RiskCriminal bool // risk of turning into a criminal case (民转刑)
	RiskGroup    bool // risk of a group incident or petition (群体性)
	Status       string
	CaseID       int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// DisputeTypeName and StatusName are Chinese names.
func (f Finding) DisputeTypeName() string { return DisputeTypeName(f.DisputeType) }
func (f Finding) StatusName() string      { return FindingStatusName(f.Status) }

// HighRisk reports a finding with any risk flag.
func (f Finding) HighRisk() bool { return f.RiskCriminal || f.RiskGroup }

// FindingInput is what a user enters for a finding.
type FindingInput struct {
	Summary      string
	DisputeType  string
	People       int
	RiskCriminal bool
	RiskGroup    bool
}

func (in *FindingInput) validate(prefix string) error {
	in.Summary = strings.TrimSpace(in.Summary)
	switch {
	case in.Summary == "":
		return fe(prefix+"summary", "纠纷简况必填")
	case len([]rune(in.Summary)) > 500:
		return fe(prefix+"summary", "纠纷简况不能超过500字")
	case !validChoice(DisputeTypes, in.DisputeType):
		return fe(prefix+"dispute_type", "请选择纠纷类型")
	case in.People < 1 || in.People > 100000:
		return fe(prefix+"people", "涉及人数应为1至100000")
	}
	return nil
}

// ScreeningInput is what a user enters for a screening round, with the
// findings recorded at the same time.
type ScreeningInput struct {
	OrgID        int64
	HeldOn       string
	Kind         string
	Reason       string
	Participants string
	Found        int
	Notes        string
	Findings     []FindingInput
}

func (in *ScreeningInput) validate() error {
	in.HeldOn, in.Reason, in.Participants, in.Notes = strings.TrimSpace(in.HeldOn), strings.TrimSpace(in.Reason),
		strings.TrimSpace(in.Participants), strings.TrimSpace(in.Notes)
	if in.OrgID <= 0 {
		return fe("org_id", "请选择排查单位")
	}
	if err := checkDate("held_on", "排查日期", in.HeldOn, true, true); err != nil {
		return err
	}
	switch {
	case !validChoice(ScreeningKinds, in.Kind):
		return fe("kind", "请选择排查类型")
	case in.Kind == "special" && in.Reason == "":
		return fe("reason", "专项排查须填写事由(如节假日、敏感时期)")
	case in.Participants == "":
		return fe("participants", "参加人员必填")
	case in.Found < 0 || in.Found > 100000:
		return fe("found", "排查发现纠纷数应为0至100000")
	case in.Found < len(in.Findings):
		return fe("found", fmt.Sprintf("排查发现纠纷数不能少于已登记的纠纷(%d件)", len(in.Findings)))
	}
	if err := firstErr(tooLong("reason", "事由", in.Reason, 200), tooLong("participants", "参加人员", in.Participants, 500),
		tooLong("notes", "备注", in.Notes, 2000)); err != nil {
		return err
	}
	for i := range in.Findings {
		if err := in.Findings[i].validate(fmt.Sprintf("f%d_", i)); err != nil {
			return err
		}
	}
	return nil
}

// screeningOrg checks orgID is an office or a village in scope.
func (s *Store) screeningOrg(ctx context.Context, sc org.Scope, orgID int64) error {
	o, err := s.orgs().Get(ctx, sc, orgID)
	if err != nil {
		return fe("org_id", "机构不存在或不在您的管辖范围内")
	}
	if o.Kind != org.Office && o.Kind != org.Village {
		return fe("org_id", "排查单位应为司法所或村(社区)")
	}
	return nil
}

const screeningCols = `s.id, s.org_id, o.name, s.held_on, s.kind, s.reason, s.participants, s.found, s.notes, COALESCE(s.created_by, 0),
	s.created_at, s.updated_at,
	(SELECT count(*) FROM med_screening_findings f WHERE f.screening_id = s.id),
	(SELECT count(*) FROM med_screening_findings f WHERE f.screening_id = s.id AND f.status = 'open' AND (f.risk_criminal OR f.risk_group))`

func scanScreening(r interface{ Scan(...any) error }) (Screening, error) {
	var x Screening
	err := r.Scan(&x.ID, &x.OrgID, &x.OrgName, &x.HeldOn, &x.Kind, &x.Reason, &x.Participants, &x.Found, &x.Notes, &x.CreatedBy,
		&x.CreatedAt, &x.UpdatedAt, &x.Findings, &x.OpenHighRisk)
	return x, err
}

// ScreeningFilter selects screening rounds.
type ScreeningFilter struct {
	Under    int64
	Kind     string
	From, To string // held_on range, inclusive
	Limit    int
	Offset   int
}

// Screenings lists screening rounds in scope, newest first, with the total.
func (s *Store) Screenings(ctx context.Context, sc org.Scope, f ScreeningFilter) ([]Screening, int, error) {
	sc, err := s.narrow(ctx, sc, f.Under)
	if err != nil {
		return nil, 0, err
	}
	w, args := sc.Where("o.path")
	where := ` WHERE ` + w
	if f.Kind != "" {
		where += ` AND s.kind = ?`
		args = append(args, f.Kind)
	}
	if f.From != "" {
		if err := checkDate("from", "起始日期", f.From, false, false); err != nil {
			return nil, 0, err
		}
		where += ` AND s.held_on >= ?`
		args = append(args, f.From)
	}
	if f.To != "" {
		if err := checkDate("to", "截止日期", f.To, false, false); err != nil {
			return nil, 0, err
		}
		where += ` AND s.held_on <= ?`
		args = append(args, f.To)
	}
	from := ` FROM med_screenings s JOIN orgs o ON o.id = s.org_id`
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*)`+from+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 50
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT `+screeningCols+from+where+` ORDER BY s.held_on DESC, s.id DESC LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Screening
	for rows.Next() {
		x, err := scanScreening(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, x)
	}
	return out, total, rows.Err()
}

// Screening returns one round in scope with its findings.
func (s *Store) Screening(ctx context.Context, sc org.Scope, id int64) (Screening, []Finding, error) {
	w, args := sc.Where("o.path")
	x, err := scanScreening(s.DB.Read().QueryRow(ctx, `SELECT `+screeningCols+` FROM med_screenings s JOIN orgs o ON o.id = s.org_id
		WHERE s.id = ? AND `+w, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Screening{}, nil, store.ErrNotFound
	}
	if err != nil {
		return Screening{}, nil, err
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT id, screening_id, summary, dispute_type, people, risk_criminal, risk_group, status,
		COALESCE(case_id, 0), created_at, updated_at FROM med_screening_findings WHERE screening_id = ? ORDER BY id`, id)
	if err != nil {
		return x, nil, err
	}
	defer rows.Close()
	var fs []Finding
	for rows.Next() {
		var f Finding
		if err := rows.Scan(&f.ID, &f.ScreeningID, &f.Summary, &f.DisputeType, &f.People, &f.RiskCriminal, &f.RiskGroup, &f.Status,
			&f.CaseID, &f.CreatedAt, &f.UpdatedAt); err != nil {
			return x, nil, err
		}
		fs = append(fs, f)
	}
	return x, fs, rows.Err()
}

func insertFinding(ctx context.Context, tx *store.Tx, screeningID int64, f FindingInput, now time.Time) (int64, error) {
	return store.InsertID(ctx, tx, `INSERT INTO med_screening_findings(screening_id, summary, dispute_type, people, risk_criminal, risk_group,
		status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'open', ?, ?) RETURNING id`,
		screeningID, f.Summary, f.DisputeType, f.People, f.RiskCriminal, f.RiskGroup, now, now)
}

// CreateScreening records a round and its findings in one transaction.
func (s *Store) CreateScreening(ctx context.Context, sc org.Scope, userID int64, in ScreeningInput) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	if err := s.screeningOrg(ctx, sc, in.OrgID); err != nil {
		return 0, err
	}
	now := Clock()
	var id int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = store.InsertID(ctx, tx, `INSERT INTO med_screenings(org_id, held_on, kind, reason, participants, found, notes, created_by,
			created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			in.OrgID, in.HeldOn, in.Kind, in.Reason, in.Participants, in.Found, in.Notes, nullID(userID), now, now)
		if err != nil {
			return err
		}
		for _, f := range in.Findings {
			if _, err := insertFinding(ctx, tx, id, f, now); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_screening", ObjectID: itoa(id),
			OrgID: in.OrgID, Detail: fmt.Sprintf("findings: %d", len(in.Findings))})
	})
	return id, err
}

// AddFinding adds a finding to a round; the round's found count grows
// when it would fall below the number of findings.
func (s *Store) AddFinding(ctx context.Context, sc org.Scope, screeningID int64, in FindingInput) (int64, error) {
	if err := in.validate(""); err != nil {
		return 0, err
	}
	x, _, err := s.Screening(ctx, sc, screeningID)
	if err != nil {
		return 0, err
	}
	now := Clock()
	var id int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err = insertFinding(ctx, tx, screeningID, in, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE med_screenings SET found = (SELECT count(*) FROM med_screening_findings WHERE screening_id = ?),
			updated_at = ? WHERE id = ? AND found < (SELECT count(*) FROM med_screening_findings WHERE screening_id = ?)`,
			screeningID, now, screeningID, screeningID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_screening_finding", ObjectID: itoa(id), OrgID: x.OrgID})
	})
	return id, err
}

// SetFindingStatus marks a finding open or resolved. The status "case" is
// set only by case intake (part 2), never by hand.
func (s *Store) SetFindingStatus(ctx context.Context, sc org.Scope, findingID int64, status string) (int64, error) {
	if status != "open" && status != "resolved" {
		return 0, fe("status", "状态只能设为待化解或已化解")
	}
	var screeningID int64
	var cur string
	if err := s.DB.Read().QueryRow(ctx, `SELECT screening_id, status FROM med_screening_findings WHERE id = ?`, findingID).Scan(&screeningID, &cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, store.ErrNotFound
		}
		return 0, err
	}
	x, _, err := s.Screening(ctx, sc, screeningID)
	if err != nil {
		return 0, err
	}
	if cur == "case" {
		return 0, fe("status", "已转为调解案件的纠纷，状态随案件办理变化")
	}
	return screeningID, s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE med_screening_findings SET status = ?, updated_at = ? WHERE id = ? AND status <> 'case'`,
			status, Clock(), findingID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_screening_finding", ObjectID: itoa(findingID),
			OrgID: x.OrgID, Detail: "status: " + status})
	})
}

// A finding becomes a case through ConvertFinding (cases.go), which sets
// status 'case' and case_id in the case-creating transaction.

// ForEachFinding streams the findings of rounds in scope matching f (for
// the screening ledger export), with their round.
func (s *Store) ForEachFinding(ctx context.Context, sc org.Scope, f ScreeningFilter, fn func(Screening, *Finding) error) error {
	f.Limit, f.Offset = 5000, 0
	for {
		rounds, total, err := s.Screenings(ctx, sc, f)
		if err != nil {
			return err
		}
		for _, r := range rounds {
			_, fs, err := s.Screening(ctx, sc, r.ID)
			if err != nil {
				return err
			}
			if len(fs) == 0 {
				if err := fn(r, nil); err != nil {
					return err
				}
			}
			for i := range fs {
				if err := fn(r, &fs[i]); err != nil {
					return err
				}
			}
		}
		f.Offset += len(rounds)
		if len(rounds) == 0 || f.Offset >= total {
			return nil
		}
	}
}
