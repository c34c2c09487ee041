package admin

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// treeNode is one node of the tree browser; Children is filled for nodes
// shown open from the start.
type treeNode struct {
	org.Org
	Children []treeNode
}

type orgsData struct {
	List      bool // flat list mode
	Roots     []treeNode
	Orgs      []org.Org
	Parents   map[int64]string
	Pager     web.Pager
	Kinds     []web.Option
	Statuses  []web.Option
	CanManage bool
}

// kindOptions lists every kind for filters.
func kindOptions() []web.Option {
	out := make([]web.Option, 0, len(org.Kinds))
	for _, k := range org.Kinds {
		out = append(out, web.Option{Value: string(k.Kind), Label: k.Name})
	}
	return out
}

// orgsPage is the tree (default) or, with ?view=list or any filter, the
// searchable flat list.
func (h *Handler) orgsPage(w http.ResponseWriter, r *http.Request) {
	p := me(r)
	sc := p.OrgScope()
	q := r.URL.Query()
	d := orgsData{Kinds: kindOptions(), Statuses: []web.Option{{Value: "active", Label: "在用"}, {Value: "disabled", Label: "已停用"}}, CanManage: p.Can(auth.PermOrgManage)}
	f := web.NewForm(q)
	d.List = q.Get("view") == "list" || f.Get("q") != "" || f.Get("kind") != "" || f.Get("status") != ""
	ctx := r.Context()
	page := &web.Page{Title: "组织机构", Data: &d, Form: f}
	if !d.List {
		roots, err := h.Orgs.Children(ctx, sc, 0)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, o := range roots {
			n := treeNode{Org: o}
			// Open the top of the jurisdiction so a county admin sees their offices at once.
			if len(roots) <= 5 && o.ChildCount > 0 {
				kids, err := h.Orgs.Children(ctx, sc, o.ID)
				if err != nil {
					h.fail(w, r, err)
					return
				}
				for _, k := range kids {
					n.Children = append(n.Children, treeNode{Org: k})
				}
			}
			d.Roots = append(d.Roots, n)
		}
		h.render(w, r, http.StatusOK, "orgs.html", page)
		return
	}
	filter := org.Filter{Query: f.Get("q"), Kind: org.Kind(f.Get("kind"))}
	if filter.Kind != "" && !org.ValidKind(filter.Kind) {
		f.Fail("kind", "机构类型无效")
		filter.Kind = ""
	}
	switch f.Get("status") {
	case "active":
		t := true
		filter.Active = &t
	case "disabled":
		t := false
		filter.Active = &t
	}
	_, total, err := h.Orgs.List(ctx, sc, org.Filter{Query: filter.Query, Kind: filter.Kind, Active: filter.Active, Limit: 1})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Pager = web.NewPager(r, total)
	filter.Limit, filter.Offset = d.Pager.Size, d.Pager.Offset()
	if d.Orgs, _, err = h.Orgs.List(ctx, sc, filter); err != nil {
		h.fail(w, r, err)
		return
	}
	d.Parents = h.parentNames(r, sc, d.Orgs)
	h.render(w, r, http.StatusOK, "orgs.html", page)
}

// parentNames looks up the names of the visible parents of a page of orgs.
func (h *Handler) parentNames(r *http.Request, sc org.Scope, os []org.Org) map[int64]string {
	out := map[int64]string{}
	for _, o := range os {
		if o.ParentID == 0 {
			continue
		}
		if _, done := out[o.ParentID]; done {
			continue
		}
		if p, err := h.Orgs.Get(r.Context(), sc, o.ParentID); err == nil {
			out[o.ParentID] = p.Name
		} else {
			out[o.ParentID] = ""
		}
	}
	return out
}

