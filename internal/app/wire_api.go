package app

import "net/http"

func (a *App) routesAPI(mux *http.ServeMux) {}
