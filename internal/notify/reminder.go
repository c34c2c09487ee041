package notify

import (
	"context"
	"fmt"
	"slices"

	"fengqiao/internal/calendar"
	"fengqiao/internal/store"
)

// ReminderPolicy says when a deadline is reminded: Before lists days ahead
// (e.g. 3 and 1), OnDay the deadline itself, Overdue every day after it;
// from EscalateAfter days overdue (0 = never) the supervising org is told
// too, once per deadline.
type ReminderPolicy struct {
	Before        []int
	OnDay         bool
	Overdue       bool
	EscalateAfter int
}

// DefaultReminders: 3 days and 1 day before, on the day, and daily when
// overdue; the supervising org from the first overdue day.
var DefaultReminders = ReminderPolicy{Before: []int{3, 1}, OnDay: true, Overdue: true, EscalateAfter: 1}

// Validate checks the policy; errors name the field.
func (p ReminderPolicy) Validate() error {
	for _, d := range p.Before {
		if d < 1 || d > 90 {
			return &FieldError{"before", fmt.Sprintf("提前提醒天数须在1到90之间（收到 %d）", d)}
		}
	}
	if p.EscalateAfter < 0 || p.EscalateAfter > 365 {
		return &FieldError{"escalate_after", "超期上报天数须在0到365之间"}
	}
	return nil
}

// Reminder kinds.
const (
	KindBefore    = "reminder.before"
	KindDue       = "reminder.due"
	KindOverdue   = "reminder.overdue"
	KindEscalated = "reminder.escalated"
)

// Stage is what is due on a day for a deadline: Days is days left
// (Before), 0 (Due) or days overdue (Overdue).
type Stage struct {
	Kind     string
	Days     int
	Escalate bool
}

// StageOn returns the reminder due on today for deadline, if any.
func (p ReminderPolicy) StageOn(deadline, today calendar.Date) (Stage, bool) {
	left := today.DaysUntil(deadline)
	switch {
	case left > 0 && slices.Contains(p.Before, left):
		return Stage{Kind: KindBefore, Days: left}, true
	case left == 0 && p.OnDay:
		return Stage{Kind: KindDue}, true
	case left < 0 && p.Overdue:
		return Stage{Kind: KindOverdue, Days: -left, Escalate: p.EscalateAfter > 0 && -left >= p.EscalateAfter}, true
	}
	return Stage{}, false
}

// Reminder describes one deadline of one business record.
type Reminder struct {
	Object   string        // stable key of the record, e.g. "mediation_case:42"
	Deadline calendar.Date // the last day
	Today    calendar.Date // in the org's time zone
	// HandlerID is the user in charge (0: the org's users holding Perm).
	HandlerID int64
	OrgID     int64  // the record's org
	Perm      string // for org-wide reminders, e.g. "mediation.edit"
	// SupervisorOrgID and SupervisorPerm receive escalations.
	SupervisorOrgID int64
	SupervisorPerm  string
	Title           string // safe: a number and a subject, no names
	Link            string
}

// Remind sends what policy p makes due today for r, in tx. It is
// idempotent per record, deadline, stage and day, so a periodic scan may
// run it as often as it likes. It returns how many notifications were new.
func Remind(ctx context.Context, tx *store.Tx, p ReminderPolicy, r Reminder) (int, error) {
	st, ok := p.StageOn(r.Deadline, r.Today)
	if !ok {
		return 0, nil
	}
	var suffix string
	switch st.Kind {
	case KindBefore:
		suffix = fmt.Sprintf("：还有%d天到期（%s）", st.Days, r.Deadline)
	case KindDue:
		suffix = fmt.Sprintf("：今天到期（%s）", r.Deadline)
	case KindOverdue:
		suffix = fmt.Sprintf("：已超期%d天（期限 %s）", st.Days, r.Deadline)
	}
	key := fmt.Sprintf("remind:%s:%s:%s:%s", r.Object, r.Deadline, st.Kind, r.Today)
	m := Message{Kind: st.Kind, Title: r.Title + suffix, Link: r.Link, DedupeKey: key}
	if r.HandlerID != 0 {
		m.UserID, m.OrgID = r.HandlerID, r.OrgID
	} else {
		m.OrgID, m.Perm = r.OrgID, r.Perm
	}
	n := 0
	id, err := Send(ctx, tx, m)
	if err != nil {
		return 0, err
	}
	if id != 0 {
		n++
	}
	if st.Escalate && r.SupervisorOrgID != 0 {
		id, err := Send(ctx, tx, Message{OrgID: r.SupervisorOrgID, Perm: r.SupervisorPerm, Kind: KindEscalated,
			Title: r.Title + suffix + "，请督办", Link: r.Link,
			DedupeKey: fmt.Sprintf("remind:%s:%s:%s", r.Object, r.Deadline, KindEscalated)})
		if err != nil {
			return n, err
		}
		if id != 0 {
			n++
		}
	}
	return n, nil
}
