package mediation

// Statistics of people's mediation (DOMAIN.md 人民调解 "Report figures" and
// "Reporting upward"): every definition of a reported figure lives in this
// file, and both the summary table and the drill-down lists use the same
// record conditions (measureCond), so a figure always equals the number of
// records it links to.
//
// Freshness: med_stats_daily is recomputed from med_cases by RefreshStats.
// The job ScheduleStats registers recomputes, every few minutes, the last
// three days and the days of every case changed since the previous tick;
// once a day it rebuilds everything (catching an old date that a case no
// longer carries). The page recomputes today at read time, so today's
// figures are exact; earlier days lag at most one tick.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/jobs"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// Measures: the record sets behind the figures.
const (
	// MeasureAccepted: cases whose acceptance date (受理日期, accepted_on)
	// falls in the period [DOMAIN.md: "accepted"].
	MeasureAccepted = "accepted"
	// MeasureSucceeded: cases in a successful state (调解成功, 履行完毕,
	// 已回访结案) whose agreement date (agreed_on, the day mediation closed
	// with an agreement) falls in the period [DOMAIN.md: "successful"].
	MeasureSucceeded = "succeeded"
	// MeasureFailed: cases terminated (调解终止) whose closing time, as a
	// Shanghai calendar day, falls in the period.
	MeasureFailed = "failed"
	// MeasureCrime: successful cases flagged risk_crime [DOMAIN.md: 防止民转刑].
	MeasureCrime = "crime"
	// MeasureGroup: successful cases flagged risk_group [DOMAIN.md: 防止群体性上访].
	MeasureGroup = "group"
)

// Measures lists the measures with their Chinese names.
var Measures = []Choice{
	{MeasureAccepted, "受理"}, {MeasureSucceeded, "调解成功"}, {MeasureFailed, "调解不成(终止)"},
	{MeasureCrime, "防止民转刑"}, {MeasureGroup, "防止群体性上访"},
}

// successStates are the states of a case that mediation closed with an agreement.
var successStates = []string{StateSucceeded, StatePerformed, StateClosed}

// RateDefinition is shown on the page and in the export.
const RateDefinition = "调解成功率 = 调解成功件数 ÷ 调结件数(调解成功 + 调解终止)；受理按受理日期、成功按协议日期、终止按终止日期(北京时间)计入统计期"

// Figures are the reported numbers of one row.
type Figures struct {
	Accepted    int64
	Succeeded   int64
	Failed      int64
	AmountFen   int64 // sum of agreed amounts of successful cases
	CrimeCases  int64 // 防止民转刑: successful cases flagged risk_crime
	CrimePeople int64 // their people_count
	GroupCases  int64 // 防止群体性上访: successful cases flagged risk_group
	GroupPeople int64
}

func (f *Figures) add(g Figures) {
	f.Accepted += g.Accepted
	f.Succeeded += g.Succeeded
	f.Failed += g.Failed
	f.AmountFen += g.AmountFen
	f.CrimeCases += g.CrimeCases
	f.CrimePeople += g.CrimePeople
	f.GroupCases += g.GroupCases
	f.GroupPeople += g.GroupPeople
}

// Closed is the number of mediations concluded (调结): succeeded + failed.
func (f Figures) Closed() int64 { return f.Succeeded + f.Failed }

// SuccessRate is successful ÷ closed; ok is false when nothing closed.
func (f Figures) SuccessRate() (rate float64, ok bool) {
	if f.Closed() == 0 {
		return 0, false
	}
	return float64(f.Succeeded) / float64(f.Closed()), true
}

// RateText is the rate as a percentage with one decimal, "—" when nothing closed.
func (f Figures) RateText() string {
	r, ok := f.SuccessRate()
	if !ok {
		return "—"
	}
	return strconv.FormatFloat(r*100, 'f', 1, 64) + "%"
}

// Amount is the agreed amount in yuan with two decimals (a report shows 0.00, not a blank).
func (f Figures) Amount() string { return fmt.Sprintf("%d.%02d", f.AmountFen/100, f.AmountFen%100) }

// Period is a closed range of Shanghai calendar days.
type Period struct {
	Kind     string // month | quarter | year | custom
	Value    string // 2026-03, 2026-Q1, 2026; "" for custom
	From, To string // YYYY-MM-DD, inclusive
}

// Label names the period for titles.
func (p Period) Label() string {
	switch p.Kind {
	case "month":
		return p.Value[:4] + "年" + strings.TrimPrefix(p.Value[5:], "0") + "月"
	case "quarter":
		return p.Value[:4] + "年第" + p.Value[6:] + "季度"
	case "year":
		return p.Value + "年"
	}
	return p.From + " 至 " + p.To
}

