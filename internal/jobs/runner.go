package jobs

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"fengqiao/internal/store"
)

// Job is what a handler gets: one claimed run of a job.
type Job struct {
	ID          int64
	Kind        string
	Payload     json.RawMessage
	Attempt     int // 1 on the first run
	MaxAttempts int
}

// Decode unmarshals the payload into v.
func (j *Job) Decode(v any) error {
	if err := json.Unmarshal(j.Payload, v); err != nil {
		return Permanent(fmt.Errorf("payload of job %d (%s): %w", j.ID, j.Kind, err))
	}
	return nil
}

// Handler does the work of one job. Returning an error retries the job
// after a back-off (or makes it dead after its last attempt). ctx is
// cancelled when the lease is lost or the runner's grace period after stop
// runs out.
type Handler func(ctx context.Context, j *Job) error

type permanent struct{ err error }

func (p permanent) Error() string { return p.err.Error() }
func (p permanent) Unwrap() error { return p.err }

// Permanent marks an error that no retry can fix (bad payload, record
// gone): the job becomes dead at once.
func Permanent(err error) error { return permanent{err} }

// Config tunes a Runner; zero values take the defaults shown.
type Config struct {
	// Owner names this node in lease_owner (default host-pid-random).
	Owner string
	// Workers is how many jobs run at once (2).
	Workers int
	// Poll is the longest an idle worker waits before looking again (2 s);
	// jobs enqueued in this process wake workers at once.
	Poll time.Duration
	// Lease is how long a claim holds without renewal (1 min). Running
	// jobs renew it every Lease/3.
	Lease time.Duration
	// Grace is how long running jobs may finish after Run's context ends
	// (30 s); then their context is cancelled and they are released.
	Grace time.Duration
	// Backoff gives the delay before retry number attempt (1-based)
	// (ExpBackoff(10 s, 1 h)).
	Backoff func(attempt int) time.Duration
	// Now is the runner's clock (time.Now); Enqueue always uses the wall
	// clock.
	Now func() time.Time
	// Logger (slog.Default()).
	Logger *slog.Logger
}

// ExpBackoff doubles base per attempt up to max, with jitter: the delay is
// uniform in [d/2, d] so that jobs failing together do not retry together.
func ExpBackoff(base, max time.Duration) func(int) time.Duration {
	return func(attempt int) time.Duration {
		d := base
		for i := 1; i < attempt && d < max; i++ {
			d *= 2
		}
		if d > max {
			d = max
		}
		half := d / 2
		if half <= 0 {
			return d
		}
		n, err := rand.Int(rand.Reader, big.NewInt(int64(half)+1))
		if err != nil {
			return d
		}
		return half + time.Duration(n.Int64())
	}
}

// Metrics counts what a runner did; the app exports them (Prometheus).
type Metrics struct {
	Claimed     atomic.Int64 // runs started
	Succeeded   atomic.Int64
	Retried     atomic.Int64 // failed runs scheduled again
	Dead        atomic.Int64 // jobs given up
	Released    atomic.Int64 // runs handed back at shutdown
	LeaseLost   atomic.Int64 // runs whose lease another node took
	Panics      atomic.Int64
	DBErrors    atomic.Int64
	TicksRun    atomic.Int64
	TicksFailed atomic.Int64
}

// Snapshot returns the counters by name.
func (m *Metrics) Snapshot() map[string]int64 {
	return map[string]int64{
		"claimed": m.Claimed.Load(), "succeeded": m.Succeeded.Load(), "retried": m.Retried.Load(),
		"dead": m.Dead.Load(), "released": m.Released.Load(), "lease_lost": m.LeaseLost.Load(),
		"panics": m.Panics.Load(), "db_errors": m.DBErrors.Load(),
		"ticks_run": m.TicksRun.Load(), "ticks_failed": m.TicksFailed.Load(),
	}
}

// Runner claims and runs jobs of the kinds it has handlers for, and runs
// periodic schedules. Several runners (nodes) may share one database.
type Runner struct {
	db      *store.DB
	cfg     Config
	log     *slog.Logger
	metrics Metrics

	mu        sync.Mutex
	handlers  map[string]Handler
	schedules map[string]*schedule
	running   bool

	wake  chan struct{}
	ticks sync.WaitGroup // periodic runs in flight
}

// NewRunner returns a runner on db; register handlers and schedules, then
// call Run.
func NewRunner(db *store.DB, cfg Config) *Runner {
	if cfg.Owner == "" {
		host, _ := os.Hostname()
		var b [3]byte
		_, _ = rand.Read(b[:])
		cfg.Owner = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b[:]))
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 2 * time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = time.Minute
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 30 * time.Second
	}
	if cfg.Backoff == nil {
		cfg.Backoff = ExpBackoff(10*time.Second, time.Hour)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Runner{
		db: db, cfg: cfg, log: cfg.Logger.With("component", "jobs", "owner", cfg.Owner),
		handlers: map[string]Handler{}, schedules: map[string]*schedule{},
		wake: make(chan struct{}, 1),
	}
}

