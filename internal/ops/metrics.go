// Package ops holds operational plumbing: Prometheus metrics and the
// first-run bootstrap of an empty database.
package ops

import (
	"database/sql"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Unmatched is the route label of requests no registered pattern matched
// (404s, 405s), so that scanners cannot blow up the label set.
const Unmatched = "unmatched"

// Metrics is the program's own registry (not the global one, so tests and
// several App values in one process do not collide).
type Metrics struct {
	Registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewMetrics registers the HTTP metrics, the Go runtime and process
// collectors and fengqiao_build_info{version,revision,goversion} = 1.
func NewMetrics(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		Registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request latency by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
	}
	revision, goversion := "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goversion = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "fengqiao_build_info",
		Help:        "Build of the running program (always 1).",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": goversion},
	})
	build.Set(1)
	reg.MustRegister(m.requests, m.duration, build,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// AddDBPool exports the sql.DBStats of a pool as go_sql_*{db_name=name}
// (open, in use, idle, max open, wait count and wait duration, closes).
func (m *Metrics) AddDBPool(name string, db *sql.DB) {
	m.Registry.MustRegister(collectors.NewDBStatsCollector(db, name))
}

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{})
}

// Middleware counts and times every request. route returns the mux pattern
// that will serve the request ("" when none matches); it runs before the
// request is served because the pattern the mux sets is only visible on the
// request value the mux itself receives, which outer middleware never sees.
func (m *Metrics) Middleware(route func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			label := route(r)
			if label == "" || label == "/" {
				// "/" is the catch-all 404 page.
				label = Unmatched
			}
			start := time.Now()
			sw := &statusWriter{ResponseWriter: w}
			defer func() {
				status := sw.status
				if status == 0 {
					status = http.StatusOK
				}
				m.requests.WithLabelValues(label, r.Method, strconv.Itoa(status)).Inc()
				m.duration.WithLabelValues(label, r.Method).Observe(time.Since(start).Seconds())
			}()
			next.ServeHTTP(sw, r)
		})
	}
}

// statusWriter remembers the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// RouteOf returns a route resolver for Middleware: the pattern mux would
// serve r with (mux.Handler does the lookup without serving).
func RouteOf(mux *http.ServeMux) func(*http.Request) string {
	return func(r *http.Request) string {
		_, p := mux.Handler(r)
		return p
	}
}
