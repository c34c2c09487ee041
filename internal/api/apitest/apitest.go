// Package apitest runs table-driven HTTP scenarios against API routes and
// validates every JSON response against the OpenAPI document of the mux
// that served it: a status the route does not document, or a body that
// does not match the documented schema, fails the test.
//
//	env := apitest.New(t, mux, auth.Middleware(mux))
//	env.Session("clerk", cookieToken)
//	env.Run(t, []apitest.Scenario{
//		{Name: "anonymous", Method: "GET", URL: "/api/v1/me", Status: 401, JSON: map[string]any{"error.code": "unauthorized"}},
//		{Name: "list", As: "clerk", Method: "GET", URL: "/api/v1/orgs?size=2", Status: 200, JSON: map[string]any{"total": 5, "items.#": 2}},
//	})
package apitest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"fengqiao/internal/api"
	"fengqiao/internal/auth"
)

const docURL = "mem://fengqiao/openapi.json"

// Validator checks responses against the document of one mux.
type Validator struct {
	mux   *http.ServeMux
	doc   map[string]any
	c     *jsonschema.Compiler
	mu    sync.Mutex
	cache map[string]*jsonschema.Schema
}

// NewValidator loads mux's document and compiles every schema in it (each
// is checked against the JSON Schema 2020-12 meta-schema on compiling).
func NewValidator(t testing.TB, mux *http.ServeMux) *Validator {
	t.Helper()
	b, err := api.Document(mux, api.Info{})
	if err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("openapi document is not JSON: %v", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, doc); err != nil {
		t.Fatalf("openapi document: %v", err)
	}
	v := &Validator{mux: mux, doc: doc.(map[string]any), c: c, cache: map[string]*jsonschema.Schema{}}
	return v
}

// Doc is the parsed document.
func (v *Validator) Doc() map[string]any { return v.doc }

// escape encodes one JSON-pointer token for use in a URL fragment.
func escape(tok string) string {
	tok = strings.NewReplacer("~", "~0", "/", "~1").Replace(tok)
	return strings.NewReplacer("{", "%7B", "}", "%7D", "%", "%25").Replace(tok)
}

