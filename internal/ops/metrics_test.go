package ops_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/jobs"
	"fengqiao/internal/ops"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func TestMetrics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := ops.NewMetrics("test-1")
		m.AddDBPool("writer", db.Writer())
		m.AddJobs(db.Read())
		ctx := context.Background()
		if _, err := jobs.Submit(ctx, db, "test.now", nil); err != nil {
			t.Fatal(err)
		}
		if _, err := jobs.Submit(ctx, db, "test.later", nil, jobs.After(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if db.Reader() != db.Writer() {
			m.AddDBPool("reader", db.Reader())
		}
		mux := http.NewServeMux()
		mux.HandleFunc("GET /cases/{id}", func(w http.ResponseWriter, r *http.Request) {
			if err := db.Reader().PingContext(r.Context()); err != nil {
				t.Error(err)
			}
			w.WriteHeader(http.StatusTeapot)
		})
		mux.Handle("GET /metrics", m.Handler())
		mux.HandleFunc("/", http.NotFound)
		// Outer middleware replaces the request as auth and CSRF layers do.
		inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { mux.ServeHTTP(w, r.WithContext(r.Context())) })
		srv := httptest.NewServer(m.Middleware(ops.RouteOf(mux))(inner))
		defer srv.Close()

		get := func(path string) (int, string) {
			res, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return res.StatusCode, string(b)
		}
		get("/cases/17")
		get("/cases/18")
		get("/no/such/page/123")
		get("/cases/19/extra")

		code, body := get("/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		for _, want := range []string{
			`http_requests_total{method="GET",route="GET /cases/{id}",status="418"} 2`,
			`http_requests_total{method="GET",route="unmatched",status="404"} 2`,
			`http_request_duration_seconds_count{method="GET",route="GET /cases/{id}"} 2`,
			`go_sql_open_connections{db_name="writer"}`,
			`go_sql_in_use_connections{db_name="writer"}`,
			`go_sql_idle_connections{db_name="writer"}`,
			`go_sql_wait_count_total{db_name="writer"}`,
			`go_sql_wait_duration_seconds_total{db_name="writer"}`,
			`fengqiao_build_info{`,
			`fengqiao_jobs{state="ready"} 1`,
			`fengqiao_jobs{state="scheduled"} 1`,
			`fengqiao_jobs{state="dead"} 0`,
			`version="test-1"`,
		} {
			if !strings.Contains(body, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if db.Engine == store.SQLite && !strings.Contains(body, `go_sql_open_connections{db_name="reader"}`) {
			t.Error("/metrics lacks the SQLite reader pool")
		}
		if strings.Contains(body, "/cases/17") || strings.Contains(body, "/no/such") {
			t.Error("raw paths leaked into labels")
		}
	})
}
