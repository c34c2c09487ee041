package app

import (
	"net/http"
	"time"

	"fengqiao/internal/mediation"
	"fengqiao/internal/person"
)

// routesMediation serves the people's mediation pages (/mediation/...) and
// its JSON API (/api/v1/mediation/...).
func (a *App) routesMediation(mux *http.ServeMux) {
	st := &mediation.Store{DB: a.DB, Persons: &person.Store{DB: a.DB, Crypto: a.Crypto}, Kernel: a.Cases}
	(&mediation.Handler{Auth: a.AuthH, Store: st, Log: a.Log, CustomDir: a.Cfg.CustomDir, Files: a.Files}).Routes(mux)
}

// scheduleMediation keeps the mediation statistics summary fresh: recent
// days every few minutes and a full rebuild daily (mediation.ScheduleStats).
func (a *App) scheduleMediation() {
	mediation.ScheduleStats(a.Jobs, a.DB, 5*time.Minute)
}
