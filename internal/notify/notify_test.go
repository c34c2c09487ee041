package notify_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/jobs"
	"fengqiao/internal/notify"
	"fengqiao/internal/org"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

// xorSealer is reversible but not the identity, so the test can tell the
// stored secret is not in clear.
type xorSealer struct{}

func (xorSealer) Seal(b []byte) (string, error) {
	out := make([]byte, len(b))
	for i, c := range b {
		out[i] = c ^ 0x5a
	}
	return "x1:" + base64.StdEncoding.EncodeToString(out), nil
}

func (xorSealer) Open(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "x1:"))
	for i := range b {
		b[i] ^= 0x5a
	}
	return b, err
}

const pw = "Zhang-2026-sfs"

type fixture struct {
	t                       *testing.T
	db                      *store.DB
	auth                    *auth.Service
	svc                     *notify.Service
	h                       http.Handler
	city, county, countyB   org.Org
	office                  org.Org
	staff, head, staffB, sa auth.User
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: db}
	orgs := &org.Store{DB: db}
	f.auth = auth.New(db, orgs, xorSealer{})
	f.auth.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	if err := f.auth.SeedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	f.city = mk(prov.ID, org.City, "巴中市司法局", "511900")
	f.county = mk(f.city.ID, org.County, "巴州区司法局", "511902")
	f.countyB = mk(f.city.ID, org.County, "恩阳区司法局", "511903")
	f.office = mk(f.county.ID, org.Office, "江北街道司法所", "511902001")
	officeB := mk(f.countyB.ID, org.Office, "登科街道司法所", "511903001")
	user := func(name string, orgID int64, role string) auth.User {
		u, err := f.auth.CreateUser(ctx, nil, auth.UserInput{Username: name, DisplayName: "用户" + name, OrgID: orgID, Roles: []string{role}, Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.staff = user("staff1", f.office.ID, "office_staff")
	f.head = user("head1", f.office.ID, "office_head")
	f.staffB = user("staffb", officeB.ID, "office_staff")
	f.sa = user("sysadmin1", f.county.ID, "sysadmin")
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	f.svc = &notify.Service{DB: db, Sealer: xorSealer{}}
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: f.auth, R: r}
	mux := http.NewServeMux()
	ah.Routes(mux)
	(&notify.Handler{Auth: ah, Notify: f.svc, Orgs: orgs}).Routes(mux)
	f.h = ah.Middleware(mux)
	return f
}

func (f *fixture) send(m notify.Message) int64 {
	f.t.Helper()
	var id int64
	err := f.db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = notify.Send(context.Background(), tx, m)
		return err
	})
	if err != nil {
		f.t.Fatalf("send %+v: %v", m, err)
	}
	return id
}

