package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// eachTwoNodes runs f on every engine with two handles on one database:
// two "app nodes" that share nothing but the database.
func eachTwoNodes(t *testing.T, f func(t *testing.T, a, b *store.DB)) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, e)
			a, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { a.Close() })
			if _, err := a.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			b, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			f(t, a, b)
		})
	}
}

// start runs r until the test ends (or stop is called) and returns stop,
// which waits for Run to return.
func start(t *testing.T, r *Runner) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := r.Run(ctx); err != nil {
			t.Error(err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(30 * time.Second):
				t.Error("runner did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func get(t *testing.T, db *store.DB, id int64) Record {
	t.Helper()
	r, err := Get(context.Background(), db.Read(), id)
	if err != nil {
		t.Fatalf("get job %d: %v", id, err)
	}
	return r
}

func quiet(cfg Config) Config {
	cfg.Logger = discardLogger
	return cfg
}

func TestEnqueueFollowsTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		boom := errors.New("business write failed")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := Enqueue(ctx, tx, "notify", map[string]int{"case": 1}); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("tx: %v", err)
		}
		if c, _ := Count(ctx, db.Read(), time.Now()); c != (Counts{}) {
			t.Fatalf("rolled-back enqueue left jobs: %+v", c)
		}

		id, err := Submit(ctx, db, "notify", map[string]int{"case": 2}, After(time.Hour), MaxAttempts(3), Dedupe("k1"))
		if err != nil {
			t.Fatal(err)
		}
		again, err := Submit(ctx, db, "notify", map[string]int{"case": 3}, Dedupe("k1"))
		if err != nil || again != id {
			t.Fatalf("dedupe: id %d vs %d, err %v", again, id, err)
		}
		if _, err := Submit(ctx, db, "notify", nil); err != nil { // no key: no dedupe
			t.Fatal(err)
		}
		if _, err := Submit(ctx, db, "notify", nil); err != nil {
			t.Fatal(err)
		}
		r := get(t, db, id)
		if r.Payload != `{"case":2}` || r.MaxAttempts != 3 || r.DedupeKey != "k1" || r.State(time.Now()) != "scheduled" ||
			r.RunAt.Before(time.Now().Add(59*time.Minute)) {
			t.Fatalf("record: %+v", r)
		}
		c, err := Count(ctx, db.Read(), time.Now())
		if err != nil || c.Scheduled != 1 || c.Ready != 2 {
			t.Fatalf("counts %+v, %v", c, err)
		}

		for field, call := range map[string]func() error{
			"kind:":         func() error { _, err := Submit(ctx, db, "", nil); return err },
			"max_attempts:": func() error { _, err := Submit(ctx, db, "x", nil, MaxAttempts(0)); return err },
			"payload:":      func() error { _, err := Submit(ctx, db, "x", make(chan int)); return err },
		} {
			if err := call(); err == nil || !strings.HasPrefix(err.Error(), field) {
				t.Errorf("want error naming %s, got %v", field, err)
			}
		}
		if _, err := Get(ctx, db.Read(), 999999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get missing: %v", err)
		}
	})
}

