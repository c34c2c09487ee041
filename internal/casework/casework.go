// Package casework is the case workflow kernel shared by the business lines
// (人民调解, 社区矫正, 法律援助 …). It knows no line's rules: a line declares
// a case Type — its states, the transitions between them with the permission
// and fields each needs, and its deadlines — with Register, and then drives
// its cases through a Store.
//
// Every case has an owning org, a handler, a number from a per-org, per-year,
// per-type gap-free sequence, a timeline, deadlines computed with the
// holiday calendar in the org's time zone, and the actions common to all
// lines: assignment, transfer to another org (分流转办), supervision by a
// higher org (督办) and feedback from a party without an account (评估反馈).
//
// Writes take the caller's *store.Tx so a line inserts its own detail rows
// in the same transaction; reads take the caller's org.Scope for the line
// (principal.ScopeFor(line)); permissions come from auth.FromContext(ctx).
package casework

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("casework", sub)
}

// State is one state of a case type.
type State struct {
	Code  string
	Name  string
	Final bool // entering it closes the case (closed_at) and cancels open deadlines
}

// Transition moves a case from one of From to To.
type Transition struct {
	Code string
	Name string
	From []string
	To   string
	// Perm the actor must hold, e.g. "mediation.edit".
	Perm string
	// Required names fields the caller must supply non-empty.
	Required []string
	// Check is the line's own validation (optional); return *org.FieldError
	// to point at a field.
	Check func(ctx context.Context, c *Case, fields map[string]string) error
}

// DeadlineSpec declares a deadline of a case type. StartOn, StopOn, PauseOn
// and ResumeOn hold transition codes or state codes (a state code matches
// whenever that state is entered, including at creation for the initial
// state).
type DeadlineSpec struct {
	Code     string
	Name     string
	StartOn  []string
	StopOn   []string
	PauseOn  []string
	ResumeOn []string
	// Rule returns the period in force; the line loads it from its settings
	// (a func so that a changed setting applies to deadlines started later).
	Rule func(ctx context.Context) (calendar.Rule, error)
	// RemindBefore lists calendar days before the due day on which the
	// handler is reminded, e.g. {3, 1}. The day itself and overdue are
	// always reminded.
	RemindBefore []int
	// Remind, when set, returns the days in force instead of RemindBefore
	// (a line's setting). Like Rule it is read when the deadline starts and
	// kept on the deadline: a changed setting applies to deadlines started
	// later, never to running ones. RemindBefore then serves only deadlines
	// started before days were kept (remind_days NULL).
	Remind func(ctx context.Context) ([]int, error)
	// EscalateAfterDays: once overdue by this many calendar days, the
	// supervising org (the owning org's parent) is reminded too.
	EscalateAfterDays int
}

// Type is a case type of a line.
type Type struct {
	Code string // e.g. "mediation"
	Line string // auth line code for permissions and scope, e.g. "mediation"
	Name string // e.g. "人民调解案件"
	// Abbr fills {type_abbr}, e.g. "民调".
	Abbr string
	// NumberPattern, e.g. "（{year}）{org_code}{type_abbr}字第{seq:4}号".
	// Placeholders: {year}, {org_short}, {org_code}, {type_abbr}, {seq:N}.
	NumberPattern string
	// OrgCode fills {org_code} (e.g. "川0402") from the numbering org;
	// default: its short name.
	OrgCode func(o org.Org) string
	// NumberOrg picks the numbering org of a case owned by chain[0]; chain
	// is the owning org and then its ancestors, nearest first. Its code
	// fills {org_code} and its (type, year) sequence gives {seq}, so orgs
	// that pick the same one share a sequence and a shared code never
	// yields a number twice. Default: the owning org.
	NumberOrg func(chain []org.Org) org.Org
	// Initial is the state of a new case; default States[0].
	Initial     string
	States      []State
	Transitions []Transition
	Deadlines   []DeadlineSpec
}

// Common action permissions derive from the line.
func (t *Type) permEdit() string    { return t.Line + ".edit" }
func (t *Type) permApprove() string { return t.Line + ".approve" }

// State returns the state with code.
func (t *Type) State(code string) (State, bool) {
	for _, s := range t.States {
		if s.Code == code {
			return s, true
		}
	}
	return State{}, false
}

// Transition returns the transition with code.
func (t *Type) Transition(code string) (Transition, bool) {
	for _, tr := range t.Transitions {
		if tr.Code == code {
			return tr, true
		}
	}
	return Transition{}, false
}

// Available lists the transitions allowed from state (for the UI's buttons;
// permissions are checked on use).
func (t *Type) Available(state string) []Transition {
	var out []Transition
	for _, tr := range t.Transitions {
		for _, f := range tr.From {
			if f == state {
				out = append(out, tr)
				break
			}
		}
	}
	return out
}

