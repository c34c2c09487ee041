// Package browsertest drives Debian's chromium through chromedp for the
// browser tests of every package. Only tests import it, so the program
// does not link chromedp.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Step is a browser action that returns no value.
type Step = chromedp.Action[chromedp.Void]

// Chromium returns the browser to use: FENGQIAO_CHROMIUM, else the first
// of chromium, chromium-browser, google-chrome on PATH; "" when none.
func Chromium() string {
	if p := os.Getenv("FENGQIAO_CHROMIUM"); p != "" {
		return p
	}
	for _, n := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(n); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless browser with a window of w×h for one test and
// returns its context; the test is skipped, with a message, when no
// browser is installed. The flags keep Chromium off the network.
func New(t testing.TB, w, h int) context.Context {
	t.Helper()
	path := Chromium()
	if path == "" {
		t.Skip("chromium not installed: browser test skipped (apt-get install chromium fonts-noto-cjk)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	// The first Run starts the browser; it must not carry a step timeout.
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelC(); cancelA() })
	return ctx
}

// Run runs steps, each with its own timeout; on failure it saves a
// screenshot (when FENGQIAO_SHOTS is set) and reports the page's URL and
// text, so a failure can be seen.
func Run(t testing.TB, ctx context.Context, steps ...Step) {
	t.Helper()
	for i, st := range steps {
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		_, err := chromedp.Run(sctx, st)
		cancel()
		if err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			text, _ := chromedp.Run(ctx, chromedp.Text("body"))
			_, _ = chromedp.Run(ctx, Shot("FAIL-"+strings.ReplaceAll(t.Name(), "/", "_")))
			if len(text) > 600 {
				text = text[:600]
			}
			t.Fatalf("step %d: %v\nat %s\npage text: %s", i+1, err, loc, text)
		}
	}
}

// Into runs a value-returning action as a step, keeping its value.
func Into[T any](dst *T, a chromedp.Action[T]) Step {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// Settled waits until the page has loaded and its deferred scripts ran
// (app.js moves focus to an error summary, which would swallow typing).
func Settled() Step {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for i := 0; i < 100; i++ {
			st, err := chromedp.Evaluate[string](`document.readyState`)(ctx, t)
			if err != nil {
				return err
			}
			if st == "complete" {
				_, err := chromedp.Sleep(100*time.Millisecond)(ctx, t)
				return err
			}
			if _, err := chromedp.Sleep(50*time.Millisecond)(ctx, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// Shot saves a full-page PNG screenshot when FENGQIAO_SHOTS names a
// directory.
func Shot(name string) Step {
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