// orgChildren is the htmx fragment with the children of a tree node.
func (h *Handler) orgChildren(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	sc := me(r).OrgScope()
	parent, err := h.Orgs.Get(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	kids, err := h.Orgs.Children(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	nodes := make([]treeNode, 0, len(kids))
	for _, k := range kids {
		nodes = append(nodes, treeNode{Org: k})
	}
	h.render(w, r, http.StatusOK, "org_children.html", &web.Page{Title: parent.Name + " 的下级机构", Data: struct {
		Parent org.Org
		Nodes  []treeNode
	}{parent, nodes}, Breadcrumbs: []web.Crumb{{Label: "组织机构", Path: "/admin/orgs"}, {Label: parent.Name, Path: orgPath(parent.ID)}, {Label: "下级机构"}}})
}

func orgPath(id int64) string { return "/admin/orgs/" + strconv.FormatInt(id, 10) }

type orgDetailData struct {
	Org       org.Org
	Parent    *org.Org
	Children  []org.Org
	Users     []auth.User
	UserTotal int
	Lead      *org.Org
	Members   []org.Org
	CanManage bool
	CanUsers  bool
	RoleNames map[string]string
}

// crumbs turns the ancestors of o into breadcrumbs (o itself last, unlinked).
func crumbs(anc []org.Org, last string) []web.Crumb {
	out := []web.Crumb{{Label: "组织机构", Path: "/admin/orgs"}}
	for i, a := range anc {
		c := web.Crumb{Label: a.Name, Path: orgPath(a.ID)}
		if i == len(anc)-1 && last == "" {
			c.Path = ""
		}
		out = append(out, c)
	}
	if last != "" {
		out = append(out, web.Crumb{Label: last})
	}
	return out
}

func (h *Handler) orgDetail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	ctx := r.Context()
	p := me(r)
	sc := p.OrgScope()
	o, err := h.Orgs.Get(ctx, sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	anc, err := h.Orgs.Ancestors(ctx, sc, o)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := orgDetailData{Org: o, CanManage: p.Can(auth.PermOrgManage) && manageScope(p).Contains(o.Path),
		CanUsers: p.Can(auth.PermUserManage) || p.Can(auth.PermUserUnlock) || p.Can(auth.PermRoleManage)}
	if len(anc) > 1 {
		par := anc[len(anc)-2]
		d.Parent = &par
	}
	if d.Children, err = h.Orgs.Children(ctx, sc, id); err != nil {
		h.fail(w, r, err)
		return
	}
	// Accounts whose home is this very org (the subtree's are on /admin/users).
	users, total, err := h.Auth.Svc.ListUsers(ctx, sc, auth.UserFilter{OrgID: id, Limit: 500})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.UserTotal = total
	for _, u := range users {
		if u.OrgID == id {
			d.Users = append(d.Users, u)
		}
	}
	if d.RoleNames, err = h.roleNames(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if o.Kind == org.Cluster {
		if o.LeadOrgID != 0 {
			if l, err := h.Orgs.Get(ctx, sc, o.LeadOrgID); err == nil {
				d.Lead = &l
			}
		}
		if d.Members, err = h.Orgs.ClusterMembers(ctx, sc, id); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "org_detail.html", &web.Page{Title: o.Name, Data: d, Breadcrumbs: crumbs(anc, "")})
}

// roleNames maps role codes to names for display.
func (h *Handler) roleNames(r *http.Request) (map[string]string, error) {
	roles, err := h.Auth.Svc.ListRoles(r.Context())
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(roles))
	for _, x := range roles {
		out[x.Code] = x.Name
	}
	return out, nil
}

type orgFormData struct {
	New       bool
	Org       org.Org // the node being edited
	Parent    org.Org
	Kinds     []web.Option
	Offices   []web.Option // lead office choices (clusters)
	KindLabel string
}

// placeable lists the kinds that may sit under parent.
func placeable(parent org.Kind) []web.Option {
	var out []web.Option
	for _, k := range org.Kinds {
		if org.CanPlace(k.Kind, parent) {
			out = append(out, web.Option{Value: string(k.Kind), Label: k.Name})
		}
	}
	return out
}

func (h *Handler) orgNew(w http.ResponseWriter, r *http.Request) {
	parent, err := h.Orgs.Get(r.Context(), manageScope(me(r)), atoi64(r.URL.Query().Get("parent")))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	f := web.NewForm(url.Values{"sort": {"0"}})
	if k := placeable(parent.Kind); len(k) == 1 {
		f.Values.Set("kind", k[0].Value)
	} else if kk := r.URL.Query().Get("kind"); kk != "" {
		f.Values.Set("kind", kk)
	}
	h.renderOrgForm(w, r, http.StatusOK, f, orgFormData{New: true, Parent: parent})
}

func (h *Handler) renderOrgForm(w http.ResponseWriter, r *http.Request, status int, f *web.Form, d orgFormData) {
	ctx := r.Context()
	sc := manageScope(me(r))
	d.Kinds = placeable(d.Parent.Kind)
	kind := org.Kind(f.Get("kind"))
	if !d.New {
		kind = d.Org.Kind
	}
	d.KindLabel = org.KindName(kind)
	if kind == org.Cluster || (d.New && d.Parent.Kind == org.County) {
		under := d.Parent.ID
		offices, _, err := h.Orgs.List(ctx, sc, org.Filter{Under: under, Kind: org.Office, Limit: 1000})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, o := range offices {
			d.Offices = append(d.Offices, web.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
		}
	}
	anc, err := h.Orgs.Ancestors(ctx, sc, d.Parent)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	title := "新增下级机构"
	var bc []web.Crumb
	if d.New {
		bc = crumbs(anc, title)
	} else {
		title = "修改机构信息"
		bc = crumbs(append(anc, d.Org), title)
		if d.Parent.ID == 0 {
			bc = crumbs([]org.Org{d.Org}, title)
		}
	}
	h.render(w, r, status, "org_form.html", &web.Page{Title: title, Form: f, Data: d, Breadcrumbs: bc})
}

// orgInput reads the form; bad numbers are reported against their field.
func orgInput(f *web.Form) org.Input {
	in := org.Input{
		Kind: org.Kind(f.Get("kind")), Name: f.Get("name"), ShortName: f.Get("short_name"),
		DivisionCode: f.Get("division_code"), Address: f.Get("address"), Phone: f.Get("phone"),
	}
	if s := f.Get("sort"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			f.Fail("sort", "排序应为整数")
		}
		in.Sort = n
	}
	if s := f.Get("lead_org_id"); s != "" {
		in.LeadOrgID = atoi64(s)
	}
	if len([]rune(in.ShortName)) > 50 {
		f.Fail("short_name", "简称不能超过50字")
	}
	if len([]rune(in.Address)) > 200 {
		f.Fail("address", "地址不能超过200字")
	}
	if in.Phone != "" && !validPhone(in.Phone) {
		f.Fail("phone", "电话只能包含数字、空格、“-”、括号和“转”，不超过30字")
	}
	return in
}

func validPhone(s string) bool {
	if len([]rune(s)) > 30 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9') && !strings.ContainsRune(" -()（）转,，、+", r) {
			return false
		}
	}
	return true
}

