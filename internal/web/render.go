package web

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Page is the data of every rendered page; Data holds the package's own struct.
type Page struct {
	Title       string
	Data        any
	Form        *Form
	Flash       string
	Viewer      *Viewer
	Lang        string
	Req         *http.Request
	Breadcrumbs []Crumb
	Public      bool // use the minimal anonymous layout (login pages)

	// Filled by Render.
	Site      string
	Nav       []NavGroup
	RequestID string
	tr        *translator
}

// Crumb is one step of the breadcrumb trail; the last one usually has no Path.
type Crumb struct{ Label, Path string }

// T translates msg into the page language, then formats it with args when given.
func (p *Page) T(msg string, args ...any) string {
	lang := LangZH
	var tr *translator
	if p != nil {
		lang, tr = p.Lang, p.tr
	}
	s := tr.tr(lang, msg)
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Can reports whether the viewer holds perm.
func (p *Page) Can(perm string) bool { return p != nil && p.Viewer.Allowed(perm) }

// Path is the current request path ("" without a request).
func (p *Page) Path() string {
	if p == nil || p.Req == nil {
		return ""
	}
	return p.Req.URL.Path
}

// LangURL is the link that switches to lang and comes back to this page.
func (p *Page) LangURL(lang string) string {
	next := "/"
	if p != nil && p.Req != nil && p.Req.Method == http.MethodGet {
		// The path only: a query string may hold what the user searched for
		// (a name, an ID number) and would be repeated into every page.
		next = p.Req.URL.EscapedPath()
	}
	return "/lang?" + url.Values{"to": {lang}, "next": {next}}.Encode()
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// IsHTMX reports whether req was sent by htmx (not a history restore, which wants the whole page).
func IsHTMX(req *http.Request) bool {
	return req.Header.Get("HX-Request") == "true" && req.Header.Get("HX-History-Restore-Request") != "true"
}

// Render writes page name ("owner/file.html") inside the layout with status. It fills
// Viewer, Lang, Flash, Req and the navigation from the request. For htmx requests, a page
// that defines "partial" gets only that block.
func (r *Renderer) Render(w http.ResponseWriter, req *http.Request, status int, name string, p *Page) {
	noteRoute(req)
	if p == nil {
		p = &Page{}
	}
	t, tr, err := r.page(name)
	if err != nil {
		r.fail(w, req, err)
		return
	}
	r.fill(w, req, p, tr)
	block := "layout.html"
	if IsHTMX(req) && t.Lookup("partial") != nil {
		block = "partial"
	} else if p.Public || wantsPublic(t, p) {
		block = "layout_public.html"
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := t.ExecuteTemplate(buf, block, p); err != nil {
		r.fail(w, req, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Add("Vary", "HX-Request")
	if p.Viewer != nil {
		h.Set("Cache-Control", "no-store")
	} else if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-cache")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// wantsPublic reports whether the page defines {{define "layout"}}public{{end}}.
func wantsPublic(t *template.Template, p *Page) bool {
	l := t.Lookup("layout")
	if l == nil {
		return false
	}
	var b strings.Builder
	if err := l.Execute(&b, p); err != nil {
		return false
	}
	return strings.TrimSpace(b.String()) == "public"
}

func (r *Renderer) fill(w http.ResponseWriter, req *http.Request, p *Page, tr *translator) {
	p.Req = req
	if p.Viewer == nil {
		p.Viewer = ViewerFrom(req.Context())
	}
	if p.Lang == "" {
		p.Lang = LangFrom(req)
	}
	if p.Flash == "" {
		p.Flash = takeFlash(w, req)
	}
	p.Site = r.opts.SiteName
	p.Nav = navFor(p.Viewer, req.URL.Path)
	p.RequestID = RequestIDFrom(req.Context())
	p.tr = tr
}

// fail answers a broken render with a plain 500; the layout itself may be what failed.
func (r *Renderer) fail(w http.ResponseWriter, req *http.Request, err error) {
	r.log.ErrorContext(req.Context(), "render failed", "err", err, "request_id", RequestIDFrom(req.Context()))
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintln(w, "500 服务器内部错误 Internal Server Error")
}

// errorText is the default message of each status.
var errorText = map[int]string{
	http.StatusBadRequest:            "请求有误，请检查后重试",
	http.StatusUnauthorized:          "请先登录",
	http.StatusForbidden:             "您无权访问此页面或执行此操作",
	http.StatusNotFound:              "页面不存在，或不在您的管辖范围内",
	http.StatusMethodNotAllowed:      "不支持此请求方式",
	http.StatusConflict:              "数据已被他人修改，请刷新后重试",
	http.StatusRequestEntityTooLarge: "上传的内容过大",
	http.StatusTooManyRequests:       "操作过于频繁，请稍后再试",
	http.StatusInternalServerError:   "服务器内部错误，请稍后再试或联系管理员",
	http.StatusServiceUnavailable:    "服务暂时不可用，请稍后再试",
}

// ErrorData is the Data of the error page.
type ErrorData struct {
	Status  int
	Message string
}

// Error writes the error page with status; msg "" uses the standard Chinese text of status.
func (r *Renderer) Error(w http.ResponseWriter, req *http.Request, status int, msg string) {
	if msg == "" {
		msg = errorText[status]
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	v := ViewerFrom(req.Context())
	p := &Page{Title: "出错了", Data: ErrorData{Status: status, Message: msg}, Public: v == nil}
	r.Render(w, req, status, shellOwner+"/error.html", p)
}
