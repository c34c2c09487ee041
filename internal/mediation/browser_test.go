package mediation

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// makeID completes a 17-digit body with its GB 11643 check digit.
func makeID(body string) string { return body + string(idno.CheckDigit(body)) }

// The clerk's main flow in a real browser: sign in, open the roster,
// register a mediator (first with a mistake), see the masked numbers.
func TestBrowserMediatorFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the pages are engine-independent and covered by the HTTP tests")
		}
		s := newSite(t, db)
		if err := s.st.SaveCommittee(s.ctx, s.scA, s.committeeA.ID, CommitteeInput{Level: "township", Members: 7}); err != nil {
			t.Fatal(err)
		}
		for i, m := range []MediatorInput{
			{Name: "杨德明", OrgID: s.committeeA.ID, IDNumber: makeID("51190219650312001"), Phone: "13908271234", FullTime: true, Title: "调委会主任", Registered: true, RegistryNo: "BZ-2024-001", RegisteredOn: "2024-03-01"},
			{Name: "李秀英", OrgID: s.committeeA.ID, IDNumber: idB, Phone: phoneA, Title: "委员", Registered: true, RegistryNo: "BZ-2024-002", RegisteredOn: "2024-03-01"},
			{Name: "何建国", OrgID: s.committeeV.ID, Phone: phoneB, Title: "村调委会主任"},
		} {
			if _, err := s.st.CreateMediator(s.ctx, s.scA, m); err != nil {
				t.Fatalf("seed %d: %v", i, err)
			}
		}
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		ctx := browsertest.New(t, 1280, 900)
		zhang := makeID("51190219880706002")
		wrong := zhang[:17] + string("0123456789X"[(strings.IndexByte("0123456789X", zhang[17])+1)%11])
		var list, errText, detail string
		steps := []browsertest.Step{
			chromedp.Navigate(srv.URL + "/login"),
			chromedp.WaitVisible(`input[name=username]`),
			chromedp.SendKeys(`input[name=username]`, "sec"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitNotPresent(`input[name=password]`), // signed in (the test mux has no home page)
			chromedp.Navigate(srv.URL + "/mediation/mediators"),
			chromedp.WaitVisible(`table.mediators`),
			browsertest.Into(&list, chromedp.Text(`table.mediators`)),
			browsertest.Shot("mediation-mediators"),
			chromedp.Navigate(srv.URL + "/mediation/mediators/new?org=" + itoa(s.committeeA.ID)),
			chromedp.WaitVisible(`#f-name`),
			chromedp.SendKeys(`#f-name`, "张文华"),
			chromedp.SendKeys(`#f-id_number`, wrong), // wrong check digit
			chromedp.SendKeys(`#f-phone`, "13700001234"),
			chromedp.Click(`#f-full_time`),
			chromedp.Submit(`#f-name`),
			chromedp.WaitVisible(`.error-summary`),
			browsertest.Into(&errText, chromedp.Text(`.error-summary`)),
			browsertest.Shot("mediation-mediator-form-error"),
			chromedp.SetValue(`#f-id_number`, zhang),
			chromedp.Submit(`#f-name`),
			chromedp.WaitVisible(`#trainings`),
			browsertest.Into(&detail, chromedp.Text(`main`)),
			browsertest.Shot("mediation-mediator-detail"),
			chromedp.Navigate(srv.URL + "/mediation/mediators/new"),
			chromedp.WaitVisible(`#f-name`),
			browsertest.Shot("mediation-mediator-form"),
			chromedp.Navigate(srv.URL + "/mediation/committees"),
			chromedp.WaitVisible(`table.data`),
			browsertest.Shot("mediation-committees"),
			chromedp.Navigate(srv.URL + "/mediation/committees/" + itoa(s.committeeA.ID)),
			chromedp.WaitVisible(`table.mediators`),
			browsertest.Shot("mediation-committee"),
			chromedp.Navigate(srv.URL + "/mediation/screenings/new"),
			chromedp.WaitVisible(`#f-participants`),
			browsertest.Shot("mediation-screening-form"),
			chromedp.Navigate(srv.URL + "/mediation/settings"),
			chromedp.WaitVisible(`table.grades`),
			browsertest.Shot("mediation-settings"),
			chromedp.Navigate(srv.URL + "/mediation/documents"),
			chromedp.WaitVisible(`details.placeholders`),
			browsertest.Shot("mediation-documents"),
		}
		browsertest.Run(t, ctx, steps...)
		if !strings.Contains(list, "杨德明") || !strings.Contains(list, "139****1234") || strings.Contains(list, "13908271234") {
			t.Fatalf("roster: %s", list)
		}
		if !strings.Contains(errText, "校验") && !strings.Contains(errText, "身份证") {
			t.Fatalf("error summary: %s", errText)
		}
		if !strings.Contains(detail, "张文华") || !strings.Contains(detail, idno.MaskID(zhang)) || strings.Contains(detail, "13700001234") {
			t.Fatalf("detail: %s", detail)
		}
	})
}