// Owner is this runner's lease owner name.
func (r *Runner) Owner() string { return r.cfg.Owner }

// Metrics returns the live counters.
func (r *Runner) Metrics() *Metrics { return &r.metrics }

// Handle registers the handler of kind. Registering twice, or after Run,
// is a programming error and panics.
func (r *Runner) Handle(kind string, h Handler) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		panic("jobs: Handle after Run")
	}
	if _, dup := r.handlers[kind]; dup || kind == "" || h == nil {
		panic("jobs: bad or duplicate handler for kind " + kind)
	}
	r.handlers[kind] = h
}

func (r *Runner) signal() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run works until ctx ends, then stops claiming, lets running jobs finish
// within Grace, and returns. It returns an error only if it cannot start.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.running {
		r.mu.Unlock()
		return errors.New("jobs: runner already running")
	}
	r.running = true
	kinds := make([]string, 0, len(r.handlers))
	for k := range r.handlers {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	r.mu.Unlock()

	wakeMu.Lock()
	wakeSet[r] = struct{}{}
	wakeMu.Unlock()
	defer func() {
		wakeMu.Lock()
		delete(wakeSet, r)
		wakeMu.Unlock()
	}()

	// Jobs keep their own context so a stop lets them finish; it ends
	// Grace after ctx does.
	jobCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.NewTimer(r.cfg.Grace)
		defer t.Stop()
		select {
		case <-t.C:
			cancelJobs()
		case <-jobCtx.Done():
		}
	})
	defer stopGrace()

	var wg sync.WaitGroup
	if len(kinds) > 0 {
		for i := 0; i < r.cfg.Workers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.work(ctx, jobCtx, kinds)
			}()
		}
	}
	if len(r.schedules) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.schedule(ctx, jobCtx)
		}()
	}
	<-ctx.Done() // also when nothing is registered: Run always lasts until stopped
	wg.Wait()
	r.ticks.Wait()
	return nil
}

// work is one worker's loop.
func (r *Runner) work(ctx, jobCtx context.Context, kinds []string) {
	for ctx.Err() == nil {
		wait := r.cfg.Poll
		next, err := r.nextDue(ctx, kinds)
		if err == nil && !next.IsZero() {
			if d := next.Sub(r.cfg.Now()); d <= 0 {
				var j *Job
				j, err = r.claim(ctx, kinds)
				if err == nil && j != nil {
					r.signal() // more may be waiting: let an idle worker look
					r.run(jobCtx, j)
					continue
				}
				if err == nil {
					// Another node was quicker (or holds the row this
					// instant): look again soon, without spinning.
					wait = min(wait, 20*time.Millisecond)
				}
			} else if d < wait {
				wait = d
			}
		}
		if err != nil && ctx.Err() == nil {
			r.metrics.DBErrors.Add(1)
			r.log.Error("jobs: poll", "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// nextDue is the earliest moment an open job of kinds becomes claimable,
// zero if there is none. A read, so idle nodes do not take SQLite's write
// lock.
func (r *Runner) nextDue(ctx context.Context, kinds []string) (time.Time, error) {
	args := make([]any, 0, len(kinds))
	for _, k := range kinds {
		args = append(args, k)
	}
	var t store.Time
	err := r.db.Read().QueryRow(ctx, `SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > run_at
		THEN lease_until ELSE run_at END) FROM jobs
		WHERE done_at IS NULL AND dead_at IS NULL AND kind IN (`+store.InList(len(kinds))+`)`, args...).Scan(&t)
	return t.T, err
}

// claim leases the oldest claimable job in one statement. On PostgreSQL
// the subquery skips rows other nodes are claiming at this instant; on
// SQLite the write transaction already excludes other writers.
func (r *Runner) claim(ctx context.Context, kinds []string) (*Job, error) {
	now := r.cfg.Now()
	skip := ""
	if r.db.Engine == store.Postgres {
		skip = " FOR UPDATE SKIP LOCKED"
	}
	args := []any{r.cfg.Owner, now.Add(r.cfg.Lease), now, now, now}
	for _, k := range kinds {
		args = append(args, k)
	}
	var j *Job
	err := r.db.Tx(ctx, func(tx *store.Tx) error {
		var x Job
		var payload string
		err := tx.QueryRow(ctx, `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = attempts + 1, updated_at = ?
			WHERE id = (SELECT id FROM jobs
				WHERE done_at IS NULL AND dead_at IS NULL AND run_at <= ?
				  AND (lease_until IS NULL OR lease_until < ?)
				  AND kind IN (`+store.InList(len(kinds))+`)
				ORDER BY run_at, id LIMIT 1`+skip+`)
			RETURNING id, kind, payload, attempts, max_attempts`, args...).
			Scan(&x.ID, &x.Kind, &payload, &x.Attempt, &x.MaxAttempts)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		x.Payload = json.RawMessage(payload)
		j = &x
		return nil
	})
	return j, err
}

// run executes one claimed job and records the outcome, all fenced by
// (owner, attempt) so a node that lost its lease cannot overwrite the new
// owner's result.
func (r *Runner) run(jobCtx context.Context, j *Job) {
	r.metrics.Claimed.Add(1)
	log := r.log.With("job", j.ID, "kind", j.Kind, "attempt", j.Attempt)
	if j.Attempt > j.MaxAttempts {
		// Earlier nodes died holding the last attempts; do not run again.
		r.finish(j, "dead", errors.New("租约过期：执行节点在最后一次尝试中停止"), log)
		return
	}
	r.mu.Lock()
	h := r.handlers[j.Kind]
	r.mu.Unlock()

	hctx, cancel := context.WithCancel(jobCtx)
	var lost atomic.Bool
	renewDone := make(chan struct{})
	go func() {
		defer close(renewDone)
		t := time.NewTicker(r.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-hctx.Done():
				return
			case <-t.C:
				ok, err := r.renew(j)
				if err != nil {
					r.metrics.DBErrors.Add(1)
					log.Warn("jobs: lease renewal", "err", err)
					continue // try again; the lease lasts three periods
				}
				if !ok {
					lost.Store(true)
					cancel()
					return
				}
			}
		}
	}()
	err := r.call(hctx, h, j)
	cancel()
	<-renewDone

	switch {
	case lost.Load():
		r.metrics.LeaseLost.Add(1)
		log.Warn("jobs: lease lost; result discarded", "err", err)
	case err == nil:
		r.finish(j, "done", nil, log)
	case jobCtx.Err() != nil && errors.Is(err, context.Canceled):
		r.finish(j, "release", err, log)
	default:
		var p permanent
		if errors.As(err, &p) || j.Attempt >= j.MaxAttempts {
			r.finish(j, "dead", err, log)
		} else {
			r.finish(j, "retry", err, log)
		}
	}
}

// call runs the handler, turning a panic into an error.
func (r *Runner) call(ctx context.Context, h Handler, j *Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.metrics.Panics.Add(1)
			err = fmt.Errorf("panic: %v\n%s", p, clip(string(debug.Stack()), 2000))
		}
	}()
	return h(ctx, j)
}

func (r *Runner) renew(j *Job) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Lease/3)
	defer cancel()
	now := r.cfg.Now()
	res, err := r.db.Exec(ctx, `UPDATE jobs SET lease_until = ?, updated_at = ?
		WHERE id = ? AND lease_owner = ? AND attempts = ? AND done_at IS NULL AND dead_at IS NULL`,
		now.Add(r.cfg.Lease), now, j.ID, r.cfg.Owner, j.Attempt)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// finish records the outcome of a run: done, retry, dead or release.
