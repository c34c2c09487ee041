package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

type usersData struct {
	Users     []auth.User
	Pager     web.Pager
	Orgs      []web.Option
	Roles     []web.Option
	Statuses  []web.Option
	RoleNames map[string]string
	Now       time.Time
	CanCreate bool
}

// orgOptions lists the orgs in sc that may hold accounts (villages and
// below rarely do, and would make the list unusable).
func (h *Handler) orgOptions(r *http.Request, sc org.Scope, activeOnly bool) ([]web.Option, error) {
	var active *bool
	if activeOnly {
		t := true
		active = &t
	}
	var out []web.Option
	for offset := 0; offset < 5000; offset += 1000 {
		os, total, err := h.Orgs.List(r.Context(), sc, org.Filter{Active: active, Limit: 1000, Offset: offset})
		if err != nil {
			return nil, err
		}
		for _, o := range os {
			if o.Kind == org.Village {
				continue
			}
			label := o.Name
			if o.Depth > 1 {
				label = o.Name + " · " + o.KindName()
			}
			out = append(out, web.Option{Value: strconv.FormatInt(o.ID, 10), Label: label})
		}
		if offset+1000 >= total {
			break
		}
	}
	return out, nil
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request) {
	p := me(r)
	sc := p.OrgScope()
	q := r.URL.Query()
	f := web.NewForm(q)
	ctx := r.Context()
	filter := auth.UserFilter{OrgID: atoi64(f.Get("org")), Query: f.Get("q"), Role: f.Get("role"), Status: f.Get("status")}
	switch filter.Status {
	case "", "active", "disabled", "locked":
	default:
		f.Fail("status", "状态无效")
		filter.Status = ""
	}
	_, total, err := h.Auth.Svc.ListUsers(ctx, sc, auth.UserFilter{OrgID: filter.OrgID, Query: filter.Query, Role: filter.Role, Status: filter.Status, Limit: 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := usersData{Now: h.Auth.Svc.Now(), CanCreate: p.Can(auth.PermUserManage),
		Statuses: []web.Option{{Value: "active", Label: "正常"}, {Value: "disabled", Label: "已停用"}, {Value: "locked", Label: "已锁定"}}}
	d.Pager = web.NewPager(r, total)
	filter.Limit, filter.Offset = d.Pager.Size, d.Pager.Offset()
	if d.Users, _, err = h.Auth.Svc.ListUsers(ctx, sc, filter); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Orgs, err = h.orgOptions(r, sc, false); err != nil {
		h.fail(w, r, err)
		return
	}
	roles, err := h.Auth.Svc.ListRoles(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.RoleNames = map[string]string{}
	for _, x := range roles {
		d.Roles = append(d.Roles, web.Option{Value: x.Code, Label: x.Name})
		d.RoleNames[x.Code] = x.Name
	}
	h.render(w, r, http.StatusOK, "users.html", &web.Page{Title: "用户管理", Form: f, Data: d})
}

// userTarget loads the account named by {id} within the viewer's scope.
func (h *Handler) userTarget(w http.ResponseWriter, r *http.Request) (auth.User, bool) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return auth.User{}, false
	}
	u, err := h.Auth.Svc.GetUser(r.Context(), me(r).OrgScope(), id)
	if err != nil {
		h.fail(w, r, err)
		return auth.User{}, false
	}
	return u, true
}

func userPath(id int64) string { return "/admin/users/" + strconv.FormatInt(id, 10) }

type userDetailData struct {
	User      auth.User
	Roles     []auth.Role
	Locked    bool
	Self      bool
	CanManage bool
	CanUnlock bool
	CanRoles  bool        // security administrator: may set roles, including administrator roles
	AllRoles  []auth.Role // offered to CanRoles
	Held      map[string]bool
	Policy    auth.Policy
	Now       time.Time
}

func (h *Handler) userDetail(w http.ResponseWriter, r *http.Request) {
	u, ok := h.userTarget(w, r)
	if !ok {
		return
	}
	h.renderUserDetail(w, r, http.StatusOK, web.NewForm(nil), u)
}

func (h *Handler) renderUserDetail(w http.ResponseWriter, r *http.Request, status int, f *web.Form, u auth.User) {
	p := me(r)
	roles, err := h.Auth.Svc.ListRoles(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	pol, err := auth.LoadPolicy(r.Context(), h.Orgs.DB.Read())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.Auth.Svc.Now()
	d := userDetailData{User: u, Now: now, Locked: u.Locked(now), Self: u.ID == p.UserID, Policy: pol,
		CanManage: p.Can(auth.PermUserManage), CanUnlock: p.Can(auth.PermUserUnlock),
		CanRoles: p.Can(auth.PermRoleManage) && u.ID != p.UserID, AllRoles: roles, Held: map[string]bool{}}
	for _, c := range u.Roles {
		d.Held[c] = true
	}
	for _, x := range roles {
		for _, c := range u.Roles {
			if c == x.Code {
				d.Roles = append(d.Roles, x)
			}
		}
	}
	h.render(w, r, status, "user_detail.html", &web.Page{Title: u.DisplayName, Form: f, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "用户管理", Path: "/admin/users"}, {Label: u.DisplayName + "(" + u.Username + ")"}}})
}

