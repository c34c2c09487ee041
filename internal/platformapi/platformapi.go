// Package platformapi serves the platform part of the JSON API: the
// caller, orgs, users, roles, the caller's API tokens and the audit chain
// check. It calls the same service methods as the admin pages, so HTML
// and API cannot disagree on permissions or jurisdiction.
package platformapi

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/api"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Handler serves /api/v1 platform routes.
type Handler struct {
	Auth *auth.Service
	Orgs *org.Store
	DB   *store.DB
}

func init() {
	api.DescribeTag("me", "当前调用者")
	api.DescribeTag("orgs", "组织机构")
	api.DescribeTag("users", "用户账号(系统管理员、安全管理员)")
	api.DescribeTag("roles", "角色")
	api.DescribeTag("tokens", "本人的 API 令牌")
	api.DescribeTag("audit", "审计日志(审计管理员)")
	api.DescribeTag("meta", "接口文档")
}

// orgReaders may read the org tree (auth.Principal.OrgScope).
var orgReaders = []string{auth.PermOrgView, auth.PermOrgManage, auth.PermUserManage, auth.PermUserUnlock, auth.PermRoleManage}

// userReaders may read accounts in their jurisdiction.
var userReaders = []string{auth.PermUserManage, auth.PermUserUnlock, auth.PermRoleManage}

