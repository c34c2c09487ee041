package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"fengqiao/internal/auth"
)

// Route documents one API operation. Register takes it together with the
// handler, so no route can be served without being documented.
type Route struct {
	Method      string // GET, POST, PATCH, PUT, DELETE
	Path        string // Go mux path under /api/, e.g. /api/v1/orgs/{id}
	Summary     string // 中文，一句话
	Description string
	Tag         string // group in the document, e.g. "orgs", "mediation"
	OperationID string // default: method_path, e.g. get_orgs_id

	// Who may call it. Public routes need no authentication and must not
	// return personal data. Otherwise the caller must be signed in and hold
	// Perm or any of Perms (none = any signed-in caller).
	Public bool
	Perm   string
	Perms  []string

	Query   []Param // query parameters (path parameters are derived from Path)
	Paged   bool    // ?page=&size=; the 200 body is {"items":[<Responses[200]>],"total","page","size"}
	Request any     // body: a Go value whose type describes it, or a Schema; nil = no body

	// Responses by status: a Go value whose type describes the body, a
	// Schema, or nil for no body (204). Error statuses are added
	// automatically (400/401/403/404/409/413/422/500 as the route can
	// produce them); list further ones in Errors.
	Responses Responses
	Errors    []int
}

// Responses maps a status to its body description.
type Responses map[int]any

// Param is a query or path parameter.
type Param struct {
	Name        string
	In          string // "query" (default) or "path"
	Description string
	Schema      Schema
	Required    bool
}

// Q is a query parameter.
func Q(name, description string, s Schema) Param {
	return Param{Name: name, In: "query", Description: description, Schema: s}
}

// Pattern is the mux pattern, e.g. "GET /api/v1/orgs/{id}".
func (rt Route) Pattern() string { return rt.Method + " " + rt.Path }

func (rt Route) perms() []string {
	var ps []string
	if rt.Perm != "" {
		ps = append(ps, rt.Perm)
	}
	return append(ps, rt.Perms...)
}

var pathParamRe = regexp.MustCompile(`\{([^}]*)\}`)

func (rt Route) pathParams() []string {
	var out []string
	for _, m := range pathParamRe.FindAllStringSubmatch(rt.Path, -1) {
		out = append(out, m[1])
	}
	return out
}

// registry is the documented API of one mux.
type registry struct {
	mu     sync.Mutex
	routes []Route
	doc    []byte // cached document
	n      int    // routes in doc
}

var (
	regMu      sync.Mutex
	registries = map[*http.ServeMux]*registry{}
	tagMu      sync.Mutex
	tagDocs    = map[string]string{}
)

func registryOf(mux *http.ServeMux) *registry {
	regMu.Lock()
	defer regMu.Unlock()
	r := registries[mux]
	if r == nil {
		r = &registry{}
		registries[mux] = r
	}
	return r
}

// DescribeTag gives a tag a Chinese description in the document.
func DescribeTag(tag, description string) {
	tagMu.Lock()
	defer tagMu.Unlock()
	tagDocs[tag] = description
}

var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// Register documents rt and serves h at rt's pattern on mux, behind the
// permission check rt declares (Require/RequireAny). It panics on an
// incomplete description: that is a programming error found at start-up.
func Register(mux *http.ServeMux, rt Route, h http.HandlerFunc) {
	switch {
	case !slices.Contains(methods, rt.Method):
		panic("api.Register: method must be one of " + strings.Join(methods, ",") + ": " + rt.Pattern())
	case !strings.HasPrefix(rt.Path, "/api/"):
		panic("api.Register: path must start with /api/: " + rt.Pattern())
	case strings.Contains(rt.Path, "...}") || strings.Contains(rt.Path, "{$}"):
		panic("api.Register: wildcards {x...} and {$} cannot be documented: " + rt.Pattern())
	case rt.Summary == "" || rt.Tag == "":
		panic("api.Register: Summary and Tag are required: " + rt.Pattern())
	case rt.Public && len(rt.perms()) > 0:
		panic("api.Register: a public route takes no permission: " + rt.Pattern())
	case len(rt.Responses) == 0:
		panic("api.Register: document at least one response: " + rt.Pattern())
	}
	for _, p := range rt.perms() {
		if !auth.ValidPermission(p) {
			panic("api.Register: unknown permission " + p + ": " + rt.Pattern())
		}
	}
	reg := registryOf(mux)
	reg.mu.Lock()
	for _, x := range reg.routes {
		if x.Pattern() == rt.Pattern() {
			reg.mu.Unlock()
			panic("api.Register: registered twice: " + rt.Pattern())
		}
	}
	reg.routes = append(reg.routes, rt)
	reg.mu.Unlock()
	if !rt.Public {
		h = RequireAny(rt.perms(), h)
	}
	mux.HandleFunc(rt.Pattern(), h)
}