type userFormData struct {
	New        bool
	User       auth.User
	Orgs       []web.Option
	Roles      []auth.Role // offered
	Fixed      []auth.Role // held administrator roles the viewer may not change
	Selected   map[string]bool
	Policy     auth.Policy
	AdminRoles bool
}

func (h *Handler) userNew(w http.ResponseWriter, r *http.Request) {
	v := url.Values{"kind": {"human"}}
	if o := r.URL.Query().Get("org"); o != "" {
		v.Set("org_id", o)
	}
	h.renderUserForm(w, r, http.StatusOK, web.NewForm(v), userFormData{New: true})
}

func (h *Handler) renderUserForm(w http.ResponseWriter, r *http.Request, status int, f *web.Form, d userFormData) {
	p := me(r)
	ctx := r.Context()
	var err error
	if d.Orgs, err = h.orgOptions(r, p.Jurisdiction(), true); err != nil {
		h.fail(w, r, err)
		return
	}
	roles, err := h.Auth.Svc.ListRoles(ctx)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Selected = map[string]bool{}
	for _, c := range f.Values["roles"] {
		d.Selected[c] = true
	}
	// Administrator roles are handed out by the security administrator only.
	d.AdminRoles = p.Can(auth.PermRoleManage)
	for _, x := range roles {
		if auth.IsAdminKind(x.Kind) && !d.AdminRoles {
			if d.Selected[x.Code] {
				d.Fixed = append(d.Fixed, x)
			}
			continue
		}
		d.Roles = append(d.Roles, x)
	}
	if d.Policy, err = auth.LoadPolicy(ctx, h.Orgs.DB.Read()); err != nil {
		h.fail(w, r, err)
		return
	}
	title := "新建用户"
	bc := []web.Crumb{{Label: "用户管理", Path: "/admin/users"}, {Label: title}}
	if !d.New {
		title = "修改用户"
		bc = []web.Crumb{{Label: "用户管理", Path: "/admin/users"}, {Label: d.User.DisplayName, Path: userPath(d.User.ID)}, {Label: title}}
	}
	h.render(w, r, status, "user_form.html", &web.Page{Title: title, Form: f, Data: d, Breadcrumbs: bc})
}

func userInput(f *web.Form) auth.UserInput {
	return auth.UserInput{Username: f.Get("username"), DisplayName: f.Get("display_name"), OrgID: atoi64(f.Get("org_id")),
		Title: f.Get("title"), Kind: f.Get("kind"), Roles: f.Values["roles"], Password: f.Values.Get("password")}
}

