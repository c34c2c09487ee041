// Package home is the signed-in start page: the figures of the viewer's
// jurisdiction and the next steps open to them.
package home

import (
	"embed"
	"io/fs"
	"net/http"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("home", sub)
	web.RegisterNav(web.NavItem{Group: "首页", Label: "工作台", Path: "/", Order: 0})
}

// Handler serves GET /.
type Handler struct {
	Auth *auth.HTTP
	Orgs *org.Store
}

// Figure is one number on the start page.
type Figure struct {
	Label string
	Value int
	Link  string
}

type data struct {
	P       *auth.Principal
	Figures []Figure
	Scope   []org.Org // the roots of the viewer's jurisdiction
}

// Routes registers the start page.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.Auth.Require("", h.home))
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	ctx := r.Context()
	d := data{P: p}
	sc := p.OrgScope()
	if !sc.IsZero() {
		counts, err := h.Orgs.CountByKind(ctx, sc)
		if err != nil {
			h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
		for _, k := range []struct {
			k     org.Kind
			label string
		}{{org.County, "县(区)司法局"}, {org.Office, "司法所"}, {org.Village, "村(社区)"}, {org.Cluster, "片区"}, {org.Committee, "人民调解委员会"}} {
			if n := counts[k.k]; n > 0 || k.k == org.Office {
				d.Figures = append(d.Figures, Figure{Label: k.label, Value: n, Link: "/admin/orgs?kind=" + string(k.k)})
			}
		}
		users, err := h.Auth.Svc.CountUsers(ctx, sc)
		if err != nil {
			h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
		d.Figures = append(d.Figures, Figure{Label: "在用账号", Value: users, Link: "/admin/users"})
		d.Scope, _ = h.Orgs.Children(ctx, sc, 0)
	}
	h.Auth.R.Render(w, r, http.StatusOK, "home/home.html", &web.Page{Title: "工作台", Data: d})
}
