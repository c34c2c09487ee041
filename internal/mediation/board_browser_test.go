package mediation

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// The county coordinator's board in a real browser: worst cases first, an
// htmx filter, a case's supervision form and the feedback QR code.
func TestBrowserBoard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the pages are engine-independent and covered by the HTTP tests")
		}
		s := newSite(t, db)
		must := mustFn(t)
		actx := s.actor(t, "setup", s.city, s.scCity)
		var cs []*Case
		for i, o := range []org.Org{s.committeeA, s.committeeV, s.committeeA, s.officeA, s.committeeV, s.countyA} {
			cs = append(cs, s.boardCase(t, actx, o, i+1, i == 1))
		}
		for _, c := range cs[2:] {
			must(s.st.Accept(actx, s.scCity, c.ID, ""))
			must(s.st.StartMediation(actx, s.scCity, c.ID))
		}
		overdue(t, db, cs[2].ID)
		must(s.st.CloseSuccess(actx, s.scCity, cs[4].ID, Agreement{Form: AgreementOral, Items: map[string]string{"terms": "赔偿500元"}}))
		must(s.st.CloseSuccess(actx, s.scCity, cs[5].ID, Agreement{Form: AgreementOral, Items: map[string]string{"terms": "赔礼道歉"}}))
		b := s.boardCase(t, actx, s.committeeB, 9, false)
		err := db.Tx(actx, func(tx *store.Tx) error {
			if _, err := s.st.cases().Supervise(actx, tx, s.scCity, cs[2].ID, "超期未结，请三日内报告进展", time.Now().Add(72*time.Hour)); err != nil {
				return err
			}
			_, err := s.st.cases().Transfer(actx, tx, s.scCity, b.ID, s.committeeA.ID, "当事人均居住在江北街道")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		var tok string
		if err := db.Tx(actx, func(tx *store.Tx) error {
			var err error
			tok, err = s.st.cases().NewFeedbackLink(actx, tx, s.scCity, cs[4].ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := casework.SubmitFeedback(context.Background(), db, tok, 5, ""); err != nil {
			t.Fatal(err)
		}

		srv := httptest.NewServer(s.h)
		defer srv.Close()
		ctx := browsertest.New(t, 1280, 900)
		var first, filtered string
		steps := []browsertest.Step{
			chromedp.Navigate(srv.URL + "/login"),
			chromedp.WaitVisible(`input[name=username]`),
			chromedp.SendKeys(`input[name=username]`, "sec"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitNotPresent(`input[name=password]`),
			chromedp.Navigate(srv.URL + "/mediation/board"),
			chromedp.WaitVisible(`#board-list table`),
			browsertest.Into(&first, chromedp.Text(`#board-list tbody tr:first-child`)),
			browsertest.Shot("mediation-board"),
			chromedp.SetValue(`#f-risk`, "crime"),
			browsertest.Into(new(bool), chromedp.Evaluate[bool](`document.querySelector('#f-risk').dispatchEvent(new Event('change', {bubbles: true}))`)),
			chromedp.WaitNotPresent(`#board-list tbody tr:nth-child(2)`),
			// htmx may still be settling the swapped list: read it once it is still.
			chromedp.Sleep(400 * time.Millisecond),
			browsertest.Into(&filtered, chromedp.Text(`#board-list tbody`)),
			chromedp.Navigate(srv.URL + "/mediation/board/cases/" + itoa(cs[2].ID) + "/supervise"),
			chromedp.WaitVisible(`#f-instruction`),
			browsertest.Shot("mediation-board-supervise"),
			chromedp.Navigate(srv.URL + "/mediation/board/cases/" + itoa(cs[3].ID)),
			chromedp.WaitVisible(`#actions form button`),
			chromedp.Click(`#actions form button`),
			chromedp.WaitVisible(`#feedback img`),
			browsertest.Shot("mediation-board-qr"),
			// The statistics page draws both charts from its JSON (no inline script).
			chromedp.Navigate(srv.URL + "/mediation/stats"),
			chromedp.WaitVisible(`#stats-chart-type canvas`),
			chromedp.WaitVisible(`#stats-chart-month canvas`),
			browsertest.Shot("mediation-stats"),
		}
		browsertest.Run(t, ctx, steps...)
		if !strings.Contains(first, cs[2].Number) || !strings.Contains(first, "已超期") {
			t.Fatalf("first row: %s", first)
		}
		if !strings.Contains(filtered, cs[1].Number) || strings.Contains(filtered, cs[2].Number) {
			t.Fatalf("risk filter: %s", filtered)
		}
	})
}
