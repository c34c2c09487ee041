// Package api holds the conventions of the JSON API under /api/v1 that every
// business line uses: JSON responses, one error body, strict body decoding,
// pagination, permission checks that answer in JSON, and the OpenAPI 3.1
// document built from the same call that registers a handler.
//
// A handler is registered and documented at once:
//
//	api.Register(mux, api.Route{
//		Method: "GET", Path: "/api/v1/mediation/cases/{id}", Tag: "mediation",
//		Summary: "调解案件详情", Perm: auth.LinePerm("mediation", "view"),
//		Responses: api.Responses{200: CaseJSON{}},
//	}, h.getCase)
//
// and inside the handler:
//
//	c, err := h.Store.Get(ctx, p.ScopeFor("mediation"), id)
//	if err != nil { api.Fail(w, r, err); return }
//	api.JSON(w, http.StatusOK, toJSON(c))
//
// Errors always have the body
//
//	{"error":{"code":"validation_failed","message":"…","fields":[{"field":"division_code","message":"…"}]}}
//
// with code one of the Code* constants. Service errors map automatically
// (see Fail): a *FieldError of any package (anything with string fields
// Field and Message) → 422, store.ErrNotFound → 404, *auth.ForbiddenError → 403.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"

	"fengqiao/internal/auth"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// Error codes of the error body.
const (
	CodeValidation   = "validation_failed"
	CodeNotFound     = "not_found"
	CodeForbidden    = "forbidden"
	CodeUnauthorized = "unauthorized"
	CodeConflict     = "conflict"
	CodeRateLimited  = "rate_limited"
	CodeInternal     = "internal"
)

// Codes lists every error code (the OpenAPI enum).
var Codes = []string{CodeValidation, CodeNotFound, CodeForbidden, CodeUnauthorized, CodeConflict, CodeRateLimited, CodeInternal}

// FieldIssue names one wrong field of a request.
type FieldIssue struct {
	Field   string `json:"field" doc:"字段名(请求体中的JSON名称或查询参数名)"`
	Message string `json:"message" doc:"中文说明：错在哪里、应如何填写"`
}

// Error is an API error: it is both a Go error a handler may return from
// its own checks and the body sent to the client.
type Error struct {
	Status    int          `json:"-"`
	Code      string       `json:"code" enum:"validation_failed,not_found,forbidden,unauthorized,conflict,rate_limited,internal"`
	Message   string       `json:"message" doc:"中文说明"`
	Fields    []FieldIssue `json:"fields,omitempty" doc:"出错的字段(仅 validation_failed)"`
	RequestID string       `json:"request_id,omitempty" doc:"请求编号，报告问题时请提供"`
}

func (e *Error) Error() string { return fmt.Sprintf("%d %s: %s", e.Status, e.Code, e.Message) }

// ErrorBody is the envelope of every error response.
type ErrorBody struct {
	Error Error `json:"error"`
}

// Errorf builds an Error with a status and code.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid is a 422 naming one field.
func Invalid(field, message string) *Error {
	return &Error{Status: http.StatusUnprocessableEntity, Code: CodeValidation, Message: message,
		Fields: []FieldIssue{{Field: field, Message: message}}}
}

// Conflict is a 409 (e.g. the record changed or already exists).
func Conflict(message string) *Error {
	return &Error{Status: http.StatusConflict, Code: CodeConflict, Message: message}
}

// NotFound is the 404 for a record that does not exist or lies outside the
// caller's jurisdiction (the two are deliberately indistinguishable).
func NotFound() *Error {
	return &Error{Status: http.StatusNotFound, Code: CodeNotFound, Message: "记录不存在或不在您的管辖范围内"}
}

// Forbidden is a 403.
func Forbidden(message string) *Error {
	return &Error{Status: http.StatusForbidden, Code: CodeForbidden, Message: message}
}