func (f *fixture) principal(u auth.User) *auth.Principal {
	f.t.Helper()
	p, err := f.auth.LoadPrincipal(context.Background(), u.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

func (f *fixture) do(u auth.User, method, path string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	res, err := f.auth.Login(context.Background(), u.Username, pw, "127.0.0.1", "test")
	if err != nil {
		f.t.Fatal(err)
	}
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: res.Token})
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func unread(t *testing.T, f *fixture, p *auth.Principal) int {
	t.Helper()
	n, err := f.svc.Unread(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInboxPersonalAndOrgWide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		personal := f.send(notify.Message{UserID: f.staff.ID, Kind: "mediation.assigned", Title: "调解案件 TJ-2026-0042 已分派给您", Link: "/mediation/cases/42"})
		all := f.send(notify.Message{OrgID: f.office.ID, Kind: "notice.general", Title: "本周五下午召开所务会", Body: "请准时参加"})
		approvers := f.send(notify.Message{OrgID: f.office.ID, Perm: "mediation.approve", Kind: "mediation.approval", Title: "有1件调解协议待审批"})
		f.send(notify.Message{OrgID: f.county.ID, Kind: "notice.general", Title: "县局通知"}) // other org: not seen
		staff, head, staffB := f.principal(f.staff), f.principal(f.head), f.principal(f.staffB)

		// staff: personal + org-wide; head: org-wide + approvers; B: nothing.
		if a, b, c := unread(t, f, staff), unread(t, f, head), unread(t, f, staffB); a != 2 || b != 2 || c != 0 {
			t.Fatalf("unread staff %d head %d B %d", a, b, c)
		}
		items, total, err := f.svc.InboxOf(ctx, staff, 10, 0)
		if err != nil || total != 2 || len(items) != 2 || items[0].ID != all || items[1].ID != personal || !items[0].OrgWide || !items[0].Unread() {
			t.Fatalf("staff inbox %+v total %d %v", items, total, err)
		}
		// Reading an org-wide message is per user.
		if err := f.svc.MarkRead(ctx, staff, all); err != nil {
			t.Fatal(err)
		}
		if a, b := unread(t, f, staff), unread(t, f, head); a != 1 || b != 2 {
			t.Fatalf("after read: staff %d head %d", a, b)
		}
		if err := f.svc.MarkRead(ctx, staff, all); err != nil {
			t.Fatal("second read:", err)
		}
		// What one does not see cannot be marked.
		if err := f.svc.MarkRead(ctx, staffB, personal); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("foreign mark: %v", err)
		}
		if err := f.svc.MarkRead(ctx, staff, approvers); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("mark without perm: %v", err)
		}
		if err := f.svc.MarkAllRead(ctx, head); err != nil {
			t.Fatal(err)
		}
		if a, b := unread(t, f, staff), unread(t, f, head); a != 1 || b != 0 {
			t.Fatalf("after read all: staff %d head %d", a, b)
		}
		items, _, _ = f.svc.Inbox(ctx, head.UserID, []int64{head.OrgID}, head.Perms(), 10, 0)
		for _, it := range items {
			if it.Unread() {
				t.Fatalf("head still has unread %d", it.ID)
			}
		}
		// Dedupe keys make Send idempotent.
		m := notify.Message{UserID: f.staff.ID, Kind: "deadline.today", Title: "案件今天到期", DedupeKey: "k1"}
		if f.send(m) == 0 || f.send(m) != 0 {
			t.Fatal("dedupe")
		}
	})
}

func TestSendValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		bad := map[string]notify.Message{
			"user_id": {Kind: "a.b", Title: "x"},
			"perm":    {UserID: f.staff.ID, Perm: "x.view", Kind: "a.b", Title: "x"},
			"kind":    {UserID: f.staff.ID, Kind: "Bad Kind", Title: "x"},
			"title":   {UserID: f.staff.ID, Kind: "a.b", Title: "当事人身份证 110101199003074477 待核实"},
			"body":    {UserID: f.staff.ID, Kind: "a.b", Title: "x", Body: "联系电话 13800138000"},
			"link":    {UserID: f.staff.ID, Kind: "a.b", Title: "x", Link: "https://evil.example/"},
		}
		for field, m := range bad {
			err := db.Tx(context.Background(), func(tx *store.Tx) error { _, err := notify.Send(context.Background(), tx, m); return err })
			var fe *notify.FieldError
			if !errors.As(err, &fe) || fe.Field != field {
				t.Errorf("%s: got %v", field, err)
			}
		}
	})
}

// hookServer records deliveries and fails the first n with 500.
type hookServer struct {
	mu       sync.Mutex
	failures int
	got      []*http.Request
	bodies   [][]byte
	srv      *httptest.Server
}

