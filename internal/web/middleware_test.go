package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestI18n(t *testing.T) {
	RegisterCatalog(LangEN, map[string]string{"调解案件": "Mediation cases", "共 %d 件": "%d cases"})
	p := &Page{Lang: LangEN}
	if p.T("调解案件") != "Mediation cases" || p.T("共 %d 件", 3) != "3 cases" {
		t.Errorf("translate: %q %q", p.T("调解案件"), p.T("共 %d 件", 3))
	}
	if p.T("没有译文的句子") != "没有译文的句子" {
		t.Error("missing translation should fall back to Chinese")
	}
	if (&Page{Lang: LangZH}).T("调解案件") != "调解案件" || (*Page)(nil).T("共 %d 件", 2) != "共 2 件" {
		t.Error("Chinese pages keep the source text")
	}
	if Translate(LangEN, "组织机构") != "Organizations" {
		t.Error("shell catalog en.json not loaded")
	}

	// Cookie beats the viewer's preference; bad cookie values are ignored.
	req := get("/", &Viewer{Lang: "en"})
	if LangFrom(req) != "en" {
		t.Error("viewer language ignored")
	}
	req.AddCookie(&http.Cookie{Name: "lang", Value: "zh"})
	if LangFrom(req) != "zh" {
		t.Error("cookie should win")
	}
	req = get("/", nil)
	req.AddCookie(&http.Cookie{Name: "lang", Value: "fr"})
	if LangFrom(req) != "zh" {
		t.Error("unsupported language not ignored")
	}

	// Whole page in English, layout included.
	r := newRenderer(t, Options{})
	req = get("/orgs", viewer())
	req.AddCookie(&http.Cookie{Name: "lang", Value: "en"})
	w := httptest.NewRecorder()
	r.Render(w, req, 200, "demo/list.html", &Page{Title: "组织机构"})
	mustContain(t, w.Body.String(), `<html lang="en">`, "Organizations - Fengqiao Justice Office Platform", "Sign out", "No records", ">中文</a>")
}

func TestLangHandler(t *testing.T) {
	cases := []struct{ target, referer, want string }{
		{"/lang?to=en&next=%2Fcases%3Fpage%3D2", "", "/cases?page=2"},
		{"/lang?to=zh", "http://example.com/orgs/3?x=1", "/orgs/3?x=1"},
		{"/lang?to=en&next=%2F%2Fevil.example", "http://evil.example/a", "/"},
	}
	for _, c := range cases {
		req := httptest.NewRequest("GET", c.target, nil)
		if c.referer != "" {
			req.Header.Set("Referer", c.referer)
		}
		w := httptest.NewRecorder()
		LangHandler(w, req)
		ck := w.Result().Cookies()
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != c.want || len(ck) != 1 || ck[0].Name != "lang" {
			t.Errorf("%s: %d %q %v", c.target, w.Code, w.Header().Get("Location"), ck)
		}
	}
	w := httptest.NewRecorder()
	LangHandler(w, httptest.NewRequest("GET", "/lang?to=fr", nil))
	if w.Code != 400 || !strings.Contains(w.Body.String(), "to") {
		t.Errorf("bad language %d %q", w.Code, w.Body.String())
	}
}

// chain builds AccessLog → RequestID → Recover → auth-like middleware → mux.
func chain(log *slog.Logger, r *Renderer, mux http.Handler) http.Handler {
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			next.ServeHTTP(w, req.WithContext(WithViewer(req.Context(), viewer())))
		})
	}
	return AccessLog(log)(RequestID(Recover(r, log)(auth(mux))))
}

func TestAccessLogNoQuery(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	r := newRenderer(t, Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /persons/{id}", func(w http.ResponseWriter, req *http.Request) {
		r.Render(w, req, 200, "demo/list.html", &Page{})
	})
	mux.HandleFunc("POST /persons", func(w http.ResponseWriter, req *http.Request) { Redirect(w, req, "/persons/1") })
	h := chain(log, r, mux)

	req := httptest.NewRequest("GET", "/persons/5?idcard=110101199003071234&name=%E5%BC%A0%E4%B8%89", nil)
	req.Header.Set("X-Request-ID", "req-42")
	h.ServeHTTP(httptest.NewRecorder(), req)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/persons", strings.NewReader("phone=13800138000")))

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("want 2 log lines, got %q", buf.String())
	}
	for _, s := range []string{"110101199003071234", "idcard", "13800138000", "%E5", "张三", "/persons/5"} {
		if strings.Contains(buf.String(), s) {
			t.Errorf("log leaks %q: %s", s, buf.String())
		}
	}
	var m map[string]any
	json.Unmarshal([]byte(lines[0]), &m)
	if m["method"] != "GET" || m["route"] != "GET /persons/{id}" || m["status"] != float64(200) || m["request_id"] != "req-42" ||
		m["user_id"] != float64(7) || m["bytes"].(float64) < 100 || m["duration"] == nil {
		t.Errorf("log line %s", lines[0])
	}
	json.Unmarshal([]byte(lines[1]), &m)
	if m["route"] != "POST /persons" || m["status"] != float64(303) {
		t.Errorf("log line %s", lines[1])
	}

	// RequestID outermost, and a handler that neither renders nor redirects: RecordRoute
	// supplies the route, the context the request id.
	buf.Reset()
	mux.HandleFunc("GET /api/ping", func(w http.ResponseWriter, req *http.Request) { w.Write([]byte("pong")) })
	auth := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			next.ServeHTTP(w, req.WithContext(WithViewer(req.Context(), viewer())))
		})
	}
	h = RequestID(AccessLog(log)(auth(RecordRoute(mux))))
	req = httptest.NewRequest("GET", "/api/ping?token=secret", nil)
	req.Header.Set("X-Request-ID", "req-43")
	h.ServeHTTP(httptest.NewRecorder(), req)
	m = nil
	json.Unmarshal(buf.Bytes(), &m)
	if m["route"] != "GET /api/ping" || m["request_id"] != "req-43" || m["user_id"] != float64(7) || m["bytes"] != float64(4) ||
		strings.Contains(buf.String(), "secret") {
		t.Errorf("log line %s", buf.String())
	}
}

func TestRecover(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, nil))
	r := newRenderer(t, Options{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom", func(w http.ResponseWriter, req *http.Request) { panic("boom") })
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/boom", nil)
	req.Header.Set("X-Request-ID", "req-boom")
	chain(log, r, mux).ServeHTTP(w, req)
	if w.Code != 500 || !strings.Contains(w.Body.String(), "服务器内部错误") || !strings.Contains(w.Body.String(), "req-boom") {
		t.Fatalf("panic page %d %q", w.Code, w.Body.String())
	}
	if !strings.Contains(buf.String(), `"msg":"panic"`) || !strings.Contains(buf.String(), `"request_id":"req-boom"`) ||
		!strings.Contains(buf.String(), "stack") {
		t.Errorf("panic not logged: %s", buf.String())
	}
}
