package api_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/api"
	"fengqiao/internal/api/apitest"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

func errorOf(t *testing.T, res *httptest.ResponseRecorder) api.Error {
	t.Helper()
	var body struct{ Error api.Error }
	if err := json.Unmarshal(res.Body.Bytes(), &body); err != nil {
		t.Fatalf("not an error body: %s", res.Body)
	}
	return body.Error
}

func TestDecodeIsStrict(t *testing.T) {
	type in struct {
		Name  string `json:"name"`
		Count int    `json:"count"`
		Inner struct {
			Code string `json:"code"`
		} `json:"inner"`
	}
	cases := []struct {
		name, body, ctype string
		status            int
		field             string
	}{
		{"ok", `{"name":"a","count":2}`, "application/json", 0, ""},
		{"unknown field named", `{"name":"a","colour":"red"}`, "application/json", 400, "colour"},
		{"wrong type named", `{"count":"two"}`, "application/json", 400, "count"},
		{"nested wrong type named by path", `{"inner":{"code":5}}`, "application/json", 400, "inner.code"},
		{"two objects", `{"name":"a"}{"name":"b"}`, "application/json", 400, ""},
		{"empty", ``, "application/json", 400, ""},
		{"syntax", `{"name":`, "application/json", 400, ""},
		{"array instead of object", `[1]`, "application/json", 400, ""},
		{"form body refused", `name=a`, "application/x-www-form-urlencoded", 400, ""},
		{"too large", `{"name":"` + strings.Repeat("x", api.MaxBody) + `"}`, "application/json", 413, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/api/v1/x", strings.NewReader(c.body))
			req.Header.Set("Content-Type", c.ctype)
			var dst in
			err := api.Decode(httptest.NewRecorder(), req, &dst)
			if c.status == 0 {
				if err != nil || dst.Name != "a" || dst.Count != 2 {
					t.Fatalf("err %v, dst %+v", err, dst)
				}
				return
			}
			e := api.ToError(err)
			if e.Status != c.status || e.Code != api.CodeValidation {
				t.Fatalf("got %d %s (%v), want %d", e.Status, e.Code, err, c.status)
			}
			if c.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != c.field) {
				t.Fatalf("fields %+v, want %s", e.Fields, c.field)
			}
			if e.Message == "" {
				t.Fatal("no message")
			}
		})
	}
}

func TestParsePage(t *testing.T) {
	for q, want := range map[string]string{
		"":                "1/50",
		"?page=3&size=20": "3/20",
		"?size=200":       "1/200",
		"?size=201":       "err:size",
		"?size=0":         "err:size",
		"?page=0":         "err:page",
		"?page=x":         "err:page",
	} {
		p, err := api.ParsePage(httptest.NewRequest("GET", "/api/v1/x"+q, nil))
		got := fmt.Sprintf("%d/%d", p.Page, p.Size)
		if err != nil {
			got = "err:" + api.ToError(err).Fields[0].Field
		}
		if got != want {
			t.Errorf("%q: %s, want %s", q, got, want)
		}
	}
	if off := (api.Page{Page: 3, Size: 20}).Offset(); off != 40 {
		t.Errorf("offset %d", off)
	}
	res := httptest.NewRecorder()
	api.WriteList[int](res, api.Page{Page: 1, Size: 50}, nil, 0)
	if strings.TrimSpace(res.Body.String()) != `{"items":[],"total":0,"page":1,"size":50}` {
		t.Errorf("empty list: %s", res.Body)
	}
}

type shapeErr struct{ Field, Message string }

func (e shapeErr) Error() string { return e.Message }