var (
	regMu sync.RWMutex
	types = map[string]*Type{}
)

// Register declares a case type. It panics on an invalid declaration (a
// programming error caught by the line's tests) or a duplicate code.
func Register(t Type) {
	if err := t.validate(); err != nil {
		panic("casework: type " + t.Code + ": " + err.Error())
	}
	regMu.Lock()
	defer regMu.Unlock()
	if _, dup := types[t.Code]; dup {
		panic("casework: type " + t.Code + " registered twice")
	}
	types[t.Code] = &t
}

// Lookup returns a registered type.
func Lookup(code string) (*Type, bool) {
	regMu.RLock()
	defer regMu.RUnlock()
	t, ok := types[code]
	return t, ok
}

// Types lists registered types by code.
func Types() []*Type {
	regMu.RLock()
	defer regMu.RUnlock()
	out := make([]*Type, 0, len(types))
	for _, t := range types {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out
}

func (t *Type) validate() error {
	if t.Code == "" || len(t.Code) > 50 {
		return fmt.Errorf("Code: required, at most 50 bytes")
	}
	if t.Line == "" || t.Name == "" {
		return fmt.Errorf("Line and Name are required")
	}
	if err := checkPattern(t.NumberPattern); err != nil {
		return err
	}
	if len(t.States) == 0 {
		return fmt.Errorf("no states")
	}
	states := map[string]bool{}
	for _, s := range t.States {
		if s.Code == "" || states[s.Code] {
			return fmt.Errorf("state %q: empty or duplicate code", s.Code)
		}
		states[s.Code] = true
	}
	if t.Initial == "" {
		t.Initial = t.States[0].Code
	}
	if !states[t.Initial] {
		return fmt.Errorf("Initial: unknown state %q", t.Initial)
	}
	trs := map[string]bool{}
	for _, tr := range t.Transitions {
		if tr.Code == "" || trs[tr.Code] || states[tr.Code] {
			return fmt.Errorf("transition %q: empty code, duplicate, or same as a state code", tr.Code)
		}
		trs[tr.Code] = true
		if !states[tr.To] {
			return fmt.Errorf("transition %s: unknown state %q in To", tr.Code, tr.To)
		}
		if len(tr.From) == 0 {
			return fmt.Errorf("transition %s: no From states", tr.Code)
		}
		for _, f := range tr.From {
			if !states[f] {
				return fmt.Errorf("transition %s: unknown state %q in From", tr.Code, f)
			}
		}
		if tr.Perm == "" {
			return fmt.Errorf("transition %s: Perm is required", tr.Code)
		}
	}
	seen := map[string]bool{}
	for _, d := range t.Deadlines {
		if d.Code == "" || d.Code == supervisionCode || seen[d.Code] {
			return fmt.Errorf("deadline %q: empty, reserved or duplicate code", d.Code)
		}
		seen[d.Code] = true
		if d.Rule == nil || len(d.StartOn) == 0 || len(d.StopOn) == 0 {
			return fmt.Errorf("deadline %s: Rule, StartOn and StopOn are required", d.Code)
		}
		for _, list := range [][]string{d.StartOn, d.StopOn, d.PauseOn, d.ResumeOn} {
			for _, x := range list {
				if !states[x] && !trs[x] {
					return fmt.Errorf("deadline %s: %q is neither a state nor a transition", d.Code, x)
				}
			}
		}
		if len(d.PauseOn) > 0 != (len(d.ResumeOn) > 0) {
			return fmt.Errorf("deadline %s: PauseOn and ResumeOn go together", d.Code)
		}
		if _, err := normDays(d.RemindBefore); err != nil {
			return fmt.Errorf("deadline %s: RemindBefore: %w", d.Code, err)
		}
		if d.EscalateAfterDays < 0 {
			return fmt.Errorf("deadline %s: EscalateAfterDays < 0", d.Code)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// matches reports whether a deadline trigger list names the transition or
// the state entered.
func matches(list []string, transition, state string) bool {
	return (transition != "" && contains(list, transition)) || (state != "" && contains(list, state))
}

func trimmed(s string) string { return strings.TrimSpace(s) }

var locCache sync.Map // zone name -> *time.Location

// location is calendar.Location with a cache: loading a zone parses the
// embedded database, far too slow to repeat for every row of a list.
func location(name string) (*time.Location, error) {
	if l, ok := locCache.Load(name); ok {
		return l.(*time.Location), nil
	}
	l, err := calendar.Location(name)
	if err != nil {
		return nil, err
	}
	locCache.Store(name, l)
	return l, nil
}
