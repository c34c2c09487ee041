// Package mediation is people's mediation (人民调解), the office's main job:
// the rules with their sources (rules.go), per-county settings, mediation
// committees with their rooms, mediators and their training, dispute
// screening rounds with their findings, the standard mediation documents
// (doctemplates) and the pages that serve them. Cases (intake → agreement
// → follow-up) are built on internal/casework in part 2 and use
// AssignableMediators and SettingsForOrg from here.
//
// Every store method takes the caller's org.Scope
// (principal.ScopeFor("mediation")); records outside it do not exist.
package mediation

import (
	"embed"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

//go:embed migrations
var migrations embed.FS

//go:embed all:templates
var templates embed.FS

//go:embed static
var static embed.FS

//go:embed i18n
var catalogs embed.FS

// Line is the business line code (permissions mediation.view …).
const Line = "mediation"

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("mediation", sub)
	// Person merges re-point mediators to the surviving record.
	person.RegisterReference("med_mediators", "person_id")
	t, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("mediation", t)
	st, _ := fs.Sub(static, "static")
	web.RegisterStatic("mediation", st)
	cat, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(cat); err != nil {
		panic(err)
	}
	view, approve := auth.LinePerm(Line, "view"), auth.LinePerm(Line, "approve")
	web.RegisterNav(
		web.NavItem{Group: "人民调解", Label: "案件登记", Path: "/mediation/cases/new", Perm: auth.LinePerm(Line, "edit"), Order: 196},
		web.NavItem{Group: "人民调解", Label: "调解案件台账", Path: "/mediation/cases", Perm: view, Order: 197},
		web.NavItem{Group: "人民调解", Label: "调解组织", Path: "/mediation/committees", Perm: view, Order: 200},
		web.NavItem{Group: "人民调解", Label: "人民调解员", Path: "/mediation/mediators", Perm: view, Order: 201},
		web.NavItem{Group: "人民调解", Label: "矛盾纠纷排查", Path: "/mediation/screenings", Perm: view, Order: 202},
		web.NavItem{Group: "人民调解", Label: "调解文书", Path: "/mediation/documents", Perm: view, Order: 203},
		web.NavItem{Group: "人民调解", Label: "调解规则设置", Path: "/mediation/settings", Perm: approve, Order: 204},
	)
}

// Store reads and writes mediation data. Persons is the person registry
// (mediators' names, ID numbers and phones live there, encrypted).
type Store struct {
	DB      *store.DB
	Persons *person.Store
	// Kernel is the shared case kernel (app.Cases); nil means one on DB.
	Kernel *casework.Store
}

func (s *Store) cases() *casework.Store {
	if s.Kernel == nil {
		return &casework.Store{DB: s.DB}
	}
	return s.Kernel
}

// Clock is replaceable in tests.
var Clock = func() time.Time { return time.Now().UTC() }

func (s *Store) orgs() *org.Store { return &org.Store{DB: s.DB} }

func fe(field, msg string) error { return &org.FieldError{Field: field, Message: msg} }

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// pathIDs returns the ids of a materialized path "/1/3/7/" in order.
func pathIDs(p string) []int64 {
	var out []int64
	for _, s := range strings.Split(strings.Trim(p, "/"), "/") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func reversed(ids []int64) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

// checkDate validates an optional calendar date; notFuture refuses dates
// after today (Shanghai).
func checkDate(field, label, v string, required, notFuture bool) error {
	if v == "" {
		if required {
			return fe(field, label+"必填")
		}
		return nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return fe(field, label+"应为YYYY-MM-DD格式的有效日期")
	}
	if d.Year() < 1949 {
		return fe(field, label+"不能早于1949年")
	}
	if notFuture && v > Clock().In(web.Shanghai).Format(time.DateOnly) {
		return fe(field, label+"不能晚于今天")
	}
	return nil
}

func tooLong(field, label, v string, n int) error {
	if len([]rune(v)) > n {
		return fe(field, label+"不能超过"+strconv.Itoa(n)+"字")
	}
	return nil
}

// firstErr returns the first non-nil error.
func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
