// Package jobs is the durable work queue: a jobs table claimed with leases
// (safe with several app nodes on one PostgreSQL database), retries with
// exponential back-off, dead jobs kept for inspection, and periodic
// schedules that run once per tick across nodes.
//
// Enqueue inside the business transaction that makes the work necessary:
// the job exists if and only if that transaction commits.
//
// Delivery is at least once: a node that stops mid-job leaves its lease to
// expire and another node runs the job again, so handlers must be
// idempotent (check whether the work is already done, or use a dedupe key
// for what they enqueue in turn).
package jobs

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"
	"unicode/utf8"

	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("jobs", sub)
}

// DefaultMaxAttempts: with the default back-off (10 s doubling, capped at
// 1 h) a job keeps trying for about an hour and a half before it is dead.
const DefaultMaxAttempts = 10

type options struct {
	runAt       time.Time
	delay       time.Duration
	maxAttempts int
	dedupeKey   string
}

// Option adjusts one Enqueue.
type Option func(*options)

// At runs the job no earlier than t.
func At(t time.Time) Option { return func(o *options) { o.runAt = t } }

// After runs the job no earlier than d from now.
func After(d time.Duration) Option { return func(o *options) { o.delay = d } }

// MaxAttempts sets how many runs are tried before the job is dead.
func MaxAttempts(n int) Option { return func(o *options) { o.maxAttempts = n } }

// Dedupe gives the job a key unique over the whole table: enqueueing the
// same key again returns the existing job's id and adds nothing (e.g.
// "remind:case:42:2026-03-01" for one reminder per case and day).
func Dedupe(key string) Option { return func(o *options) { o.dedupeKey = key } }

// Enqueue adds a job of kind with payload (marshalled to JSON) and returns
// its id. Pass the business transaction as q so that the job commits or
// rolls back with it; runners in this process are woken on commit.
func Enqueue(ctx context.Context, q store.Querier, kind string, payload any, opts ...Option) (int64, error) {
	o := options{maxAttempts: DefaultMaxAttempts}
	for _, f := range opts {
		f(&o)
	}
	if kind == "" || len(kind) > 100 {
		return 0, errors.New("kind: 任务类型必填且不超过100字节")
	}
	if o.maxAttempts < 1 || o.maxAttempts > 1000 {
		return 0, fmt.Errorf("max_attempts: 须在1到1000之间（收到 %d）", o.maxAttempts)
	}
	if len(o.dedupeKey) > 500 {
		return 0, errors.New("dedupe_key: 不超过500字节")
	}
	var body []byte
	switch p := payload.(type) {
	case json.RawMessage:
		if !json.Valid(p) {
			return 0, errors.New("payload: 不是有效的 JSON")
		}
		body = p
	default:
		var err error
		if body, err = json.Marshal(payload); err != nil {
			return 0, fmt.Errorf("payload: %w", err)
		}
	}
	now := time.Now()
	runAt := now
	if !o.runAt.IsZero() {
		runAt = o.runAt
	}
	if o.delay > 0 {
		runAt = runAt.Add(o.delay)
	}
	var key any
	if o.dedupeKey != "" {
		key = o.dedupeKey
	}
	id, err := store.InsertID(ctx, q, `INSERT INTO jobs (kind, payload, run_at, max_attempts, dedupe_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		kind, string(body), runAt, o.maxAttempts, key, now, now)
	if errors.Is(err, sql.ErrNoRows) && key != nil {
		// The key exists: same job, nothing new to wake anyone for.
		err = q.QueryRow(ctx, `SELECT id FROM jobs WHERE dedupe_key = ?`, key).Scan(&id)
		return id, err
	}
	if err != nil {
		return 0, fmt.Errorf("enqueue %s: %w", kind, err)
	}
	if tx, ok := q.(*store.Tx); ok {
		tx.OnCommit(wakeAll)
	} else {
		wakeAll()
	}
	return id, nil
}

// Submit enqueues in a transaction of its own, for work that follows no
// business write (e.g. a job started from the command line).
func Submit(ctx context.Context, db *store.DB, kind string, payload any, opts ...Option) (int64, error) {
	var id int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = Enqueue(ctx, tx, kind, payload, opts...)
		return err
	})
	return id, err
}

// Runners of this process, woken when a job is enqueued here.
var (
	wakeMu  sync.Mutex
	wakeSet = map[*Runner]struct{}{}
)

func wakeAll() {
	wakeMu.Lock()
	defer wakeMu.Unlock()
	for r := range wakeSet {
		r.signal()
	}
}

// Record is a job row, for inspection (admin pages, tests). Zero times
// mean NULL.
type Record struct {
	ID          int64
	Kind        string
	Payload     string
	RunAt       time.Time
	Attempts    int
	MaxAttempts int
	LeaseOwner  string
	LeaseUntil  time.Time
	LastError   string
	DoneAt      time.Time
	DeadAt      time.Time
	DedupeKey   string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// State is "done", "dead", "running" (leased at now), "scheduled" (run_at
// in the future) or "ready".
func (r Record) State(now time.Time) string {
	switch {
	case !r.DoneAt.IsZero():
		return "done"
	case !r.DeadAt.IsZero():
		return "dead"
	case !r.LeaseUntil.IsZero() && !r.LeaseUntil.Before(now):
		return "running"
	case r.RunAt.After(now):
		return "scheduled"
	}
	return "ready"
}

const recordCols = `id, kind, payload, run_at, attempts, max_attempts, COALESCE(lease_owner, ''), lease_until,
	last_error, done_at, dead_at, COALESCE(dedupe_key, ''), created_at, updated_at`

func scanRecord(sc interface{ Scan(...any) error }) (Record, error) {
	var r Record
	var runAt, leaseUntil, doneAt, deadAt, created, updated store.Time
	err := sc.Scan(&r.ID, &r.Kind, &r.Payload, &runAt, &r.Attempts, &r.MaxAttempts, &r.LeaseOwner, &leaseUntil,
		&r.LastError, &doneAt, &deadAt, &r.DedupeKey, &created, &updated)
	r.RunAt, r.LeaseUntil, r.DoneAt, r.DeadAt = runAt.T, leaseUntil.T, doneAt.T, deadAt.T
	r.CreatedAt, r.UpdatedAt = created.T, updated.T
	return r, err
}

// Get returns one job; store.ErrNotFound if there is none.
func Get(ctx context.Context, q store.Querier, id int64) (Record, error) {
	r, err := scanRecord(q.QueryRow(ctx, `SELECT `+recordCols+` FROM jobs WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, store.ErrNotFound
	}
	return r, err
}

