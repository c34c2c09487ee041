package store_test

import (
	"context"
	"embed"
	"sync"
	"testing"
	"time"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

//go:embed testdata/migrations
var testMigrations embed.FS

func init() {
	sub, _ := fsSub(testMigrations, "testdata/migrations")
	store.RegisterMigrations("store_test", sub)
}

func TestRebindAndRoundTrip(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Date(2026, 1, 2, 3, 4, 5, 600000000, time.UTC)
		var id int64
		err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			id, err = store.InsertID(ctx, tx, `INSERT INTO st_items(name, at, flag) VALUES(?, ?, ?) RETURNING id`, "问号?不替换'?'", at, true)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var name string
		var got time.Time
		var flag bool
		if err := db.Read().QueryRow(ctx, `SELECT name, at, flag FROM st_items WHERE id = ? AND name <> '?'`, id).Scan(&name, &got, &flag); err != nil {
			t.Fatal(err)
		}
		if name != "问号?不替换'?'" || !got.Equal(at) || !flag {
			t.Fatalf("got %q %v %v", name, got, flag)
		}
	})
}

func TestTxRollsBackOnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.Exec(ctx, `INSERT INTO st_items(name, at, flag) VALUES('a', ?, FALSE)`, time.Now()); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO st_items(name, at, flag) VALUES('a', ?, FALSE)`, time.Now())
			return err // unique violation
		})
		if !store.IsUniqueViolation(err) {
			t.Fatalf("want unique violation, got %v", err)
		}
		var n int
		_ = db.Read().QueryRow(ctx, `SELECT count(*) FROM st_items`).Scan(&n)
		if n != 0 {
			t.Fatalf("half-written transaction kept %d rows", n)
		}
	})
}

func TestConcurrentWritersQueue(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.Tx(ctx, func(tx *store.Tx) error {
					var n int
					if err := tx.QueryRow(ctx, `SELECT count(*) FROM st_items`).Scan(&n); err != nil {
						return err
					}
					_, err := tx.Exec(ctx, `INSERT INTO st_items(name, at, flag) VALUES(?, ?, FALSE)`, time.Now().String()+string(rune('A'+i)), time.Now())
					return err
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestPrefixRange(t *testing.T) {
	lo, hi := store.PrefixRange("/1/3/")
	for _, p := range []string{"/1/3/", "/1/3/7/", "/1/3/99/12/"} {
		if !(p >= lo && p < hi) {
			t.Errorf("%s not in [%s,%s)", p, lo, hi)
		}
	}
	for _, p := range []string{"/1/30/", "/1/4/", "/1/", "/1/2/9/"} {
		if p >= lo && p < hi {
			t.Errorf("%s wrongly in [%s,%s)", p, lo, hi)
		}
	}
}

func TestMigrationsAreCurrent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		n, err := db.Pending(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("pending %d, err %v", n, err)
		}
	})
}

// Every PostgreSQL connection plans each statement with its parameters.
func TestPostgresPlansWithParameters(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	var mode string
	if err := db.Read().QueryRow(context.Background(), `SELECT current_setting('plan_cache_mode')`).Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "force_custom_plan" {
		t.Fatalf("plan_cache_mode = %s", mode)
	}
}
