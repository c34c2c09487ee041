package app

import "net/http"

func (a *App) routesSearch(mux *http.ServeMux) {}
