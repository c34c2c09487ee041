package admin

import (
	"net/http"
	"net/url"
	"strings"

	"fengqiao/internal/auth"
	"fengqiao/internal/web"
)

// actShort are one-character marks for the matrix columns.
var actShort = map[string]string{"view": "查", "edit": "办", "approve": "批", "export": "导"}

type permCell struct {
	Code, Name, Short string
	On                bool
}

type lineRow struct {
	Code, Name string
	Cells      []permCell // one per auth.Actions
}

type roleRow struct {
	Role     auth.Role
	KindName string
	Admin    bool
	Platform []string // names of held platform permissions
	Lines    []lineRow
}

// kindNames are the role kinds in Chinese.
var roleKindNames = map[string]string{
	auth.KindSystem: "系统管理员", auth.KindSecurity: "安全管理员", auth.KindAudit: "审计管理员",
	auth.KindBusiness: "业务角色", auth.KindService: "接口服务",
}

// platformPerms are the non-line permissions; admin ones are marked.
func platformPerms() []auth.PermInfo {
	var out []auth.PermInfo
	for _, p := range auth.AllPermissions() {
		if !strings.Contains(p.Code, ".") || !isLinePerm(p.Code) {
			out = append(out, p)
		}
	}
	return out
}

func isLinePerm(code string) bool {
	for _, l := range auth.Lines {
		if strings.HasPrefix(code, l.Code+".") {
			return true
		}
	}
	return false
}

// adminPerm reports whether only an administrator role may hold code.
func adminPerm(code string) bool {
	for _, b := range auth.BuiltinRoles {
		if auth.IsAdminKind(b.Kind) {
			for _, p := range b.Perms {
				if p == code {
					return true
				}
			}
		}
	}
	return false
}

// grid builds the line × action cells for a permission set.
func grid(held map[string]bool) []lineRow {
	rows := make([]lineRow, 0, len(auth.Lines))
	for _, l := range auth.Lines {
		lr := lineRow{Code: l.Code, Name: l.Name}
		for _, a := range auth.Actions {
			c := auth.LinePerm(l.Code, a.Code)
			lr.Cells = append(lr.Cells, permCell{Code: c, Name: a.Name, Short: actShort[a.Code], On: held[c]})
		}
		rows = append(rows, lr)
	}
	return rows
}

func setOf(ss []string) map[string]bool {
	m := make(map[string]bool, len(ss))
	for _, s := range ss {
		m[s] = true
	}
	return m
}

func (h *Handler) rolesPage(w http.ResponseWriter, r *http.Request) {
	roles, err := h.Auth.Svc.ListRoles(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	plat := platformPerms()
	var rows []roleRow
	for _, x := range roles {
		held := setOf(x.Perms)
		rr := roleRow{Role: x, KindName: roleKindNames[x.Kind], Admin: auth.IsAdminKind(x.Kind), Lines: grid(held)}
		for _, p := range plat {
			if held[p.Code] {
				rr.Platform = append(rr.Platform, p.Name)
			}
		}
		rows = append(rows, rr)
	}
	h.render(w, r, http.StatusOK, "roles.html", &web.Page{Title: "角色与权限", Data: struct {
		Rows    []roleRow
		Lines   []auth.Line
		Actions []permCell
	}{rows, auth.Lines, grid(nil)[0].Cells}})
}

type roleFormData struct {
	New      bool
	Role     auth.Role
	ReadOnly bool
	Platform []permCell
	Lines    []lineRow
	Kinds    []web.Option
}

func (h *Handler) renderRoleForm(w http.ResponseWriter, r *http.Request, status int, f *web.Form, d roleFormData) {
	held := setOf(f.Values["perms"])
	for _, p := range platformPerms() {
		if adminPerm(p.Code) && !d.ReadOnly {
			continue // never offered: only the fixed administrator roles hold them
		}
		d.Platform = append(d.Platform, permCell{Code: p.Code, Name: p.Name, On: held[p.Code]})
	}
	d.Lines = grid(held)
	d.Kinds = []web.Option{{Value: auth.KindBusiness, Label: "业务角色"}, {Value: auth.KindService, Label: "接口服务"}}
	title := "新建角色"
	if !d.New {
		title = "角色：" + d.Role.Name
	}
	h.render(w, r, status, "role_form.html", &web.Page{Title: title, Form: f, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "角色与权限", Path: "/admin/roles"}, {Label: title}}})
}

func (h *Handler) roleNew(w http.ResponseWriter, r *http.Request) {
	f := web.NewForm(url.Values{"kind": {auth.KindBusiness}, "perms": {auth.PermOrgView}})
	h.renderRoleForm(w, r, http.StatusOK, f, roleFormData{New: true})
}

func (h *Handler) roleEdit(w http.ResponseWriter, r *http.Request) {
	x, err := h.Auth.Svc.GetRole(r.Context(), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := web.NewForm(url.Values{"code": {x.Code}, "name": {x.Name}, "note": {x.Note}, "kind": {x.Kind}, "perms": x.Perms})
	h.renderRoleForm(w, r, http.StatusOK, f, roleFormData{Role: x, ReadOnly: auth.IsAdminKind(x.Kind)})
}

func roleFromForm(f *web.Form) auth.Role {
	return auth.Role{Code: f.Get("code"), Name: f.Get("name"), Note: f.Get("note"), Kind: f.Get("kind"), Perms: f.Values["perms"]}
}

func (h *Handler) roleCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	x := roleFromForm(f)
	if utf8Len(x.Note) > 200 {
		f.Fail("note", "说明不能超过200字")
	}
	if f.OK() {
		err := h.Auth.Svc.SaveRole(r.Context(), me(r), x, true)
		if err == nil {
			web.SetFlash(w, "已新建角色："+x.Name)
			web.Redirect(w, r, "/admin/roles")
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderRoleForm(w, r, http.StatusUnprocessableEntity, f, roleFormData{New: true})
}

func (h *Handler) roleUpdate(w http.ResponseWriter, r *http.Request) {
	cur, err := h.Auth.Svc.GetRole(r.Context(), r.PathValue("code"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	f.Values.Set("code", cur.Code)
	x := roleFromForm(f)
	x.Kind = cur.Kind
	if auth.IsAdminKind(cur.Kind) {
		f.Fail("", "管理员角色的权限固定(三权分立)，不能修改")
	}
	if utf8Len(x.Note) > 200 {
		f.Fail("note", "说明不能超过200字")
	}
	if f.OK() {
		err := h.Auth.Svc.SaveRole(r.Context(), me(r), x, false)
		if err == nil {
			web.SetFlash(w, "已保存角色："+x.Name+"，立即对持有该角色的账号生效")
			web.Redirect(w, r, "/admin/roles")
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderRoleForm(w, r, http.StatusUnprocessableEntity, f, roleFormData{Role: cur, ReadOnly: auth.IsAdminKind(cur.Kind)})
}
