package auth

import (
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"fengqiao/internal/web"
)

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// Routes registers the login, logout and own-account pages.
func (h *HTTP) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.loginPost)
	mux.HandleFunc("GET /login/code", h.codePage)
	mux.HandleFunc("POST /login/code", h.codePost)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /account", h.signedIn(h.accountPage))
	mux.HandleFunc("GET /account/password", h.signedIn(h.passwordPage))
	mux.HandleFunc("POST /account/password", h.signedIn(h.passwordPost))
	mux.HandleFunc("GET /account/2fa", h.signedIn(h.totpPage))
	mux.HandleFunc("POST /account/2fa", h.signedIn(h.totpPost))
	mux.HandleFunc("POST /account/2fa/disable", h.Require("", h.totpDisable))
	mux.HandleFunc("GET /account/tokens", h.Require(PermAPIToken, h.tokensPage))
	mux.HandleFunc("POST /account/tokens", h.Require(PermAPIToken, h.tokensPost))
	mux.HandleFunc("POST /account/tokens/{id}/revoke", h.Require(PermAPIToken, h.tokenRevoke))
}

// signedIn lets a user who owes a password change or 2FA enrolment reach
// the account pages (but not one still owing the second factor).
func (h *HTTP) signedIn(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		p := FromContext(r.Context())
		if p == nil {
			web.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()))
			return
		}
		if p.MFAPending {
			web.Redirect(w, r, "/login/code")
			return
		}
		next(w, r)
	}
}

type loginData struct {
	Next string
}

func safeNext(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	return s
}

