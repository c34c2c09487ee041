package mediation

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// The office's case flow in a real browser: intake (first with a wrong ID
// number), accept, assign a mediator, record a session, a written
// agreement, performance and the follow-up visit; then the ledger.
func TestBrowserCaseFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the pages are engine-independent and covered by the HTTP tests")
		}
		s := newSite(t, db)
		if _, err := s.st.CreateMediator(s.ctx, s.scA, MediatorInput{Name: "杨德明", OrgID: s.committeeA.ID, Title: "调委会主任",
			Registered: true, RegistryNo: "BZ-2024-001", RegisteredOn: "2024-03-01", Active: true}); err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		ctx := browsertest.New(t, 1280, 900)
		wrong := idA[:17] + "3"
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
		var errText, page, ledger string
		var steps []browsertest.Step
		steps = append(steps,
			chromedp.Navigate(srv.URL+"/login"),
			chromedp.WaitVisible(`input[name=username]`),
			chromedp.SendKeys(`input[name=username]`, "head"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitNotPresent(`input[name=password]`),
			chromedp.Navigate(srv.URL+"/mediation/cases/new"),
			chromedp.WaitVisible(`#f-summary`),
			chromedp.SetValue(`#f-org_id`, itoa(s.committeeA.ID)),
			chromedp.SetValue(`#f-source`, "police"),
			chromedp.SendKeys(`#f-referring_org`, "江北派出所"),
			chromedp.SetValue(`#f-dispute_type`, "neighbour"),
			chromedp.SendKeys(`#f-amount`, "1200"),
			chromedp.SendKeys(`#f-summary`, "两户因装修噪音多次争吵，派出所出警后移送调解。"),
			chromedp.SendKeys(`#f-p0_name`, "王秀英"),
			chromedp.SendKeys(`#f-p0_id_number`, wrong),
			chromedp.SendKeys(`#f-p0_phone`, phoneA),
			chromedp.SendKeys(`#f-p1_name`, "李建国"),
			browsertest.Shot("mediation-case-intake"),
			chromedp.Submit(`#f-summary`),
			chromedp.WaitVisible(`.error-summary`),
			browsertest.Into(&errText, chromedp.Text(`.error-summary`)),
			browsertest.Shot("mediation-case-intake-error"),
			chromedp.SetValue(`#f-p0_id_number`, idA),
			chromedp.Submit(`#f-summary`),
			chromedp.WaitVisible(`#actions`),
		)
		steps = append(steps, act(ActAccept)...)
		// Each submit navigates: wait for what only the next page has.
		steps = append(steps, submit(ActAccept),
			chromedp.WaitReady(`form[action$="/transitions/start"]`),
			chromedp.Click(`#mediators > summary`),
			chromedp.Click(`input[name=mediator_ids]`),
			chromedp.Click(`input[name=lead_mediator_id]`),
			chromedp.Click(`#mediators button[type=submit]`),
			chromedp.WaitReady(`#case-mediators li`),
		)
		steps = append(steps, act(ActStart)...)
		steps = append(steps, submit(ActStart),
			chromedp.WaitReady(`form[action$="/transitions/succeed"]`),
			chromedp.Click(`#session > summary`),
			chromedp.WaitVisible(`#f-record`),
			chromedp.SendKeys(`#f-place`, "江北街道人民调解室"),
			chromedp.SendKeys(`#f-attendees`, "王秀英、李建国"),
			chromedp.SendKeys(`#f-record`, "调解员释明相关规定，双方同意晚十点后停止施工。"),
			chromedp.Click(`#session button[type=submit]`),
			chromedp.WaitReady(`.session-card`),
		)
		steps = append(steps, act(ActSucceed)...)
		steps = append(steps,
			chromedp.SetValue(`#f-agreement_form`, "written"),
			chromedp.SendKeys(`#f-issues`, "装修噪音扰民"),
			chromedp.SendKeys(`#f-responsibility`, "李建国装修时间不当，负主要责任"),
			chromedp.SendKeys(`#f-terms`, "李建国每日22时后停止施工，并向王秀英赔礼道歉"),
			chromedp.SendKeys(`#f-performance_method`, "自行履行"),
			chromedp.SendKeys(`#f-performance_deadline`, "自协议生效之日起"),
			submit(ActSucceed),
			chromedp.WaitVisible(`#confirmation`),
			browsertest.Shot("mediation-case-page"),
		)
		steps = append(steps, act(ActPerform)...)
		steps = append(steps, chromedp.SetValue(`#f-performed_on`, today()), submit(ActPerform),
			chromedp.WaitReady(`form[action$="/transitions/followup"]`))
		steps = append(steps, act(ActFollowUp)...)
		steps = append(steps, chromedp.SetValue(`#f-followup_on`, today()), chromedp.SendKeys(`#f-followup_note`, "双方关系缓和，未再发生纠纷"),
			submit(ActFollowUp),
			chromedp.WaitNotPresent(`#actions`),
			browsertest.Into(&page, chromedp.Text(`main`)),
			browsertest.Shot("mediation-case-closed"),
			chromedp.Navigate(srv.URL+"/mediation/cases"),
			chromedp.WaitVisible(`#case-list table`),
			browsertest.Into(&ledger, chromedp.Text(`#case-list`)),
			browsertest.Shot("mediation-case-ledger"),
		)
		browsertest.Run(t, ctx, steps...)
		if !strings.Contains(errText, "第1名当事人") {
			t.Fatalf("error summary: %s", errText)
		}
		for _, want := range []string{"已回访结案", "杨德明", "主持", maskA, "双方同意晚十点后停止施工", "李建国每日22时后停止施工", "指派调解员"} {
			if !strings.Contains(page, want) {
				t.Fatalf("case page lacks %q:\n%s", want, page)
			}
		}
		if strings.Contains(page, idA) || strings.Contains(page, phoneA) {
			t.Fatal("case page shows a clear number")
		}
		if !strings.Contains(ledger, "王秀英与李建国邻里纠纷") || !strings.Contains(ledger, "已回访结案") {
			t.Fatalf("ledger: %s", ledger)
		}
	})
}