func (h *Handler) orgCreate(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	sc := manageScope(me(r))
	f := web.NewForm(r.PostForm)
	parent, err := h.Orgs.Get(r.Context(), sc, atoi64(f.Get("parent_id")))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	in := orgInput(f)
	in.ParentID = parent.ID
	if in.Kind == "" {
		f.Fail("kind", "请选择机构类型")
	} else if !org.CanPlace(in.Kind, parent.Kind) {
		f.Fail("kind", org.KindName(in.Kind)+"不能设在"+parent.KindName()+"之下")
	}
	if f.OK() {
		o, err := h.Orgs.Create(r.Context(), sc, in)
		if err == nil {
			web.SetFlash(w, "已新增机构："+o.Name)
			web.Redirect(w, r, orgPath(o.ID))
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderOrgForm(w, r, http.StatusUnprocessableEntity, f, orgFormData{New: true, Parent: parent})
}

// editTarget loads the org being changed and its parent (zero for a root).
func (h *Handler) editTarget(w http.ResponseWriter, r *http.Request) (org.Org, org.Org, bool) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return org.Org{}, org.Org{}, false
	}
	sc := manageScope(me(r))
	o, err := h.Orgs.Get(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return org.Org{}, org.Org{}, false
	}
	var parent org.Org
	if o.ParentID != 0 {
		// The parent may lie above the admin's own subtree: read it for display only.
		parent, _ = h.Orgs.GetUnscoped(r.Context(), h.Orgs.DB.Read(), o.ParentID)
	}
	return o, parent, true
}

