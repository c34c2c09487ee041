package portal

import (
	"context"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// An applicant on a phone (375 px): apply with one mistake, note the
// code, track the case with it.
func TestBrowserApplyTrack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the pages are engine-independent and covered by the HTTP tests")
		}
		s := newSite(t, db)
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		ctx := browsertest.New(t, 375, 800)
		wait := chromedp.Func(func(context.Context, *chromedp.Target) error { s.advance(time.Minute); return nil })
		var errText, code, progress string
		steps := []browsertest.Step{
			chromedp.Navigate(srv.URL + "/p/"),
			chromedp.WaitVisible(`.portal-menu`),
			browsertest.Shot("portal-index"),
			chromedp.Navigate(srv.URL + "/p/mediation/apply"),
			chromedp.WaitVisible(`#f-name`),
			browsertest.Shot("portal-apply"),
			chromedp.SendKeys(`#f-name`, "王秀兰"),
			chromedp.SendKeys(`#f-id_number`, idA),
			chromedp.SendKeys(`#f-phone`, phoneA),
			chromedp.SendKeys(`#f-address`, "巴中市巴州区江北大道1号"),
			chromedp.SendKeys(`#f-other_name`, "李建国"),
			chromedp.SetValue(`#f-dispute_type`, "neighbour"),
			chromedp.SetValue(`#f-office_id`, strconv.FormatInt(s.office.ID, 10)),
			chromedp.SendKeys(`#f-summary`, "邻居装修占用公共通道，协商未果，希望司法所调解。"),
			wait,
			chromedp.Submit(`#f-name`), // consent not ticked
			chromedp.WaitVisible(`.error-summary`),
			browsertest.Into(&errText, chromedp.Text(`.error-summary`)),
			browsertest.Shot("portal-apply-error"),
			chromedp.SendKeys(`#f-id_number`, idA),
			chromedp.SendKeys(`#f-phone`, phoneA),
			chromedp.Click(`#f-consent`),
			wait,
			chromedp.Submit(`#f-name`),
			chromedp.WaitVisible(`#code`),
			browsertest.Into(&code, chromedp.Text(`#code`)),
			browsertest.Shot("portal-applied"),
			chromedp.Navigate(srv.URL + "/p/mediation/track"),
			chromedp.WaitVisible(`#f-code`),
			chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := chromedp.SendKeys(`#f-code`, strings.ToLower(code))(ctx, t)
				return err
			}),
			chromedp.SendKeys(`#f-phone4`, phoneA[7:]),
			chromedp.Submit(`#f-code`),
			chromedp.WaitVisible(`.portal-state`),
			browsertest.Into(&progress, chromedp.Text(`main`)),
			browsertest.Shot("portal-tracked"),
		}
		browsertest.Run(t, ctx, steps...)
		if !strings.Contains(errText, "个人信息处理说明") {
			t.Fatalf("error summary: %s", errText)
		}
		if !regexp.MustCompile(`^[A-Z2-7]{5}-[A-Z2-7]{5}$`).MatchString(strings.TrimSpace(code)) {
			t.Fatalf("code %q", code)
		}
		if !strings.Contains(progress, "已登记") || !strings.Contains(progress, "江北街道司法所") || strings.Contains(progress, "王秀兰") {
			t.Fatalf("progress: %s", progress)
		}
	})
}
