package audit

import (
	"context"
	"fmt"
	"time"

	"fengqiao/internal/store"
)

// RetentionFloor is the shortest retention in days: six months
// (Cybersecurity Law as amended 2025, art. 23). The database triggers
// enforce the same floor on audit_head.prune_before.
const RetentionFloor = 184

// DefaultRetention is the retention in days unless configured otherwise.
const DefaultRetention = 190

// Prune deletes rows older than retentionDays before now, and records an
// "audit.prune" event with the count, all in one transaction. It refuses a
// retention below RetentionFloor; so does the database, which also refuses
// to move the prune boundary backwards.
func Prune(ctx context.Context, db *store.DB, retentionDays int, now time.Time) (int64, error) {
	if retentionDays < RetentionFloor {
		return 0, fmt.Errorf("audit retention of %d days is below the floor of %d days (six months, Cybersecurity Law art. 23)", retentionDays, RetentionFloor)
	}
	cut := now.UTC().Add(-time.Duration(retentionDays) * 24 * time.Hour).Truncate(time.Microsecond)
	var deleted int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var before time.Time
		if err := tx.QueryRow(ctx, `SELECT prune_before FROM audit_head WHERE id = 1`+store.ForUpdate(tx.Engine())).Scan(&before); err != nil {
			return fmt.Errorf("audit head: %w", err)
		}
		// The boundary only moves forward (a clock set back must not
		// make the trigger fail the daily job).
		if cut.After(before) {
			if _, err := tx.Exec(ctx, `UPDATE audit_head SET prune_before = ? WHERE id = 1`, cut); err != nil {
				return fmt.Errorf("move prune boundary: %w", err)
			}
			before = cut
		}
		res, err := tx.Exec(ctx, `DELETE FROM audit_log WHERE at < ?`, before)
		if err != nil {
			return fmt.Errorf("prune audit_log: %w", err)
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return err
		}
		return Record(ctx, tx, Event{Action: "audit.prune", ObjectType: "audit_log",
			Detail: fmt.Sprintf("deleted=%d before=%s retention_days=%d", deleted, before.UTC().Format(time.RFC3339), retentionDays)})
	})
	if err != nil {
		return 0, err
	}
	return deleted, nil
}

// Bounds describes what the log holds now: its oldest remaining row and
// the boundary before which rows may have been pruned.
type Bounds struct {
	Oldest      time.Time // zero when the log is empty
	PruneBefore time.Time // zero when never pruned
}

// GetBounds reads the oldest row and the prune boundary.
func GetBounds(ctx context.Context, db *store.DB) (Bounds, error) {
	var b Bounds
	q := db.Read()
	rows, err := q.Query(ctx, `SELECT at FROM audit_log ORDER BY seq LIMIT 1`)
	if err != nil {
		return b, err
	}
	if rows.Next() {
		if err := rows.Scan(&b.Oldest); err != nil {
			rows.Close()
			return b, err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return b, err
	}
	if err := q.QueryRow(ctx, `SELECT prune_before FROM audit_head WHERE id = 1`).Scan(&b.PruneBefore); err != nil {
		return b, err
	}
	if b.PruneBefore.Year() <= 1 {
		b.PruneBefore = time.Time{}
	}
	return b, nil
}
