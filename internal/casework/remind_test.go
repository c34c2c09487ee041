package casework

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// toyRemind reads its reminder days from a per-org setting the test puts
// in the context, the way a line loads its settings.
const toyRemind = "toyremind"

type remindKey struct{}

// toyNumbered numbers a case with the code of the nearest org that has one.
const toyNumbered = "toynumbered"

func init() {
	Register(Type{
		Code: toyRemind, Line: "toyline", Name: "提醒测试案件", Abbr: "提调",
		NumberPattern: "（{year}）{org_code}{type_abbr}字第{seq:4}号",
		OrgCode:       func(o org.Org) string { return "川" + o.DivisionCode[2:] },
		States:        []State{{Code: "open", Name: "办理中"}, {Code: "held", Name: "中止"}, {Code: "done", Name: "办结", Final: true}},
		Transitions: []Transition{
			{Code: "hold", Name: "中止", From: []string{"open"}, To: "held", Perm: "toyline.edit"},
			{Code: "unhold", Name: "恢复", From: []string{"held"}, To: "open", Perm: "toyline.edit"},
			{Code: "finish", Name: "办结", From: []string{"open"}, To: "done", Perm: "toyline.edit"},
		},
		Deadlines: []DeadlineSpec{{Code: "term", Name: "办理期限", StartOn: []string{"open"}, StopOn: []string{"finish"},
			PauseOn: []string{"hold"}, ResumeOn: []string{"unhold"},
			Rule:         fixedRule(calendar.Rule{Days: 17, Unit: calendar.CalendarDays, Source: "测试规则"}),
			RemindBefore: []int{2}, // ignored: Remind is set
			Remind: func(ctx context.Context) ([]int, error) {
				days, ok := ctx.Value(remindKey{}).([]int)
				if !ok {
					return nil, errors.New("setting not loaded")
				}
				return days, nil
			}}},
	})
	Register(Type{
		Code: toyNumbered, Line: "toyline", Name: "编号测试案件", Abbr: "号调",
		NumberPattern: "（{year}）{org_code}{type_abbr}字第{seq:4}号",
		OrgCode:       func(o org.Org) string { return "川" + o.DivisionCode[2:] },
		NumberOrg: func(chain []org.Org) org.Org {
			for _, o := range chain {
				if o.DivisionCode != "" {
					return o
				}
			}
			return chain[0]
		},
		States: []State{{Code: "open", Name: "办理中"}},
	})
}

func TestRemindDaysKeptOnTheDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db) // Mon 2 March 2026 10:00
		bg := context.Background()
		create := func(days []int) *Case {
			t.Helper()
			ctx := context.WithValue(w.clerkA1(), remindKey{}, days)
			var c *Case
			if err := w.do(ctx, func(tx *store.Tx) error {
				var err error
				c, err = w.s.Create(ctx, tx, w.scA1, toyRemind, w.a1.ID, "提醒天数", w.uA1)
				return err
			}); err != nil {
				t.Fatalf("create with %v: %v", days, err)
			}
			return c
		}
		kept := func(c *Case) string {
			t.Helper()
			var v string
			if err := db.Read().QueryRow(bg, `SELECT remind_days FROM case_deadlines WHERE case_id = ?`, c.ID).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v
		}
		// 17 calendar days from 2 March: due Thursday 19 March.
		seven := create([]int{1, 7, 7})
		if got := kept(seven); got != "7,1" {
			t.Fatalf("kept days %q", got)
		}
		// The setting changes: a case started now reminds at 3 days, the
		// running one keeps 7 and 1.
		three := create([]int{3})
		if got := kept(three); got != "3" {
			t.Fatalf("kept days %q", got)
		}
		none := create(nil)
		if got := kept(none); got != "" {
			t.Fatalf("kept days for none %q", got)
		}
		// A setting out of range refuses to start the deadline.
		ctx := context.WithValue(w.clerkA1(), remindKey{}, []int{400})
		if err := w.do(ctx, func(tx *store.Tx) error {
			_, err := w.s.Create(ctx, tx, w.scA1, toyRemind, w.a1.ID, "坏设置", w.uA1)
			return err
		}); err == nil || !strings.Contains(err.Error(), "400") {
			t.Fatalf("bad days: %v", err)
		}
		takeReminders()
		scan := func(now time.Time) map[int64]string {
			t.Helper()
			if _, err := ScanDeadlines(bg, db, now); err != nil {
				t.Fatal(err)
			}
			out := map[int64]string{}
			for _, r := range takeReminders() {
				out[r.CaseID] += fmt.Sprintf("%s%d", r.Kind, r.DaysBefore)
			}
			return out
		}
		if got := scan(at(2026, 3, 11, 23, 0)); len(got) != 0 {
			t.Fatalf("11 March: %v", got)
		}
		if got := scan(at(2026, 3, 12, 0, 1)); len(got) != 1 || got[seven.ID] != "before7" {
			t.Fatalf("12 March (7 days before): %v", got)
		}
		if got := scan(at(2026, 3, 16, 9, 0)); len(got) != 1 || got[three.ID] != "before3" {
			t.Fatalf("16 March (3 days before): %v", got)
		}
		if got := scan(at(2026, 3, 18, 9, 0)); len(got) != 1 || got[seven.ID] != "before1" {
			t.Fatalf("18 March (1 day before): %v", got)
		}
		if got := scan(at(2026, 3, 19, 9, 0)); len(got) != 3 || got[none.ID] != "today0" || got[seven.ID] != "today0" {
			t.Fatalf("19 March: %v", got)
		}

		// A resumed deadline keeps its days too, whatever the setting says now.
		w.now = at(2026, 4, 1, 10, 0)
		c := create([]int{5})
		w.now = at(2026, 4, 2, 10, 0)
		w.mustTransition(w.clerkA1(), w.scA1, c.ID, "hold", nil)
		w.now = at(2026, 4, 5, 10, 0)
		ctx = context.WithValue(w.clerkA1(), remindKey{}, []int{9})
		w.mustTransition(ctx, w.scA1, c.ID, "unhold", nil)
		d := w.deadline(c.ID, "term")
		// 17 days from 1 April, 3 of them paused: due 21 April; 5 days before is 16 April.
		if !d.DueAt.Equal(calendar.D(2026, 4, 21).End(shanghai)) || kept(c) != "5" {
			t.Fatalf("resumed: due %v days %q", d.DueAt.In(shanghai), kept(c))
		}
		var next time.Time
		if err := db.Read().QueryRow(bg, `SELECT next_remind_at FROM case_deadlines WHERE case_id = ?`, c.ID).Scan(&next); err != nil ||
			!next.Equal(calendar.D(2026, 4, 16).Start(shanghai)) {
			t.Fatalf("next reminder %v %v", next.In(shanghai), err)
		}

		// A row from before the column existed uses the type's static days.
		if _, err := db.Exec(bg, `UPDATE case_deadlines SET remind_days = NULL WHERE case_id = ?`, c.ID); err != nil {
			t.Fatal(err)
		}
		if got := scan(at(2026, 4, 19, 9, 0)); got[c.ID] != "before2" {
			t.Fatalf("legacy row: %v", got)
		}
	})
}

func TestNumberOrgSharesTheSequence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		// A committee without a division code under office A1.
		com, err := w.orgs.Create(context.Background(), org.System(), org.Input{ParentID: w.a1.ID, Kind: org.Committee,
			Name: "炳草岗街道人民调解委员会"})
		if err != nil {
			t.Fatal(err)
		}
		create := func(orgID int64) string {
			t.Helper()
			var c *Case
			if err := w.do(w.clerkA1(), func(tx *store.Tx) error {
				var err error
				c, err = w.s.Create(w.clerkA1(), tx, w.scA1, toyNumbered, orgID, "编号", 0)
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return c.Number
		}
		// The committee numbers with the office's code and sequence, so the
		// two never collide; the default (toy) still numbers per org.
		got := []string{create(com.ID), create(w.a1.ID), create(com.ID)}
		want := []string{"（2026）川0402001号调字第0001号", "（2026）川0402001号调字第0002号", "（2026）川0402001号调字第0003号"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("numbers %v, want %v", got, want)
		}
		if n := w.create("默认").Number; n != "（2026）川0402测调字第0001号" {
			t.Fatalf("default numbering %q", n)
		}
	})
}
