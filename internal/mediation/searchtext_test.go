package mediation

import (
	"testing"

	"fengqiao/internal/casework"
	"fengqiao/internal/search"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// A case is found by a two-character word of its summary from the moment
// it is registered, within scope only; ID numbers in it are never indexed.
func TestCaseFoundBySummary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.actor(t, "clerk", w.officeA, w.scOffice)
		in := intake(w) // summary: 排水沟堵塞致邻居院坝积水
		c, err := w.st.Register(ctx, w.scOffice, in)
		if err != nil {
			t.Fatal(err)
		}
		kinds := []string{casework.SearchKind(Line)}
		for _, q := range []string{"积水", "排水沟", "邻里纠纷"} {
			hits, _, err := search.Query(ctx, db, w.scA, kinds, q, 10, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 1 || hits[0].RefID != c.ID {
				t.Errorf("%q: %+v", q, hits)
			}
		}
		if hits, _, _ := search.Query(ctx, db, w.scB, kinds, "积水", 10, 0); len(hits) != 0 {
			t.Errorf("the neighbour county finds the case: %+v", hits)
		}
		if hits, _, _ := search.Query(ctx, db, w.scA, kinds, in.Parties[0].IDNumber, 10, 0); len(hits) != 0 {
			t.Errorf("found by an ID number: %+v", hits)
		}
	})
}