// PeriodKinds are the selectable period kinds.
var PeriodKinds = []Choice{{"month", "月度"}, {"quarter", "季度"}, {"year", "年度"}, {"custom", "自定义"}}

// ParsePeriod reads a period: kind month with value "2026-03", quarter
// "2026-Q1" (or "2026-1"), year "2026", or custom with from and to.
func ParsePeriod(kind, value, from, to string) (Period, error) {
	p := Period{Kind: kind, Value: strings.TrimSpace(value)}
	switch kind {
	case "month":
		t, err := time.Parse("2006-01", p.Value)
		if err != nil {
			return p, fe("month", "月份应为YYYY-MM格式")
		}
		p.From, p.To = t.Format(time.DateOnly), t.AddDate(0, 1, -1).Format(time.DateOnly)
	case "quarter":
		y, q, ok := strings.Cut(strings.ToUpper(p.Value), "-")
		q = strings.TrimPrefix(q, "Q")
		yi, err1 := strconv.Atoi(y)
		qi, err2 := strconv.Atoi(q)
		if !ok || err1 != nil || err2 != nil || qi < 1 || qi > 4 || yi < 1949 || yi > 9999 {
			return p, fe("quarter", "季度应为YYYY-Qn格式(n为1至4)")
		}
		t := time.Date(yi, time.Month(3*qi-2), 1, 0, 0, 0, 0, time.UTC)
		p.Value = fmt.Sprintf("%04d-Q%d", yi, qi)
		p.From, p.To = t.Format(time.DateOnly), t.AddDate(0, 3, -1).Format(time.DateOnly)
	case "year":
		t, err := time.Parse("2006", p.Value)
		if err != nil || t.Year() < 1949 {
			return p, fe("year", "年度应为四位年份")
		}
		p.From, p.To = t.Format(time.DateOnly), t.AddDate(1, 0, -1).Format(time.DateOnly)
	case "custom":
		p.Value = ""
		if err := checkDate("from", "起始日期", from, true, false); err != nil {
			return p, err
		}
		if err := checkDate("to", "截止日期", to, true, false); err != nil {
			return p, err
		}
		if to < from {
			return p, fe("to", "截止日期不能早于起始日期")
		}
		p.From, p.To = from, to
	default:
		return p, fe("period", "统计期类型无效")
	}
	return p, nil
}

// dayStartUTC is the instant a Shanghai calendar day begins.
func dayStartUTC(day string) time.Time {
	t, _ := time.ParseInLocation(time.DateOnly, day, web.Shanghai)
	return t.UTC()
}

