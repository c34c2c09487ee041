package app_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fengqiao/internal/app"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/demo"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// route is a method and path pattern found in the source.
type route struct{ Method, Path string }

var (
	patternRe  = regexp.MustCompile(`"(GET|POST|PUT|PATCH|DELETE) (/[^"\s]*)"`)
	apiRouteRe = regexp.MustCompile(`Method:\s*"(GET|POST|PUT|PATCH|DELETE)",\s*Path:\s*"(/[^"]*)"`)
)

// sourceRoutes lists every route pattern registered anywhere in internal/,
// so a new page is in the matrix the day it is written.
func sourceRoutes(t *testing.T) []route {
	t.Helper()
	seen := map[route]bool{}
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, re := range []*regexp.Regexp{patternRe, apiRouteRe} {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				seen[route{m[1], strings.TrimSuffix(m[2], "{$}")}] = true
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []route
	for r := range seen {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path+out[i].Method < out[j].Path+out[j].Method })
	return out
}

// outside holds records of the neighbour county (恩阳区) that no account
// of 巴州区 may see or change.
type outside struct {
	countyID, officeID, userID, personID, tokenID int64
}

var placeholderRe = regexp.MustCompile(`\{([a-zA-Z_]+)(\.\.\.)?\}`)

func (o outside) fill(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if !placeholderRe.MatchString(s) {
			continue
		}
		prev := ""
		if i > 0 {
			prev = segs[i-1]
		}
		id := o.officeID
		switch prev {
		case "users":
			id = o.userID
		case "persons":
			id = o.personID
		case "tokens":
			id = o.tokenID
		}
		segs[i] = placeholderRe.ReplaceAllString(s, strconv.FormatInt(id, 10))
	}
	return strings.Join(segs, "/")
}

// leakMarkers are texts that only the neighbour county's data contains.
var leakMarkers = []string{"恩阳", "登科", "enyang.", "dengke.", "泄漏检测人", "攀枝花", "东区司法局"}

// fingerprint hashes every row of the neighbour county's orgs, users and
// persons: it must not change whatever county A's accounts send.
func fingerprint(t *testing.T, db *store.DB, countyPath string) string {
	t.Helper()
	ctx := context.Background()
	lo, hi := store.PrefixRange(countyPath)
	h := sha256.New()
	for _, q := range []string{
		`SELECT o.id, o.name, o.division_code, o.path, o.active, o.updated_at FROM orgs o WHERE o.path >= ? AND o.path < ? ORDER BY o.id`,
		`SELECT u.id, u.username, u.display_name, u.org_id, u.disabled, u.password_hash, u.locked_until, u.totp_enabled, u.updated_at FROM users u JOIN orgs o ON o.id = u.org_id WHERE o.path >= ? AND o.path < ? ORDER BY u.id`,
		`SELECT p.* FROM persons p JOIN orgs o ON o.id = p.org_id WHERE o.path >= ? AND o.path < ? ORDER BY p.id`,
		`SELECT r.user_id, r.role_code FROM user_roles r JOIN users u ON u.id = r.user_id JOIN orgs o ON o.id = u.org_id WHERE o.path >= ? AND o.path < ? ORDER BY 1, 2`,
	} {
		rows, err := db.Read().Query(ctx, q, lo, hi)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		cols, _ := rows.Columns()
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintln(h, vals...)
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

func formFor(in outside, insideOrg int64) url.Values {
	v := url.Values{}
	for _, k := range []string{"name", "display_name", "title", "note", "summary"} {
		v.Set(k, "越权测试")
	}
	v.Set("org_id", strconv.FormatInt(insideOrg, 10))
	v.Set("parent_id", strconv.FormatInt(insideOrg, 10))
	v.Set("password", "Matrix-Test-2026")
	v.Set("password2", "Matrix-Test-2026")
	v.Set("roles", "office_staff")
	v.Set("kind", "office")
	v.Set("confirm", "1")
	v.Set("keep_id", strconv.FormatInt(in.personID, 10))
	v.Set("remove_id", strconv.FormatInt(in.personID, 10))
	return v
}

// TestAuthorizationMatrix walks every route with every account of 巴州区
// (county, offices, cluster lead, village), aimed at the records of the
// neighbour county, and fails on any leak or any change there. It also
// checks that the three administrators see no business data.
func TestAuthorizationMatrix(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) { runMatrix(t, e) })
	}
}