func newHookServer(failures int) *hookServer {
	h := &hookServer{failures: failures}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		h.got = append(h.got, r)
		h.bodies = append(h.bodies, b)
		if h.failures > 0 {
			h.failures--
			http.Error(w, "busy", http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	return h
}

func (h *hookServer) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

func runJobs(t *testing.T, db *store.DB, svc *notify.Service) {
	r := jobs.NewRunner(db, jobs.Config{Poll: 20 * time.Millisecond, Backoff: func(int) time.Duration { return 30 * time.Millisecond },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	svc.RegisterJobs(r)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWebhookDeliverySignedRetriedNoPII(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := audit.WithActor(context.Background(), audit.Actor{UserID: f.sa.ID, Username: "sysadmin1", OrgID: f.county.ID})
		srv := newHookServer(1)
		defer srv.srv.Close()
		sc := org.NewScope(f.county.Path)
		// Out of the admin's subtree: refused.
		if _, _, err := f.svc.CreateWebhook(ctx, sc, notify.WebhookInput{OrgID: f.countyB.ID, Name: "x", URL: srv.srv.URL}); err == nil {
			t.Fatal("webhook outside scope accepted")
		}
		hook, secret, err := f.svc.CreateWebhook(ctx, sc, notify.WebhookInput{OrgID: f.county.ID, Name: "县短信平台", URL: srv.srv.URL, Events: "deadline.*"})
		if err != nil {
			t.Fatal(err)
		}
		if len(secret) < 32 {
			t.Fatalf("generated secret %q", secret)
		}
		var stored string
		db.Read().QueryRow(ctx, `SELECT secret FROM webhooks WHERE id = ?`, hook.ID).Scan(&stored)
		if strings.Contains(stored, secret) {
			t.Fatal("secret stored in clear")
		}
		// A hook at the county gets reminders of its offices only.
		f.send(notify.Message{UserID: f.staff.ID, Kind: "notice.general", Title: "不推送：事件不匹配"})
		f.send(notify.Message{UserID: f.staffB.ID, Kind: "deadline.today", Title: "不推送：别的县"})
		f.send(notify.Message{UserID: f.staff.ID, Kind: "deadline.today", Title: "调解案件 TJ-2026-0042：今天到期",
			Body: "当事人张三申请调解，请尽快联系", Link: "/mediation/cases/42"})
		var n int
		db.Read().QueryRow(ctx, `SELECT COUNT(*) FROM webhook_deliveries`).Scan(&n)
		if n != 1 {
			t.Fatalf("deliveries %d", n)
		}
		runJobs(t, db, f.svc)
		waitFor(t, "delivery after a retry", func() bool {
			var st string
			db.Read().QueryRow(ctx, `SELECT status FROM webhook_deliveries`).Scan(&st)
			return st == "delivered"
		})
		if srv.count() != 2 {
			t.Fatalf("posts %d, want 2 (500 then 204)", srv.count())
		}
		var attempts int
		db.Read().QueryRow(ctx, `SELECT attempts FROM webhook_deliveries`).Scan(&attempts)
		if attempts != 2 {
			t.Fatalf("attempts %d", attempts)
		}
		req, body := srv.got[1], srv.bodies[1]
		if req.Header.Get(notify.HeaderSignature) != notify.Sign([]byte(secret), body) || !strings.HasPrefix(req.Header.Get(notify.HeaderSignature), "sha256=") {
			t.Fatal("bad signature")
		}
		if req.Header.Get(notify.HeaderEvent) != "deadline.today" || req.Header.Get(notify.HeaderDelivery) == "" ||
			req.Header.Get(notify.HeaderTimestamp) == "" || req.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("headers %v", req.Header)
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil || p.Event != "deadline.today" || p.UserID != f.staff.ID || p.OrgID != f.office.ID ||
			p.Link != "/mediation/cases/42" || strconv.FormatInt(p.DeliveryID, 10) != req.Header.Get(notify.HeaderDelivery) {
			t.Fatalf("payload %s %v", body, err)
		}
		if found := leakscan.Scan(body); len(found) > 0 || strings.Contains(string(body), "张三") {
			t.Fatalf("personal data in payload: %v %s", found, body)
		}
		// Test delivery and disabling; a disabled hook's pending delivery is skipped.
		if _, err := f.svc.TestWebhook(ctx, sc, hook.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "test delivery", func() bool { return srv.count() == 3 })
		if err := f.svc.SetWebhookActive(ctx, sc, hook.ID, false); err != nil {
			t.Fatal(err)
		}
		f.send(notify.Message{UserID: f.staff.ID, Kind: "deadline.today", Title: "停用后不推送"})
		ds, err := f.svc.Deliveries(ctx, sc, hook.ID, 10)
		if err != nil || len(ds) != 2 {
			t.Fatalf("deliveries %d %v", len(ds), err)
		}
		for _, a := range []string{"webhook.create", "webhook.test", "webhook.disable"} {
			var c int
			db.Read().QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, a).Scan(&c)
			if c != 1 {
				t.Errorf("audit %s: %d", a, c)
			}
		}
	})
}

func TestWebhookGivesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		srv := newHookServer(1000)
		defer srv.srv.Close()
		hook, _, err := f.svc.CreateWebhook(context.Background(), org.System(), notify.WebhookInput{OrgID: f.county.ID, Name: "x", URL: srv.srv.URL, Secret: "0123456789abcdef"})
		if err != nil {
			t.Fatal(err)
		}
		// A delivery job with 2 attempts (the default is 10; set it low via the row).
		f.send(notify.Message{OrgID: f.office.ID, Kind: "notice.general", Title: "通知"})
		if _, err := db.Exec(context.Background(), `UPDATE jobs SET max_attempts = 2`); err != nil {
			t.Fatal(err)
		}
		runJobs(t, db, f.svc)
		waitFor(t, "failure", func() bool {
			ds, _ := f.svc.Deliveries(context.Background(), org.System(), hook.ID, 10)
			return len(ds) == 1 && ds[0].Status == "failed"
		})
		ds, _ := f.svc.Deliveries(context.Background(), org.System(), hook.ID, 10)
		if ds[0].Attempts != 2 || ds[0].ResponseCode != 500 || ds[0].LastError != "HTTP 500" {
			t.Fatalf("%+v", ds[0])
		}
	})
}

