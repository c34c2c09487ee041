package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

func TestStaticURLAndHandler(t *testing.T) {
	r := newRenderer(t, Options{})
	css, err := embeddedStatic.ReadFile("static/app.css")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(css)
	want := "/static/" + hex.EncodeToString(sum[:])[:8] + "/app.css"
	if got := StaticURL("app.css"); got != want {
		t.Fatalf("StaticURL = %s, want %s", got, want)
	}
	if r.StaticURL("/app.css") != want {
		t.Error("leading slash not accepted")
	}

	w := httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, httptest.NewRequest("GET", want, nil))
	if w.Code != 200 || w.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" ||
		w.Header().Get("Content-Type") != "text/css; charset=utf-8" || !bytes.Equal(w.Body.Bytes(), css) {
		t.Fatalf("static %d %v", w.Code, w.Header())
	}

	// An old hash still gets the file, but not cached for long.
	w = httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, httptest.NewRequest("GET", "/static/00000000/app.css", nil))
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("stale hash %d %q", w.Code, w.Header().Get("Cache-Control"))
	}
	for _, p := range []string{"/static/00000000/nope.css", "/static/app.css", "/static/x/../templates/layout.html"} {
		w = httptest.NewRecorder()
		r.StaticHandler().ServeHTTP(w, httptest.NewRequest("GET", p, nil))
		if w.Code != 404 {
			t.Errorf("%s: status %d", p, w.Code)
		}
	}

	// Vendor JS is served gzipped to browsers that accept it.
	js := StaticURL("vendor/htmx.min.js")
	req := httptest.NewRequest("GET", js, nil)
	req.Header.Set("Accept-Encoding", "gzip, deflate, br")
	w = httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, req)
	if w.Header().Get("Content-Encoding") != "gzip" || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("gzip headers %v", w.Header())
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	orig, _ := embeddedStatic.ReadFile("static/vendor/htmx.min.js")
	if !bytes.Equal(plain, orig) {
		t.Error("gzip body differs")
	}
}

func TestRegisterStatic(t *testing.T) {
	RegisterStatic("demo", fstest.MapFS{"list.js": {Data: []byte("console.log(1)")}})
	r := newRenderer(t, Options{})
	u := r.StaticURL("demo/list.js")
	if !regexp.MustCompile(`^/static/[0-9a-f]{8}/demo/list\.js$`).MatchString(u) {
		t.Fatalf("url %s", u)
	}
	w := httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, httptest.NewRequest("GET", u, nil))
	if w.Body.String() != "console.log(1)" {
		t.Errorf("body %q", w.Body.String())
	}
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCustomOverride(t *testing.T) {
	dir := t.TempDir()
	logo := `<svg xmlns="http://www.w3.org/2000/svg"><text>某省</text></svg>`
	writeFile(t, filepath.Join(dir, "templates/demo/login.html"),
		`{{define "layout"}}public{{end}}{{define "content"}}<p class="province">某省定制登录页</p>{{end}}`)
	writeFile(t, filepath.Join(dir, "templates/web/_table_empty.html"), `<tr><td>没有记录（定制）</td></tr>`)
	writeFile(t, filepath.Join(dir, "static/logo.svg"), logo)
	writeFile(t, filepath.Join(dir, "i18n/en.json"), `{"组织机构": "Organisations (custom)"}`)

	r := newRenderer(t, Options{CustomDir: dir})
	defer newRenderer(t, Options{}) // later tests expect the embedded files in StaticURL

	w := httptest.NewRecorder()
	r.Render(w, get("/login", nil), 200, "demo/login.html", nil)
	mustContain(t, w.Body.String(), "某省定制登录页")

	w = httptest.NewRecorder()
	r.Render(w, get("/orgs", viewer()), 200, "demo/list.html", &Page{})
	mustContain(t, w.Body.String(), "没有记录（定制）")

	sum := sha256.Sum256([]byte(logo))
	want := "/static/" + hex.EncodeToString(sum[:])[:8] + "/logo.svg"
	if r.StaticURL("logo.svg") != want || StaticURL("logo.svg") != want {
		t.Fatalf("custom logo url %s, want %s", r.StaticURL("logo.svg"), want)
	}
	mustContain(t, w.Body.String(), want)
	w = httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, httptest.NewRequest("GET", want, nil))
	if w.Body.String() != logo || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("custom logo served %q %q", w.Body.String(), w.Header().Get("Content-Type"))
	}

	req := get("/orgs", viewer())
	req.AddCookie(&httpCookieLangEN)
	w = httptest.NewRecorder()
	r.Render(w, req, 200, "demo/list.html", &Page{})
	mustContain(t, w.Body.String(), "Organisations (custom)")

	// A broken custom template is reported with its path.
	writeFile(t, filepath.Join(dir, "templates/demo/form.html"), `{{define "content"}}{{end`)
	if _, err := NewRenderer(Options{CustomDir: dir}); err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "templates/demo")) {
		t.Errorf("error %v does not name the custom file", err)
	}
}

func TestDevModeRereads(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "templates/demo/login.html")
	writeFile(t, page, `{{define "content"}}v1{{end}}`)
	r := newRenderer(t, Options{CustomDir: dir, Dev: true})
	defer newRenderer(t, Options{})
	writeFile(t, page, `{{define "content"}}v2{{end}}`)
	w := httptest.NewRecorder()
	r.Render(w, get("/login", nil), 200, "demo/login.html", nil)
	mustContain(t, w.Body.String(), "v2")
}

func TestStaticConditionalGet(t *testing.T) {
	r := newRenderer(t, Options{})
	u := StaticURL("app.css")
	w := httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, httptest.NewRequest("GET", u, nil))
	etag := w.Header().Get("ETag")
	req := httptest.NewRequest("GET", u, nil)
	req.Header.Set("If-None-Match", etag)
	w = httptest.NewRecorder()
	r.StaticHandler().ServeHTTP(w, req)
	if etag == "" || w.Code != 304 {
		t.Errorf("conditional GET: etag %q status %d", etag, w.Code)
	}
	// Mounted behind http.StripPrefix as well as directly.
	w = httptest.NewRecorder()
	http.StripPrefix("/static/", r.StaticHandler()).ServeHTTP(w, httptest.NewRequest("GET", u, nil))
	if w.Code != 200 {
		t.Errorf("behind StripPrefix: %d", w.Code)
	}
}