// nextDay returns the day after day.
func nextDay(day string) string {
	t, _ := time.Parse(time.DateOnly, day)
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// measureCond is the one definition of each measure's record set over
// cases c JOIN med_cases m, for days from..to (inclusive).
func measureCond(measure, from, to string) (string, []any, error) {
	in := "c.state IN (" + store.InList(len(successStates)) + ")"
	succ := []any{}
	for _, s := range successStates {
		succ = append(succ, s)
	}
	switch measure {
	case MeasureAccepted:
		return "m.accepted_on >= ? AND m.accepted_on <= ? AND m.accepted_on <> ''", []any{from, to}, nil
	case MeasureSucceeded:
		return in + " AND m.agreed_on >= ? AND m.agreed_on <= ?", append(succ, from, to), nil
	case MeasureCrime:
		return in + " AND m.agreed_on >= ? AND m.agreed_on <= ? AND m.risk_crime", append(succ, from, to), nil
	case MeasureGroup:
		return in + " AND m.agreed_on >= ? AND m.agreed_on <= ? AND m.risk_group", append(succ, from, to), nil
	case MeasureFailed:
		return "c.state = ? AND c.closed_at >= ? AND c.closed_at < ?", []any{StateFailed, dayStartUTC(from), dayStartUTC(nextDay(to))}, nil
	}
	return "", nil, fe("measure", "统计指标无效")
}

type statKey struct {
	org             int64
	day, dtype, src string
}

// RefreshStats recomputes med_stats_daily for the days from..to (inclusive)
// from the records, in one transaction. Running it twice gives the same
// table (idempotent).
func RefreshStats(ctx context.Context, db *store.DB, from, to string) error {
	if err := firstErr(checkDate("from", "起始日期", from, true, false), checkDate("to", "截止日期", to, true, false)); err != nil {
		return err
	}
	return db.Tx(ctx, func(tx *store.Tx) error { return refreshTx(ctx, tx, from, to) })
}

func refreshTx(ctx context.Context, tx *store.Tx, from, to string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM med_stats_daily WHERE day >= ? AND day <= ?`, from, to); err != nil {
		return err
	}
	agg := map[statKey]*Figures{}
	get := func(k statKey) *Figures {
		f := agg[k]
		if f == nil {
			f = &Figures{}
			agg[k] = f
		}
		return f
	}
	// "c.type || ''" keeps the planner off the type index (every case has
	// the type): the date indexes select the few rows of the range.
	base := ` FROM cases c JOIN med_cases m ON m.case_id = c.id WHERE c.type || '' = ? AND `
	w, args, _ := measureCond(MeasureAccepted, from, to)
	rows, err := tx.Query(ctx, `SELECT c.org_id, m.accepted_on, m.dispute_type, m.source, count(*)`+base+w+
		` GROUP BY c.org_id, m.accepted_on, m.dispute_type, m.source`, append([]any{CaseType}, args...)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k statKey
		var n int64
		if err := rows.Scan(&k.org, &k.day, &k.dtype, &k.src, &n); err != nil {
			rows.Close()
			return err
		}
		get(k).Accepted += n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	w, args, _ = measureCond(MeasureSucceeded, from, to)
	rows, err = tx.Query(ctx, `SELECT c.org_id, m.agreed_on, m.dispute_type, m.source, count(*), COALESCE(sum(m.agreed_amount), 0),
		COALESCE(sum(CASE WHEN m.risk_crime THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN m.risk_crime THEN m.people_count ELSE 0 END), 0),
		COALESCE(sum(CASE WHEN m.risk_group THEN 1 ELSE 0 END), 0), COALESCE(sum(CASE WHEN m.risk_group THEN m.people_count ELSE 0 END), 0)`+
		base+w+` GROUP BY c.org_id, m.agreed_on, m.dispute_type, m.source`, append([]any{CaseType}, args...)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k statKey
		var g Figures
		if err := rows.Scan(&k.org, &k.day, &k.dtype, &k.src, &g.Succeeded, &g.AmountFen, &g.CrimeCases, &g.CrimePeople,
			&g.GroupCases, &g.GroupPeople); err != nil {
			rows.Close()
			return err
		}
		get(k).add(g)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	// The failed day is the Shanghai date of closed_at, computed here so
	// the SQL stays the same on both engines.
	w, args, _ = measureCond(MeasureFailed, from, to)
	rows, err = tx.Query(ctx, `SELECT c.org_id, c.closed_at, m.dispute_type, m.source`+base+w, append([]any{CaseType}, args...)...)
	if err != nil {
		return err
	}
	for rows.Next() {
		var k statKey
		var closed sql.NullTime
		if err := rows.Scan(&k.org, &closed, &k.dtype, &k.src); err != nil {
			rows.Close()
			return err
		}
		k.day = closed.Time.In(web.Shanghai).Format(time.DateOnly)
		get(k).Failed++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	const cols = 12
	const batch = 80 // rows per INSERT, under SQLite's parameter limit
	pending := make([]any, 0, batch*cols)
	flush := func() error {
		n := len(pending) / cols
		if n == 0 {
			return nil
		}
		vals := strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?),", n), ",")
		_, err := tx.Exec(ctx, `INSERT INTO med_stats_daily (org_id, day, dispute_type, source, accepted, succeeded, failed,
			amount_fen, crime_cases, crime_people, group_cases, group_people) VALUES `+vals, pending...)
		pending = pending[:0]
		return err
	}
	for k, f := range agg {
		pending = append(pending, k.org, k.day, k.dtype, k.src, f.Accepted, f.Succeeded, f.Failed, f.AmountFen,
			f.CrimeCases, f.CrimePeople, f.GroupCases, f.GroupPeople)
		if len(pending) == batch*cols {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// RebuildStats recomputes every day that any case counts on, month by
// month (short write transactions), up to today.
func RebuildStats(ctx context.Context, db *store.DB) error {
	var first sql.NullString
	if err := db.Read().QueryRow(ctx, `SELECT min(d) FROM (
		SELECT min(accepted_on) AS d FROM med_cases WHERE accepted_on <> ''
		UNION ALL SELECT min(agreed_on) FROM med_cases WHERE agreed_on <> ''
		UNION ALL SELECT min(day) FROM med_stats_daily) x`).Scan(&first); err != nil {
		return err
	}
	// ORDER BY, not min(): an aggregate loses the column type SQLite needs to scan a time.
	var firstClosed sql.NullTime
	err := db.Read().QueryRow(ctx, `SELECT closed_at FROM cases WHERE type = ? AND state = ? AND closed_at IS NOT NULL
		ORDER BY closed_at LIMIT 1`, CaseType, StateFailed).Scan(&firstClosed)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	start := today()
	if first.Valid && first.String != "" && first.String < start {
		start = first.String
	}
	if firstClosed.Valid {
		if d := firstClosed.Time.In(web.Shanghai).Format(time.DateOnly); d < start {
			start = d
		}
	}
	end := today()
	t, _ := time.Parse(time.DateOnly, start[:7]+"-01")
	for t.Format(time.DateOnly) <= end {
		last := t.AddDate(0, 1, -1).Format(time.DateOnly)
		if err := RefreshStats(ctx, db, t.Format(time.DateOnly), last); err != nil {
			return err
		}
		t = t.AddDate(0, 1, 0)
	}
	return nil
}

// refreshChanged recomputes the last three days and the current dates of
// the cases changed since since.
func refreshChanged(ctx context.Context, db *store.DB, since time.Time) error {
	days := map[string]bool{}
	t := Clock().In(web.Shanghai)
	for i := 0; i < 3; i++ {
		days[t.AddDate(0, 0, -i).Format(time.DateOnly)] = true
	}
	rows, err := db.Read().Query(ctx, `SELECT m.accepted_on, m.agreed_on, c.closed_at FROM cases c JOIN med_cases m ON m.case_id = c.id
		WHERE c.type = ? AND c.updated_at >= ?`, CaseType, since)
	if err != nil {
		return err
	}
	for rows.Next() {
		var acc, agr string
		var closed sql.NullTime
		if err := rows.Scan(&acc, &agr, &closed); err != nil {
			rows.Close()
			return err
		}
		for _, d := range []string{acc, agr} {
			if d != "" {
				days[d] = true
			}
		}
		if closed.Valid {
			days[closed.Time.In(web.Shanghai).Format(time.DateOnly)] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for d := range days {
		if err := RefreshStats(ctx, db, d, d); err != nil {
			return err
		}
	}
	return nil
}

// statsTick is the periodic refresh. A new installation (or one upgraded
// to statistics) starts with an empty summary: it is built whole once
// instead of waiting for the nightly rebuild.
func statsTick(ctx context.Context, db *store.DB, since time.Time) error {
	var have, cases bool
	if err := db.Read().QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM med_stats_daily), EXISTS (SELECT 1 FROM med_cases WHERE accepted_on <> '')`).
		Scan(&have, &cases); err != nil {
		return err
	}
	if !have && cases {
		return RebuildStats(ctx, db)
	}
	return refreshChanged(ctx, db, since)
}