// Schema compiles the schema at a JSON pointer made of tokens.
func (v *Validator) Schema(tokens ...string) (*jsonschema.Schema, error) {
	ptr := ""
	for _, t := range tokens {
		ptr += "/" + escape(t)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.cache[ptr]; ok {
		return s, nil
	}
	s, err := v.c.Compile(docURL + "#" + ptr)
	if err != nil {
		return nil, err
	}
	v.cache[ptr] = s
	return s, nil
}

// CompileAll compiles every request and response schema of the document.
func (v *Validator) CompileAll() error {
	paths, _ := v.doc["paths"].(map[string]any)
	for p, item := range paths {
		for m, op := range item.(map[string]any) {
			opm := op.(map[string]any)
			if rb, ok := opm["requestBody"].(map[string]any); ok && rb != nil {
				if _, err := v.Schema("paths", p, m, "requestBody", "content", "application/json", "schema"); err != nil {
					return fmt.Errorf("%s %s request: %w", m, p, err)
				}
			}
			for st, r := range opm["responses"].(map[string]any) {
				if _, ok := r.(map[string]any)["content"]; !ok {
					continue
				}
				if _, err := v.Schema("paths", p, m, "responses", st, "content", "application/json", "schema"); err != nil {
					return fmt.Errorf("%s %s %s: %w", m, p, st, err)
				}
			}
		}
	}
	return nil
}

// Check validates one response to req: the route must be documented, the
// status documented for it and the body must match the status's schema.
func (v *Validator) Check(req *http.Request, status int, body []byte) error {
	rt, ok := api.Lookup(v.mux, req)
	if !ok {
		if status == http.StatusNotFound && strings.HasPrefix(req.URL.Path, "/api/") {
			return v.checkBody(body, "components", "schemas", "ErrorBody") // the /api/ catch-all
		}
		return fmt.Errorf("%s %s: no documented route serves this request", req.Method, req.URL.Path)
	}
	op := v.doc["paths"].(map[string]any)[rt.Path].(map[string]any)[strings.ToLower(rt.Method)].(map[string]any)
	resp, ok := op["responses"].(map[string]any)[strconv.Itoa(status)].(map[string]any)
	if !ok {
		return fmt.Errorf("%s: status %d is not documented (body %s)", rt.Pattern(), status, trim(body))
	}
	if _, hasBody := resp["content"]; !hasBody {
		if len(bytes.TrimSpace(body)) != 0 {
			return fmt.Errorf("%s: status %d is documented without a body but got %s", rt.Pattern(), status, trim(body))
		}
		return nil
	}
	if err := v.checkBody(body, "paths", rt.Path, strings.ToLower(rt.Method), "responses", strconv.Itoa(status), "content", "application/json", "schema"); err != nil {
		return fmt.Errorf("%s %d: %w", rt.Pattern(), status, err)
	}
	return nil
}

// CheckRequest validates a request body against the route's documented
// request schema (tests use it to keep examples honest).
func (v *Validator) CheckRequest(rt api.Route, body []byte) error {
	return v.checkBody(body, "paths", rt.Path, strings.ToLower(rt.Method), "requestBody", "content", "application/json", "schema")
}

func (v *Validator) checkBody(body []byte, tokens ...string) error {
	s, err := v.Schema(tokens...)
	if err != nil {
		return fmt.Errorf("compile schema: %w", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("body is not JSON: %v: %s", err, trim(body))
	}
	if err := s.Validate(inst); err != nil {
		return fmt.Errorf("body does not match the documented schema: %v\nbody: %s", err, trim(body))
	}
	return nil
}

func trim(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// Env runs scenarios through a full handler (auth middleware + mux).
type Env struct {
	Mux     *http.ServeMux
	Handler http.Handler
	V       *Validator
	creds   map[string]func(*http.Request)
}

// New builds an Env; handler is what serves requests (normally the auth
// middleware wrapping mux).
func New(t testing.TB, mux *http.ServeMux, handler http.Handler) *Env {
	t.Helper()
	return &Env{Mux: mux, Handler: handler, V: NewValidator(t, mux), creds: map[string]func(*http.Request){}}
}

// Session names a browser session token for Scenario.As.
func (e *Env) Session(name, token string) {
	e.creds[name] = func(r *http.Request) { r.AddCookie(&http.Cookie{Name: auth.CookieName, Value: token}) }
}

// Bearer names an API token for Scenario.As.
func (e *Env) Bearer(name, token string) {
	e.creds[name] = func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) }
}

// Scenario is one request and what must come back.
type Scenario struct {
	Name        string
	Method      string
	URL         string
	Body        any    // string or []byte sent as is; any other value encoded as JSON; nil = no body
	As          string // credential set with Session/Bearer; "" = anonymous
	Header      map[string]string
	Status      int
	Contains    []string       // substrings the body must contain
	NotContains []string       // substrings it must not contain (e.g. a secret)
	JSON        map[string]any // dotted path → value; "a.#" is the length of array a
	Check       func(t *testing.T, res *httptest.ResponseRecorder)
}

// Run runs each scenario as a subtest.
func (e *Env) Run(t *testing.T, scenarios []Scenario) {
	t.Helper()
	for _, s := range scenarios {
		t.Run(s.Name, func(t *testing.T) {
			t.Helper()
			res := e.Do(t, s.Method, s.URL, s.Body, s.As, s.Header)
			body := res.Body.String()
			if res.Code != s.Status {
				t.Fatalf("status = %d, want %d; body %s", res.Code, s.Status, trim(res.Body.Bytes()))
			}
			for _, c := range s.Contains {
				if !strings.Contains(body, c) {
					t.Errorf("body lacks %q: %s", c, trim(res.Body.Bytes()))
				}
			}
			for _, c := range s.NotContains {
				if strings.Contains(body, c) {
					t.Errorf("body contains %q: %s", c, trim(res.Body.Bytes()))
				}
			}
			if len(s.JSON) > 0 {
				var v any
				if err := json.Unmarshal(res.Body.Bytes(), &v); err != nil {
					t.Fatalf("body is not JSON: %v", err)
				}
				for p, want := range s.JSON {
					got, err := Path(v, p)
					if err != nil {
						t.Errorf("%s: %v; body %s", p, err, trim(res.Body.Bytes()))
						continue
					}
					if fmt.Sprint(got) != fmt.Sprint(want) {
						t.Errorf("%s = %v, want %v", p, got, want)
					}
				}
			}
			if s.Check != nil {
				s.Check(t, res)
			}
		})
	}
}

// Do sends one request and validates the response against the document.
func (e *Env) Do(t testing.TB, method, url string, body any, as string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, url, rd)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if as != "" {
		set, ok := e.creds[as]
		if !ok {
			t.Fatalf("unknown credential %q", as)
		}
		set(req)
	}
	res := httptest.NewRecorder()
	e.Handler.ServeHTTP(res, req)
	if ct := res.Header().Get("Content-Type"); res.Code != http.StatusNoContent && !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want application/json; body %s", method, url, ct, trim(res.Body.Bytes()))
	}
	if err := e.V.Check(httptest.NewRequest(method, url, nil), res.Code, res.Body.Bytes()); err != nil {
		t.Errorf("%s %s: %v", method, url, err)
	}
	return res
}

// Path reads a dotted path from decoded JSON ("error.fields.0.field");
// a final "#" gives the length of an array.
func Path(v any, path string) (any, error) {
	cur := v
	for _, tok := range strings.Split(path, ".") {
		switch x := cur.(type) {
		case map[string]any:
			nv, ok := x[tok]
			if !ok {
				return nil, fmt.Errorf("no key %q", tok)
			}
			cur = nv
		case []any:
			if tok == "#" {
				return len(x), nil
			}
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(x) {
				return nil, fmt.Errorf("no index %q (length %d)", tok, len(x))
			}
			cur = x[i]
		default:
			return nil, fmt.Errorf("cannot descend into %T at %q", cur, tok)
		}
	}
	return cur, nil
}
