package app

import "net/http"

func (a *App) routesPerson(mux *http.ServeMux) {}
