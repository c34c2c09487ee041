package searchui

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/browsertest"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// A clerk signs in, types a word into the search box, sees the grouped
// results and opens "all" of one kind.
func TestBrowserSearch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the page is engine-independent and covered by the HTTP tests")
		}
		f := setup(t, db)
		srv := httptest.NewServer(f.h)
		defer srv.Close()
		ctx := browsertest.New(t, 1280, 900)
		var results, one string
		steps := []browsertest.Step{
			chromedp.Navigate(srv.URL + "/login"),
			chromedp.WaitVisible(`input[name=username]`),
			chromedp.SendKeys(`input[name=username]`, "staff"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitNotPresent(`input[name=password]`),
			chromedp.Navigate(srv.URL + "/search"),
			chromedp.WaitVisible(`#f-q`),
			browsertest.Shot("search-empty"),
			chromedp.SendKeys(`#f-q`, "离婚"),
			chromedp.Submit(`#f-q`),
			chromedp.WaitVisible(`section.card`),
			browsertest.Into(&results, chromedp.Text(`main`)),
			browsertest.Shot("search-results"),
			chromedp.Navigate(srv.URL + "/search?kind=case_mediation&q=" + "%E7%A6%BB%E5%A9%9A"),
			chromedp.WaitVisible(`section.card`),
			browsertest.Into(&one, chromedp.Text(`main`)),
			browsertest.Shot("search-one-kind"),
		}
		browsertest.Run(t, ctx, steps...)
		for _, want := range []string{"当事人", "人民调解案件", "社区矫正案件", "协议离婚纠纷", "巴中市宏达建材有限公司", "江北街道司法所"} {
			if !strings.Contains(results, want) {
				t.Errorf("results lack %q:\n%s", want, results)
			}
		}
		if !strings.Contains(one, "协议离婚纠纷") || strings.Contains(one, "宏达建材") {
			t.Errorf("one kind page:\n%s", one)
		}
	})
}
