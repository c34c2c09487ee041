package app

import (
	"context"
	"net/http"
	"sync"
	"time"

	"fengqiao/internal/ops"
)

// opsState is the per-App metrics state. App's fields belong to app.go,
// so routesOps and wrapMetrics share it through this map; Handler calls
// routesOps (with the mux) before wrapMetrics.
type opsState struct {
	metrics *ops.Metrics
	mux     *http.ServeMux
}

var (
	opsMu     sync.Mutex
	opsStates = map[*App]*opsState{}
)

func (a *App) ops() *opsState {
	opsMu.Lock()
	defer opsMu.Unlock()
	st := opsStates[a]
	if st == nil {
		st = &opsState{metrics: ops.NewMetrics(Version)}
		st.metrics.AddDBPool("writer", a.DB.Writer())
		if a.DB.Reader() != a.DB.Writer() {
			st.metrics.AddDBPool("reader", a.DB.Reader())
		}
		st.metrics.AddJobs(a.DB.Read())
		opsStates[a] = st
	}
	return st
}

// routesOps serves /metrics without authentication: the reverse proxy
// must not expose it (docs/deploy/reverse-proxy.md).
func (a *App) routesOps(mux *http.ServeMux) {
	st := a.ops()
	opsMu.Lock()
	st.mux = mux
	opsMu.Unlock()
	mux.Handle("GET /metrics", st.metrics.Handler())
}

// wrapMetrics records request counts and latency labelled with the mux
// pattern ("unmatched" when none matches).
func (a *App) wrapMetrics(h http.Handler) http.Handler {
	st := a.ops()
	opsMu.Lock()
	mux := st.mux
	opsMu.Unlock()
	route := func(r *http.Request) string { return r.Pattern }
	if mux != nil {
		route = ops.RouteOf(mux)
	}
	return st.metrics.Middleware(route)(h)
}

// startBackground starts periodic work. For now only the purge of expired
// sessions; the durable job runner replaces it.
func (a *App) startBackground(ctx context.Context) {
	go func() {
		t := time.NewTicker(10 * time.Minute)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				n, err := a.Auth.PurgeSessions(ctx)
				if err != nil {
					a.Log.Warn("purge sessions", "err", err)
				} else if n > 0 {
					a.Log.Info("purged expired sessions", "count", n)
				}
			}
		}
	}()
}
