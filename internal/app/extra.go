package app

import (
	"context"
	"net/http"
)

// routes registers the routes of the admin UI, the API and the business
// lines; each package owns its own handlers.
func (a *App) routes(mux *http.ServeMux) {}

// wrapMetrics records request metrics.
func (a *App) wrapMetrics(h http.Handler) http.Handler { return h }

// startBackground starts periodic work (job runner, session purge).
func (a *App) startBackground(ctx context.Context) {}
