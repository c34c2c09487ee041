package casework

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/calendar"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// The toy type exercises the kernel without any real line's rules.
const toy = "toy"

var shanghai, _ = calendar.Location("")

func init() {
	Register(Type{
		Code: toy, Line: "toyline", Name: "测试案件", Abbr: "测调",
		NumberPattern: "（{year}）{org_code}{type_abbr}字第{seq:4}号",
		OrgCode:       func(o org.Org) string { return "川" + o.DivisionCode[2:6] },
		States: []State{
			{Code: "new", Name: "待受理"}, {Code: "working", Name: "办理中"},
			{Code: "suspended", Name: "中止"}, {Code: "closed", Name: "已办结", Final: true},
		},
		Transitions: []Transition{
			{Code: "accept", Name: "受理", From: []string{"new"}, To: "working", Perm: "toyline.edit"},
			{Code: "suspend", Name: "中止", From: []string{"working"}, To: "suspended", Perm: "toyline.edit", Required: []string{"reason"}},
			{Code: "resume", Name: "恢复", From: []string{"suspended"}, To: "working", Perm: "toyline.edit"},
			{Code: "close", Name: "结案", From: []string{"working"}, To: "closed", Perm: "toyline.approve", Required: []string{"result"},
				Check: func(ctx context.Context, c *Case, f map[string]string) error {
					if f["result"] != "ok" && f["result"] != "fail" {
						return &org.FieldError{Field: "result", Message: "结果应为 ok 或 fail"}
					}
					return nil
				}},
		},
		Deadlines: []DeadlineSpec{
			{Code: "intake", Name: "受理期限", StartOn: []string{"new"}, StopOn: []string{"accept"},
				Rule: fixedRule(calendar.Rule{Days: 3, Unit: calendar.CalendarDays, Source: "测试规则一"}), RemindBefore: []int{1}},
			{Code: "handle", Name: "办理期限", StartOn: []string{"accept"}, StopOn: []string{"closed"},
				PauseOn: []string{"suspend"}, ResumeOn: []string{"resume"},
				Rule:         fixedRule(calendar.Rule{Days: 10, Unit: calendar.WorkingDays, Source: "测试规则二"}),
				RemindBefore: []int{3, 1}, EscalateAfterDays: 1},
		},
	})
	OnReminder(func(ctx context.Context, tx *store.Tx, r Reminder) error {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		if sink.fail {
			return errors.New("delivery down")
		}
		sink.got = append(sink.got, r)
		return nil
	})
}

func fixedRule(r calendar.Rule) func(context.Context) (calendar.Rule, error) {
	return func(context.Context) (calendar.Rule, error) { return r, nil }
}

var sink struct {
	mu   sync.Mutex
	got  []Reminder
	fail bool
}

func takeReminders() []Reminder {
	sink.mu.Lock()
	defer sink.mu.Unlock()
	out := sink.got
	sink.got = nil
	return out
}

// world is a small org tree with users and a store on a fixed clock:
// province → city → county A (→ office A1), county B.
type world struct {
	t                        *testing.T
	db                       *store.DB
	s                        *Store
	now                      time.Time
	prov, city, a, a1, b     org.Org
	uA1, uA1b, uA, uB, uCity int64 // users: office A1 (two), county A, county B, city
	scA1, scA, scB, scCity   org.Scope
	orgs                     *org.Store
}

