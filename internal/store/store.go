// Package store owns the database connection, the SQL dialect differences
// and the embedded migrations. Business packages write portable SQL with
// '?' placeholders and never branch on the engine themselves.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL driver "pgx"
	_ "modernc.org/sqlite"             // pure-Go SQLite driver "sqlite"
)

// Engine names the database engine.
type Engine string

const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// Config says where the database is.
type Config struct {
	// URL is a PostgreSQL URL (postgres://…); empty means SQLite at Path.
	URL string
	// Path is the SQLite file, used when URL is empty.
	Path string
	// MaxOpen caps the PostgreSQL pool (and the SQLite read pool).
	MaxOpen int
}

// DB is the program's handle on its database. Reads go to a read pool;
// writes and transactions go to the write pool, which on SQLite holds a
// single connection so writers queue in Go instead of failing with
// SQLITE_BUSY. On PostgreSQL both pools are the same.
type DB struct {
	Engine Engine
	w, r   *sql.DB
}

// Open connects and checks the connection.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	if cfg.MaxOpen <= 0 {
		cfg.MaxOpen = 16
	}
	if cfg.URL != "" {
		if !strings.HasPrefix(cfg.URL, "postgres://") && !strings.HasPrefix(cfg.URL, "postgresql://") {
			return nil, fmt.Errorf("database URL must start with postgres:// (got %q)", redactURL(cfg.URL))
		}
		// Jurisdiction filters bind path bounds as parameters; PostgreSQL's
		// generic plans (after five runs of a prepared statement) cannot see
		// them and scan every row of the province. Plan each run instead.
		u, err := url.Parse(cfg.URL)
		if err != nil {
			return nil, fmt.Errorf("database URL: %w", err)
		}
		q := u.Query()
		if q.Get("plan_cache_mode") == "" {
			q.Set("plan_cache_mode", "force_custom_plan")
		}
		u.RawQuery = q.Encode()
		p, err := sql.Open("pgx", u.String())
		if err != nil {
			return nil, err
		}
		p.SetMaxOpenConns(cfg.MaxOpen)
		p.SetMaxIdleConns(cfg.MaxOpen)
		p.SetConnMaxIdleTime(5 * time.Minute)
		if err := p.PingContext(ctx); err != nil {
			p.Close()
			return nil, fmt.Errorf("connect to PostgreSQL %s: %w", redactURL(cfg.URL), err)
		}
		return &DB{Engine: Postgres, w: p, r: p}, nil
	}
	if cfg.Path == "" {
		return nil, errors.New("no database: give a PostgreSQL URL or an SQLite path")
	}
	if err := os.MkdirAll(filepath.Dir(cfg.Path), 0o700); err != nil {
		return nil, err
	}
	// synchronous=FULL: an acknowledged commit survives power loss in WAL mode.
	pragmas := "_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(1)" +
		"&_pragma=busy_timeout(10000)&_pragma=secure_delete(1)&_pragma=temp_store(2)"
	w, err := sql.Open("sqlite", "file:"+cfg.Path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", cfg.Path, err)
	}
	// Personal data lives here: readable by the service account only.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		_ = os.Chmod(cfg.Path+suffix, 0o600)
	}
	r, err := sql.Open("sqlite", "file:"+cfg.Path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(cfg.MaxOpen)
	r.SetMaxIdleConns(cfg.MaxOpen)
	return &DB{Engine: SQLite, w: w, r: r}, nil
}

func redactURL(u string) string {
	if i := strings.Index(u, "@"); i > 0 {
		if j := strings.Index(u, "://"); j > 0 && j < i {
			return u[:j+3] + "…" + u[i:]
		}
	}
	return u
}

