package app

import "net/http"

// routes registers the routes of the admin UI, the audit UI, the API and
// the business lines; each package owns its handlers and each wiring file
// (wire_*.go) owns one package's registration.
func (a *App) routes(mux *http.ServeMux) {
	a.routesAdmin(mux)
	a.routesAudit(mux)
	a.routesAPI(mux)
	a.routesOps(mux)
	a.routesFilesNotify(mux)
	a.routesPerson(mux)
	a.routesMediation(mux)
	a.routesSearch(mux)
	a.routesPortal(mux)
}
