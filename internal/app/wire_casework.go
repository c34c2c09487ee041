package app

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"fengqiao/internal/calendar"
	"fengqiao/internal/casework"
	"fengqiao/internal/notify"
	"fengqiao/internal/store"
)

// openCasework schedules the deadline scan and supervision escalation on
// the job runner and delivers the reminders it finds through notify
// (inbox and webhooks). casework decides when a reminder is due; notify
// only delivers.
func (a *App) openCasework() error {
	// Holiday calendars ship for the years the State Council has
	// announced; a deployment adds or corrects a year in custom/calendar.
	cal, err := calendar.Load(filepath.Join(a.Cfg.CustomDir, "calendar"))
	if err != nil {
		return fmt.Errorf("holiday calendar: %w", err)
	}
	if years := cal.Unverified(); len(years) > 0 {
		a.Log.Warn("holiday calendar years not verified against the State Council notice", "years", years)
	}
	a.Calendar = cal
	a.Cases = &casework.Store{DB: a.DB, Cal: cal}
	casework.Schedule(a.Jobs, a.DB, 15*time.Minute)
	// The hook list is package-wide and the hook needs no App: add it once
	// however many Apps a process opens (tests open many).
	reminderOnce.Do(func() { casework.OnReminder(deliverReminder) })
	return nil
}

var reminderOnce sync.Once

func deliverReminder(ctx context.Context, tx *store.Tx, r casework.Reminder) error {
	m := notify.Message{Kind: "deadline." + r.Kind, Title: reminderTitle(r), DedupeKey: r.Key(),
		Link: "/" + r.Line + "/cases/" + strconv.FormatInt(r.CaseID, 10)}
	if r.ToUserID != 0 {
		m.UserID = r.ToUserID
	} else {
		m.OrgID, m.Perm = r.ToOrgID, r.Line+".edit"
	}
	_, err := notify.Send(ctx, tx, m)
	return err
}

// reminderTitle uses the case number and the deadline's name only: no
// names of persons, since titles also leave the system by webhook.
func reminderTitle(r casework.Reminder) string {
	due := r.DueAt.In(shanghai()).Format("2006-01-02")
	switch r.Kind {
	case casework.RemindBefore:
		return fmt.Sprintf("%s %s：还有%d天到期（%s）", r.CaseNumber, r.DeadlineName, r.DaysBefore, due)
	case casework.RemindToday:
		return fmt.Sprintf("%s %s：今天到期", r.CaseNumber, r.DeadlineName)
	case casework.RemindOverdue:
		return fmt.Sprintf("%s %s：已超期（期限 %s）", r.CaseNumber, r.DeadlineName, due)
	case casework.RemindEscalate:
		return fmt.Sprintf("督办提醒：下级案件 %s %s 已超期（期限 %s）", r.CaseNumber, r.DeadlineName, due)
	case casework.RemindSupervisionEscalated:
		return fmt.Sprintf("督办升级：案件 %s 的督办回复已超期", r.CaseNumber)
	}
	return fmt.Sprintf("%s %s", r.CaseNumber, r.DeadlineName)
}

func shanghai() *time.Location {
	if l, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return l
	}
	return time.FixedZone("CST", 8*3600)
}
