package casework

import (
	"context"
	"fmt"
	"strings"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Due statuses for filters.
const (
	DueAny     = ""        // soon, today or overdue
	DueSoon    = "soon"    // due in the next SoonDays days, not today
	DueToday   = "today"   // due today, not yet overdue
	DueOverdue = "overdue" // past due
)

// Filter selects cases for List.
type Filter struct {
	Type      string
	OrgID     int64 // the org's subtree
	State     string
	HandlerID int64
	// Due keeps cases with a running deadline in that status; "all" or ""
	// means no deadline filter (unlike DueFilter, where "" means any status).
	Due   string
	Query string // number prefix or words of the title
	// IncomingTransfers keeps cases offered to an org in scope and not yet
	// accepted or returned (the receiver's in-tray).
	IncomingTransfers bool
	// Supervised keeps cases with an open supervision.
	Supervised bool
	Limit      int
	Offset     int
}

func (f *Filter) limit() int {
	if f.Limit <= 0 || f.Limit > 500 {
		return 50
	}
	return f.Limit
}

// narrow applies an org filter to the scope.
func narrow(ctx context.Context, q store.Querier, sc org.Scope, orgID int64) (org.Scope, error) {
	if orgID == 0 {
		return sc, nil
	}
	var path string
	if err := q.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path); err != nil {
		return org.Scope{}, fieldErr("org_id", "单位不存在")
	}
	return sc.Narrow(path), nil
}

// dueWindow returns the due_at bounds of a due status at now (lo inclusive
// when set, hi inclusive). "Today" is judged in loc.
func dueWindow(status string, now time.Time, loc *time.Location, soon int) (lo, hi time.Time, err error) {
	today := calendar.DateIn(now, loc)
	endToday := today.End(loc)
	endSoon := today.AddDays(soon).End(loc)
	switch status {
	case DueAny:
		return time.Time{}, endSoon, nil
	case DueOverdue:
		return time.Time{}, now.Add(-time.Microsecond), nil
	case DueToday:
		return now, endToday, nil
	case DueSoon:
		return endToday.Add(time.Microsecond), endSoon, nil
	}
	return lo, hi, fieldErr("due", "到期状态应为 soon、today 或 overdue")
}

