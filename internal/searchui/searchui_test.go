package searchui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strings"
	"testing"

	"fengqiao/internal/api/apitest"
	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/search"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

const (
	pw  = "Zhang-2026-sfs"
	idA = "11010519491231002X"
)

// Two toy case types on real lines: the search scopes cases by line.
func init() {
	for _, t := range []struct{ code, line, name, abbr string }{{"srch_med", "mediation", "测试调解案件", "民调"}, {"srch_corr", "correction", "测试矫正案件", "矫"}} {
		casework.Register(casework.Type{
			Code: t.code, Line: t.line, Name: t.name, Abbr: t.abbr,
			NumberPattern: "（{year}）{org_code}{type_abbr}字第{seq:4}号",
			OrgCode:       func(o org.Org) string { return "川" + o.DivisionCode[2:6] },
			States:        []casework.State{{Code: "new", Name: "待受理"}, {Code: "closed", Name: "已办结", Final: true}},
			Transitions: []casework.Transition{{Code: "close", Name: "结案", From: []string{"new"}, To: "closed",
				Perm: t.line + ".edit"}},
		})
	}
}

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

type fixture struct {
	t                         *testing.T
	db                        *store.DB
	ps                        *person.Store
	cs                        *casework.Store
	svc                       *auth.Service
	h                         http.Handler
	val                       *apitest.Validator
	officeA, officeB          org.Org
	scA, scB                  org.Scope
	cookies                   map[string]*http.Cookie
	zhang, zhangB, corp       person.Person
	caseA, caseCorr, caseB    *casework.Case
	personScopeA, caseScopesA []search.Target
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	orgs := &org.Store{DB: db}
	f := &fixture{t: t, db: db, cookies: map[string]*http.Cookie{}}
	f.svc = auth.New(db, orgs, plainSealer{})
	f.svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	if err := f.svc.SeedRoles(ctx); err != nil {
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
	city := mk(prov.ID, org.City, "巴中市司法局", "511900")
	countyA := mk(city.ID, org.County, "巴州区司法局", "511902")
	countyB := mk(city.ID, org.County, "恩阳区司法局", "511903")
	f.officeA = mk(countyA.ID, org.Office, "江北街道司法所", "511902001")
	f.officeB = mk(countyB.ID, org.Office, "登科街道司法所", "511903001")
	var err error
	if f.scA, err = orgs.ScopeOf(ctx, countyA.ID); err != nil {
		t.Fatal(err)
	}
	if f.scB, err = orgs.ScopeOf(ctx, countyB.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name string
		org  int64
		role string
	}{
		{"staff", f.officeA.ID, "office_staff"}, {"corr", f.officeA.ID, "correction_worker"},
		{"staffb", f.officeB.ID, "office_staff"}, {"admin", countyA.ID, "sysadmin"},
	} {
		if _, err := f.svc.CreateUser(ctx, nil, auth.UserInput{Username: u.name, DisplayName: "用户" + u.name, OrgID: u.org, Roles: []string{u.role}, Password: pw}); err != nil {
			t.Fatalf("user %s: %v", u.name, err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	crypto, err := person.NewCrypto(person.Keys{Field: map[int][]byte{1: bytes.Repeat([]byte{1}, 32)}, Current: 1, Hash: bytes.Repeat([]byte{0x42}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	f.ps = &person.Store{DB: db, Crypto: crypto}
	f.cs = &casework.Store{DB: db}
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: f.svc, R: r}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", r.StaticHandler())
	ah.Routes(mux)
	(&Handler{Auth: ah, DB: db}).Routes(mux)
	f.h = ah.Middleware(mux)
	f.val = apitest.NewValidator(t, mux)

	// Data: persons and cases in county A, their twins in county B.
	f.zhang = f.person(f.scA, person.Input{OrgID: f.officeA.ID, Kind: person.Natural, Name: "张宅基", DocType: "id_card",
		IDNumber: idA, Phone: "13812345678", Address: "江北街道阿署达村三组"})
	f.corp = f.person(f.scA, person.Input{OrgID: f.officeA.ID, Kind: person.Organization, Name: "巴中市宏达建材有限公司",
		CreditCode: "91350100M000100Y43", LegalRep: "李离婚"})
	f.zhangB = f.person(f.scB, person.Input{OrgID: f.officeB.ID, Kind: person.Natural, Name: "张宅基", Address: "登科街道阿署达村"})
	f.caseA = f.newCase(f.scA, "srch_med", f.officeA.ID, "协议离婚纠纷")
	f.caseCorr = f.newCase(f.scA, "srch_corr", f.officeA.ID, "离婚后探视矫正对象")
	f.caseB = f.newCase(f.scB, "srch_med", f.officeB.ID, "宅基地离婚纠纷")
	return f
}

func (f *fixture) person(sc org.Scope, in person.Input) person.Person {
	f.t.Helper()
	p, err := f.ps.Create(context.Background(), sc, in)
	if err != nil {
		f.t.Fatalf("person %s: %v", in.Name, err)
	}
	return p
}

func actor(sc org.Scope) context.Context {
	return auth.WithPrincipal(context.Background(), auth.NewPrincipalForTest(0, 0, sc, "mediation.edit", "correction.edit"))
}

func (f *fixture) newCase(sc org.Scope, typ string, orgID int64, title string) *casework.Case {
	f.t.Helper()
	var c *casework.Case
	ctx := actor(sc)
	err := f.db.Tx(ctx, func(tx *store.Tx) (err error) {
		c, err = f.cs.Create(ctx, tx, sc, typ, orgID, title, 0)
		return err
	})
	if err != nil {
		f.t.Fatalf("case %s: %v", title, err)
	}
	return c
}

func (f *fixture) cookie(user string) *http.Cookie {
	if c := f.cookies[user]; c != nil {
		return c
	}
	res, err := f.svc.Login(context.Background(), user, pw, "127.0.0.1", "test")
	if err != nil {
		f.t.Fatalf("login %s: %v", user, err)
	}
	c := &http.Cookie{Name: auth.CookieName, Value: res.Token}
	f.cookies[user] = c
	return c
}

func (f *fixture) get(user, path string) *httptest.ResponseRecorder {
	f.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	if user != "" {
		req.AddCookie(f.cookie(user))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if strings.HasPrefix(req.URL.Path, "/api/") {
		if err := f.val.Check(req, rec.Code, rec.Body.Bytes()); err != nil {
			f.t.Errorf("openapi: %v", err)
		}
	}
	return rec
}

// api returns the "kind:id" of every hit of GET /api/v1/search as user.
func (f *fixture) api(user, q, kinds string) []string {
	f.t.Helper()
	v := url.Values{"q": {q}}
	if kinds != "" {
		v.Set("kinds", kinds)
	}
	rec := f.get(user, "/api/v1/search?"+v.Encode())
	if rec.Code != http.StatusOK {
		f.t.Fatalf("api %q as %s: %d %s", q, user, rec.Code, rec.Body)
	}
	var body struct {
		Items []Result
		Total int
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		f.t.Fatal(err)
	}
	out := []string{}
	for _, r := range body.Items {
		out = append(out, fmt.Sprintf("%s:%d", r.Kind, r.ID))
	}
	if body.Total != len(out) {
		f.t.Errorf("api %q: total %d for %d items", q, body.Total, len(out))
	}
	return out
}

func ref(kind string, id int64) string { return fmt.Sprintf("%s:%d", kind, id) }

// store-level result of q for the viewer's targets, for comparing before
// and after a reindex.
func (f *fixture) query(q string) []search.Hit {
	f.t.Helper()
	targets := []search.Target{{Kind: "person", Scope: f.scA}, {Kind: "case_mediation", Scope: f.scA}, {Kind: "case_correction", Scope: f.scA}}
	hits, _, err := search.Search(context.Background(), f.db, targets, q, 50, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return hits
}

func sorted(hits []search.Hit) []search.Hit {
	out := append([]search.Hit{}, hits...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].RefID < out[j].RefID
	})
	return out
}

func check(t *testing.T, name string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %q, want %q", name, got, want)
	}
}

func TestSearchAPI(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		zhang, corp := ref("person", f.zhang.ID), ref("person", f.corp.ID)
		med, corr := ref("case_mediation", f.caseA.ID), ref("case_correction", f.caseCorr.ID)

		// Persons by a two-character part of the name, by an address word,
		// by the legal representative; never by ID, credit code or phone.
		check(t, "name part", f.api("staff", "宅基", ""), zhang)
		check(t, "address", f.api("staff", "阿署达", "person"), zhang)
		check(t, "legal rep", f.api("staff", "李离婚", ""), corp)
		check(t, "id number", f.api("staff", idA, ""))
		check(t, "id tail", f.api("staff", "002X", ""))
		check(t, "phone", f.api("staff", "13812345678", ""))
		check(t, "credit code", f.api("staff", "91350100M000100Y43", ""))
		// Cases by number and title word; title hits rank first, then newest.
		check(t, "number", f.api("staff", f.caseA.Number, ""), med)
		check(t, "title word", f.api("staff", "离婚", ""), corr, med, corp)
		check(t, "one line", f.api("staff", "离婚", "case_mediation"), med)
		// Per-line scope: the correction worker sees persons and correction
		// cases, not mediation cases, and may not ask for them.
		check(t, "correction worker", f.api("corr", "离婚", ""), corr, corp)
		if rec := f.get("corr", "/api/v1/search?q=%E7%A6%BB%E5%A9%9A&kinds=case_mediation"); rec.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(rec.Body.String(), `"kinds"`) {
			t.Errorf("hidden kind: %d %s", rec.Code, rec.Body)
		}
		// The neighbour county never sees county A's records and vice versa.
		check(t, "county B", f.api("staffb", "宅基", ""), ref("case_mediation", f.caseB.ID), ref("person", f.zhangB.ID))
		for _, q := range []string{"江北", "协议", f.caseA.Number} {
			check(t, "county B "+q, f.api("staffb", q, ""))
		}
		// Bad input names the field; no line view → 403.
		for path, field := range map[string]string{"/api/v1/search": "q", "/api/v1/search?q=x&size=0": "size",
			"/api/v1/search?q=x&kinds=Person": "kinds", "/api/v1/search?q=" + strings.Repeat("案", 101): "q"} {
			if rec := f.get("staff", path); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `"field":"`+field+`"`) {
				t.Errorf("%s: %d %s", path, rec.Code, rec.Body)
			}
		}
		if rec := f.get("admin", "/api/v1/search?q=x"); rec.Code != http.StatusForbidden {
			t.Errorf("sysadmin: %d", rec.Code)
		}
		// Paging.
		rec := f.get("staff", "/api/v1/search?q=%E7%A6%BB%E5%A9%9A&size=2&page=2")
		if !strings.Contains(rec.Body.String(), `"total":3`) || strings.Count(rec.Body.String(), `"kind"`) != 1 {
			t.Errorf("page 2: %s", rec.Body)
		}
	})
}

func TestSearchPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		body := func(user, path string, status int) string {
			t.Helper()
			rec := f.get(user, path)
			if rec.Code != status {
				t.Fatalf("%s as %s: %d, want %d\n%s", path, user, rec.Code, status, rec.Body)
			}
			return html.UnescapeString(rec.Body.String())
		}
		b := body("staff", "/search?q="+url.QueryEscape("离婚"), http.StatusOK)
		for _, s := range []string{"当事人", "人民调解案件", "社区矫正案件", f.caseA.Number + " 协议离婚纠纷",
			fmt.Sprintf(`href="/mediation/cases/%d"`, f.caseA.ID), fmt.Sprintf(`href="/correction/cases/%d"`, f.caseCorr.ID),
			fmt.Sprintf(`href="/persons/%d"`, f.corp.ID), "巴中市宏达建材有限公司", "江北街道司法所"} {
			if !strings.Contains(b, s) {
				t.Errorf("page lacks %q", s)
			}
		}
		// The neighbour county's case and person are never on the page.
		b = body("staff", "/search?q="+url.QueryEscape("宅基"), http.StatusOK)
		if strings.Contains(b, "登科街道司法所") || strings.Contains(b, fmt.Sprintf("/persons/%d", f.zhangB.ID)) ||
			strings.Contains(b, fmt.Sprintf("/mediation/cases/%d", f.caseB.ID)) {
			t.Error("county B's records shown to county A")
		}
		if !strings.Contains(b, fmt.Sprintf("/persons/%d", f.zhang.ID)) {
			t.Error("own person missing")
		}
		b = body("corr", "/search?q="+url.QueryEscape("离婚"), http.StatusOK)
		if strings.Contains(b, "人民调解案件") || strings.Contains(b, "/mediation/cases/") {
			t.Error("mediation cases shown without mediation.view")
		}
		// One kind, paged; a kind the viewer cannot search names the field.
		b = body("staff", "/search?kind=case_mediation&q="+url.QueryEscape("离婚"), http.StatusOK)
		if !strings.Contains(b, "共 1 条") || strings.Contains(b, "/persons/") {
			t.Errorf("single kind page wrong:\n%s", b)
		}
		body("corr", "/search?kind=case_mediation&q="+url.QueryEscape("离婚"), http.StatusUnprocessableEntity)
		body("staff", "/search?q="+strings.Repeat("案", 101), http.StatusUnprocessableEntity)
		body("admin", "/search?q=x", http.StatusForbidden)
		if rec := f.get("", "/search?q=x"); rec.Code != http.StatusSeeOther && rec.Code != http.StatusFound {
			t.Errorf("anonymous: %d", rec.Code)
		}
		// The empty form.
		body("staff", "/search", http.StatusOK)
	})
}

func TestIndexFollowsChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		// Update re-indexes: the old address word is gone, the new one found.
		in := person.Input{Kind: person.Natural, Name: "张宅基", Address: "江北街道石城社区"}
		if _, err := f.ps.Update(ctx, f.scA, f.zhang.ID, in); err != nil {
			t.Fatal(err)
		}
		check(t, "old address", f.api("staff", "阿署达", ""))
		check(t, "new address", f.api("staff", "石城", ""), ref("person", f.zhang.ID))
		// Merge removes the tombstone's document.
		dup := f.person(f.scA, person.Input{OrgID: f.officeA.ID, Kind: person.Natural, Name: "张宅基", Address: "石城社区"})
		check(t, "before merge", f.api("staff", "石城", "person"), ref("person", dup.ID), ref("person", f.zhang.ID))
		if _, err := f.ps.Merge(ctx, f.scA, f.zhang.ID, dup.ID); err != nil {
			t.Fatal(err)
		}
		check(t, "after merge", f.api("staff", "石城", "person"), ref("person", f.zhang.ID))
		// A transition keeps the case indexed.
		cctx := actor(f.scA)
		if err := db.Tx(cctx, func(tx *store.Tx) error {
			_, err := f.cs.Transition(cctx, tx, f.scA, f.caseA.ID, 0, "close", nil, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		check(t, "after transition", f.api("staff", "协议", ""), ref("case_mediation", f.caseA.ID))

		// Moving an office to the neighbour county moves its records'
		// documents with it, in the move's transaction.
		orgs := &org.Store{DB: db}
		if err := orgs.Move(ctx, org.System(), f.officeA.ID, f.officeB.ID); err == nil {
			t.Fatal("an office under an office must be refused")
		}
		countyB, err := orgs.Get(ctx, org.System(), f.officeB.ParentID)
		if err != nil {
			t.Fatal(err)
		}
		if err := orgs.Move(ctx, org.System(), f.officeA.ID, countyB.ID); err != nil {
			t.Fatal(err)
		}
		// (the users work at the offices, whose subtrees moved with them:
		// ask with the counties' scopes)
		inScope := func(sc org.Scope, q string) []string {
			t.Helper()
			hits, _, err := search.Search(ctx, db, []search.Target{{Kind: "person", Scope: sc}, {Kind: "case_mediation", Scope: sc}}, q, 50, 0)
			if err != nil {
				t.Fatal(err)
			}
			out := []string{}
			for _, h := range hits {
				out = append(out, ref(h.Kind, h.RefID))
			}
			return out
		}
		check(t, "moved, old county", inScope(f.scA, "石城"))
		check(t, "moved, new county", inScope(f.scB, "石城"), ref("person", f.zhang.ID))
		check(t, "moved case, new county", inScope(f.scB, "协议"), ref("case_mediation", f.caseA.ID))
		check(t, "moved, office staff", f.api("staff", "协议", ""), ref("case_mediation", f.caseA.ID))
		if err := orgs.Move(ctx, org.System(), f.officeA.ID, f.officeA.ParentID); err != nil {
			t.Fatal(err)
		}
		check(t, "moved back", inScope(f.scA, "协议"), ref("case_mediation", f.caseA.ID))
		check(t, "moved back, county B", inScope(f.scB, "协议"))

		// Reindex rebuilds the same results from persons and cases, and
		// drops documents whose object is gone.
		queries := []string{"离婚", "宅基", "石城", "阿署达", "协议", "建材", f.caseA.Number}
		before := map[string][]search.Hit{}
		for _, q := range queries {
			before[q] = f.query(q)
		}
		// Damage: a stale title on one person, a ghost document.
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			if err := search.Index(ctx, tx, "person", f.corp.ID, f.officeA.ID, "旧名称"); err != nil {
				return err
			}
			return search.Index(ctx, tx, "person", 999999, f.officeA.ID, "离婚幽灵")
		}); err != nil {
			t.Fatal(err)
		}
		if hits := f.query("幽灵"); len(hits) != 1 {
			t.Fatalf("ghost not indexed: %v", hits)
		}
		n, err := search.Reindex(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if n["person"] != 3 || n["case"] != 3 {
			t.Errorf("reindexed %v, want 3 live persons and 3 cases", n)
		}
		same := func(name string, strict bool) {
			t.Helper()
			for _, q := range queries {
				after, want := f.query(q), before[q]
				if !strict { // a rebuilt index may order equal ranks differently
					after, want = sorted(after), sorted(want)
				}
				if !reflect.DeepEqual(after, want) {
					t.Errorf("%s %s: %+v after reindex, %+v before", name, q, after, want)
				}
			}
			check(t, name+" ghost", f.api("staff", "幽灵", ""))
		}
		same("repair", true)
		// From an empty index the same documents come back.
		if _, err := db.Exec(ctx, `DELETE FROM search_docs`); err != nil {
			t.Fatal(err)
		}
		if hits := f.query("离婚"); len(hits) != 0 {
			t.Fatalf("index not cleared: %v", hits)
		}
		if _, err := search.Reindex(ctx, db); err != nil {
			t.Fatal(err)
		}
		same("from empty", false)
	})
}