// ScheduleStats registers the refresh on the job runner: every interval
// (e.g. 5 minutes) the recent and changed days, once a day a full rebuild.
func ScheduleStats(r *jobs.Runner, db *store.DB, interval time.Duration) {
	r.Every("mediation.stats.refresh", interval, func(ctx context.Context, tick time.Time) error {
		// Two intervals back: a tick that ran late still overlaps the previous one.
		return statsTick(ctx, db, tick.Add(-2*interval))
	})
	r.Every("mediation.stats.rebuild", 24*time.Hour, func(ctx context.Context, _ time.Time) error {
		return RebuildStats(ctx, db)
	})
}

// Levels a report groups its rows by.
var StatLevels = []Choice{{"office", "按司法所"}, {"county", "按县(区)"}, {"city", "按市(州)"}}

// StatRow is one row of a report: a group org (or a type or source code).
type StatRow struct {
	Key    string // org id, dispute type or source code
	Name   string
	Org    int64 // the group org (0 for type/source rows)
	Fig    Figures
	ByType map[string]Figures
}

// Report is the statistics of a scope and period.
type Report struct {
	Period   Period
	Level    string
	Rows     []StatRow // per group org
	Total    Figures
	ByType   []StatRow // every dispute type, in the report order
	BySource []StatRow
	Months   []StatRow // per month of the period (Key "2026-03")
}

// StatsQuery selects a report.
type StatsQuery struct {
	Period Period
	Level  string // office | county | city
	Under  int64  // subtree root; 0 = whole scope
}

