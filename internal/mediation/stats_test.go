package mediation

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// statFix is one fixture case written straight into cases/med_cases: the
// statistics read only these columns.
type statFix struct {
	org              org.Org
	state            string
	accepted, agreed string
	closedAt         time.Time
	dtype, source    string
	agreedFen        int64
	people           int
	crime, group     bool
}

func addStatCase(t *testing.T, db *store.DB, n int, f statFix) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var closed any
		if !f.closedAt.IsZero() {
			closed = f.closedAt
		}
		var err error
		id, err = store.InsertID(ctx, tx, `INSERT INTO cases (type, org_id, number, year, seq, title, state, created_at, updated_at, closed_at)
			VALUES (?, ?, ?, 2025, ?, ?, ?, ?, ?, ?) RETURNING id`, CaseType, f.org.ID, fmt.Sprintf("T%04d", n), n, "统计测试案件",
			f.state, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Now().UTC(), closed)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO med_cases (case_id, source, dispute_type, summary, accepted_on, agreed_on, agreed_amount,
			people_count, risk_crime, risk_group) VALUES (?, ?, ?, '测试', ?, ?, ?, ?, ?, ?)`, id, f.source, f.dtype, f.accepted, f.agreed,
			f.agreedFen, f.people, f.crime, f.group)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// statFixture: cases across two counties, February to April 2025.
func statFixture(t *testing.T, w *world) {
	cst := func(y, m, d, h, mi int) time.Time { return time.Date(y, time.Month(m), d, h, mi, 0, 0, time.UTC) }
	for i, f := range []statFix{
		{org: w.committeeA, state: StateSucceeded, accepted: "2025-03-05", agreed: "2025-03-20", dtype: "neighbour", source: "application",
			agreedFen: 100000, people: 3, crime: true},
		// Closed 23:30 Shanghai on 1 April: an April failure.
		{org: w.committeeV, state: StateFailed, accepted: "2025-03-31", closedAt: cst(2025, 4, 1, 15, 30), dtype: "contract", source: "court"},
		{org: w.officeA, state: StatePerformed, accepted: "2025-02-28", agreed: "2025-03-01", dtype: "neighbour", source: "screening",
			agreedFen: 50000, people: 10, group: true},
		{org: w.officeB, state: StateClosed, accepted: "2025-03-10", agreed: "2025-03-15", dtype: "labour", source: "police",
			agreedFen: 20000, people: 2, crime: true, group: true},
		// 00:30 Shanghai on 1 April (16:30 UTC on 31 March): April.
		{org: w.officeB, state: StateFailed, accepted: "2025-03-02", closedAt: cst(2025, 3, 31, 16, 30), dtype: "labour", source: "police"},
		// Registered only: counts nowhere.
		{org: w.countyA, state: StateRegistered, dtype: "other", source: "application"},
		// 23:59 Shanghai on 31 March: March.
		{org: w.officeA, state: StateFailed, accepted: "2025-03-03", closedAt: cst(2025, 3, 31, 15, 59), dtype: "neighbour", source: "application"},
		// Mediating with an agreement date typed but not successful: not a success.
		{org: w.officeA, state: StateMediating, accepted: "2025-01-10", agreed: "2025-03-09", dtype: "neighbour", source: "application", agreedFen: 999},
	} {
		addStatCase(t, w.db, i+1, f)
	}
	if err := RefreshStats(w.ctx, w.db, "2025-01-01", "2025-12-31"); err != nil {
		t.Fatal(err)
	}
}

func month(t *testing.T, v string) Period {
	p, err := ParsePeriod("month", v, "", "")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func rowsByName(rep *Report) map[string]Figures {
	out := map[string]Figures{}
	for _, r := range rep.Rows {
		out[r.Name] = r.Fig
	}
	return out
}

// DOMAIN.md 人民调解 "Report figures": accepted, successful, success rate,
// amount in agreements, 防止民转刑 and 防止群体性上访 (cases, people); per
// office rolled up to county and city ("Reporting upward").
func TestStatsFiguresRollUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		statFixture(t, w)
		ctx := context.Background()
		officeA := Figures{Accepted: 3, Succeeded: 2, Failed: 1, AmountFen: 150000, CrimeCases: 1, CrimePeople: 3, GroupCases: 1, GroupPeople: 10}
		officeB := Figures{Accepted: 2, Succeeded: 1, Failed: 0, AmountFen: 20000, CrimeCases: 1, CrimePeople: 2, GroupCases: 1, GroupPeople: 2}
		total := Figures{Accepted: 5, Succeeded: 3, Failed: 1, AmountFen: 170000, CrimeCases: 2, CrimePeople: 5, GroupCases: 2, GroupPeople: 12}
		for _, c := range []struct {
			level string
			want  map[string]Figures
		}{
			{"office", map[string]Figures{w.officeA.Name: officeA, w.officeB.Name: officeB}},
			{"county", map[string]Figures{w.countyA.Name: officeA, w.countyB.Name: officeB}},
			{"city", map[string]Figures{w.city.Name: total}},
		} {
			rep, err := w.st.Stats(ctx, w.scCity, StatsQuery{Period: month(t, "2025-03"), Level: c.level})
			if err != nil {
				t.Fatal(err)
			}
			if got := rowsByName(rep); !reflect.DeepEqual(got, c.want) {
				t.Errorf("%s: got %+v\nwant %+v", c.level, got, c.want)
			}
			if rep.Total != total {
				t.Errorf("%s total %+v, want %+v", c.level, rep.Total, total)
			}
		}
		rep, _ := w.st.Stats(ctx, w.scCity, StatsQuery{Period: month(t, "2025-03"), Level: "office"})
		if got := rep.Total.RateText(); got != "75.0%" {
			t.Errorf("rate %s, want 75.0%% (3 of 4 closed)", got)
		}
		if r := rowsByName(rep)[w.officeA.Name]; r.RateText() != "66.7%" {
			t.Errorf("office A rate %s", r.RateText())
		}
		// By type and source.
		for _, r := range rep.ByType {
			want := map[string]int64{"neighbour": 2, "labour": 1}[r.Key]
			if r.Fig.Succeeded != want {
				t.Errorf("type %s succeeded %d, want %d", r.Key, r.Fig.Succeeded, want)
			}
		}
		for _, r := range rep.BySource {
			want := map[string]int64{"application": 2, "court": 1, "police": 2}[r.Key]
			if r.Fig.Accepted != want {
				t.Errorf("source %s accepted %d, want %d", r.Key, r.Fig.Accepted, want)
			}
		}
		// April: the two failures closed after midnight Shanghai time.
		apr, err := w.st.Stats(ctx, w.scCity, StatsQuery{Period: month(t, "2025-04"), Level: "city"})
		if err != nil {
			t.Fatal(err)
		}
		if apr.Total != (Figures{Failed: 2}) {
			t.Errorf("April %+v", apr.Total)
		}
		// Quarter: acceptance in February counts too.
		q, _ := ParsePeriod("quarter", "2025-Q1", "", "")
		q1, err := w.st.Stats(ctx, w.scCity, StatsQuery{Period: q, Level: "city"})
		if err != nil {
			t.Fatal(err)
		}
		if q1.Total.Accepted != 7 || q1.Total.Succeeded != 3 || len(q1.Months) != 3 || q1.Months[1].Fig.Accepted != 1 {
			t.Errorf("Q1 %+v months %+v", q1.Total, q1.Months)
		}
		// Scope: county B sees only its office, and no subtree outside it.
		b, err := w.st.Stats(ctx, w.scB, StatsQuery{Period: month(t, "2025-03"), Level: "office"})
		if err != nil {
			t.Fatal(err)
		}
		if got := rowsByName(b); !reflect.DeepEqual(got, map[string]Figures{w.officeB.Name: officeB}) {
			t.Errorf("county B sees %+v", got)
		}
		if _, err := w.st.Stats(ctx, w.scB, StatsQuery{Period: month(t, "2025-03"), Level: "office", Under: w.officeA.ID}); err == nil {
			t.Error("county B read office A's subtree")
		}
		// Every figure equals the records it links to.
		for _, c := range []struct {
			m     string
			under int64
			want  int64
		}{{MeasureAccepted, w.officeA.ID, 3}, {MeasureSucceeded, 0, 3}, {MeasureFailed, 0, 1}, {MeasureCrime, 0, 2}, {MeasureGroup, w.officeB.ID, 1}} {
			_, n, err := w.st.StatCases(ctx, w.scCity, StatCasesQuery{Measure: c.m, Period: month(t, "2025-03"), Under: c.under})
			if err != nil || int64(n) != c.want {
				t.Errorf("%s under %d: %d records (%v), want %d", c.m, c.under, n, err, c.want)
			}
		}
		_, n, _ := w.st.StatCases(ctx, w.scB, StatCasesQuery{Measure: MeasureAccepted, Period: month(t, "2025-03")})
		if n != 2 {
			t.Errorf("county B drill-down %d, want 2", n)
		}
	})
}

func statsSnapshot(t *testing.T, db *store.DB) []string {
	rows, err := db.Read().Query(context.Background(), `SELECT org_id, day, dispute_type, source, accepted, succeeded, failed, amount_fen,
		crime_cases, crime_people, group_cases, group_people FROM med_stats_daily ORDER BY day, org_id, dispute_type, source`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v [12]any
		var s [4]string
		var n [8]int64
		v[1], v[2], v[3] = &s[1], &s[2], &s[3]
		var org int64
		v[0] = &org
		for i := range n {
			v[4+i] = &n[i]
		}
		if err := rows.Scan(v[:]...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(org, s, n))
	}
	return out
}

func TestRefreshStatsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		statFixture(t, w)
		before := statsSnapshot(t, db)
		if len(before) == 0 {
			t.Fatal("no summary rows")
		}
		// The periodic tick builds an empty summary whole.
		if _, err := db.Exec(w.ctx, `DELETE FROM med_stats_daily`); err != nil {
			t.Fatal(err)
		}
		if err := statsTick(w.ctx, db, time.Now()); err != nil {
			t.Fatal(err)
		}
		if after := statsSnapshot(t, db); !reflect.DeepEqual(before, after) {
			t.Fatalf("tick on an empty summary:\n%v\n%v", before, after)
		}
		for range 2 {
			if err := RefreshStats(w.ctx, db, "2025-01-01", "2025-12-31"); err != nil {
				t.Fatal(err)
			}
		}
		if after := statsSnapshot(t, db); !reflect.DeepEqual(before, after) {
			t.Fatalf("refresh changed the table:\n%v\n%v", before, after)
		}
		if err := RebuildStats(w.ctx, db); err != nil {
			t.Fatal(err)
		}
		if after := statsSnapshot(t, db); !reflect.DeepEqual(before, after) {
			t.Fatalf("rebuild changed the table:\n%v\n%v", before, after)
		}
		// A changed record is picked up by the changed-days refresh.
		if _, err := db.Exec(w.ctx, `UPDATE med_cases SET agreed_amount = 1 WHERE agreed_on = '2025-03-15'`); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(w.ctx, `UPDATE cases SET updated_at = ? WHERE number = 'T0004'`, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if err := refreshChanged(w.ctx, db, time.Now().Add(-time.Minute)); err != nil {
			t.Fatal(err)
		}
		rep, err := w.st.Stats(w.ctx, w.scB, StatsQuery{Period: month(t, "2025-03"), Level: "county"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Total.AmountFen != 1 {
			t.Errorf("amount after change %d, want 1", rep.Total.AmountFen)
		}
		if err := RefreshStats(w.ctx, db, "2025-13-01", "2025-12-31"); err == nil {
			t.Error("bad date accepted")
		}
	})
}

func TestParsePeriod(t *testing.T) {
	for _, c := range []struct{ kind, v, from, to, wantFrom, wantTo string }{
		{"month", "2024-02", "", "", "2024-02-01", "2024-02-29"},
		{"quarter", "2025-Q4", "", "", "2025-10-01", "2025-12-31"},
		{"quarter", "2025-2", "", "", "2025-04-01", "2025-06-30"},
		{"year", "2025", "", "", "2025-01-01", "2025-12-31"},
		{"custom", "", "2025-03-03", "2025-03-09", "2025-03-03", "2025-03-09"},
	} {
		p, err := ParsePeriod(c.kind, c.v, c.from, c.to)
		if err != nil || p.From != c.wantFrom || p.To != c.wantTo {
			t.Errorf("%s %s: %+v %v", c.kind, c.v, p, err)
		}
	}
	_, err := ParsePeriod("custom", "", "2025-03-09", "2025-03-01")
	wantField(t, err, "to")
	_, err = ParsePeriod("quarter", "2025-Q5", "", "")
	wantField(t, err, "quarter")
	if (Figures{}).RateText() != "—" {
		t.Error("rate without closed cases")
	}
}

func TestStatsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		statFixture(t, s.world)
		body := want(t, s.do("sec", "GET", "/mediation/stats?period=month&month=2025-03&level=office", nil), http.StatusOK,
			s.officeA.Name, "66.7%", "1500.00", "调解成功率 = 调解成功件数")
		if strings.Contains(body, s.officeB.Name) {
			t.Error("county A sees county B's office")
		}
		want(t, s.do("sec", "GET", "/mediation/stats.json?period=month&month=2025-03", nil), http.StatusOK, `"accepted":3`)
		want(t, s.do("sec", "GET", "/mediation/stats?period=month&month=2025-13", nil), http.StatusUnprocessableEntity, "月份应为")
		want(t, s.do("sec", "GET", "/mediation/stats/cases?measure=accepted&from=2025-03-01&to=2025-03-31&org="+itoa(s.officeA.ID), nil),
			http.StatusOK, "T0001", "T0002", "T0007")
		want(t, s.do("secb", "GET", "/mediation/stats/cases?measure=accepted&from=2025-03-01&to=2025-03-31&org="+itoa(s.officeA.ID), nil),
			http.StatusUnprocessableEntity)
		before := s.audits(t, "mediation.export", "med_stats")
		rec := s.do("sec", "GET", "/mediation/stats/export.xlsx?period=month&month=2025-03&level=office", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("export %d: %s", rec.Code, rec.Body.String())
		}
		rows := xlsxRows(t, rec.Body.Bytes())
		if len(rows) < 4 || rows[2][0] != s.officeA.Name || rows[2][1] != "3" || rows[3][0] != "合计" {
			t.Fatalf("export rows %v", rows)
		}
		if s.audits(t, "mediation.export", "med_stats") != before+1 {
			t.Error("export not audited")
		}
	})
}

// A case kept at the county bureau, grouped by office, is reported under
// the bureau, and its figure links to the bureau's own cases only.
func TestStatsSelfRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		addStatCase(t, db, 1, statFix{org: w.officeA, state: StateAccepted, accepted: "2025-03-12", dtype: "other", source: "application"})
		addStatCase(t, db, 2, statFix{org: w.countyA, state: StateAccepted, accepted: "2025-03-12", dtype: "other", source: "application"})
		if err := RefreshStats(w.ctx, db, "2025-03-01", "2025-03-31"); err != nil {
			t.Fatal(err)
		}
		rep, err := w.st.Stats(w.ctx, w.scA, StatsQuery{Period: month(t, "2025-03"), Level: "office"})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Rows) != 2 {
			t.Fatalf("rows %+v", rep.Rows)
		}
		for _, r := range rep.Rows {
			self := r.Key == itoa(w.countyA.ID)+".self"
			if (r.Name == w.countyA.Name) != self || r.Fig.Accepted != 1 {
				t.Errorf("row %+v", r)
			}
			_, n, err := w.st.StatCases(w.ctx, w.scA, StatCasesQuery{Measure: MeasureAccepted, Period: month(t, "2025-03"), Under: r.Org, OnlyOrg: self})
			if err != nil || n != 1 {
				t.Errorf("drill-down of %s: %d %v", r.Name, n, err)
			}
		}
	})
}
