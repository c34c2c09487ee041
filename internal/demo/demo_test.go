package demo_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"fengqiao/internal/auth"
	"fengqiao/internal/demo"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func services(db *store.DB) (*org.Store, *auth.Service) {
	orgs := &org.Store{DB: db}
	svc := auth.New(db, orgs, nil)
	// Cheap hashing keeps the test fast; the program uses DefaultArgon2.
	svc.Argon = auth.Argon2Params{Memory: 2048, Time: 1, Threads: 1, KeyLen: 32}
	return orgs, svc
}

func TestLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgs, svc := services(db)
		if err := svc.SeedRoles(ctx); err != nil {
			t.Fatal(err)
		}
		sum, err := demo.Load(ctx, db, orgs, svc)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("demo load: %s", sum)
		counts, err := orgs.CountByKind(ctx, org.System())
		if err != nil {
			t.Fatal(err)
		}
		if counts[org.Province] != 1 || counts[org.City] != 2 || counts[org.County] != 4 || counts[org.Office] < 36 {
			t.Fatalf("org counts %v", counts)
		}
		if counts[org.Village] != counts[org.Office]*demo.VillagesPerOffice || counts[org.Cluster] != 4 ||
			counts[org.LegalAidCenter] != 4 || counts[org.Committee] != 2*counts[org.Office] {
			t.Fatalf("org counts %v", counts)
		}
		if sum.Offices != counts[org.Office] || sum.Villages != counts[org.Village] {
			t.Fatalf("summary %+v disagrees with %v", sum, counts)
		}

		// Every built-in role has an account, usable without a password change.
		users, total, err := svc.ListUsers(ctx, org.System(), auth.UserFilter{Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		if total != len(demo.Accounts()) {
			t.Fatalf("users %d, want %d", total, len(demo.Accounts()))
		}
		have := map[string]bool{}
		for _, u := range users {
			if u.MustChange {
				t.Errorf("%s must change its password; demo accounts must not", u.Username)
			}
			for _, r := range u.Roles {
				have[r] = true
			}
		}
		for _, r := range auth.BuiltinRoles {
			if !have[r.Code] {
				t.Errorf("no demo account with role %s", r.Code)
			}
		}
		// Stored hashes use the service's parameters, not the cheap ones used while creating.
		var weak int
		if err := db.Read().QueryRow(ctx, `SELECT count(*) FROM users WHERE password_hash NOT LIKE '$argon2id$v=19$m=2048,t=1,p=1$%'`).Scan(&weak); err != nil || weak != 0 {
			t.Fatalf("%d accounts keep a hash with other parameters (%v)", weak, err)
		}
		res, err := svc.Login(ctx, "bazhou.leader", demo.DemoPassword, "127.0.0.1", "test")
		if err != nil {
			t.Fatalf("login with the documented password: %v", err)
		}
		if res.Principal.MustChange || res.NeedsCode {
			t.Fatal("demo login asks for a password change")
		}

		// A county leader sees the county's subtree and nothing else.
		var uid int64
		for _, u := range users {
			if u.Username == "bazhou.leader" {
				uid = u.ID
			}
		}
		p, err := svc.LoadPrincipal(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		county, err := orgs.Get(ctx, org.System(), p.OrgID)
		if err != nil {
			t.Fatal(err)
		}
		if county.Kind != org.County || county.Name != "巴州区司法局" {
			t.Fatalf("bazhou.leader is at %s %s", county.Kind, county.Name)
		}
		visible, n, err := orgs.List(ctx, p.OrgScope(), org.Filter{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all, _, _ := orgs.List(ctx, org.System(), org.Filter{Under: county.ID, Limit: 1000})
		if n != len(all) || n < 10+10*demo.VillagesPerOffice {
			t.Fatalf("county scope sees %d orgs, its subtree has %d", n, len(all))
		}
		for _, o := range visible {
			if !strings.HasPrefix(o.Path, county.Path) {
				t.Fatalf("county scope sees %s (%s) outside %s", o.Name, o.Path, county.Path)
			}
		}
		others, _, err := orgs.List(ctx, org.System(), org.Filter{Kind: org.Office, Query: "登科街道", Limit: 5})
		if err != nil || len(others) != 1 {
			t.Fatalf("恩阳 office lookup: %v %d", err, len(others))
		}
		if _, err := orgs.Get(ctx, p.OrgScope(), others[0].ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("巴州区 leader sees an 恩阳区 office: %v", err)
		}

		// The cluster lead office sees its members; a member does not see the lead.
		for _, u := range users {
			if u.Username == "jiangbei.head" {
				uid = u.ID
			}
		}
		lead, err := svc.LoadPrincipal(ctx, uid)
		if err != nil {
			t.Fatal(err)
		}
		if len(lead.Jurisdiction().Paths()) != 3 {
			t.Fatalf("cluster lead jurisdiction %v, want own office and 2 members", lead.Jurisdiction().Paths())
		}

		if _, err := demo.Load(ctx, db, orgs, svc); !errors.Is(err, demo.ErrNotEmpty) {
			t.Fatalf("second load: %v, want ErrNotEmpty", err)
		}
	})
}

func TestScale(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgs, svc := services(db)
		if err := svc.SeedRoles(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := demo.Scale(ctx, db, svc, demo.ScaleOptions{Counties: 0}); err == nil {
			t.Fatal("0 counties accepted")
		}
		sum, err := demo.Scale(ctx, db, svc, demo.ScaleOptions{Counties: 10, OfficesPerCounty: 4, VillagesPerOffice: 3})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("scale: %s", sum)
		counts, err := orgs.CountByKind(ctx, org.System())
		if err != nil {
			t.Fatal(err)
		}
		want := map[org.Kind]int{org.Province: 1, org.City: 2, org.County: 10, org.Office: 40, org.Village: 120, org.LegalAidCenter: 10}
		for k, n := range want {
			if counts[k] != n {
				t.Errorf("%s: %d, want %d (all %v)", k, counts[k], n, counts)
			}
		}
		if sum.Offices != 40 || sum.Villages != 120 || sum.Orgs != 183 {
			t.Errorf("summary %+v", sum)
		}
		// Paths, depths and division codes follow the tree.
		offs, _, err := orgs.List(ctx, org.System(), org.Filter{Kind: org.Office, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range offs {
			parent, err := orgs.Get(ctx, org.System(), o.ParentID)
			if err != nil {
				t.Fatal(err)
			}
			if parent.Kind != org.County || !strings.HasPrefix(o.Path, parent.Path) || o.Depth != parent.Depth+1 ||
				!strings.HasPrefix(o.DivisionCode, parent.DivisionCode) || org.ValidDivisionCode(org.Office, o.DivisionCode) != nil {
				t.Fatalf("office %+v under %+v", o, parent)
			}
		}
		// New orgs get fresh ids after the explicit-id inserts (PostgreSQL sequence).
		c, err := orgs.Create(ctx, org.System(), org.Input{ParentID: offs[0].ParentID, Kind: org.Office, Name: "新建司法所", DivisionCode: offs[0].DivisionCode[:6] + "999"})
		if err != nil {
			t.Fatalf("create after scale: %v", err)
		}
		if c.ID <= int64(sum.Orgs) {
			t.Fatalf("new id %d collides with generated ids", c.ID)
		}
		if _, err := svc.Login(ctx, "sc.leader", demo.DemoPassword, "127.0.0.1", "test"); err != nil {
			t.Fatalf("scale account login: %v", err)
		}
		if _, err := demo.Scale(ctx, db, nil, demo.ScaleOptions{Counties: 1}); !errors.Is(err, demo.ErrNotEmpty) {
			t.Fatalf("scale on a non-empty database: %v", err)
		}
	})
}

// TestAccountsDocumented keeps docs/demo-accounts.md in step with the code.
func TestAccountsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/demo-accounts.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if !strings.Contains(doc, demo.DemoPassword) {
		t.Error("docs/demo-accounts.md does not give the demo password")
	}
	for _, a := range demo.Accounts() {
		if !strings.Contains(doc, "| "+a.Username+" |") {
			t.Errorf("docs/demo-accounts.md lacks %s", a.Username)
		}
	}
}
