package audit_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

type orgTree struct{ prov, city, countyA, countyB, officeA org.Org }

func buildOrgs(t *testing.T, db *store.DB) orgTree {
	t.Helper()
	s := &org.Store{DB: db}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := s.Create(context.Background(), org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return o
	}
	var tr orgTree
	tr.prov = mk(0, org.Province, "四川省司法厅", "510000")
	tr.city = mk(tr.prov.ID, org.City, "攀枝花市司法局", "510400")
	tr.countyA = mk(tr.city.ID, org.County, "东区司法局", "510402")
	tr.countyB = mk(tr.city.ID, org.County, "西区司法局", "510403")
	tr.officeA = mk(tr.countyA.ID, org.Office, "银江镇司法所", "510402100")
	return tr
}

func recordAs(t *testing.T, db *store.DB, a audit.Actor, e audit.Event) {
	t.Helper()
	if err := audit.RecordAlone(audit.WithActor(context.Background(), a), db, e); err != nil {
		t.Fatal(err)
	}
}

// setClock makes Record stamp rows with at until the test ends.
func setClock(t *testing.T, at time.Time) {
	t.Helper()
	old := audit.Clock
	audit.Clock = func() time.Time { return at }
	t.Cleanup(func() { audit.Clock = old })
}

func TestQueryFiltersAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
		setClock(t, base.Add(-time.Hour))
		tr := buildOrgs(t, db) // writes 5 org.create rows first
		setClock(t, base)
		li := audit.Actor{UserID: 11, Username: "lisi", OrgID: tr.officeA.ID, IP: "10.1.1.1", RequestID: "req-a"}
		wang := audit.Actor{UserID: 12, Username: "wangwu", OrgID: tr.countyB.ID, IP: "10.2.2.2"}
		recordAs(t, db, li, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: "21"})
		setClock(t, base.Add(24*time.Hour))
		recordAs(t, db, li, audit.Event{Action: "person.reveal", ObjectType: "person", ObjectID: "5", PersonID: 5})
		recordAs(t, db, wang, audit.Event{Action: "user.update", ObjectType: "user", ObjectID: "22", Result: audit.Denied})
		setClock(t, base.Add(48*time.Hour))
		recordAs(t, db, audit.Actor{IP: "10.9.9.9"}, audit.Event{Action: "auth.login", ObjectType: "user", Result: audit.Failed})

		scA, err := (&org.Store{DB: db}).ScopeOf(ctx, tr.countyA.ID)
		if err != nil {
			t.Fatal(err)
		}
		count := func(sc audit.Scope, f audit.Filter) ([]audit.Row, int) {
			t.Helper()
			rows, total, err := audit.Query(ctx, db, sc, f)
			if err != nil {
				t.Fatal(err)
			}
			return rows, total
		}
		// County A: its two org.create rows (county A, office A) and li's two rows.
		rows, total := count(scA, audit.Filter{})
		if total != 4 || len(rows) != 4 {
			t.Fatalf("county A sees %d rows (want 4): %+v", total, rows)
		}
		for _, r := range rows {
			if r.ActorName == "wangwu" || r.OrgID == 0 {
				t.Fatalf("county A must not see county B's or org-less rows: %+v", r)
			}
		}
		if rows[0].Seq < rows[1].Seq {
			t.Fatal("rows must come newest first")
		}
		if _, n := count(org.Scope{}, audit.Filter{}); n != 0 {
			t.Fatalf("the zero scope sees %d rows", n)
		}
		if _, n := count(org.System(), audit.Filter{}); n != 9 {
			t.Fatalf("the system scope sees %d rows, want 9 (org-less included)", n)
		}
		// The province covers the whole tree and so sees org-less rows too.
		scProv, _ := (&org.Store{DB: db}).ScopeOf(ctx, tr.prov.ID)
		if _, n := count(scProv, audit.Filter{}); n != 9 {
			t.Fatalf("the province sees %d rows, want 9", n)
		}
		checks := []struct {
			name string
			f    audit.Filter
			want int
		}{
			{"actor", audit.Filter{Actor: "lisi"}, 2},
			{"actor id", audit.Filter{ActorUserID: 11}, 2},
			{"action prefix", audit.Filter{Action: "user."}, 1},
			{"exact action", audit.Filter{Action: "person.reveal"}, 1},
			{"action underscore is literal", audit.Filter{Action: "user_"}, 0},
			{"object", audit.Filter{ObjectType: "user", ObjectID: "21"}, 1},
			{"person", audit.Filter{PersonID: 5}, 1},
			{"result", audit.Filter{Result: audit.OK}, 4},
			{"from", audit.Filter{From: base.Add(time.Hour)}, 1},
			{"to", audit.Filter{To: base.Add(time.Hour)}, 3},
			{"org subtree", audit.Filter{OrgID: tr.officeA.ID}, 3},
			{"org outside scope", audit.Filter{OrgID: tr.countyB.ID}, 0},
		}
		for _, c := range checks {
			if _, n := count(scA, c.f); n != c.want {
				t.Errorf("%s: %d rows, want %d", c.name, n, c.want)
			}
		}
		page, total := count(scA, audit.Filter{Limit: 3, Offset: 3})
		if total != 4 || len(page) != 1 {
			t.Fatalf("second page: %d of %d", len(page), total)
		}
		var names []string
		if err := audit.Each(ctx, db, scA, audit.Filter{Actor: "lisi"}, func(r audit.Row, orgName string) error {
			names = append(names, orgName)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(names) != 2 || names[0] != "银江镇司法所" {
			t.Fatalf("org names: %v", names)
		}
		if _, n := count(org.System(), audit.Filter{Result: audit.Failed}); n != 1 {
			t.Fatal("failed login not found")
		}
	})
}

// Every action recorded anywhere in the code has a Chinese label.
func TestActionNamesCoverCode(t *testing.T) {
	re := regexp.MustCompile(`(?:Action:\s*|act\s*:?=\s*)"([a-z_]+\.[a-z_]+)"`)
	seen := 0
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			seen++
			if name := audit.ActionName(m[1]); name == m[1] {
				t.Errorf("%s: action %q has no Chinese label", p, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 20 {
		t.Fatalf("found only %d actions in the code: the pattern is wrong", seen)
	}
	if audit.ActionName("mediation.create") != "人民调解·新建" || audit.ActionName("x.y") != "x.y" {
		t.Fatal("composed labels")
	}
}
