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
	// ExactTotal counts every match; otherwise List stops counting past
	// TotalCap, which keeps a province-wide page cheap.
	ExactTotal bool
	// BeforeID keeps cases with id < BeforeID: the next page after a page
	// ending at that id (keyset paging, no matter how deep). Offset then
	// counts from there. The total still covers the whole filter.
	BeforeID int64
	Limit    int
	Offset   int
}

// TotalCap is where List stops counting unless Filter.ExactTotal: then a
// total of TotalCap+1 means "more than TotalCap" (the pager shows "10000+").
const TotalCap = 10000

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
// transfer), newest first, and the total count: capped at TotalCap+1
// unless f.ExactTotal.
func (s *Store) List(ctx context.Context, sc org.Scope, f Filter) ([]Case, int, error) {
	q := s.DB.Read()
	sc, err := narrow(ctx, q, sc, f.OrgID)
	if err != nil {
		return nil, 0, err
	}
	branches, err := s.listPlan(sc, f)
	if err != nil {
		return nil, 0, err
	}
	total := 0
	want := f.limit() + max(f.Offset, 0)
	var ids []string
	var args []any
	for i, b := range branches {
		// Count no further than one past the cap, over all branches; the
		// count also tells whether matches are many (see listBranch).
		n, dense := 0, true // not counted (past the cap): assume many
		if f.ExactTotal {
			err = q.QueryRow(ctx, `SELECT count(*)`+b.from, b.args...).Scan(&n)
		} else if total <= TotalCap {
			err = q.QueryRow(ctx, fmt.Sprintf(`SELECT count(*) FROM (SELECT 1%s LIMIT %d) t`, b.from, TotalCap+1-total), b.args...).Scan(&n)
		}
		if err != nil {
			return nil, 0, err
		}
		if f.ExactTotal || total <= TotalCap {
			if n == 0 {
				continue
			}
			dense = total+n > TotalCap
		}
		total += n
		from, fargs := b.from, b.args
		if b.walk != "" && dense {
			from, fargs = b.walk, b.walkArgs
		}
		if f.BeforeID > 0 {
			from, fargs = from+" AND c.id < ?", append(append([]any{}, fargs...), f.BeforeID)
		}
		// Each branch yields its newest offset+limit ids. Limits are
		// literals (ints computed here) so both engines plan for the real
		// page size.
		ids = append(ids, fmt.Sprintf(`SELECT id FROM (SELECT c.id%s ORDER BY c.id DESC LIMIT %d) b%d`, from, want, i))
		args = append(args, fargs...)
	}
	if len(ids) == 0 {
		return nil, total, nil
	}
	// The page's ids first, then their rows by primary key, so the
	// branches stay the plain ORDER BY … LIMIT queries measured in
	// bench_test.go.
	rows, err := q.Query(ctx, fmt.Sprintf(`SELECT id FROM (%s) x ORDER BY id DESC LIMIT %d OFFSET %d`, strings.Join(ids, " UNION ALL "), f.limit(), max(f.Offset, 0)), args...)
	if err != nil {
		return nil, 0, err
	}
	var page []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, 0, err
		}
		page = append(page, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(page) == 0 {
		return nil, total, err
	}
	rows, err = q.Query(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id IN (`+store.InList(len(page))+`) ORDER BY c.id DESC`, page...)
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

// listBranch is one part of a list: " FROM … WHERE …" selecting c.id, to
// count and to page through. from sorts its matches (with a due filter it
// starts from the deadline index), cheap while they are few; walk goes down
// the primary key newest first testing each case, cheap when matches are
// many. List counts with from and pages with walk past TotalCap matches.
type listBranch struct {
	from     string
	args     []any
	walk     string // empty: always page with from
	walkArgs []any
}

// listPlan builds List's branches for a scope already narrowed to f.OrgID.
func (s *Store) listPlan(sc org.Scope, f Filter) ([]listBranch, error) {
	if f.BeforeID < 0 {
		return nil, fieldErr("before_id", "翻页位置无效")
	}
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
	// A due filter keeps cases with a running deadline in the window. On
	// owned cases the deadline's copied owner org (d.org_id) is in scope
	// too, which lets the (org_id, state, due_at, case_id) index answer.
	var due, dueOwned string
	var dueArgs, dueOwnedArgs []any
	if f.Due != "" && f.Due != "all" {
		loc, _ := location("")
		lo, hi, err := dueWindow(f.Due, s.now(), loc, s.soonDays())
		if err != nil {
			return nil, err
		}
		due, dueArgs = `d.state = ? AND d.due_at >= ? AND d.due_at <= ?`, []any{DeadlineRunning, lo, hi}
		dw, dargs := sc.OrgIn("d.org_id")
		dueOwned, dueOwnedArgs = dw+" AND "+due, append(dargs, dueArgs...)
	}
	// Two branches instead of one OR, which neither engine can answer from
	// indexes: cases owned in scope, and cases offered to an org in scope
	// by a pending transfer (few; a partial index finds them).
	ow, oargs := sc.OrgIn("c.org_id")
	tw, targs := sc.OrgIn("c.transfer_org_id")
	// The unary plus keeps SQLite off the org index, so the walk follows
	// the primary key (PostgreSQL ignores it).
	owWalk, _ := sc.OrgIn("+c.org_id")
	where := func(scope string, extra ...string) string {
		return ` WHERE ` + strings.Join(append(append([]string{scope}, extra...), conds...), " AND ")
	}
	exists := `EXISTS (SELECT 1 FROM case_deadlines d WHERE d.case_id = c.id AND ` + due + `)`
	var out []listBranch
	if !f.IncomingTransfers {
		b := listBranch{from: ` FROM cases c` + where(ow), args: append(append([]any{}, oargs...), args...)}
		b.walk, b.walkArgs = ` FROM cases c`+where(owWalk), b.args
		if due != "" {
			b.walk, b.walkArgs = ` FROM cases c`+where(owWalk, exists), append(append(append([]any{}, oargs...), dueArgs...), args...)
			drv := `(SELECT DISTINCT d.case_id AS id FROM case_deadlines d WHERE ` + dueOwned + `)`
			if len(conds) == 0 {
				// d.org_id is the owner: the index alone answers.
				b.from, b.args = ` FROM `+drv+` c WHERE 1=1`, append([]any{}, dueOwnedArgs...)
			} else {
				b.from, b.args = ` FROM `+drv+` x JOIN cases c ON c.id = x.id`+where(ow), append(append([]any{}, dueOwnedArgs...), b.args...)
			}
		}
		out = append(out, b)
	}
	// Offered cases are few (a partial index finds them): test each.
	offered, offArgs := "c.transfer_org_id IS NOT NULL AND "+tw+" AND NOT ("+ow+")", append(append([]any{}, targs...), oargs...)
	if f.IncomingTransfers {
		offered, offArgs = "c.transfer_org_id IS NOT NULL AND "+tw, targs
	}
	if due == "" {
		return append(out, listBranch{from: ` FROM cases c` + where(offered), args: append(offArgs, args...)}), nil
	}
	return append(out, listBranch{from: ` FROM cases c` + where(offered, exists), args: append(append(offArgs, dueArgs...), args...)}), nil
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
