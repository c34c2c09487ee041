package person

import (
	"context"
	"errors"
	"testing"

	"fengqiao/internal/search"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// A line registers parties and its own record in one transaction: what it
// wrote is visible inside, and a failure leaves no person, search document
// or audit record behind.
func TestTransactionVariants(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		count := func(q string) int {
			t.Helper()
			var n int
			if err := db.Read().QueryRow(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		countAll := func() [3]int {
			return [3]int{count(`SELECT count(*) FROM persons`), count(`SELECT count(*) FROM audit_log WHERE action LIKE 'person.%'`),
				len(hits(t, db, f, "杨德明"))}
		}
		before := countAll()
		boom := errors.New("the line's record failed")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			id, err := f.s.CreateTx(ctx, tx, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "杨德明", IDNumber: idA, Phone: phoneA})
			if err != nil {
				return err
			}
			p, err := f.s.GetTx(ctx, tx, f.scA, id)
			if err != nil || p.IDNumber != "110105********002X" || p.Phone != "138****5678" || p.Sex != "F" {
				t.Fatalf("GetTx in the creating tx: %+v %v", p, err)
			}
			// Another party with the same number, earlier in the same tx.
			_, err = f.s.CreateTx(ctx, tx, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "杨德明", IDNumber: idA})
			var dup *DuplicateError
			if !errors.As(err, &dup) || dup.ExistingID != id {
				t.Fatalf("duplicate in tx: %v", err)
			}
			if p, err = f.s.UpdateTx(ctx, tx, f.scA, id, Input{Name: "杨德明", Address: "银江镇"}); err != nil || p.Address != "银江镇" ||
				p.IDNumber != "110105********002X" {
				t.Fatalf("UpdateTx: %+v %v", p, err)
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if after := countAll(); after != before {
			t.Fatalf("rolled back, but persons/audit/search went from %v to %v", before, after)
		}

		var id int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = f.s.CreateTx(ctx, tx, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "杨德明", IDNumber: idA})
			if err != nil {
				return err
			}
			_, err = f.s.UpdateTx(ctx, tx, f.scA, id, Input{Name: "杨德明", Address: "银江镇"})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		p, err := f.s.Get(ctx, f.scA, id)
		if err != nil || p.Address != "银江镇" || p.IDNumber != "110105********002X" {
			t.Fatalf("committed: %+v %v", p, err)
		}
		if after := countAll(); after != [3]int{before[0] + 1, before[1] + 2, before[2] + 1} {
			t.Fatalf("committed: persons/audit/search %v → %v", before, after)
		}
		// Outside its scope the person is not found, in a transaction too.
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			_, err := f.s.GetTx(ctx, tx, f.scB, id)
			return err
		}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetTx out of scope: %v", err)
		}
	})
}

func hits(t *testing.T, db *store.DB, f fixture, q string) []search.Hit {
	t.Helper()
	hs, _, err := search.Query(context.Background(), db, f.scA, []string{SearchKind}, q, 10, 0)
	if err != nil {
		t.Fatal(err)
	}
	return hs
}
