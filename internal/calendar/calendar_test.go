package calendar

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var sh = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func d(s string) Date {
	x, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return x
}

// at is a local Shanghai time "YYYY-MM-DD HH:MM".
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
	if err != nil {
		panic(err)
	}
	return t
}

func TestEmbeddedYears(t *testing.T) {
	c := Embedded()
	for _, y := range []int{2025, 2026} {
		if !c.Covered(y) {
			t.Errorf("year %d not covered", y)
		}
	}
	if !c.Covers(d("2025-12-20"), d("2026-01-10")) || c.Covers(d("2026-12-20"), d("2027-01-10")) {
		t.Error("Covers across the year boundary")
	}
	if c.Covered(2024) || c.Covered(2027) {
		t.Error("2024/2027 must not be covered without a file")
	}
	if u := c.Unverified(); len(u) != 0 {
		t.Errorf("embedded years not marked verified: %v", u)
	}
	if !strings.Contains(c.Source(2025), "国办发明电〔2024〕12号") || !strings.Contains(c.Source(2026), "国办发明电〔2025〕7号") {
		t.Errorf("sources: %q / %q", c.Source(2025), c.Source(2026))
	}
}

// Each holiday period and make-up day of the two notices, day by day.
func TestIsWorkdayNotices(t *testing.T) {
	c := Embedded()
	cases := []struct {
		day  string
		work bool
		why  string
	}{
		// 国办发明电〔2024〕12号 (2025)
		{"2025-01-01", false, "元旦"},
		{"2025-01-26", true, "春节调休上班（周日）"},
		{"2025-01-27", true, "春节前周一"},
		{"2025-01-28", false, "春节首日（除夕）"},
		{"2025-02-04", false, "春节末日"},
		{"2025-02-05", true, "春节后首个工作日"},
		{"2025-02-08", true, "春节调休上班（周六）"},
		{"2025-02-09", false, "普通周日"},
		{"2025-04-04", false, "清明节"},
		{"2025-04-06", false, "清明节（周日）"},
		{"2025-04-07", true, "清明后周一"},
		{"2025-04-27", true, "劳动节调休上班（周日）"},
		{"2025-05-05", false, "劳动节末日（周一）"},
		{"2025-05-06", true, "劳动节后"},
		{"2025-06-02", false, "端午节（周一）"},
		{"2025-09-28", true, "国庆调休上班（周日）"},
		{"2025-09-30", true, "国庆前"},
		{"2025-10-01", false, "国庆首日"},
		{"2025-10-06", false, "中秋节"},
		{"2025-10-08", false, "国庆末日"},
		{"2025-10-09", true, "国庆后首个工作日"},
		{"2025-10-11", true, "国庆调休上班（周六）"},
		{"2025-10-12", false, "普通周日"},
		// 国办发明电〔2025〕7号 (2026)
		{"2026-01-02", false, "元旦（周五）"},
		{"2026-01-03", false, "元旦（周六）"},
		{"2026-01-04", true, "元旦调休上班（周日）"},
		{"2026-02-13", true, "春节前周五"},
		{"2026-02-14", true, "春节调休上班（周六）"},
		{"2026-02-15", false, "春节首日（腊月二十八）"},
		{"2026-02-17", false, "春节（正月初一）"},
		{"2026-02-23", false, "春节末日（正月初七）"},
		{"2026-02-24", true, "春节后首个工作日"},
		{"2026-02-28", true, "春节调休上班（周六）"},
		{"2026-03-01", false, "普通周日"},
		{"2026-04-06", false, "清明节（周一）"},
		{"2026-05-05", false, "劳动节末日（周二）"},
		{"2026-05-09", true, "劳动节调休上班（周六）"},
		{"2026-06-19", false, "端午节（周五）"},
		{"2026-09-20", true, "国庆调休上班（周日）"},
		{"2026-09-25", false, "中秋节（周五）"},
		{"2026-10-07", false, "国庆末日（周三）"},
		{"2026-10-08", true, "国庆后首个工作日"},
		{"2026-10-10", true, "国庆调休上班（周六）"},
		// Uncovered year: weekends only.
		{"2027-01-01", true, "2027年无文件：周五按工作日"},
		{"2027-01-02", false, "2027年无文件：周六休息"},
	}
	for _, tc := range cases {
		if got := c.IsWorkday(d(tc.day)); got != tc.work {
			t.Errorf("%s %s: IsWorkday = %v, want %v", tc.day, tc.why, got, tc.work)
		}
	}
	// Totals of days off per notice: 2025 has 28 listed days, 2026 has 33.
	for y, want := range map[int]int{2025: 28, 2026: 33} {
		n := 0
		for x := D(y, 1, 1); x.Year == y; x = x.AddDays(1) {
			if c.IsHoliday(x) {
				n++
			}
		}
		if n != want {
			t.Errorf("%d: %d holiday days, want %d", y, n, want)
		}
	}
}

