package app

import (
	"context"
	"net/http"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/jobs"
	"fengqiao/internal/ops"
)

// routesOps serves /metrics without authentication: the reverse proxy
// must not expose it (docs/deploy/reverse-proxy.md).
func (a *App) routesOps(mux *http.ServeMux) {
	mux.Handle("GET /metrics", a.Metrics.Handler())
}

// newMetrics builds the Prometheus registry of this node.
func (a *App) newMetrics() *ops.Metrics {
	m := ops.NewMetrics(Version)
	m.AddDBPool("writer", a.DB.Writer())
	if a.DB.Reader() != a.DB.Writer() {
		m.AddDBPool("reader", a.DB.Reader())
	}
	m.AddJobs(a.DB.Read())
	return m
}

// newJobs builds the durable job runner with the platform's periodic
// work; business lines add their handlers and schedules in their wiring.
// Each tick runs on one node only, however many nodes there are.
func (a *App) newJobs() *jobs.Runner {
	r := jobs.NewRunner(a.DB, jobs.Config{Owner: a.Cfg.Node, Logger: a.Log})
	r.Every("auth.purge_sessions", 10*time.Minute, func(ctx context.Context, _ time.Time) error {
		n, err := a.Auth.PurgeSessions(ctx)
		if err == nil && n > 0 {
			a.Log.Info("purged expired sessions", "count", n)
		}
		return err
	})
	r.Every("audit.prune", 24*time.Hour, func(ctx context.Context, _ time.Time) error {
		ctx = audit.WithActor(ctx, audit.Actor{Username: "system", RequestID: "job:audit.prune"})
		return a.auditPruneTask(ctx)
	})
	return r
}

// startBackground runs the job runner until ctx ends.
func (a *App) startBackground(ctx context.Context) {
	go func() {
		if err := a.Jobs.Run(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("job runner stopped", "err", err)
		}
	}()
}