func (h *HTTP) loginPage(w http.ResponseWriter, r *http.Request) {
	if p := FromContext(r.Context()); p != nil && !p.MFAPending {
		web.Redirect(w, r, safeNext(r.URL.Query().Get("next")))
		return
	}
	h.R.Render(w, r, http.StatusOK, "auth/login.html", &web.Page{Title: "登录", Public: true, Form: web.NewForm(nil),
		Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (h *HTTP) loginPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.R.Error(w, r, http.StatusBadRequest, "")
		return
	}
	user, pw := strings.TrimSpace(r.PostForm.Get("username")), r.PostForm.Get("password")
	next := safeNext(r.PostForm.Get("next"))
	// Only the username is echoed back; never a password.
	f := web.NewForm(url.Values{"username": {user}})
	if user == "" {
		f.Fail("username", "请输入用户名")
	}
	if pw == "" {
		f.Fail("password", "请输入密码")
	}
	status := http.StatusUnprocessableEntity
	if f.OK() {
		res, err := h.Svc.Login(r.Context(), user, pw, h.ClientIP(r), r.UserAgent())
		var le *LockedError
		switch {
		case err == nil:
			h.setCookie(w, res.Token)
			if res.NeedsCode {
				web.Redirect(w, r, "/login/code?next="+url.QueryEscape(next))
				return
			}
			web.Redirect(w, r, next)
			return
		case errors.Is(err, ErrBadCredentials):
			f.Fail("", ErrBadCredentials.Error())
			status = http.StatusUnauthorized
		case errors.As(err, &le):
			f.Fail("", le.Error())
			status = http.StatusForbidden
		case errors.Is(err, ErrThrottled):
			f.Fail("", err.Error())
			status = http.StatusTooManyRequests
		default:
			h.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
	}
	h.R.Render(w, r, status, "auth/login.html", &web.Page{Title: "登录", Public: true, Form: f, Data: loginData{Next: next}})
}

func (h *HTTP) codePage(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	if p == nil || !p.MFAPending {
		web.Redirect(w, r, "/login")
		return
	}
	h.R.Render(w, r, http.StatusOK, "auth/code.html", &web.Page{Title: "动态验证码", Public: true, Form: web.NewForm(nil),
		Data: loginData{Next: safeNext(r.URL.Query().Get("next"))}})
}

func (h *HTTP) codePost(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	if p == nil || !p.MFAPending {
		web.Redirect(w, r, "/login")
		return
	}
	_ = r.ParseForm()
	f := web.NewForm(r.PostForm)
	next := safeNext(r.PostForm.Get("next"))
	tok, err := h.Svc.VerifyCode(withActorUser(r.Context(), p), p, strings.TrimSpace(r.PostForm.Get("code")), h.ClientIP(r), r.UserAgent())
	switch {
	case err == nil:
		h.setCookie(w, tok)
		web.Redirect(w, r, next)
		return
	case errors.Is(err, ErrBadCode), errors.Is(err, ErrThrottled):
		f.Fail("code", err.Error())
	default:
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	h.R.Render(w, r, http.StatusUnprocessableEntity, "auth/code.html", &web.Page{Title: "动态验证码", Public: true, Form: f, Data: loginData{Next: next}})
}

func (h *HTTP) logout(w http.ResponseWriter, r *http.Request) {
	if p := FromContext(r.Context()); p != nil && p.SessionID != "" {
		if err := h.Svc.Logout(r.Context(), p); err != nil {
			h.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
	}
	h.clearCookie(w)
	web.SetFlash(w, "您已安全退出")
	web.Redirect(w, r, "/login")
}

type accountData struct {
	P           *Principal
	User        User
	TOTPEnabled bool
	Policy      Policy
}

func (h *HTTP) account(r *http.Request) (accountData, error) {
	p := FromContext(r.Context())
	u, err := h.Svc.GetUser(r.Context(), p.Jurisdiction(), p.UserID)
	if err != nil {
		return accountData{}, err
	}
	pol, err := LoadPolicy(r.Context(), h.Svc.DB.Read())
	return accountData{P: p, User: u, TOTPEnabled: u.TOTPEnabled, Policy: pol}, err
}

func (h *HTTP) accountPage(w http.ResponseWriter, r *http.Request) {
	d, err := h.account(r)
	if err != nil {
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	h.R.Render(w, r, http.StatusOK, "auth/account.html", &web.Page{Title: "账号与安全", Data: d,
		Breadcrumbs: []web.Crumb{{Label: "账号与安全"}}})
}

func (h *HTTP) passwordPage(w http.ResponseWriter, r *http.Request) {
	d, err := h.account(r)
	if err != nil {
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	h.R.Render(w, r, http.StatusOK, "auth/password.html", &web.Page{Title: "修改密码", Data: d, Form: web.NewForm(nil),
		Breadcrumbs: []web.Crumb{{Label: "账号与安全", Path: "/account"}, {Label: "修改密码"}}})
}

func (h *HTTP) passwordPost(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	_ = r.ParseForm()
	f := web.NewForm(url.Values{})
	cur, next, again := r.PostForm.Get("current"), r.PostForm.Get("password"), r.PostForm.Get("password2")
	if cur == "" {
		f.Fail("current", "请输入当前密码")
	}
	if next == "" {
		f.Fail("password", "请输入新密码")
	} else if next != again {
		f.Fail("password2", "两次输入的新密码不一致")
	}
	if f.OK() {
		err := h.Svc.ChangeOwnPassword(r.Context(), p, cur, next)
		if err == nil {
			web.SetFlash(w, "密码已修改，其他设备上的登录已退出")
			web.Redirect(w, r, "/")
			return
		}
		if !f.FailErr(err) {
			h.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
	}
	d, _ := h.account(r)
	h.R.Render(w, r, http.StatusUnprocessableEntity, "auth/password.html", &web.Page{Title: "修改密码", Data: d, Form: f,
		Breadcrumbs: []web.Crumb{{Label: "账号与安全", Path: "/account"}, {Label: "修改密码"}}})
}

type totpData struct {
	accountData
	Secret string
	QR     string // data: URI of the QR code PNG
}

func (h *HTTP) totpRender(w http.ResponseWriter, r *http.Request, status int, f *web.Form, secret string) {
	d, err := h.account(r)
	if err != nil {
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	td := totpData{accountData: d}
	if !d.TOTPEnabled {
		var en TOTPEnrolment
		if secret != "" {
			if sec, err := DecodeTOTPSecret(secret); err == nil {
				en, _ = enrolmentFor(h.Issuer, d.P.Username, sec)
			}
		}
		if en.Base32 == "" {
			en, err = NewTOTP(h.Issuer, d.P.Username)
			if err != nil {
				h.R.Error(w, r, http.StatusInternalServerError, "")
				return
			}
		}
		png, err := qrcode.Encode(en.URI, qrcode.Medium, 220)
		if err == nil {
			td.QR = "data:image/png;base64," + base64.StdEncoding.EncodeToString(png)
		}
		td.Secret = en.Base32
	}
	if f == nil {
		f = web.NewForm(nil)
	}
	h.R.Render(w, r, status, "auth/totp.html", &web.Page{Title: "双因素认证", Data: td, Form: f,
		Breadcrumbs: []web.Crumb{{Label: "账号与安全", Path: "/account"}, {Label: "双因素认证"}}})
}

func enrolmentFor(issuer, user string, sec []byte) (TOTPEnrolment, error) {
	en, err := NewTOTP(issuer, user)
	if err != nil {
		return en, err
	}
	enc := b32.EncodeToString(sec)
	en.URI = strings.Replace(en.URI, "secret="+en.Base32, "secret="+enc, 1)
	en.Secret, en.Base32 = sec, enc
	return en, nil
}

func (h *HTTP) totpPage(w http.ResponseWriter, r *http.Request) {
	h.totpRender(w, r, http.StatusOK, nil, "")
}

func (h *HTTP) totpPost(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	_ = r.ParseForm()
	f := web.NewForm(url.Values{})
	secret := r.PostForm.Get("secret")
	sec, err := DecodeTOTPSecret(secret)
	if err != nil || len(sec) < 16 {
		f.Fail("code", "绑定信息已失效，请重新扫码")
	} else if err := h.Svc.EnableTOTP(r.Context(), p, sec, strings.TrimSpace(r.PostForm.Get("code"))); err != nil {
		if !f.FailErr(err) {
			h.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
	} else {
		web.SetFlash(w, "双因素认证已开启，下次登录时需要输入动态验证码")
		web.Redirect(w, r, "/account")
		return
	}
	h.totpRender(w, r, http.StatusUnprocessableEntity, f, secret)
}

func (h *HTTP) totpDisable(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	_ = r.ParseForm()
	pol, _ := LoadPolicy(r.Context(), h.Svc.DB.Read())
	if pol.RequireTOTPStaff {
		web.SetFlash(w, "安全策略要求所有账号使用双因素认证，不能关闭")
		web.Redirect(w, r, "/account")
		return
	}
	var hash string
	if err := h.Svc.DB.Read().QueryRow(r.Context(), `SELECT password_hash FROM users WHERE id = ?`, p.UserID).Scan(&hash); err != nil {
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	if ok, _ := CheckPassword(r.PostForm.Get("password"), hash, h.Svc.Argon); !ok {
		web.SetFlash(w, "密码不正确，双因素认证未关闭")
		web.Redirect(w, r, "/account")
		return
	}
	if err := h.Svc.DisableTOTP(r.Context(), p, p.UserID); err != nil {
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	web.SetFlash(w, "双因素认证已关闭")
	web.Redirect(w, r, "/account")
}

type tokensData struct {
	Tokens   []Token
	NewToken string
	Perms    []PermInfo
}

func (h *HTTP) tokensRender(w http.ResponseWriter, r *http.Request, status int, f *web.Form, newTok string) {
	p := FromContext(r.Context())
	ts, err := h.Svc.ListTokens(r.Context(), p)
	if err != nil {
		h.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	var perms []PermInfo
	for _, x := range AllPermissions() {
		if p.Can(x.Code) {
			perms = append(perms, x)
		}
	}
	if f == nil {
		f = web.NewForm(nil)
	}
	if newTok != "" {
		w.Header().Set("Cache-Control", "no-store")
	}
	h.R.Render(w, r, status, "auth/tokens.html", &web.Page{Title: "API 令牌", Form: f, Data: tokensData{Tokens: ts, NewToken: newTok, Perms: perms},
		Breadcrumbs: []web.Crumb{{Label: "账号与安全", Path: "/account"}, {Label: "API 令牌"}}})
}

func (h *HTTP) tokensPage(w http.ResponseWriter, r *http.Request) {
	h.tokensRender(w, r, http.StatusOK, nil, "")
}

func (h *HTTP) tokensPost(w http.ResponseWriter, r *http.Request) {
	p := FromContext(r.Context())
	_ = r.ParseForm()
	f := web.NewForm(r.PostForm)
	days, _ := strconv.Atoi(f.Get("days"))
	if days < 0 || days > 3650 {
		f.Fail("days", "有效期应在0到3650天之间(0为长期有效)")
	}
	if f.OK() {
		tok, _, err := h.Svc.CreateToken(r.Context(), p, f.Get("name"), r.PostForm["perms"], time.Duration(days)*24*time.Hour)
		if err == nil {
			h.tokensRender(w, r, http.StatusOK, nil, tok)
			return
		}
		if !f.FailErr(err) {
			h.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
	}
	h.tokensRender(w, r, http.StatusUnprocessableEntity, f, "")
}

func (h *HTTP) tokenRevoke(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err := h.Svc.RevokeToken(r.Context(), FromContext(r.Context()), id); err != nil {
		h.R.Error(w, r, http.StatusNotFound, "")
		return
	}
	web.SetFlash(w, "令牌已吊销")
	web.Redirect(w, r, "/account/tokens")
}
