package mediation

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// BenchmarkStatsProvinceMonth: a province's monthly statistics by city over
// generated cases (FENGQIAO_STATS_BENCH_N, default 100000) on SQLite:
// 5 cities, 25 counties, 250 offices, cases over 2023–2025.
// "past" reads a closed month; "current" includes today's read-time refresh.
func BenchmarkStatsProvinceMonth(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("FENGQIAO_STATS_BENCH_N")); err == nil && v > 0 {
		n = v
	}
	db := storetest.Open(b, store.SQLite)
	ctx := context.Background()
	orgs := &org.Store{DB: db}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			b.Fatal(err)
		}
		return o
	}
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	var offices []int64
	for c := 1; c <= 5; c++ {
		city := mk(prov.ID, org.City, fmt.Sprintf("第%d市司法局", c), fmt.Sprintf("51%02d00", c))
		for k := 1; k <= 5; k++ {
			county := mk(city.ID, org.County, fmt.Sprintf("第%d市第%d县司法局", c, k), fmt.Sprintf("51%02d%02d", c, k))
			for f := 1; f <= 10; f++ {
				o := mk(county.ID, org.Office, fmt.Sprintf("第%d-%d-%d司法所", c, k, f), fmt.Sprintf("51%02d%02d%03d", c, k, f))
				offices = append(offices, o.ID)
			}
		}
	}
	start := time.Now()
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
	const batch = 80
	for done := 0; done < n; {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			for k := 0; k < 50 && done < n; k++ {
				m := min(batch, n-done)
				var cs, ms []any
				for i := 0; i < m; i++ {
					id := int64(done + i + 1)
					acc := base.AddDate(0, 0, rng.IntN(3*365))
					state, agreed := StateMediating, ""
					var closed any
					switch r := rng.IntN(10); {
					case r < 6:
						state, agreed = []string{StateSucceeded, StatePerformed, StateClosed}[r%3], acc.AddDate(0, 0, rng.IntN(30)).Format(time.DateOnly)
					case r < 8:
						state, closed = StateFailed, acc.Add(time.Duration(rng.IntN(30*24))*time.Hour)
					}
					cs = append(cs, id, CaseType, offices[rng.IntN(len(offices))], "B"+strconv.FormatInt(id, 10), 2025, id, "案件", state, acc, acc, closed)
					ms = append(ms, id, CaseSources[rng.IntN(len(CaseSources))].Code, DisputeTypes[rng.IntN(len(DisputeTypes))].Code, "s",
						acc.Format(time.DateOnly), agreed, rng.Int64N(1000000), rng.IntN(20), rng.IntN(20) == 0, rng.IntN(30) == 0)
				}
				if _, err := tx.Exec(ctx, `INSERT INTO cases (id, type, org_id, number, year, seq, title, state, created_at, updated_at, closed_at) VALUES `+
					strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?),", m), ","), cs...); err != nil {
					return err
				}
				if _, err := tx.Exec(ctx, `INSERT INTO med_cases (case_id, source, dispute_type, summary, accepted_on, agreed_on, agreed_amount,
					people_count, risk_crime, risk_group) VALUES `+strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?),", m), ","), ms...); err != nil {
					return err
				}
				done += m
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	gen := time.Since(start)
	start = time.Now()
	if err := RebuildStats(ctx, db); err != nil {
		b.Fatal(err)
	}
	var rows int
	_ = db.Read().QueryRow(ctx, `SELECT count(*) FROM med_stats_daily`).Scan(&rows)
	b.Logf("N=%d cases generated in %s; full rebuild %s; %d summary rows", n, gen.Round(time.Millisecond), time.Since(start).Round(time.Millisecond), rows)
	// Log the refresh plans: each measure must seek by its date index.
	for _, m := range []string{MeasureAccepted, MeasureSucceeded, MeasureFailed} {
		w, args, _ := measureCond(m, "2025-03-20", "2025-03-20")
		rows, err := db.Read().Query(ctx, `EXPLAIN QUERY PLAN SELECT c.org_id FROM cases c JOIN med_cases m ON m.case_id = c.id WHERE c.type || '' = ? AND `+w, append([]any{CaseType}, args...)...)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var a, bb, c int
			var d string
			_ = rows.Scan(&a, &bb, &c, &d)
			b.Logf("%s: %s", m, d)
		}
		rows.Close()
	}
	sc, err := orgs.ScopeOf(ctx, prov.ID)
	if err != nil {
		b.Fatal(err)
	}
	st := &Store{DB: db}
	p, _ := ParsePeriod("month", "2025-03", "", "")
	b.Run("past", func(b *testing.B) {
		for b.Loop() {
			rep, err := st.Stats(ctx, sc, StatsQuery{Period: p, Level: "city"})
			if err != nil || len(rep.Rows) != 5 || rep.Total.Accepted == 0 {
				b.Fatalf("%v %+v", err, rep)
			}
		}
	})
	b.Run("current", func(b *testing.B) {
		old := Clock
		Clock = func() time.Time { return time.Date(2025, 3, 20, 4, 0, 0, 0, time.UTC) }
		defer func() { Clock = old }()
		for b.Loop() {
			if _, err := st.Stats(ctx, sc, StatsQuery{Period: p, Level: "office"}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