// Close closes both pools.
func (db *DB) Close() error {
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Writer exposes the write pool for tools that need a raw *sql.DB
// (migrations, backup). Business code uses Tx.
func (db *DB) Writer() *sql.DB { return db.w }

// Reader exposes the read pool (metrics).
func (db *DB) Reader() *sql.DB { return db.r }

// Querier is what both DB (reads) and Tx offer to store code.
type Querier interface {
	Exec(ctx context.Context, query string, args ...any) (sql.Result, error)
	Query(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) *sql.Row
	Engine() Engine
}

type reader struct{ db *DB }

// Read returns a Querier on the read pool. Exec on it fails on SQLite
// (query_only), which catches writes outside a transaction in tests.
func (db *DB) Read() Querier { return reader{db} }

func (q reader) Engine() Engine { return q.db.Engine }
func (q reader) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return q.db.r.ExecContext(ctx, q.db.rebind(query), q.db.convert(args)...)
}
func (q reader) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.db.r.QueryContext(ctx, q.db.rebind(query), q.db.convert(args)...)
}
func (q reader) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return q.db.r.QueryRowContext(ctx, q.db.rebind(query), q.db.convert(args)...)
}

// Tx is a write transaction. On SQLite it is BEGIN IMMEDIATE.
type Tx struct {
	db       *DB
	tx       *sql.Tx
	onCommit []func()
}

func (t *Tx) Engine() Engine { return t.db.Engine }
func (t *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.db.rebind(query), t.db.convert(args)...)
}
func (t *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.db.rebind(query), t.db.convert(args)...)
}
func (t *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.db.rebind(query), t.db.convert(args)...)
}

// OnCommit runs f after a successful commit (e.g. to wake a worker).
func (t *Tx) OnCommit(f func()) { t.onCommit = append(t.onCommit, f) }

// Tx runs f in one write transaction: all of f's writes are kept or none.
func (db *DB) Tx(ctx context.Context, f func(tx *Tx) error) (err error) {
	sqltx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &Tx{db: db, tx: sqltx}
	defer func() {
		if p := recover(); p != nil {
			_ = sqltx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqltx.Rollback()
			return
		}
		if err = sqltx.Commit(); err == nil {
			for _, f := range t.onCommit {
				f()
			}
		}
	}()
	return f(t)
}

// Exec runs a single write statement in its own transaction.
func (db *DB) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var res sql.Result
	err := db.Tx(ctx, func(tx *Tx) error {
		var err error
		res, err = tx.Exec(ctx, query, args...)
		return err
	})
	return res, err
}

// InsertID runs an INSERT … RETURNING id and returns the id.
func InsertID(ctx context.Context, q Querier, query string, args ...any) (int64, error) {
	var id int64
	err := q.QueryRow(ctx, query, args...).Scan(&id)
	return id, err
}

// TimeLayout is how times are stored on SQLite: UTC, fixed width, so that
// text order is time order and modernc parses it back into time.Time for
// columns declared TIMESTAMP.
const TimeLayout = "2006-01-02 15:04:05.000000"

func (db *DB) convert(args []any) []any {
	if db.Engine != SQLite {
		return args
	}
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			args[i] = v.UTC().Format(TimeLayout)
		case *time.Time:
			if v == nil {
				args[i] = nil
			} else {
				args[i] = v.UTC().Format(TimeLayout)
			}
		case sql.NullTime:
			if v.Valid {
				args[i] = v.Time.UTC().Format(TimeLayout)
			} else {
				args[i] = nil
			}
		}
	}
	return args
}

// IsUniqueViolation reports whether err is a unique-constraint violation on
// either engine.
func IsUniqueViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "UNIQUE constraint failed") || strings.Contains(s, "SQLSTATE 23505")
}

// IsForeignKeyViolation reports a foreign-key violation on either engine.
func IsForeignKeyViolation(err error) bool {
	if err == nil {
		return false
	}
	s := err.Error()
	return strings.Contains(s, "FOREIGN KEY constraint failed") || strings.Contains(s, "SQLSTATE 23503")
}

// ErrNotFound is returned by store methods when a record does not exist or
// lies outside the caller's scope (the two are indistinguishable on purpose).
var ErrNotFound = errors.New("not found")