func TestErrorMapping(t *testing.T) {
	cases := []struct {
		err    error
		status int
		code   string
		field  string
	}{
		{&auth.FieldError{Field: "username", Message: "用户名已被使用"}, 422, api.CodeValidation, "username"},
		{&org.FieldError{Field: "division_code", Message: "代码不对"}, 422, api.CodeValidation, "division_code"},
		{fmt.Errorf("save: %w", &org.FieldError{Field: "name", Message: "名称必填"}), 422, api.CodeValidation, "name"},
		{shapeErr{"amount", "金额不能为负"}, 422, api.CodeValidation, "amount"},
		{store.ErrNotFound, 404, api.CodeNotFound, ""},
		{fmt.Errorf("get: %w", store.ErrNotFound), 404, api.CodeNotFound, ""},
		{&auth.ForbiddenError{Reason: "需要“用户管理”权限"}, 403, api.CodeForbidden, ""},
		{api.Conflict("已被他人修改"), 409, api.CodeConflict, ""},
		{errors.New("pq: connection refused at 10.0.0.5"), 500, api.CodeInternal, ""},
	}
	for _, c := range cases {
		res := httptest.NewRecorder()
		api.Fail(res, httptest.NewRequest("GET", "/api/v1/x", nil), c.err)
		e := errorOf(t, res)
		if res.Code != c.status || e.Code != c.code {
			t.Errorf("%v: %d %s, want %d %s", c.err, res.Code, e.Code, c.status, c.code)
		}
		if c.field != "" && (len(e.Fields) != 1 || e.Fields[0].Field != c.field || e.Fields[0].Message == "") {
			t.Errorf("%v: fields %+v", c.err, e.Fields)
		}
		if c.status == 500 && strings.Contains(res.Body.String(), "10.0.0.5") {
			t.Errorf("internal detail leaked: %s", res.Body)
		}
		if ct := res.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("content type %q", ct)
		}
	}
}

func TestRequireAnswersJSON(t *testing.T) {
	ok := func(w http.ResponseWriter, r *http.Request) { api.JSON(w, 200, map[string]bool{"ok": true}) }
	sess := auth.NewPrincipalForTest(1, 1, org.System(), auth.PermOrgView)
	mustChange := auth.NewPrincipalForTest(2, 1, org.System(), auth.PermOrgView)
	mustChange.MustChange = true
	tokenMustChange := auth.NewPrincipalForTest(3, 1, org.System(), auth.PermOrgView)
	tokenMustChange.MustChange, tokenMustChange.TokenID = true, 9
	mfa := auth.NewPrincipalForTest(4, 1, org.System(), auth.PermOrgView)
	mfa.MFAPending = true
	totp := auth.NewPrincipalForTest(5, 1, org.System(), auth.PermOrgView)
	totp.NeedsTOTP = true
	cases := []struct {
		name   string
		p      *auth.Principal
		perm   string
		status int
	}{
		{"anonymous", nil, auth.PermOrgView, 401},
		{"anonymous, any signed-in", nil, "", 401},
		{"holds perm", sess, auth.PermOrgView, 200},
		{"any signed-in", sess, "", 200},
		{"lacks perm", sess, auth.PermOrgManage, 403},
		{"owes password change", mustChange, auth.PermOrgView, 403},
		{"token of a user owing a change still works", tokenMustChange, auth.PermOrgView, 200},
		{"second factor pending", mfa, "", 403},
		{"must enrol TOTP", totp, "", 403},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/v1/x", nil)
			if c.p != nil {
				req = req.WithContext(auth.WithPrincipal(req.Context(), c.p))
			}
			res := httptest.NewRecorder()
			api.Require(c.perm, ok)(res, req)
			if res.Code != c.status {
				t.Fatalf("status %d, want %d: %s", res.Code, c.status, res.Body)
			}
			if res.Header().Get("Location") != "" {
				t.Fatal("API must not redirect")
			}
			if c.status != 200 {
				e := errorOf(t, res)
				want := map[int]string{401: api.CodeUnauthorized, 403: api.CodeForbidden}[c.status]
				if e.Code != want || e.Message == "" {
					t.Fatalf("error %+v", e)
				}
			}
		})
	}
}

type base struct {
	ID int64 `json:"id"`
}

