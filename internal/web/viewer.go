package web

import (
	"context"
	"strings"
)

// Viewer is who is looking at a page. The auth middleware puts it in the request context.
type Viewer struct {
	UserID      int64
	Username    string
	DisplayName string
	OrgName     string
	RoleNames   string
	Can         func(perm string) bool // nil → false
	Lang        string                 // "zh" or "en"
}

// Allowed reports whether the viewer holds perm; "" means any signed-in user.
func (v *Viewer) Allowed(perm string) bool {
	if v == nil {
		return false
	}
	if perm == "" {
		return true
	}
	if v.Can == nil {
		return false
	}
	// "a|b" means any one of them (a page several lines open).
	for _, one := range strings.Split(perm, "|") {
		if v.Can(one) {
			return true
		}
	}
	return false
}

// Name is what the layout shows: the display name, else the username.
func (v *Viewer) Name() string {
	if v == nil {
		return ""
	}
	if v.DisplayName != "" {
		return v.DisplayName
	}
	return v.Username
}

type viewerKey struct{}

// WithViewer returns ctx carrying v. It also tells an enclosing AccessLog the user id.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	if info := logInfoFrom(ctx); info != nil && v != nil {
		info.userID = v.UserID
	}
	return context.WithValue(ctx, viewerKey{}, v)
}

// ViewerFrom returns the viewer in ctx, nil when anonymous.
func ViewerFrom(ctx context.Context) *Viewer {
	v, _ := ctx.Value(viewerKey{}).(*Viewer)
	return v
}
