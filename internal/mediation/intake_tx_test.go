package mediation

import (
	"context"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

func (w *world) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	var n int
	if err := w.db.Read().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Intake registers the parties and the case in one transaction: a case
// that fails after its first party was created leaves no person behind.
func TestRegisterLeavesNoPersonWhenTheCaseFails(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.actor(t, "clerk", w.officeA, w.scOffice)
		persons := func() int { return w.count(t, `SELECT count(*) FROM persons`) }
		before := persons()

		// The second party is the first one again (same ID number, new in
		// this very intake): found only after the first was written.
		in := intake(w)
		in.Parties[1] = PartyInput{Role: "respondent", Name: "王秀英", IDNumber: idA}
		_, err := w.st.Register(ctx, w.scOffice, in)
		wantField(t, err, "p1_name")
		// The second party's ID number fails its check digit.
		in = intake(w)
		in.Parties[1].IDNumber = "110105194912310021"
		_, err = w.st.Register(ctx, w.scOffice, in)
		wantField(t, err, "p1_id_number")
		if n := persons(); n != before {
			t.Fatalf("failed intakes left %d persons", n-before)
		}

		// The case's number is taken (a row entered outside the sequence):
		// the kernel's insert fails after both parties were created.
		year := time.Now().In(web.Shanghai).Year()
		taken := "（" + itoa(int64(year)) + "）川1902001民调字第0001号"
		if _, err := db.Exec(context.Background(), `INSERT INTO cases (type, org_id, number, year, seq, title, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, 0, ?, ?, ?, ?)`, CaseType, w.officeA.ID, taken, year, "旧台账案件", StateClosed, time.Now(), time.Now()); err != nil {
			t.Fatal(err)
		}
		if _, err := w.st.Register(ctx, w.scOffice, intake(w)); err == nil || !strings.Contains(err.Error(), "already used") {
			t.Fatalf("number taken: %v", err)
		}
		if n := persons(); n != before {
			t.Fatalf("a case that failed to insert left %d persons", n-before)
		}
		if n := w.count(t, `SELECT count(*) FROM audit_log WHERE action = 'person.create'`); n != 0 {
			t.Fatalf("rolled-back persons audited: %d", n)
		}
		if n := w.count(t, `SELECT count(*) FROM case_sequences`); n != 0 {
			t.Fatalf("rolled-back sequences: %d", n)
		}

		// Once the number is free, the same intake goes through whole.
		if _, err := db.Exec(context.Background(), `UPDATE cases SET number = ? WHERE number = ?`, "旧台账第1号", taken); err != nil {
			t.Fatal(err)
		}
		c, err := w.st.Register(ctx, w.scOffice, intake(w))
		if err != nil {
			t.Fatal(err)
		}
		if n := persons(); n != before+2 || len(c.Parties) != 2 || c.Number != taken {
			t.Fatalf("registered: %d persons, %d parties, %s", n-before, len(c.Parties), c.Number)
		}
	})
}

// Numbers carry the division code of the nearest org that has one, never
// a committee's name; orgs sharing a code share its sequence.
func TestCaseNumbersUseTheNearestDivisionCode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.actor(t, "county", w.countyA, w.scA)
		year := itoa(int64(time.Now().In(web.Shanghai).Year()))
		reg := func(o org.Org, applicant string) string {
			t.Helper()
			in := intake(w)
			in.OrgID = o.ID
			in.Parties = []PartyInput{{Role: "applicant", Name: applicant}, {Role: "respondent", Name: applicant + "的邻居"}}
			c, err := w.st.Register(ctx, w.scA, in)
			if err != nil {
				t.Fatalf("register at %s: %v", o.Name, err)
			}
			return c.Number
		}
		got := []string{
			reg(w.committeeA, "甲"), // township committee → its office 511902001
			reg(w.officeA, "乙"),    // the office itself: the same sequence
			reg(w.committeeA, "丙"),
			reg(w.committeeV, "丁"), // village committee → its village 511902001001
			reg(w.countyA, "戊"),    // the county's own: 511902
		}
		want := []string{
			"（" + year + "）川1902001民调字第0001号",
			"（" + year + "）川1902001民调字第0002号",
			"（" + year + "）川1902001民调字第0003号",
			"（" + year + "）川1902001001民调字第0001号",
			"（" + year + "）川1902民调字第0001号",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("numbers:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
		for _, n := range got {
			if strings.Contains(n, "委员会") || strings.Contains(n, "司法所") {
				t.Fatalf("a name in %s", n)
			}
		}
		if n := caseOrgCode(org.Org{Name: "无代码的调解委员会", ShortName: "某调委会"}); n != "某调委会" {
			t.Fatalf("no code anywhere: %q", n)
		}
	})
}

