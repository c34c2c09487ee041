// Package storetest gives each test a fresh, migrated database on every
// engine available: SQLite always, PostgreSQL when FENGQIAO_TEST_POSTGRES
// holds a URL (CI sets it).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"fengqiao/internal/store"
)

// PostgresEnv names the environment variable with the PostgreSQL URL.
const PostgresEnv = "FENGQIAO_TEST_POSTGRES"

// Each runs f once per engine as subtests "sqlite" and "postgres".
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			f(t, Open(t, e))
		})
	}
}

// Open returns a fresh migrated database on engine e, removed at the end of
// the test. A PostgreSQL test is skipped when no URL is configured.
func Open(t testing.TB, e store.Engine) *store.DB {
	t.Helper()
	ctx := context.Background()
	cfg := Config(t, e)
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s: %v", e, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", e, err)
	}
	return db
}

// Config returns the configuration of a fresh empty database on engine e
// (not yet migrated), for tests that start whole programs on it.
func Config(t testing.TB, e store.Engine) store.Config {
	t.Helper()
	if e == store.SQLite {
		return store.Config{Path: filepath.Join(t.TempDir(), "fengqiao.db")}
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skip(PostgresEnv + " is not set: PostgreSQL variant skipped")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres create schema: %v", err)
	}
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err == nil {
			_, _ = a.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
			a.Close()
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return store.Config{URL: u.String(), MaxOpen: 8}
}

// PostgresConfigured reports whether PostgreSQL tests will run.
func PostgresConfigured() bool { return os.Getenv(PostgresEnv) != "" }