func (h *Handler) orgEdit(w http.ResponseWriter, r *http.Request) {
	o, parent, ok := h.editTarget(w, r)
	if !ok {
		return
	}
	v := url.Values{"kind": {string(o.Kind)}, "name": {o.Name}, "short_name": {o.ShortName}, "division_code": {o.DivisionCode},
		"sort": {strconv.Itoa(o.Sort)}, "address": {o.Address}, "phone": {o.Phone}}
	if o.LeadOrgID != 0 {
		v.Set("lead_org_id", strconv.FormatInt(o.LeadOrgID, 10))
	}
	h.renderOrgForm(w, r, http.StatusOK, web.NewForm(v), orgFormData{Org: o, Parent: parent})
}

func (h *Handler) orgUpdate(w http.ResponseWriter, r *http.Request) {
	o, parent, ok := h.editTarget(w, r)
	if !ok || !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	f.Values.Set("kind", string(o.Kind))
	in := orgInput(f)
	if f.OK() {
		_, err := h.Orgs.Update(r.Context(), manageScope(me(r)), o.ID, in)
		if err == nil {
			web.SetFlash(w, "已保存机构信息")
			web.Redirect(w, r, orgPath(o.ID))
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderOrgForm(w, r, http.StatusUnprocessableEntity, f, orgFormData{Org: o, Parent: parent})
}

type moveData struct {
	Org     org.Org
	Parent  org.Org
	Choices []web.Option
}

func (h *Handler) orgMovePage(w http.ResponseWriter, r *http.Request) {
	o, parent, ok := h.editTarget(w, r)
	if !ok {
		return
	}
	h.renderMove(w, r, http.StatusOK, web.NewForm(nil), o, parent)
}

// renderMove offers every org in the admin's scope that may hold o, except
// o's own subtree.
func (h *Handler) renderMove(w http.ResponseWriter, r *http.Request, status int, f *web.Form, o, parent org.Org) {
	sc := manageScope(me(r))
	d := moveData{Org: o, Parent: parent}
	for _, k := range org.Kinds {
		if !org.CanPlace(o.Kind, k.Kind) {
			continue
		}
		cands, _, err := h.Orgs.List(r.Context(), sc, org.Filter{Kind: k.Kind, Limit: 1000})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		for _, c := range cands {
			if strings.HasPrefix(c.Path, o.Path) || c.ID == o.ParentID {
				continue
			}
			label := c.Name
			if c.DivisionCode != "" {
				label += "(" + c.DivisionCode + ")"
			}
			d.Choices = append(d.Choices, web.Option{Value: strconv.FormatInt(c.ID, 10), Label: label})
		}
	}
	anc, _ := h.Orgs.Ancestors(r.Context(), me(r).OrgScope(), o)
	h.render(w, r, status, "org_move.html", &web.Page{Title: "调整上级机构", Form: f, Data: d, Breadcrumbs: crumbs(anc, "调整上级机构")})
}

func (h *Handler) orgMove(w http.ResponseWriter, r *http.Request) {
	o, parent, ok := h.editTarget(w, r)
	if !ok || !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	to := atoi64(f.Get("parent_id"))
	if to == 0 {
		f.Fail("parent_id", "请选择新的上级机构")
	} else {
		err := h.Orgs.Move(r.Context(), manageScope(me(r)), o.ID, to)
		if err == nil {
			web.SetFlash(w, "已调整上级机构，下属机构和业务数据随之调整")
			web.Redirect(w, r, orgPath(o.ID))
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderMove(w, r, http.StatusUnprocessableEntity, f, o, parent)
}

func (h *Handler) orgActive(w http.ResponseWriter, r *http.Request) {
	o, _, ok := h.editTarget(w, r)
	if !ok || !h.parseForm(w, r) {
		return
	}
	active := r.PostForm.Get("active") == "1"
	if err := h.Orgs.SetActive(r.Context(), manageScope(me(r)), o.ID, active); err != nil {
		h.fail(w, r, err)
		return
	}
	if active {
		web.SetFlash(w, "已启用："+o.Name)
	} else {
		web.SetFlash(w, "已停用："+o.Name+"。停用后不能再在其下新建账号和业务记录，已有记录不受影响")
	}
	web.Redirect(w, r, orgPath(o.ID))
}

type clusterData struct {
	Org      org.Org
	Offices  []org.Org
	Selected map[int64]bool
	Lead     string
}

func (h *Handler) clusterTarget(w http.ResponseWriter, r *http.Request) (org.Org, bool) {
	o, _, ok := h.editTarget(w, r)
	if !ok {
		return o, false
	}
	if o.Kind != org.Cluster {
		h.Auth.R.Error(w, r, http.StatusNotFound, "只有片区可以设置成员司法所")
		return o, false
	}
	return o, true
}

func (h *Handler) clusterPage(w http.ResponseWriter, r *http.Request) {
	o, ok := h.clusterTarget(w, r)
	if !ok {
		return
	}
	members, err := h.Orgs.ClusterMembers(r.Context(), manageScope(me(r)), o.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	sel := map[int64]bool{}
	for _, m := range members {
		sel[m.ID] = true
	}
	h.renderCluster(w, r, http.StatusOK, web.NewForm(nil), o, sel)
}

func (h *Handler) renderCluster(w http.ResponseWriter, r *http.Request, status int, f *web.Form, o org.Org, sel map[int64]bool) {
	sc := manageScope(me(r))
	d := clusterData{Org: o, Selected: sel}
	// Member offices come from the cluster's county.
	offices, _, err := h.Orgs.List(r.Context(), sc, org.Filter{Under: o.ParentID, Kind: org.Office, Limit: 1000})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		h.fail(w, r, err)
		return
	}
	d.Offices = offices
	if o.LeadOrgID != 0 {
		if l, err := h.Orgs.Get(r.Context(), sc, o.LeadOrgID); err == nil {
			d.Lead = l.Name
		}
	}
	anc, _ := h.Orgs.Ancestors(r.Context(), me(r).OrgScope(), o)
	h.render(w, r, status, "org_cluster.html", &web.Page{Title: "片区成员司法所", Form: f, Data: d, Breadcrumbs: crumbs(anc, "成员司法所")})
}

func (h *Handler) clusterSave(w http.ResponseWriter, r *http.Request) {
	o, ok := h.clusterTarget(w, r)
	if !ok || !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	var ids []int64
	sel := map[int64]bool{}
	for _, s := range r.PostForm["members"] {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			f.Fail("members", "成员选择无效")
			continue
		}
		if !sel[id] {
			ids = append(ids, id)
			sel[id] = true
		}
	}
	if f.OK() {
		err := h.Orgs.SetClusterMembers(r.Context(), manageScope(me(r)), o.ID, ids)
		if err == nil {
			web.SetFlash(w, "已保存片区成员："+strconv.Itoa(len(ids))+" 个司法所")
			web.Redirect(w, r, orgPath(o.ID))
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderCluster(w, r, http.StatusUnprocessableEntity, f, o, sel)
}
