package app

import (
	"net/http"

	"fengqiao/internal/mediation"
	"fengqiao/internal/person"
	"fengqiao/internal/portal"
)

// routesPortal serves the public portal (/p/): online application with a
// tracking code, progress lookup and party feedback, all without an account.
func (a *App) routesPortal(mux *http.ServeMux) {
	key, err := ensureSecret(a.Cfg.KeysDir(), "portal.key")
	if err != nil {
		// Without the key the apply form cannot be signed: refuse
		// applications (check fails closed) but keep tracking and feedback.
		a.Log.Error("portal key", "err", err)
	}
	st := &mediation.Store{DB: a.DB, Persons: &person.Store{DB: a.DB, Crypto: a.Crypto}, Kernel: a.Cases}
	(&portal.Handler{Auth: a.AuthH, DB: a.DB, Mediation: st, PortalKey: key, Log: a.Log}).Routes(mux)
}
