package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"
)

// CSP is the Content-Security-Policy of every response: no inline script or style.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// SecurityHeaders sets the CSP and related headers; HSTS only when served over TLS.
func SecurityHeaders(tls bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			h := w.Header()
			h.Set("Content-Security-Policy", CSP)
			h.Set("X-Content-Type-Options", "nosniff")
			h.Set("Referrer-Policy", "same-origin")
			h.Set("X-Frame-Options", "DENY")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()")
			if tls {
				h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
			}
			next.ServeHTTP(w, req)
		})
	}
}

type requestIDKey struct{}

// RequestIDFrom returns the request id put in ctx by RequestID.
func RequestIDFrom(ctx context.Context) string {
	s, _ := ctx.Value(requestIDKey{}).(string)
	return s
}

// validRequestID accepts ids a proxy may send: 1-64 characters of [A-Za-z0-9._-].
func validRequestID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// RequestID takes X-Request-ID from the request (when well-formed) or makes one, echoes it
// in the response and puts it in the context.
func RequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		id := req.Header.Get("X-Request-ID")
		if !validRequestID(id) {
			var b [12]byte
			rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-ID", id)
		if info := logInfoFrom(req.Context()); info != nil {
			info.requestID = id
		}
		next.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), requestIDKey{}, id)))
	})
}

// respWriter records the status and size of a response.
type respWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (rw *respWriter) WriteHeader(code int) {
	if rw.status == 0 {
		rw.status = code
	}
	rw.ResponseWriter.WriteHeader(code)
}

func (rw *respWriter) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush, deadlines).
func (rw *respWriter) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Recover turns a panic into the 500 page (when nothing was written yet) and logs it with
// the request id and stack.
func Recover(r *Renderer, log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			rw := &respWriter{ResponseWriter: w}
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				if v == http.ErrAbortHandler {
					panic(v)
				}
				route := req.Pattern
				if info := logInfoFrom(req.Context()); route == "" && info != nil {
					route = info.route
				}
				log.ErrorContext(req.Context(), "panic", "err", fmt.Sprint(v), "request_id", RequestIDFrom(req.Context()),
					"route", route, "stack", string(debug.Stack()))
				if rw.status == 0 {
					r.Error(rw, req, http.StatusInternalServerError, "")
				}
			}()
			next.ServeHTTP(rw, req)
		})
	}
}

// logInfo is filled by inner layers for AccessLog, which only sees the outer request.
type logInfo struct {
	requestID string
	userID    int64
	route     string
}

type logInfoKey struct{}

func logInfoFrom(ctx context.Context) *logInfo {
	i, _ := ctx.Value(logInfoKey{}).(*logInfo)
	return i
}

// noteRoute records the route pattern of the request a handler got, for AccessLog
// (middleware between AccessLog and the mux may have replaced the request).
func noteRoute(req *http.Request) {
	if info := logInfoFrom(req.Context()); info != nil && req.Pattern != "" {
		info.route = req.Pattern
	}
}

// RecordRoute wraps the ServeMux so AccessLog learns the matched route pattern even when
// a middleware in between (auth) replaced the request with WithContext: the mux sets
// Pattern on the request it receives, which AccessLog never sees.
func RecordRoute(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		defer noteRoute(req)
		mux.ServeHTTP(w, req)
	})
}

// AccessLog logs one JSON-able line per request: method, route pattern, status, duration,
// bytes, request id and user id. Never the URL query or body, which may hold personal data.
// Render, Error, Redirect and RecordRoute tell it the route pattern.
func AccessLog(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			start := time.Now()
			info := &logInfo{}
			req = req.WithContext(context.WithValue(req.Context(), logInfoKey{}, info))
			rw := &respWriter{ResponseWriter: w}
			defer func() {
				route := req.Pattern
				if route == "" {
					route = info.route
				}
				id := info.requestID
				if id == "" { // RequestID wraps AccessLog
					id = RequestIDFrom(req.Context())
				}
				status := rw.status
				if status == 0 {
					status = http.StatusOK
				}
				log.LogAttrs(req.Context(), slog.LevelInfo, "http",
					slog.String("method", req.Method),
					slog.String("route", route),
					slog.Int("status", status),
					slog.Duration("duration", time.Since(start)),
					slog.Int64("bytes", rw.bytes),
					slog.String("request_id", id),
					slog.Int64("user_id", info.userID))
			}()
			next.ServeHTTP(rw, req)
		})
	}
}
