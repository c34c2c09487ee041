package casework

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/jobs"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func TestRegisterRejectsBadTypes(t *testing.T) {
	rule := fixedRule(calendar.Rule{Days: 1, Unit: calendar.CalendarDays, Source: "x"})
	base := func() Type {
		return Type{Code: "bad", Line: "l", Name: "n", NumberPattern: "{year}-{seq:3}",
			States:      []State{{Code: "a", Name: "A"}, {Code: "b", Name: "B"}},
			Transitions: []Transition{{Code: "go", From: []string{"a"}, To: "b", Perm: "l.edit"}}}
	}
	cases := map[string]func(*Type){
		"unknown To":          func(t *Type) { t.Transitions[0].To = "zz" },
		"unknown From":        func(t *Type) { t.Transitions[0].From = []string{"zz"} },
		"no perm":             func(t *Type) { t.Transitions[0].Perm = "" },
		"no seq":              func(t *Type) { t.NumberPattern = "{year}" },
		"unknown placeholder": func(t *Type) { t.NumberPattern = "{yr}{seq}" },
		"deadline unknown": func(t *Type) {
			t.Deadlines = []DeadlineSpec{{Code: "d", Rule: rule, StartOn: []string{"zz"}, StopOn: []string{"b"}}}
		},
		"pause without resume": func(t *Type) {
			t.Deadlines = []DeadlineSpec{{Code: "d", Rule: rule, StartOn: []string{"a"}, StopOn: []string{"b"}, PauseOn: []string{"go"}}}
		},
		"duplicate": func(t *Type) { t.Code = toy },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			ty := base()
			mutate(&ty)
			defer func() {
				if recover() == nil {
					t.Fatal("Register accepted an invalid type")
				}
			}()
			Register(ty)
		})
	}
}

func TestFormatNumber(t *testing.T) {
	got := FormatNumber("（{year}）{org_code}{type_abbr}字第{seq:4}号", 2026, "东区", "川0402", "民调", 12)
	if want := "（2026）川0402民调字第0012号"; got != want {
		t.Fatalf("got %q want %q", got, want)
	}
	if got := FormatNumber("{org_short}-{seq}", 2026, "东区", "", "", 12345); got != "东区-12345" {
		t.Fatalf("got %q", got)
	}
}

func TestTransitionRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		c := w.create("邻里纠纷一")
		if c.Number != "（2026）川0402测调字第0001号" || c.State != "new" {
			t.Fatalf("created %q in %s", c.Number, c.State)
		}
		if got := Allowed(w.clerkA1(), w.scA1, c); len(got) != 1 || got[0].Code != "accept" {
			t.Fatalf("allowed from new: %v", got)
		}
		// Wrong state: close is not allowed from new.
		_, err := w.transition(w.clerkA1(), w.scA1, c.ID, "close", map[string]string{"result": "ok"})
		var se *StateError
		if !errors.As(err, &se) || se.State != "待受理" {
			t.Fatalf("close from new: %v", err)
		}
		// Missing permission.
		noPerm := as(w.uA1, w.a1.ID, w.scA1, "toyline.view")
		if _, err := w.transition(noPerm, w.scA1, c.ID, "accept", nil); !isForbidden(err) {
			t.Fatalf("accept without edit: %v", err)
		}
		w.mustTransition(w.clerkA1(), w.scA1, c.ID, "accept", nil)
		// Missing required field, then the line's own check.
		if _, err := w.transition(w.clerkA1(), w.scA1, c.ID, "close", map[string]string{"result": "  "}); fieldOf(err) != "result" {
			t.Fatalf("close without result: %v", err)
		}
		if _, err := w.transition(w.clerkA1(), w.scA1, c.ID, "close", map[string]string{"result": "maybe"}); fieldOf(err) != "result" {
			t.Fatalf("close with bad result: %v", err)
		}
		if _, err := w.transition(w.clerkA1(), w.scA1, c.ID, "nope", nil); fieldOf(err) != "transition" {
			t.Fatalf("unknown transition: %v", err)
		}
		// Optimistic lock: a stale version is refused.
		err = w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Transition(w.clerkA1(), tx, w.scA1, c.ID, 1, "suspend", map[string]string{"reason": "等待鉴定"}, "")
			return err
		})
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("stale version: %v", err)
		}
		w.now = w.now.Add(time.Hour)
		closed := w.mustTransition(w.clerkA1(), w.scA1, c.ID, "close", map[string]string{"result": "ok"})
		if closed.ClosedAt.IsZero() || closed.State != "closed" || closed.Version != 3 {
			t.Fatalf("closed case: %+v", closed)
		}
		got, err := w.s.Get(context.Background(), w.scA1, c.ID)
		if err != nil || got.ClosedAt.IsZero() || got.HandlerName != "a1.clerk" {
			t.Fatalf("get closed: %+v %v", got, err)
		}
		for _, d := range got.Deadlines {
			if d.State == DeadlineRunning || d.State == DeadlinePaused {
				t.Fatalf("deadline %s still %s after closing", d.Code, d.State)
			}
		}
		tl, err := w.s.Timeline(context.Background(), w.scA1, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range tl {
			kinds = append(kinds, e.Kind+":"+e.Code)
			if e.ActorUserID != w.uA1 {
				t.Fatalf("event %s actor %d", e.Kind, e.ActorUserID)
			}
		}
		if strings.Join(kinds, ",") != "create:,transition:accept,transition:close" {
			t.Fatalf("timeline %v", kinds)
		}
		if tl[2].Fields["result"] != "ok" || tl[2].KindName() != "结案" || tl[2].FromState != "working" {
			t.Fatalf("close event %+v", tl[2])
		}
		// A line's own timeline entry.
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error { return w.s.Note(w.clerkA1(), tx, w.scA1, c.ID, "Bad-Kind", "x") }); fieldOf(err) != "kind" {
			t.Fatalf("note with bad kind: %v", err)
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error { return w.s.Note(w.clerkA1(), tx, w.scA1, c.ID, "visit", "回访当事人") }); err != nil {
			t.Fatal(err)
		}
		if tl, _ := w.s.Timeline(context.Background(), w.scA1, c.ID); len(tl) != 4 || tl[3].Kind != "visit" || tl[3].Note != "回访当事人" {
			t.Fatalf("timeline after note %+v", tl)
		}
		// Every write was audited, with field names but no values.
		var n int
		var detail string
		if err := db.Read().QueryRow(context.Background(), `SELECT count(*), max(detail) FROM audit_log WHERE action = 'case.transition' AND object_id = ?`,
			itoa(c.ID)).Scan(&n, &detail); err != nil || n != 2 {
			t.Fatalf("audit rows %d %v", n, err)
		}
		if strings.Contains(detail, "ok") && !strings.Contains(detail, "fields=result") {
			t.Fatalf("audit detail %q", detail)
		}
	})
}

func TestDeadlinesPauseAndResume(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // Monday 2 March 2026 10:00
		c := w.create("期限测试")
		// 3 calendar days from 2 March: 3, 4, 5 March.
		if d := w.deadline(c.ID, "intake"); !d.DueAt.Equal(calendar.D(2026, 3, 5).End(shanghai)) || d.Status != calendar.DueSoon {
			t.Fatalf("intake due %v status %s", d.DueAt.In(shanghai), d.Status)
		}
		w.mustTransition(w.clerkA1(), w.scA1, c.ID, "accept", nil)
		if d := w.deadline(c.ID, "intake"); d.State != DeadlineMet || d.MetAt.IsZero() {
			t.Fatalf("intake after accept: %+v", d)
		}
		// 10 working days from 2 March: 3–6, 9–13, 16 March.
		if d := w.deadline(c.ID, "handle"); !d.DueAt.Equal(calendar.D(2026, 3, 16).End(shanghai)) || d.Rule.Unit != calendar.WorkingDays {
			t.Fatalf("handle due %v", d.DueAt.In(shanghai))
		}
		w.now = at(2026, 3, 4, 10, 0)
		w.mustTransition(w.clerkA1(), w.scA1, c.ID, "suspend", map[string]string{"reason": "等待鉴定"})
		if d := w.deadline(c.ID, "handle"); d.State != DeadlinePaused || d.Status != "" {
			t.Fatalf("handle while suspended: %+v", d)
		}
		// Paused deadlines are not due.
		items, _, err := w.s.DueList(context.Background(), w.scA, DueFilter{Status: DueAny, Loc: shanghai})
		if err != nil || len(items) != 0 {
			t.Fatalf("due list while paused: %v %v", items, err)
		}
		// Resume on Monday 9 March: 4–8 March are not counted (3 working
		// days), so the due day moves from 16 to 19 March.
		w.now = at(2026, 3, 9, 15, 0)
		w.mustTransition(w.clerkA1(), w.scA1, c.ID, "resume", nil)
		d := w.deadline(c.ID, "handle")
		if d.State != DeadlineRunning || !d.DueAt.Equal(calendar.D(2026, 3, 19).End(shanghai)) {
			t.Fatalf("handle after resume: %s due %v", d.State, d.DueAt.In(shanghai))
		}
		// Entering "working" again by resume did not start a second one.
		var n int
		if err := db.Read().QueryRow(context.Background(), `SELECT count(*) FROM case_deadlines WHERE case_id = ? AND code = 'handle'`, c.ID).Scan(&n); err != nil || n != 1 {
			t.Fatalf("handle deadlines %d %v", n, err)
		}
	})
}

