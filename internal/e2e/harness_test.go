// Package e2e drives the real program in headless Chromium (Debian's
// chromium package) through chromedp. Tests skip with a message when no
// browser is installed.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"fengqiao/internal/app"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func chromiumPath() string {
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

// server is a running program on a fresh database.
type server struct {
	App *app.App
	URL string
}

func startServer(t *testing.T, e store.Engine) *server {
	t.Helper()
	sc := storetest.Config(t, e)
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), DatabaseURL: sc.URL, SiteName: "枫桥司法所工作平台",
		AuditDays: 190, ShutdownWait: time.Second, DBMaxOpen: 8, Node: "test", CustomDir: filepath.Join(t.TempDir(), "custom")}
	if e == store.SQLite {
		cfg.DataDir = filepath.Dir(sc.Path)
	}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Auth.Argon = auth.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(func() { ts.Close(); a.Close() })
	return &server{App: a, URL: ts.URL}
}

// fixture is a small county with one office, a neighbour county, and a
// county system administrator whose password must be changed.
type fixture struct {
	Province, City, County, Neighbour, Office org.Org
}

const initialPW = "Init-Pass-2026"

func (s *server) seed(t *testing.T) fixture {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := s.App.Orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	var f fixture
	f.Province = mk(0, org.Province, "四川省司法厅", "510000")
	f.City = mk(f.Province.ID, org.City, "巴中市司法局", "511900")
	f.County = mk(f.City.ID, org.County, "巴州区司法局", "511902")
	f.Neighbour = mk(f.City.ID, org.County, "恩阳区司法局", "511903")
	f.Office = mk(f.County.ID, org.Office, "江北街道司法所", "511902001")
	mk(f.Neighbour.ID, org.Office, "登科街道司法所", "511903001")
	if _, err := s.App.Auth.CreateUser(ctx, nil, auth.UserInput{Username: "bzadmin", DisplayName: "王管理", OrgID: f.County.ID,
		Roles: []string{"sysadmin"}, Password: initialPW}); err != nil {
		t.Fatal(err)
	}
	return f
}

// browser returns a chromedp context for one test.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
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
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	// The first Run starts the browser; it must not carry a step timeout.
	if _, err := chromedp.Run(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelC(); cancelA() })
	return ctx
}

type step = chromedp.Action[chromedp.Void]

// into runs a value-returning action as a step, keeping its value.
func into[T any](dst *T, a chromedp.Action[T]) step {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, t)
		*dst = v
		return chromedp.Void{}, err
	}
}

// settled waits until the page has loaded and its deferred scripts ran
// (app.js moves focus to an error summary, which would swallow typing).
func settled() step {
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

// run runs steps; on failure it saves a screenshot (when FENGQIAO_SHOTS
// is set) and reports the page's URL, so a failure can be seen.
func run(t *testing.T, ctx context.Context, steps ...step) {
	t.Helper()
	for i, st := range steps {
		sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		_, err := chromedp.Run(sctx, st)
		cancel()
		if err != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			text, _ := chromedp.Run(ctx, chromedp.Text("body"))
			_, _ = chromedp.Run(ctx, shot("FAIL-"+strings.ReplaceAll(t.Name(), "/", "_")))
			if len(text) > 600 {
				text = text[:600]
			}
			t.Fatalf("step %d: %v\nat %s\npage text: %s", i+1, err, loc, text)
		}
	}
}

// shot saves a screenshot when FENGQIAO_SHOTS names a directory.
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
