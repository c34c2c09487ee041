package app

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/calendar"
	"fengqiao/internal/casework"
	"fengqiao/internal/files"
	"fengqiao/internal/home"
	"fengqiao/internal/jobs"
	"fengqiao/internal/notify"
	"fengqiao/internal/ops"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// App is the wired program.
type App struct {
	Cfg      Config
	Log      *slog.Logger
	DB       *store.DB
	Orgs     *org.Store
	Auth     *auth.Service
	Crypto   *person.Crypto
	Web      *web.Renderer
	AuthH    *auth.HTTP
	Metrics  *ops.Metrics
	Jobs     *jobs.Runner
	Files    *files.Service
	Notify   *notify.Service
	Calendar *calendar.Calendar
	Cases    *casework.Store // shared by every business line
}

// NewLogger returns the JSON logger at the configured level.
func NewLogger(level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// OpenDB opens the configured database without migrating it.
func OpenDB(ctx context.Context, cfg Config) (*store.DB, error) {
	return store.Open(ctx, store.Config{URL: cfg.DatabaseURL, Path: cfg.SQLitePath(), MaxOpen: cfg.DBMaxOpen})
}

// Open connects, migrates, seeds the built-in roles and builds services.
func Open(ctx context.Context, cfg Config, log *slog.Logger) (*App, error) {
	db, err := OpenDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	n, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("migrations applied", "count", n, "engine", string(db.Engine))
	}
	keys, err := person.LoadOrCreateKeys(cfg.KeysDir())
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("keys in %s: %w", cfg.KeysDir(), err)
	}
	crypto, err := person.NewCrypto(keys)
	if err != nil {
		db.Close()
		return nil, err
	}
	orgs := &org.Store{DB: db}
	a := &App{Cfg: cfg, Log: log, DB: db, Orgs: orgs, Crypto: crypto}
	a.Auth = auth.New(db, orgs, cryptoSealer{crypto})
	if err := a.Auth.SeedRoles(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("seed roles: %w", err)
	}
	a.Web, err = web.NewRenderer(web.Options{CustomDir: cfg.CustomDir, Dev: cfg.DevTemplates, SiteName: cfg.SiteName})
	if err != nil {
		db.Close()
		return nil, err
	}
	a.AuthH = &auth.HTTP{Svc: a.Auth, R: a.Web, Secure: cfg.BehindTLS, TrustProxy: cfg.TrustProxy, Issuer: cfg.SiteName, Log: log}
	a.Metrics = a.newMetrics()
	a.Jobs = a.newJobs()
	if err := a.openFilesNotify(); err != nil {
		db.Close()
		return nil, fmt.Errorf("attachments: %w", err)
	}
	if err := a.openCasework(); err != nil {
		db.Close()
		return nil, err
	}
	a.scheduleMediation()
	return a, nil
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// cryptoSealer keeps TOTP seeds under the field-encryption key.
type cryptoSealer struct{ c *person.Crypto }

func (s cryptoSealer) Seal(b []byte) (string, error) {
	return s.c.Encrypt("users.totp_secret", base64.StdEncoding.EncodeToString(b))
}

func (s cryptoSealer) Open(v string) ([]byte, error) {
	p, err := s.c.Decrypt("users.totp_secret", v)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(p)
}

// Handler builds the HTTP handler with every route and middleware.
func (a *App) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", a.Web.StaticHandler()))
	mux.HandleFunc("GET /lang", web.LangHandler)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", a.readyz)
	a.AuthH.Routes(mux)
	(&home.Handler{Auth: a.AuthH, Orgs: a.Orgs}).Routes(mux)
	a.routes(mux)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { a.Web.Error(w, r, http.StatusNotFound, "") })

	var h http.Handler = web.RecordRoute(mux) // route patterns reach the access log and metrics
	h = a.AuthH.Middleware(h)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.Web.Error(w, r, http.StatusForbidden, "跨站请求被拒绝：请从本系统页面提交")
	}))
	h = cop.Handler(h)
	h = web.SecurityHeaders(a.Cfg.BehindTLS)(h)
	h = web.Recover(a.Web, a.Log)(h)
	h = a.Metrics.Middleware(ops.RouteOf(mux))(h)
	h = web.AccessLog(a.Log)(h)
	h = web.RequestID(h)
	return h
}

func (a *App) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := a.DB.Reader().PingContext(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "database unreachable")
		return
	}
	n, err := a.DB.Pending(ctx)
	if err != nil || n > 0 {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "migrations pending: %d\n", n)
		return
	}
	fmt.Fprintln(w, "ready")
}

// Serve listens until ctx ends, then shuts down gracefully.
func (a *App) Serve(ctx context.Context, ready func(addr string)) error {
	ln, err := net.Listen("tcp", a.Cfg.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	bg, stopBG := context.WithCancel(context.Background())
	defer stopBG()
	a.startBackground(bg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("listening", "addr", ln.Addr().String(), "engine", string(a.DB.Engine), "node", a.Cfg.Node)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.Log.Info("shutting down", "wait", a.Cfg.ShutdownWait.String())
	sctx, cancel := context.WithTimeout(context.Background(), a.Cfg.ShutdownWait)
	defer cancel()
	err = srv.Shutdown(sctx)
	stopBG()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