// at is a moment in Shanghai time.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, shanghai)
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{t: t, db: db, orgs: &org.Store{DB: db}, now: at(2026, 3, 2, 10, 0)}
	w.s = &Store{DB: db, Now: func() time.Time { return w.now }}
	mk := func(parent int64, kind org.Kind, name, code string) org.Org {
		o, err := w.orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: kind, Name: name, ShortName: name, DivisionCode: code})
		if err != nil {
			t.Fatalf("org %s: %v", name, err)
		}
		return o
	}
	w.prov = mk(0, org.Province, "四川省司法厅", "510000")
	w.city = mk(w.prov.ID, org.City, "攀枝花市司法局", "510400")
	w.a = mk(w.city.ID, org.County, "东区司法局", "510402")
	w.a1 = mk(w.a.ID, org.Office, "炳草岗司法所", "510402001")
	w.b = mk(w.city.ID, org.County, "西区司法局", "510403")
	w.uA1 = w.user("a1.clerk", w.a1.ID)
	w.uA1b = w.user("a1.second", w.a1.ID)
	w.uA = w.user("a.chief", w.a.ID)
	w.uB = w.user("b.clerk", w.b.ID)
	w.uCity = w.user("city.chief", w.city.ID)
	w.scA1, w.scA, w.scB, w.scCity = org.NewScope(w.a1.Path), org.NewScope(w.a.Path), org.NewScope(w.b.Path), org.NewScope(w.city.Path)
	return w
}

func (w *world) user(name string, orgID int64) int64 {
	w.t.Helper()
	var id int64
	err := w.db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = store.InsertID(context.Background(), tx, `INSERT INTO users (username, display_name, org_id, must_change, created_at, updated_at)
			VALUES (?, ?, ?, FALSE, ?, ?) RETURNING id`, name, name, orgID, time.Now(), time.Now())
		return err
	})
	if err != nil {
		w.t.Fatalf("user %s: %v", name, err)
	}
	return id
}

// as returns a context acting as userID of orgID with perms.
func as(userID, orgID int64, sc org.Scope, perms ...string) context.Context {
	return auth.WithPrincipal(context.Background(), auth.NewPrincipalForTest(userID, orgID, sc, perms...))
}

var allPerms = []string{"toyline.view", "toyline.edit", "toyline.approve"}

func (w *world) clerkA1() context.Context { return as(w.uA1, w.a1.ID, w.scA1, allPerms...) }
func (w *world) chiefA() context.Context  { return as(w.uA, w.a.ID, w.scA, allPerms...) }
func (w *world) clerkB() context.Context  { return as(w.uB, w.b.ID, w.scB, allPerms...) }

// create opens a toy case in office A1 handled by uA1.
func (w *world) create(title string) *Case {
	w.t.Helper()
	var c *Case
	err := w.db.Tx(w.clerkA1(), func(tx *store.Tx) error {
		var err error
		c, err = w.s.Create(w.clerkA1(), tx, w.scA1, toy, w.a1.ID, title, w.uA1)
		return err
	})
	if err != nil {
		w.t.Fatalf("create: %v", err)
	}
	return c
}

// do runs f in a transaction.
func (w *world) do(ctx context.Context, f func(tx *store.Tx) error) error {
	return w.db.Tx(ctx, f)
}

func (w *world) transition(ctx context.Context, sc org.Scope, id int64, code string, fields map[string]string) (*Case, error) {
	var c *Case
	err := w.do(ctx, func(tx *store.Tx) error {
		var err error
		c, err = w.s.Transition(ctx, tx, sc, id, 0, code, fields, "")
		return err
	})
	return c, err
}

func (w *world) mustTransition(ctx context.Context, sc org.Scope, id int64, code string, fields map[string]string) *Case {
	w.t.Helper()
	c, err := w.transition(ctx, sc, id, code, fields)
	if err != nil {
		w.t.Fatalf("transition %s: %v", code, err)
	}
	return c
}

func (w *world) deadline(id int64, code string) Deadline {
	w.t.Helper()
	c, err := w.s.Get(context.Background(), org.System(), id)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, d := range c.Deadlines {
		if d.Code == code && (d.State == DeadlineRunning || d.State == DeadlinePaused) {
			return d
		}
	}
	for _, d := range c.Deadlines {
		if d.Code == code {
			return d
		}
	}
	w.t.Fatalf("no deadline %s on case %d", code, id)
	return Deadline{}
}

func fieldOf(err error) string {
	var fe *org.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return fmt.Sprintf("<not a field error: %v>", err)
}

func isForbidden(err error) bool {
	var fe *auth.ForbiddenError
	return errors.As(err, &fe)
}
