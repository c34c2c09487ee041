package web

import (
	"net/http"
	"sync"
)

// BadgeFunc returns a top-bar entry for the request's viewer: a label, a
// count shown when positive, and the link. An empty label hides the entry
// (e.g. the viewer lacks the permission, or the lookup failed).
type BadgeFunc func(r *http.Request) (label string, count int, link string)

// Badge is one rendered top-bar entry.
type Badge struct {
	Label, Link string
	Count       int
}

var (
	badgeMu    sync.RWMutex
	badgeFuncs []BadgeFunc
)

// RegisterBadge adds a top-bar entry such as the unread count of the
// inbox; call it from init or while wiring, before serving.
func RegisterBadge(f BadgeFunc) {
	badgeMu.Lock()
	defer badgeMu.Unlock()
	badgeFuncs = append(badgeFuncs, f)
}

// Badges are evaluated only when the layout renders them (not for htmx
// partials), and only for a signed-in viewer.
func (p *Page) Badges() []Badge {
	if p == nil || p.Viewer == nil || p.Req == nil {
		return nil
	}
	badgeMu.RLock()
	fs := append([]BadgeFunc(nil), badgeFuncs...)
	badgeMu.RUnlock()
	var out []Badge
	for _, f := range fs {
		if label, n, link := f(p.Req); label != "" {
			out = append(out, Badge{Label: label, Count: n, Link: link})
		}
	}
	return out
}
