package calendar

import (
	"errors"
	"fmt"
	"time"
)

// Unit says how the days of a period are counted.
type Unit string

const (
	// CalendarDays: every day counts ("N日内").
	CalendarDays Unit = "calendar_days"
	// WorkingDays: only working days of the holiday calendar count ("N个工作日内").
	WorkingDays Unit = "working_days"
)

// Rule is a legal or policy period: Days counted in Unit from an event.
// Source names where the period comes from, e.g. "人民调解法第33条".
type Rule struct {
	Days   int
	Unit   Unit
	Source string
}

// MaxDays bounds a period so a typo cannot make Compute loop for ages.
const MaxDays = 3660

// Validate checks the rule; errors name the field.
func (r Rule) Validate() error {
	if r.Days < 1 || r.Days > MaxDays {
		return fmt.Errorf("days: 期限天数须在1到%d之间（收到 %d）", MaxDays, r.Days)
	}
	if r.Unit != CalendarDays && r.Unit != WorkingDays {
		return fmt.Errorf("unit: 期限单位须为 calendar_days 或 working_days（收到 %q）", r.Unit)
	}
	if r.Source == "" {
		return errors.New("source: 期限须注明依据（法律条文或本地规定）")
	}
	return nil
}

// String reads like the law: "30日（人民调解法第33条）".
func (r Rule) String() string {
	u := "日"
	if r.Unit == WorkingDays {
		u = "个工作日"
	}
	return fmt.Sprintf("%d%s（%s）", r.Days, u, r.Source)
}

// Pause is an interval during which the clock stops (e.g. 中止, waiting
// for documents or a third party's opinion). To is the moment the clock
// resumes; a zero To means it has not resumed yet.
//
// Day granularity: the day the pause starts and every day up to, but not
// including, the day it resumes are not counted. A pause from 3 Sep 10:00
// to 10 Sep 15:00 removes 3–9 Sep (7 calendar days, or the working days
// among them); a pause that starts and ends on the same day removes none.
type Pause struct {
	From time.Time
	To   time.Time
}

// ErrPaused: the deadline cannot be known while a pause is open.
var ErrPaused = errors.New("期限已中止，恢复计算后才能确定到期日")

// Compute returns the due moment of a period that starts with an event at
// start, in the org's zone loc (nil means Asia/Shanghai).
//
// Conventions (民法典第201条、第203条; the Civil Procedure Law's rule on
// periods is the same):
//   - The day of the event is not counted; counting begins the next day.
//   - The period ends at the end of its last day (第203条第2款: 二十四时),
//     represented as 23:59:59.999 local time.
//   - Calendar days: when the last day is a rest day — a holiday of the
//     State Council's arrangement or an ordinary Saturday/Sunday, both
//     法定休假日 — the last day becomes the first working day after it. A
//     make-up working day (调休上班) is a working day and is not moved.
//   - Working days: only working days are counted, so the last day is
//     always one.
//   - Days inside a Pause are not counted; the period is extended by them.
//
// Years without a holiday file count weekends only (see Covered).
func (c *Calendar) Compute(start time.Time, r Rule, loc *time.Location, pauses []Pause) (time.Time, error) {
	if err := r.Validate(); err != nil {
		return time.Time{}, err
	}
	if start.IsZero() {
		return time.Time{}, errors.New("start: 起算时间必填")
	}
	if loc == nil {
		var err error
		if loc, err = Location(""); err != nil {
			return time.Time{}, err
		}
	}
	type span struct {
		from, to Date
		open     bool
	}
	spans := make([]span, 0, len(pauses))
	for i, p := range pauses {
		if p.From.IsZero() {
			return time.Time{}, fmt.Errorf("pauses[%d].from: 中止开始时间必填", i)
		}
		s := span{from: DateIn(p.From, loc), open: p.To.IsZero()}
		if !s.open {
			if p.To.Before(p.From) {
				return time.Time{}, fmt.Errorf("pauses[%d].to: 恢复时间不能早于中止时间", i)
			}
			s.to = DateIn(p.To, loc)
		}
		spans = append(spans, s)
	}
	// paused reports whether d is not counted, and whether an open pause
	// holds it (then no due day exists yet).
	paused := func(d Date) (bool, bool) {
		for _, s := range spans {
			if d.Before(s.from) {
				continue
			}
			if s.open {
				return true, true
			}
			if d.Before(s.to) {
				return true, false
			}
		}
		return false, false
	}
	d := DateIn(start, loc)
	for n, steps := r.Days, 0; n > 0; {
		d = d.AddDays(1)
		if steps++; steps > 4*MaxDays {
			return time.Time{}, errors.New("pauses: 中止期间过长，无法计算期限")
		}
		if p, open := paused(d); open {
			return time.Time{}, ErrPaused
		} else if p {
			continue
		}
		if r.Unit == WorkingDays && !c.IsWorkday(d) {
			continue
		}
		n--
	}
	if r.Unit == CalendarDays {
		d = c.NextWorkday(d)
	}
	return d.End(loc), nil
}

// Status is where a deadline stands at a moment.
type Status string

const (
	OK       Status = "ok"
	DueSoon  Status = "due_soon"
	DueToday Status = "due_today"
	Overdue  Status = "overdue"
)

// Label is the status in Chinese for the UI.
func (s Status) Label() string {
	switch s {
	case DueSoon:
		return "即将到期"
	case DueToday:
		return "今日到期"
	case Overdue:
		return "已逾期"
	}
	return "正常"
}

// Watch sets how statuses are judged: SoonDays is how many calendar days
// before the due day a deadline counts as due soon; Loc is the zone in
// which "today" is judged (nil: Asia/Shanghai).
type Watch struct {
	SoonDays int
	Loc      *time.Location
}

// DefaultWatch flags deadlines three days ahead.
var DefaultWatch = Watch{SoonDays: 3}

// State judges due at now with DefaultWatch.
func State(due, now time.Time) Status { return DefaultWatch.State(due, now) }

// State: overdue once now is past due; due_today when due falls on now's
// local day; due_soon when the due day is at most SoonDays days away;
// otherwise ok.
func (w Watch) State(due, now time.Time) Status {
	if now.After(due) {
		return Overdue
	}
	loc := w.Loc
	if loc == nil {
		loc, _ = Location("")
	}
	days := DateIn(now, loc).DaysUntil(DateIn(due, loc))
	switch {
	case days <= 0:
		return DueToday
	case days <= w.SoonDays:
		return DueSoon
	}
	return OK
}