// Two nodes, 200 jobs: every job runs exactly once and is recorded done.
func TestTwoNodesRunEachJobOnce(t *testing.T) {
	eachTwoNodes(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		const n = 200
		ids := make([]int64, 0, n)
		err := a.Tx(ctx, func(tx *store.Tx) error {
			for i := 0; i < n; i++ {
				id, err := Enqueue(ctx, tx, "work", map[string]int{"i": i})
				if err != nil {
					return err
				}
				ids = append(ids, id)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		runs := map[int64]int{}
		byNode := map[string]int{}
		var done atomic.Int64
		handler := func(node string) Handler {
			return func(ctx context.Context, j *Job) error {
				var p struct{ I int }
				if err := j.Decode(&p); err != nil {
					return err
				}
				time.Sleep(2 * time.Millisecond)
				mu.Lock()
				runs[j.ID]++
				byNode[node]++
				mu.Unlock()
				done.Add(1)
				return nil
			}
		}
		ra := NewRunner(a, quiet(Config{Owner: "node-a", Workers: 4, Poll: 50 * time.Millisecond}))
		rb := NewRunner(b, quiet(Config{Owner: "node-b", Workers: 4, Poll: 50 * time.Millisecond}))
		ra.Handle("work", handler("node-a"))
		rb.Handle("work", handler("node-b"))
		stopA, stopB := start(t, ra), start(t, rb)
		waitFor(t, 90*time.Second, "200 jobs", func() bool { return done.Load() >= n })
		// Let any duplicate run surface before judging.
		time.Sleep(200 * time.Millisecond)
		stopA()
		stopB()

		for _, id := range ids {
			if runs[id] != 1 {
				t.Errorf("job %d ran %d times", id, runs[id])
			}
		}
		if len(runs) != n {
			t.Errorf("%d distinct jobs ran, want %d", len(runs), n)
		}
		c, err := Count(ctx, a.Read(), time.Now())
		if err != nil || c.Done != n || c.Ready+c.Running+c.Scheduled+c.Dead != 0 {
			t.Errorf("counts %+v, %v", c, err)
		}
		var wrong int
		if err := a.Read().QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE attempts <> 1 OR done_at IS NULL
			OR lease_owner NOT IN ('node-a', 'node-b')`).Scan(&wrong); err != nil || wrong != 0 {
			t.Errorf("%d jobs not done exactly once by a node (%v)", wrong, err)
		}
		if byNode["node-a"] == 0 || byNode["node-b"] == 0 {
			t.Errorf("work not shared between nodes: %v", byNode)
		}
		ma, mb := ra.Metrics().Snapshot(), rb.Metrics().Snapshot()
		if ma["succeeded"]+mb["succeeded"] != n || ma["lease_lost"]+mb["lease_lost"] != 0 {
			t.Errorf("metrics a=%v b=%v", ma, mb)
		}
		t.Logf("split: %v", byNode)
	})
}

// A node that died holding a lease: once the lease expires another node
// takes the job; a live lease is left alone; a job whose last attempt died
// with its node becomes dead without running again.
func TestExpiredLeaseIsReclaimed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		stale, _ := Submit(ctx, db, "work", "stale")
		live, _ := Submit(ctx, db, "work", "live")
		last, _ := Submit(ctx, db, "work", "last", MaxAttempts(2))
		lease := func(id int64, owner string, until time.Time, attempts int) {
			if _, err := db.Exec(ctx, `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempts = ? WHERE id = ?`,
				owner, until, attempts, id); err != nil {
				t.Fatal(err)
			}
		}
		lease(stale, "dead-node", now.Add(-time.Second), 1)
		lease(live, "busy-node", now.Add(time.Hour), 1)
		lease(last, "dead-node", now.Add(-time.Second), 2)
		if c, _ := Count(ctx, db.Read(), time.Now()); c.Running != 1 || c.Ready != 2 {
			t.Fatalf("counts before: %+v", c)
		}

		var ran sync.Map
		r := NewRunner(db, quiet(Config{Owner: "node-b", Poll: 20 * time.Millisecond}))
		r.Handle("work", func(ctx context.Context, j *Job) error {
			ran.Store(j.ID, true)
			return nil
		})
		stop := start(t, r)
		waitFor(t, 10*time.Second, "stale job done", func() bool { return !get(t, db, stale).DoneAt.IsZero() })
		waitFor(t, 10*time.Second, "last job dead", func() bool { return !get(t, db, last).DeadAt.IsZero() })
		time.Sleep(100 * time.Millisecond)
		stop()

		s := get(t, db, stale)
		if s.Attempts != 2 || s.LeaseOwner != "node-b" {
			t.Errorf("stale job: attempts %d owner %q", s.Attempts, s.LeaseOwner)
		}
		l := get(t, db, live)
		if _, ok := ran.Load(live); ok || l.LeaseOwner != "busy-node" || !l.DoneAt.IsZero() {
			t.Errorf("a live lease was taken: %+v", l)
		}
		x := get(t, db, last)
		if _, ok := ran.Load(last); ok || !strings.Contains(x.LastError, "租约过期") {
			t.Errorf("job past its last attempt ran or has no reason: %+v", x)
		}
	})
}

// A long job keeps its lease by renewal, so the other node never takes
// it; a job whose lease is taken away is cancelled and its result is not
// recorded.
func TestLeaseRenewalAndLoss(t *testing.T) {
	eachTwoNodes(t, func(t *testing.T, a, b *store.DB) {
		ctx := context.Background()
		var runs atomic.Int64
		long := func(ctx context.Context, j *Job) error {
			runs.Add(1)
			select {
			case <-time.After(3600 * time.Millisecond): // several leases long
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		// A lease long enough that a busy CI machine's scheduling stalls do
		// not let it lapse between renewals (every Lease/3).
		cfg := Config{Workers: 1, Poll: 20 * time.Millisecond, Lease: 1500 * time.Millisecond}
		cfg.Owner = "node-a"
		ra := NewRunner(a, quiet(cfg))
		cfg.Owner = "node-b"
		rb := NewRunner(b, quiet(cfg))
		ra.Handle("long", long)
		rb.Handle("long", long)
		id, _ := Submit(ctx, a, "long", nil)
		start(t, ra)
		start(t, rb)
		waitFor(t, 15*time.Second, "long job done", func() bool { return !get(t, a, id).DoneAt.IsZero() })
		if runs.Load() != 1 || get(t, a, id).Attempts != 1 {
			t.Fatalf("long job ran %d times, attempts %d", runs.Load(), get(t, a, id).Attempts)
		}

		// Steal the lease of a running job: the runner notices on renewal.
		started := make(chan int64, 1)
		rc := NewRunner(a, quiet(Config{Owner: "node-c", Workers: 1, Poll: 20 * time.Millisecond, Lease: 150 * time.Millisecond}))
		var cancelled atomic.Bool
		rc.Handle("stolen", func(ctx context.Context, j *Job) error {
			started <- j.ID
			<-ctx.Done()
			cancelled.Store(true)
			return nil // would mark it done if the fence did not hold
		})
		sid, _ := Submit(ctx, a, "stolen", nil)
		stop := start(t, rc)
		<-started
		if _, err := a.Exec(ctx, `UPDATE jobs SET lease_owner = 'thief', lease_until = ? WHERE id = ?`,
			time.Now().Add(time.Hour), sid); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "lease loss noticed", func() bool { return rc.Metrics().LeaseLost.Load() == 1 })
		stop()
		s := get(t, a, sid)
		if !cancelled.Load() || s.LeaseOwner != "thief" || !s.DoneAt.IsZero() {
			t.Fatalf("stolen job: cancelled=%v %+v", cancelled.Load(), s)
		}
	})
}

// Failed runs are retried after the back-off; the error is kept meanwhile.
func TestRetryBackoff(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var mu sync.Mutex
		var at []time.Time
		r := NewRunner(db, quiet(Config{Poll: 20 * time.Millisecond,
			Backoff: func(attempt int) time.Duration { return time.Duration(attempt) * 300 * time.Millisecond }}))
		r.Handle("flaky", func(ctx context.Context, j *Job) error {
			mu.Lock()
			at = append(at, time.Now())
			mu.Unlock()
			if j.Attempt < 3 {
				return fmt.Errorf("upstream unavailable (attempt %d)", j.Attempt)
			}
			return nil
		})
		id, _ := Submit(ctx, db, "flaky", nil)
		start(t, r)
		waitFor(t, 5*time.Second, "first failure recorded", func() bool { return get(t, db, id).LastError != "" })
		rec := get(t, db, id)
		if !strings.Contains(rec.LastError, "attempt 1") || rec.LeaseOwner != "" || rec.State(time.Now()) != "scheduled" {
			t.Fatalf("after first failure: %+v", rec)
		}
		waitFor(t, 10*time.Second, "success", func() bool { return !get(t, db, id).DoneAt.IsZero() })
		mu.Lock()
		defer mu.Unlock()
		if len(at) != 3 {
			t.Fatalf("%d runs, want 3", len(at))
		}
		if g := at[1].Sub(at[0]); g < 300*time.Millisecond {
			t.Errorf("retry 1 after %s, want ≥ 300ms", g)
		}
		if g := at[2].Sub(at[1]); g < 600*time.Millisecond {
			t.Errorf("retry 2 after %s, want ≥ 600ms", g)
		}
		rec = get(t, db, id)
		if rec.Attempts != 3 || rec.LastError != "" {
			t.Errorf("final: %+v", rec)
		}
		if m := r.Metrics(); m.Retried.Load() != 2 || m.Succeeded.Load() != 1 {
			t.Errorf("metrics %v", m.Snapshot())
		}
	})
}

// After max_attempts a job is dead and kept; Permanent errors and panics
// are handled; Retry revives a dead job.
func TestDeadJobs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := NewRunner(db, quiet(Config{Poll: 20 * time.Millisecond,
			Backoff: func(int) time.Duration { return 10 * time.Millisecond }}))
		var fixed atomic.Bool
		r.Handle("fails", func(ctx context.Context, j *Job) error {
			if fixed.Load() {
				return nil
			}
			return errors.New("always fails")
		})
		r.Handle("bad", func(ctx context.Context, j *Job) error {
			var v struct{ N int }
			return j.Decode(&v) // payload is a string: permanent
		})
		r.Handle("panics", func(ctx context.Context, j *Job) error { panic("nil map") })
		f, _ := Submit(ctx, db, "fails", nil, MaxAttempts(3))
		b, _ := Submit(ctx, db, "bad", "not an object", MaxAttempts(5))
		p, _ := Submit(ctx, db, "panics", nil, MaxAttempts(1))
		stop := start(t, r)
		waitFor(t, 10*time.Second, "three dead jobs", func() bool {
			c, _ := Count(ctx, db.Read(), time.Now())
			return c.Dead == 3
		})
		if x := get(t, db, f); x.Attempts != 3 || x.LastError != "always fails" {
			t.Errorf("fails: %+v", x)
		}
		if x := get(t, db, b); x.Attempts != 1 || !strings.Contains(x.LastError, "payload") {
			t.Errorf("bad payload not dead at once: %+v", x)
		}
		if x := get(t, db, p); !strings.HasPrefix(x.LastError, "panic: nil map") {
			t.Errorf("panic: %+v", x)
		}
		dead, err := Dead(ctx, db.Read(), 10)
		if err != nil || len(dead) != 3 {
			t.Fatalf("Dead: %d, %v", len(dead), err)
		}
		if r.Metrics().Panics.Load() != 1 || r.Metrics().Dead.Load() != 3 {
			t.Errorf("metrics %v", r.Metrics().Snapshot())
		}

		fixed.Store(true)
		if err := db.Tx(ctx, func(tx *store.Tx) error { return Retry(ctx, tx, f) }); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "revived job done", func() bool { return !get(t, db, f).DoneAt.IsZero() })
		stop()
		if x := get(t, db, f); x.Attempts != 1 {
			t.Errorf("revived job attempts %d, want 1", x.Attempts)
		}
		if err := db.Tx(ctx, func(tx *store.Tx) error { return Retry(ctx, tx, f) }); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Retry of a done job: %v", err)
		}
		var purged int64
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			purged, err = PurgeDone(ctx, tx, time.Now().Add(time.Second))
			return err
		}); err != nil || purged != 1 {
			t.Errorf("purge: %d, %v", purged, err)
		}
	})
}

// A job enqueued in this process wakes the runner at once, long before
// its poll interval.
func TestEnqueueWakesRunner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := NewRunner(db, quiet(Config{Poll: time.Hour}))
		got := make(chan int64, 1)
		r.Handle("ping", func(ctx context.Context, j *Job) error { got <- j.ID; return nil })
		start(t, r)
		time.Sleep(100 * time.Millisecond) // the worker is idle, waiting an hour
		id, err := Submit(ctx, db, "ping", nil)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case x := <-got:
			if x != id {
				t.Fatalf("ran %d, want %d", x, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("enqueue did not wake the runner")
		}
	})
}

// Stopping lets a running job finish within the grace period; a job that
// outlives it is released without using up an attempt.
func TestGracefulStop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		started := make(chan struct{}, 2)
		r := NewRunner(db, quiet(Config{Workers: 1, Poll: 20 * time.Millisecond, Grace: 2 * time.Second}))
		r.Handle("short", func(ctx context.Context, j *Job) error {
			started <- struct{}{}
			time.Sleep(300 * time.Millisecond)
			return nil
		})
		id, _ := Submit(ctx, db, "short", nil)
		stop := start(t, r)
		<-started
		stop() // returns only after the job finished
		if x := get(t, db, id); x.DoneAt.IsZero() {
			t.Fatalf("job not finished before stop returned: %+v", x)
		}

		r2 := NewRunner(db, quiet(Config{Workers: 1, Poll: 20 * time.Millisecond, Grace: 100 * time.Millisecond}))
		r2.Handle("endless", func(ctx context.Context, j *Job) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		})
		id2, _ := Submit(ctx, db, "endless", nil)
		stop2 := start(t, r2)
		<-started
		stop2()
		x := get(t, db, id2)
		if x.Attempts != 0 || x.LeaseOwner != "" || !x.LeaseUntil.IsZero() || x.State(time.Now()) != "ready" {
			t.Fatalf("not released: %+v", x)
		}
		if r2.Metrics().Released.Load() != 1 {
			t.Errorf("metrics %v", r2.Metrics().Snapshot())
		}
	})
}

// A periodic task registered on two nodes runs once per tick.
func TestEveryRunsOncePerTickAcrossNodes(t *testing.T) {
	eachTwoNodes(t, func(t *testing.T, a, b *store.DB) {
		const iv = 200 * time.Millisecond
		var mu sync.Mutex
		ticks := map[time.Time][]string{}
		fn := func(node string) TickFunc {
			return func(ctx context.Context, tick time.Time) error {
				mu.Lock()
				ticks[tick] = append(ticks[tick], node)
				mu.Unlock()
				return nil
			}
		}
		ra := NewRunner(a, quiet(Config{Owner: "node-a", Poll: 50 * time.Millisecond}))
		rb := NewRunner(b, quiet(Config{Owner: "node-b", Poll: 50 * time.Millisecond}))
		ra.Every("rollup", iv, fn("node-a"))
		rb.Every("rollup", iv, fn("node-b"))
		stopA, stopB := start(t, ra), start(t, rb)
		time.Sleep(2100 * time.Millisecond)
		stopA()
		stopB()

		mu.Lock()
		defer mu.Unlock()
		if len(ticks) < 5 {
			t.Fatalf("only %d ticks in 2.1s at %s", len(ticks), iv)
		}
		for tick, nodes := range ticks {
			if len(nodes) != 1 {
				t.Errorf("tick %s ran %d times: %v", tick.Format("15:04:05.000"), len(nodes), nodes)
			}
			if !tick.Equal(tick.Truncate(iv)) {
				t.Errorf("tick %s is not on the interval grid", tick)
			}
		}
		if n := ra.Metrics().TicksRun.Load() + rb.Metrics().TicksRun.Load(); n != int64(len(ticks)) {
			t.Errorf("metrics count %d ticks, handlers saw %d", n, len(ticks))
		}
		var owner string
		var interval int64
		if err := a.Read().QueryRow(context.Background(), `SELECT last_owner, interval_ms FROM job_schedules WHERE name = 'rollup'`).
			Scan(&owner, &interval); err != nil || (owner != "node-a" && owner != "node-b") || interval != 200 {
			t.Errorf("schedule row: %q %d %v", owner, interval, err)
		}
	})
}

func TestExpBackoff(t *testing.T) {
	f := ExpBackoff(10*time.Second, time.Hour)
	for attempt, full := range map[int]time.Duration{1: 10 * time.Second, 2: 20 * time.Second, 4: 80 * time.Second,
		9: 2560 * time.Second, 10: time.Hour, 50: time.Hour} {
		for i := 0; i < 50; i++ {
			if d := f(attempt); d < full/2 || d > full {
				t.Fatalf("attempt %d: %s outside [%s, %s]", attempt, d, full/2, full)
			}
		}
	}
}

var discardLogger = slog.New(slog.DiscardHandler)
