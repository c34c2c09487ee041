package app

import "net/http"

func (a *App) routesPortal(mux *http.ServeMux) {}
