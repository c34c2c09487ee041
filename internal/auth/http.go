package auth

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("auth", sub)
	web.RegisterNav(web.NavItem{Group: "我的", Label: "账号与安全", Path: "/account", Perm: "", Order: 900})
}

// CookieName is the session cookie.
const CookieName = "fq_session"

// HTTP holds what the middleware and auth pages need.
type HTTP struct {
	Svc        *Service
	R          *web.Renderer
	Secure     bool // behind TLS: Secure cookies
	TrustProxy bool // client IP from X-Forwarded-For
	Issuer     string
	Log        *slog.Logger
}

// ClientIP returns the caller's address.
func (h *HTTP) ClientIP(r *http.Request) string {
	if h.TrustProxy {
		// The rightmost entry is the one our own proxy appended; entries to
		// its left come from the client and may be forged.
		if xf := r.Header.Values("X-Forwarded-For"); len(xf) > 0 {
			parts := strings.Split(xf[len(xf)-1], ",")
			ip := strings.TrimSpace(parts[len(parts)-1])
			if net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Middleware resolves the session cookie or bearer token into a principal
// and puts it, the page viewer and the audit actor into the context. It
// does not refuse anonymous requests; Require does.
func (h *HTTP) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		actor := audit.Actor{IP: h.ClientIP(r), UserAgent: r.UserAgent(), RequestID: web.RequestIDFrom(ctx)}
		var p *Principal
		var err error
		if authz := r.Header.Get("Authorization"); strings.HasPrefix(authz, "Bearer ") {
			p, err = h.Svc.TokenPrincipal(ctx, strings.TrimPrefix(authz, "Bearer "))
		} else if c, cerr := r.Cookie(CookieName); cerr == nil {
			p, err = h.Svc.Session(ctx, c.Value)
			if errors.Is(err, ErrNoSession) {
				h.clearCookie(w)
			}
		}
		if err != nil && !errors.Is(err, ErrNoSession) {
			h.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
		if p != nil {
			actor.UserID, actor.Username, actor.OrgID = p.UserID, p.Username, p.OrgID
			ctx = WithPrincipal(ctx, p)
			if !p.MFAPending {
				ctx = web.WithViewer(ctx, &web.Viewer{UserID: p.UserID, Username: p.Username, DisplayName: p.DisplayName,
					OrgName: p.OrgName, RoleNames: p.RoleNames(), Can: p.Can, Lang: p.Lang})
			}
		}
		ctx = audit.WithActor(ctx, actor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// gate sends a signed-in user who still owes a step (second factor,
// password change, two-factor enrolment) to that step.
func (h *HTTP) gate(w http.ResponseWriter, r *http.Request, p *Principal) bool {
	switch {
	case p.MFAPending:
		web.Redirect(w, r, "/login/code")
	case p.MustChange && p.TokenID == 0:
		web.SetFlash(w, "请先修改密码：首次登录、管理员重置或密码已过期")
		web.Redirect(w, r, "/account/password")
	case p.NeedsTOTP && p.TokenID == 0:
		web.SetFlash(w, "按安全策略要求，请先绑定动态验证码(双因素认证)")
		web.Redirect(w, r, "/account/2fa")
	default:
		return false
	}
	return true
}

// Require wraps a page handler: signed in, no step owed, holding perm
// ("" = any signed-in user). Anonymous users go to the login page.
func (h *HTTP) Require(perm string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := FromContext(r.Context())
		if p == nil {
			web.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()))
			return
		}
		if h.gate(w, r, p) {
			return
		}
		if perm != "" && !p.Can(perm) {
			h.R.Error(w, r, http.StatusForbidden, "")
			return
		}
		next(w, r)
	}
}

// RequireAny is Require for a page several permissions open.
func (h *HTTP) RequireAny(perms []string, next http.HandlerFunc) http.HandlerFunc {
	return h.Require("", func(w http.ResponseWriter, r *http.Request) {
		p := FromContext(r.Context())
		for _, x := range perms {
			if p.Can(x) {
				next(w, r)
				return
			}
		}
		h.R.Error(w, r, http.StatusForbidden, "")
	})
}

func (h *HTTP) setCookie(w http.ResponseWriter, tok string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
}

func (h *HTTP) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: h.Secure, SameSite: http.SameSiteLaxMode})
}

func withActorUser(ctx context.Context, p *Principal) context.Context {
	a := audit.ActorFrom(ctx)
	a.UserID, a.Username, a.OrgID = p.UserID, p.Username, p.OrgID
	return audit.WithActor(ctx, a)
}

// Fail answers a service error on an HTML page the same way everywhere:
// not found or out of scope → 404, refused → 403, anything else → 500,
// logged with the request id.
func (h *HTTP) Fail(w http.ResponseWriter, r *http.Request, err error) {
	var fe *ForbiddenError
	switch {
	case errors.Is(err, store.ErrNotFound):
		h.R.Error(w, r, http.StatusNotFound, "")
	case errors.As(err, &fe):
		h.R.Error(w, r, http.StatusForbidden, "")
	default:
		log := h.Log
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), "request failed", "route", r.Pattern, "err", err, "request_id", web.RequestIDFrom(r.Context()))
		h.R.Error(w, r, http.StatusInternalServerError, "")
	}
}
