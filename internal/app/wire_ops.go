package app

import (
	"context"
	"net/http"
)

func (a *App) routesOps(mux *http.ServeMux) {}

// wrapMetrics records request metrics.
func (a *App) wrapMetrics(h http.Handler) http.Handler { return h }

// startBackground starts periodic work (job runner, session purge).
func (a *App) startBackground(ctx context.Context) {}