// JSON writes v as the response body with status.
func JSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		slog.Error("api: encode response", "err", err)
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"服务器内部错误"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// NoContent answers 204.
func NoContent(w http.ResponseWriter) {
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// Fail maps err to the error body and writes it. Unknown errors are logged
// and answered 500 without detail.
func Fail(w http.ResponseWriter, r *http.Request, err error) {
	e := ToError(err)
	if e.Status >= 500 && !errors.Is(err, context.Canceled) {
		slog.ErrorContext(r.Context(), "api: internal error", "err", err, "method", r.Method, "path", r.URL.Path,
			"request_id", web.RequestIDFrom(r.Context()))
	}
	out := *e
	out.RequestID = web.RequestIDFrom(r.Context())
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="fengqiao"`)
	}
	JSON(w, out.Status, ErrorBody{Error: out})
}

// ToError maps a service error to an API error.
func ToError(err error) *Error {
	var ae *Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, store.ErrNotFound) {
		return NotFound()
	}
	var fe *auth.ForbiddenError
	if errors.As(err, &fe) {
		return Forbidden(fe.Reason)
	}
	if field, msg, ok := fieldOf(err); ok {
		return Invalid(field, msg)
	}
	if store.IsUniqueViolation(err) {
		return Conflict("记录已存在(与已有记录重复)")
	}
	return &Error{Status: http.StatusInternalServerError, Code: CodeInternal, Message: "服务器内部错误，请稍后再试或联系管理员"}
}

// fieldOf finds a field error of any package in err's chain by shape: a
// FieldName()/FieldMessage() pair, or a struct with string fields Field
// and Message (auth.FieldError, org.FieldError, …).
func fieldOf(err error) (field, msg string, ok bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if fe, isFE := e.(interface {
			FieldName() string
			FieldMessage() string
		}); isFE {
			return fe.FieldName(), fe.FieldMessage(), true
		}
		v := reflect.ValueOf(e)
		for v.Kind() == reflect.Pointer {
			if v.IsNil() {
				break
			}
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			continue
		}
		f, m := v.FieldByName("Field"), v.FieldByName("Message")
		if f.IsValid() && m.IsValid() && f.Kind() == reflect.String && m.Kind() == reflect.String {
			return f.String(), m.String(), true
		}
	}
	return "", "", false
}

// Require wraps an API handler: 401 when anonymous, 403 when the caller
// still owes a password change or second factor (browser sessions), or
// lacks perm ("" = any signed-in caller). It never redirects.
func Require(perm string, next http.HandlerFunc) http.HandlerFunc {
	var perms []string
	if perm != "" {
		perms = []string{perm}
	}
	return RequireAny(perms, next)
}

// RequireAny is Require for an endpoint that any of perms opens (none =
// any signed-in caller).
func RequireAny(perms []string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if e := check(auth.FromContext(r.Context()), perms); e != nil {
			Fail(w, r, e)
			return
		}
		next(w, r)
	}
}

func check(p *auth.Principal, perms []string) *Error {
	switch {
	case p == nil:
		return &Error{Status: http.StatusUnauthorized, Code: CodeUnauthorized, Message: "未登录或令牌无效：请提供有效的会话或 Authorization: Bearer 令牌"}
	case p.MFAPending:
		return Forbidden("请先完成双因素验证")
	case p.MustChange && p.TokenID == 0:
		return Forbidden("请先修改密码(首次登录、管理员重置或密码已过期)")
	case p.NeedsTOTP && p.TokenID == 0:
		return Forbidden("按安全策略要求，请先绑定动态验证码(双因素认证)")
	}
	if len(perms) == 0 {
		return nil
	}
	for _, x := range perms {
		if p.Can(x) {
			return nil
		}
	}
	return Forbidden("没有权限：需要“" + permNames(perms) + "”权限")
}

func permNames(perms []string) string {
	names := map[string]string{}
	for _, x := range auth.AllPermissions() {
		names[x.Code] = x.Name
	}
	s := ""
	for i, x := range perms {
		if i > 0 {
			s += "”或“"
		}
		if n := names[x]; n != "" {
			s += n
		} else {
			s += x
		}
	}
	return s
}
