// Package personui serves the person registry (当事人信息库) to people and
// programs: list and search, registration and editing, a person's page with
// their cases across business lines, duplicate detection and merge, Excel
// export, and the /api/v1/persons API. Identity document and phone numbers
// are shown masked everywhere; the full value leaves only through the
// audited reveal action.
package personui

import (
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

//go:embed static
var static embed.FS

//go:embed i18n
var catalogs embed.FS

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("personui", sub)
	st, _ := fs.Sub(static, "static")
	web.RegisterStatic("personui", st)
	cat, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(cat); err != nil {
		panic(err)
	}
	// A nav item carries one permission and persons open to any line's
	// view permission; org.view is what every business role but the
	// village mediator holds (they still reach the pages from a case).
	web.RegisterNav(web.NavItem{Group: "综合", Label: "当事人信息库", Path: "/persons", Perm: anyLineView(), Order: 700})
}

// Handler serves /persons pages and /api/v1/persons.
type Handler struct {
	Auth  *auth.HTTP
	Store *person.Store
	Orgs  *org.Store
	Log   *slog.Logger
}

// linePerms lists "<line>.<action>" for every business line: persons are
// shared by all lines, so any line's permission opens them.
func linePerms(action string) []string {
	out := make([]string, 0, len(auth.Lines))
	for _, l := range auth.Lines {
		out = append(out, auth.LinePerm(l.Code, action))
	}
	return out
}

// lineScope is the caller's jurisdiction when they hold action on at least
// one line, else nothing.
func lineScope(p *auth.Principal, action string) org.Scope {
	for _, perm := range linePerms(action) {
		if p.Can(perm) {
			return p.Jurisdiction()
		}
	}
	return org.Scope{}
}

// personScope is where p may read persons: their jurisdiction when they
// hold any line's view permission, else nothing (administrators see no
// personal data).
func personScope(p *auth.Principal) org.Scope { return lineScope(p, "view") }

// Routes registers the pages and the API.
func (h *Handler) Routes(mux *http.ServeMux) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	a := h.Auth
	view, edit, approve := linePerms("view"), linePerms("edit"), linePerms("approve")
	mux.HandleFunc("GET /persons", a.RequireAny(view, h.list))
	mux.HandleFunc("GET /persons/export.xlsx", a.RequireAny(view, h.export))
	mux.HandleFunc("GET /persons/new", a.RequireAny(edit, h.newForm))
	mux.HandleFunc("POST /persons/new", a.RequireAny(edit, h.create))
	mux.HandleFunc("POST /persons/idcheck", a.RequireAny(edit, h.idCheck))
	mux.HandleFunc("GET /persons/{id}", a.RequireAny(view, h.detail))
	mux.HandleFunc("GET /persons/{id}/edit", a.RequireAny(edit, h.editForm))
	mux.HandleFunc("POST /persons/{id}/edit", a.RequireAny(edit, h.update))
	// Reveal opens to every reader so that refused attempts are audited too.
	mux.HandleFunc("POST /persons/{id}/reveal", a.RequireAny(view, h.reveal))
	mux.HandleFunc("GET /persons/{id}/duplicates", a.RequireAny(view, h.duplicates))
	mux.HandleFunc("GET /persons/{id}/merge", a.RequireAny(approve, h.mergeConfirm))
	mux.HandleFunc("POST /persons/{id}/merge", a.RequireAny(approve, h.merge))
	h.apiRoutes(mux)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *web.Page) {
	h.Auth.R.Render(w, r, status, "personui/"+name, p)
}

// fail answers err: missing or out of scope → 404, refused → 403, else 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, person.ErrForbidden) {
		h.Auth.R.Error(w, r, http.StatusForbidden, "您的角色无权查看完整个人信息")
		return
	}
	h.Auth.Fail(w, r, err)
}

// pathID reads {id}; a malformed id is a page that does not exist.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func me(r *http.Request) *auth.Principal { return auth.FromContext(r.Context()) }

// anyLineView is the nav permission "a.view|b.view|…": the registry is open
// to whoever may read any business line.
func anyLineView() string {
	var ps []string
	for _, l := range auth.Lines {
		ps = append(ps, auth.LinePerm(l.Code, "view"))
	}
	return strings.Join(ps, "|")
}
