package personui

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/api/apitest"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

// GB 11643-1999 example numbers and valid mobiles.
const (
	idA    = "11010519491231002X" // female, 1949-12-31
	idB    = "440524188001010014" // male, 1880-01-01
	phoneA = "13812345678"
	phoneB = "15900001111"
	maskA  = "110105********002X"
	pw     = "Zhang-2026-sfs"
)

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// Fake business lines: each lists the cases of testCases within its scope.
type fakeCase struct {
	person  int64
	orgPath string
	ref     person.CaseRef
}

var testCases = map[string][]fakeCase{}

func init() {
	for _, line := range []string{"mediation", "correction"} {
		person.RegisterCaseLister(line, func(ctx context.Context, sc org.Scope, id int64) ([]person.CaseRef, error) {
			var out []person.CaseRef
			for _, c := range testCases[line] {
				if c.person == id && sc.Contains(c.orgPath) {
					out = append(out, c.ref)
				}
			}
			return out, nil
		})
	}
}

type fixture struct {
	t                         *testing.T
	db                        *store.DB
	ps                        *person.Store
	svc                       *auth.Service
	mux                       *http.ServeMux
	h                         http.Handler
	val                       *apitest.Validator
	countyA, officeA, officeB org.Org
	scA                       org.Scope
	cookies                   map[string]*http.Cookie
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
	f.countyA = mk(city.ID, org.County, "巴州区司法局", "511902")
	countyB := mk(city.ID, org.County, "恩阳区司法局", "511903")
	f.officeA = mk(f.countyA.ID, org.Office, "江北街道司法所", "511902001")
	f.officeB = mk(countyB.ID, org.Office, "登科街道司法所", "511903001")
	var err error
	if f.scA, err = orgs.ScopeOf(ctx, f.countyA.ID); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name string
		org  int64
		role string
	}{
		{"head", f.officeA.ID, "office_head"}, {"staff", f.officeA.ID, "office_staff"}, {"staffb", f.officeB.ID, "office_staff"},
		{"mediator", f.officeA.ID, "mediator"}, {"admin", f.countyA.ID, "sysadmin"},
	} {
		if _, err := f.svc.CreateUser(ctx, nil, auth.UserInput{Username: u.name, DisplayName: "用户" + u.name, OrgID: u.org, Roles: []string{u.role}, Password: pw}); err != nil {
			t.Fatalf("user %s: %v", u.name, err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	keys := person.Keys{Field: map[int][]byte{1: bytes.Repeat([]byte{1}, 32)}, Current: 1, Hash: bytes.Repeat([]byte{0x42}, 32)}
	crypto, err := person.NewCrypto(keys)
	if err != nil {
		t.Fatal(err)
	}
	f.ps = &person.Store{DB: db, Crypto: crypto}
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: f.svc, R: r}
	f.mux = http.NewServeMux()
	ah.Routes(f.mux)
	(&Handler{Auth: ah, Store: f.ps, Orgs: orgs}).Routes(f.mux)
	f.h = ah.Middleware(f.mux)
	f.val = apitest.NewValidator(t, f.mux)
	return f
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

// do sends a request as user (form body for url.Values, JSON for others)
// and fails the test when the response carries a clear ID or mobile
// number, except a successful reveal.
func (f *fixture) do(user, method, path string, body any, hdr ...string) *httptest.ResponseRecorder {
	f.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	default:
		j, _ := json.Marshal(b)
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req := httptest.NewRequest(method, path, rd)
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if user != "" {
		req.AddCookie(f.cookie(user))
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	revealOK := strings.HasSuffix(req.URL.Path, "/reveal") && rec.Code == http.StatusOK
	if found := leakscan.Scan(rec.Body.Bytes()); len(found) > 0 && !revealOK {
		f.t.Fatalf("%s %s answered %d with %d clear numbers, first %s (%s)", method, path, rec.Code, len(found), found[0].Masked, found[0].Kind)
	}
	if loc := rec.Header().Get("Location"); len(leakscan.Scan([]byte(loc))) > 0 {
		f.t.Fatalf("%s %s redirects to a clear number", method, path)
	}
	if strings.HasPrefix(req.URL.Path, "/api/") {
		if err := f.val.Check(req, rec.Code, rec.Body.Bytes()); err != nil {
			f.t.Errorf("openapi: %v", err)
		}
	}
	return rec
}

func want(t *testing.T, rec *httptest.ResponseRecorder, status int, contains ...string) string {
	t.Helper()
	b := html.UnescapeString(rec.Body.String())
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body:\n%s", rec.Code, status, b)
	}
	for _, s := range contains {
		if !strings.Contains(b, s) {
			t.Fatalf("body lacks %q:\n%s", s, b)
		}
	}
	return b
}

func lacks(t *testing.T, b string, s ...string) {
	t.Helper()
	for _, x := range s {
		if strings.Contains(b, x) {
			t.Fatalf("body must not contain %q", x)
		}
	}
}

func (f *fixture) create(in person.Input) person.Person {
	f.t.Helper()
	if in.OrgID == 0 {
		in.OrgID = f.officeA.ID
	}
	if in.Kind == "" {
		in.Kind = person.Natural
	}
	p, err := f.ps.Create(context.Background(), f.scA, in)
	if err != nil {
		f.t.Fatalf("create %s: %v", in.Name, err)
	}
	return p
}

func (f *fixture) audits(action, result string) int {
	f.t.Helper()
	var n int
	if err := f.db.Read().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = ? AND result = ?`, action, result).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func sid(id int64) string { return strconv.FormatInt(id, 10) }

func TestPersonScope(t *testing.T) {
	sc := org.System()
	cases := []struct {
		perms []string
		sees  bool
	}{
		{[]string{"mediation.view"}, true},
		{[]string{"reporting.view"}, true},
		{[]string{auth.PermOrgView, auth.PermPIIFull}, false},
		{[]string{"mediation.edit", "correction.approve"}, false},
		{[]string{auth.PermOrgManage, auth.PermUserManage}, false},
		{nil, false},
	}
	for _, c := range cases {
		p := auth.NewPrincipalForTest(1, 1, sc, c.perms...)
		if got := !personScope(p).IsZero(); got != c.sees {
			t.Errorf("perms %v: sees persons %v, want %v", c.perms, got, c.sees)
		}
	}
	if !personScope(nil).IsZero() {
		t.Error("anonymous sees persons")
	}
}

func TestListAndDetailAreMasked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a := f.create(person.Input{Name: "王秀英", IDNumber: idA, Phone: phoneA, Address: "巴州区江北大道1号"})
		f.create(person.Input{Name: "李建华", IDNumber: idB, Phone: phoneB})
		f.create(person.Input{Kind: person.Organization, Name: "巴中市某某建筑有限公司", CreditCode: "91350100M000100Y43"})

		b := want(t, f.do("staff", "GET", "/persons", nil), 200, "王秀英", "李建华", maskA, "138****5678", "巴中市某某建筑有限公司")
		lacks(t, b, idA, phoneA)
		b = want(t, f.do("staff", "GET", "/persons?kind=organization", nil), 200, "巴中市某某建筑有限公司")
		lacks(t, b, "王秀英")
		want(t, f.do("staff", "GET", "/persons?q=秀英", nil), 200, "王秀英")

		// A full number is sealed before the page shows anything.
		for _, num := range []string{idA, phoneA, "110105491231002"} {
			rec := f.do("staff", "GET", "/persons?q="+url.QueryEscape(num), nil)
			loc := rec.Header().Get("Location")
			if rec.Code != http.StatusSeeOther || !strings.Contains(loc, "qx=") || strings.Contains(loc, num) {
				t.Fatalf("search by %s: %d %q", num, rec.Code, loc)
			}
			b = want(t, f.do("staff", "GET", loc, nil), 200, "王秀英", "精确查找")
			lacks(t, b, "李建华")
			if !strings.Contains(b, "/persons/export.xlsx?") || !strings.Contains(b, "qx=") {
				t.Fatal("export link does not carry the sealed query")
			}
		}
		want(t, f.do("staff", "GET", "/persons?qx=v1:broken", nil), 422, "查询条件已失效")

		b = want(t, f.do("staff", "GET", "/persons/"+sid(a.ID), nil), 200, "王秀英", maskA, "138****5678", "女", "1949-12-31", "暂无")
		lacks(t, b, "显示完整号码")
		want(t, f.do("head", "GET", "/persons/"+sid(a.ID), nil), 200, "显示完整号码", `hx-post="/persons/`+sid(a.ID)+`/reveal?field=id_number"`)

		// Administrators see no personal data at all.
		want(t, f.do("admin", "GET", "/persons", nil), 403)
		want(t, f.do("admin", "GET", "/persons/"+sid(a.ID), nil), 403)
		want(t, f.do("admin", "GET", "/api/v1/persons", nil), 403)
		want(t, f.do("", "GET", "/api/v1/persons", nil), 401)
	})
}

func TestRevealNeedsPIIAndIsAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a := f.create(person.Input{Name: "王秀英", IDNumber: idA, Phone: phoneA})
		path := "/persons/" + sid(a.ID) + "/reveal?field=id_number"

		want(t, f.do("staff", "POST", path, nil, "HX-Request", "true"), 403)
		want(t, f.do("staff", "POST", "/api/v1/persons/"+sid(a.ID)+"/reveal", map[string]string{"field": "id_number"}), 403)
		if n := f.audits("person.reveal", "denied"); n != 2 {
			t.Fatalf("denied reveals audited: %d, want 2", n)
		}

		rec := f.do("head", "POST", path, nil, "HX-Request", "true")
		b := want(t, rec, 200, idA)
		if rec.Header().Get("Cache-Control") != "no-store" {
			t.Fatalf("reveal cacheable: %q", rec.Header().Get("Cache-Control"))
		}
		lacks(t, b, "<html", "<nav")
		want(t, f.do("head", "POST", "/persons/"+sid(a.ID)+"/reveal?field=phone", nil, "HX-Request", "true"), 200, phoneA)
		var got Revealed
		rec = f.do("head", "POST", "/api/v1/persons/"+sid(a.ID)+"/reveal", map[string]string{"field": "phone"})
		if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &got) != nil || got.Value != phoneA {
			t.Fatalf("api reveal: %d %s", rec.Code, rec.Body)
		}
		if n := f.audits("person.reveal", "ok"); n != 3 {
			t.Fatalf("reveals audited: %d, want 3 (one per click)", n)
		}
		want(t, f.do("head", "POST", "/persons/"+sid(a.ID)+"/reveal?field=name", nil), 422)
		want(t, f.do("head", "POST", "/api/v1/persons/"+sid(a.ID)+"/reveal", map[string]string{"field": "name"}), 422)
	})
}

func TestNeighbourCountyGets404(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a := f.create(person.Input{Name: "王秀英", IDNumber: idA, Phone: phoneA})
		id := sid(a.ID)
		for _, p := range []string{"/persons/" + id, "/persons/" + id + "/edit", "/persons/" + id + "/duplicates", "/api/v1/persons/" + id} {
			want(t, f.do("staffb", "GET", p, nil), 404)
		}
		want(t, f.do("staffb", "POST", "/persons/"+id+"/edit", url.Values{"name": {"改名"}}), 404)
		want(t, f.do("staffb", "POST", "/persons/"+id+"/reveal?field=id_number", nil), 404)
		want(t, f.do("staffb", "PATCH", "/api/v1/persons/"+id, map[string]string{"name": "改名"}), 404)
		b := want(t, f.do("staffb", "GET", "/persons", nil), 200)
		lacks(t, b, "王秀英")
		rec := f.do("staffb", "GET", "/api/v1/persons?id_number="+idA, nil)
		if b := want(t, rec, 200); !strings.Contains(b, `"total":0`) {
			t.Fatalf("neighbour finds the person by number: %s", b)
		}
	})
}

func TestFormValidatesIDNumber(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		bad := idA[:17] + "1" // wrong check digit
		form := url.Values{"kind": {"natural"}, "name": {"王秀英"}, "doc_type": {"id_card"}, "id_number": {bad}, "org_id": {sid(f.officeA.ID)}}
		b := want(t, f.do("staff", "POST", "/persons/new", form), 422, `id="e-id_number"`, `href="#f-id_number"`, "校验")
		lacks(t, b, "已登记：")
		// Several mistakes are reported together, each at its field.
		many := url.Values{"kind": {"natural"}, "doc_type": {"id_card"}, "id_number": {bad}, "phone": {"1388276"}, "org_id": {sid(f.officeA.ID)}}
		want(t, f.do("staff", "POST", "/persons/new", many), 422, "请修正以下 3 处错误", `id="e-name"`, `id="e-id_number"`, `id="e-phone"`, "身份证号码校验位错误")
		var fields []string
		rec := f.do("staff", "POST", "/api/v1/persons", map[string]string{"kind": "natural", "name": "王秀英", "id_number": bad})
		var eb struct {
			Error struct {
				Fields []struct{ Field, Message string }
			}
		}
		if rec.Code != 422 || json.Unmarshal(rec.Body.Bytes(), &eb) != nil {
			t.Fatalf("api bad id: %d %s", rec.Code, rec.Body)
		}
		for _, x := range eb.Error.Fields {
			fields = append(fields, x.Field)
		}
		if len(fields) != 1 || fields[0] != "id_number" {
			t.Fatalf("api error fields %v", fields)
		}

		// The check endpoint says what the number encodes, never the number.
		want(t, f.do("staff", "POST", "/persons/idcheck", url.Values{"doc_type": {"id_card"}, "id_number": {idA}}, "HX-Request", "true"), 200, "女", "1949-12-31")
		want(t, f.do("staff", "POST", "/persons/idcheck", url.Values{"doc_type": {"id_card"}, "id_number": {bad}}, "HX-Request", "true"), 200, "field-error")

		// A valid number: created, sex and birth date derived.
		form.Set("id_number", idA)
		form.Set("phone", phoneA)
		rec = f.do("staff", "POST", "/persons/new", form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		loc := rec.Header().Get("Location")
		want(t, f.do("staff", "GET", loc, nil), 200, "女", "1949-12-31", maskA)
		// Registering the same number again points to the existing record.
		want(t, f.do("staff", "POST", "/persons/new", form), 422, "请勿重复登记", `href="`+loc+`"`)

		// Editing: the masked number posted back keeps the stored one; a bad
		// new number is refused without being shown again.
		edit := url.Values{"name": {"王秀英"}, "doc_type": {"id_card"}, "id_number": {maskA}, "phone": {"138****5678"}, "org_id": {sid(f.officeA.ID)},
			"sex": {"F"}, "birth_date": {"1949-12-31"}, "address": {"巴州区回风路2号"}}
		rec = f.do("staff", "POST", loc+"/edit", edit)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("edit: %d %s", rec.Code, rec.Body)
		}
		id, _ := strconv.ParseInt(strings.TrimPrefix(loc, "/persons/"), 10, 64)
		full, err := f.ps.Reveal(context.Background(), f.scA, true, id, person.FieldIDNumber)
		if err != nil || full != idA {
			t.Fatalf("number after edit: %v", err)
		}
		edit.Set("id_number", bad)
		want(t, f.do("staff", "POST", loc+"/edit", edit), 422, `id="e-id_number"`)
		// A corrected number re-derives sex and birth date.
		edit.Set("id_number", idB)
		rec = f.do("staff", "POST", loc+"/edit", edit)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("edit new number: %d %s", rec.Code, rec.Body)
		}
		want(t, f.do("staff", "GET", loc, nil), 200, "男", "1880-01-01", "440524********0014")
		// Read-only roles cannot open the form.
		if _, err := f.svc.CreateUser(context.Background(), nil, auth.UserInput{Username: "leader", DisplayName: "领导", OrgID: f.countyA.ID, Roles: []string{"leader"}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		db.Exec(context.Background(), `UPDATE users SET must_change = FALSE`)
		want(t, f.do("leader", "GET", "/persons/new", nil), 403)
		want(t, f.do("leader", "GET", loc, nil), 200, "男")
	})
}

func TestExportIsMaskedAndAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		f.create(person.Input{Name: "王秀英", IDNumber: idA, Phone: phoneA})
		f.create(person.Input{Name: "李建华", IDNumber: idB, Phone: phoneB})
		f.create(person.Input{Kind: person.Organization, Name: "某某公司", CreditCode: "91350100M000100Y43"})
		rec := f.do("staff", "GET", "/persons/export.xlsx", nil)
		if rec.Code != 200 || !strings.Contains(rec.Header().Get("Content-Type"), "spreadsheetml") {
			t.Fatalf("export: %d %s", rec.Code, rec.Header())
		}
		x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, err := x.GetRows("当事人")
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 4 {
			t.Fatalf("rows %d, want header + 3", len(rows))
		}
		var all strings.Builder
		for _, r := range rows {
			all.WriteString(strings.Join(r, "\t") + "\n")
		}
		if found := leakscan.Scan([]byte(all.String())); len(found) > 0 {
			t.Fatalf("export holds clear numbers: %v", found)
		}
		for _, s := range []string{maskA, "138****5678", "王秀英", "某某公司", "91350100M000100Y43"} {
			if !strings.Contains(all.String(), s) {
				t.Fatalf("export lacks %q:\n%s", s, all.String())
			}
		}
		if n := f.audits("person.export", "ok"); n != 1 {
			t.Fatalf("exports audited: %d", n)
		}
		// The export follows the list's filters, sealed number included.
		loc := f.do("staff", "GET", "/persons?q="+idB, nil).Header().Get("Location")
		rec = f.do("staff", "GET", strings.Replace(loc, "/persons?", "/persons/export.xlsx?", 1), nil)
		x, _ = excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if rows, _ = x.GetRows("当事人"); len(rows) != 2 || rows[1][2] != "李建华" {
			t.Fatalf("filtered export rows: %v", rows)
		}
		if rec = f.do("staff", "GET", "/persons/export.xlsx?q="+idB, nil); rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/persons/export.xlsx?qx=") {
			t.Fatalf("export by clear number: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		want(t, f.do("staffb", "GET", "/persons/export.xlsx", nil), 200)
	})
}

func TestMergeDuplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		keep := f.create(person.Input{Name: "王秀英", IDNumber: idA})
		dup := f.create(person.Input{Name: "王秀英", BirthDate: "1949-12-31", Phone: phoneA, Address: "巴州区回风路2号"})
		other := f.create(person.Input{Name: "李建华", IDNumber: idB})
		k, d := sid(keep.ID), sid(dup.ID)

		want(t, f.do("staff", "GET", "/persons/"+k, nil), 200, `<span class="badge badge-warn">1</span>`)
		b := want(t, f.do("staff", "GET", "/persons/"+k+"/duplicates", nil), 200, "姓名和出生日期相同", "/persons/"+d, "审批")
		lacks(t, b, "李建华", "并入本记录")
		want(t, f.do("staff", "GET", "/persons/"+k+"/merge?remove="+d, nil), 403)
		want(t, f.do("staff", "POST", "/persons/"+k+"/merge", url.Values{"remove_id": {d}}), 403)

		want(t, f.do("head", "GET", "/persons/"+k+"/duplicates", nil), 200, "/persons/"+k+"/merge?remove="+d)
		want(t, f.do("head", "GET", "/persons/"+k+"/merge?remove="+d, nil), 200, "合并后会发生什么", "不能撤销", maskA)
		// Two different document numbers are never merged.
		want(t, f.do("head", "POST", "/persons/"+k+"/merge", url.Values{"remove_id": {sid(other.ID)}}), 422, "不能合并")
		rec := f.do("head", "POST", "/persons/"+k+"/merge", url.Values{"remove_id": {d}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/persons/"+k {
			t.Fatalf("merge: %d %s", rec.Code, rec.Body)
		}
		want(t, f.do("head", "GET", "/persons/"+k, nil), 200, "138****5678", "巴州区回风路2号")
		want(t, f.do("head", "GET", "/persons/"+d, nil), 200, "本记录已合并", `href="/persons/`+k+`"`)
		b = want(t, f.do("head", "GET", "/persons", nil), 200)
		if strings.Count(b, "王秀英") != 1 {
			t.Fatal("merged-away record still listed")
		}
		if n := f.audits("person.merge", "ok"); n != 2 {
			t.Fatalf("merge audit rows %d", n)
		}
		// The neighbour county cannot merge across the boundary.
		want(t, f.do("staffb", "GET", "/persons/"+k+"/merge?remove="+sid(other.ID), nil), 403)
	})
}

func TestCasesAcrossLinesFollowPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		a := f.create(person.Input{Name: "王秀英", IDNumber: idA})
		lone := f.create(person.Input{Name: "李建华"})
		ctx := context.Background()
		officeA, _ := (&org.Store{DB: db}).Get(ctx, org.System(), f.officeA.ID)
		officeB, _ := (&org.Store{DB: db}).Get(ctx, org.System(), f.officeB.ID)
		now := time.Now()
		testCases["mediation"] = []fakeCase{
			{a.ID, officeA.Path, person.CaseRef{LineName: "人民调解", CaseID: 1, Number: "(2026)巴江调字第7号", Title: "邻里纠纷", Role: "被申请人", Status: "调解中", OrgName: "江北街道司法所", URL: "/mediation/cases/1", Date: now}},
			{a.ID, officeB.Path, person.CaseRef{LineName: "人民调解", CaseID: 2, Number: "(2026)恩登调字第3号", Title: "外县案件", Date: now}},
		}
		testCases["correction"] = []fakeCase{
			{a.ID, officeA.Path, person.CaseRef{LineName: "社区矫正", CaseID: 9, Number: "巴江矫2025-01", Title: "社区矫正对象", Role: "矫正对象", Status: "在矫", Date: now.Add(-time.Hour)}},
		}
		t.Cleanup(func() { delete(testCases, "mediation"); delete(testCases, "correction") })

		b := want(t, f.do("staff", "GET", "/persons/"+sid(a.ID), nil), 200, "(2026)巴江调字第7号", "巴江矫2025-01", "被申请人")
		lacks(t, b, "外县案件")
		b = want(t, f.do("mediator", "GET", "/persons/"+sid(a.ID), nil), 200, "(2026)巴江调字第7号")
		lacks(t, b, "巴江矫2025-01", "社区矫正对象")
		want(t, f.do("staff", "GET", "/persons/"+sid(lone.ID), nil), 200, "暂无")
	})
}

func TestAPIMaskedCreatePatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		rec := f.do("staff", "POST", "/api/v1/persons", map[string]string{"kind": "natural", "name": "王秀英", "id_number": idA, "phone": phoneA})
		var p Person
		if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &p) != nil {
			t.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
		if p.IDNumber != maskA || p.Sex != "F" || p.BirthDate != "1949-12-31" || p.OrgID != f.officeA.ID || p.DocType != "id_card" {
			t.Fatalf("created %+v", p)
		}
		want(t, f.do("staff", "POST", "/api/v1/persons", map[string]string{"kind": "natural", "name": "x", "idno": "1"}), 400)
		want(t, f.do("staff", "GET", "/api/v1/persons/"+sid(p.ID), nil), 200, maskA, "138****5678")
		want(t, f.do("staff", "GET", "/api/v1/persons?q="+phoneA, nil), 200, `"total":1`, "王秀英")
		want(t, f.do("staff", "GET", "/api/v1/persons?id_number=123", nil), 422, "id_number")
		want(t, f.do("staff", "GET", "/api/v1/persons?kind=robot", nil), 422, "kind")

		// PATCH keeps the numbers unless given, and re-derives from a new ID.
		rec = f.do("staff", "PATCH", "/api/v1/persons/"+sid(p.ID), map[string]string{"address": "巴州区回风路2号"})
		want(t, rec, 200, maskA, "138****5678", "回风路")
		rec = f.do("staff", "PATCH", "/api/v1/persons/"+sid(p.ID), map[string]string{"id_number": idB})
		want(t, rec, 200, "440524********0014", `"sex":"M"`, "1880-01-01")
		want(t, f.do("staff", "PATCH", "/api/v1/persons/"+sid(p.ID), map[string]string{"id_number": idB[:17] + "9"}), 422, `"field":"id_number"`)
		rec = f.do("staff", "PATCH", "/api/v1/persons/"+sid(p.ID), map[string]any{"clear_phone": true})
		if b := want(t, rec, 200); !strings.Contains(b, `"phone":""`) {
			t.Fatalf("phone not cleared: %s", b)
		}
		// Read-only and administrator roles.
		want(t, f.do("admin", "POST", "/api/v1/persons", map[string]string{"kind": "natural", "name": "x"}), 403)
	})
}

func TestListPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		for i := 1; i <= 25; i++ {
			f.create(person.Input{Name: fmt.Sprintf("当事人%02d", i)})
		}
		b := want(t, f.do("staff", "GET", "/persons", nil), 200, "第 1–20 条，共 25 条", "当事人25", `href="/persons?page=2"`)
		lacks(t, b, "当事人05")
		b = want(t, f.do("staff", "GET", "/persons?page=2", nil, "HX-Request", "true"), 200, "第 21–25 条，共 25 条", "当事人01")
		lacks(t, b, "<html", "当事人25")
		want(t, f.do("staff", "GET", "/persons?page=9&kind=natural", nil), 200, "第 21–25 条", "当事人01")
	})
}
