package casework

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// benchCases is how many cases the benchmarks generate
// (FENGQIAO_BENCH_CASES, default 100 000).
func benchCases(b *testing.B) int {
	if v := os.Getenv("FENGQIAO_BENCH_CASES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("FENGQIAO_BENCH_CASES=%q", v)
		}
		return n
	}
	return 100_000
}

// benchWorld is a province of 2 cities × 5 counties × 10 offices with one
// handler per office and n cases spread evenly over the offices.
type benchWorld struct {
	s        *Store
	province org.Org
	county   org.Org
	office   org.Org
	handler  int64
}

// benchNow is the generated world's clock.
var benchNow = time.Date(2026, 6, 1, 10, 0, 0, 0, shanghai)

// generate bulk-inserts n cases, each with one deadline: 30 % closed (met),
// the rest running with due moments spread from 60 days ago to 60 days ahead.
func generate(b testing.TB, db *store.DB, n int) *benchWorld {
	ctx := context.Background()
	ost := &org.Store{DB: db}
	mk := func(parent int64, kind org.Kind, name, code string) org.Org {
		o, err := ost.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: kind, Name: name, DivisionCode: code})
		if err != nil {
			b.Fatal(err)
		}
		return o
	}
	now := benchNow
	w := &benchWorld{s: &Store{DB: db, Now: func() time.Time { return now }}}
	w.province = mk(0, org.Province, "省", "510000")
	type office struct{ id, user int64 }
	var offices []office
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for ci := 1; ci <= 2; ci++ {
			city, err := ost.CreateTx(ctx, tx, org.System(), org.Input{ParentID: w.province.ID, Kind: org.City, Name: fmt.Sprintf("市%d", ci), DivisionCode: fmt.Sprintf("51%02d00", ci)})
			if err != nil {
				return err
			}
			for k := 1; k <= 5; k++ {
				code := fmt.Sprintf("51%02d%02d", ci, k)
				county, err := ost.CreateTx(ctx, tx, org.System(), org.Input{ParentID: city.ID, Kind: org.County, Name: "县" + code, DivisionCode: code})
				if err != nil {
					return err
				}
				if w.county.ID == 0 {
					w.county = county
				}
				for f := 1; f <= 10; f++ {
					off, err := ost.CreateTx(ctx, tx, org.System(), org.Input{ParentID: county.ID, Kind: org.Office, Name: fmt.Sprintf("所%s%03d", code, f), DivisionCode: fmt.Sprintf("%s%03d", code, f)})
					if err != nil {
						return err
					}
					uid, err := store.InsertID(ctx, tx, `INSERT INTO users (username, display_name, org_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
						fmt.Sprintf("u%s%03d", code, f), "承办人", off.ID, now, now)
					if err != nil {
						return err
					}
					if w.office.ID == 0 {
						w.office, w.handler = off, uid
					}
					offices = append(offices, office{off.ID, uid})
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	var indexes []string
	if db.Engine == store.SQLite {
		// The write pool is one connection, so these pragmas (which may not
		// run inside a transaction) stick to it:
		// a bigger page cache, and no fsync for throw-away data.
		for _, p := range []string{`PRAGMA cache_size = -262144`, `PRAGMA synchronous = OFF`} {
			if _, err := db.Writer().ExecContext(ctx, p); err != nil {
				b.Fatal(err)
			}
		}
		// Filling the tables first and building each index once in order is
		// several times faster than maintaining nine indexes row by row.
		indexes = dropIndexes(b, db, "cases", "case_deadlines")
	}
	const batch = 2000
	for start := 0; start < n; start += batch {
		end := min(start+batch, n)
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var cq, dq strings.Builder
			var ca, da []any
			cq.WriteString(`INSERT INTO cases (id, type, org_id, number, year, seq, title, state, handler_user_id, created_by, created_at, updated_at, closed_at) VALUES `)
			dq.WriteString(`INSERT INTO case_deadlines (case_id, org_id, code, name, state, started_at, due_at, met_at, rule_days, rule_unit, rule_source, timezone) VALUES `)
			for i := start; i < end; i++ {
				id := int64(i + 1)
				o := offices[i%len(offices)]
				created := now.Add(-time.Duration(n-i) * time.Minute)
				due := now.Add(time.Duration(i%(120*24)-60*24) * time.Hour)
				state, dstate := "working", DeadlineRunning
				var closed, met any
				if i%10 < 3 {
					state, dstate, closed, met = "closed", DeadlineMet, now, now
				}
				if i > start {
					cq.WriteString(",")
					dq.WriteString(",")
				}
				cq.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?,?)")
				ca = append(ca, id, toy, o.id, fmt.Sprintf("B%d", id), 2026, id, fmt.Sprintf("案件%d", id), state, o.user, o.user, created, created, closed)
				dq.WriteString("(?,?,?,?,?,?,?,?,?,?,?,?)")
				da = append(da, id, o.id, "handle", "办理期限", dstate, created, due, met, 10, "working_days", "bench", "Asia/Shanghai")
			}
			if _, err := tx.Exec(ctx, cq.String(), ca...); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, dq.String(), da...)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	for _, q := range indexes {
		if _, err := db.Exec(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	return w
}

// dropIndexes drops the secondary indexes of tables on SQLite and returns
// the statements that recreate them.
func dropIndexes(b testing.TB, db *store.DB, tables ...string) []string {
	ctx := context.Background()
	rows, err := db.Read().Query(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN (`+store.InList(len(tables))+`)`, anys(tables)...)
	if err != nil {
		b.Fatal(err)
	}
	var names, create []string
	for rows.Next() {
		var name, q string
		if err := rows.Scan(&name, &q); err != nil {
			b.Fatal(err)
		}
		names, create = append(names, name), append(create, q)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.Exec(ctx, `DROP INDEX `+n); err != nil {
			b.Fatal(err)
		}
	}
	return create
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// benchDB returns a generated world of n cases. On SQLite the generated
// file is kept in the temp dir keyed by n (FENGQIAO_BENCH_CACHE=0 turns
// this off), so re-runs open it in seconds; migrations added since are
// applied to the copy when it is opened. Bump the "v1" in the file name
// when generate changes.
func benchDB(b *testing.B, e store.Engine, n int) *benchWorld {
	if e != store.SQLite || os.Getenv("FENGQIAO_BENCH_CACHE") == "0" {
		return generate(b, storetest.Open(b, e), n)
	}
	ctx := context.Background()
	dir := filepath.Join(os.TempDir(), "fengqiao-bench")
	path := filepath.Join(dir, fmt.Sprintf("casework-v1-%d.db", n))
	if _, err := os.Stat(path); err != nil {
		db := storetest.Open(b, e)
		w := generate(b, db, n)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			b.Fatal(err)
		}
		tmp := path + ".tmp"
		_ = os.Remove(tmp)
		if _, err := db.Writer().ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
			b.Logf("bench cache not written: %v", err)
			return w
		}
		if err := os.Rename(tmp, path); err != nil {
			b.Fatal(err)
		}
		return w
	}
	db, err := store.Open(ctx, store.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	applied, err := db.Migrate(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if applied > 0 {
		if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
			b.Fatal(err)
		}
	}
	w := &benchWorld{s: &Store{DB: db, Now: func() time.Time { return benchNow }}}
	ost := &org.Store{DB: db}
	q := db.Read()
	get := func(kind org.Kind) org.Org {
		var id int64
		if err := q.QueryRow(ctx, `SELECT min(id) FROM orgs WHERE kind = ?`, string(kind)).Scan(&id); err != nil {
			b.Fatal(err)
		}
		o, err := ost.GetUnscoped(ctx, q, id)
		if err != nil {
			b.Fatal(err)
		}
		return o
	}
	w.province, w.county, w.office = get(org.Province), get(org.County), get(org.Office)
	if err := q.QueryRow(ctx, `SELECT id FROM users WHERE org_id = ?`, w.office.ID).Scan(&w.handler); err != nil {
		b.Fatal(err)
	}
	return w
}

// BenchmarkDueList measures the due-soon/overdue lists and the case list
// over a generated province. Run:
//
//	go test ./internal/casework -run '^$' -bench . -benchtime 200x
//	FENGQIAO_BENCH_CASES=1000000 go test ./internal/casework -run '^$' -bench . -benchtime 50x -timeout 1h
func BenchmarkDueList(b *testing.B) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			n := benchCases(b)
			t0 := time.Now()
			w := benchDB(b, e, n)
			b.Logf("%s: %d cases ready in %v", e, n, time.Since(t0).Round(time.Millisecond))
			ctx := context.Background()
			prov, county, office := org.NewScope(w.province.Path), org.NewScope(w.county.Path), org.NewScope(w.office.Path)
			run := func(name string, f func() (int, error)) {
				b.Run(name, func(b *testing.B) {
					took := make([]time.Duration, 0, b.N)
					for i := 0; i < b.N; i++ {
						t0 := time.Now()
						if _, err := f(); err != nil {
							b.Fatal(err)
						}
						took = append(took, time.Since(t0))
					}
					// The target is a median page time; ns/op is a mean.
					slices.Sort(took)
					b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "ms-median")
				})
			}
			due := func(sc org.Scope, f DueFilter) func() (int, error) {
				return func() (int, error) { items, _, err := w.s.DueList(ctx, sc, f); return len(items), err }
			}
			list := func(sc org.Scope, f Filter) func() (int, error) {
				return func() (int, error) { items, _, err := w.s.List(ctx, sc, f); return len(items), err }
			}
			run("DueList/handler", due(office, DueFilter{HandlerID: w.handler}))
			run("DueList/county", due(county, DueFilter{}))
			run("DueList/county-overdue-page10", due(county, DueFilter{Status: DueOverdue, Offset: 450}))
			run("DueList/province-today", due(prov, DueFilter{Status: DueToday}))
			run("DueList/province-overdue", due(prov, DueFilter{Status: DueOverdue}))
			run("List/office", list(office, Filter{}))
			run("List/county-state", list(county, Filter{State: "working"}))
			run("List/province", list(prov, Filter{}))
			run("List/county-overdue", list(county, Filter{Due: DueOverdue}))
			run("List/county-overdue-working", list(county, Filter{Due: DueOverdue, State: "working"}))
			run("List/county-today", list(county, Filter{Due: DueToday}))
			run("List/province-overdue", list(prov, Filter{Due: DueOverdue}))
			run("List/county-page101-offset", list(county, Filter{Offset: 5000}))
			// Keyset paging to the same page as the offset above, and the
			// exact province total a caller can still ask for.
			last, _, err := w.s.List(ctx, county, Filter{Offset: 4950})
			if err != nil || len(last) == 0 {
				b.Fatalf("page 100: %v", err)
			}
			run("List/county-page101-keyset", list(county, Filter{BeforeID: last[len(last)-1].ID}))
			run("List/province-exact-total", list(prov, Filter{ExactTotal: true}))
		})
	}
}