type sample struct {
	base
	Name    string     `json:"name" doc:"名称"`
	Kind    string     `json:"kind" enum:"a,b"`
	Note    string     `json:"note,omitempty"`
	At      time.Time  `json:"at"`
	Closed  *time.Time `json:"closed"`
	Tags    []string   `json:"tags"`
	Parent  *int64     `json:"parent"`
	secret  string
	Skipped string `json:"-"`
}

func TestSchemaOf(t *testing.T) {
	s := api.SchemaOf(sample{})
	b, _ := json.Marshal(s)
	got := map[string]any{}
	_ = json.Unmarshal(b, &got)
	props := got["properties"].(map[string]any)
	keys := []string{}
	for k := range props {
		keys = append(keys, k)
	}
	if len(props) != 8 {
		t.Fatalf("properties %v", keys)
	}
	want := map[string]string{
		"id":     `{"type":"integer"}`,
		"name":   `{"description":"名称","type":"string"}`,
		"kind":   `{"enum":["a","b"],"type":"string"}`,
		"at":     `{"format":"date-time","type":"string"}`,
		"closed": `{"format":"date-time","type":["string","null"]}`,
		"tags":   `{"items":{"type":"string"},"type":"array"}`,
		"parent": `{"type":["integer","null"]}`,
	}
	for k, w := range want {
		b, _ := json.Marshal(props[k])
		if string(b) != w {
			t.Errorf("%s: %s, want %s", k, b, w)
		}
	}
	req := fmt.Sprint(got["required"])
	if req != "[id name kind at closed tags parent]" || got["additionalProperties"] != false {
		t.Errorf("required %s, additionalProperties %v", req, got["additionalProperties"])
	}
}

// A handler whose answer drifts from its documentation must fail the
// response validation that every scenario test runs.
func TestValidatorCatchesDrift(t *testing.T) {
	type item struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	}
	mux := http.NewServeMux()
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/items/{id}", Tag: "t", Summary: "条目", Public: true,
		Responses: api.Responses{200: item{}}}, func(w http.ResponseWriter, r *http.Request) {})
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/items", Tag: "t", Summary: "条目列表", Public: true, Paged: true,
		Responses: api.Responses{200: item{}}}, func(w http.ResponseWriter, r *http.Request) {})
	v := apitest.NewValidator(t, mux)
	if err := v.CompileAll(); err != nil {
		t.Fatal(err)
	}
	one := httptest.NewRequest("GET", "/api/v1/items/7", nil)
	list := httptest.NewRequest("GET", "/api/v1/items", nil)
	cases := []struct {
		name   string
		req    *http.Request
		status int
		body   string
		ok     bool
	}{
		{"matches", one, 200, `{"id":7,"name":"x"}`, true},
		{"extra field", one, 200, `{"id":7,"name":"x","ssn":"1"}`, false},
		{"missing field", one, 200, `{"id":7}`, false},
		{"wrong type", one, 200, `{"id":"7","name":"x"}`, false},
		{"undocumented status", one, 201, `{"id":7,"name":"x"}`, false},
		{"documented error status", one, 404, `{"error":{"code":"not_found","message":"不存在"}}`, true},
		{"error with unknown code", one, 404, `{"error":{"code":"gone","message":"不存在"}}`, false},
		{"page matches", list, 200, `{"items":[{"id":1,"name":"a"}],"total":1,"page":1,"size":50}`, true},
		{"page without total", list, 200, `{"items":[],"page":1,"size":50}`, false},
		{"page size over the limit", list, 200, `{"items":[],"total":0,"page":1,"size":500}`, false},
		{"null items", list, 200, `{"items":null,"total":0,"page":1,"size":50}`, false},
		{"undocumented route", httptest.NewRequest("POST", "/api/v1/items", nil), 200, `{}`, false},
	}
	for _, c := range cases {
		err := v.Check(c.req, c.status, []byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: err = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}

func TestRegisterRefusesIncompleteRoutes(t *testing.T) {
	h := func(w http.ResponseWriter, r *http.Request) {}
	good := api.Route{Method: "GET", Path: "/api/v1/a", Tag: "t", Summary: "甲", Responses: api.Responses{200: api.Schema{}}}
	bad := map[string]func(r *api.Route){
		"no summary":         func(r *api.Route) { r.Summary = "" },
		"no tag":             func(r *api.Route) { r.Tag = "" },
		"no response":        func(r *api.Route) { r.Responses = nil },
		"outside /api":       func(r *api.Route) { r.Path = "/admin/a" },
		"bad method":         func(r *api.Route) { r.Method = "FETCH" },
		"unknown permission": func(r *api.Route) { r.Perm = "org.everything" },
		"public with perm":   func(r *api.Route) { r.Public, r.Perm = true, auth.PermOrgView },
		"wildcard":           func(r *api.Route) { r.Path = "/api/v1/files/{rest...}" },
	}
	for name, mutate := range bad {
		rt := good
		mutate(&rt)
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			api.Register(http.NewServeMux(), rt, h)
		}()
	}
	mux := http.NewServeMux()
	api.Register(mux, good, h)
	func() {
		defer func() {
			if recover() == nil {
				t.Error("registered twice without panic")
			}
		}()
		api.Register(mux, good, h)
	}()
}

