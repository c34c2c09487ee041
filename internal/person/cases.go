package person

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"fengqiao/internal/org"
)

// CaseRef is one case of a business line that concerns a person, as the
// person's page lists it.
type CaseRef struct {
	Line     string // business line key, e.g. "mediation"
	LineName string // e.g. 人民调解
	CaseID   int64
	Number   string // case number shown to users
	Title    string
	Role     string // the person's role in the case, e.g. 申请人
	Status   string
	OrgName  string
	URL      string
	Date     time.Time // registration date; lists sort newest first
}

// CaseLister lists a line's cases concerning personID that the scope may
// see. It must filter by sc itself.
type CaseLister func(ctx context.Context, sc org.Scope, personID int64) ([]CaseRef, error)

var (
	listerMu sync.Mutex
	listers  = map[string]CaseLister{}
)

// RegisterCaseLister adds a business line's lister (called from init).
func RegisterCaseLister(line string, f CaseLister) {
	listerMu.Lock()
	defer listerMu.Unlock()
	if _, dup := listers[line]; dup || line == "" || f == nil {
		panic("person: bad or repeated case lister " + line)
	}
	listers[line] = f
}

// CasesOf merges every line's cases concerning personID within sc, newest
// first. A failing line fails the whole call rather than hiding cases.
func CasesOf(ctx context.Context, sc org.Scope, personID int64) ([]CaseRef, error) {
	if sc.IsZero() {
		return nil, nil
	}
	listerMu.Lock()
	lines := make([]string, 0, len(listers))
	for l := range listers {
		lines = append(lines, l)
	}
	fs := make(map[string]CaseLister, len(listers))
	for l, f := range listers {
		fs[l] = f
	}
	listerMu.Unlock()
	sort.Strings(lines)
	var out []CaseRef
	for _, l := range lines {
		refs, err := fs[l](ctx, sc, personID)
		if err != nil {
			return nil, fmt.Errorf("cases of person %d in %s: %w", personID, l, err)
		}
		for _, r := range refs {
			if r.Line == "" {
				r.Line = l
			}
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.After(out[j].Date)
		}
		return out[i].Line < out[j].Line || (out[i].Line == out[j].Line && out[i].CaseID > out[j].CaseID)
	})
	return out, nil
}