func TestNumbersUnderConcurrency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := w.clerkA1()
		// A rolled-back creation leaves no gap.
		boom := errors.New("line failed")
		err := db.Tx(ctx, func(tx *store.Tx) error {
			if _, err := w.s.Create(ctx, tx, w.scA1, toy, w.a1.ID, "回滚", 0); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		const n = 50
		var wg sync.WaitGroup
		errs := make(chan error, n)
		nums := make(chan string, n)
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.Tx(ctx, func(tx *store.Tx) error {
					c, err := w.s.Create(ctx, tx, w.scA1, toy, w.a1.ID, fmt.Sprintf("并发%d", i), 0)
					if err == nil {
						nums <- c.Number
					}
					return err
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		close(nums)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for s := range nums {
			got = append(got, s)
		}
		sort.Strings(got)
		if len(got) != n {
			t.Fatalf("%d numbers", len(got))
		}
		for i, s := range got {
			if want := fmt.Sprintf("（2026）川0402测调字第%04d号", i+1); s != want {
				t.Fatalf("number %d = %q, want %q", i, s, want)
			}
		}
		// Another org and another year count on their own.
		w.now = at(2027, 1, 1, 9, 0)
		var c *Case
		ctxB := w.clerkB()
		if err := db.Tx(ctxB, func(tx *store.Tx) error {
			var err error
			c, err = w.s.Create(ctxB, tx, w.scB, toy, w.b.ID, "西区", 0)
			return err
		}); err != nil || c.Number != "（2027）川0403测调字第0001号" {
			t.Fatalf("other org: %v %v", c, err)
		}
	})
}

func TestScopeAndTransfer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bg := context.Background()
		c := w.create("跨区纠纷")
		if _, err := w.s.Get(bg, w.scB, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("county B sees county A's case: %v", err)
		}
		if _, err := w.s.Get(bg, org.Scope{}, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("zero scope sees a case: %v", err)
		}
		if list, total, err := w.s.List(bg, w.scB, Filter{}); err != nil || total != 0 || len(list) != 0 {
			t.Fatalf("B list: %d %v", total, err)
		}
		// B cannot create in A's office or assign A's users.
		if err := w.do(w.clerkB(), func(tx *store.Tx) error {
			_, err := w.s.Create(w.clerkB(), tx, w.scB, toy, w.a1.ID, "越权", 0)
			return err
		}); fieldOf(err) != "org_id" {
			t.Fatalf("create outside scope: %v", err)
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Assign(w.clerkA1(), tx, w.scA1, c.ID, w.uB)
			return err
		}); fieldOf(err) != "handler_user_id" {
			t.Fatalf("assign out-of-scope handler: %v", err)
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Assign(w.clerkA1(), tx, w.scA1, c.ID, w.uA1b)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// Transfer to B: B sees it, may not work on it, returns it.
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Transfer(w.clerkA1(), tx, w.scA1, c.ID, w.b.ID, "")
			return err
		}); fieldOf(err) != "reason" {
			t.Fatalf("transfer without reason: %v", err)
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Transfer(w.clerkA1(), tx, w.scA1, c.ID, w.b.ID, "属西区管辖")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		got, err := w.s.Get(bg, w.scB, c.ID)
		if err != nil || got.TransferOrgID != w.b.ID {
			t.Fatalf("receiver get: %v %v", got, err)
		}
		if _, total, _ := w.s.List(bg, w.scB, Filter{}); total != 1 {
			t.Fatalf("receiver list total %d", total)
		}
		if _, total, _ := w.s.List(bg, w.scB, Filter{IncomingTransfers: true}); total != 1 {
			t.Fatalf("receiver in-tray total %d", total)
		}
		if _, total, _ := w.s.List(bg, w.scA1, Filter{IncomingTransfers: true}); total != 0 {
			t.Fatalf("sender in-tray total %d", total)
		}
		if a := Allowed(w.clerkB(), w.scB, got); len(a) != 0 {
			t.Fatalf("receiver allowed %v", a)
		}
		if _, err := w.transition(w.clerkB(), w.scB, c.ID, "accept", nil); !isForbidden(err) {
			t.Fatalf("receiver transitions before accepting: %v", err)
		}
		if _, err := w.transition(w.clerkA1(), w.scA1, c.ID, "accept", nil); !errors.Is(err, ErrTransferPending) {
			t.Fatalf("sender works during transfer: %v", err)
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.AcceptTransfer(w.clerkA1(), tx, w.scA1, c.ID, "")
			return err
		}); !isForbidden(err) {
			t.Fatalf("sender accepts own transfer: %v", err)
		}
		if err := w.do(w.clerkB(), func(tx *store.Tx) error { return w.s.ReturnTransfer(w.clerkB(), tx, w.scB, c.ID, " ") }); fieldOf(err) != "return_reason" {
			t.Fatalf("return without reason: %v", err)
		}
		if err := w.do(w.clerkB(), func(tx *store.Tx) error {
			return w.s.ReturnTransfer(w.clerkB(), tx, w.scB, c.ID, "当事人住所在东区")
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Get(bg, w.scB, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("B still sees the returned case: %v", err)
		}
		// Second transfer, accepted: B owns it, A1 no longer sees it.
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Transfer(w.clerkA1(), tx, w.scA1, c.ID, w.b.ID, "再次转办")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := w.do(w.clerkB(), func(tx *store.Tx) error {
			got, err := w.s.AcceptTransfer(w.clerkB(), tx, w.scB, c.ID, "接收")
			if err == nil && (got.OrgID != w.b.ID || got.HandlerUserID != 0 || got.TransferOrgID != 0) {
				err = fmt.Errorf("accepted case %+v", got)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.s.Get(bg, w.scA1, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("A1 sees the case it handed over: %v", err)
		}
		w.mustTransition(w.clerkB(), w.scB, c.ID, "accept", nil)
		trs, err := w.s.Transfers(bg, w.scB, c.ID)
		if err != nil || len(trs) != 2 || trs[0].State != TransferReturned || trs[0].ReturnReason != "当事人住所在东区" || trs[1].State != TransferAccepted {
			t.Fatalf("transfers %+v %v", trs, err)
		}
		tl, _ := w.s.Timeline(bg, w.scB, c.ID)
		var kinds []string
		for _, e := range tl {
			kinds = append(kinds, e.Kind)
		}
		if strings.Join(kinds, ",") != "create,reassign,transfer,transfer_return,transfer,transfer_accept,transition" {
			t.Fatalf("timeline %v", kinds)
		}
	})
}

func TestSupervisionAndEscalation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bg := context.Background()
		takeReminders()
		c := w.create("督办案件")
		supervise := func(ctx context.Context, sc org.Scope, due time.Time) (*Supervision, error) {
			var v *Supervision
			err := w.do(ctx, func(tx *store.Tx) error {
				var err error
				v, err = w.s.Supervise(ctx, tx, sc, c.ID, "请加快办理", due)
				return err
			})
			return v, err
		}
		due := at(2026, 3, 5, 17, 0)
		// The owning office itself is not above the case.
		if _, err := supervise(w.clerkA1(), w.scA1, due); !isForbidden(err) {
			t.Fatalf("office supervises itself: %v", err)
		}
		if _, err := supervise(w.clerkB(), w.scB, due); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("other county supervises: %v", err)
		}
		editOnly := as(w.uA, w.a.ID, w.scA, "toyline.view", "toyline.edit")
		if _, err := supervise(editOnly, w.scA, due); !isForbidden(err) {
			t.Fatalf("supervise without approve: %v", err)
		}
		if _, err := supervise(w.chiefA(), w.scA, w.now.Add(-time.Hour)); fieldOf(err) != "due_at" {
			t.Fatalf("due in the past: %v", err)
		}
		v1, err := supervise(w.chiefA(), w.scA, due)
		if err != nil {
			t.Fatal(err)
		}
		v2, err := supervise(w.chiefA(), w.scA, at(2026, 3, 4, 17, 0))
		if err != nil {
			t.Fatal(err)
		}
		// The reply due date is one of the case's deadlines, and listed for
		// the supervising county.
		items, _, err := w.s.DueList(bg, w.scA, DueFilter{Status: DueAny, Loc: shanghai})
		if err != nil {
			t.Fatal(err)
		}
		var sup int
		for _, it := range items {
			if it.SupervisionID != 0 {
				sup++
			}
		}
		if sup != 2 {
			t.Fatalf("supervision deadlines in due list: %d of %d", sup, len(items))
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error { return w.s.ReplySupervision(w.clerkA1(), tx, w.scA1, v1.ID, "") }); fieldOf(err) != "reply" {
			t.Fatalf("empty reply: %v", err)
		}
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			return w.s.ReplySupervision(w.clerkA1(), tx, w.scA1, v1.ID, "已约谈双方")
		}); err != nil {
			t.Fatal(err)
		}
		// v2 runs overdue: escalated once, to the city above county A.
		now := at(2026, 3, 5, 9, 0)
		n, err := EscalateOverdueSupervisions(bg, db, now)
		if err != nil || n != 1 {
			t.Fatalf("escalate: %d %v", n, err)
		}
		if n, err := EscalateOverdueSupervisions(bg, db, now.Add(time.Hour)); err != nil || n != 0 {
			t.Fatalf("escalate again: %d %v", n, err)
		}
		rs := takeReminders()
		if len(rs) != 1 || rs[0].Kind != RemindSupervisionEscalated || rs[0].ToOrgID != w.city.ID || rs[0].SupervisionID != v2.ID ||
			rs[0].CaseNumber != c.Number || rs[0].Line != "toyline" {
			t.Fatalf("escalation reminders %+v", rs)
		}
		if cs, total, err := w.s.List(bg, w.scA, Filter{Supervised: true}); err != nil || total != 1 || cs[0].ID != c.ID {
			t.Fatalf("supervised list %d %v", total, err)
		}
		vs, err := w.s.Supervisions(bg, w.scCity, c.ID)
		if err != nil || len(vs) != 2 || vs[0].State != SupervisionReplied || vs[0].Reply != "已约谈双方" ||
			vs[1].EscalatedTo != w.city.ID || vs[1].EscalatedAt.IsZero() || !vs[1].Overdue(now) {
			t.Fatalf("supervisions %+v %v", vs, err)
		}
	})
}

