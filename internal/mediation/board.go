package mediation

import (
	"context"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// The coordination board (协同指挥) lets county and city coordinators see
// every active dispute of their area at once, worst first.

func init() {
	web.RegisterNav(web.NavItem{Group: "人民调解", Label: "协同指挥", Path: "/mediation/board", Perm: auth.LinePerm(Line, "view"), Order: 195})
}

// BoardFilter selects the board's cases.
type BoardFilter struct {
	OrgID int64  // the org's subtree
	State string // a case state; "" = every open state
	Risk  string // "", "any" (any of the three), "crime", "group", "repeated"
	Due   string // "", "overdue", "soon" (within 7 days), "none" (no running deadline)
	Limit int    // default 200
}

// BoardCase is one active case on the board.
type BoardCase struct {
	ID            int64
	Number        string
	Title         string
	State         string
	OrgID         int64
	OrgName       string
	TransferOrgID int64
	RiskCrime     bool
	RiskGroup     bool
	Repeated      bool
	NextDue       time.Time // earliest running deadline; zero: none
	OpenSupervise int       // open supervisions
	Overdue       bool
}

// HighRisk reports a case the board puts before ordinary ones.
func (c BoardCase) HighRisk() bool { return c.RiskCrime || c.RiskGroup || c.Repeated }

// StateName is the Chinese name of the state.
func (c BoardCase) StateName() string { return CaseStateName(c.State) }

// DueText shows the deadline in Shanghai time.
func (c BoardCase) DueText() string {
	if c.NextDue.IsZero() {
		return ""
	}
	return c.NextDue.In(web.Shanghai).Format("2006-01-02 15:04")
}

// boardSoonDays is the "due soon" window of the board's filter.
const boardSoonDays = 7

// BoardCases lists active (not closed) mediation cases owned in sc: overdue
// first, then high risk (民转刑, 群体性, 重复), then the nearest deadline.
func (s *Store) BoardCases(ctx context.Context, sc org.Scope, f BoardFilter) ([]BoardCase, error) {
	q := s.DB.Read()
	if f.OrgID != 0 {
		var path string
		if err := q.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, f.OrgID).Scan(&path); err != nil || !sc.Contains(path) {
			return nil, fe("org", "单位不存在或不在本辖区")
		}
		sc = sc.Narrow(path)
	}
	now := Clock()
	w, args := sc.Where("o.path")
	conds := []string{w, "c.type = ?", "c.closed_at IS NULL"}
	args = append(args, CaseType)
	if f.State != "" {
		if !validChoice(CaseStates, f.State) {
			return nil, fe("state", "状态筛选条件无效")
		}
		conds, args = append(conds, "c.state = ?"), append(args, f.State)
	}
	switch f.Risk {
	case "":
	case "any":
		conds = append(conds, "(m.risk_crime OR m.risk_group OR m.repeated)")
	case "crime":
		conds = append(conds, "m.risk_crime")
	case "group":
		conds = append(conds, "m.risk_group")
	case "repeated":
		conds = append(conds, "m.repeated")
	default:
		return nil, fe("risk", "风险筛选条件无效")
	}
	switch f.Due {
	case "":
	case "overdue":
		conds, args = append(conds, "x.nd < ?"), append(args, now)
	case "soon":
		conds, args = append(conds, "x.nd >= ? AND x.nd <= ?"), append(args, now, now.AddDate(0, 0, boardSoonDays))
	case "none":
		conds = append(conds, "x.nd IS NULL")
	default:
		return nil, fe("due", "期限筛选条件无效")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	// The ordering keys are computed in SQL so that LIMIT keeps the worst.
	rows, err := q.Query(ctx, `SELECT c.id, c.number, c.title, c.state, c.org_id, o.name, COALESCE(c.transfer_org_id, 0),
		m.risk_crime, m.risk_group, m.repeated, x.nd,
		(SELECT count(*) FROM case_supervisions v WHERE v.case_id = c.id AND v.state = ?)
		FROM cases c JOIN orgs o ON o.id = c.org_id JOIN med_cases m ON m.case_id = c.id
		LEFT JOIN (SELECT case_id, MIN(due_at) AS nd FROM case_deadlines WHERE state = ? GROUP BY case_id) x ON x.case_id = c.id
		WHERE `+strings.Join(conds, " AND ")+`
		ORDER BY CASE WHEN x.nd < ? THEN 0 ELSE 1 END, CASE WHEN m.risk_crime OR m.risk_group OR m.repeated THEN 0 ELSE 1 END,
		CASE WHEN x.nd IS NULL THEN 1 ELSE 0 END, x.nd, c.id LIMIT ?`,
		append(append([]any{casework.SupervisionOpen, casework.DeadlineRunning}, args...), now, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []BoardCase
	for rows.Next() {
		var c BoardCase
		var nd store.Time
		if err := rows.Scan(&c.ID, &c.Number, &c.Title, &c.State, &c.OrgID, &c.OrgName, &c.TransferOrgID,
			&c.RiskCrime, &c.RiskGroup, &c.Repeated, &nd, &c.OpenSupervise); err != nil {
			return nil, err
		}
		c.NextDue = nd.T
		c.Overdue = !c.NextDue.IsZero() && c.NextDue.Before(now)
		out = append(out, c)
	}
	return out, rows.Err()
}

// OfficeCount is one office's line on the board: its own cases and those
// of the villages and committees below it.
type OfficeCount struct {
	OrgID    int64
	OrgName  string
	Active   int
	Overdue  int
	HighRisk int
	Feedback casework.FeedbackStats
}

// Satisfaction shows the average rating, or "—" without ratings.
func (o OfficeCount) Satisfaction() string {
	if o.Feedback.Rated == 0 {
		return "—"
	}
	return strconv.FormatFloat(o.Feedback.Average, 'f', 1, 64)
}

// officeOf is the SQL for the org a case counts under: its nearest office
// (司法所) ancestor, else the owning org itself (county-level cases).
const officeOf = `COALESCE((SELECT a.id FROM orgs a WHERE a.kind = 'office' AND substr(o.path, 1, length(a.path)) = a.path
	ORDER BY a.depth DESC LIMIT 1), o.id)`

// BoardCounts counts active, overdue and high-risk cases by office in sc,
// with the party satisfaction of each office's cases (links issued since
// from; zero: all).
func (s *Store) BoardCounts(ctx context.Context, sc org.Scope, from time.Time) ([]OfficeCount, error) {
	q := s.DB.Read()
	now := Clock()
	w, args := sc.Where("o.path")
	rows, err := q.Query(ctx, `SELECT t.office, oo.name, count(*), sum(t.overdue), sum(t.risk) FROM (
		SELECT `+officeOf+` AS office,
			CASE WHEN EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.id AND d.state = ? AND d.due_at < ?) THEN 1 ELSE 0 END AS overdue,
			CASE WHEN m.risk_crime OR m.risk_group OR m.repeated THEN 1 ELSE 0 END AS risk
		FROM cases c JOIN orgs o ON o.id = c.org_id JOIN med_cases m ON m.case_id = c.id
		WHERE `+w+` AND c.type = ? AND c.closed_at IS NULL) t JOIN orgs oo ON oo.id = t.office
		GROUP BY t.office, oo.name, oo.path ORDER BY oo.path LIMIT 500`,
		append(append([]any{casework.DeadlineRunning, now}, args...), CaseType)...)
	if err != nil {
		return nil, err
	}
	var out []OfficeCount
	for rows.Next() {
		var c OfficeCount
		if err := rows.Scan(&c.OrgID, &c.OrgName, &c.Active, &c.Overdue, &c.HighRisk); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Ratings by the same office mapping (casework.FeedbackStats would
	// fold a county's own row over its whole subtree).
	fw, fargs := sc.Where("o.path")
	fconds := fw + " AND c.type = ?"
	fargs = append(fargs, CaseType)
	if !from.IsZero() {
		fconds, fargs = fconds+" AND f.created_at >= ?", append(fargs, from)
	}
	rows, err = q.Query(ctx, `SELECT t.office, t.r, count(*) FROM (SELECT `+officeOf+` AS office, COALESCE(f.rating, 0) AS r
		FROM case_feedback f JOIN cases c ON c.id = f.case_id JOIN orgs o ON o.id = c.org_id WHERE `+fconds+`) t GROUP BY t.office, t.r`, fargs...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	idx := map[int64]int{}
	for i, c := range out {
		idx[c.OrgID] = i
	}
	sums := make([]int, len(out))
	for rows.Next() {
		var office int64
		var r, n int
		if err := rows.Scan(&office, &r, &n); err != nil {
			return nil, err
		}
		i, ok := idx[office]
		if !ok {
			continue // an office without active cases
		}
		st := &out[i].Feedback
		st.Links += n
		if r >= 1 && r <= 5 {
			st.ByRating[r] += n
			st.Rated += n
			sums[i] += r * n
		}
	}
	for i := range out {
		if out[i].Feedback.Rated > 0 {
			out[i].Feedback.Average = float64(sums[i]) / float64(out[i].Feedback.Rated)
		}
	}
	return out, rows.Err()
}

// Resolution levels: 小事不出村、大事不出镇.
const (
	LevelVillage  = "village"  // 村(居)调委会
	LevelTownship = "township" // 乡镇(街道)调委会、司法所
	LevelCounty   = "county"   // 县级及以上
)

// LevelCounts are successful cases by the level that resolved them.
type LevelCounts struct {
	Village, Township, County int
}

// Total is the sum of the levels.
func (l LevelCounts) Total() int { return l.Village + l.Township + l.County }

// Percent is a level's share as a whole percentage.
func (l LevelCounts) Percent(n int) int {
	if l.Total() == 0 {
		return 0
	}
	return (n*100 + l.Total()/2) / l.Total()
}

// ResolvedAtLevel counts cases owned in sc that reached an agreement
// (调解成功, whatever happened after) with agreed_on in [from, to]
// ('YYYY-MM-DD', "" = open), by the level of the owning org: a committee
// counts at its parent's level (a village committee in the village, a
// township committee at the township).
func (s *Store) ResolvedAtLevel(ctx context.Context, sc org.Scope, from, to string) (LevelCounts, error) {
	var l LevelCounts
	if err := checkDate("from", "起始日期", from, false, false); err != nil {
		return l, err
	}
	if err := checkDate("to", "截止日期", to, false, false); err != nil {
		return l, err
	}
	w, args := sc.Where("o.path")
	conds := []string{w, "c.type = ?", "m.agreed_on <> ''", "c.state IN (?, ?, ?)"}
	args = append(args, CaseType, StateSucceeded, StatePerformed, StateClosed)
	if from != "" {
		conds, args = append(conds, "m.agreed_on >= ?"), append(args, from)
	}
	if to != "" {
		conds, args = append(conds, "m.agreed_on <= ?"), append(args, to)
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT t.k, count(*) FROM (SELECT CASE WHEN o.kind = ? THEN COALESCE(p.kind, '') ELSE o.kind END AS k
		FROM cases c JOIN orgs o ON o.id = c.org_id JOIN med_cases m ON m.case_id = c.id LEFT JOIN orgs p ON p.id = o.parent_id
		WHERE `+strings.Join(conds, " AND ")+`) t GROUP BY t.k`, append([]any{string(org.Committee)}, args...)...)
	if err != nil {
		return l, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return l, err
		}
		switch org.Kind(k) {
		case org.Village:
			l.Village += n
		case org.Office:
			l.Township += n
		default:
			l.County += n
		}
	}
	return l, rows.Err()
}

// Agencies are the bodies outside the org tree a dispute may be handed to
// (诉调、警调、访调、劳动仲裁对接). They are not orgs: handing over ends the
// mediation with the referral channel of the matching kind.
var Agencies = []Choice{
	{"court", "人民法院"}, {"police", "公安机关(派出所)"}, {"petition", "信访部门"}, {"labour", "劳动人事争议仲裁委员会"},
}

// agencyReferral maps an agency to the referral channel recorded on the case.
var agencyReferral = map[string]string{
	"court": "litigation", "police": "administrative", "petition": "administrative", "labour": "arbitration",
}

// ReferToAgency hands case id to an outside agency: a case under mediation
// ends as 调解终止 with the agency's referral channel, a registered case not
// yet accepted as 不予受理; the reason names the agency.
func (s *Store) ReferToAgency(ctx context.Context, sc org.Scope, id int64, agency, reason string) (*Case, error) {
	if !validChoice(Agencies, agency) {
		return nil, fe("agency", "请选择接收机关(法院、公安、信访、劳动仲裁)")
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, fe("reason", "请填写移交理由")
	}
	if err := tooLong("reason", "移交理由", reason, 480); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	text := "移交" + nameOf(Agencies, agency) + "：" + reason
	switch c.State {
	case StateMediating:
		return s.Act(ctx, sc, id, c.Version, ActFail, map[string]string{"referral": agencyReferral[agency], "fail_reason": text}, text)
	case StateRegistered:
		return s.Act(ctx, sc, id, c.Version, ActDecline, map[string]string{"decline_reason": text}, text)
	}
	return nil, fe("agency", "只有已登记或调解中的案件可以移交其他机关；已受理的案件请先开始调解")
}
