package casework

import (
	"context"
	"fmt"
	"os"
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

// generate bulk-inserts n cases, each with one deadline: 30 % closed (met),
// the rest running with due moments spread from 60 days ago to 60 days ahead.
func generate(b *testing.B, db *store.DB, n int) *benchWorld {
	ctx := context.Background()
	ost := &org.Store{DB: db}
	mk := func(parent int64, kind org.Kind, name, code string) org.Org {
		o, err := ost.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: kind, Name: name, DivisionCode: code})
		if err != nil {
			b.Fatal(err)
		}
		return o
	}
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, shanghai)
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
	if db.Engine == store.SQLite {
		// The default 2 MB page cache thrashes on nine indexes at this size;
		// the write pool is one connection, so this sticks to it.
		if _, err := db.Exec(ctx, `PRAGMA cache_size = -262144`); err != nil {
			b.Fatal(err)
		}
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
	if _, err := db.Exec(ctx, `ANALYZE`); err != nil {
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
			db := storetest.Open(b, e)
			n := benchCases(b)
			t0 := time.Now()
			w := generate(b, db, n)
			b.Logf("%s: generated %d cases in %v", e, n, time.Since(t0).Round(time.Millisecond))
			ctx := context.Background()
			prov, county, office := org.NewScope(w.province.Path), org.NewScope(w.county.Path), org.NewScope(w.office.Path)
			run := func(name string, f func() (int, error)) {
				b.Run(name, func(b *testing.B) {
					for i := 0; i < b.N; i++ {
						if _, err := f(); err != nil {
							b.Fatal(err)
						}
					}
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
		})
	}
}
