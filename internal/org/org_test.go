package org_test

import (
	"context"
	"errors"
	"testing"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

type tree struct {
	prov, city, countyA, countyB, officeA1, officeA2, officeB1, villageA1 org.Org
}

func build(t *testing.T, s *org.Store) tree {
	t.Helper()
	ctx := context.Background()
	sys := org.System()
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := s.Create(ctx, sys, org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return o
	}
	var tr tree
	tr.prov = mk(0, org.Province, "四川省司法厅", "510000")
	tr.city = mk(tr.prov.ID, org.City, "攀枝花市司法局", "510400")
	tr.countyA = mk(tr.city.ID, org.County, "东区司法局", "510402")
	tr.countyB = mk(tr.city.ID, org.County, "西区司法局", "510403")
	tr.officeA1 = mk(tr.countyA.ID, org.Office, "银江镇司法所", "510402100")
	tr.officeA2 = mk(tr.countyA.ID, org.Office, "炳草岗街道司法所", "510402001")
	tr.officeB1 = mk(tr.countyB.ID, org.Office, "格里坪镇司法所", "510403100")
	tr.villageA1 = mk(tr.officeA1.ID, org.Village, "阿署达村", "510402100201")
	return tr
}

func TestScopeSeesOnlyOwnSubtree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &org.Store{DB: db}
		tr := build(t, s)
		scA, err := s.ScopeOf(ctx, tr.countyA.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Get(ctx, scA, tr.villageA1.ID); err != nil {
			t.Fatalf("county A must see its village: %v", err)
		}
		if _, err := s.Get(ctx, scA, tr.officeB1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("county A must not see county B's office, got %v", err)
		}
		list, total, err := s.List(ctx, scA, org.Filter{})
		if err != nil || total != 4 || len(list) != 4 {
			t.Fatalf("county A lists %d/%d (want 4): %v", len(list), total, err)
		}
		roots, err := s.Children(ctx, scA, 0)
		if err != nil || len(roots) != 1 || roots[0].ID != tr.countyA.ID {
			t.Fatalf("roots of county A scope: %+v %v", roots, err)
		}
		if _, err := s.Get(ctx, org.Scope{}, tr.prov.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("the zero scope must see nothing")
		}
	})
}

func TestMoveRescopesSubtree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &org.Store{DB: db}
		tr := build(t, s)
		if err := s.Move(ctx, org.System(), tr.officeA1.ID, tr.countyB.ID); err != nil {
			t.Fatal(err)
		}
		scB, _ := s.ScopeOf(ctx, tr.countyB.ID)
		v, err := s.Get(ctx, scB, tr.villageA1.ID)
		if err != nil {
			t.Fatalf("after the move county B must see the village: %v", err)
		}
		if v.Depth != 5 {
			t.Fatalf("depth %d", v.Depth)
		}
		scA, _ := s.ScopeOf(ctx, tr.countyA.ID)
		if _, err := s.Get(ctx, scA, tr.villageA1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("after the move county A must no longer see the village")
		}
		var fe *org.FieldError
		if err := s.Move(ctx, org.System(), tr.countyA.ID, tr.officeA2.ID); !errors.As(err, &fe) {
			t.Fatalf("a county under an office must be refused, got %v", err)
		}
		if err := s.Move(ctx, org.System(), tr.city.ID, tr.countyA.ID); !errors.As(err, &fe) {
			t.Fatalf("moving under own descendant must be refused, got %v", err)
		}
	})
}

func TestClusterLeadSeesMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := &org.Store{DB: db}
		tr := build(t, s)
		c, err := s.Create(ctx, org.System(), org.Input{ParentID: tr.countyA.ID, Kind: org.Cluster, Name: "东片区", LeadOrgID: tr.officeA1.ID})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.SetClusterMembers(ctx, org.System(), c.ID, []int64{tr.officeA2.ID}); err != nil {
			t.Fatal(err)
		}
		sc, _ := s.ScopeOf(ctx, tr.officeA1.ID)
		if _, err := s.Get(ctx, sc, tr.officeA2.ID); err != nil {
			t.Fatalf("lead office must see its member: %v", err)
		}
		sc2, _ := s.ScopeOf(ctx, tr.officeA2.ID)
		if _, err := s.Get(ctx, sc2, tr.officeA1.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("a member must not see the lead office")
		}
	})
}

func TestDivisionCodeRules(t *testing.T) {
	cases := []struct {
		k    org.Kind
		code string
		ok   bool
	}{
		{org.Province, "510000", true}, {org.Province, "510400", false},
		{org.City, "510400", true}, {org.City, "510402", false},
		{org.County, "510402", true}, {org.County, "5104", false},
		{org.Office, "510402100", true}, {org.Office, "510402", false},
		{org.Village, "510402100201", true}, {org.Village, "51040210020x", false},
		{org.Office, "", false}, {org.Cluster, "", true},
	}
	for _, c := range cases {
		if err := org.ValidDivisionCode(c.k, c.code); (err == nil) != c.ok {
			t.Errorf("%s %q: err=%v", c.k, c.code, err)
		}
	}
}

func TestChildCodeMustLieUnderParent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := &org.Store{DB: db}
		tr := build(t, s)
		_, err := s.Create(context.Background(), org.System(), org.Input{ParentID: tr.countyA.ID, Kind: org.Office, Name: "错误所", DivisionCode: "510403101"})
		var fe *org.FieldError
		if !errors.As(err, &fe) || fe.Field != "division_code" {
			t.Fatalf("want division_code error, got %v", err)
		}
	})
}
