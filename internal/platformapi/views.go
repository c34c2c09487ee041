package platformapi

import (
	"strings"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
)

// JSON shapes of the platform API. They are the documented contract: the
// OpenAPI schemas are derived from these types.

// kindEnum is the list of org kinds for the enum tags below.
const kindEnum = "ministry,province,city,county,office,village,cluster,legal_aid_center,mediation_committee,section,other"

// Org is an org node.
type Org struct {
	ID           int64     `json:"id"`
	ParentID     *int64    `json:"parent_id" doc:"上级机构；最顶层为 null"`
	Kind         string    `json:"kind" enum:"ministry,province,city,county,office,village,cluster,legal_aid_center,mediation_committee,section,other"`
	KindName     string    `json:"kind_name" doc:"机构类型中文名"`
	Name         string    `json:"name"`
	ShortName    string    `json:"short_name"`
	DivisionCode string    `json:"division_code" doc:"GB/T 2260 行政区划代码(6/9/12位)"`
	Path         string    `json:"path" doc:"物化路径，如 /1/3/7/"`
	Depth        int       `json:"depth"`
	Sort         int       `json:"sort"`
	Timezone     string    `json:"timezone"`
	Address      string    `json:"address"`
	Phone        string    `json:"phone" doc:"机构办公电话"`
	Active       bool      `json:"active"`
	LeadOrgID    *int64    `json:"lead_org_id" doc:"片区的牵头司法所"`
	ChildCount   *int      `json:"child_count,omitempty" doc:"直属下级数量(仅列表)"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func id64(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

func orgJSON(o org.Org, withCount bool) Org {
	out := Org{ID: o.ID, ParentID: id64(o.ParentID), Kind: string(o.Kind), KindName: o.KindName(), Name: o.Name,
		ShortName: o.ShortName, DivisionCode: o.DivisionCode, Path: o.Path, Depth: o.Depth, Sort: o.Sort,
		Timezone: o.Timezone, Address: o.Address, Phone: o.Phone, Active: o.Active, LeadOrgID: id64(o.LeadOrgID),
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	if withCount {
		n := o.ChildCount
		out.ChildCount = &n
	}
	return out
}

func orgsJSON(os []org.Org, withCount bool) []Org {
	out := make([]Org, 0, len(os))
	for _, o := range os {
		out = append(out, orgJSON(o, withCount))
	}
	return out
}

// OrgCreate is the body of POST /api/v1/orgs.
type OrgCreate struct {
	ParentID     int64  `json:"parent_id" doc:"上级机构，须在您的管辖范围内"`
	Kind         string `json:"kind" enum:"ministry,province,city,county,office,village,cluster,legal_aid_center,mediation_committee,section,other"`
	Name         string `json:"name"`
	ShortName    string `json:"short_name,omitempty"`
	DivisionCode string `json:"division_code,omitempty" doc:"省市县6位、司法所9位(所在乡镇街道)、村(社区)12位；须在上级代码之下"`
	Sort         int    `json:"sort,omitempty"`
	Address      string `json:"address,omitempty"`
	Phone        string `json:"phone,omitempty"`
	LeadOrgID    int64  `json:"lead_org_id,omitempty" doc:"仅片区：牵头司法所"`
}

// OrgPatch is the body of PATCH /api/v1/orgs/{id}: absent (or null)
// fields keep their value.
type OrgPatch struct {
	Name         *string `json:"name,omitempty"`
	ShortName    *string `json:"short_name,omitempty"`
	DivisionCode *string `json:"division_code,omitempty"`
	Sort         *int    `json:"sort,omitempty"`
	Address      *string `json:"address,omitempty"`
	Phone        *string `json:"phone,omitempty"`
	LeadOrgID    *int64  `json:"lead_org_id,omitempty" doc:"0 取消牵头单位"`
}

// OrgMove is the body of POST /api/v1/orgs/{id}/move.
type OrgMove struct {
	ParentID int64 `json:"parent_id" doc:"新的上级机构"`
}

// User is an account as administrators see it.
type User struct {
	ID          int64      `json:"id"`
	Username    string     `json:"username"`
	DisplayName string     `json:"display_name"`
	OrgID       int64      `json:"org_id"`
	OrgName     string     `json:"org_name"`
	Title       string     `json:"title" doc:"职务"`
	Kind        string     `json:"kind" enum:"human,service"`
	MustChange  bool       `json:"must_change" doc:"下次登录须修改密码"`
	Disabled    bool       `json:"disabled"`
	Locked      bool       `json:"locked" doc:"因多次输错密码而锁定"`
	LockedUntil *time.Time `json:"locked_until"`
	FailedCount int        `json:"failed_count"`
	TOTPEnabled bool       `json:"totp_enabled"`
	LastLoginAt *time.Time `json:"last_login_at"`
	CreatedAt   time.Time  `json:"created_at"`
	Roles       []string   `json:"roles"`
}

func userJSON(u auth.User, now time.Time) User {
	roles := u.Roles
	if roles == nil {
		roles = []string{}
	}
	return User{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, OrgID: u.OrgID, OrgName: u.OrgName,
		Title: u.Title, Kind: u.Kind, MustChange: u.MustChange, Disabled: u.Disabled, Locked: u.Locked(now),
		LockedUntil: u.LockedUntil, FailedCount: u.FailedCount, TOTPEnabled: u.TOTPEnabled, LastLoginAt: u.LastLoginAt,
		CreatedAt: u.CreatedAt, Roles: roles}
}

// UserCreate is the body of POST /api/v1/users.
type UserCreate struct {
	Username    string   `json:"username" doc:"3到32位小写字母、数字、点、下划线或减号"`
	DisplayName string   `json:"display_name"`
	OrgID       int64    `json:"org_id"`
	Title       string   `json:"title,omitempty"`
	Kind        string   `json:"kind,omitempty" enum:"human,service"`
	Roles       []string `json:"roles" doc:"角色代码，见 GET /api/v1/roles"`
	Password    string   `json:"password" doc:"初始密码，须符合密码策略；首次登录须修改"`
}

// UserPatch is the body of PATCH /api/v1/users/{id}.
type UserPatch struct {
	DisplayName *string  `json:"display_name,omitempty"`
	OrgID       *int64   `json:"org_id,omitempty"`
	Title       *string  `json:"title,omitempty"`
	Roles       []string `json:"roles,omitempty"`
}

// PasswordReset is the body of POST /api/v1/users/{id}/reset-password.
type PasswordReset struct {
	Password string `json:"password" doc:"新的初始密码；用户下次登录须修改"`
}

// Role is a role with its permissions.
type Role struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	Kind    string   `json:"kind" enum:"system,security,audit,business,service"`
	Note    string   `json:"note"`
	Builtin bool     `json:"builtin"`
	Perms   []string `json:"perms"`
	Users   int      `json:"users" doc:"持有该角色的账号数"`
}

// Me describes the caller.
type Me struct {
	User struct {
		ID          int64  `json:"id"`
		Username    string `json:"username"`
		DisplayName string `json:"display_name"`
	} `json:"user"`
	Org struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Path string `json:"path"`
	} `json:"org"`
	Roles       []RoleRef `json:"roles"`
	Permissions []string  `json:"permissions" doc:"实际生效的权限(API 令牌为令牌限定后的权限)"`
	TokenID     *int64    `json:"token_id" doc:"以 API 令牌调用时为令牌编号，会话调用为 null"`
}

// RoleRef names a role.
type RoleRef struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Token is an API token without its secret.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix" doc:"令牌开头几位，用于辨认"`
	Perms      []string   `json:"perms" doc:"限定的权限；空表示与账号相同"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

func tokenJSON(t auth.Token) Token {
	perms := t.Perms
	if perms == nil {
		perms = []string{}
	}
	return Token{ID: t.ID, Name: t.Name, Prefix: t.Prefix, Perms: perms, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

// TokenCreate is the body of POST /api/v1/tokens.
type TokenCreate struct {
	Name          string   `json:"name"`
	Perms         []string `json:"perms,omitempty" doc:"限定权限(不能超出本账号)；省略表示与账号相同"`
	ExpiresInDays int      `json:"expires_in_days,omitempty" doc:"有效天数，1到3650；省略表示不过期"`
}

// TokenCreated answers POST /api/v1/tokens; Secret is shown only here.
type TokenCreated struct {
	Token
	Secret string `json:"token" doc:"完整令牌，只显示这一次，请立即保存"`
}

// AuditVerify is the result of walking the audit hash chain.
type AuditVerify struct {
	OK        bool   `json:"ok"`
	Rows      int64  `json:"rows"`
	FirstSeq  int64  `json:"first_seq"`
	LastSeq   int64  `json:"last_seq"`
	BrokenSeq *int64 `json:"broken_seq" doc:"第一条有问题的记录序号；完好时为 null"`
	Problem   string `json:"problem"`
}

func kindsEnum() []string { return strings.Split(kindEnum, ",") }