func TestDueListForHandlerAndSupervisor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // Mon 2 March 10:00; intake due Thu 5 March
		bg := context.Background()
		early := w.create("早的")
		w.now = at(2026, 3, 3, 10, 0) // intake due Fri 6 March
		late := w.create("晚的")
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			_, err := w.s.Assign(w.clerkA1(), tx, w.scA1, late.ID, w.uA1b)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		ctxB := w.clerkB()
		if err := w.do(ctxB, func(tx *store.Tx) error {
			_, err := w.s.Create(ctxB, tx, w.scB, toy, w.b.ID, "西区的", w.uB)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		list := func(sc org.Scope, f DueFilter) []string {
			t.Helper()
			f.Loc = shanghai
			items, total, err := w.s.DueList(bg, sc, f)
			if err != nil {
				t.Fatal(err)
			}
			if total != len(items) {
				t.Fatalf("total %d, %d items", total, len(items))
			}
			var out []string
			for _, it := range items {
				out = append(out, it.Title+"/"+string(it.Status))
			}
			return out
		}
		// Thursday 5 March 12:00: early is due today, late due tomorrow.
		w.now = at(2026, 3, 5, 12, 0)
		if got := list(w.scA1, DueFilter{HandlerID: w.uA1}); strings.Join(got, ",") != "早的/due_today" {
			t.Fatalf("handler A1 list %v", got)
		}
		if got := list(w.scA, DueFilter{}); strings.Join(got, ",") != "早的/due_today,晚的/due_soon" {
			t.Fatalf("county A list %v", got)
		}
		if got := list(w.scCity, DueFilter{Status: DueSoon}); strings.Join(got, ",") != "晚的/due_soon,西区的/due_soon" {
			t.Fatalf("city soon list %v", got)
		}
		if got := list(w.scCity, DueFilter{OrgID: w.b.ID}); strings.Join(got, ",") != "西区的/due_soon" {
			t.Fatalf("city list narrowed to B %v", got)
		}
		// Saturday: early and late are overdue.
		w.now = at(2026, 3, 7, 9, 0)
		if got := list(w.scA, DueFilter{Status: DueOverdue}); strings.Join(got, ",") != "早的/overdue,晚的/overdue" {
			t.Fatalf("county A overdue %v", got)
		}
		if got := list(w.scB, DueFilter{Status: DueToday}); len(got) != 0 {
			t.Fatalf("B today %v", got)
		}
		if _, _, err := w.s.DueList(bg, w.scA, DueFilter{Status: "later"}); fieldOf(err) != "due" {
			t.Fatalf("bad status: %v", err)
		}
		// List by due status and text.
		cs, total, err := w.s.List(bg, w.scA, Filter{Due: DueOverdue, Type: toy, State: "new"})
		if err != nil || total != 2 || len(cs) != 2 || cs[0].ID != late.ID {
			t.Fatalf("list overdue %d %v", total, err)
		}
		if cs, _, _ := w.s.List(bg, w.scA, Filter{Query: early.Number}); len(cs) != 1 || cs[0].ID != early.ID {
			t.Fatalf("list by number %v", cs)
		}
		if cs, _, _ := w.s.List(bg, w.scA, Filter{Query: "字第0002"}); len(cs) != 1 || cs[0].ID != late.ID {
			t.Fatalf("list by part of a number %v", cs)
		}
		if cs, total, _ := w.s.List(bg, w.scCity, Filter{Limit: 1, Offset: 1}); total != 3 || len(cs) != 1 || cs[0].ID != late.ID {
			t.Fatalf("second page %v of %d", cs, total)
		}
		if cs, _, _ := w.s.List(bg, w.scCity, Filter{Query: "晚"}); len(cs) != 1 || cs[0].ID != late.ID {
			t.Fatalf("list by title %v", cs)
		}
	})
}

func TestScanDeadlinesFiresEachReminderOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // Mon 2 March 10:00
		bg := context.Background()
		c := w.create("提醒测试") // intake due Thu 5 March, remind 1 day before
		w.mustTransition(w.clerkA1(), w.scA1, c.ID, "accept", nil)
		// handle: due Mon 16 March; reminders 13 (3 days), 15 (1 day), 16, overdue 17, escalate 18.
		takeReminders()
		scan := func(now time.Time) []string {
			t.Helper()
			n, err := ScanDeadlines(bg, db, now)
			if err != nil {
				t.Fatal(err)
			}
			rs := takeReminders()
			if n != len(rs) {
				t.Fatalf("ScanDeadlines said %d, delivered %d", n, len(rs))
			}
			var out []string
			for _, r := range rs {
				s := r.Kind
				if r.Kind == RemindBefore {
					s += fmt.Sprint(r.DaysBefore)
				}
				if r.ToUserID != 0 {
					s += "→user"
				} else {
					s += fmt.Sprintf("→org%d", r.ToOrgID)
				}
				out = append(out, s)
			}
			return out
		}
		if got := scan(at(2026, 3, 12, 9, 0)); len(got) != 0 {
			t.Fatalf("12 March: %v", got)
		}
		for _, now := range []time.Time{at(2026, 3, 13, 8, 0), at(2026, 3, 13, 9, 0)} {
			got := scan(now)
			if now.Hour() == 8 && strings.Join(got, ",") != "before3→user" {
				t.Fatalf("13 March: %v", got)
			}
			if now.Hour() == 9 && len(got) != 0 {
				t.Fatalf("13 March again: %v", got)
			}
		}
		// The scan missed 15 and 16 March: only the latest stage fires.
		if got := scan(at(2026, 3, 16, 20, 0)); strings.Join(got, ",") != "today→user" {
			t.Fatalf("16 March: %v", got)
		}
		// A failing delivery rolls back: the reminder is not lost.
		sink.mu.Lock()
		sink.fail = true
		sink.mu.Unlock()
		if _, err := ScanDeadlines(bg, db, at(2026, 3, 17, 1, 0)); err == nil {
			t.Fatal("failing hook not reported")
		}
		sink.mu.Lock()
		sink.fail = false
		sink.mu.Unlock()
		if got := scan(at(2026, 3, 17, 1, 0)); strings.Join(got, ",") != "overdue→user" {
			t.Fatalf("17 March: %v", got)
		}
		if got := scan(at(2026, 3, 18, 1, 0)); strings.Join(got, ",") != fmt.Sprintf("escalate→org%d", w.a.ID) {
			t.Fatalf("18 March: %v", got)
		}
		for _, now := range []time.Time{at(2026, 3, 18, 2, 0), at(2026, 4, 30, 2, 0)} {
			if got := scan(now); len(got) != 0 {
				t.Fatalf("after all stages: %v", got)
			}
		}
		var sent int
		if err := db.Read().QueryRow(bg, `SELECT count(*) FROM case_reminders_sent`).Scan(&sent); err != nil || sent != 4 {
			t.Fatalf("sent rows %d %v", sent, err)
		}
		// An unassigned case reminds its org; a met deadline reminds nobody.
		w.now = at(2026, 3, 2, 10, 0)
		var u *Case
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			var err error
			u, err = w.s.Create(w.clerkA1(), tx, w.scA1, toy, w.a1.ID, "无人承办", 0)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if got := scan(at(2026, 3, 4, 9, 0)); strings.Join(got, ",") != fmt.Sprintf("before1→org%d", w.a1.ID) {
			t.Fatalf("unassigned: %v", got)
		}
		w.mustTransition(w.clerkA1(), w.scA1, u.ID, "accept", nil)
		if got := scan(at(2026, 3, 6, 9, 0)); len(got) != 0 {
			t.Fatalf("met deadline reminded: %v", got)
		}
	})
}

