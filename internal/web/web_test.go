package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// demo templates used by the tests, registered once for the whole test binary.
var demoFS = fstest.MapFS{
	"list.html": {Data: []byte(`{{define "content"}}<h1>{{.T "组织机构"}}</h1>` +
		`<div id="tbl">{{template "partial" .}}</div>{{end}}` +
		`{{define "partial"}}<table class="data"><tbody>{{range .Data}}<tr><td>{{.}}</td></tr>{{else}}` +
		`{{template "_table_empty.html" (dict "P" $ "Cols" 1)}}{{end}}</tbody></table>{{end}}`)},
	"form.html": {Data: []byte(`{{define "content"}}{{template "_form_errors.html" .}}<form method="post">` +
		`{{template "_field.html" (dict "P" . "Name" "name" "Label" "姓名" "Required" true)}}` +
		`{{template "_field.html" (dict "P" . "Name" "kind" "Label" "类型" "Type" "select" "Options" (list (opt "a" "甲") (opt "b" "乙")))}}` +
		`</form>{{end}}`)},
	"pager.html":  {Data: []byte(`{{define "content"}}{{template "_pager.html" (dict "P" . "Pager" .Data "Target" "#tbl")}}{{end}}`)},
	"login.html":  {Data: []byte(`{{define "layout"}}public{{end}}{{define "title"}}登录{{end}}{{define "content"}}<form>login</form>{{end}}`)},
	"_row.html":   {Data: []byte(`<tr><td>{{.}}</td></tr>`)},
	"panic.html":  {Data: []byte(`{{define "content"}}{{.Data.Missing}}{{end}}`)},
	"static.html": {Data: []byte(`{{define "content"}}<img src="{{static "logo.svg"}}" alt="">{{end}}`)},
}

func init() {
	RegisterTemplates("demo", demoFS)
	RegisterNav(
		NavItem{Group: "基础管理", Label: "组织机构", Path: "/orgs", Order: 10},
		NavItem{Group: "基础管理", Label: "用户管理", Path: "/users", Perm: "user.manage", Order: 20},
		NavItem{Group: "人民调解", Label: "调解案件", Path: "/cases", Perm: "case.view", Order: 5},
	)
}

func newRenderer(t *testing.T, opts Options) *Renderer {
	t.Helper()
	r, err := NewRenderer(opts)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func viewer(perms ...string) *Viewer {
	return &Viewer{UserID: 7, Username: "zhang", DisplayName: "张三", OrgName: "城关司法所", RoleNames: "所长",
		Can: func(p string) bool {
			for _, q := range perms {
				if p == q {
					return true
				}
			}
			return false
		}}
}

func get(target string, v *Viewer) *http.Request {
	req := httptest.NewRequest("GET", target, nil)
	if v != nil {
		req = req.WithContext(WithViewer(req.Context(), v))
	}
	return req
}

func mustContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("body lacks %q", p)
		}
	}
}

func mustNotContain(t *testing.T, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Errorf("body should not contain %q", p)
		}
	}
}