var csrfless = regexp.MustCompile(`<form method="post"`)

func TestInboxAndWebhookPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		id := f.send(notify.Message{UserID: f.staff.ID, Kind: "mediation.assigned", Title: "调解案件 TJ-2026-0042 已分派给您", Link: "/mediation/cases/42"})
		f.send(notify.Message{OrgID: f.office.ID, Kind: "notice.general", Title: "本周五下午召开所务会"})
		rec := f.do(f.staff, "GET", "/inbox", nil)
		body := rec.Body.String()
		if rec.Code != 200 || !strings.Contains(body, "调解案件 TJ-2026-0042 已分派给您") || !strings.Contains(body, "本单位通知") ||
			!strings.Contains(body, `<a class="topbadge" href="/inbox">消息 <span class="badge badge-danger">2</span></a>`) {
			t.Fatalf("inbox page %d\n%s", rec.Code, body)
		}
		if len(csrfless.FindAllString(body, -1)) < 2 {
			t.Fatal("mark-read forms missing")
		}
		// Open: marks read and goes to the item.
		rec = f.do(f.staff, "GET", "/inbox/"+strconv.FormatInt(id, 10)+"/go", nil)
		if rec.Code != 303 || rec.Header().Get("Location") != "/mediation/cases/42" {
			t.Fatalf("open: %d %s", rec.Code, rec.Header().Get("Location"))
		}
		if rec := f.do(f.staffB, "GET", "/inbox/"+strconv.FormatInt(id, 10)+"/go", nil); rec.Code != 404 {
			t.Fatalf("foreign open: %d", rec.Code)
		}
		if rec := f.do(f.staff, "POST", "/inbox/read-all", url.Values{}); rec.Code != 303 {
			t.Fatalf("read all: %d", rec.Code)
		}
		if n := unread(t, f, f.principal(f.staff)); n != 0 {
			t.Fatalf("unread after read-all %d", n)
		}
		// Webhooks: settings.manage only.
		if rec := f.do(f.staff, "GET", "/admin/webhooks", nil); rec.Code != 403 {
			t.Fatalf("staff webhooks: %d", rec.Code)
		}
		rec = f.do(f.sa, "POST", "/admin/webhooks", url.Values{"name": {"省短信平台"}, "org_id": {strconv.FormatInt(f.county.ID, 10)}, "url": {"ftp://x"}})
		if rec.Code != 422 || !strings.Contains(rec.Body.String(), "http:// 或 https://") {
			t.Fatalf("bad url: %d", rec.Code)
		}
		rec = f.do(f.sa, "POST", "/admin/webhooks", url.Values{"name": {"省短信平台"}, "org_id": {strconv.FormatInt(f.county.ID, 10)},
			"url": {"https://sms.example.gov.cn/hook"}, "events": {"deadline.*"}})
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), "签名密钥只显示这一次") || rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("create: %d", rec.Code)
		}
		hooks, _ := f.svc.Webhooks(context.Background(), org.System())
		if len(hooks) != 1 {
			t.Fatal("hook not created")
		}
		path := "/admin/webhooks/" + strconv.FormatInt(hooks[0].ID, 10)
		if rec := f.do(f.sa, "GET", path, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), "发送测试消息") {
			t.Fatalf("detail: %d", rec.Code)
		}
		if rec := f.do(f.sa, "POST", path+"/test", url.Values{}); rec.Code != 303 {
			t.Fatalf("test: %d", rec.Code)
		}
		if rec := f.do(f.sa, "POST", path+"/disable", url.Values{}); rec.Code != 303 {
			t.Fatalf("disable: %d", rec.Code)
		}
		if h, _ := f.svc.Webhook(context.Background(), org.System(), hooks[0].ID); h.Active {
			t.Fatal("still active")
		}
	})
}