// TestListLargeTotals checks the capped total, ExactTotal, keyset paging
// and the due filter over a world just past TotalCap, on both engines.
func TestListLargeTotals(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 10 005 cases")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = TotalCap + 5
		w := generate(t, db, n)
		ctx := context.Background()
		prov, county := org.NewScope(w.province.Path), org.NewScope(w.county.Path)

		cs, total, err := w.s.List(ctx, prov, Filter{})
		if err != nil || total != TotalCap+1 || len(cs) != 50 || cs[0].ID != n {
			t.Fatalf("capped: total %d, %d cases, err %v", total, len(cs), err)
		}
		if _, total, err = w.s.List(ctx, prov, Filter{ExactTotal: true, Limit: 1}); err != nil || total != n {
			t.Fatalf("exact: total %d, err %v", total, err)
		}
		// Below the cap the total is exact without asking: the county owns
		// cases whose index modulo 100 is below 10.
		want := 0
		var overdue []int64 // newest first
		for i := n - 1; i >= 0; i-- {
			if i%100 >= 10 {
				continue
			}
			want++
			if i%10 >= 3 && i%(120*24) < 60*24 {
				overdue = append(overdue, int64(i+1))
			}
		}
		if _, total, err = w.s.List(ctx, county, Filter{}); err != nil || total != want {
			t.Fatalf("county: total %d want %d, err %v", total, want, err)
		}

		// Keyset pages walk the same order as offset pages.
		var viaOffset, viaKeyset []int64
		for off := 0; off < 300; off += 100 {
			cs, _, err := w.s.List(ctx, prov, Filter{Limit: 100, Offset: off})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				viaOffset = append(viaOffset, c.ID)
			}
		}
		var before int64
		for range 3 {
			cs, total, err := w.s.List(ctx, prov, Filter{Limit: 100, BeforeID: before})
			if err != nil || total != TotalCap+1 || len(cs) != 100 {
				t.Fatalf("keyset page after %d: %d cases, total %d, err %v", before, len(cs), total, err)
			}
			for _, c := range cs {
				viaKeyset = append(viaKeyset, c.ID)
			}
			before = cs[len(cs)-1].ID
		}
		if fmt.Sprint(viaOffset) != fmt.Sprint(viaKeyset) || viaKeyset[0] != n || viaKeyset[299] != n-299 {
			t.Fatalf("keyset pages differ from offset pages:\n%v\n%v", viaKeyset, viaOffset)
		}
		if _, _, err := w.s.List(ctx, prov, Filter{BeforeID: -1}); fieldOf(err) != "before_id" {
			t.Fatalf("negative before_id: %v", err)
		}

		// Due filter: every overdue case of the county, newest first, in
		// pages by offset and by keyset.
		var got []int64
		before = 0
		for {
			cs, total, err := w.s.List(ctx, county, Filter{Due: DueOverdue, Limit: 200, BeforeID: before})
			if err != nil || total != len(overdue) {
				t.Fatalf("overdue: total %d want %d, err %v", total, len(overdue), err)
			}
			if len(cs) == 0 {
				break
			}
			for _, c := range cs {
				got = append(got, c.ID)
			}
			before = cs[len(cs)-1].ID
		}
		if fmt.Sprint(got) != fmt.Sprint(overdue) {
			t.Fatalf("overdue cases:\ngot  %v\nwant %v", got, overdue)
		}
		cs, _, err = w.s.List(ctx, county, Filter{Due: DueOverdue, State: "working", Limit: 10, Offset: 10})
		if err != nil || len(cs) != 10 || cs[0].ID != overdue[10] || cs[9].ID != overdue[19] {
			t.Fatalf("overdue offset page: %d cases, err %v", len(cs), err)
		}
		if _, total, err = w.s.List(ctx, county, Filter{Due: DueOverdue, State: "closed"}); err != nil || total != 0 {
			t.Fatalf("closed overdue: total %d, err %v", total, err)
		}

		// List pages many matches by walking cases newest first and few
		// from the org or deadline index: both forms select the same cases. Offer one case to the county so the offered branch has a
		// match too.
		offer := 0 // a running overdue case of the next county's 4th office
		for i := n - 1; offer == 0; i-- {
			if i%100 == 13 && i%(120*24) < 60*24 {
				offer = i + 1
			}
		}
		if _, err := db.Exec(ctx, `UPDATE cases SET transfer_org_id = ? WHERE id = ?`, w.office.ID, offer); err != nil {
			t.Fatal(err)
		}
		if cs, total, err := w.s.List(ctx, county, Filter{Due: DueOverdue, IncomingTransfers: true}); err != nil || total != 1 || cs[0].ID != int64(offer) {
			t.Fatalf("incoming overdue: total %d, err %v", total, err)
		}
		for name, f := range map[string]Filter{
			"county overdue":   {Due: DueOverdue},
			"county soon":      {Due: DueSoon, Type: toy},
			"province today":   {Due: DueToday, State: "working"},
			"incoming overdue": {Due: DueOverdue, IncomingTransfers: true},
			"county all":       {},
			"county working":   {State: "working", Type: toy},
		} {
			sc := county
			if name == "province today" {
				sc = prov
			}
			branches, err := w.s.listPlan(sc, f)
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			for i, b := range branches {
				ids := func(from string, args []any) string {
					rows, err := db.Read().Query(ctx, `SELECT c.id`+from+` ORDER BY c.id`, args...)
					if err != nil {
						t.Fatalf("%s branch %d: %v\n%s", name, i, err, from)
					}
					defer rows.Close()
					var out []int64
					for rows.Next() {
						var id int64
						if err := rows.Scan(&id); err != nil {
							t.Fatal(err)
						}
						out = append(out, id)
					}
					matched += len(out)
					return fmt.Sprint(out)
				}
				if b.walk == "" {
					ids(b.from, b.args)
					continue
				}
				if a, b := ids(b.from, b.args), ids(b.walk, b.walkArgs); a != b {
					t.Fatalf("%s branch %d: from %s, walk %s", name, i, a, b)
				}
			}
			if matched == 0 {
				t.Fatalf("%s: nothing matched", name)
			}
		}
	})
}