// inlineScript finds <script> tags without src, forbidden by the CSP.
var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>`)

func checkCSPClean(t *testing.T, body string) {
	t.Helper()
	for _, tag := range inlineScript.FindAllString(body, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("inline script %s", tag)
		}
	}
	if strings.Contains(body, " style=") || strings.Contains(body, "<style") {
		t.Error("inline style in page")
	}
}

func TestRenderLayoutAndContent(t *testing.T) {
	r := newRenderer(t, Options{})
	w := httptest.NewRecorder()
	req := get("/cases/3", viewer("case.view"))
	r.Render(w, req, http.StatusOK, "demo/list.html", &Page{Title: "组织机构", Data: []string{"甲村", "乙村"},
		Breadcrumbs: []Crumb{{"首页", "/"}, {"组织机构", ""}}})
	body := w.Body.String()
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	mustContain(t, body, "<!doctype html>", "<title>组织机构 - 枫桥司法所工作平台</title>", "张三", "城关司法所", "所长",
		"<td>甲村</td>", `href="/cases" class="active" aria-current="page"`, `href="/orgs"`, "人民调解", "基础管理",
		`action="/logout"`, StaticURL("app.css"), StaticURL("vendor/htmx.min.js"), `href="/lang?next=%2Fcases%2F3&amp;to=en"`,
		`<span aria-current="page">组织机构</span>`)
	mustNotContain(t, body, "/users") // no user.manage permission
	if strings.Index(body, "人民调解") > strings.Index(body, "基础管理") {
		t.Error("groups not ordered by Order")
	}
	checkCSPClean(t, body)
}

func TestRenderHTMXPartial(t *testing.T) {
	r := newRenderer(t, Options{})
	w := httptest.NewRecorder()
	req := get("/orgs?page=2", viewer())
	req.Header.Set("HX-Request", "true")
	r.Render(w, req, http.StatusOK, "demo/list.html", &Page{Data: []string{}})
	body := w.Body.String()
	mustContain(t, body, `<table class="data">`, `<tr class="empty"><td colspan="1">暂无数据</td></tr>`)
	mustNotContain(t, body, "<html", "<nav")
	if !strings.Contains(w.Header().Get("Vary"), "HX-Request") {
		t.Error("Vary lacks HX-Request")
	}
	// A history restore wants the whole page.
	w = httptest.NewRecorder()
	req.Header.Set("HX-History-Restore-Request", "true")
	r.Render(w, req, http.StatusOK, "demo/list.html", &Page{Data: []string{}})
	mustContain(t, w.Body.String(), "<html")
	// A page without a "partial" block renders whole even for htmx.
	w = httptest.NewRecorder()
	req = get("/f", viewer())
	req.Header.Set("HX-Request", "true")
	r.Render(w, req, http.StatusOK, "demo/form.html", &Page{Form: NewForm(nil)})
	mustContain(t, w.Body.String(), "<html")
}

func TestRenderPublicLayout(t *testing.T) {
	r := newRenderer(t, Options{SiteName: "某省司法厅平台"})
	w := httptest.NewRecorder()
	r.Render(w, get("/login", nil), http.StatusOK, "demo/login.html", &Page{})
	body := w.Body.String()
	mustContain(t, body, `class="public"`, "<form>login</form>", "<title>登录 - 某省司法厅平台</title>")
	mustNotContain(t, body, "sidenav", "/logout")
	if w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("anonymous page Cache-Control %q", w.Header().Get("Cache-Control"))
	}
	w = httptest.NewRecorder()
	r.Render(w, get("/x", nil), http.StatusOK, "demo/form.html", &Page{Public: true, Form: NewForm(nil)})
	mustContain(t, w.Body.String(), `class="public"`)
}

func TestRenderUnknownPage(t *testing.T) {
	r := newRenderer(t, Options{})
	w := httptest.NewRecorder()
	r.Render(w, get("/", nil), 200, "demo/nope.html", nil)
	if w.Code != 500 {
		t.Fatalf("status %d", w.Code)
	}
	w = httptest.NewRecorder()
	r.Render(w, get("/", nil), 200, "demo/panic.html", &Page{Data: 3}) // execution error
	if w.Code != 500 || strings.Contains(w.Body.String(), "<html") {
		t.Fatalf("status %d body %q", w.Code, w.Body.String())
	}
}

func TestErrorPage(t *testing.T) {
	r := newRenderer(t, Options{})
	w := httptest.NewRecorder()
	req := get("/cases/99", viewer())
	r.Error(w, req, http.StatusNotFound, "")
	if w.Code != 404 {
		t.Fatalf("status %d", w.Code)
	}
	mustContain(t, w.Body.String(), "404", "页面不存在，或不在您的管辖范围内", "sidenav")

	w = httptest.NewRecorder()
	r.Error(w, get("/x", nil), http.StatusForbidden, "您不能查看其他司法所的案件")
	mustContain(t, w.Body.String(), "403", "您不能查看其他司法所的案件", `class="public"`)

	w = httptest.NewRecorder()
	req = get("/x", nil)
	req.AddCookie(&http.Cookie{Name: "lang", Value: "en"})
	r.Error(w, req, http.StatusInternalServerError, "")
	mustContain(t, w.Body.String(), "Internal server error", `lang="en"`)

	w = httptest.NewRecorder()
	req = get("/x", viewer())
	req.Header.Set("HX-Request", "true")
	r.Error(w, req, http.StatusConflict, "")
	if got := w.Body.String(); w.Code != 409 || !strings.Contains(got, "数据已被他人修改") || strings.Contains(got, "<html") {
		t.Fatalf("htmx error %d %q", w.Code, got)
	}
}

func TestNewRendererBadTemplate(t *testing.T) {
	for name, text := range map[string]string{
		"broken.html":  `{{define "content"}}{{if}}{{end}}`,
		"nobody.html":  `<p>no content block</p>`,
		"_broken.html": `{{range}}`,
	} {
		tmplMu.Lock()
		tmplRegs["bad"] = fstest.MapFS{name: {Data: []byte(text)}}
		tmplMu.Unlock()
		_, err := NewRenderer(Options{})
		if err == nil || !strings.Contains(err.Error(), "bad/"+name) {
			t.Errorf("%s: error %v does not name the template", name, err)
		}
	}
	tmplMu.Lock()
	delete(tmplRegs, "bad")
	tmplMu.Unlock()
}

func TestSecurityHeaders(t *testing.T) {
	h := SecurityHeaders(false)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, get("/", nil))
	csp := w.Header().Get("Content-Security-Policy")
	for _, d := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
		"frame-ancestors 'none'", "form-action 'self'", "base-uri 'none'"} {
		if !strings.Contains(csp, d) {
			t.Errorf("CSP lacks %q", d)
		}
	}
	if strings.Contains(csp, "unsafe") {
		t.Error("CSP allows unsafe sources")
	}
	want := map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}
	for k, v := range want {
		if w.Header().Get(k) != v {
			t.Errorf("%s = %q, want %q", k, w.Header().Get(k), v)
		}
	}
	if !strings.Contains(w.Header().Get("Permissions-Policy"), "camera=()") {
		t.Error("Permissions-Policy missing")
	}
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Error("HSTS without TLS")
	}
	w = httptest.NewRecorder()
	SecurityHeaders(true)(h).ServeHTTP(w, get("/", nil))
	if !strings.HasPrefix(w.Header().Get("Strict-Transport-Security"), "max-age=") {
		t.Error("HSTS missing with TLS")
	}
}

func TestFlashAndRedirect(t *testing.T) {
	w := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/orgs", nil)
	SetFlash(w, "已保存「城关司法所」")
	Redirect(w, req, "/orgs/3")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/orgs/3" {
		t.Fatalf("redirect %d %q", w.Code, w.Header().Get("Location"))
	}
	c := w.Result().Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		t.Errorf("flash cookie %+v", c)
	}

	r := newRenderer(t, Options{})
	next := get("/orgs/3", viewer())
	next.AddCookie(c)
	w2 := httptest.NewRecorder()
	r.Render(w2, next, 200, "demo/list.html", &Page{})
	mustContain(t, w2.Body.String(), `<div class="flash" role="status">已保存「城关司法所」</div>`)
	del := w2.Result().Cookies()
	if len(del) != 1 || del[0].Name != "flash" || del[0].MaxAge >= 0 {
		t.Errorf("flash not cleared: %+v", del)
	}

	w = httptest.NewRecorder()
	req.Header.Set("HX-Request", "true")
	Redirect(w, req, "//evil.example/x")
	if w.Code != 200 || w.Header().Get("HX-Redirect") != "/" {
		t.Errorf("htmx redirect %d %q", w.Code, w.Header().Get("HX-Redirect"))
	}
}

func TestRequestID(t *testing.T) {
	var seen string
	h := RequestID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = RequestIDFrom(r.Context()) }))
	w := httptest.NewRecorder()
	req := get("/", nil)
	req.Header.Set("X-Request-ID", "abc-123")
	h.ServeHTTP(w, req)
	if seen != "abc-123" || w.Header().Get("X-Request-ID") != "abc-123" {
		t.Errorf("kept id %q %q", seen, w.Header().Get("X-Request-ID"))
	}
	req.Header.Set("X-Request-ID", "bad id\n<script>")
	h.ServeHTTP(httptest.NewRecorder(), req)
	if len(seen) != 24 || strings.Contains(seen, "bad") {
		t.Errorf("malformed id not replaced: %q", seen)
	}
}

func TestDateFuncs(t *testing.T) {
	tm := mustTime("2024-01-01T20:30:00Z")
	if got := FormatDate(tm); got != "2024-01-02" {
		t.Errorf("date %q", got)
	}
	if got := FormatDateTime(&tm); got != "2024-01-02 04:30" {
		t.Errorf("datetime %q", got)
	}
	if FormatDate("2024-05-06") != "2024-05-06" || FormatDate(nil) != "" || FormatDateTime(zeroTime) != "" {
		t.Error("date passthrough/zero")
	}
}

func TestViewerAllowed(t *testing.T) {
	var nilV *Viewer
	if nilV.Allowed("") || (&Viewer{}).Allowed("x") || !(&Viewer{}).Allowed("") || !viewer("x").Allowed("x") {
		t.Error("Allowed")
	}
	if ViewerFrom(context.Background()) != nil {
		t.Error("anonymous viewer not nil")
	}
}

func TestBadges(t *testing.T) {
	RegisterBadge(func(r *http.Request) (string, int, string) {
		if ViewerFrom(r.Context()).Allowed("inbox.view") {
			return "消息", 3, "/inbox"
		}
		return "", 0, ""
	})
	r := newRenderer(t, Options{})
	w := httptest.NewRecorder()
	r.Render(w, get("/orgs", viewer("inbox.view")), http.StatusOK, "demo/list.html", &Page{Data: []string{}})
	mustContain(t, w.Body.String(), `<a class="topbadge" href="/inbox">消息 <span class="badge badge-danger">3</span></a>`)
	checkCSPClean(t, w.Body.String())
	// Hidden without the permission, and not computed for htmx partials.
	w = httptest.NewRecorder()
	r.Render(w, get("/orgs", viewer()), http.StatusOK, "demo/list.html", &Page{Data: []string{}})
	mustNotContain(t, w.Body.String(), "topbadge")
	w = httptest.NewRecorder()
	req := get("/orgs", viewer("inbox.view"))
	req.Header.Set("HX-Request", "true")
	r.Render(w, req, http.StatusOK, "demo/list.html", &Page{Data: []string{}})
	mustNotContain(t, w.Body.String(), "topbadge")
}

func TestViewerAllowedAnyOf(t *testing.T) {
	v := &Viewer{Can: func(p string) bool { return p == "correction.view" }}
	if !v.Allowed("mediation.view|correction.view") || v.Allowed("mediation.view|legalaid.view") {
		t.Fatal("a|b must mean any one of them")
	}
}
