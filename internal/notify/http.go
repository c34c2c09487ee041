package notify

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

//go:embed i18n
var catalogs embed.FS

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("notify", sub)
	cat, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(cat); err != nil {
		panic(err)
	}
	web.RegisterNav(
		web.NavItem{Group: "系统管理", Label: "消息推送接口", Path: "/admin/webhooks", Perm: auth.PermSettings, Order: 840},
		web.NavItem{Group: "我的", Label: "我的消息", Path: "/inbox", Order: 890},
	)
}

// Handler serves the inbox (/inbox) and the webhook administration
// (/admin/webhooks, settings.manage within the admin's jurisdiction).
type Handler struct {
	Auth   *auth.HTTP
	Notify *Service
	Orgs   *org.Store
	Log    *slog.Logger
}

// The top-bar badge reads the service of the most recent Routes call; one
// app serves one database.
var (
	badgeOnce sync.Once
	badgeSvc  atomic.Pointer[Service]
)

// Routes registers the pages and the unread badge.
func (h *Handler) Routes(mux *http.ServeMux) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	badgeSvc.Store(h.Notify)
	badgeOnce.Do(func() { web.RegisterBadge(unreadBadge) })
	a := h.Auth
	mux.HandleFunc("GET /inbox", a.Require("", h.inbox))
	mux.HandleFunc("GET /inbox/{id}/go", a.Require("", h.open))
	mux.HandleFunc("POST /inbox/{id}/read", a.Require("", h.read))
	mux.HandleFunc("POST /inbox/read-all", a.Require("", h.readAll))

	set := func(f http.HandlerFunc) http.HandlerFunc { return a.Require(auth.PermSettings, f) }
	mux.HandleFunc("GET /admin/webhooks", set(h.webhooks))
	mux.HandleFunc("POST /admin/webhooks", set(h.webhookCreate))
	mux.HandleFunc("GET /admin/webhooks/{id}", set(h.webhook))
	mux.HandleFunc("POST /admin/webhooks/{id}/test", set(h.webhookTest))
	mux.HandleFunc("POST /admin/webhooks/{id}/disable", set(h.webhookActive(false)))
	mux.HandleFunc("POST /admin/webhooks/{id}/enable", set(h.webhookActive(true)))
}

// unreadBadge is "消息" with the unread count, for every signed-in user.
func unreadBadge(r *http.Request) (string, int, string) {
	p := auth.FromContext(r.Context())
	s := badgeSvc.Load()
	if p == nil || s == nil || p.MustChange || p.MFAPending {
		return "", 0, ""
	}
	n, err := s.Unread(r.Context(), p)
	if err != nil {
		slog.WarnContext(r.Context(), "notify: unread count", "err", err)
		return "消息", 0, "/inbox"
	}
	return "消息", n, "/inbox"
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) { h.Auth.Fail(w, r, err) }

func pathID(r *http.Request) int64 {
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id
}

type inboxData struct {
	Items  []Notification
	Unread int
	Pager  web.Pager
}

