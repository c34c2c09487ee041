package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"fengqiao/internal/store"
)

// TickFunc is periodic work; tick is the scheduled moment (a multiple of
// the interval), the same on every node, usable as an idempotency key.
type TickFunc func(ctx context.Context, tick time.Time) error

type schedule struct {
	name     string
	interval time.Duration
	fn       TickFunc
	busy     atomic.Bool // a tick of it runs on this node
}

// Every runs fn once per interval across all runners sharing the database.
// Ticks fall on multiples of interval since the zero time (UTC), so every
// node agrees on them; a tick is run by the node that first moves the
// schedule's next_run_at past it. Ticks missed while no node ran are not
// replayed: the next tick runs once. A tick whose fn fails is not retried
// (its error is kept in job_schedules.last_error); work that must not be
// lost should Enqueue jobs from fn. Register before Run; a duplicate name
// or a non-positive interval panics.
func (r *Runner) Every(name string, interval time.Duration, fn TickFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running {
		panic("jobs: Every after Run")
	}
	if _, dup := r.schedules[name]; dup || name == "" || len(name) > 100 || interval <= 0 || fn == nil {
		panic(fmt.Sprintf("jobs: bad or duplicate schedule %q (%s)", name, interval))
	}
	r.schedules[name] = &schedule{name: name, interval: interval, fn: fn}
}

// schedule is the runner's scheduler loop.
func (r *Runner) schedule(ctx, jobCtx context.Context) {
	for ctx.Err() == nil {
		if err := r.ensureSchedules(ctx); err == nil {
			break
		} else if ctx.Err() == nil {
			r.metrics.DBErrors.Add(1)
			r.log.Error("jobs: register schedules", "err", err)
		}
		sleep(ctx, r.cfg.Poll)
	}
	names := make([]any, 0, len(r.schedules))
	for n := range r.schedules {
		names = append(names, n)
	}
	type due struct {
		s    *schedule
		next time.Time
	}
	for ctx.Err() == nil {
		wait := r.cfg.Poll
		var list []due
		rows, err := r.db.Read().Query(ctx, `SELECT name, next_run_at FROM job_schedules WHERE name IN (`+
			store.InList(len(names))+`)`, names...)
		if err == nil {
			for rows.Next() {
				var name string
				var next store.Time
				if err = rows.Scan(&name, &next); err != nil {
					break
				}
				if s := r.schedules[name]; s != nil {
					list = append(list, due{s, next.T})
				}
			}
			if cerr := rows.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = rows.Err()
			}
		}
		now := r.cfg.Now()
		for _, x := range list {
			if err != nil {
				break
			}
			if d := x.next.Sub(now); d > 0 {
				wait = min(wait, d)
				continue
			}
			tick := now.Truncate(x.s.interval)
			wait = min(wait, tick.Add(x.s.interval).Sub(now))
			if x.s.busy.Load() {
				continue // still running the previous tick here
			}
			var ok bool
			if ok, err = r.claimTick(ctx, x.s, now, tick.Add(x.s.interval)); ok {
				x.s.busy.Store(true)
				r.ticks.Add(1)
				go r.runTick(jobCtx, x.s, tick)
			}
		}
		if err != nil && ctx.Err() == nil {
			r.metrics.DBErrors.Add(1)
			r.log.Error("jobs: scheduler", "err", err)
		}
		sleep(ctx, max(wait, time.Millisecond))
	}
}

// ensureSchedules creates this runner's schedule rows; a changed interval
// restarts the schedule at the next tick of the new interval.
func (r *Runner) ensureSchedules(ctx context.Context) error {
	now := r.cfg.Now()
	return r.db.Tx(ctx, func(tx *store.Tx) error {
		for _, s := range r.schedules {
			next := now.Truncate(s.interval).Add(s.interval)
			_, err := tx.Exec(ctx, `INSERT INTO job_schedules (name, interval_ms, next_run_at, updated_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (name) DO UPDATE SET
					next_run_at = CASE WHEN job_schedules.interval_ms <> excluded.interval_ms
						THEN excluded.next_run_at ELSE job_schedules.next_run_at END,
					interval_ms = excluded.interval_ms,
					updated_at = excluded.updated_at`,
				s.name, s.interval.Milliseconds(), next, now)
			if err != nil {
				return fmt.Errorf("schedule %s: %w", s.name, err)
			}
		}
		return nil
	})
}

// claimTick moves next_run_at past now; only one node's UPDATE can match.
func (r *Runner) claimTick(ctx context.Context, s *schedule, now, next time.Time) (bool, error) {
	res, err := r.db.Exec(ctx, `UPDATE job_schedules SET next_run_at = ?, last_run_at = ?, last_owner = ?, updated_at = ?
		WHERE name = ? AND next_run_at <= ?`, next, now, r.cfg.Owner, now, s.name, now)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func (r *Runner) runTick(ctx context.Context, s *schedule, tick time.Time) {
	defer r.ticks.Done()
	defer s.busy.Store(false)
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				r.metrics.Panics.Add(1)
				err = fmt.Errorf("panic: %v", p)
			}
		}()
		return s.fn(ctx, tick)
	}()
	msg := ""
	if err != nil {
		r.metrics.TicksFailed.Add(1)
		msg = clip(err.Error(), 4000)
		r.log.Error("jobs: periodic task failed", "schedule", s.name, "tick", tick, "err", err)
	} else {
		r.metrics.TicksRun.Add(1)
	}
	wctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, werr := r.db.Exec(wctx, `UPDATE job_schedules SET last_error = ? WHERE name = ?`, msg, s.name); werr != nil &&
		!errors.Is(werr, context.Canceled) {
		r.metrics.DBErrors.Add(1)
		r.log.Error("jobs: record periodic result", "schedule", s.name, "err", werr)
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
