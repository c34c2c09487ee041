package person

import (
	"bytes"
	"context"
	"os"
	"testing"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// secrets are the fixture values that must never be stored in clear.
var secrets = []string{idA, idB, phoneA, phoneB, "110105491231002"}

func writeFixtures(t *testing.T, db *store.DB) {
	t.Helper()
	f := setup(t, db)
	f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA, Phone: phoneA})
	p := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "李四", IDNumber: idB, Phone: phoneB})
	if _, err := f.s.Update(context.Background(), f.scA, p.ID, Input{Name: "李肆", IDNumber: idB, Phone: phoneB}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Reveal(context.Background(), f.scA, true, p.ID, FieldIDNumber); err != nil {
		t.Fatal(err)
	}
}

func TestNothingInClearAtRestSQLite(t *testing.T) {
	ctx := context.Background()
	cfg := storetest.Config(t, store.SQLite)
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	writeFixtures(t, db)
	checked := 0
	var all []byte
	for _, path := range []string{cfg.Path, cfg.Path + "-wal"} {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read %s: %v", path, err)
		}
		if len(b) == 0 {
			continue
		}
		checked++
		all = append(all, b...)
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds %s in clear", path, s[:3]+"…")
			}
		}
	}
	if checked == 0 || !bytes.Contains(all, []byte("李肆")) {
		t.Fatal("the fixture rows are not in the bytes checked: the test would prove nothing")
	}
	// The rows are really there (the test is not vacuous).
	var n int
	if err := db.Read().QueryRow(ctx, `SELECT count(*) FROM persons WHERE doc_enc <> '' AND phone_enc <> ''`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("fixture rows: %d %v", n, err)
	}
}

func TestNothingInClearAtRestPostgres(t *testing.T) {
	db := storetest.Open(t, store.Postgres)
	ctx := context.Background()
	writeFixtures(t, db)
	for _, table := range []string{"persons", "audit_log"} {
		rows, err := db.Read().Query(ctx, `SELECT t::text FROM `+table+` t`)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			n++
			for _, sec := range secrets {
				if bytes.Contains([]byte(s), []byte(sec)) {
					t.Errorf("%s row holds %s in clear", table, sec[:3]+"…")
				}
			}
		}
		rows.Close()
		if n == 0 {
			t.Fatalf("%s is empty: nothing was checked", table)
		}
	}
}