// Dead lists dead jobs, newest first.
func Dead(ctx context.Context, q store.Querier, limit int) ([]Record, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := q.Query(ctx, `SELECT `+recordCols+` FROM jobs WHERE dead_at IS NOT NULL ORDER BY dead_at DESC, id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Retry revives a dead job with a fresh set of attempts; the last error is
// kept until the next run. store.ErrNotFound if id is not a dead job.
func Retry(ctx context.Context, tx *store.Tx, id int64) error {
	now := time.Now()
	res, err := tx.Exec(ctx, `UPDATE jobs SET dead_at = NULL, attempts = 0, run_at = ?, lease_owner = NULL,
		lease_until = NULL, updated_at = ? WHERE id = ? AND dead_at IS NOT NULL`, now, now, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	tx.OnCommit(wakeAll)
	return nil
}

// PurgeDone deletes finished jobs completed before t (housekeeping; dead
// jobs are kept until retried or removed by hand).
func PurgeDone(ctx context.Context, tx *store.Tx, before time.Time) (int64, error) {
	res, err := tx.Exec(ctx, `DELETE FROM jobs WHERE done_at IS NOT NULL AND done_at < ?`, before)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Counts is the queue's shape at a moment, for gauges.
type Counts struct {
	Ready, Scheduled, Running, Dead, Done int64
}

// Count returns the number of jobs in each state at now.
func Count(ctx context.Context, q store.Querier, now time.Time) (Counts, error) {
	var c Counts
	err := q.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN done_at IS NULL AND dead_at IS NULL AND (lease_until IS NULL OR lease_until < ?) AND run_at <= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN done_at IS NULL AND dead_at IS NULL AND (lease_until IS NULL OR lease_until < ?) AND run_at > ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN done_at IS NULL AND dead_at IS NULL AND lease_until >= ? THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN dead_at IS NOT NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0)
		FROM jobs`, now, now, now, now, now).Scan(&c.Ready, &c.Scheduled, &c.Running, &c.Dead, &c.Done)
	return c, err
}

// clip keeps error text bounded and valid UTF-8.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
