package app

import "net/http"

func (a *App) routesFilesNotify(mux *http.ServeMux) {}
