package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// MaxBody is the largest JSON request body Decode accepts. Uploads of
// files do not go through JSON.
const MaxBody = 1 << 20

// Decode reads r's JSON body into dst strictly: unknown fields, wrong
// types, trailing data and bodies over MaxBody are rejected with an *Error
// naming the field. Pass the error to Fail.
func Decode(w http.ResponseWriter, r *http.Request, dst any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		return bad("", "请求体应为 JSON(Content-Type: application/json)")
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bad("", "请求体只能包含一个 JSON 对象")
	}
	return nil
}

func bad(field, msg string) *Error {
	e := &Error{Status: http.StatusBadRequest, Code: CodeValidation, Message: msg}
	if field != "" {
		e.Fields = []FieldIssue{{Field: field, Message: msg}}
	}
	return e
}

func decodeError(err error) *Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return bad("", "请求体为空：应为 JSON 对象")
	case errors.As(err, &big):
		e := bad("", fmt.Sprintf("请求体过大(上限 %d KB)", MaxBody/1024))
		e.Status = http.StatusRequestEntityTooLarge
		return e
	case errors.As(err, &syn):
		return bad("", fmt.Sprintf("JSON 格式错误(第 %d 字节附近)", syn.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return bad("", "请求体应为 JSON 对象")
		}
		return bad(field, fmt.Sprintf("字段 %s 的类型不对：应为%s", field, jsonKind(typ.Type.Kind().String())))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return bad("", "JSON 不完整")
	}
	// encoding/json reports unknown fields only as text: `json: unknown field "x"`.
	if s, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		f := strings.Trim(s, `"`)
		return bad(f, "不认识的字段 "+f+"(请对照接口文档 /api/openapi.json)")
	}
	return bad("", "无法解析请求体："+err.Error())
}

func jsonKind(goKind string) string {
	switch {
	case strings.HasPrefix(goKind, "int"), strings.HasPrefix(goKind, "uint"):
		return "整数"
	case strings.HasPrefix(goKind, "float"):
		return "数字"
	case goKind == "string":
		return "字符串"
	case goKind == "bool":
		return "true 或 false"
	case goKind == "slice", goKind == "array":
		return "数组"
	}
	return "对象"
}

// Page sizes of paged lists.
const (
	DefaultSize = 50
	MaxSize     = 200
)

// Page is the requested page of a list: ?page= (1-based) and ?size= (at
// most MaxSize).
type Page struct {
	Page, Size int
}

// Offset is the SQL OFFSET; use Size as the LIMIT.
func (p Page) Offset() int { return (p.Page - 1) * p.Size }

// ParsePage reads ?page= and ?size=; bad values are a 422 naming the field.
func ParsePage(r *http.Request) (Page, error) {
	p := Page{Page: 1, Size: DefaultSize}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, Invalid("page", "page 应为从 1 开始的页码")
		}
		p.Page = n
	}
	if v := q.Get("size"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxSize {
			return p, Invalid("size", fmt.Sprintf("size 应为 1 到 %d 之间的整数", MaxSize))
		}
		p.Size = n
	}
	return p, nil
}

// List is the body of a paged list.
type List[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total" doc:"符合条件的记录总数"`
	Page  int `json:"page"`
	Size  int `json:"size"`
}

// WriteList answers 200 with one page of items and the total.
func WriteList[T any](w http.ResponseWriter, p Page, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	JSON(w, http.StatusOK, List[T]{Items: items, Total: total, Page: p.Page, Size: p.Size})
}

// QueryInt64 reads an optional positive integer query parameter (0 when
// absent).
func QueryInt64(r *http.Request, name string) (int64, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 1 {
		return 0, Invalid(name, name+" 应为正整数")
	}
	return n, nil
}

// QueryBool reads an optional true/false query parameter (nil when absent).
func QueryBool(r *http.Request, name string) (*bool, error) {
	switch strings.TrimSpace(r.URL.Query().Get(name)) {
	case "":
		return nil, nil
	case "true", "1":
		b := true
		return &b, nil
	case "false", "0":
		b := false
		return &b, nil
	}
	return nil, Invalid(name, name+" 应为 true 或 false")
}

// QueryEnum reads an optional query parameter that must be one of allowed.
func QueryEnum(r *http.Request, name string, allowed ...string) (string, error) {
	v := strings.TrimSpace(r.URL.Query().Get(name))
	if v == "" {
		return "", nil
	}
	for _, a := range allowed {
		if v == a {
			return v, nil
		}
	}
	return "", Invalid(name, name+" 应为以下之一："+strings.Join(allowed, "、"))
}

// PathID reads a positive integer path parameter.
func PathID(r *http.Request, name string) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || n < 1 {
		return 0, Invalid(name, name+" 应为正整数")
	}
	return n, nil
}
