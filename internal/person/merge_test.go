package person

import (
	"context"
	"strings"
	"testing"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// A business line's party table, as a line would register it.
func init() { RegisterReference("person_test_parties", "person_id") }

func TestFindDuplicatesAndMerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE person_test_parties (id INTEGER PRIMARY KEY, case_id INTEGER NOT NULL, person_id BIGINT NOT NULL REFERENCES persons(id))`); err != nil {
			t.Fatal(err)
		}
		// County A and county B registered the same woman; a city user sees both.
		a := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA})
		b := f.create(t, f.scB, Input{OrgID: f.officeB.ID, Kind: Natural, Name: "张三", IDNumber: idA, Phone: phoneA, Address: "格里坪"})
		c := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "王五", BirthDate: "1970-05-01", Phone: phoneB})
		d := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "王五", BirthDate: "1970-05-01"})
		e := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "王五", Phone: phoneB})
		f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "赵六", BirthDate: "1970-05-01"})
		for i, pid := range []int64{a.ID, b.ID, b.ID} {
			if _, err := db.Exec(ctx, `INSERT INTO person_test_parties(id, case_id, person_id) VALUES (?, ?, ?)`, i+1, 100+i, pid); err != nil {
				t.Fatal(err)
			}
		}
		groups, err := f.s.FindDuplicates(ctx, f.scProv, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]int64{}
		for _, g := range groups {
			for _, p := range g.Persons {
				got[g.Reason] = append(got[g.Reason], p.ID)
			}
		}
		if len(groups) != 3 || len(got[SameDocument]) != 2 || got[SameDocument][0] != a.ID ||
			len(got[SameNameBirth]) != 2 || got[SameNameBirth][0] != c.ID || got[SameNameBirth][1] != d.ID ||
			len(got[SameNamePhone]) != 2 || got[SameNamePhone][1] != e.ID {
			t.Fatalf("duplicate groups: %v", got)
		}
		if g, _ := f.s.FindDuplicates(ctx, f.scA, 0, 0); len(g) != 2 {
			t.Fatalf("county A alone sees the 王五 groups only, got %d groups", len(g))
		}
		if g, _ := f.s.FindDuplicates(ctx, f.scProv, d.ID, 0); len(g) != 1 || g[0].Reason != SameNameBirth {
			t.Fatalf("groups of one person: %+v", g)
		}
		if ReasonName(SameDocument) != "证件号码相同" {
			t.Fatal("reason name")
		}

		// County A may not merge a record it cannot see.
		if _, err := f.s.Merge(ctx, f.scA, a.ID, b.ID); fieldOf(err) != "remove_id" {
			t.Fatalf("merge across scope: %v", err)
		}
		moved, err := f.s.Merge(ctx, f.scProv, a.ID, b.ID)
		if err != nil || moved != 2 {
			t.Fatalf("merge: moved %d, %v", moved, err)
		}
		var n int
		if err := db.Read().QueryRow(ctx, `SELECT count(*) FROM person_test_parties WHERE person_id = ?`, a.ID).Scan(&n); err != nil || n != 3 {
			t.Fatalf("references after merge: %d %v", n, err)
		}
		kept, _ := f.s.Get(ctx, f.scProv, a.ID)
		if kept.Phone != "138****5678" || kept.Address != "格里坪" || kept.IDNumber != "110105********002X" {
			t.Fatalf("keep must take remove's missing fields: %+v", kept)
		}
		gone, err := f.s.Get(ctx, f.scProv, b.ID)
		if err != nil || gone.MergedInto != a.ID || gone.IDNumber != "" || gone.Phone != "" {
			t.Fatalf("tombstone: %+v %v", gone, err)
		}
		if l, _, _ := f.s.List(ctx, f.scProv, Filter{IDNumber: idA}); len(l) != 1 || l[0].ID != a.ID {
			t.Fatalf("after merge the number finds the survivor only: %+v", l)
		}
		if _, err := f.s.Merge(ctx, f.scProv, a.ID, b.ID); err == nil {
			t.Fatal("merging a tombstone again must fail")
		}
		if _, err := f.s.Merge(ctx, f.scProv, a.ID, a.ID); fieldOf(err) != "remove_id" {
			t.Fatal("self merge must fail")
		}
		other := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idB})
		if _, err := f.s.Merge(ctx, f.scProv, a.ID, other.ID); err == nil || !strings.Contains(err.Error(), "证件号码") {
			t.Fatalf("two different ID numbers must not merge: %v", err)
		}
		// A party table where one person appears once per case: both in case 900.
		w1 := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "孙七"})
		w2 := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "孙七"})
		if _, err := db.Exec(ctx, `CREATE UNIQUE INDEX person_test_parties_once ON person_test_parties(case_id, person_id)`); err != nil {
			t.Fatal(err)
		}
		for i, pid := range []int64{w1.ID, w2.ID} {
			if _, err := db.Exec(ctx, `INSERT INTO person_test_parties(id, case_id, person_id) VALUES (?, 900, ?)`, 50+i, pid); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.Merge(ctx, f.scA, w1.ID, w2.ID); fieldOf(err) != "remove_id" {
			t.Fatalf("a merge that would list one person twice in a case: %v", err)
		}
		if got, _ := f.s.Get(ctx, f.scA, w2.ID); got.MergedInto != 0 {
			t.Fatal("a failed merge must leave nothing half-done")
		}
		if _, err := f.s.Update(ctx, f.scProv, b.ID, Input{Name: "x"}); fieldOf(err) != "id" {
			t.Fatalf("a tombstone is not editable: %v", err)
		}
		if rows := auditRows(t, db, "person.merge"); len(rows) != 2 || rows[0].PersonID != a.ID || rows[1].PersonID != b.ID {
			t.Fatalf("merge audit: %+v", rows)
		}
	})
}

func TestRotateKeys(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA, Phone: phoneA})
		f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "李四", IDNumber: idB})
		f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "王五"})
		both := mustCrypto(t, testKeys(1, 2))
		n, err := RotateKeys(ctx, db, both)
		if err != nil || n != 3 {
			t.Fatalf("rotate: %d values, %v (want 3)", n, err)
		}
		if n, err := RotateKeys(ctx, db, both); err != nil || n != 0 {
			t.Fatalf("a second rotation must find nothing: %d %v", n, err)
		}
		// Only the new key is loaded now: everything still reads and is found.
		f.s.Crypto = mustCrypto(t, testKeys(2))
		if v, err := f.s.Reveal(ctx, f.scA, true, a.ID, FieldIDNumber); err != nil || v != idA {
			t.Fatalf("reveal under the new key: %q %v", v, err)
		}
		if l, _, err := f.s.List(ctx, f.scA, Filter{Phone: phoneA}); err != nil || len(l) != 1 {
			t.Fatalf("lookup after rotation: %v %v", l, err)
		}
		if rows := auditRows(t, db, "person.keys_rotate"); len(rows) != 2 {
			t.Fatalf("rotation audit: %+v", rows)
		}
		// With the new key missing, reads fail loudly instead of showing garbage.
		f.s.Crypto = mustCrypto(t, testKeys(1))
		if _, err := f.s.Get(ctx, f.scA, a.ID); err == nil {
			t.Fatal("a value under an unloaded key must not read")
		}
	})
}
