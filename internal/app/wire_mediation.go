package app

import "net/http"

func (a *App) routesMediation(mux *http.ServeMux) {}