// Routes registers and documents every platform route on mux.
func (h *Handler) Routes(mux *http.ServeMux) {
	reg := func(rt api.Route, fn http.HandlerFunc) { api.Register(mux, rt, fn) }
	idOrg := api.Responses{200: Org{}}
	idUser := api.Responses{200: User{}}

	reg(api.Route{Method: "GET", Path: "/api/v1/me", Tag: "me", Summary: "当前调用者：账号、机构、角色与生效权限",
		Responses: api.Responses{200: Me{}}}, h.me)

	reg(api.Route{Method: "GET", Path: "/api/v1/orgs", Tag: "orgs", Summary: "机构列表(管辖范围内，按路径排序)", Perms: orgReaders, Paged: true,
		Query: []api.Param{
			api.Q("kind", "机构类型", api.Enum(kindsEnum()...)),
			api.Q("q", "名称包含，或行政区划代码开头", api.String()),
			api.Q("under", "只列该机构及其下级(机构编号)", api.Integer()),
			api.Q("active", "true 只列启用的，false 只列停用的", api.Boolean()),
		},
		Responses: api.Responses{200: Org{}}}, h.listOrgs)
	reg(api.Route{Method: "GET", Path: "/api/v1/orgs/{id}", Tag: "orgs", Summary: "机构详情", Perms: orgReaders, Responses: idOrg}, h.getOrg)
	reg(api.Route{Method: "GET", Path: "/api/v1/orgs/{id}/children", Tag: "orgs", Summary: "直属下级机构", Perms: orgReaders,
		Responses: api.Responses{200: []Org{}}}, h.orgChildren)
	reg(api.Route{Method: "POST", Path: "/api/v1/orgs", Tag: "orgs", Summary: "新建机构", Perm: auth.PermOrgManage,
		Request: OrgCreate{}, Responses: api.Responses{201: Org{}}}, h.createOrg)
	reg(api.Route{Method: "PATCH", Path: "/api/v1/orgs/{id}", Tag: "orgs", Summary: "修改机构信息(未提供的字段不变)", Perm: auth.PermOrgManage,
		Request: OrgPatch{}, Responses: idOrg}, h.patchOrg)
	reg(api.Route{Method: "POST", Path: "/api/v1/orgs/{id}/move", Tag: "orgs", Summary: "调整上级机构(整棵子树随之移动)", Perm: auth.PermOrgManage,
		Request: OrgMove{}, Responses: idOrg}, h.moveOrg)
	reg(api.Route{Method: "POST", Path: "/api/v1/orgs/{id}/disable", Tag: "orgs", Summary: "停用机构", Perm: auth.PermOrgManage,
		Responses: idOrg}, h.setOrgActive(false))
	reg(api.Route{Method: "POST", Path: "/api/v1/orgs/{id}/enable", Tag: "orgs", Summary: "启用机构", Perm: auth.PermOrgManage,
		Responses: idOrg}, h.setOrgActive(true))

	reg(api.Route{Method: "GET", Path: "/api/v1/users", Tag: "users", Summary: "用户列表(管辖范围内)", Perms: userReaders, Paged: true,
		Query: []api.Param{
			api.Q("org_id", "只列该机构及其下级的用户", api.Integer()),
			api.Q("q", "用户名或姓名包含", api.String()),
			api.Q("role", "持有该角色", api.String()),
			api.Q("status", "账号状态", api.Enum("active", "disabled", "locked")),
		},
		Responses: api.Responses{200: User{}}}, h.listUsers)
	reg(api.Route{Method: "GET", Path: "/api/v1/users/{id}", Tag: "users", Summary: "用户详情", Perms: userReaders, Responses: idUser}, h.getUser)
	reg(api.Route{Method: "POST", Path: "/api/v1/users", Tag: "users", Summary: "新建用户(首次登录须修改密码)", Perm: auth.PermUserManage,
		Request: UserCreate{}, Responses: api.Responses{201: User{}}}, h.createUser)
	reg(api.Route{Method: "PATCH", Path: "/api/v1/users/{id}", Tag: "users", Summary: "修改用户(姓名、机构、职务、角色；未提供的字段不变)", Perm: auth.PermUserManage,
		Request: UserPatch{}, Responses: idUser}, h.patchUser)
	reg(api.Route{Method: "POST", Path: "/api/v1/users/{id}/disable", Tag: "users", Summary: "停用用户(结束其会话、吊销其令牌)", Perm: auth.PermUserManage,
		Responses: idUser}, h.setUserDisabled(true))
	reg(api.Route{Method: "POST", Path: "/api/v1/users/{id}/enable", Tag: "users", Summary: "启用用户", Perm: auth.PermUserManage,
		Responses: idUser}, h.setUserDisabled(false))
	reg(api.Route{Method: "POST", Path: "/api/v1/users/{id}/unlock", Tag: "users", Summary: "解锁用户", Perm: auth.PermUserUnlock,
		Responses: idUser}, h.unlockUser)
	reg(api.Route{Method: "POST", Path: "/api/v1/users/{id}/reset-password", Tag: "users", Summary: "重置密码(下次登录须修改，结束其会话)", Perm: auth.PermUserManage,
		Request: PasswordReset{}, Responses: api.Responses{204: nil}}, h.resetPassword)

	reg(api.Route{Method: "GET", Path: "/api/v1/roles", Tag: "roles", Summary: "角色及其权限", Perms: userReaders,
		Responses: api.Responses{200: []Role{}}}, h.listRoles)

	reg(api.Route{Method: "GET", Path: "/api/v1/tokens", Tag: "tokens", Summary: "本人的 API 令牌(不含令牌本身)", Perm: auth.PermAPIToken,
		Responses: api.Responses{200: []Token{}}}, h.listTokens)
	reg(api.Route{Method: "POST", Path: "/api/v1/tokens", Tag: "tokens", Summary: "创建 API 令牌(令牌只在本次响应中出现)", Perm: auth.PermAPIToken,
		Description: "只能在登录会话中创建：用令牌创建令牌会被拒绝(403)，以免受限令牌换出不受限的令牌。",
		Request:     TokenCreate{}, Responses: api.Responses{201: TokenCreated{}}}, h.createToken)
	reg(api.Route{Method: "POST", Path: "/api/v1/tokens/{id}/revoke", Tag: "tokens", Summary: "吊销本人的 API 令牌", Perm: auth.PermAPIToken,
		Responses: api.Responses{204: nil}}, h.revokeToken)

	reg(auditRoute(), h.listAudit)
	reg(api.Route{Method: "GET", Path: "/api/v1/audit/verify", Tag: "audit", Summary: "校验审计日志哈希链是否完整", Perm: auth.PermAuditView,
		Responses: api.Responses{200: AuditVerify{}}}, h.auditVerify)
}

