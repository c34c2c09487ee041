package app

import (
	"net/http"

	"fengqiao/internal/admin"
)

func (a *App) routesAdmin(mux *http.ServeMux) {
	// The import preview is signed with a key kept in the data directory, so
	// a confirm still works after a restart; without it a per-process key.
	key, err := ensureSecret(a.Cfg.KeysDir(), "admin-import.key")
	if err != nil {
		a.Log.Warn("admin import key unavailable, using a per-process key", "err", err)
		key = nil
	}
	(&admin.Handler{Auth: a.AuthH, Orgs: a.Orgs, ImportKey: key, Log: a.Log}).Routes(mux)
}
