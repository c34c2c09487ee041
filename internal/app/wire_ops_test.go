package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"fengqiao/internal/ops"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// TestOpsWiring runs the whole handler: /metrics labels requests with the
// mux pattern, demo data loads once, and init refuses the loaded database.
func TestOpsWiring(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			sc := storetest.Config(t, e)
			dir := t.TempDir()
			if sc.Path != "" {
				dir = filepath.Dir(sc.Path)
			}
			args := []string{"--data", dir, "--db", sc.URL, "--custom", t.TempDir()}
			cfg, err := LoadConfig(newFlags("test"), args)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			a, err := Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			srv := httptest.NewServer(a.Handler())
			defer srv.Close()
			get := func(path string) string {
				res, err := http.Get(srv.URL + path)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return string(b)
			}
			get("/healthz")
			get("/no/such/page")
			body := get("/metrics")
			for _, want := range []string{
				`http_requests_total{method="GET",route="GET /healthz",status="200"} 1`,
				`http_requests_total{method="GET",route="unmatched",status="404"} 1`,
				`go_sql_open_connections{db_name="writer"}`,
				`fengqiao_jobs{state="ready"} 0`,
			} {
				if !strings.Contains(body, want) {
					t.Errorf("/metrics lacks %s", want)
				}
			}

			loaded, err := a.LoadDemoIfEmpty(ctx, io.Discard)
			if err != nil || !loaded {
				t.Fatalf("first demo load: %v %v", loaded, err)
			}
			if loaded, err := a.LoadDemoIfEmpty(ctx, io.Discard); err != nil || loaded {
				t.Fatalf("second demo load: %v %v", loaded, err)
			}
			err = cmdInit(ctx, append(args, "--kind", "province", "--name", "四川省司法厅", "--division", "510000"), io.Discard)
			if !errors.Is(err, ops.ErrNotEmpty) {
				t.Fatalf("init on a loaded database: %v", err)
			}
		})
	}
}