func TestPeriodReminderDays(t *testing.T) {
	for days, want := range map[int]string{0: "1", 1: "1", 5: "5,1", 7: "7,1"} {
		var got []string
		for _, n := range periodReminders(Settings{ReminderDays: days}) {
			got = append(got, itoa(int64(n)))
		}
		if strings.Join(got, ",") != want {
			t.Errorf("ReminderDays %d: %v, want %s", days, got, want)
		}
	}
}

// The period deadline reminds at the county's ReminderDays, kept from the
// day it started: a later change of the setting moves only new periods.
func TestPeriodRemindsAtTheCountysDays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bg := context.Background()
		sh := web.Shanghai
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, sh) // Monday; 30 days: period ends Wednesday 1 April
		old := Clock
		Clock = func() time.Time { return now.UTC() }
		defer func() { Clock = old }()
		w.st.Kernel = &casework.Store{DB: db, Now: func() time.Time { return now }}

		save := func(days int) {
			t.Helper()
			st, err := w.st.Settings(w.ctx, w.scA, w.countyA.ID)
			if err != nil {
				t.Fatal(err)
			}
			st.ReminderDays = days
			if err := w.st.SaveSettings(w.ctx, w.scA, w.countyA.ID, 0, st); err != nil {
				t.Fatal(err)
			}
		}
		accepted := func(o org.Org, sc org.Scope, name string) *Case {
			t.Helper()
			ctx := w.actor(t, name, o, sc)
			in := intake(w)
			in.OrgID = o.ID
			in.Parties = []PartyInput{{Role: "applicant", Name: name + "甲"}, {Role: "respondent", Name: name + "乙"}}
			c, err := w.st.Register(ctx, sc, in)
			if err != nil {
				t.Fatal(err)
			}
			if c, err = w.st.Accept(ctx, sc, c.ID, ""); err != nil {
				t.Fatal(err)
			}
			for _, d := range c.Deadlines {
				if d.Code == "period" && !d.DueAt.Equal(calendar.D(2026, 4, 1).End(sh)) {
					t.Fatalf("period due %v", d.DueAt.In(sh))
				}
			}
			return c
		}
		save(7)
		a7 := accepted(w.officeA, w.scOffice, "江北") // county A: 7 days
		b5 := accepted(w.officeB, w.scB, "登科")      // county B keeps the default 5
		save(3)                                     // county A changes its mind
		a3 := accepted(w.committeeA, w.scOffice, "调委会")

		kept := func(c *Case) string {
			t.Helper()
			var v string
			if err := db.Read().QueryRow(bg, `SELECT remind_days FROM case_deadlines WHERE case_id = ? AND code = 'period'`, c.ID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		if kept(a7) != "7,1" || kept(b5) != "5,1" || kept(a3) != "3,1" {
			t.Fatalf("kept days: %q %q %q", kept(a7), kept(b5), kept(a3))
		}
		names := map[int64]string{a7.ID: "a7", b5.ID: "b5", a3.ID: "a3"}
		seen := map[string]bool{}
		scan := func(m time.Month, d int) string {
			t.Helper()
			if _, err := casework.ScanDeadlines(bg, db, time.Date(2026, m, d, 8, 0, 0, 0, sh)); err != nil {
				t.Fatal(err)
			}
			rows, err := db.Read().Query(bg, `SELECT d.case_id, r.kind FROM case_reminders_sent r JOIN case_deadlines d ON d.id = r.deadline_id
				ORDER BY d.case_id, r.kind`)
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			var fresh []string
			for rows.Next() {
				var id int64
				var kind string
				if err := rows.Scan(&id, &kind); err != nil {
					t.Fatal(err)
				}
				if s := names[id] + " " + kind; !seen[s] {
					seen[s] = true
					fresh = append(fresh, s)
				}
			}
			return strings.Join(fresh, ", ")
		}
		for _, step := range []struct {
			m    time.Month
			d    int
			want string
		}{
			{3, 24, ""},
			{3, 25, "a7 before:7"}, // 7 days before 1 April, though county A now says 3
			{3, 26, ""},
			{3, 27, "b5 before:5"},
			{3, 29, "a3 before:3"},
			{3, 31, "a7 before:1, b5 before:1, a3 before:1"},
			{4, 1, "a7 today, b5 today, a3 today"},
			{4, 2, "a7 overdue, b5 overdue, a3 overdue"},
		} {
			if got := scan(step.m, step.d); got != step.want {
				t.Fatalf("%d-%d: %q, want %q", step.m, step.d, got, step.want)
			}
		}
	})
}