func runMatrix(t *testing.T, e store.Engine) {
	sc := storetest.Config(t, e)
	dataDir := t.TempDir()
	if e == store.SQLite {
		dataDir = filepath.Dir(sc.Path)
	}
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dataDir, DatabaseURL: sc.URL, SiteName: "枫桥", AuditDays: 190,
		ShutdownWait: time.Second, DBMaxOpen: 8, Node: "matrix", CustomDir: t.TempDir()}
	var logs syncBuffer
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.Auth.Argon = auth.Argon2Params{Memory: 8 * 1024, Time: 1, Threads: 1, KeyLen: 32}
	if _, err := demo.Load(context.Background(), a.DB, a.Orgs, a.Auth); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.Handler())
	defer ts.Close()
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "matrix"})

	var in outside
	var enyangPath string
	q := a.DB.Read()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(q.QueryRow(ctx, `SELECT id, path FROM orgs WHERE name = '恩阳区司法局'`).Scan(&in.countyID, &enyangPath))
	must(q.QueryRow(ctx, `SELECT id FROM orgs WHERE name = '登科街道司法所'`).Scan(&in.officeID))
	must(q.QueryRow(ctx, `SELECT id FROM users WHERE username = 'enyang.leader'`).Scan(&in.userID))
	var bazhouID int64
	must(q.QueryRow(ctx, `SELECT id FROM orgs WHERE name = '巴州区司法局'`).Scan(&bazhouID))
	ps := &person.Store{DB: a.DB, Crypto: a.Crypto}
	osc, err := a.Orgs.ScopeOf(ctx, in.officeID)
	must(err)
	p, err := ps.Create(ctx, osc, person.Input{OrgID: in.officeID, Kind: person.Natural, Name: "泄漏检测人", IDNumber: "11010519491231002X", Phone: "13800138000"})
	must(err)
	in.personID = p.ID
	var jiangbeiID int64
	must(q.QueryRow(ctx, `SELECT id FROM orgs WHERE name = '江北街道司法所'`).Scan(&jiangbeiID))
	jsc, err := a.Orgs.ScopeOf(ctx, jiangbeiID)
	must(err)
	own, err := ps.Create(ctx, jsc, person.Input{OrgID: jiangbeiID, Kind: person.Natural, Name: "本所当事人", IDNumber: "511902198001011238", Phone: "13912345678"})
	must(err)
	var mine outside // the county's own records: visible, but masked
	mine.officeID, mine.personID, mine.userID, mine.tokenID = jiangbeiID, own.ID, 0, 0
	must(q.QueryRow(ctx, `SELECT id FROM users WHERE username = 'jiangbei.staff'`).Scan(&mine.userID))
	enyang, err := a.Auth.LoadPrincipal(ctx, in.userID)
	must(err)
	enyang = auth.NewPrincipalForTest(enyang.UserID, enyang.OrgID, enyang.Jurisdiction(), auth.PermAPIToken)
	_, tok, err := a.Auth.CreateToken(ctx, enyang, "邻县令牌", nil, 0)
	must(err)
	in.tokenID = tok.ID

	before := fingerprint(t, a.DB, enyangPath)
	routes := sourceRoutes(t)
	if len(routes) < 20 {
		t.Fatalf("only %d routes found in the source: the scanner is broken", len(routes))
	}
	accounts := []string{"bazhou.sysadmin", "bazhou.leader", "bazhou.mediation", "bazhou.correction", "bazhou.legalaid",
		"bazhou.grassroots", "jiangbei.head", "jiangbei.staff", "jiangbei.mediator", "jiangbei.correction", "jiangbei.village", "dongcheng.head"}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	requests := 0
	for _, acc := range accounts {
		cookie := loginCookie(t, client, ts.URL, acc)
		for _, r := range routes {
			if r.Path == "/logout" || strings.HasPrefix(r.Path, "/static/") {
				continue
			}
			target := ts.URL + in.fill(r.Path)
			var body io.Reader
			var ctype string
			if r.Method != "GET" {
				if strings.HasPrefix(r.Path, "/api/") {
					body, ctype = strings.NewReader(`{"name":"越权测试","display_name":"越权测试","org_id":`+strconv.FormatInt(bazhouID, 10)+`}`), "application/json"
				} else {
					body, ctype = strings.NewReader(formFor(in, bazhouID).Encode()), "application/x-www-form-urlencoded"
				}
			}
			req, _ := http.NewRequest(r.Method, target, body)
			if ctype != "" {
				req.Header.Set("Content-Type", ctype)
			}
			req.AddCookie(cookie)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("%s %s as %s: %v", r.Method, target, acc, err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			requests++
			scanLeak(t, r, acc, resp.Header, b)
			if resp.StatusCode >= 500 {
				t.Errorf("%s %s as %s: status %d", r.Method, r.Path, acc, resp.StatusCode)
			}
			for _, m := range leakMarkers {
				// The public portal lists every office by design; its
				// responses are still scanned for personal data above.
				if strings.HasPrefix(r.Path, "/p/") {
					break
				}
				if strings.Contains(string(b), m) {
					t.Errorf("LEAK: %s %s as %s shows %q (status %d)", r.Method, r.Path, acc, m, resp.StatusCode)
				}
			}
		}
	}
	// Own records: every page and export shows personal data masked.
	for _, acc := range accounts {
		cookie := loginCookie(t, client, ts.URL, acc)
		for _, r := range routes {
			if r.Method != "GET" || strings.HasPrefix(r.Path, "/static/") {
				continue
			}
			req, _ := http.NewRequest("GET", ts.URL+mine.fill(r.Path), nil)
			req.AddCookie(cookie)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			requests++
			scanLeak(t, r, acc, resp.Header, b)
			if resp.StatusCode >= 500 {
				t.Errorf("GET %s (own records) as %s: status %d", r.Path, acc, resp.StatusCode)
			}
		}
	}
	if f := leakscan.Scan(logs.Bytes()); len(f) > 0 {
		t.Errorf("personal data in the logs: %v", f)
	}
	if after := fingerprint(t, a.DB, enyangPath); after != before {
		t.Errorf("WRITE LEAK: the neighbour county's orgs, users or persons changed during the matrix")
	}
	t.Logf("%s: %d routes × %d accounts = %d requests, no leak", e, len(routes), len(accounts), requests)

	// The three administrators see no business data, whatever their scope.
	for _, acc := range []string{"sc.sysadmin", "sc.secadmin", "sc.auditadmin"} {
		cookie := loginCookie(t, client, ts.URL, acc)
		for _, r := range routes {
			if r.Method != "GET" || !isBusinessRoute(r.Path) {
				continue
			}
			req, _ := http.NewRequest("GET", ts.URL+in.fill(r.Path), nil)
			req.AddCookie(cookie)
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 || strings.Contains(string(b), "泄漏检测人") {
				t.Errorf("%s sees business route %s (status %d)", acc, r.Path, resp.StatusCode)
			}
		}
	}
}