// List returns cases visible in sc (owned, or offered by a pending
// transfer), newest first, and the total count.
func (s *Store) List(ctx context.Context, sc org.Scope, f Filter) ([]Case, int, error) {
	q := s.DB.Read()
	sc, err := narrow(ctx, q, sc, f.OrgID)
	if err != nil {
		return nil, 0, err
	}
	plan, err := s.listPlan(sc, f)
	if err != nil {
		return nil, 0, err
	}
	var total int
	for i, p := range plan.counts {
		var n int
		if err := q.QueryRow(ctx, p, plan.countArgs[i]...).Scan(&n); err != nil {
			return nil, 0, err
		}
		total += n
	}
	rows, err := q.Query(ctx, plan.page, plan.pageArgs...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Case
	for rows.Next() {
		c, err := scanCase(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, *c)
	}
	return out, total, rows.Err()
}

// queryPlan is the SQL of a list: counts to add up, and the page.
type queryPlan struct {
	counts    []string
	countArgs [][]any
	page      string
	pageArgs  []any
}

// listPlan builds List's SQL for a scope already narrowed to f.OrgID.
func (s *Store) listPlan(sc org.Scope, f Filter) (*queryPlan, error) {
	// Filters shared by both branches below.
	var conds []string
	var args []any
	if f.Type != "" {
		conds, args = append(conds, "c.type = ?"), append(args, f.Type)
	}
	if f.State != "" {
		conds, args = append(conds, "c.state = ?"), append(args, f.State)
	}
	if f.HandlerID != 0 {
		conds, args = append(conds, "c.handler_user_id = ?"), append(args, f.HandlerID)
	}
	if f.Supervised {
		conds, args = append(conds, "EXISTS (SELECT 1 FROM case_supervisions v WHERE v.case_id = c.id AND v.state = ?)"), append(args, SupervisionOpen)
	}
	if qs := trimmed(f.Query); qs != "" {
		// Numbers hold full-width brackets; PostgreSQL's collation would
		// make a range test unreliable, so: exact number, or contained.
		conds = append(conds, "(c.number = ? OR "+store.ILike(s.DB.Engine, "c.number")+" OR "+store.ILike(s.DB.Engine, "c.title")+")")
		args = append(args, qs, store.LikeContains(qs), store.LikeContains(qs))
	}
	if f.Due != "" && f.Due != "all" {
		loc, _ := location("")
		lo, hi, err := dueWindow(f.Due, s.now(), loc, s.soonDays())
		if err != nil {
			return nil, err
		}
		dw, dargs := sc.OrgIn("d.org_id")
		conds = append(conds, `c.id IN (SELECT d.case_id FROM case_deadlines d WHERE `+dw+` AND d.state = ? AND d.due_at >= ? AND d.due_at <= ?)`)
		args = append(append(args, dargs...), DeadlineRunning, lo, hi)
	}
	// Two branches instead of one OR, which neither engine can answer from
	// indexes: cases owned in scope, and cases offered to an org in scope
	// by a pending transfer (few; a partial index finds them).
	ow, oargs := sc.OrgIn("c.org_id")
	tw, targs := sc.OrgIn("c.transfer_org_id")
	branch := func(scope string, sargs []any) (string, []any) {
		return ` FROM cases c WHERE ` + strings.Join(append([]string{scope}, conds...), " AND "), append(append([]any{}, sargs...), args...)
	}
	offered, offArgs := branch("c.transfer_org_id IS NOT NULL AND "+tw+" AND NOT ("+ow+")", append(append([]any{}, targs...), oargs...))
	var parts []string
	var partArgs [][]any
	if !f.IncomingTransfers {
		owned, ownArgs := branch(ow, oargs)
		parts, partArgs = append(parts, owned), append(partArgs, ownArgs)
	} else {
		offered, offArgs = branch("c.transfer_org_id IS NOT NULL AND "+tw, targs)
	}
	parts, partArgs = append(parts, offered), append(partArgs, offArgs)
	// Each branch yields its newest offset+limit ids through the primary
	// key, so a province-wide first page does not sort every case.
	ids := make([]string, len(parts))
	var pargs []any
	for i, p := range parts {
		ids[i] = fmt.Sprintf(`SELECT id FROM (SELECT c.id%s ORDER BY c.id DESC LIMIT ?) b%d`, p, i)
		pargs = append(append(pargs, partArgs[i]...), f.limit()+max(f.Offset, 0))
	}
	page := `SELECT id FROM (` + strings.Join(ids, " UNION ALL ") + `) x ORDER BY id DESC LIMIT ? OFFSET ?`
	plan := &queryPlan{countArgs: partArgs,
		page: `SELECT ` + caseCols + ` FROM (` + page + `) p JOIN cases c ON c.id = p.id JOIN orgs o ON o.id = c.org_id
		LEFT JOIN users u ON u.id = c.handler_user_id ORDER BY c.id DESC`,
		pageArgs: append(pargs, f.limit(), max(f.Offset, 0))}
	for _, p := range parts {
		plan.counts = append(plan.counts, `SELECT count(*)`+p)
	}
	return plan, nil
}

// DueFilter selects deadlines for DueList.
type DueFilter struct {
	HandlerID int64  // one handler's list; 0: every case in scope (a supervising org)
	OrgID     int64  // the org's subtree
	Type      string // case type
	Status    string // DueSoon, DueToday, DueOverdue or DueAny
	// Loc judges "today" (nil: Asia/Shanghai).
	Loc    *time.Location
	Limit  int
	Offset int
}

// DueItem is a running deadline with its case.
type DueItem struct {
	Deadline
	Number        string
	Type          string
	Title         string
	CaseState     string
	OrgID         int64
	OrgName       string
	HandlerUserID int64
}

// DueList lists running deadlines of cases owned in sc that are due soon,
// due today or overdue, earliest first, with the total. It walks the
// (state, due_at) index from the earliest due moment.
func (s *Store) DueList(ctx context.Context, sc org.Scope, f DueFilter) ([]DueItem, int, error) {
	q := s.DB.Read()
	sc, err := narrow(ctx, q, sc, f.OrgID)
	if err != nil {
		return nil, 0, err
	}
	loc := f.Loc
	if loc == nil {
		loc, _ = location("")
	}
	now := s.now()
	lo, hi, err := dueWindow(f.Status, now, loc, s.soonDays())
	if err != nil {
		return nil, 0, err
	}
	// Scope on the copied d.org_id: each org in scope is one range scan of
	// the (org_id, state, due_at) index, so the count stays cheap.
	w, args := sc.OrgIn("d.org_id")
	conds := []string{w, "d.state = ?", "d.due_at <= ?"}
	args = append(args, DeadlineRunning, hi)
	if !lo.IsZero() {
		conds, args = append(conds, "d.due_at >= ?"), append(args, lo)
	}
	join := ""
	if f.HandlerID != 0 {
		conds, args = append(conds, "c.handler_user_id = ?"), append(args, f.HandlerID)
		join = " JOIN cases c ON c.id = d.case_id"
	}
	if f.Type != "" {
		conds, args = append(conds, "c.type = ?"), append(args, f.Type)
		join = " JOIN cases c ON c.id = d.case_id"
	}
	where := ` WHERE ` + strings.Join(conds, " AND ")
	var total int
	if err := q.QueryRow(ctx, `SELECT count(*) FROM case_deadlines d`+join+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	// Pick the page from the index alone, then read the page's rows: a
	// county's few thousand due entries are sorted as bare ids.
	page := `SELECT d.id FROM case_deadlines d` + join + where + ` ORDER BY d.due_at, d.id LIMIT ? OFFSET ?`
	rows, err := q.Query(ctx, `SELECT `+deadlineCols+`, c.number, c.type, c.title, c.state, c.org_id, o.name, COALESCE(c.handler_user_id, 0)
		FROM (`+page+`) p JOIN case_deadlines d ON d.id = p.id JOIN cases c ON c.id = d.case_id JOIN orgs o ON o.id = d.org_id
		ORDER BY d.due_at, d.id`, append(args, limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []DueItem
	for rows.Next() {
		var it DueItem
		d, err := scanDeadline(rows, &it.Number, &it.Type, &it.Title, &it.CaseState, &it.OrgID, &it.OrgName, &it.HandlerUserID)
		if err != nil {
			return nil, 0, err
		}
		s.judge(&d, now)
		it.Deadline = d
		out = append(out, it)
	}
	return out, total, rows.Err()
}