func TestFeedbackTokenSingleUse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		bg := context.Background()
		c := w.create("评价测试")
		timeNow = func() time.Time { return w.now.Add(time.Hour) }
		defer func() { timeNow = time.Now }()
		var tok string
		if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
			var err error
			tok, err = w.s.NewFeedbackLink(w.clerkA1(), tx, w.scA1, c.ID)
			return err
		}); err != nil || len(tok) < 30 {
			t.Fatalf("link %q %v", tok, err)
		}
		if err := w.do(w.clerkB(), func(tx *store.Tx) error {
			_, err := w.s.NewFeedbackLink(w.clerkB(), tx, w.scB, c.ID)
			return err
		}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("link out of scope: %v", err)
		}
		if err := SubmitFeedback(bg, db, "nonsense", 5, ""); !errors.Is(err, ErrFeedbackInvalid) {
			t.Fatalf("bad token: %v", err)
		}
		if err := SubmitFeedback(bg, db, tok, 0, ""); fieldOf(err) != "rating" {
			t.Fatalf("rating 0: %v", err)
		}
		if err := SubmitFeedback(bg, db, tok, 4, "调解员很耐心"); err != nil {
			t.Fatal(err)
		}
		if err := SubmitFeedback(bg, db, tok, 1, "改评"); !errors.Is(err, ErrFeedbackUsed) {
			t.Fatalf("second use: %v", err)
		}
		var rating, attempts int
		if err := db.Read().QueryRow(bg, `SELECT rating, attempts FROM case_feedback WHERE case_id = ?`, c.ID).Scan(&rating, &attempts); err != nil ||
			rating != 4 || attempts != 3 {
			t.Fatalf("stored rating %d attempts %d %v", rating, attempts, err)
		}
		// Attempts lock a link that is hammered with bad input.
		var tok2 string
		_ = w.do(w.clerkA1(), func(tx *store.Tx) error {
			var err error
			tok2, err = w.s.NewFeedbackLink(w.clerkA1(), tx, w.scA1, c.ID)
			return err
		})
		for i := 0; i < MaxFeedbackAttempts; i++ {
			_ = SubmitFeedback(bg, db, tok2, 9, "")
		}
		if err := SubmitFeedback(bg, db, tok2, 5, ""); !errors.Is(err, ErrFeedbackAttempts) {
			t.Fatalf("after %d attempts: %v", MaxFeedbackAttempts, err)
		}
		// A link past its lifetime is refused.
		var tok3 string
		_ = w.do(w.clerkA1(), func(tx *store.Tx) error {
			var err error
			tok3, err = w.s.NewFeedbackLink(w.clerkA1(), tx, w.scA1, c.ID)
			return err
		})
		timeNow = func() time.Time { return w.now.Add(FeedbackTTL + time.Hour) }
		if err := SubmitFeedback(bg, db, tok3, 5, ""); !errors.Is(err, ErrFeedbackInvalid) {
			t.Fatalf("expired link: %v", err)
		}
		st, err := w.s.FeedbackStats(bg, w.scCity, FeedbackFilter{Type: toy})
		if err != nil || st.Links != 3 || st.Rated != 1 || st.ByRating[4] != 1 || st.Average != 4 {
			t.Fatalf("stats %+v %v", st, err)
		}
		if st, _ := w.s.FeedbackStats(bg, w.scB, FeedbackFilter{}); st.Links != 0 {
			t.Fatalf("B stats %+v", st)
		}
		tl, _ := w.s.Timeline(bg, w.scA1, c.ID)
		if len(tl) != 5 || tl[1].Kind != "feedback_link" || tl[2].Kind != "feedback" || tl[2].ActorUserID != 0 || tl[2].Fields["rating"] != "4" {
			t.Fatalf("timeline %+v", tl)
		}
	})
}

