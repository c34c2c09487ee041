package portal

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

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

// An applicant on a phone (375 px): apply with one mistake, note the
// code, track the case with it.
func TestBrowserApplyTrack(t *testing.T) {
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
			t.Skip("the browser flow runs once; the pages are engine-independent and covered by the HTTP tests")
		}
		s := newSite(t, db)
		srv := httptest.NewServer(s.h)
		defer srv.Close()
		opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
			chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
			chromedp.Flag("disable-sync", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(375, 800))
		actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
		defer cancelA()
		ctx, cancelC := chromedp.NewContext(actx)
		defer cancelC()
		if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
			t.Fatalf("start chromium: %v", err)
		}
		wait := chromedp.Func(func(context.Context, *chromedp.Target) error { s.advance(time.Minute); return nil })
		var errText, code, progress string
		steps := []step{
			chromedp.Navigate(srv.URL + "/p/"),
			chromedp.WaitVisible(`.portal-menu`),
			shot("portal-index"),
			chromedp.Navigate(srv.URL + "/p/mediation/apply"),
			chromedp.WaitVisible(`#f-name`),
			shot("portal-apply"),
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
			into(&errText, chromedp.Text(`.error-summary`)),
			shot("portal-apply-error"),
			chromedp.SendKeys(`#f-id_number`, idA),
			chromedp.SendKeys(`#f-phone`, phoneA),
			chromedp.Click(`#f-consent`),
			wait,
			chromedp.Submit(`#f-name`),
			chromedp.WaitVisible(`#code`),
			into(&code, chromedp.Text(`#code`)),
			shot("portal-applied"),
			chromedp.Navigate(srv.URL + "/p/mediation/track"),
			chromedp.WaitVisible(`#f-code`),
			chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := chromedp.SendKeys(`#f-code`, strings.ToLower(code))(ctx, t)
				return err
			}),
			chromedp.SendKeys(`#f-phone4`, phoneA[7:]),
			chromedp.Submit(`#f-code`),
			chromedp.WaitVisible(`.portal-state`),
			into(&progress, chromedp.Text(`main`)),
			shot("portal-tracked"),
		}
		for i, st := range steps {
			sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			_, err := chromedp.Run(sctx, st)
			cancel()
			if err != nil {
				body, _ := chromedp.Run(ctx, chromedp.Text("body"))
				t.Fatalf("step %d: %v\n%s", i+1, err, body)
			}
		}
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