func TestDocumentShape(t *testing.T) {
	mux := http.NewServeMux()
	api.Register(mux, api.Route{Method: "POST", Path: "/api/v1/things/{id}/close", Tag: "t", Summary: "关闭", Perm: auth.PermOrgManage,
		Request: struct {
			Reason string `json:"reason"`
		}{}, Responses: api.Responses{204: nil}}, func(w http.ResponseWriter, r *http.Request) {})
	api.ServeDocument(mux, api.Info{})
	res := httptest.NewRecorder()
	mux.ServeHTTP(res, httptest.NewRequest("GET", api.DocumentPath, nil))
	if res.Code != 200 {
		t.Fatalf("document: %d", res.Code)
	}
	var doc map[string]any
	if err := json.Unmarshal(res.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path string) any {
		v, err := apitest.Path(doc, path)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return v
	}
	if get("openapi") != "3.1.0" || get("jsonSchemaDialect") != "https://json-schema.org/draft/2020-12/schema" {
		t.Error("not an OpenAPI 3.1 / 2020-12 document")
	}
	get("components.securitySchemes.session")
	get("components.securitySchemes.bearer")
	op := get("paths./api/v1/things/{id}/close.post").(map[string]any)
	responses := op["responses"].(map[string]any)
	for _, st := range []string{"204", "400", "401", "403", "404", "409", "413", "422", "500"} {
		if _, ok := responses[st]; !ok {
			t.Errorf("status %s not documented", st)
		}
	}
	if fmt.Sprint(op["x-permissions"]) != "[org.manage]" || len(op["security"].([]any)) != 2 {
		t.Errorf("permission/security: %v %v", op["x-permissions"], op["security"])
	}
	docOp := get("paths").(map[string]any)[api.DocumentPath].(map[string]any)["get"].(map[string]any)
	if !reflect.DeepEqual(docOp["security"], []any{}) {
		t.Error("the document itself must be public")
	}
	// Unknown paths under /api/ answer JSON, not the HTML 404 page.
	res = httptest.NewRecorder()
	mux.ServeHTTP(res, httptest.NewRequest("GET", "/api/v2/nothing", nil))
	if res.Code != 404 || errorOf(t, res).Code != api.CodeNotFound {
		t.Errorf("unknown api path: %d %s", res.Code, res.Body)
	}
}

func TestErrorCodeEnumIsComplete(t *testing.T) {
	s := api.SchemaOf(api.ErrorBody{})
	e := s["properties"].(api.Schema)["error"].(api.Schema)
	got := fmt.Sprint(e["properties"].(api.Schema)["code"].(api.Schema)["enum"])
	if got != fmt.Sprint(api.Codes) {
		t.Errorf("documented codes %s, api.Codes %v", got, api.Codes)
	}
}