// Stats reads the report of sc for q from med_stats_daily, recomputing
// today first when the period includes it.
func (s *Store) Stats(ctx context.Context, sc org.Scope, q StatsQuery) (*Report, error) {
	if !validChoice(StatLevels, q.Level) {
		return nil, fe("level", "汇总层级无效")
	}
	if q.Period.From == "" || q.Period.To == "" {
		return nil, fe("period", "请选择统计期")
	}
	sc, err := s.narrow(ctx, sc, q.Under)
	if err != nil {
		return nil, err
	}
	if d := today(); q.Period.From <= d && d <= q.Period.To {
		if err := RefreshStats(ctx, s.DB, d, d); err != nil {
			return nil, err
		}
	}
	w, args := sc.Where("o.path")
	rows, err := s.DB.Read().Query(ctx, `SELECT s.org_id, o.path, s.dispute_type, s.source, substr(s.day, 1, 7),
		sum(s.accepted), sum(s.succeeded), sum(s.failed), sum(s.amount_fen), sum(s.crime_cases), sum(s.crime_people),
		sum(s.group_cases), sum(s.group_people)
		FROM med_stats_daily s JOIN orgs o ON o.id = s.org_id
		WHERE s.day >= ? AND s.day <= ? AND `+w+`
		GROUP BY s.org_id, o.path, s.dispute_type, s.source, substr(s.day, 1, 7)`, append([]any{q.Period.From, q.Period.To}, args...)...)
	if err != nil {
		return nil, err
	}
	type part struct {
		org        int64
		path       string
		dtype, src string
		month      string
		fig        Figures
	}
	var parts []part
	paths := map[int64]string{}
	for rows.Next() {
		var p part
		if err := rows.Scan(&p.org, &p.path, &p.dtype, &p.src, &p.month, &p.fig.Accepted, &p.fig.Succeeded, &p.fig.Failed,
			&p.fig.AmountFen, &p.fig.CrimeCases, &p.fig.CrimePeople, &p.fig.GroupCases, &p.fig.GroupPeople); err != nil {
			rows.Close()
			return nil, err
		}
		parts = append(parts, p)
		paths[p.org] = p.path
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	groups, err := s.groupOrgs(ctx, paths, q.Level)
	if err != nil {
		return nil, err
	}
	rep := &Report{Period: q.Period, Level: q.Level}
	byOrg := map[int64]*StatRow{}
	byType := map[string]*Figures{}
	bySrc := map[string]*Figures{}
	byMonth := map[string]*Figures{}
	for _, p := range parts {
		g := groups[p.org]
		r := byOrg[g.ID]
		if r == nil {
			r = &StatRow{Key: itoa(g.ID), Name: g.Name, Org: g.ID, ByType: map[string]Figures{}}
			if g.Self {
				// Only the org's own cases: its subtree has rows of its own.
				r.Key += ".self"
			}
			byOrg[g.ID] = r
		}
		r.Fig.add(p.fig)
		t := r.ByType[p.dtype]
		t.add(p.fig)
		r.ByType[p.dtype] = t
		rep.Total.add(p.fig)
		for _, m := range []struct {
			m map[string]*Figures
			k string
		}{{byType, p.dtype}, {bySrc, p.src}, {byMonth, p.month}} {
			if m.m[m.k] == nil {
				m.m[m.k] = &Figures{}
			}
			m.m[m.k].add(p.fig)
		}
	}
	order := make([]int64, 0, len(byOrg))
	for id := range byOrg {
		order = append(order, id)
	}
	// Tree order: by the group org's path.
	sortByPath(order, groups)
	for _, id := range order {
		rep.Rows = append(rep.Rows, *byOrg[id])
	}
	for _, c := range DisputeTypes {
		var f Figures
		if x := byType[c.Code]; x != nil {
			f = *x
		}
		rep.ByType = append(rep.ByType, StatRow{Key: c.Code, Name: c.Name, Fig: f})
	}
	for _, c := range CaseSources {
		var f Figures
		if x := bySrc[c.Code]; x != nil {
			f = *x
		}
		rep.BySource = append(rep.BySource, StatRow{Key: c.Code, Name: c.Name, Fig: f})
	}
	for m := q.Period.From[:7]; m <= q.Period.To[:7]; {
		var f Figures
		if x := byMonth[m]; x != nil {
			f = *x
		}
		rep.Months = append(rep.Months, StatRow{Key: m, Name: m, Fig: f})
		t, _ := time.Parse("2006-01", m)
		m = t.AddDate(0, 1, 0).Format("2006-01")
	}
	return rep, nil
}

// groupOrg is the org a row is reported under.
type groupOrg struct {
	ID   int64
	Name string
	Path string
	Self bool // not of the level's kind: stands for its own cases only
}

// groupOrgs maps each org (by its path) to its nearest ancestor-or-self of
// the level's kind; an org with none (a case kept at a county bureau when
// grouping by office) is reported under itself.
func (s *Store) groupOrgs(ctx context.Context, paths map[int64]string, level string) (map[int64]groupOrg, error) {
	kind := map[string]org.Kind{"office": org.Office, "county": org.County, "city": org.City}[level]
	ids := map[int64]bool{}
	for _, p := range paths {
		for _, id := range pathIDs(p) {
			ids[id] = true
		}
	}
	info := map[int64]groupOrg{}
	kinds := map[int64]org.Kind{}
	list := make([]any, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	for len(list) > 0 {
		n := min(len(list), 500)
		rows, err := s.DB.Read().Query(ctx, `SELECT id, name, kind, path FROM orgs WHERE id IN (`+store.InList(n)+`)`, list[:n]...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var g groupOrg
			var k string
			if err := rows.Scan(&g.ID, &g.Name, &k, &g.Path); err != nil {
				rows.Close()
				return nil, err
			}
			info[g.ID], kinds[g.ID] = g, org.Kind(k)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
		list = list[n:]
	}
	out := map[int64]groupOrg{}
	for id, p := range paths {
		g := info[id]
		g.Self = true
		for _, a := range reversed(pathIDs(p)) {
			if kinds[a] == kind {
				g = info[a]
				break
			}
		}
		out[id] = g
	}
	return out, nil
}

func sortByPath(ids []int64, groups map[int64]groupOrg) {
	path := map[int64]string{}
	for _, g := range groups {
		path[g.ID] = g.Path
	}
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && path[ids[j]] < path[ids[j-1]]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// StatCasesQuery selects the records behind one figure.
type StatCasesQuery struct {
	Measure     string
	Period      Period
	Under       int64 // the group org (its subtree); 0 = whole scope
	OnlyOrg     bool  // Under's own cases, not its subtree's
	DisputeType string
	Source      string
	Limit       int
	Offset      int
}

// StatCases lists the cases behind a figure (same conditions as
// RefreshStats), with the total; the total equals the figure.
func (s *Store) StatCases(ctx context.Context, sc org.Scope, q StatCasesQuery) ([]*Case, int, error) {
	sc, err := s.narrow(ctx, sc, q.Under)
	if err != nil {
		return nil, 0, err
	}
	mc, margs, err := measureCond(q.Measure, q.Period.From, q.Period.To)
	if err != nil {
		return nil, 0, err
	}
	w, args := sc.Where("o.path")
	conds := []string{w, "c.type || '' = ?", mc} // as in refreshTx: the date indexes, not the type index
	args = append(append(args, CaseType), margs...)
	if q.OnlyOrg && q.Under != 0 {
		conds, args = append(conds, "c.org_id = ?"), append(args, q.Under)
	}
	if q.DisputeType != "" {
		conds, args = append(conds, "m.dispute_type = ?"), append(args, q.DisputeType)
	}
	if q.Source != "" {
		conds, args = append(conds, "m.source = ?"), append(args, q.Source)
	}
	from := ` FROM cases c JOIN med_cases m ON m.case_id = c.id JOIN orgs o ON o.id = c.org_id LEFT JOIN users u ON u.id = c.handler_user_id
		WHERE ` + strings.Join(conds, " AND ")
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if q.Limit <= 0 || q.Limit > 500 {
		q.Limit = 50
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT c.id, c.type, c.org_id, o.name, o.path, c.number, c.title, c.state,
		COALESCE(c.handler_user_id, 0), COALESCE(u.display_name, ''), c.created_at, c.closed_at, c.version, `+medCols+from+
		` ORDER BY c.id DESC LIMIT ? OFFSET ?`, append(args, q.Limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []*Case
	for rows.Next() {
		c := &Case{}
		var closed sql.NullTime
		var agreement string
		dest := append([]any{&c.ID, &c.Type, &c.OrgID, &c.OrgName, &c.OrgPath, &c.Number, &c.Title, &c.State, &c.HandlerUserID,
			&c.HandlerName, &c.CreatedAt, &closed, &c.Version}, c.medDest(&agreement)...)
		if err := rows.Scan(dest...); err != nil {
			return nil, 0, err
		}
		if closed.Valid {
			c.ClosedAt = closed.Time
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}