func (h *Handler) me(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	var out Me
	out.User.ID, out.User.Username, out.User.DisplayName = p.UserID, p.Username, p.DisplayName
	out.Org.ID, out.Org.Name, out.Org.Path = p.OrgID, p.OrgName, p.OrgPath
	out.Roles = make([]RoleRef, 0, len(p.Roles))
	for _, ro := range p.Roles {
		out.Roles = append(out.Roles, RoleRef{Code: ro.Code, Name: ro.Name})
	}
	out.Permissions = p.Perms()
	sort.Strings(out.Permissions)
	if p.TokenID != 0 {
		out.TokenID = &p.TokenID
	}
	api.JSON(w, http.StatusOK, out)
}

// orgManageScope is where the caller may change orgs.
func orgManageScope(p *auth.Principal) org.Scope {
	if !p.Can(auth.PermOrgManage) {
		return org.Scope{}
	}
	return p.Jurisdiction()
}

func (h *Handler) listOrgs(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	pg, err := api.ParsePage(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var f org.Filter
	kind, err := api.QueryEnum(r, "kind", kindsEnum()...)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	f.Kind = org.Kind(kind)
	if f.Under, err = api.QueryInt64(r, "under"); err != nil {
		api.Fail(w, r, err)
		return
	}
	if f.Active, err = api.QueryBool(r, "active"); err != nil {
		api.Fail(w, r, err)
		return
	}
	f.Query = strings.TrimSpace(r.URL.Query().Get("q"))
	f.Limit, f.Offset = pg.Size, pg.Offset()
	list, total, err := h.Orgs.List(r.Context(), p.OrgScope(), f)
	if err != nil {
		if f.Under != 0 && isNotFound(err) {
			err = api.Invalid("under", "under 指定的机构不存在或不在您的管辖范围内")
		}
		api.Fail(w, r, err)
		return
	}
	api.WriteList(w, pg, orgsJSON(list, true), total)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func isNotFound(err error) bool { return api.ToError(err).Code == api.CodeNotFound }

func (h *Handler) getOrg(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	o, err := h.Orgs.Get(r.Context(), auth.FromContext(r.Context()).OrgScope(), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, orgJSON(o, false))
}

func (h *Handler) orgChildren(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	sc := auth.FromContext(r.Context()).OrgScope()
	if _, err := h.Orgs.Get(r.Context(), sc, id); err != nil {
		api.Fail(w, r, err)
		return
	}
	list, err := h.Orgs.Children(r.Context(), sc, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, orgsJSON(list, true))
}

func (h *Handler) createOrg(w http.ResponseWriter, r *http.Request) {
	var in OrgCreate
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	if in.ParentID == 0 {
		api.Fail(w, r, api.Invalid("parent_id", "请选择上级机构"))
		return
	}
	o, err := h.Orgs.Create(r.Context(), orgManageScope(auth.FromContext(r.Context())), org.Input{ParentID: in.ParentID,
		Kind: org.Kind(in.Kind), Name: in.Name, ShortName: in.ShortName, DivisionCode: in.DivisionCode, Sort: in.Sort,
		Address: in.Address, Phone: in.Phone, LeadOrgID: in.LeadOrgID})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/orgs/"+itoa(o.ID))
	api.JSON(w, http.StatusCreated, orgJSON(o, false))
}

func (h *Handler) patchOrg(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in OrgPatch
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	sc := orgManageScope(auth.FromContext(r.Context()))
	cur, err := h.Orgs.Get(r.Context(), sc, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	// Update re-reads the row in its own transaction and validates the
	// merged input; a concurrent edit of another field is overwritten, as
	// with the admin form.
	next := org.Input{Name: cur.Name, ShortName: cur.ShortName, DivisionCode: cur.DivisionCode, Sort: cur.Sort,
		Address: cur.Address, Phone: cur.Phone, LeadOrgID: cur.LeadOrgID}
	set(&next.Name, in.Name)
	set(&next.ShortName, in.ShortName)
	set(&next.DivisionCode, in.DivisionCode)
	set(&next.Sort, in.Sort)
	set(&next.Address, in.Address)
	set(&next.Phone, in.Phone)
	set(&next.LeadOrgID, in.LeadOrgID)
	o, err := h.Orgs.Update(r.Context(), sc, id, next)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, orgJSON(o, false))
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (h *Handler) moveOrg(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in OrgMove
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	if in.ParentID == 0 {
		api.Fail(w, r, api.Invalid("parent_id", "请选择新的上级机构"))
		return
	}
	sc := orgManageScope(auth.FromContext(r.Context()))
	if err := h.Orgs.Move(r.Context(), sc, id, in.ParentID); err != nil {
		api.Fail(w, r, err)
		return
	}
	h.answerOrg(w, r, sc, id)
}

func (h *Handler) setOrgActive(active bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := api.PathID(r, "id")
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		sc := orgManageScope(auth.FromContext(r.Context()))
		if err := h.Orgs.SetActive(r.Context(), sc, id, active); err != nil {
			api.Fail(w, r, err)
			return
		}
		h.answerOrg(w, r, sc, id)
	}
}

func (h *Handler) answerOrg(w http.ResponseWriter, r *http.Request, sc org.Scope, id int64) {
	o, err := h.Orgs.Get(r.Context(), sc, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, orgJSON(o, false))
}

func (h *Handler) listUsers(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	pg, err := api.ParsePage(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	f := auth.UserFilter{Query: strings.TrimSpace(r.URL.Query().Get("q")), Role: strings.TrimSpace(r.URL.Query().Get("role")),
		Limit: pg.Size, Offset: pg.Offset()}
	if f.OrgID, err = api.QueryInt64(r, "org_id"); err != nil {
		api.Fail(w, r, err)
		return
	}
	if f.Status, err = api.QueryEnum(r, "status", "active", "disabled", "locked"); err != nil {
		api.Fail(w, r, err)
		return
	}
	list, total, err := h.Auth.ListUsers(r.Context(), p.OrgScope(), f)
	if err != nil {
		if f.OrgID != 0 && isNotFound(err) {
			err = api.Invalid("org_id", "org_id 指定的机构不存在或不在您的管辖范围内")
		}
		api.Fail(w, r, err)
		return
	}
	now := h.now()
	out := make([]User, 0, len(list))
	for _, u := range list {
		out = append(out, userJSON(u, now))
	}
	api.WriteList(w, pg, out, total)
}

func (h *Handler) now() time.Time {
	if h.Auth.Now != nil {
		return h.Auth.Now()
	}
	return time.Now()
}

func (h *Handler) getUser(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	h.answerUser(w, r, id)
}

func (h *Handler) answerUser(w http.ResponseWriter, r *http.Request, id int64) {
	u, err := h.Auth.GetUser(r.Context(), auth.FromContext(r.Context()).OrgScope(), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, userJSON(u, h.now()))
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	var in UserCreate
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	u, err := h.Auth.CreateUser(r.Context(), auth.FromContext(r.Context()), auth.UserInput{Username: in.Username,
		DisplayName: in.DisplayName, OrgID: in.OrgID, Title: in.Title, Kind: in.Kind, Roles: in.Roles, Password: in.Password})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/users/"+itoa(u.ID))
	api.JSON(w, http.StatusCreated, userJSON(u, h.now()))
}

func (h *Handler) patchUser(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in UserPatch
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	p := auth.FromContext(r.Context())
	cur, err := h.Auth.GetUser(r.Context(), p.OrgScope(), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	next := auth.UserInput{DisplayName: cur.DisplayName, OrgID: cur.OrgID, Title: cur.Title, Roles: cur.Roles}
	set(&next.DisplayName, in.DisplayName)
	set(&next.OrgID, in.OrgID)
	set(&next.Title, in.Title)
	if in.Roles != nil {
		next.Roles = in.Roles
	}
	u, err := h.Auth.UpdateUser(r.Context(), p, id, next)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, userJSON(u, h.now()))
}

func (h *Handler) setUserDisabled(disabled bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := api.PathID(r, "id")
		if err != nil {
			api.Fail(w, r, err)
			return
		}
		if err := h.Auth.SetDisabled(r.Context(), auth.FromContext(r.Context()), id, disabled); err != nil {
			api.Fail(w, r, err)
			return
		}
		h.answerUser(w, r, id)
	}
}

func (h *Handler) unlockUser(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := h.Auth.Unlock(r.Context(), auth.FromContext(r.Context()), id); err != nil {
		api.Fail(w, r, err)
		return
	}
	h.answerUser(w, r, id)
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in PasswordReset
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := h.Auth.ResetPassword(r.Context(), auth.FromContext(r.Context()), id, in.Password); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.NoContent(w)
}

func (h *Handler) listRoles(w http.ResponseWriter, r *http.Request) {
	roles, err := h.Auth.ListRoles(r.Context())
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := make([]Role, 0, len(roles))
	for _, ro := range roles {
		perms := ro.Perms
		if perms == nil {
			perms = []string{}
		}
		out = append(out, Role{Code: ro.Code, Name: ro.Name, Kind: ro.Kind, Note: ro.Note, Builtin: ro.Builtin, Perms: perms, Users: ro.Users})
	}
	api.JSON(w, http.StatusOK, out)
}

func (h *Handler) listTokens(w http.ResponseWriter, r *http.Request) {
	list, err := h.Auth.ListTokens(r.Context(), auth.FromContext(r.Context()))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := make([]Token, 0, len(list))
	for _, t := range list {
		out = append(out, tokenJSON(t))
	}
	api.JSON(w, http.StatusOK, out)
}

func (h *Handler) createToken(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	if p.TokenID != 0 {
		// A restricted token must not mint an unrestricted one.
		api.Fail(w, r, api.Forbidden("API 令牌不能创建新令牌：请登录后在“账号与安全”或本接口创建"))
		return
	}
	var in TokenCreate
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	if in.ExpiresInDays < 0 || in.ExpiresInDays > 3650 {
		api.Fail(w, r, api.Invalid("expires_in_days", "有效天数应在1到3650之间，省略表示不过期"))
		return
	}
	for _, x := range in.Perms {
		if !auth.ValidPermission(x) {
			api.Fail(w, r, api.Invalid("perms", "未知权限："+x))
			return
		}
	}
	secret, t, err := h.Auth.CreateToken(r.Context(), p, in.Name, in.Perms, time.Duration(in.ExpiresInDays)*24*time.Hour)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if in.ExpiresInDays > 0 {
		exp := t.CreatedAt.Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour)
		t.ExpiresAt = &exp
	}
	api.JSON(w, http.StatusCreated, TokenCreated{Token: tokenJSON(t), Secret: secret})
}

func (h *Handler) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	if err := h.Auth.RevokeToken(r.Context(), auth.FromContext(r.Context()), id); err != nil {
		api.Fail(w, r, err)
		return
	}
	api.NoContent(w)
}

func (h *Handler) auditVerify(w http.ResponseWriter, r *http.Request) {
	res, err := audit.Verify(r.Context(), h.DB)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := AuditVerify{OK: res.OK(), Rows: res.Rows, FirstSeq: res.FirstSeq, LastSeq: res.LastSeq, Problem: res.Problem}
	if res.BrokenSeq != 0 {
		out.BrokenSeq = &res.BrokenSeq
	}
	api.JSON(w, http.StatusOK, out)
}