func TestScheduleRunsTheScan(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // the case's deadlines lie in March 2026, long past by the wall clock
		c := w.create("定时扫描")
		takeReminders()
		r := jobs.NewRunner(db, jobs.Config{Poll: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		Schedule(r, db, 100*time.Millisecond)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(ctx) }()
		deadline := time.Now().Add(10 * time.Second)
		var got []Reminder
		for len(got) < 2 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			got = append(got, takeReminders()...)
		}
		cancel()
		<-done
		if len(got) != 2 || got[0].CaseID != c.ID || got[0].Kind != RemindOverdue || got[1].Kind != RemindEscalate {
			t.Fatalf("scheduled scan delivered %+v", got)
		}
	})
}

func TestReminderStages(t *testing.T) {
	due := calendar.D(2026, 3, 3).End(shanghai)
	var got []string
	for _, s := range stagesOf(at(2026, 3, 2, 10, 0), due, shanghai, []int{3, 1}, 2, true) {
		got = append(got, fmt.Sprintf("%s%d@%s", s.kind, s.days, s.at.In(shanghai).Format("01-02 15:04")))
	}
	// No "3 days before" for a deadline that started 1 day before its due day.
	if want := "before1@03-02 00:00,today0@03-03 00:00,overdue0@03-04 00:00,escalate0@03-06 00:00"; strings.Join(got, ",") != want {
		t.Fatalf("stages %v", got)
	}
}