func (h *Handler) inbox(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	_, total, err := h.Notify.InboxOf(r.Context(), p, 1, 0)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pg := web.NewPager(r, total)
	items, _, err := h.Notify.InboxOf(r.Context(), p, pg.Size, pg.Offset())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	unread, err := h.Notify.Unread(r.Context(), p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Auth.R.Render(w, r, http.StatusOK, "notify/inbox.html", &web.Page{Title: "我的消息",
		Data: inboxData{Items: items, Unread: unread, Pager: pg}, Breadcrumbs: []web.Crumb{{Label: "首页", Path: "/"}, {Label: "我的消息"}}})
}

// open marks the entry read and goes to its item (or back to the inbox).
func (h *Handler) open(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	id := pathID(r)
	if err := h.Notify.MarkRead(r.Context(), p, id); err != nil {
		h.fail(w, r, err)
		return
	}
	link, err := h.Notify.link(r.Context(), id)
	if err != nil || link == "" {
		link = "/inbox"
	}
	http.Redirect(w, r, link, http.StatusSeeOther)
}

func (s *Service) link(ctx context.Context, id int64) (string, error) {
	var l string
	err := s.DB.Read().QueryRow(ctx, `SELECT link FROM notifications WHERE id = ?`, id).Scan(&l)
	return l, err
}

func (h *Handler) read(w http.ResponseWriter, r *http.Request) {
	if err := h.Notify.MarkRead(r.Context(), auth.FromContext(r.Context()), pathID(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	web.Redirect(w, r, "/inbox?"+r.URL.RawQuery)
}

func (h *Handler) readAll(w http.ResponseWriter, r *http.Request) {
	if err := h.Notify.MarkAllRead(r.Context(), auth.FromContext(r.Context())); err != nil {
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "已全部标为已读")
	web.Redirect(w, r, "/inbox")
}

type webhooksData struct {
	Hooks   []Webhook
	Orgs    []web.Option
	Created *Webhook
	Secret  string
}

// adminScope is where a settings administrator manages webhooks.
func adminScope(r *http.Request) org.Scope { return auth.FromContext(r.Context()).Jurisdiction() }

// orgOptions lists the province, city and county orgs in scope: webhooks
// belong to a bureau, not to an office.
func (h *Handler) orgOptions(ctx context.Context, sc org.Scope) ([]web.Option, error) {
	var out []web.Option
	for _, k := range []org.Kind{org.Province, org.City, org.County} {
		list, _, err := h.Orgs.List(ctx, sc, org.Filter{Kind: k, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, o := range list {
			out = append(out, web.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
		}
	}
	return out, nil
}

func (h *Handler) webhooksPage(w http.ResponseWriter, r *http.Request, status int, form *web.Form, created *Webhook, secret string) {
	sc := adminScope(r)
	hooks, err := h.Notify.Webhooks(r.Context(), sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	opts, err := h.orgOptions(r.Context(), sc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Auth.R.Render(w, r, status, "notify/webhooks.html", &web.Page{Title: "消息推送接口", Form: form,
		Data:        webhooksData{Hooks: hooks, Orgs: opts, Created: created, Secret: secret},
		Breadcrumbs: []web.Crumb{{Label: "系统管理"}, {Label: "消息推送接口"}}})
}

func (h *Handler) webhooks(w http.ResponseWriter, r *http.Request) {
	form := web.NewForm(nil)
	if p := auth.FromContext(r.Context()); p != nil {
		form.Values.Set("org_id", strconv.FormatInt(p.OrgID, 10))
	}
	h.webhooksPage(w, r, http.StatusOK, form, nil, "")
}

func (h *Handler) webhookCreate(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	form := web.NewForm(r.PostForm)
	orgID, _ := strconv.ParseInt(form.Get("org_id"), 10, 64)
	hook, secret, err := h.Notify.CreateWebhook(r.Context(), adminScope(r), WebhookInput{OrgID: orgID, Name: form.Get("name"),
		URL: form.Get("url"), Secret: form.Get("secret"), Events: form.Get("events")})
	if err != nil {
		if form.FailErr(err) {
			h.webhooksPage(w, r, http.StatusUnprocessableEntity, form, nil, "")
			return
		}
		h.fail(w, r, err)
		return
	}
	// The secret is shown once, in this response, and never again.
	w.Header().Set("Cache-Control", "no-store")
	h.webhooksPage(w, r, http.StatusOK, web.NewForm(nil), &hook, secret)
}

type webhookData struct {
	Hook       Webhook
	Deliveries []Delivery
}

func (h *Handler) webhook(w http.ResponseWriter, r *http.Request) {
	sc := adminScope(r)
	hook, err := h.Notify.Webhook(r.Context(), sc, pathID(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ds, err := h.Notify.Deliveries(r.Context(), sc, hook.ID, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.Auth.R.Render(w, r, http.StatusOK, "notify/webhook.html", &web.Page{Title: hook.Name, Data: webhookData{hook, ds},
		Breadcrumbs: []web.Crumb{{Label: "系统管理"}, {Label: "消息推送接口", Path: "/admin/webhooks"}, {Label: hook.Name}}})
}

func (h *Handler) webhookTest(w http.ResponseWriter, r *http.Request) {
	id := pathID(r)
	if _, err := h.Notify.TestWebhook(r.Context(), adminScope(r), id); err != nil {
		var fe *FieldError
		if errors.As(err, &fe) {
			web.SetFlash(w, fe.Message)
			web.Redirect(w, r, "/admin/webhooks/"+strconv.FormatInt(id, 10))
			return
		}
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "测试消息已排队发送，稍后刷新查看结果")
	web.Redirect(w, r, "/admin/webhooks/"+strconv.FormatInt(id, 10))
}

func (h *Handler) webhookActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := pathID(r)
		if err := h.Notify.SetWebhookActive(r.Context(), adminScope(r), id, active); err != nil {
			h.fail(w, r, err)
			return
		}
		if active {
			web.SetFlash(w, "接口已启用")
		} else {
			web.SetFlash(w, "接口已停用，不再推送消息")
		}
		web.Redirect(w, r, "/admin/webhooks/"+strconv.FormatInt(id, 10))
	}
}
