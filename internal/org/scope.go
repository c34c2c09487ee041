package org

import (
	"fmt"
	"sort"
	"strings"

	"fengqiao/internal/store"
)

// Scope is the set of org subtrees a caller may see: their own org's
// subtree plus explicit grants (a cluster lead office over its members).
// Every store method over business data takes a Scope; the zero Scope sees
// nothing, so a forgotten scope fails closed.
type Scope struct {
	prefixes []string // materialized paths, each ending in "/"
	all      bool
}

// NewScope returns the scope of the given subtree paths.
func NewScope(paths ...string) Scope {
	s := Scope{}
	for _, p := range paths {
		if p == "" || !strings.HasSuffix(p, "/") {
			continue
		}
		s.prefixes = append(s.prefixes, p)
	}
	s.prefixes = normalize(s.prefixes)
	return s
}

// System returns the scope of the whole tree. Only background jobs and
// command-line tools running as the system use it, never a request.
func System() Scope { return Scope{all: true} }

// normalize drops paths already covered by a shorter prefix.
func normalize(ps []string) []string {
	sort.Strings(ps)
	out := ps[:0]
	for _, p := range ps {
		if len(out) > 0 && strings.HasPrefix(p, out[len(out)-1]) {
			continue
		}
		out = append(out, p)
	}
	return out
}

// IsZero reports whether the scope sees nothing.
func (s Scope) IsZero() bool { return !s.all && len(s.prefixes) == 0 }

// IsSystem reports whether this is the whole-tree system scope.
func (s Scope) IsSystem() bool { return s.all }

// Paths returns the subtree roots (for display and tests).
func (s Scope) Paths() []string { return append([]string(nil), s.prefixes...) }

// Contains reports whether an org with the given path is inside the scope.
func (s Scope) Contains(path string) bool {
	if s.all {
		return true
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}

// Where returns an SQL condition on pathCol (an orgs.path column in the
// query) that holds exactly for orgs in scope, with its arguments. It uses
// range comparisons so both engines use the path index.
func (s Scope) Where(pathCol string) (string, []any) {
	if s.all {
		return "1=1", nil
	}
	if len(s.prefixes) == 0 {
		return "1=0", nil
	}
	parts := make([]string, 0, len(s.prefixes))
	args := make([]any, 0, 2*len(s.prefixes))
	for _, p := range s.prefixes {
		lo, hi := store.PrefixRange(p)
		parts = append(parts, fmt.Sprintf("(%s >= ? AND %s < ?)", pathCol, pathCol))
		args = append(args, lo, hi)
	}
	return "(" + strings.Join(parts, " OR ") + ")", args
}

// OrgIn returns an SQL condition that holds when orgIDCol (a column holding
// an org id) names an org in scope, for tables that carry only org_id.
func (s Scope) OrgIn(orgIDCol string) (string, []any) {
	if s.all {
		return "1=1", nil
	}
	w, args := s.Where("scope_o.path")
	return fmt.Sprintf("%s IN (SELECT scope_o.id FROM orgs scope_o WHERE %s)", orgIDCol, w), args
}

// Narrow returns the part of s that lies inside the subtree at path (used
// when a user filters by an org): nothing if the subtree is out of scope.
func (s Scope) Narrow(path string) Scope {
	if s.Contains(path) {
		return NewScope(path)
	}
	// A scope prefix deeper than path is still visible under it.
	var keep []string
	for _, p := range s.prefixes {
		if strings.HasPrefix(p, path) {
			keep = append(keep, p)
		}
	}
	return NewScope(keep...)
}
