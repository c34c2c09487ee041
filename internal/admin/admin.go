// Package admin is the administration UI of a county bureau's system and
// security administrators: the org tree (browse, edit, Excel/CSV import),
// user accounts, roles and the security policy.
package admin

import (
	"crypto/rand"
	"embed"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

//go:embed static
var static embed.FS

//go:embed i18n
var catalogs embed.FS

// Navigation group of every page here.
const navGroup = "系统管理"

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("admin", sub)
	st, _ := fs.Sub(static, "static")
	web.RegisterStatic("admin", st)
	cat, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(cat); err != nil {
		panic(err)
	}
	// "a|b": shown to holders of any of them, like the routes below.
	web.RegisterNav(
		web.NavItem{Group: navGroup, Label: "组织机构", Path: "/admin/orgs", Perm: auth.PermOrgManage + "|" + auth.PermOrgView, Order: 800},
		web.NavItem{Group: navGroup, Label: "用户管理", Path: "/admin/users", Perm: auth.PermUserManage + "|" + auth.PermUserUnlock + "|" + auth.PermRoleManage, Order: 810},
		web.NavItem{Group: navGroup, Label: "角色与权限", Path: "/admin/roles", Perm: auth.PermRoleManage, Order: 820},
		web.NavItem{Group: navGroup, Label: "安全策略", Path: "/admin/policy", Perm: auth.PermSecurityPolicy, Order: 830},
	)
}

// Handler serves /admin/orgs, /admin/users, /admin/roles and /admin/policy.
type Handler struct {
	Auth *auth.HTTP
	Orgs *org.Store
	// ImportKey signs the rows carried from the import preview to its
	// confirmation; empty means a random key per process (a restart between
	// the two steps then asks for the file again).
	ImportKey []byte
	Log       *slog.Logger
}

// Routes registers the pages.
func (h *Handler) Routes(mux *http.ServeMux) {
	if len(h.ImportKey) == 0 {
		h.ImportKey = make([]byte, 32)
		_, _ = rand.Read(h.ImportKey)
	}
	if h.Log == nil {
		h.Log = slog.Default()
	}
	a := h.Auth
	view := []string{auth.PermOrgView, auth.PermOrgManage}
	manage := func(f http.HandlerFunc) http.HandlerFunc { return a.Require(auth.PermOrgManage, f) }
	mux.HandleFunc("GET /admin/orgs", a.RequireAny(view, h.orgsPage))
	mux.HandleFunc("GET /admin/orgs/{id}", a.RequireAny(view, h.orgDetail))
	mux.HandleFunc("GET /admin/orgs/{id}/children", a.RequireAny(view, h.orgChildren))
	mux.HandleFunc("GET /admin/orgs/new", manage(h.orgNew))
	mux.HandleFunc("POST /admin/orgs/new", manage(h.orgCreate))
	mux.HandleFunc("GET /admin/orgs/{id}/edit", manage(h.orgEdit))
	mux.HandleFunc("POST /admin/orgs/{id}/edit", manage(h.orgUpdate))
	mux.HandleFunc("GET /admin/orgs/{id}/move", manage(h.orgMovePage))
	mux.HandleFunc("POST /admin/orgs/{id}/move", manage(h.orgMove))
	mux.HandleFunc("POST /admin/orgs/{id}/active", manage(h.orgActive))
	mux.HandleFunc("GET /admin/orgs/{id}/members", manage(h.clusterPage))
	mux.HandleFunc("POST /admin/orgs/{id}/members", manage(h.clusterSave))
	mux.HandleFunc("GET /admin/orgs/import", manage(h.importPage))
	mux.HandleFunc("POST /admin/orgs/import", manage(h.importPreview))
	mux.HandleFunc("POST /admin/orgs/import/confirm", manage(h.importConfirm))
	mux.HandleFunc("GET /admin/orgs/import/template.xlsx", manage(h.importTemplate))

	users := []string{auth.PermUserManage, auth.PermUserUnlock, auth.PermRoleManage}
	um := func(f http.HandlerFunc) http.HandlerFunc { return a.Require(auth.PermUserManage, f) }
	unlock := func(f http.HandlerFunc) http.HandlerFunc { return a.Require(auth.PermUserUnlock, f) }
	mux.HandleFunc("GET /admin/users", a.RequireAny(users, h.usersPage))
	mux.HandleFunc("GET /admin/users/{id}", a.RequireAny(users, h.userDetail))
	mux.HandleFunc("GET /admin/users/new", um(h.userNew))
	mux.HandleFunc("POST /admin/users/new", um(h.userCreate))
	mux.HandleFunc("GET /admin/users/{id}/edit", um(h.userEdit))
	mux.HandleFunc("POST /admin/users/{id}/edit", um(h.userUpdate))
	mux.HandleFunc("POST /admin/users/{id}/disable", um(h.userDisable))
	mux.HandleFunc("POST /admin/users/{id}/enable", um(h.userEnable))
	mux.HandleFunc("POST /admin/users/{id}/password", um(h.userPassword))
	mux.HandleFunc("POST /admin/users/{id}/unlock", unlock(h.userUnlock))
	mux.HandleFunc("POST /admin/users/{id}/2fa/reset", unlock(h.userResetTOTP))
	mux.HandleFunc("POST /admin/users/{id}/roles", a.Require(auth.PermRoleManage, h.userRoles))

	rm := func(f http.HandlerFunc) http.HandlerFunc { return a.Require(auth.PermRoleManage, f) }
	mux.HandleFunc("GET /admin/roles", rm(h.rolesPage))
	mux.HandleFunc("GET /admin/roles/new", rm(h.roleNew))
	mux.HandleFunc("POST /admin/roles/new", rm(h.roleCreate))
	mux.HandleFunc("GET /admin/roles/{code}", rm(h.roleEdit))
	mux.HandleFunc("POST /admin/roles/{code}", rm(h.roleUpdate))

	mux.HandleFunc("GET /admin/policy", a.Require(auth.PermSecurityPolicy, h.policyPage))
	mux.HandleFunc("POST /admin/policy", a.Require(auth.PermSecurityPolicy, h.policySave))
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *web.Page) {
	h.Auth.R.Render(w, r, status, "admin/"+name, p)
}

// fail answers err: out of scope or missing → 404, refused → 403, else 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) { h.Auth.Fail(w, r, err) }

// pathID reads {id}; a malformed id is a page that does not exist.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func me(r *http.Request) *auth.Principal { return auth.FromContext(r.Context()) }

// manageScope is where the viewer may change the org tree.
func manageScope(p *auth.Principal) org.Scope {
	if p.Can(auth.PermOrgManage) {
		return p.Jurisdiction()
	}
	return org.Scope{}
}

func atoi64(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// parseForm parses a urlencoded POST; false means the 400 page was sent.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<20)
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "")
		return false
	}
	return true
}
