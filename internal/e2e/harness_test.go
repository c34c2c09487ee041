// Package e2e drives the real program in headless Chromium (Debian's
// chromium package) through chromedp. Tests skip with a message when no
// browser is installed.
package e2e

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"fengqiao/internal/app"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/browsertest"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

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
func browser(t *testing.T) context.Context { return browsertest.New(t, 1280, 900) }
