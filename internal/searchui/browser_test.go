package searchui

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

type step = chromedp.Action[chromedp.Void]

func into[T any](dst *T, a chromedp.Action[T]) step {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// shot saves a full-page screenshot when FENGQIAO_SHOTS names a directory.
func shot(name string) step {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		dir := os.Getenv("FENGQIAO_SHOTS")
		if dir == "" {
			return nil
		}
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	})
}

// A clerk signs in, types a word into the search box, sees the grouped
// results and opens "all" of one kind.
func TestBrowserSearch(t *testing.T) {
	path := ""
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		t.Skip("chromium not installed: browser test skipped")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if db.Engine == store.Postgres {
			t.Skip("the browser flow runs once; the page is engine-independent and covered by the HTTP tests")
		}
		f := setup(t, db)
		srv := httptest.NewServer(f.h)
		defer srv.Close()
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancelC := chromedp.NewContext(actx)
		defer cancelC()
		var results, one string
		steps := []step{
			chromedp.Navigate(srv.URL + "/login"),
			chromedp.WaitVisible(`input[name=username]`),
			chromedp.SendKeys(`input[name=username]`, "staff"),
			chromedp.SendKeys(`input[name=password]`, pw),
			chromedp.Submit(`input[name=password]`),
			chromedp.WaitNotPresent(`input[name=password]`),
			chromedp.Navigate(srv.URL + "/search"),
			chromedp.WaitVisible(`#f-q`),
			shot("search-empty"),
			chromedp.SendKeys(`#f-q`, "离婚"),
			chromedp.Submit(`#f-q`),
			chromedp.WaitVisible(`section.card`),
			into(&results, chromedp.Text(`main`)),
			shot("search-results"),
			chromedp.Navigate(srv.URL + "/search?kind=case_mediation&q=" + "%E7%A6%BB%E5%A9%9A"),
			chromedp.WaitVisible(`section.card`),
			into(&one, chromedp.Text(`main`)),
			shot("search-one-kind"),
		}
		for i, s := range steps {
			if _, err := chromedp.Run(ctx, s); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
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
