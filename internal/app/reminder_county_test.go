package app_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/app"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/calendar"
	"fengqiao/internal/casework"
	"fengqiao/internal/mediation"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// A county's "remind this many days before the period ends" reaches the
// handler's inbox: casework decides the moment from the days kept on the
// deadline, app delivers it through notify.
func TestCountyReminderDaysReachTheInbox(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			sc := storetest.Config(t, e) // skips PostgreSQL when not configured
			dataDir := t.TempDir()
			if e == store.SQLite {
				dataDir = filepath.Dir(sc.Path)
			}
			cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dataDir, DatabaseURL: sc.URL, AuditDays: 190, ShutdownWait: time.Second,
				DBMaxOpen: 4, Node: "t", CustomDir: t.TempDir()}
			a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			bg := audit.WithActor(context.Background(), audit.Actor{Username: "t"})
			mk := func(parent int64, k org.Kind, name, code string) org.Org {
				t.Helper()
				o, err := a.Orgs.Create(bg, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
				if err != nil {
					t.Fatal(err)
				}
				return o
			}
			prov := mk(0, org.Province, "四川省司法厅", "510000")
			city := mk(prov.ID, org.City, "巴中市司法局", "511900")
			county := mk(city.ID, org.County, "巴州区司法局", "511902")
			office := mk(county.ID, org.Office, "江北街道司法所", "511902001")
			u, err := a.Auth.CreateUser(bg, nil, auth.UserInput{Username: "clerk", DisplayName: "承办人", OrgID: office.ID,
				Roles: []string{"office_head"}, Password: "Start-Pass-2026"})
			if err != nil {
				t.Fatal(err)
			}
			countySc, _ := a.Orgs.ScopeOf(bg, county.ID)
			officeSc, _ := a.Orgs.ScopeOf(bg, office.ID)
			med := &mediation.Store{DB: a.DB, Persons: &person.Store{DB: a.DB, Crypto: a.Crypto}, Kernel: a.Cases}
			st, err := med.Settings(bg, countySc, county.ID)
			if err != nil {
				t.Fatal(err)
			}
			st.ReminderDays = 7
			if err := med.SaveSettings(bg, countySc, county.ID, 0, st); err != nil {
				t.Fatal(err)
			}
			ctx := auth.WithPrincipal(bg, auth.NewPrincipalForTest(u.ID, office.ID, officeSc,
				"mediation.view", "mediation.edit", "mediation.approve"))
			c, err := med.Register(ctx, officeSc, mediation.CaseInput{OrgID: office.ID, Source: "application", DisputeType: "neighbour",
				People: 2, Summary: "排水沟堵塞", Parties: []mediation.PartyInput{{Role: "applicant", Name: "王秀英"}, {Role: "respondent", Name: "李建国"}}})
			if err != nil {
				t.Fatal(err)
			}
			if c, err = med.Accept(ctx, officeSc, c.ID, ""); err != nil {
				t.Fatal(err)
			}
			var due time.Time
			for _, d := range c.Deadlines {
				if d.Code == "period" {
					due = d.DueAt
				}
			}
			if due.IsZero() {
				t.Fatalf("no period deadline: %+v", c.Deadlines)
			}
			loc, _ := calendar.Location("Asia/Shanghai")
			dueDay := calendar.DateIn(due, loc)
			inbox := func() []string {
				t.Helper()
				rows, err := a.DB.Read().Query(bg, `SELECT kind, title FROM notifications WHERE user_id = ? ORDER BY id`, u.ID)
				if err != nil {
					t.Fatal(err)
				}
				defer rows.Close()
				var out []string
				for rows.Next() {
					var k, title string
					if err := rows.Scan(&k, &title); err != nil {
						t.Fatal(err)
					}
					out = append(out, k+" "+title)
				}
				return out
			}
			scan := func(daysBefore int) {
				t.Helper()
				if _, err := casework.ScanDeadlines(bg, a.DB, dueDay.AddDays(-daysBefore).Start(loc).Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			scan(8)
			if got := inbox(); len(got) != 0 {
				t.Fatalf("8 days before: %v", got)
			}
			scan(7)
			got := inbox()
			wantTitle := "deadline.before " + c.Number + " 调解期限：还有7天到期（" + dueDay.String() + "）"
			if len(got) != 1 || got[0] != wantTitle || !strings.Contains(c.Number, "川1902001民调字第") {
				t.Fatalf("7 days before: %v, want %q", got, wantTitle)
			}
			scan(5) // the default; not this county's
			if got := inbox(); len(got) != 1 {
				t.Fatalf("5 days before: %v", got)
			}
			scan(1)
			if got := inbox(); len(got) != 2 || !strings.Contains(got[1], "还有1天到期") {
				t.Fatalf("1 day before: %v", got)
			}
		})
	}
}
