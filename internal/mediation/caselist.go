package mediation

import (
	"context"
	"database/sql"
	"strings"
	"sync/atomic"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// CaseFilter selects cases for the ledger.
type CaseFilter struct {
	Under       int64 // org subtree; 0 = whole scope
	State       string
	DisputeType string
	Source      string
	Risk        string // "", "any", "crime", "group", "repeated"
	From, To    string // registration date range (YYYY-MM-DD, Shanghai), inclusive
	Query       string // number or words of the summary / title
	Limit       int
	Offset      int
}

// Cases lists the mediation cases owned in sc, newest first, with the
// total; each has its parties' names and its mediators (not the sessions).
func (s *Store) Cases(ctx context.Context, sc org.Scope, f CaseFilter) ([]*Case, int, error) {
	sc, err := s.narrow(ctx, sc, f.Under)
	if err != nil {
		return nil, 0, err
	}
	w, args := sc.Where("o.path")
	conds := []string{w, "c.type = ?"}
	args = append(args, CaseType)
	eq := func(col, v string) {
		if v != "" {
			conds, args = append(conds, col+" = ?"), append(args, v)
		}
	}
	eq("c.state", f.State)
	eq("m.dispute_type", f.DisputeType)
	eq("m.source", f.Source)
	switch f.Risk {
	case "":
	case "any":
		conds = append(conds, "(m.risk_crime OR m.risk_group)")
	case "crime":
		conds = append(conds, "m.risk_crime")
	case "group":
		conds = append(conds, "m.risk_group")
	case "repeated":
		conds = append(conds, "m.repeated")
	default:
		return nil, 0, fe("risk", "风险筛选条件无效")
	}
	for _, d := range []struct{ field, label, v, op string }{{"from", "起始日期", f.From, ">="}, {"to", "截止日期", f.To, "<"}} {
		if d.v == "" {
			continue
		}
		if err := checkDate(d.field, d.label, d.v, false, false); err != nil {
			return nil, 0, err
		}
		day, _ := time.ParseInLocation(time.DateOnly, d.v, web.Shanghai)
		if d.op == "<" {
			day = day.AddDate(0, 0, 1)
		}
		conds, args = append(conds, "c.created_at "+d.op+" ?"), append(args, day.UTC())
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		conds = append(conds, "(c.number = ? OR "+store.ILike(s.DB.Engine, "c.number")+" OR "+store.ILike(s.DB.Engine, "c.title")+
			" OR "+store.ILike(s.DB.Engine, "m.summary")+")")
		args = append(args, q, store.LikeContains(q), store.LikeContains(q), store.LikeContains(q))
	}
	from := ` FROM cases c JOIN med_cases m ON m.case_id = c.id JOIN orgs o ON o.id = c.org_id LEFT JOIN users u ON u.id = c.handler_user_id
		WHERE ` + strings.Join(conds, " AND ")
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT c.id, c.type, c.org_id, o.name, o.path, c.number, c.title, c.state,
		COALESCE(c.handler_user_id, 0), COALESCE(u.display_name, ''), c.created_at, c.closed_at, c.version, `+medCols+from+
		` ORDER BY c.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	var out []*Case
	for rows.Next() {
		c := &Case{}
		var closed sql.NullTime
		var agreement string
		dest := append([]any{&c.ID, &c.Type, &c.OrgID, &c.OrgName, &c.OrgPath, &c.Number, &c.Title, &c.State, &c.HandlerUserID,
			&c.HandlerName, &c.CreatedAt, &closed, &c.Version}, c.medDest(&agreement)...)
		if err := rows.Scan(dest...); err != nil {
			rows.Close()
			return nil, 0, err
		}
		if closed.Valid {
			c.ClosedAt = closed.Time
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for _, c := range out {
		if c.Parties, err = s.partyNames(ctx, c.ID); err != nil {
			return nil, 0, err
		}
		if c.Mediators, err = s.caseMediators(ctx, c.ID); err != nil {
			return nil, 0, err
		}
	}
	return out, total, nil
}

// partyNames lists a case's parties with names only (no numbers: lists
// and exports never carry them).
func (s *Store) partyNames(ctx context.Context, caseID int64) ([]Party, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT mp.person_id, mp.role, p.name FROM med_parties mp JOIN persons p ON p.id = mp.person_id
		WHERE mp.case_id = ? ORDER BY CASE mp.role WHEN 'applicant' THEN 0 WHEN 'respondent' THEN 1 ELSE 2 END, p.id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Party
	for rows.Next() {
		var p Party
		if err := rows.Scan(&p.PersonID, &p.Role, &p.Name); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// ForEachCase streams every case matching f (for the ledger export).
func (s *Store) ForEachCase(ctx context.Context, sc org.Scope, f CaseFilter, fn func(*Case) error) error {
	f.Limit, f.Offset = 500, 0
	for {
		cs, total, err := s.Cases(ctx, sc, f)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
		}
		f.Offset += len(cs)
		if len(cs) == 0 || f.Offset >= total {
			return nil
		}
	}
}

// listerStore is the store the person page's case lister reads: the
// lister is registered once per program (person.RegisterCaseLister), the
// store when the routes are built.
var listerStore atomic.Pointer[Store]

func init() {
	person.RegisterCaseLister(Line, func(ctx context.Context, sc org.Scope, personID int64) ([]person.CaseRef, error) {
		s := listerStore.Load()
		if s == nil {
			return nil, nil
		}
		return s.CasesOfPerson(ctx, sc, personID)
	})
}

// CasesOfPerson lists the mediation cases in sc where personID is a party.
func (s *Store) CasesOfPerson(ctx context.Context, sc org.Scope, personID int64) ([]person.CaseRef, error) {
	w, args := sc.Where("o.path")
	rows, err := s.DB.Read().Query(ctx, `SELECT c.id, c.number, c.title, c.state, o.name, c.created_at, mp.role
		FROM med_parties mp JOIN cases c ON c.id = mp.case_id JOIN orgs o ON o.id = c.org_id
		WHERE mp.person_id = ? AND c.type = ? AND `+w+` ORDER BY c.id DESC LIMIT 200`, append([]any{personID, CaseType}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []person.CaseRef
	for rows.Next() {
		r := person.CaseRef{Line: Line, LineName: "人民调解"}
		var state, role string
		if err := rows.Scan(&r.CaseID, &r.Number, &r.Title, &state, &r.OrgName, &r.Date, &role); err != nil {
			return nil, err
		}
		r.Status, r.Role, r.URL = CaseStateName(state), PartyRoleName(role), "/mediation/cases/"+itoa(r.CaseID)
		out = append(out, r)
	}
	return out, rows.Err()
}
