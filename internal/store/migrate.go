package store

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"sync"
	"testing/fstest"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// Migrations are owned by the package whose tables they create: each
// package embeds migrations/{sqlite,postgres}/NNNNN_name.sql and registers
// the FS in an init function. A program or test binary migrates exactly the
// packages it links. Version ranges keep packages apart:
//
//	00100–00999 platform (org, auth, audit, settings…)
//	01000–01999 kernel   (person, casework, calendar, jobs, notify, files…)
//	02000–09999 business lines, 100 per line (mediation 02000…)
var (
	regMu    sync.Mutex
	registry = map[string]fs.FS{}
)

// RegisterMigrations adds a package's migrations. fsys must contain the
// directories "sqlite" and "postgres".
func RegisterMigrations(owner string, fsys fs.FS) {
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := registry[owner]; dup {
		panic("store: migrations registered twice for " + owner)
	}
	registry[owner] = fsys
}

func mergedMigrations(e Engine) (fs.FS, error) {
	regMu.Lock()
	defer regMu.Unlock()
	out := fstest.MapFS{}
	owners := make([]string, 0, len(registry))
	for o := range registry {
		owners = append(owners, o)
	}
	sort.Strings(owners)
	seen := map[string]string{}
	for _, o := range owners {
		dir := string(e)
		entries, err := fs.ReadDir(registry[o], dir)
		if err != nil {
			return nil, fmt.Errorf("migrations of %s: %w", o, err)
		}
		for _, ent := range entries {
			if ent.IsDir() || path.Ext(ent.Name()) != ".sql" {
				continue
			}
			b, err := fs.ReadFile(registry[o], dir+"/"+ent.Name())
			if err != nil {
				return nil, err
			}
			ver := ent.Name()
			if i := indexByte(ver, '_'); i > 0 {
				ver = ver[:i]
			}
			if prev, dup := seen[ver]; dup {
				return nil, fmt.Errorf("migration version %s used by both %s and %s", ver, prev, o)
			}
			seen[ver] = o
			out[ent.Name()] = &fstest.MapFile{Data: b, Mode: 0o444}
		}
	}
	return out, nil
}

func indexByte(s string, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

func (db *DB) provider() (*goose.Provider, error) {
	fsys, err := mergedMigrations(db.Engine)
	if err != nil {
		return nil, err
	}
	d := goose.DialectSQLite3
	opts := []goose.ProviderOption{goose.WithAllowOutofOrder(true), goose.WithDisableGlobalRegistry(true)}
	if db.Engine == Postgres {
		d = goose.DialectPostgres
		// Several app nodes may start together: an advisory lock lets one migrate.
		// The lock is per schema, so separate schemas (tests, tenants)
		// do not wait for each other.
		var schema string
		if err := db.w.QueryRow(`SELECT current_schema()`).Scan(&schema); err != nil {
			return nil, err
		}
		h := fnv.New64a()
		h.Write([]byte(schema))
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockID(lock.DefaultLockID^int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 600))
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(d, db.w, fsys, opts...)
}

// Migrate applies all pending migrations and returns how many it applied.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	p, err := db.provider()
	if err != nil {
		return 0, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return len(res), fmt.Errorf("migrate: %w", err)
	}
	return len(res), nil
}

// Pending reports how many migrations are not applied yet (readiness).
func (db *DB) Pending(ctx context.Context) (int, error) {
	p, err := db.provider()
	if err != nil {
		return 0, err
	}
	st, err := p.Status(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, s := range st {
		if s.State == goose.StatePending {
			n++
		}
	}
	return n, nil
}
