package e2e

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/browsertest"
	"fengqiao/internal/mediation"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/portal"
	"fengqiao/internal/store"
)

// The whole mediation flow of issue #4 through the real program: a citizen
// applies online and gets a tracking code; the office head accepts the
// application, assigns a mediator, records a session, the written
// agreement, performance and the follow-up visit; the county's mediation
// section sees the case in its statistics; the citizen sees the outcome
// with the code.
func TestMediationFullFlow(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			ctx := browser(t)
			s := startServer(t, e)
			f := s.seed(t)
			actx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
			committee, err := s.App.Orgs.Create(actx, org.System(), org.Input{ParentID: f.Office.ID, Kind: org.Committee,
				Name: "江北街道人民调解委员会"})
			if err != nil {
				t.Fatal(err)
			}
			med := &mediation.Store{DB: s.App.DB, Persons: &person.Store{DB: s.App.DB, Crypto: s.App.Crypto}, Kernel: s.App.Cases}
			if _, err := med.CreateMediator(actx, org.System(), mediation.MediatorInput{Name: "杨德明", OrgID: committee.ID,
				Title: "调委会主任", Registered: true, RegistryNo: "BZ-2024-001", RegisteredOn: "2024-03-01", Active: true}); err != nil {
				t.Fatal(err)
			}
			for _, u := range []auth.UserInput{
				{Username: "jb.head", DisplayName: "江北所所长", OrgID: f.Office.ID, Roles: []string{"office_head"}, Password: initialPW},
				{Username: "bz.med", DisplayName: "巴州区局调解科", OrgID: f.County.ID, Roles: []string{"section_mediation"}, Password: initialPW},
			} {
				if _, err := s.App.Auth.CreateUser(actx, nil, u); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := s.App.DB.Exec(actx, `UPDATE users SET must_change = FALSE WHERE username IN ('jb.head', 'bz.med')`); err != nil {
				t.Fatal(err)
			}

			login := func(user string) []browsertest.Step {
				return []browsertest.Step{
					chromedp.Navigate(s.URL + "/login"),
					chromedp.WaitVisible(`input[name=username]`),
					chromedp.SendKeys(`input[name=username]`, user),
					chromedp.SendKeys(`input[name=password]`, initialPW),
					chromedp.Submit(`input[name=password]`),
					chromedp.WaitNotPresent(`input[name=password]`),
				}
			}
			act := func(code string) []browsertest.Step {
				return []browsertest.Step{
					chromedp.WaitReady(`form[action$="/transitions/` + code + `"]`),
					chromedp.Click(`details:has(form[action$="/transitions/` + code + `"]) > summary`),
					chromedp.WaitVisible(`form[action$="/transitions/` + code + `"] button[type=submit]`),
				}
			}
			submit := func(code string) browsertest.Step {
				return chromedp.Click(`form[action$="/transitions/` + code + `"] button[type=submit]`)
			}
			today := time.Now().In(shanghai()).Format("2006-01-02")

			// 1. The citizen applies on a phone-sized page.
			var code string
			steps := []browsertest.Step{
				chromedp.EmulateViewport(375, 800),
				chromedp.Navigate(s.URL + "/p/mediation/apply"),
				chromedp.WaitVisible(`#f-name`),
				chromedp.SendKeys(`#f-name`, "王秀兰"),
				chromedp.SendKeys(`#f-id_number`, "511902198801011236"),
				chromedp.SendKeys(`#f-phone`, "13800001234"),
				chromedp.SendKeys(`#f-address`, "巴中市巴州区江北大道1号"),
				chromedp.SendKeys(`#f-other_name`, "李建国"),
				chromedp.SetValue(`#f-dispute_type`, "neighbour"),
				chromedp.SetValue(`#f-office_id`, strconv.FormatInt(f.Office.ID, 10)),
				chromedp.SendKeys(`#f-summary`, "邻居装修占用公共通道，协商未果，希望司法所调解。"),
				chromedp.Click(`#f-consent`),
				chromedp.Sleep(portal.MinFillTime + 500*time.Millisecond),
				chromedp.Submit(`#f-name`),
				chromedp.WaitVisible(`#code`),
				browsertest.Into(&code, chromedp.Text(`#code`)),
				browsertest.Shot("flow-01-applied"),
				chromedp.EmulateViewport(1280, 900),
			}
			// 2. The office head handles it.
			steps = append(steps, login("jb.head")...)
			var ledger string
			steps = append(steps,
				chromedp.Navigate(s.URL+"/mediation/cases"),
				chromedp.WaitVisible(`#case-list table`),
				browsertest.Into(&ledger, chromedp.Text(`#case-list`)),
				browsertest.Shot("flow-02-ledger-new"),
				chromedp.Click(`#case-list tbody a[href^="/mediation/cases/"]`),
				chromedp.WaitVisible(`#actions`),
			)
			steps = append(steps, act(mediation.ActAccept)...)
			steps = append(steps, submit(mediation.ActAccept),
				chromedp.WaitReady(`form[action$="/transitions/start"]`),
				chromedp.Click(`#mediators > summary`),
				chromedp.Click(`input[name=mediator_ids]`),
				chromedp.Click(`input[name=lead_mediator_id]`),
				chromedp.Click(`#mediators button[type=submit]`),
				chromedp.WaitReady(`#case-mediators li`),
			)
			steps = append(steps, act(mediation.ActStart)...)
			steps = append(steps, submit(mediation.ActStart),
				chromedp.WaitReady(`form[action$="/transitions/succeed"]`),
				chromedp.Click(`#session > summary`),
				chromedp.WaitVisible(`#f-record`),
				chromedp.SendKeys(`#f-place`, "江北街道人民调解室"),
				chromedp.SendKeys(`#f-attendees`, "王秀兰、李建国"),
				chromedp.SendKeys(`#f-record`, "调解员释明相关规定，双方同意恢复公共通道。"),
				chromedp.Click(`#session button[type=submit]`),
				chromedp.WaitReady(`.session-card`),
			)
			steps = append(steps, act(mediation.ActSucceed)...)
			steps = append(steps,
				chromedp.SetValue(`#f-agreement_form`, "written"),
				chromedp.SendKeys(`#f-issues`, "装修材料占用公共通道"),
				chromedp.SendKeys(`#f-responsibility`, "李建国占用公共通道，负主要责任"),
				chromedp.SendKeys(`#f-terms`, "李建国三日内清理公共通道，并向王秀兰赔礼道歉"),
				chromedp.SendKeys(`#f-performance_method`, "自行履行"),
				chromedp.SendKeys(`#f-performance_deadline`, "自协议生效之日起三日内"),
				submit(mediation.ActSucceed),
				chromedp.WaitVisible(`#confirmation`),
			)
			steps = append(steps, act(mediation.ActPerform)...)
			steps = append(steps, chromedp.SetValue(`#f-performed_on`, today), submit(mediation.ActPerform),
				chromedp.WaitReady(`form[action$="/transitions/followup"]`))
			steps = append(steps, act(mediation.ActFollowUp)...)
			var casePage string
			steps = append(steps, chromedp.SetValue(`#f-followup_on`, today), chromedp.SendKeys(`#f-followup_note`, "通道已清理，双方关系缓和"),
				submit(mediation.ActFollowUp),
				chromedp.WaitNotPresent(`#actions`),
				browsertest.Into(&casePage, chromedp.Text(`main`)),
				browsertest.Shot("flow-03-case-closed"),
				chromedp.Click(`form[action="/logout"] button`),
				chromedp.WaitVisible(`input[name=username]`),
			)
			// 3. The county's mediation section reads this month's statistics.
			steps = append(steps, login("bz.med")...)
			var stats, statsRow string
			steps = append(steps,
				chromedp.Navigate(s.URL+"/mediation/stats"),
				chromedp.WaitVisible(`table.data`),
				browsertest.Into(&stats, chromedp.Text(`main`)),
				browsertest.Into(&statsRow, chromedp.Text(`table.data tbody tr`)),
				browsertest.Shot("flow-04-stats"),
			)
			browsertest.Run(t, ctx, steps...)

			code = strings.TrimSpace(code)
			if !regexp.MustCompile(`^[A-Z2-7]{5}-[A-Z2-7]{5}$`).MatchString(code) {
				t.Fatalf("tracking code %q", code)
			}
			if !strings.Contains(ledger, "已登记") || !strings.Contains(ledger, "王秀兰") {
				t.Fatalf("ledger before handling:\n%s", ledger)
			}
			for _, want := range []string{"已回访结案", "杨德明", "李建国三日内清理公共通道", "通道已清理"} {
				if !strings.Contains(casePage, want) {
					t.Fatalf("case page lacks %q:\n%s", want, casePage)
				}
			}
			if strings.Contains(casePage, "511902198801011236") || strings.Contains(casePage, "13800001234") {
				t.Fatal("case page shows a clear ID or phone number")
			}
			// The statistics row of the office: 1 accepted, 1 successful, 0 failed, 100%.
			if row := strings.Join(strings.Fields(statsRow), " "); !strings.HasPrefix(row, "江北街道司法所 1 1 0 100.0%") {
				t.Fatalf("statistics row for the office = %q\npage:\n%s", row, stats)
			}

			// 4. The citizen looks up the outcome with the code.
			var progress string
			browsertest.Run(t, ctx,
				chromedp.Navigate(s.URL+"/p/mediation/track"),
				chromedp.WaitVisible(`#f-code`),
				chromedp.SendKeys(`#f-code`, code),
				chromedp.SendKeys(`#f-phone4`, "1234"),
				chromedp.Submit(`#f-code`),
				chromedp.WaitVisible(`.portal-state`),
				browsertest.Into(&progress, chromedp.Text(`main`)),
				browsertest.Shot("flow-05-tracked"),
			)
			if !strings.Contains(progress, "已回访结案") && !strings.Contains(progress, "调解成功") {
				t.Fatalf("progress page: %s", progress)
			}
			if strings.Contains(progress, "王秀兰") || strings.Contains(progress, "李建国") {
				t.Fatal("the progress page names the parties")
			}
		})
	}
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}
