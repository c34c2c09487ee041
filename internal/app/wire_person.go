package app

import (
	"net/http"

	"fengqiao/internal/person"
	"fengqiao/internal/personui"
)

// routesPerson serves the person registry pages and /api/v1/persons.
func (a *App) routesPerson(mux *http.ServeMux) {
	(&personui.Handler{Auth: a.AuthH, Store: &person.Store{DB: a.DB, Crypto: a.Crypto}, Orgs: a.Orgs, Log: a.Log}).Routes(mux)
}