func TestAddWorkdays(t *testing.T) {
	c := Embedded()
	cases := []struct {
		from string
		n    int
		want string
	}{
		{"2026-02-13", 1, "2026-02-14"}, // make-up Saturday counts
		{"2026-02-13", 2, "2026-02-24"}, // 春节 2026 skipped whole
		{"2026-02-13", 5, "2026-02-27"},
		{"2025-09-26", 1, "2025-09-28"}, // Sat off, Sun make-up
		{"2025-09-30", 1, "2025-10-09"}, // 国庆 2025 skipped
		{"2025-09-30", 2, "2025-10-10"},
		{"2025-09-30", 3, "2025-10-11"}, // make-up Saturday
		{"2025-10-09", -1, "2025-09-30"},
		{"2025-10-09", 0, "2025-10-09"},
		{"2027-01-01", 1, "2027-01-04"}, // uncovered year: weekends only
	}
	for _, tc := range cases {
		if got := c.AddWorkdays(d(tc.from), tc.n); got != d(tc.want) {
			t.Errorf("AddWorkdays(%s, %d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
	if got := c.AddDays(d("2025-12-30"), 3); got != d("2026-01-02") {
		t.Errorf("AddDays across the year = %s", got)
	}
	if got := c.Workdays(d("2026-02-13"), d("2026-02-28")); got != 6 {
		t.Errorf("Workdays(02-13, 02-28] = %d, want 6 (14, 24–27, 28)", got)
	}
}

// Every rule names its source; expectations are worked out by hand from
// the notices and 民法典第201条（首日不计入）、第203条（末日遇法定休假日顺延）.
func TestCompute(t *testing.T) {
	c := Embedded()
	var (
		confirm   = Rule{30, CalendarDays, "人民调解法第33条（司法确认申请期限30日）"}
		legalAid  = Rule{7, CalendarDays, "法律援助法第43条（审查决定7日）"}
		labour    = Rule{15, CalendarDays, "劳动争议调解仲裁法第14条（调解期限15日）"}
		govInfo   = Rule{20, WorkingDays, "政府信息公开条例第33条（答复期限20个工作日）"}
		fiveWork  = Rule{5, WorkingDays, "本地规定：受理后5个工作日内分派"}
		weekRule  = Rule{7, CalendarDays, "民法典第201条、第203条（示例：7日期限）"}
		oneDay    = Rule{1, CalendarDays, "民法典第201条（开始当日不计入）"}
		oneWorkDy = Rule{1, WorkingDays, "本地规定：1个工作日内登记"}
	)
	cases := []struct {
		name   string
		start  time.Time
		rule   Rule
		pauses []Pause
		want   string // last day, local
	}{
		{"第201条：开始当日不计入", at("2025-03-03 09:00"), oneDay, nil, "2025-03-04"},
		{"第203条：末日为普通周日顺延至周一", at("2025-03-02 10:00"), weekRule, nil, "2025-03-10"},
		{"第203条：末日落在2026春节假期顺延至节后", at("2026-01-20 10:00"), confirm, nil, "2026-02-24"},
		{"第203条：末日落在2025国庆假期顺延至节后", at("2025-09-26 10:00"), legalAid, nil, "2025-10-09"},
		{"第203条：末日为调休上班日（周六）不顺延", at("2025-09-26 10:00"), labour, nil, "2025-10-11"},
		{"末日为2026春节调休上班日（周六）不顺延", at("2026-01-29 10:00"), confirm, nil, "2026-02-28"},
		{"工作日：2026春节前起算跳过整个假期", at("2026-02-13 16:00"), fiveWork, nil, "2026-02-27"},
		{"工作日：2026春节含两个调休周六", at("2026-02-10 09:00"), govInfo, nil, "2026-03-16"},
		{"工作日：2025国庆", at("2025-09-26 10:00"), fiveWork, nil, "2025-10-10"},
		{"工作日：节假日当天发生的事件", at("2025-10-03 10:00"), oneWorkDy, nil, "2025-10-09"},
		// The org's zone decides the day: 17:30 UTC is 01:30 next day in Shanghai.
		{"时区：按机构所在时区确定起算日", time.Date(2025, 9, 25, 17, 30, 0, 0, time.UTC), fiveWork, nil, "2025-10-10"},
		{"中止：政府信息公开条例第33条第3款（征求第三方意见时间不计入）", at("2025-09-01 09:00"), govInfo,
			[]Pause{{From: at("2025-09-03 10:00"), To: at("2025-09-10 15:00")}}, "2025-10-11"},
		{"中止：自然日期限顺延中止天数", at("2025-03-03 09:00"), weekRule,
			[]Pause{{From: at("2025-03-05 09:00"), To: at("2025-03-08 09:00")}}, "2025-03-13"},
		{"中止：同日中止同日恢复不扣除", at("2025-03-03 09:00"), weekRule,
			[]Pause{{From: at("2025-03-05 09:00"), To: at("2025-03-05 17:00")}}, "2025-03-10"},
		{"中止：到期后才发生的中止不影响期限", at("2025-03-03 09:00"), oneDay,
			[]Pause{{From: at("2025-03-20 09:00"), To: at("2025-03-25 09:00")}}, "2025-03-04"},
		{"中止：未恢复但在期限届满之后", at("2025-03-03 09:00"), oneDay,
			[]Pause{{From: at("2025-03-20 09:00")}}, "2025-03-04"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			due, err := c.Compute(tc.start, tc.rule, sh, tc.pauses)
			if err != nil {
				t.Fatalf("%s: %v", tc.rule, err)
			}
			want := d(tc.want).End(sh)
			if !due.Equal(want) {
				t.Fatalf("%s from %s: due %s, want %s", tc.rule, tc.start, due.In(sh), want)
			}
			if h, m, s := due.In(sh).Clock(); h != 23 || m != 59 || s != 59 || due.Nanosecond() != 999_000_000 {
				t.Fatalf("due is not the end of the day: %s", due.In(sh))
			}
		})
	}
}

func TestComputeErrors(t *testing.T) {
	c := Embedded()
	ok := Rule{5, WorkingDays, "本地规定"}
	start := at("2025-03-03 09:00")
	cases := []struct {
		name   string
		rule   Rule
		start  time.Time
		pauses []Pause
		field  string
	}{
		{"zero days", Rule{0, CalendarDays, "x"}, start, nil, "days:"},
		{"bad unit", Rule{5, "months", "x"}, start, nil, "unit:"},
		{"no source", Rule{5, CalendarDays, ""}, start, nil, "source:"},
		{"no start", ok, time.Time{}, nil, "start:"},
		{"pause backwards", ok, start, []Pause{{From: at("2025-03-05 09:00"), To: at("2025-03-04 09:00")}}, "pauses[0].to:"},
		{"pause without start", ok, start, []Pause{{To: at("2025-03-04 09:00")}}, "pauses[0].from:"},
	}
	for _, tc := range cases {
		_, err := c.Compute(tc.start, tc.rule, sh, tc.pauses)
		if err == nil || !strings.HasPrefix(err.Error(), tc.field) {
			t.Errorf("%s: err = %v, want one naming %s", tc.name, err, tc.field)
		}
	}
	// An open pause before the due day: no due day yet.
	_, err := c.Compute(start, ok, sh, []Pause{{From: at("2025-03-04 09:00")}})
	if !errors.Is(err, ErrPaused) {
		t.Errorf("open pause: err = %v, want ErrPaused", err)
	}
	// nil location means Asia/Shanghai.
	a, _ := c.Compute(start, ok, nil, nil)
	b, _ := c.Compute(start, ok, sh, nil)
	if !a.Equal(b) {
		t.Errorf("nil loc: %s vs %s", a, b)
	}
}

func TestState(t *testing.T) {
	due := d("2026-02-24").End(sh)
	cases := []struct {
		now  time.Time
		w    Watch
		want Status
	}{
		{at("2026-02-10 09:00"), DefaultWatch, OK},
		{at("2026-02-20 23:59"), DefaultWatch, OK},
		{at("2026-02-21 00:00"), DefaultWatch, DueSoon},
		{at("2026-02-23 18:00"), DefaultWatch, DueSoon},
		{at("2026-02-24 00:00"), DefaultWatch, DueToday},
		{at("2026-02-24 23:59"), DefaultWatch, DueToday},
		{at("2026-02-25 00:00"), DefaultWatch, Overdue},
		{at("2026-02-17 09:00"), Watch{SoonDays: 7}, DueSoon},
		{at("2026-02-23 09:00"), Watch{SoonDays: 0}, OK},
		// "Today" is judged in the zone: 16:30 UTC on the 23rd is the 24th in Shanghai.
		{time.Date(2026, 2, 23, 16, 30, 0, 0, time.UTC), Watch{SoonDays: 0}, DueToday},
		{time.Date(2026, 2, 23, 16, 30, 0, 0, time.UTC), Watch{SoonDays: 0, Loc: time.UTC}, OK},
	}
	for _, tc := range cases {
		if got := tc.w.State(due.UTC(), tc.now); got != tc.want {
			t.Errorf("State(due %s, now %s, soon %d) = %s, want %s", due, tc.now, tc.w.SoonDays, got, tc.want)
		}
	}
	if State(due, at("2026-02-26 00:00")).Label() != "已逾期" {
		t.Error("label")
	}
}

func TestLoadCustomDir(t *testing.T) {
	dir := t.TempDir()
	y2027 := `{"year": 2027, "source": "国务院办公厅关于2027年部分节假日安排的通知（测试数据，待核对）",
	  "holidays": ["2027-01-01"], "workdays": ["2027-01-02"]}`
	if err := os.WriteFile(filepath.Join(dir, "cn-2027.json"), []byte(y2027), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Covered(2027) || !c.Covered(2026) {
		t.Fatalf("years = %v", c.Years())
	}
	if c.IsWorkday(d("2027-01-01")) || !c.IsWorkday(d("2027-01-02")) {
		t.Error("custom 2027 not applied")
	}
	if u := c.Unverified(); len(u) != 1 || u[0] != 2027 {
		t.Errorf("Unverified = %v, want [2027]", u)
	}
	// A missing directory is fine: embedded years only.
	if c, err := Load(filepath.Join(dir, "nope")); err != nil || c.Covered(2027) {
		t.Errorf("missing dir: %v", err)
	}
	// Bad files are refused with the file and the field named.
	bad := map[string]string{
		"year":        `{"year": 20270, "source": "x", "holidays": [], "workdays": []}`,
		"source":      `{"year": 2028, "source": "", "holidays": [], "workdays": []}`,
		"holidays[0]": `{"year": 2028, "source": "x", "holidays": ["2029-01-01"], "workdays": []}`,
		"workdays[0]": `{"year": 2028, "source": "x", "holidays": [], "workdays": ["2028-01-05"]}`,
		"workdays[1]": `{"year": 2028, "source": "x", "holidays": ["2028-01-01"], "workdays": ["2028-01-02", "2028-01-01"]}`,
		"格式错误":        `{"year": 2028, "sauce": "x"}`,
	}
	for field, body := range bad {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "cn-2028.json"), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load(dir)
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "cn-2028.json") {
			t.Errorf("%s: err = %v", field, err)
		}
	}
}

func TestDate(t *testing.T) {
	if _, err := ParseDate("2025-13-01"); err == nil {
		t.Error("month 13 accepted")
	}
	if d("2025-03-01").DaysUntil(d("2025-02-27")) != -2 || d("2024-12-31").DaysUntil(d("2025-01-01")) != 1 {
		t.Error("DaysUntil")
	}
	if DateIn(time.Date(2025, 12, 31, 16, 0, 0, 0, time.UTC), sh) != d("2026-01-01") {
		t.Error("DateIn")
	}
	if _, err := Location("Mars/Olympus"); err == nil || !strings.HasPrefix(err.Error(), "timezone:") {
		t.Errorf("Location: %v", err)
	}
}
