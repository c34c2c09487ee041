package app

import (
	"strings"
	"testing"
	"time"

	"fengqiao/internal/casework"
	"fengqiao/internal/person/leakscan"
)

func TestReminderTitles(t *testing.T) {
	due := time.Date(2026, 2, 16, 15, 59, 59, 0, time.UTC) // 2026-02-16 23:59:59 in Shanghai
	r := casework.Reminder{Kind: casework.RemindBefore, DaysBefore: 3, DeadlineName: "调解期限", DueAt: due, CaseNumber: "（2026）川1902民调字第0012号"}
	got := reminderTitle(r)
	if got != "（2026）川1902民调字第0012号 调解期限：还有3天到期（2026-02-16）" {
		t.Fatalf("title: %q", got)
	}
	for _, k := range []string{casework.RemindToday, casework.RemindOverdue, casework.RemindEscalate, casework.RemindSupervisionEscalated} {
		r.Kind = k
		if s := reminderTitle(r); !strings.Contains(s, r.CaseNumber) || len(leakscan.Scan([]byte(s))) > 0 {
			t.Errorf("%s: %q", k, s)
		}
	}
}
