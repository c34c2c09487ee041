package portal

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/mediation"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

// An application registers its parties, the case and the tracking code
// in one transaction: when the case cannot be inserted after the parties
// were created, nothing of it stays.
func TestApplyIsOneTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		// The number the office's next case would get is already taken
		// (a row entered outside the sequence).
		year := time.Now().In(web.Shanghai).Year()
		taken := "（" + strconv.Itoa(year) + "）川1902001民调字第0001号"
		if _, err := db.Exec(ctx, `INSERT INTO cases (type, org_id, number, year, seq, title, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)`, mediation.CaseType, s.office.ID, taken, year, "旧台账案件", mediation.StateClosed,
			time.Now(), time.Now()); err != nil {
			t.Fatal(err)
		}
		want(t, s.do("POST", "/p/mediation/apply", s.form()), 500, "系统繁忙")
		for q, n := range map[string]int{
			`SELECT count(*) FROM persons`:         0,
			`SELECT count(*) FROM cases`:           1,
			`SELECT count(*) FROM med_cases`:       0,
			`SELECT count(*) FROM portal_tracking`: 0,
			`SELECT count(*) FROM case_sequences`:  0,
			`SELECT count(*) FROM search_docs`:     0,
		} {
			if got := s.count(q); got != n {
				t.Errorf("after a failed application %s = %d, want %d", q, got, n)
			}
		}
		if _, err := db.Exec(ctx, `UPDATE cases SET number = ? WHERE number = ?`, "旧台账第1号", taken); err != nil {
			t.Fatal(err)
		}
		_, b := s.apply(s.form())
		if !strings.Contains(b, taken) || s.count(`SELECT count(*) FROM persons`) != 2 || s.count(`SELECT count(*) FROM portal_tracking`) != 1 {
			t.Fatalf("the same application once the number is free: %d persons, %d codes",
				s.count(`SELECT count(*) FROM persons`), s.count(`SELECT count(*) FROM portal_tracking`))
		}
	})
}