// Routes returns the routes documented on mux, in registration order.
func Routes(mux *http.ServeMux) []Route {
	reg := registryOf(mux)
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return slices.Clone(reg.routes)
}

// Lookup returns the documented route that mux would serve req with.
func Lookup(mux *http.ServeMux, req *http.Request) (Route, bool) {
	_, pattern := mux.Handler(req)
	for _, rt := range Routes(mux) {
		if rt.Pattern() == pattern {
			return rt, true
		}
	}
	return Route{}, false
}

// Info heads the document.
type Info struct {
	Title       string
	Version     string
	Description string
}

// DocumentPath is where the OpenAPI document is served.
const DocumentPath = "/api/openapi.json"

// ServeDocument registers GET /api/openapi.json (public: structure only, no
// data) and a JSON 404 for every other unknown path under /api/. Call it
// once per mux; routes registered later appear too (the document is built
// on request).
func ServeDocument(mux *http.ServeMux, info Info) {
	Register(mux, Route{Method: http.MethodGet, Path: DocumentPath, Public: true, Tag: "meta",
		Summary: "OpenAPI 3.1 接口文档", Description: "本文档本身。覆盖 /api/v1 下的全部接口；不含任何业务数据。",
		Responses: Responses{200: Schema{"type": "object", "required": []any{"openapi", "info", "paths"}}}},
		func(w http.ResponseWriter, r *http.Request) {
			b, err := Document(mux, info)
			if err != nil {
				Fail(w, r, err)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			w.Header().Set("Cache-Control", "no-cache")
			_, _ = w.Write(b)
		})
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		Fail(w, r, &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "接口不存在：" + r.Method + " " + r.URL.Path + "(接口列表见 " + DocumentPath + ")"})
	})
}

// Document renders the OpenAPI 3.1 document of mux's routes as JSON.
func Document(mux *http.ServeMux, info Info) ([]byte, error) {
	reg := registryOf(mux)
	reg.mu.Lock()
	defer reg.mu.Unlock()
	if reg.doc != nil && reg.n == len(reg.routes) {
		return reg.doc, nil
	}
	b, err := marshalDoc(build(reg.routes, info))
	if err != nil {
		return nil, err
	}
	reg.doc, reg.n = b, len(reg.routes)
	return b, nil
}

func marshalDoc(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(doc)
	return buf.Bytes(), err
}

var statusText = map[int]string{
	400: "请求格式错误(JSON 无法解析、含未知字段或类型不对)", 401: "未登录或令牌无效", 403: "没有权限，或须先修改密码/完成双因素验证",
	404: "记录不存在或不在您的管辖范围内", 409: "与已有记录冲突", 413: "请求体过大", 422: "填写的内容有误(fields 指明字段)",
	429: "请求过于频繁", 500: "服务器内部错误",
}

func build(routes []Route, info Info) map[string]any {
	g := newSchemaGen()
	errRef := g.value(ErrorBody{})
	paths := map[string]any{}
	tags := map[string]bool{}
	for _, rt := range routes {
		tags[rt.Tag] = true
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = operation(g, rt, errRef)
	}
	var tagList []any
	names := make([]string, 0, len(tags))
	for t := range tags {
		names = append(names, t)
	}
	sort.Strings(names)
	tagMu.Lock()
	for _, t := range names {
		tg := map[string]any{"name": t}
		if d := tagDocs[t]; d != "" {
			tg["description"] = d
		}
		tagList = append(tagList, tg)
	}
	tagMu.Unlock()
	comps := map[string]any{}
	for k, v := range g.components {
		comps[k] = v
	}
	title := info.Title
	if title == "" {
		title = "枫桥 基层司法行政工作平台 API"
	}
	version := info.Version
	if version == "" {
		version = "1"
	}
	desc := info.Description
	if desc == "" {
		desc = "以会话(浏览器登录后的 Cookie)或 API 令牌(Authorization: Bearer fq_…)认证。" +
			"所有数据按调用者的管辖范围过滤；管辖范围以外的记录一律答 404。" +
			"错误统一为 {\"error\":{\"code\",\"message\",\"fields\":[{\"field\",\"message\"}]}}。" +
			"列表分页：?page=(从1开始)&size=(不超过200)，返回 {\"items\",\"total\",\"page\",\"size\"}。"
	}
	return map[string]any{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
		"info":              map[string]any{"title": title, "version": version, "description": desc},
		"paths":             paths,
		"tags":              tagList,
		"components": map[string]any{
			"schemas": comps,
			"securitySchemes": map[string]any{
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": auth.CookieName,
					"description": "浏览器登录后的会话。改变数据的请求须来自本系统页面(同源)。"},
				"bearer": map[string]any{"type": "http", "scheme": "bearer",
					"description": "API 令牌(fq_ 开头)，在“账号与安全”或 POST /api/v1/tokens 创建，只显示一次；权限不超过所属账号并可限定。"},
			},
		},
	}
}

