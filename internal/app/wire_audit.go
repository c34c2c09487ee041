package app

import "net/http"

func (a *App) routesAudit(mux *http.ServeMux) {}
