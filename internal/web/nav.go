package web

import (
	"cmp"
	"slices"
	"strings"
	"sync"
)

// NavItem is one link in the navigation. It shows only when the viewer holds Perm
// ("" = any signed-in user). Items sharing a Group are shown together; groups are
// ordered by their smallest Order, items by Order then Path.
type NavItem struct {
	Group, Label, Path, Perm string
	Order                    int
}

var (
	navMu    sync.RWMutex
	navItems []NavItem
)

// RegisterNav adds navigation entries; call it from init.
func RegisterNav(items ...NavItem) {
	navMu.Lock()
	defer navMu.Unlock()
	navItems = append(navItems, items...)
}

// NavGroup is a group of visible links for one viewer.
type NavGroup struct {
	Label string
	Items []NavLink
}

// NavLink is a visible link; Active marks the entry matching the current path.
type NavLink struct {
	Label, Path string
	Active      bool
}

// navFor builds the navigation visible to v, marking the longest path prefix of cur active.
func navFor(v *Viewer, cur string) []NavGroup {
	if v == nil {
		return nil
	}
	navMu.RLock()
	items := slices.Clone(navItems)
	navMu.RUnlock()
	slices.SortStableFunc(items, func(a, b NavItem) int {
		return cmp.Or(cmp.Compare(a.Order, b.Order), strings.Compare(a.Path, b.Path))
	})
	active := ""
	for _, it := range items {
		if v.Allowed(it.Perm) && pathUnder(cur, it.Path) && len(it.Path) > len(active) {
			active = it.Path
		}
	}
	var groups []NavGroup
	index := map[string]int{}
	for _, it := range items {
		if !v.Allowed(it.Perm) {
			continue
		}
		i, ok := index[it.Group]
		if !ok {
			i = len(groups)
			index[it.Group] = i
			groups = append(groups, NavGroup{Label: it.Group})
		}
		groups[i].Items = append(groups[i].Items, NavLink{Label: it.Label, Path: it.Path, Active: it.Path == active})
	}
	return groups
}

// pathUnder reports whether cur is p or below it ("/cases" covers "/cases/7" but not "/casesx").
func pathUnder(cur, p string) bool {
	if p == "/" {
		return cur == "/"
	}
	p = strings.TrimSuffix(p, "/")
	return cur == p || strings.HasPrefix(cur, p+"/")
}
