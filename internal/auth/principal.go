package auth

import (
	"context"

	"fengqiao/internal/org"
)

// Principal is the authenticated caller of a request: a user through a
// browser session or an API token.
type Principal struct {
	UserID      int64
	Username    string
	DisplayName string
	OrgID       int64
	OrgName     string
	OrgPath     string
	Roles       []Role
	perms       map[string]bool
	scope       org.Scope // the user's jurisdiction (org subtree + cluster grants)
	SessionID   string
	TokenID     int64
	MustChange  bool // password must be changed before anything else
	MFAPending  bool // password accepted, second factor not yet
	NeedsTOTP   bool // policy requires two factors and none is set up
	Lang        string
}

// Can reports whether the principal holds perm.
func (p *Principal) Can(perm string) bool { return p != nil && p.perms[perm] }

// Perms returns the permission set (sorted order not guaranteed).
func (p *Principal) Perms() []string {
	out := make([]string, 0, len(p.perms))
	for k := range p.perms {
		out = append(out, k)
	}
	return out
}

// ScopeFor returns the scope in which the principal may read data of a
// business line: their jurisdiction if they hold line.view, else nothing.
// Administrator roles hold no line permission and so see no business data.
func (p *Principal) ScopeFor(line string) org.Scope {
	if p == nil || !p.perms[LinePerm(line, "view")] {
		return org.Scope{}
	}
	return p.scope
}

// OrgScope returns the scope for reading the org tree and staff lists
// (org.view), or for administration (org.manage / user.manage).
func (p *Principal) OrgScope() org.Scope {
	if p == nil || !(p.perms[PermOrgView] || p.perms[PermOrgManage] || p.perms[PermUserManage] ||
		p.perms[PermUserUnlock] || p.perms[PermRoleManage]) {
		return org.Scope{}
	}
	return p.scope
}

// Jurisdiction is the raw subtree scope, for checks that are not reads of
// business data (e.g. where an admin may create users).
func (p *Principal) Jurisdiction() org.Scope {
	if p == nil {
		return org.Scope{}
	}
	return p.scope
}

// RoleNames joins role names for display.
func (p *Principal) RoleNames() string {
	s := ""
	for i, r := range p.Roles {
		if i > 0 {
			s += "、"
		}
		s += r.Name
	}
	return s
}

// SystemPrincipal is the program acting for someone without an account
// (the public portal registering an application): a named actor with
// exactly the permissions given, over scope sc. Its actions are audited
// under that name.
func SystemPrincipal(name string, orgID int64, sc org.Scope, perms ...string) *Principal {
	p := NewPrincipalForTest(0, orgID, sc, perms...)
	p.Username, p.DisplayName = name, name
	return p
}

// NewPrincipalForTest builds a principal directly (tests of other packages).
func NewPrincipalForTest(userID, orgID int64, sc org.Scope, perms ...string) *Principal {
	p := &Principal{UserID: userID, OrgID: orgID, scope: sc, perms: map[string]bool{}}
	for _, x := range perms {
		p.perms[x] = true
	}
	return p
}

type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal or nil.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}
