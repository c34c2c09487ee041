package app_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/app"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// node starts one app node on the database of cfg.
func node(t *testing.T, sc store.Config, dataDir string) (*app.App, *httptest.Server) {
	t.Helper()
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dataDir, DatabaseURL: sc.URL, SiteName: "枫桥", AuditDays: 190,
		ShutdownWait: time.Second, DBMaxOpen: 4, Node: "n", CustomDir: t.TempDir()}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	a.Auth.Argon = auth.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32}
	ts := httptest.NewServer(a.Handler())
	t.Cleanup(func() { ts.Close(); a.Close() })
	return a, ts
}

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func login(t *testing.T, base, user, pw string) (*http.Response, string) {
	t.Helper()
	resp, err := noRedirect().PostForm(base+"/login", url.Values{"username": {user}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

// Two app nodes on one PostgreSQL share sessions, lockouts and one audit
// chain: nothing that matters lives in a node's memory.
func TestTwoNodesShareState(t *testing.T) {
	sc := storetest.Config(t, store.Postgres) // skips without PostgreSQL
	keys := t.TempDir()                       // both nodes share the keys, as deployments do
	a1, n1 := node(t, sc, keys)
	_, n2 := node(t, sc, keys)
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	prov, err := a1.Orgs.Create(ctx, org.System(), org.Input{Kind: org.Province, Name: "四川省司法厅", DivisionCode: "510000"})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if _, err := a1.Auth.CreateUser(ctx, nil, auth.UserInput{Username: u, DisplayName: u, OrgID: prov.ID, Roles: []string{"leader"}, Password: "Start-Pass-2026"}); err != nil {
			t.Fatal(err)
		}
		if _, err := a1.DB.Exec(ctx, `UPDATE users SET must_change = FALSE WHERE username = ?`, u); err != nil {
			t.Fatal(err)
		}
	}

	// A session made through node 1 works on node 2.
	resp, _ := login(t, n1.URL, "alice", "Start-Pass-2026")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login on node 1: %d", resp.StatusCode)
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			cookie = c
		}
	}
	req, _ := http.NewRequest("GET", n2.URL+"/", nil)
	req.AddCookie(cookie)
	r2, err := noRedirect().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if r2.StatusCode != 200 || !strings.Contains(string(body), "alice") {
		t.Fatalf("node 2 does not know node 1's session: %d", r2.StatusCode)
	}
	// Logging out on node 2 ends the session on node 1 too.
	req, _ = http.NewRequest("POST", n2.URL+"/logout", nil)
	req.AddCookie(cookie)
	if r, err := noRedirect().Do(req); err != nil || r.StatusCode != http.StatusSeeOther {
		t.Fatalf("logout on node 2: %v %v", r, err)
	}
	req, _ = http.NewRequest("GET", n1.URL+"/", nil)
	req.AddCookie(cookie)
	if r, _ := noRedirect().Do(req); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Fatalf("node 1 still accepts a session ended on node 2: %d", r.StatusCode)
	}

	// Failures spread over both nodes add up to one lockout.
	for i := 0; i < 5; i++ {
		base := n1.URL
		if i%2 == 1 {
			base = n2.URL
		}
		if r, _ := login(t, base, "bob", "wrong"); r.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i, r.StatusCode)
		}
	}
	for _, base := range []string{n1.URL, n2.URL} {
		r, page := login(t, base, "bob", "Start-Pass-2026")
		if r.StatusCode != http.StatusForbidden || !strings.Contains(page, "锁定") {
			t.Fatalf("the lock must hold on every node: %d", r.StatusCode)
		}
	}

	// Both nodes wrote into one intact audit chain.
	res, err := audit.Verify(context.Background(), a1.DB)
	if err != nil || !res.OK() {
		t.Fatalf("audit chain after two nodes: %+v %v", res, err)
	}
	var logins int
	if err := a1.DB.Read().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = 'auth.login'`).Scan(&logins); err != nil || logins < 6 {
		t.Fatalf("login events in the chain: %d %v", logins, err)
	}
}