func operationID(rt Route) string {
	if rt.OperationID != "" {
		return rt.OperationID
	}
	p := strings.TrimPrefix(strings.TrimPrefix(rt.Path, "/api/v1/"), "/api/")
	p = strings.NewReplacer("{", "", "}", "", "/", "_", "-", "_", ".", "_").Replace(p)
	return strings.ToLower(rt.Method) + "_" + p
}

func operation(g *schemaGen, rt Route, errRef Schema) map[string]any {
	op := map[string]any{"operationId": operationID(rt), "summary": rt.Summary, "tags": []any{rt.Tag}}
	desc := rt.Description
	if ps := rt.perms(); len(ps) > 0 {
		op["x-permissions"] = ps
		if desc != "" {
			desc += "\n\n"
		}
		desc += "所需权限(任一)：" + strings.Join(ps, "、")
	}
	if desc != "" {
		op["description"] = desc
	}
	if rt.Public {
		op["security"] = []any{}
	} else {
		op["security"] = []any{map[string]any{"session": []any{}}, map[string]any{"bearer": []any{}}}
	}
	var params []any
	explicit := map[string]bool{}
	for _, p := range rt.Query {
		if p.In == "path" {
			explicit[p.Name] = true
		}
	}
	for _, name := range rt.pathParams() {
		if explicit[name] {
			continue
		}
		s := String()
		if name == "id" || strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "ID") {
			s = Schema{"type": "integer", "minimum": 1}
		}
		params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": s})
	}
	all := slices.Clone(rt.Query)
	if rt.Paged {
		all = append(all, Q("page", "页码，从1开始", Schema{"type": "integer", "minimum": 1, "default": 1}),
			Q("size", "每页条数", Schema{"type": "integer", "minimum": 1, "maximum": MaxSize, "default": DefaultSize}))
	}
	for _, p := range all {
		in := p.In
		if in == "" {
			in = "query"
		}
		s := p.Schema
		if s == nil {
			s = String()
		}
		m := map[string]any{"name": p.Name, "in": in, "schema": s}
		if p.Description != "" {
			m["description"] = p.Description
		}
		if p.Required || in == "path" {
			m["required"] = true
		}
		params = append(params, m)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.Request != nil {
		op["requestBody"] = map[string]any{"required": true,
			"content": map[string]any{"application/json": map[string]any{"schema": g.value(rt.Request)}}}
	}
	resps := map[string]any{}
	for status, body := range rt.Responses {
		desc := http.StatusText(status)
		if t := statusText[status]; t != "" {
			desc = t
		}
		r := map[string]any{"description": desc}
		if body != nil {
			s := g.value(body)
			if rt.Paged && status == http.StatusOK {
				s = pageSchema(s)
			}
			r["content"] = map[string]any{"application/json": map[string]any{"schema": s}}
		}
		resps[fmt.Sprint(status)] = r
	}
	for _, st := range errorStatuses(rt) {
		if _, ok := rt.Responses[st]; ok {
			continue
		}
		resps[fmt.Sprint(st)] = map[string]any{"description": statusText[st],
			"content": map[string]any{"application/json": map[string]any{"schema": errRef}}}
	}
	op["responses"] = resps
	return op
}

func pageSchema(item Schema) Schema {
	return Schema{"type": "object", "additionalProperties": false, "required": []any{"items", "total", "page", "size"},
		"properties": Schema{
			"items": Schema{"type": "array", "items": item},
			"total": Schema{"type": "integer", "minimum": 0, "description": "符合条件的记录总数"},
			"page":  Schema{"type": "integer", "minimum": 1},
			"size":  Schema{"type": "integer", "minimum": 1, "maximum": MaxSize},
		}}
}

// errorStatuses are the error answers a route can give by its shape.
func errorStatuses(rt Route) []int {
	st := []int{http.StatusInternalServerError}
	if !rt.Public {
		st = append(st, http.StatusUnauthorized, http.StatusForbidden)
	}
	if len(rt.pathParams()) > 0 {
		st = append(st, http.StatusNotFound, http.StatusUnprocessableEntity)
	}
	if len(rt.Query) > 0 || rt.Paged || rt.Method != http.MethodGet {
		st = append(st, http.StatusUnprocessableEntity)
	}
	if rt.Request != nil {
		st = append(st, http.StatusBadRequest, http.StatusRequestEntityTooLarge)
	}
	if rt.Method == http.MethodPost || rt.Method == http.MethodPut || rt.Method == http.MethodPatch {
		st = append(st, http.StatusConflict)
	}
	st = append(st, rt.Errors...)
	slices.Sort(st)
	return slices.Compact(st)
}
