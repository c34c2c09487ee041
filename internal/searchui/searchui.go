// Package searchui serves the Chinese full-text search over persons and the
// cases of every business line: the page /search and GET /api/v1/search.
// Each kind of result is searched in the scope the viewer has for it —
// persons in their jurisdiction when they hold any line's view
// permission, the cases of a line in principal.ScopeFor(line) — so a hit
// is always something the viewer can open.
package searchui

import (
	"context"
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/search"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

//go:embed i18n
var catalogs embed.FS

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("searchui", sub)
	cat, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(cat); err != nil {
		panic(err)
	}
	web.RegisterNav(web.NavItem{Group: "综合", Label: "全文检索", Path: "/search", Perm: strings.Join(linePerms(), "|"), Order: 10})
}

// Handler serves the search page and API.
type Handler struct {
	Auth *auth.HTTP
	DB   *store.DB
}

// linePerms is "<line>.view" of every line: any of them opens search.
func linePerms() []string {
	out := make([]string, 0, len(auth.Lines))
	for _, l := range auth.Lines {
		out = append(out, auth.LinePerm(l.Code, "view"))
	}
	return out
}

// Group is one kind of result the viewer may search.
type Group struct {
	Kind  string
	Label string
	scope org.Scope
	link  func(id int64) string
}

// groups lists the kinds p may see, persons first, then the lines that
// have case types, in auth.Lines order.
func groups(p *auth.Principal) []Group {
	var out []Group
	for _, perm := range linePerms() {
		if p.Can(perm) {
			out = append(out, Group{Kind: person.SearchKind, Label: "当事人", scope: p.Jurisdiction(),
				link: func(id int64) string { return "/persons/" + strconv.FormatInt(id, 10) }})
			break
		}
	}
	hasCases := map[string]bool{} // lines without a case type (e.g. reporting) have nothing to find
	for _, t := range casework.Types() {
		hasCases[t.Line] = true
	}
	for _, l := range auth.Lines {
		sc := p.ScopeFor(l.Code)
		if sc.IsZero() || !hasCases[l.Code] {
			continue
		}
		line := l.Code
		out = append(out, Group{Kind: casework.SearchKind(line), Label: l.Name + "案件", scope: sc,
			link: func(id int64) string { return "/" + line + "/cases/" + strconv.FormatInt(id, 10) }})
	}
	return out
}

// Result is one hit as the page and the API show it.
type Result struct {
	Kind    string `json:"kind" doc:"person 当事人；case_<条线> 该条线的案件，如 case_mediation"`
	ID      int64  `json:"id" doc:"当事人或案件编号"`
	Title   string `json:"title" doc:"当事人名称，或案号与案件名称"`
	OrgID   int64  `json:"org_id"`
	OrgName string `json:"org_name" doc:"登记或承办机构"`
	URL     string `json:"url" doc:"详情页地址"`
}

// find runs q over gs and resolves links and org names.
func (h *Handler) find(ctx context.Context, gs []Group, q string, limit, offset int) ([]Result, int, error) {
	targets := make([]search.Target, len(gs))
	byKind := map[string]Group{}
	for i, g := range gs {
		targets[i] = search.Target{Kind: g.Kind, Scope: g.scope}
		byKind[g.Kind] = g
	}
	hits, total, err := search.Search(ctx, h.DB, targets, q, limit, offset)
	if err != nil || len(hits) == 0 {
		return nil, total, err
	}
	names, err := h.orgNames(ctx, hits)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Result, 0, len(hits))
	for _, hit := range hits {
		g, ok := byKind[hit.Kind]
		if !ok { // cannot happen: Search returns only the kinds asked for
			continue
		}
		out = append(out, Result{Kind: hit.Kind, ID: hit.RefID, Title: hit.Title, OrgID: hit.OrgID,
			OrgName: names[hit.OrgID], URL: g.link(hit.RefID)})
	}
	return out, total, nil
}

func (h *Handler) orgNames(ctx context.Context, hits []search.Hit) (map[int64]string, error) {
	seen := map[int64]bool{}
	var ids []any
	for _, hit := range hits {
		if !seen[hit.OrgID] {
			seen[hit.OrgID] = true
			ids = append(ids, hit.OrgID)
		}
	}
	rows, err := h.DB.Read().Query(ctx, `SELECT id, name FROM orgs WHERE id IN (`+store.InList(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// Routes registers the page and the API.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /search", h.Auth.RequireAny(linePerms(), h.page))
	h.apiRoutes(mux)
}

// section is one group of results on the page.
type section struct {
	Group
	Results []Result
	Total   int
	Capped  bool   // more than search.MaxHits: only the newest are listed
	More    string // link to all results of this kind, when there are more
	Pager   *web.Pager
}

type pageData struct {
	Empty    []string // labels of the kinds without results (overview)
	MaxHits  int
	Q        string
	Kind     string
	Kinds    []Group
	Sections []section
	Searched bool
}

// perGroup is how many hits of each kind the overview shows.
const perGroup = 10

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	qv := r.URL.Query()
	form := web.NewForm(qv)
	q := strings.TrimSpace(qv.Get("q"))
	kind := qv.Get("kind")
	gs := groups(p)
	d := pageData{MaxHits: search.MaxHits, Q: q, Kind: kind, Kinds: gs}
	show := gs
	if kind != "" {
		show = nil
		for _, g := range gs {
			if g.Kind == kind {
				show = []Group{g}
			}
		}
		if show == nil {
			form.Fail("kind", "没有这一类可检索的内容")
		}
	}
	status := http.StatusOK
	if q != "" && form.OK() {
		d.Searched = true
		for _, g := range show {
			s := section{Group: g}
			limit, offset := perGroup, 0
			if kind != "" {
				pg := web.NewPager(r, search.MaxHits)
				limit, offset = pg.Size, pg.Offset()
			}
			res, total, err := h.find(r.Context(), []Group{g}, q, limit, offset)
			if err != nil {
				if form.FailErr(err) {
					break
				}
				h.Auth.R.Error(w, r, http.StatusInternalServerError, "检索失败，请稍后再试")
				return
			}
			s.Results, s.Total = res, min(total, search.MaxHits)
			s.Capped = total > search.MaxHits
			if kind != "" {
				pg := web.NewPager(r, s.Total)
				if pg.Offset() != offset && s.Total > 0 { // asked past the end: show the last page
					if res, _, err = h.find(r.Context(), []Group{g}, q, pg.Size, pg.Offset()); err != nil {
						h.Auth.R.Error(w, r, http.StatusInternalServerError, "检索失败，请稍后再试")
						return
					}
					s.Results = res
				}
				s.Pager = &pg
			} else if s.Total > len(res) {
				s.More = "/search?" + url.Values{"q": {q}, "kind": {g.Kind}}.Encode()
			}
			if kind == "" && s.Total == 0 {
				d.Empty = append(d.Empty, g.Label)
				continue
			}
			d.Sections = append(d.Sections, s)
		}
	}
	if !form.OK() {
		status = http.StatusUnprocessableEntity
		d.Sections = nil
		d.Searched = false
	}
	h.Auth.R.Render(w, r, status, "searchui/search.html", &web.Page{Title: "全文检索", Form: form, Data: d})
}