// scanLeak fails on a full ID number or mobile number in a response,
// except the explicit, audited reveal.
func scanLeak(t *testing.T, r route, acc string, h http.Header, body []byte) {
	t.Helper()
	if strings.Contains(r.Path, "/reveal") {
		return
	}
	var hb strings.Builder
	for k, v := range h {
		hb.WriteString(k + ": " + strings.Join(v, ",") + "\n")
	}
	for _, part := range [][]byte{[]byte(hb.String()), body, xlsxText(body)} {
		if f := leakscan.Scan(part); len(f) > 0 {
			t.Errorf("PERSONAL DATA: %s %s as %s: %v", r.Method, r.Path, acc, f)
			return
		}
	}
}

// xlsxText returns the shared strings and sheet XML of an .xlsx body so
// exports are scanned too (they are zip files).
func xlsxText(b []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil
	}
	var out bytes.Buffer
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, ".xml") {
			rc, err := f.Open()
			if err == nil {
				_, _ = io.Copy(&out, io.LimitReader(rc, 50<<20))
				rc.Close()
			}
		}
	}
	return out.Bytes()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// isBusinessRoute: pages and API of the person registry and business lines.
func isBusinessRoute(p string) bool {
	for _, pre := range []string{"/persons", "/api/v1/persons", "/mediation", "/api/v1/mediation", "/cases", "/api/v1/cases", "/files"} {
		if strings.HasPrefix(p, pre) {
			return true
		}
	}
	return false
}

func loginCookie(t *testing.T, c *http.Client, base, user string) *http.Cookie {
	t.Helper()
	resp, err := c.PostForm(base+"/login", url.Values{"username": {user}, "password": {demo.DemoPassword}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == auth.CookieName && ck.Value != "" {
			return ck
		}
	}
	t.Fatalf("login %s: status %d, no session", user, resp.StatusCode)
	return nil
}

var _ = org.System