func (r *Runner) finish(j *Job, outcome string, runErr error, log *slog.Logger) {
	// Not the runner's context: the outcome must be written even while
	// stopping.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	now := r.cfg.Now()
	msg := ""
	if runErr != nil {
		msg = clip(runErr.Error(), 4000)
	}
	var (
		q    string
		args []any
	)
	switch outcome {
	case "done":
		q, args = `UPDATE jobs SET done_at = ?, lease_until = NULL, last_error = '', updated_at = ?`, []any{now, now}
	case "retry":
		q, args = `UPDATE jobs SET run_at = ?, lease_owner = NULL, lease_until = NULL, last_error = ?, updated_at = ?`,
			[]any{now.Add(r.cfg.Backoff(j.Attempt)), msg, now}
	case "dead":
		q, args = `UPDATE jobs SET dead_at = ?, lease_until = NULL, last_error = ?, updated_at = ?`, []any{now, msg, now}
	case "release":
		// Stopped by shutdown, not by the job: the attempt does not count.
		q, args = `UPDATE jobs SET attempts = attempts - 1, lease_owner = NULL, lease_until = NULL, updated_at = ?`, []any{now}
	}
	args = append(args, j.ID, r.cfg.Owner, j.Attempt)
	res, err := r.db.Exec(ctx, q+` WHERE id = ? AND lease_owner = ? AND attempts = ? AND done_at IS NULL AND dead_at IS NULL`, args...)
	if err != nil {
		r.metrics.DBErrors.Add(1)
		log.Error("jobs: record outcome", "outcome", outcome, "err", err)
		return
	}
	if n, _ := res.RowsAffected(); n == 0 {
		r.metrics.LeaseLost.Add(1)
		log.Warn("jobs: lease lost before the outcome was recorded", "outcome", outcome)
		return
	}
	switch outcome {
	case "done":
		r.metrics.Succeeded.Add(1)
	case "retry":
		r.metrics.Retried.Add(1)
		log.Warn("jobs: failed, will retry", "err", msg)
	case "dead":
		r.metrics.Dead.Add(1)
		log.Error("jobs: dead", "err", msg)
	case "release":
		r.metrics.Released.Add(1)
	}
}
