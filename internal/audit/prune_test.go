package audit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func TestPruneKeepsRetentionAndIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		a := audit.Actor{UserID: 3, Username: "auditor", OrgID: 0}
		day := 24 * time.Hour
		for _, age := range []time.Duration{300 * day, 250 * day, 187 * day, 10 * day} {
			setClock(t, now.Add(-age))
			recordAs(t, db, a, audit.Event{Action: "user.update", ObjectType: "user", ObjectID: "1"})
		}
		setClock(t, now)
		if _, err := audit.Prune(ctx, db, 100, now); err == nil || !strings.Contains(err.Error(), "184") {
			t.Fatalf("a retention of 100 days must be refused, got %v", err)
		}
		n, err := audit.Prune(ctx, db, 190, now)
		if err != nil || n != 2 {
			t.Fatalf("pruned %d rows (want the 2 older than 190 days): %v", n, err)
		}
		rows, total, err := audit.Query(ctx, db, org.System(), audit.Filter{})
		if err != nil || total != 3 {
			t.Fatalf("left %d rows, want 3 (187 days, 10 days, the prune event): %v", total, err)
		}
		if rows[0].Action != "audit.prune" || !strings.Contains(rows[0].Detail, "deleted=2") {
			t.Fatalf("pruning must be audited with its count: %+v", rows[0])
		}
		if rows[2].Seq != 3 || now.Sub(rows[2].At) < 186*day {
			t.Fatalf("the row of 187 days ago is inside retention and must stay: %+v", rows[2])
		}
		res, err := audit.Verify(ctx, db)
		if err != nil || !res.OK() || res.FirstSeq != 3 || res.LastSeq != 5 {
			t.Fatalf("chain after pruning: %+v %v", res, err)
		}
		b, err := audit.GetBounds(ctx, db)
		if err != nil || b.PruneBefore.IsZero() || now.Sub(b.Oldest) < 186*day {
			t.Fatalf("bounds: %+v %v", b, err)
		}
		// A second run finds nothing new but is still recorded; the chain holds.
		if n, err := audit.Prune(ctx, db, 200, now); err != nil || n != 0 {
			t.Fatalf("second prune: %d %v", n, err)
		}
		if res, err := audit.Verify(ctx, db); err != nil || !res.OK() {
			t.Fatalf("chain after second prune: %+v %v", res, err)
		}
		// Rows inside retention still cannot be deleted by hand.
		if _, err := db.Exec(ctx, `DELETE FROM audit_log WHERE seq = 3`); err == nil {
			t.Fatal("deleting a row inside retention must be refused")
		}
	})
}
