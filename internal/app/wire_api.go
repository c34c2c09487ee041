package app

import (
	"net/http"

	"fengqiao/internal/api"
	"fengqiao/internal/platformapi"
)

// routesAPI serves the platform API and the OpenAPI document. Business
// lines register their own /api/v1 routes with api.Register on the same
// mux; the document is built on request and so includes them.
func (a *App) routesAPI(mux *http.ServeMux) {
	(&platformapi.Handler{Auth: a.Auth, Orgs: a.Orgs, DB: a.DB}).Routes(mux)
	api.ServeDocument(mux, api.Info{Title: a.Cfg.SiteName + " API"})
}
