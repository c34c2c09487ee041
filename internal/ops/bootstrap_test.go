package ops_test

import (
	"context"
	"errors"
	"strconv"
	"testing"

	"fengqiao/internal/auth"
	"fengqiao/internal/ops"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func services(t *testing.T, db *store.DB) (*org.Store, *auth.Service) {
	orgs := &org.Store{DB: db}
	svc := auth.New(db, orgs, nil)
	svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	if err := svc.SeedRoles(context.Background()); err != nil {
		t.Fatal(err)
	}
	return orgs, svc
}

func TestBootstrap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgs, svc := services(t, db)
		var fe *org.FieldError
		if _, err := ops.Bootstrap(ctx, db, orgs, svc, ops.BootstrapInput{Kind: org.Office, Name: "x", DivisionCode: "511902001"}); !errors.As(err, &fe) || fe.Field != "kind" {
			t.Fatalf("office as top org: %v", err)
		}
		if _, err := ops.Bootstrap(ctx, db, orgs, svc, ops.BootstrapInput{Kind: org.Province, Name: "四川省司法厅", DivisionCode: "511900"}); !errors.As(err, &fe) || fe.Field != "division" {
			t.Fatalf("bad province code: %v", err)
		}
		res, err := ops.Bootstrap(ctx, db, orgs, svc, ops.BootstrapInput{Kind: org.Province, Name: "四川省司法厅", DivisionCode: "510000"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Org.Kind != org.Province || res.Org.Path != "/"+itoa(res.Org.ID)+"/" || len(res.Accounts) != 3 {
			t.Fatalf("result %+v", res)
		}
		pol, _ := auth.LoadPolicy(ctx, db.Read())
		seen := map[string]bool{}
		for _, a := range res.Accounts {
			if err := pol.CheckStrength(a.Password, a.Username, ""); err != nil || len(a.Password) < 16 || seen[a.Password] {
				t.Fatalf("weak or repeated password for %s: %v", a.Username, err)
			}
			seen[a.Password] = true
			lr, err := svc.Login(ctx, a.Username, a.Password, "127.0.0.1", "test")
			if err != nil {
				t.Fatalf("login %s: %v", a.Username, err)
			}
			if !lr.Principal.MustChange {
				t.Errorf("%s need not change the generated password", a.Username)
			}
			if len(lr.Principal.Roles) != 1 || lr.Principal.Roles[0].Code != a.Role || lr.Principal.OrgID != res.Org.ID {
				t.Errorf("%s: roles %v org %d", a.Username, lr.Principal.Roles, lr.Principal.OrgID)
			}
		}
		if _, err := ops.Bootstrap(ctx, db, orgs, svc, ops.BootstrapInput{Kind: org.Province, Name: "另一个", DivisionCode: "520000"}); !errors.Is(err, ops.ErrNotEmpty) {
			t.Fatalf("second init: %v, want ErrNotEmpty", err)
		}
		if n, _ := svc.CountUsers(ctx, org.System()); n != 3 {
			t.Fatalf("users after refused init: %d", n)
		}
	})
}

// A county-level installation has the county bureau at the root.
func TestBootstrapCounty(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		orgs, svc := services(t, db)
		res, err := ops.Bootstrap(ctx, db, orgs, svc, ops.BootstrapInput{Kind: org.County, Name: "巴州区司法局", DivisionCode: "511902"})
		if err != nil {
			t.Fatal(err)
		}
		if res.Org.ParentID != 0 || res.Org.Depth != 1 || res.Org.Path != "/"+itoa(res.Org.ID)+"/" {
			t.Fatalf("root %+v", res.Org)
		}
		off, err := orgs.Create(ctx, org.System(), org.Input{ParentID: res.Org.ID, Kind: org.Office, Name: "江北街道司法所", DivisionCode: "511902001"})
		if err != nil {
			t.Fatalf("office under the county root: %v", err)
		}
		if off.Path != res.Org.Path+itoa(off.ID)+"/" {
			t.Fatalf("office path %s", off.Path)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