func (h *Handler) userCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	in := userInput(f)
	pw2 := f.Values.Get("password2")
	f.Values.Del("password") // never echo a password
	f.Values.Del("password2")
	if in.Password == "" {
		f.Fail("password", "请设置初始密码")
	} else if in.Password != pw2 {
		f.Fail("password2", "两次输入的密码不一致")
	}
	if utf8Len(in.Title) > 50 {
		f.Fail("title", "职务不能超过50字")
	}
	if f.OK() {
		u, err := h.Auth.Svc.CreateUser(r.Context(), me(r), in)
		if err == nil {
			web.SetFlash(w, "已新建账号 "+u.Username+"，请把初始密码当面或电话告知本人，首次登录须修改密码")
			web.Redirect(w, r, userPath(u.ID))
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderUserForm(w, r, http.StatusUnprocessableEntity, f, userFormData{New: true})
}

func utf8Len(s string) int { return len([]rune(s)) }

func (h *Handler) userEdit(w http.ResponseWriter, r *http.Request) {
	u, ok := h.userTarget(w, r)
	if !ok {
		return
	}
	v := url.Values{"display_name": {u.DisplayName}, "org_id": {strconv.FormatInt(u.OrgID, 10)}, "title": {u.Title}, "kind": {u.Kind}, "roles": u.Roles}
	h.renderUserForm(w, r, http.StatusOK, web.NewForm(v), userFormData{User: u})
}

func (h *Handler) userUpdate(w http.ResponseWriter, r *http.Request) {
	u, ok := h.userTarget(w, r)
	if !ok || !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	in := userInput(f)
	in.Username, in.Kind, in.Password = u.Username, u.Kind, ""
	// Keep administrator roles the viewer is not offered (they are shown read-only).
	if !me(r).Can(auth.PermRoleManage) {
		roles, err := h.Auth.Svc.ListRoles(r.Context())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		admin := map[string]bool{}
		for _, x := range roles {
			admin[x.Code] = auth.IsAdminKind(x.Kind)
		}
		kept := []string{}
		for _, c := range in.Roles {
			if !admin[c] {
				kept = append(kept, c)
			}
		}
		for _, c := range u.Roles {
			if admin[c] {
				kept = append(kept, c)
			}
		}
		in.Roles = kept
		f.Values["roles"] = kept
	}
	if utf8Len(in.Title) > 50 {
		f.Fail("title", "职务不能超过50字")
	}
	if f.OK() {
		_, err := h.Auth.Svc.UpdateUser(r.Context(), me(r), u.ID, in)
		if err == nil {
			web.SetFlash(w, "已保存账号信息")
			web.Redirect(w, r, userPath(u.ID))
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderUserForm(w, r, http.StatusUnprocessableEntity, f, userFormData{User: u})
}

// userAction runs a one-button command on an account and comes back to it;
// a refusal by the service is shown on the account page.
func (h *Handler) userAction(w http.ResponseWriter, r *http.Request, do func(u auth.User) error, done string) {
	u, ok := h.userTarget(w, r)
	if !ok || !h.parseForm(w, r) {
		return
	}
	if err := do(u); err != nil {
		f := web.NewForm(nil)
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
		h.renderUserDetail(w, r, http.StatusUnprocessableEntity, f, u)
		return
	}
	web.SetFlash(w, done)
	web.Redirect(w, r, userPath(u.ID))
}

func (h *Handler) userDisable(w http.ResponseWriter, r *http.Request) {
	h.userAction(w, r, func(u auth.User) error { return h.Auth.Svc.SetDisabled(r.Context(), me(r), u.ID, true) },
		"已停用该账号，其登录会话和API令牌同时失效")
}

func (h *Handler) userEnable(w http.ResponseWriter, r *http.Request) {
	h.userAction(w, r, func(u auth.User) error { return h.Auth.Svc.SetDisabled(r.Context(), me(r), u.ID, false) }, "已启用该账号")
}

func (h *Handler) userUnlock(w http.ResponseWriter, r *http.Request) {
	h.userAction(w, r, func(u auth.User) error { return h.Auth.Svc.Unlock(r.Context(), me(r), u.ID) }, "已解锁该账号")
}

func (h *Handler) userResetTOTP(w http.ResponseWriter, r *http.Request) {
	h.userAction(w, r, func(u auth.User) error { return h.Auth.Svc.DisableTOTP(r.Context(), me(r), u.ID) },
		"已重置双因素认证：该用户下次登录只需密码，之后可重新绑定")
}

func (h *Handler) userPassword(w http.ResponseWriter, r *http.Request) {
	h.userAction(w, r, func(u auth.User) error {
		pw := r.PostForm.Get("password")
		if pw == "" {
			return &auth.FieldError{Field: "password", Message: "请输入临时密码"}
		}
		if pw != r.PostForm.Get("password2") {
			return &auth.FieldError{Field: "password2", Message: "两次输入的密码不一致"}
		}
		return h.Auth.Svc.ResetPassword(r.Context(), me(r), u.ID, pw)
	}, "已重置密码：请把临时密码告知本人，下次登录须修改")
}

func (h *Handler) userRoles(w http.ResponseWriter, r *http.Request) {
	h.userAction(w, r, func(u auth.User) error {
		return h.Auth.Svc.SetUserRoles(r.Context(), me(r), u.ID, r.PostForm["roles"])
	}, "角色已更新")
}
