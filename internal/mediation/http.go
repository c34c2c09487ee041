package mediation

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"fengqiao/internal/auth"
	"fengqiao/internal/files"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// Handler serves the /mediation pages.
type Handler struct {
	Auth      *auth.HTTP
	Store     *Store
	Log       *slog.Logger
	CustomDir string // for custom/documents/mediation/*.docx
	// Files stores case attachments (nil: no uploads offered).
	Files *files.Service
}

var (
	permView    = auth.LinePerm(Line, "view")
	permEdit    = auth.LinePerm(Line, "edit")
	permApprove = auth.LinePerm(Line, "approve")
	permExport  = auth.LinePerm(Line, "export")
)

// Routes registers the pages.
func (h *Handler) Routes(mux *http.ServeMux) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	a := h.Auth
	mux.HandleFunc("GET /mediation", a.Require(permView, func(w http.ResponseWriter, r *http.Request) {
		web.Redirect(w, r, "/mediation/cases")
	}))
	mux.HandleFunc("GET /mediation/committees", a.Require(permView, h.committees))
	mux.HandleFunc("GET /mediation/committees/{id}", a.Require(permView, h.committee))
	mux.HandleFunc("GET /mediation/committees/{id}/edit", a.Require(permEdit, h.committeeForm))
	mux.HandleFunc("POST /mediation/committees/{id}/edit", a.Require(permEdit, h.committeeSave))
	mux.HandleFunc("GET /mediation/committees/{id}/rooms/new", a.Require(permEdit, h.roomNew))
	mux.HandleFunc("POST /mediation/committees/{id}/rooms/new", a.Require(permEdit, h.roomCreate))
	mux.HandleFunc("GET /mediation/rooms/{id}/edit", a.Require(permEdit, h.roomEdit))
	mux.HandleFunc("POST /mediation/rooms/{id}/edit", a.Require(permEdit, h.roomUpdate))

	mux.HandleFunc("GET /mediation/mediators", a.Require(permView, h.mediators))
	mux.HandleFunc("GET /mediation/mediators/export.xlsx", a.Require(permExport, h.mediatorsExport))
	mux.HandleFunc("GET /mediation/mediators/new", a.Require(permEdit, h.mediatorNew))
	mux.HandleFunc("POST /mediation/mediators/new", a.Require(permEdit, h.mediatorCreate))
	mux.HandleFunc("GET /mediation/mediators/{id}", a.Require(permView, h.mediator))
	mux.HandleFunc("GET /mediation/mediators/{id}/edit", a.Require(permEdit, h.mediatorEdit))
	mux.HandleFunc("POST /mediation/mediators/{id}/edit", a.Require(permEdit, h.mediatorUpdate))
	mux.HandleFunc("POST /mediation/mediators/{id}/trainings", a.Require(permEdit, h.trainingAdd))
	mux.HandleFunc("POST /mediation/trainings/{id}/delete", a.Require(permEdit, h.trainingDelete))

	mux.HandleFunc("GET /mediation/screenings", a.Require(permView, h.screenings))
	mux.HandleFunc("GET /mediation/screenings/export.xlsx", a.Require(permExport, h.screeningsExport))
	mux.HandleFunc("GET /mediation/screenings/new", a.Require(permEdit, h.screeningNew))
	mux.HandleFunc("POST /mediation/screenings/new", a.Require(permEdit, h.screeningCreate))
	mux.HandleFunc("GET /mediation/screenings/{id}", a.Require(permView, h.screening))
	mux.HandleFunc("POST /mediation/screenings/{id}/findings", a.Require(permEdit, h.findingAdd))
	mux.HandleFunc("POST /mediation/findings/{id}/status", a.Require(permEdit, h.findingStatus))

	mux.HandleFunc("GET /mediation/documents", a.Require(permView, h.documents))
	mux.HandleFunc("GET /mediation/documents/{code}", a.Require(permView, h.documentDownload))

	h.caseRoutes(mux)
	h.statsRoutes(mux)
	h.boardRoutes(mux)

	mux.HandleFunc("GET /mediation/settings", a.Require(permApprove, h.settings))
	mux.HandleFunc("POST /mediation/settings", a.Require(permApprove, h.settingsSave))
}

func me(r *http.Request) *auth.Principal { return auth.FromContext(r.Context()) }

// scope is where the caller reads and writes mediation data.
func scope(r *http.Request) org.Scope { return me(r).ScopeFor(Line) }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *web.Page) {
	h.Auth.R.Render(w, r, status, "mediation/"+name, p)
}

// fail answers err: missing or out of scope → 404, else 500.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.Auth.R.Error(w, r, http.StatusNotFound, "")
		return
	}
	h.Log.ErrorContext(r.Context(), "mediation", "path", r.URL.Path, "err", err)
	h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
}

func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.Auth.R.Error(w, r, http.StatusNotFound, "")
}

// parseForm reads a POST form; a malformed body is a 400.
func (h *Handler) parseForm(w http.ResponseWriter, r *http.Request) (*web.Form, bool) {
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "")
		return nil, false
	}
	return web.NewForm(r.PostForm), true
}

// formInt reads an integer field, failing the form with msg when malformed.
func formInt(f *web.Form, field, msg string) int {
	v := f.Get(field)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		f.Fail(field, msg)
	}
	return n
}

func formID(f *web.Form, field, msg string) int64 {
	v := f.Get(field)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		f.Fail(field, msg)
		return 0
	}
	return n
}

func queryID(r *http.Request, key string) int64 {
	n, _ := strconv.ParseInt(r.URL.Query().Get(key), 10, 64)
	return max(n, 0)
}

// choices turns a list of codes into select options.
func choices(list []Choice) []web.Option {
	out := make([]web.Option, 0, len(list))
	for _, c := range list {
		out = append(out, web.Option{Value: c.Code, Label: c.Name})
	}
	return out
}

// orgOptions lists active orgs of the given kinds in sc in tree order,
// indented by depth so the tree shows.
func (h *Handler) orgOptions(r *http.Request, sc org.Scope, kinds ...org.Kind) ([]web.Option, error) {
	w, args := sc.Where("o.path")
	for _, k := range kinds {
		args = append(args, string(k))
	}
	rows, err := h.Store.DB.Read().Query(r.Context(), `SELECT o.id, o.name, o.depth FROM orgs o WHERE `+w+` AND o.active
		AND o.kind IN (`+store.InList(len(kinds))+`) ORDER BY o.path LIMIT 5000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	type row struct {
		id    int64
		name  string
		depth int
	}
	var rs []row
	minDepth := -1
	for rows.Next() {
		var x row
		if err := rows.Scan(&x.id, &x.name, &x.depth); err != nil {
			return nil, err
		}
		if minDepth < 0 || x.depth < minDepth {
			minDepth = x.depth
		}
		rs = append(rs, x)
	}
	out := make([]web.Option, 0, len(rs))
	for _, x := range rs {
		out = append(out, web.Option{Value: itoa(x.id), Label: strings.Repeat("　", x.depth-minDepth) + x.name})
	}
	return out, rows.Err()
}

// yesNoOptions is the select of a yes/no filter.
var yesNoOptions = []web.Option{{Value: "yes", Label: "是"}, {Value: "no", Label: "否"}}

func isForbidden(err error) bool {
	var fb *auth.ForbiddenError
	return errors.As(err, &fb)
}
