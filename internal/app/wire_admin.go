package app

import "net/http"

func (a *App) routesAdmin(mux *http.ServeMux) {}
