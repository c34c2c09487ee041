package auditui_test

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/audit"
	"fengqiao/internal/auditui"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

const pw = "Zhang-2026-sfs"

type fixture struct {
	db               *store.DB
	svc              *auth.Service
	h                http.Handler
	countyA, countyB org.Org
	officeA, officeB org.Org
	prov             org.Org
	clerkID, audAID  int64
	cookies          map[string]*http.Cookie
}

func setup(t *testing.T, db *store.DB, opts ...func(*auditui.Handler)) *fixture {
	t.Helper()
	ctx := context.Background()
	orgs := &org.Store{DB: db}
	svc := auth.New(db, orgs, plainSealer{})
	svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	if err := svc.SeedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	f := &fixture{db: db, svc: svc, cookies: map[string]*http.Cookie{}}
	f.prov = mk(0, org.Province, "四川省司法厅", "510000")
	city := mk(f.prov.ID, org.City, "巴中市司法局", "511900")
	f.countyA = mk(city.ID, org.County, "巴州区司法局", "511902")
	f.countyB = mk(city.ID, org.County, "恩阳区司法局", "511903")
	f.officeA = mk(f.countyA.ID, org.Office, "江北街道司法所", "511902001")
	f.officeB = mk(f.countyB.ID, org.Office, "登科街道司法所", "511903001")
	user := func(name string, orgID int64, role string) int64 {
		u, err := svc.CreateUser(ctx, nil, auth.UserInput{Username: name, DisplayName: "用户" + name, OrgID: orgID, Roles: []string{role}, Password: pw})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return u.ID
	}
	f.audAID = user("auditora", f.countyA.ID, "auditadmin")
	user("auditorp", f.prov.ID, "auditadmin")
	f.clerkID = user("clerka", f.officeA.ID, "office_staff")
	user("clerkb", f.officeB.ID, "office_staff")
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: svc, R: r}
	mux := http.NewServeMux()
	h := &auditui.Handler{Auth: ah, DB: db, RetentionDays: 190}
	for _, o := range opts {
		o(h)
	}
	h.Routes(mux)
	f.h = web.RequestID(ah.Middleware(mux))
	return f
}

// get requests path as user (signing in once).
func (f *fixture) get(t *testing.T, user, path string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	c := f.cookies[user]
	if c == nil {
		res, err := f.svc.Login(context.Background(), user, pw, "10.0.0.9", "test")
		if err != nil {
			t.Fatalf("login %s: %v", user, err)
		}
		c = &http.Cookie{Name: auth.CookieName, Value: res.Token}
		f.cookies[user] = c
	}
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(c)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// clerkEvents writes one event in each county, as its clerk would.
func (f *fixture) clerkEvents(t *testing.T) {
	t.Helper()
	for _, e := range []struct {
		actor audit.Actor
		objID string
	}{
		{audit.Actor{UserID: f.clerkID, Username: "clerka", OrgID: f.officeA.ID, IP: "10.1.0.1", RequestID: "req-east"}, "901"},
		{audit.Actor{Username: "clerkb", OrgID: f.officeB.ID, IP: "10.2.0.1", RequestID: "req-west"}, "902"},
	} {
		if err := audit.RecordAlone(audit.WithActor(context.Background(), e.actor), f.db,
			audit.Event{Action: "person.reveal", ObjectType: "person", ObjectID: e.objID, PersonID: 77}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestListScopeAndPermission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.clerkEvents(t)
		rec := f.get(t, "auditora", "/admin/audit")
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("auditor gets %d: %s", rec.Code, body)
		}
		for _, want := range []string{"审计日志", "查看完整个人信息", "req-east", "江北街道司法所", "clerka", "人员", "#901", "badge-ok", "/admin/audit/export.xlsx"} {
			if !strings.Contains(body, want) {
				t.Errorf("list lacks %q", want)
			}
		}
		if strings.Contains(body, "/static/missing/") {
			t.Error("the page links a static file that is not registered")
		}
		for _, banned := range []string{"req-west", "clerkb", "登科街道司法所"} {
			if strings.Contains(body, banned) {
				t.Errorf("county A auditor sees county B's %q", banned)
			}
		}
		// The provincial auditor sees both counties.
		if b := f.get(t, "auditorp", "/admin/audit?action=person.").Body.String(); !strings.Contains(b, "req-west") || !strings.Contains(b, "req-east") {
			t.Error("the provincial auditor must see every county")
		}
		// A neighbour county's org as a filter is refused by field.
		rec = f.get(t, "auditora", "/admin/audit?org="+strconv.FormatInt(f.officeB.ID, 10))
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "所选机构不在您的管辖范围内") || strings.Contains(rec.Body.String(), "req-west") {
			t.Fatalf("out-of-scope org filter: %d", rec.Code)
		}
		rec = f.get(t, "auditora", "/admin/audit?from=2026-13-01")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "开始日期格式应为") {
			t.Fatalf("bad date: %d", rec.Code)
		}
		// htmx gets the table only, filtered.
		rec = f.get(t, "auditora", "/admin/audit?actor=clerka&result=ok", "HX-Request", "true")
		body = rec.Body.String()
		if rec.Code != http.StatusOK || strings.Contains(body, "<html") || !strings.Contains(body, "共 1 条记录") || !strings.Contains(body, "req-east") {
			t.Fatalf("htmx partial: %d %s", rec.Code, body)
		}
		// A business user is refused.
		for _, p := range []string{"/admin/audit", "/admin/audit/verify", "/admin/audit/export.xlsx"} {
			if rec := f.get(t, "clerka", p); rec.Code != http.StatusForbidden {
				t.Errorf("business user on %s gets %d", p, rec.Code)
			}
		}
	})
}

func TestExportIsXLSXAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.clerkEvents(t)
		rec := f.get(t, "auditora", "/admin/audit/export.xlsx?action=person.reveal")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", rec.Code, rec.Header().Get("Content-Type"))
		}
		x, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("审计日志")
		if err != nil || len(rows) != 3 {
			t.Fatalf("want title, header and 1 row, got %d: %v", len(rows), err)
		}
		if rows[1][0] != "序号" || rows[1][1] != "时间(北京时间)" || rows[1][6] != "操作" || rows[1][15] != "说明" {
			t.Fatalf("header row: %v", rows[1])
		}
		if rows[2][2] != "clerka" || rows[2][4] != "江北街道司法所" || rows[2][6] != "查看完整个人信息" || rows[2][10] != "77" {
			t.Fatalf("data row: %v", rows[2])
		}
		if !strings.Contains(rows[0][0], "共 1 条") {
			t.Fatalf("title: %v", rows[0])
		}
		// The export itself is in the log, with count and filter, attributed to the auditor.
		got, _, err := audit.Query(context.Background(), db, org.System(), audit.Filter{Action: "audit.export"})
		if err != nil || len(got) != 1 {
			t.Fatalf("export not audited: %v %v", got, err)
		}
		if e := got[0]; e.ActorUserID != f.audAID || e.OrgID != f.countyA.ID || e.Detail != "rows=1; action=person.reveal" {
			t.Fatalf("export audit row: %+v", e)
		}
		// The export row is visible to the auditor on the list.
		if b := f.get(t, "auditora", "/admin/audit?action=audit.").Body.String(); !strings.Contains(b, "导出审计日志") {
			t.Error("the export must show on the list")
		}
		// Nothing to export: no file, a message, nothing audited.
		rec = f.get(t, "auditora", "/admin/audit/export.xlsx?actor=nobody")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "没有符合条件的记录") {
			t.Fatalf("empty export: %d", rec.Code)
		}
		if n, _ := audit.Count(context.Background(), db, org.System(), audit.Filter{Action: "audit.export"}); n != 1 {
			t.Fatalf("refused export audited: %d", n)
		}
	})
}

// Past the cap nothing is exported and the auditor is told how to narrow.
func TestExportCap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, func(h *auditui.Handler) { h.MaxRows = 1 })
		f.clerkEvents(t)
		rec := f.get(t, "auditora", "/admin/audit/export.xlsx")
		body := rec.Body.String()
		if rec.Code != http.StatusUnprocessableEntity || strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") ||
			!strings.Contains(body, "超过单次导出上限 1 条") || !strings.Contains(body, "请缩小日期范围") {
			t.Fatalf("export over the cap: %d %s", rec.Code, body)
		}
		if n, _ := audit.Count(context.Background(), db, org.System(), audit.Filter{Action: "audit.export"}); n != 0 {
			t.Fatal("a refused export must not be recorded as an export")
		}
		if rec := f.get(t, "auditora", "/admin/audit/export.xlsx?actor=clerka"); rec.Code != http.StatusOK {
			t.Fatalf("a narrowed export within the cap: %d", rec.Code)
		}
	})
}

func TestVerifyPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.clerkEvents(t)
		rec := f.get(t, "auditora", "/admin/audit/verify")
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, "日志完整") || !strings.Contains(body, "190 天") || !strings.Contains(body, "从未清理") {
			t.Fatalf("verify: %d %s", rec.Code, body)
		}
		if db.Engine != store.SQLite {
			return
		}
		// Tamper after dropping the trigger (what a DBA could do): the page names the row.
		var seq int64
		if err := db.Read().QueryRow(context.Background(), `SELECT seq FROM audit_log WHERE object_id = '901'`).Scan(&seq); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{`DROP TRIGGER audit_log_no_update`, `UPDATE audit_log SET object_id = '999' WHERE seq = ` + strconv.FormatInt(seq, 10)} {
			if _, err := db.Exec(context.Background(), q); err != nil {
				t.Fatal(err)
			}
		}
		rec = f.get(t, "auditora", "/admin/audit/verify")
		b, _ := io.ReadAll(rec.Body)
		body = string(b)
		if !strings.Contains(body, "日志链已断开") || !strings.Contains(body, "第一处问题在第 "+strconv.FormatInt(seq, 10)+" 条记录") || !strings.Contains(body, "内容与哈希不符") {
			t.Fatalf("broken chain not shown: %s", body)
		}
	})
}
