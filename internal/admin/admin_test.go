package admin_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fengqiao/internal/admin"
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
	t                                 *testing.T
	db                                *store.DB
	svc                               *auth.Service
	orgs                              *org.Store
	h                                 http.Handler
	city, county, countyB, office     org.Org
	officeB                           org.Org
	sysadmin, secadmin, staff, staffB auth.User
}

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: db, orgs: &org.Store{DB: db}}
	f.svc = auth.New(db, f.orgs, plainSealer{})
	f.svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	if err := f.svc.SeedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := f.orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
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
	f.officeB = mk(f.countyB.ID, org.Office, "登科街道司法所", "511903001")
	f.sysadmin = f.user("sysadmin1", f.county.ID, "sysadmin")
	f.secadmin = f.user("secadmin1", f.county.ID, "secadmin")
	f.staff = f.user("lisi", f.office.ID, "office_staff")
	f.staffB = f.user("wangwu", f.officeB.ID, "office_staff")
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: f.svc, R: r}
	mux := http.NewServeMux()
	ah.Routes(mux)
	(&admin.Handler{Auth: ah, Orgs: f.orgs}).Routes(mux)
	f.h = ah.Middleware(mux)
	return f
}

func (f *fixture) user(name string, orgID int64, roles ...string) auth.User {
	f.t.Helper()
	u, err := f.svc.CreateUser(context.Background(), nil, auth.UserInput{Username: name, DisplayName: "用户" + name, OrgID: orgID, Roles: roles, Password: pw})
	if err != nil {
		f.t.Fatalf("create %s: %v", name, err)
	}
	return u
}

// login signs in through the service and returns the session cookie.
func (f *fixture) login(username string) *http.Cookie {
	f.t.Helper()
	res, err := f.svc.Login(context.Background(), username, pw, "127.0.0.1", "test")
	if err != nil {
		f.t.Fatalf("login %s: %v", username, err)
	}
	return &http.Cookie{Name: auth.CookieName, Value: res.Token}
}

func (f *fixture) do(c *http.Cookie, method, path string, form url.Values) *httptest.ResponseRecorder {
	f.t.Helper()
	var body *strings.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	} else {
		body = strings.NewReader("")
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func (f *fixture) upload(c *http.Cookie, name string, data []byte) *httptest.ResponseRecorder {
	f.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req := httptest.NewRequest("POST", "/admin/orgs/import", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func body(rec *httptest.ResponseRecorder) string { return html.UnescapeString(rec.Body.String()) }

func want(t *testing.T, rec *httptest.ResponseRecorder, status int, contains ...string) string {
	t.Helper()
	b := body(rec)
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

func id(o org.Org) string { return strconv.FormatInt(o.ID, 10) }

func (f *fixture) countOrgs() int {
	f.t.Helper()
	var n int
	if err := f.db.Read().QueryRow(context.Background(), `SELECT count(*) FROM orgs`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func TestCountyAdminSeesOnlySubtree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.login("sysadmin1")
		b := want(t, f.do(c, "GET", "/admin/orgs", nil), 200, "巴州区司法局", "江北街道司法所")
		lacks(t, b, "恩阳区司法局", "登科街道司法所", "巴中市司法局")
		b = want(t, f.do(c, "GET", "/admin/orgs?view=list", nil), 200, "巴州区司法局", "江北街道司法所")
		lacks(t, b, "恩阳区司法局", "登科街道司法所")
		b = want(t, f.do(c, "GET", "/admin/orgs?kind=office", nil), 200, "江北街道司法所")
		lacks(t, b, "登科街道司法所", `<tr><td><a href="/admin/orgs/`+id(f.county)+`">`)
		want(t, f.do(c, "GET", "/admin/orgs?q=511902", nil), 200, "江北街道司法所")
		want(t, f.do(c, "GET", "/admin/orgs/"+id(f.office), nil), 200, "江北街道司法所", `href="/admin/orgs/`+id(f.county)+`"`, "用户lisi")
		want(t, f.do(c, "GET", "/admin/orgs/"+id(f.county)+"/children", nil), 200, "江北街道司法所")
		// The neighbour county's office and the city above are not found, even by URL.
		for _, o := range []org.Org{f.officeB, f.countyB, f.city} {
			want(t, f.do(c, "GET", "/admin/orgs/"+id(o), nil), 404)
			want(t, f.do(c, "GET", "/admin/orgs/"+id(o)+"/children", nil), 404)
			want(t, f.do(c, "GET", "/admin/orgs/"+id(o)+"/edit", nil), 404)
			want(t, f.do(c, "POST", "/admin/orgs/"+id(o)+"/active", url.Values{"active": {"0"}}), 404)
		}
		want(t, f.do(c, "GET", "/admin/orgs/new?parent="+id(f.countyB), nil), 404)
		// A business user reads the tree of their own office only.
		s := f.login("lisi")
		b = want(t, f.do(s, "GET", "/admin/orgs", nil), 200, "江北街道司法所")
		lacks(t, b, "巴州区司法局", "新增下级机构")
		want(t, f.do(s, "GET", "/admin/orgs/new?parent="+id(f.office), nil), 403)
	})
}

func TestCreateOfficeValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.login("sysadmin1")
		want(t, f.do(c, "GET", "/admin/orgs/new?parent="+id(f.county), nil), 200, `value="office"`, `value="cluster"`)
		n := f.countOrgs()
		form := url.Values{"parent_id": {id(f.county)}, "kind": {"office"}, "name": {"清江镇司法所"}, "division_code": {"51190200"}}
		want(t, f.do(c, "POST", "/admin/orgs/new", form), 422, `id="e-division_code"`, "司法所的行政区划代码应为9位数字(现为8位)", `value="清江镇司法所"`)
		form.Set("division_code", "511903002")
		want(t, f.do(c, "POST", "/admin/orgs/new", form), 422, `id="e-division_code"`, "不在上级 巴州区司法局(511902)之下")
		form.Set("kind", "village")
		want(t, f.do(c, "POST", "/admin/orgs/new", form), 422, `id="e-kind"`, "村(社区)不能设在县(区)司法局之下")
		if f.countOrgs() != n {
			t.Fatal("a refused form must write nothing")
		}
		form.Set("kind", "office")
		form.Set("division_code", "511902002")
		form.Set("sort", "x")
		want(t, f.do(c, "POST", "/admin/orgs/new", form), 422, `id="e-sort"`)
		form.Set("sort", "2")
		rec := f.do(c, "POST", "/admin/orgs/new", form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("create: %d %s", rec.Code, body(rec))
		}
		os, _, err := f.orgs.List(context.Background(), org.System(), org.Filter{Query: "511902002"})
		if err != nil || len(os) != 1 || os[0].ParentID != f.county.ID || os[0].Sort != 2 {
			t.Fatalf("created office: %+v %v", os, err)
		}
		// The root of the admin's own subtree can be edited (its parent is out of scope).
		want(t, f.do(c, "GET", "/admin/orgs/"+id(f.county)+"/edit", nil), 200, `value="巴州区司法局"`)
		if rec := f.do(c, "POST", "/admin/orgs/"+id(f.county)+"/edit", url.Values{"name": {"巴州区司法局"}, "division_code": {"511902"}, "phone": {"0827-5263148"}}); rec.Code != 303 {
			t.Fatalf("edit county: %d %s", rec.Code, body(rec))
		}
		want(t, f.do(c, "POST", "/admin/orgs/"+id(f.county)+"/edit", url.Values{"name": {"巴州区司法局"}, "division_code": {"511902"}, "phone": {"call me"}}), 422, `id="e-phone"`)
		// Edit, disable and move round the new office.
		oid := strconv.FormatInt(os[0].ID, 10)
		want(t, f.do(c, "POST", "/admin/orgs/"+oid+"/edit", url.Values{"name": {""}, "division_code": {"511902002"}}), 422, `id="e-name"`)
		if rec := f.do(c, "POST", "/admin/orgs/"+oid+"/active", url.Values{"active": {"0"}}); rec.Code != 303 {
			t.Fatalf("disable: %d", rec.Code)
		}
		want(t, f.do(c, "GET", "/admin/orgs/"+oid, nil), 200, "已停用")
		want(t, f.do(c, "POST", "/admin/orgs/"+oid+"/move", url.Values{"parent_id": {id(f.countyB)}}), 422, "新的上级机构不存在或不在您的管辖范围内")
	})
}

// csvFile builds an import file; the header is row 1.
func csvFile(rows ...string) []byte {
	return []byte("\ufeff上级行政区划代码,上级机构名称,机构类型,名称,行政区划代码,简称,排序,地址,电话\n" + strings.Join(rows, "\n") + "\n")
}

func xlsxFile(t *testing.T, rows [][]any) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	head := []any{"上级行政区划代码", "上级机构名称", "机构类型*", "名称", "行政区划代码", "简称", "排序", "地址", "电话"}
	x.SetSheetRow("Sheet1", "A1", &head)
	for i, r := range rows {
		x.SetSheetRow("Sheet1", "A"+strconv.Itoa(i+2), &r)
	}
	buf, err := x.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestImportReportsEveryBadRowAndWritesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.login("sysadmin1")
		n := f.countOrgs()
		file := csvFile(
			"511902,,司法所,清江镇司法所,511902002,,1,,",
			"511902002,,村(社区),观音井村,51190200200,,,,", // row 3: 11 digits
			"511902002,,村(社区),石梁村,511902002002,,,,",
			"511903,,司法所,越权司法所,511903009,,,,", // row 5: the neighbour county
		)
		b := want(t, f.upload(c, "org.csv", file), 422, "文件中有 2 处错误，未导入任何数据")
		if !regexp.MustCompile(`<td class="num">3</td><td class="col">E 行政区划代码</td><td>村\(社区\)的行政区划代码应为12位数字\(现为11位\)|<td class="num">3</td><td class="col">E 行政区划代码</td><td>行政区划代码应为6位`).MatchString(b) {
			t.Fatalf("row 3 column E error missing:\n%s", b)
		}
		if !strings.Contains(b, `<td class="num">5</td><td class="col">A 上级行政区划代码</td><td>找不到上级机构“511903”`) {
			t.Fatalf("row 5 column A error missing:\n%s", b)
		}
		lacks(t, b, `name="payload"`)
		// The same from an .xlsx with numbers typed as numbers.
		x := xlsxFile(t, [][]any{
			{511902, "", "司法所", "清江镇司法所", 511902002, "", 1},
			{511902002, "", "村(社区)", "", 511902002001},
			{511902002, "", "居委", "石梁村", 511902002002},
		})
		b = want(t, f.upload(c, "org.xlsx", x), 422, "文件中有 2 处错误")
		for _, s := range []string{`<td class="num">3</td><td class="col">D 名称</td><td>名称必填`, `<td class="num">4</td><td class="col">C 机构类型</td><td>机构类型“居委”无法识别`} {
			if !strings.Contains(b, s) {
				t.Fatalf("missing %q:\n%s", s, b)
			}
		}
		want(t, f.upload(c, "org.xls", []byte("x")), 422, "不支持旧版 .xls 文件")
		want(t, f.upload(c, "org.csv", []byte("名称,机构类型\n江北,司法所\n")), 422, "缺少必需的列“行政区划代码”")
		if f.countOrgs() != n {
			t.Fatal("a file with errors must write nothing")
		}
	})
}

var payloadRe = regexp.MustCompile(`name="payload" value="([^"]+)"[\s\S]*name="sig" value="([^"]+)"`)

func TestImportGoodFileCreatesAllRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.login("sysadmin1")
		n := f.countOrgs()
		x := xlsxFile(t, [][]any{
			{"511902", "", "司法所", "清江镇司法所", "511902002", "清江所", 2, "清江镇政府院内", "0827-5260002"},
			{"511902002", "", "村(社区)", "观音井村", "511902002001", "", 1},
			{"511902002001", "", "人民调解委员会", "观音井村人民调解委员会", "", "", 1},
			{"", "巴州区司法局", "片区", "江北片区", "", "", 9},
			{"511902001", "", "村", "白鹤社区", "511902001001"},
		})
		rec := f.upload(c, "机构.xlsx", x)
		b := want(t, rec, 200, "检查通过：共 5 行，可以导入", "确认导入 5 个机构")
		if f.countOrgs() != n {
			t.Fatal("the preview must write nothing")
		}
		m := payloadRe.FindStringSubmatch(b)
		if m == nil {
			t.Fatalf("no signed payload:\n%s", b)
		}
		// Tampered rows are refused.
		want(t, f.do(c, "POST", "/admin/orgs/import/confirm", url.Values{"payload": {m[1]}, "sig": {m[2] + "x"}}), 422, "预览已失效")
		// Another admin cannot replay this admin's preview.
		other := f.user("sysadmin2", f.county.ID, "sysadmin")
		db.Exec(context.Background(), `UPDATE users SET must_change = FALSE WHERE id = ?`, other.ID)
		want(t, f.do(f.login("sysadmin2"), "POST", "/admin/orgs/import/confirm", url.Values{"payload": {m[1]}, "sig": {m[2]}}), 422, "预览已失效")
		if f.countOrgs() != n {
			t.Fatal("refused confirmations must write nothing")
		}
		b = want(t, f.do(c, "POST", "/admin/orgs/import/confirm", url.Values{"payload": {m[1]}, "sig": {m[2]}}), 200, "导入完成：新增 5 个机构")
		if f.countOrgs() != n+5 {
			t.Fatalf("want %d orgs, have %d", n+5, f.countOrgs())
		}
		ctx := context.Background()
		os, _, _ := f.orgs.List(ctx, org.System(), org.Filter{Query: "观音井村人民调解委员会"})
		if len(os) != 1 || os[0].Kind != org.Committee {
			t.Fatalf("committee: %+v", os)
		}
		vil, _ := f.orgs.Get(ctx, org.System(), os[0].ParentID)
		off, _ := f.orgs.Get(ctx, org.System(), vil.ParentID)
		if vil.Name != "观音井村" || off.Name != "清江镇司法所" || off.ShortName != "清江所" || off.Phone != "0827-5260002" || off.ParentID != f.county.ID {
			t.Fatalf("chain: %+v / %+v", vil, off)
		}
		// Confirming the same preview twice is caught by validation, not duplicated.
		want(t, f.do(c, "POST", "/admin/orgs/import/confirm", url.Values{"payload": {m[1]}, "sig": {m[2]}}), 422, "系统中已有该代码的司法所")
		if f.countOrgs() != n+5 {
			t.Fatal("a second confirm must write nothing")
		}
		// The template downloads and has the expected header row.
		rec = f.do(c, "GET", "/admin/orgs/import/template.xlsx", nil)
		if rec.Code != 200 {
			t.Fatalf("template: %d", rec.Code)
		}
		tx, err := excelize.OpenReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := tx.GetRows(tx.GetSheetList()[0])
		if len(rows) < 1 || strings.Join(rows[0], ",") != "上级行政区划代码,上级机构名称,机构类型,名称,行政区划代码,简称,排序,地址,电话" {
			t.Fatalf("template header: %v", rows)
		}
	})
}

func TestUserFlows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		c := f.login("sysadmin1")
		b := want(t, f.do(c, "GET", "/admin/users", nil), 200, "用户lisi", "用户sysadmin1")
		lacks(t, b, "用户wangwu") // the neighbour county's staff
		want(t, f.do(c, "GET", "/admin/users/"+strconv.FormatInt(f.staffB.ID, 10), nil), 404)
		b = want(t, f.do(c, "GET", "/admin/users/new", nil), 200, `value="office_staff"`)
		lacks(t, b, `value="sysadmin"`, `value="secadmin"`, "恩阳区司法局")

		form := url.Values{"username": {"zhaoliu"}, "display_name": {"赵六"}, "org_id": {id(f.office)}, "kind": {"human"},
			"roles": {"office_staff"}, "password": {"short"}, "password2": {"short"}}
		want(t, f.do(c, "POST", "/admin/users/new", form), 422, `id="e-password"`, "密码至少8位")
		form.Set("password", "Qingjiang-2026!")
		form.Set("password2", "Qingjiang-2026!")
		form.Set("org_id", id(f.officeB))
		want(t, f.do(c, "POST", "/admin/users/new", form), 422, `id="e-org_id"`, "所属机构不存在或不在您的管辖范围内")
		form.Set("org_id", id(f.office))
		form["roles"] = []string{"sysadmin"}
		want(t, f.do(c, "POST", "/admin/users/new", form), 422, "只能由安全管理员授予")
		form["roles"] = []string{"office_staff"}
		rec := f.do(c, "POST", "/admin/users/new", form)
		if rec.Code != 303 {
			t.Fatalf("create: %d %s", rec.Code, body(rec))
		}
		uid, _ := f.svc.FindUserID(ctx, "zhaoliu")
		path := "/admin/users/" + strconv.FormatInt(uid, 10)
		b = want(t, f.do(c, "GET", path, nil), 200, "赵六", "司法助理员", "从未登录", "停用账号")
		lacks(t, b, "Qingjiang-2026!")

		// Edit: change title and roles.
		if rec := f.do(c, "POST", path+"/edit", url.Values{"display_name": {"赵六"}, "org_id": {id(f.office)}, "title": {"副所长"}, "roles": {"office_head"}}); rec.Code != 303 {
			t.Fatalf("edit: %d %s", rec.Code, body(rec))
		}
		u, _ := f.svc.GetUser(ctx, org.System(), uid)
		if u.Title != "副所长" || len(u.Roles) != 1 || u.Roles[0] != "office_head" {
			t.Fatalf("after edit: %+v", u)
		}
		// Disable, then enable.
		if rec := f.do(c, "POST", path+"/disable", url.Values{}); rec.Code != 303 {
			t.Fatalf("disable: %d", rec.Code)
		}
		if u, _ := f.svc.GetUser(ctx, org.System(), uid); !u.Disabled {
			t.Fatal("not disabled")
		}
		want(t, f.do(c, "GET", "/admin/users?status=disabled", nil), 200, "赵六")
		if rec := f.do(c, "POST", path+"/enable", url.Values{}); rec.Code != 303 {
			t.Fatalf("enable: %d", rec.Code)
		}
		// An admin cannot disable their own account.
		want(t, f.do(c, "POST", "/admin/users/"+strconv.FormatInt(f.sysadmin.ID, 10)+"/disable", url.Values{}), 422, "不能停用自己的账号")

		// Lock lisi by failed logins; the security admin unlocks, the system admin may not.
		for range 5 {
			f.svc.Login(ctx, "lisi", "wrong", "10.0.0.9", "t")
		}
		lp := "/admin/users/" + strconv.FormatInt(f.staff.ID, 10)
		s := f.login("secadmin1")
		want(t, f.do(s, "GET", "/admin/users?status=locked", nil), 200, "用户lisi", "已锁定")
		want(t, f.do(s, "GET", lp, nil), 200, "解锁账号")
		want(t, f.do(c, "POST", lp+"/unlock", url.Values{}), 403)
		if rec := f.do(s, "POST", lp+"/unlock", url.Values{}); rec.Code != 303 {
			t.Fatalf("unlock: %d %s", rec.Code, body(rec))
		}
		if u, _ := f.svc.GetUser(ctx, org.System(), f.staff.ID); u.Locked(f.svc.Now()) || u.FailedCount != 0 {
			t.Fatalf("still locked: %+v", u)
		}
		// The security admin sees users but may not create them.
		want(t, f.do(s, "GET", "/admin/users/new", nil), 403)
		// The security admin assigns roles, including an administrator role;
		// the system admin may not, and triad mixes are refused.
		want(t, f.do(s, "GET", lp, nil), 200, "分配角色", `value="auditadmin"`)
		want(t, f.do(c, "POST", lp+"/roles", url.Values{"roles": {"auditadmin"}}), 403)
		want(t, f.do(s, "POST", lp+"/roles", url.Values{"roles": {"auditadmin", "office_staff"}}), 422, "三权分立")
		if rec := f.do(s, "POST", lp+"/roles", url.Values{"roles": {"auditadmin"}}); rec.Code != 303 {
			t.Fatalf("grant auditadmin: %d %s", rec.Code, body(rec))
		}
		if u, _ := f.svc.GetUser(ctx, org.System(), f.staff.ID); len(u.Roles) != 1 || u.Roles[0] != "auditadmin" {
			t.Fatalf("roles after grant: %v", u.Roles)
		}
		if rec := f.do(s, "POST", lp+"/roles", url.Values{"roles": {"office_staff"}}); rec.Code != 303 {
			t.Fatalf("restore roles: %d", rec.Code)
		}

		// Reset password: policy enforced, then must change at next login.
		want(t, f.do(c, "POST", lp+"/password", url.Values{"password": {"abc"}, "password2": {"abc"}}), 422, `id="e-password"`)
		want(t, f.do(c, "POST", lp+"/password", url.Values{"password": {"Temp-Pass-2026"}, "password2": {"Temp-Pass-2027"}}), 422, `id="e-password2"`)
		if rec := f.do(c, "POST", lp+"/password", url.Values{"password": {"Temp-Pass-2026"}, "password2": {"Temp-Pass-2026"}}); rec.Code != 303 {
			t.Fatalf("reset: %d %s", rec.Code, body(rec))
		}
		res, err := f.svc.Login(ctx, "lisi", "Temp-Pass-2026", "10.0.0.8", "t")
		if err != nil || !res.Principal.MustChange {
			t.Fatalf("after reset: %v %+v", err, res)
		}
	})
}

func TestBusinessUserForbidden(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		s := f.login("lisi")
		for _, p := range []string{"/admin/users", "/admin/users/new", "/admin/roles", "/admin/policy", "/admin/orgs/import"} {
			want(t, f.do(s, "GET", p, nil), 403)
		}
		want(t, f.do(s, "POST", "/admin/users/"+strconv.FormatInt(f.staff.ID, 10)+"/disable", url.Values{}), 403)
		// Anonymous users are sent to the login page.
		req := httptest.NewRequest("GET", "/admin/users", nil)
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
			t.Fatalf("anonymous: %d %s", rec.Code, rec.Header().Get("Location"))
		}
	})
}

func TestRolesEditorRefusesAdminPerms(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		s := f.login("secadmin1")
		b0 := want(t, f.do(s, "GET", "/admin/roles", nil), 200, "系统管理员", "司法助理员", "人民调解",
			`<a href="/admin/users">用户管理</a>`, `<a href="/admin/policy">安全策略</a>`)
		lacks(t, b0, `<a href="/admin/orgs">`) // the security admin does not manage the tree
		b := want(t, f.do(s, "GET", "/admin/roles/new", nil), 200, `value="mediation.view"`, `value="org.view"`)
		lacks(t, b, `value="org.manage"`, `value="audit.view"`)
		form := url.Values{"code": {"office_intern"}, "name": {"实习生"}, "kind": {"business"}, "perms": {"org.view", "mediation.view", "org.manage"}}
		want(t, f.do(s, "POST", "/admin/roles/new", form), 422, `id="f-perms"`, "管理员权限只能由系统、安全、审计管理员角色持有")
		if _, err := f.svc.GetRole(ctx, "office_intern"); err == nil {
			t.Fatal("refused role was created")
		}
		want(t, f.do(s, "POST", "/admin/roles/sysadmin", url.Values{"name": {"系统管理员"}, "perms": {"org.manage", "mediation.view"}}), 422, "管理员角色的权限固定(三权分立)，不能修改")
		if r, _ := f.svc.GetRole(ctx, "sysadmin"); strings.Contains(strings.Join(r.Perms, " "), "mediation") {
			t.Fatal("admin role changed")
		}
		want(t, f.do(s, "GET", "/admin/roles/sysadmin", nil), 200, "权限固定", "disabled")
		form["perms"] = []string{"org.view", "mediation.view", "mediation.edit"}
		if rec := f.do(s, "POST", "/admin/roles/new", form); rec.Code != 303 {
			t.Fatalf("create role: %d %s", rec.Code, body(rec))
		}
		r, err := f.svc.GetRole(ctx, "office_intern")
		if err != nil || strings.Join(r.Perms, " ") != "mediation.edit mediation.view org.view" {
			t.Fatalf("role: %+v %v", r, err)
		}
		want(t, f.do(f.login("sysadmin1"), "GET", "/admin/roles", nil), 403)
	})
}

func TestPolicyForm(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		s := f.login("secadmin1")
		want(t, f.do(s, "GET", "/admin/policy", nil), 200, `name="min_length" value="8"`)
		want(t, f.do(f.login("sysadmin1"), "GET", "/admin/policy", nil), 403)
		form := url.Values{}
		for k, v := range map[string]string{"min_length": "6", "min_classes": "3", "history": "5", "max_age_days": "90", "max_failures": "5",
			"lock_minutes": "30", "ip_max_failures": "30", "ip_window_minutes": "15", "idle_minutes": "30", "absolute_hours": "12"} {
			form.Set(k, v)
		}
		want(t, f.do(s, "POST", "/admin/policy", form), 422, `id="e-min_length"`, "密码最小长度不能小于8位")
		form.Set("min_length", "x")
		want(t, f.do(s, "POST", "/admin/policy", form), 422, `id="e-min_length"`, "应为整数")
		form.Set("min_length", "10")
		form.Set("require_totp_staff", "1")
		if rec := f.do(s, "POST", "/admin/policy", form); rec.Code != 303 {
			t.Fatalf("save: %d %s", rec.Code, body(rec))
		}
		p, _ := auth.LoadPolicy(ctx, db.Read())
		if p.MinLength != 10 || !p.RequireTOTPStaff {
			t.Fatalf("policy: %+v", p)
		}
		var n int
		db.Read().QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'security.policy'`).Scan(&n)
		if n != 1 {
			t.Fatalf("audit rows: %d", n)
		}
	})
}

func TestClusterMoveAndTreeFragment(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		c := f.login("sysadmin1")
		second, err := f.orgs.Create(ctx, org.System(), org.Input{ParentID: f.county.ID, Kind: org.Office, Name: "清江镇司法所", DivisionCode: "511902002"})
		if err != nil {
			t.Fatal(err)
		}
		// A cluster led by 江北 with 清江 as member.
		form := url.Values{"parent_id": {id(f.county)}, "kind": {"cluster"}, "name": {"江北片区"}, "lead_org_id": {id(f.officeB)}}
		want(t, f.do(c, "POST", "/admin/orgs/new", form), 422, `id="e-lead_org_id"`, "牵头单位必须是您管辖范围内的司法所")
		form.Set("lead_org_id", id(f.office))
		rec := f.do(c, "POST", "/admin/orgs/new", form)
		if rec.Code != 303 {
			t.Fatalf("cluster: %d %s", rec.Code, body(rec))
		}
		cl := rec.Header().Get("Location")
		want(t, f.do(c, "GET", cl+"/members", nil), 200, "江北街道司法所", "清江镇司法所")
		want(t, f.do(c, "POST", cl+"/members", url.Values{"members": {id(f.officeB)}}), 422, "必须是您管辖范围内的司法所")
		if rec := f.do(c, "POST", cl+"/members", url.Values{"members": {id(second)}}); rec.Code != 303 {
			t.Fatalf("members: %d %s", rec.Code, body(rec))
		}
		want(t, f.do(c, "GET", cl, nil), 200, "牵头司法所", `<a href="/admin/orgs/`+id(f.office)+`">江北街道司法所</a>`, `<a href="/admin/orgs/`+id(second)+`">清江镇司法所</a>`)
		// Members of an office are not a thing.
		want(t, f.do(c, "GET", "/admin/orgs/"+id(f.office)+"/members", nil), 404)

		// Move a village from one office to the other.
		vil, err := f.orgs.Create(ctx, org.System(), org.Input{ParentID: f.office.ID, Kind: org.Village, Name: "白鹤社区", DivisionCode: "511902001001"})
		if err != nil {
			t.Fatal(err)
		}
		b := want(t, f.do(c, "GET", "/admin/orgs/"+id(vil)+"/move", nil), 200, "清江镇司法所")
		lacks(t, b, "登科街道司法所")
		if rec := f.do(c, "POST", "/admin/orgs/"+id(vil)+"/move", url.Values{"parent_id": {id(second)}}); rec.Code != 303 {
			t.Fatalf("move: %d %s", rec.Code, body(rec))
		}
		if v, _ := f.orgs.Get(ctx, org.System(), vil.ID); v.ParentID != second.ID {
			t.Fatalf("not moved: %+v", v)
		}

		// htmx asks for the children fragment only.
		req := httptest.NewRequest("GET", "/admin/orgs/"+id(second)+"/children", nil)
		req.Header.Set("HX-Request", "true")
		req.AddCookie(c)
		rec = httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		b = want(t, rec, 200, `<li class="tree-node" id="node-`+id(vil)+`">`, "白鹤社区")
		lacks(t, b, "<html", "sidenav")
	})
}

func TestUserResetTOTPNeedsUnlockPermission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		if _, err := db.Exec(ctx, `UPDATE users SET totp_enabled = TRUE, totp_secret = 'x' WHERE id = ?`, f.staff.ID); err != nil {
			t.Fatal(err)
		}
		lp := "/admin/users/" + strconv.FormatInt(f.staff.ID, 10)
		want(t, f.do(f.login("sysadmin1"), "POST", lp+"/2fa/reset", url.Values{}), 403)
		s := f.login("secadmin1")
		want(t, f.do(s, "GET", lp, nil), 200, "重置双因素认证")
		if rec := f.do(s, "POST", lp+"/2fa/reset", url.Values{}); rec.Code != 303 {
			t.Fatalf("reset 2fa: %d %s", rec.Code, body(rec))
		}
		if u, _ := f.svc.GetUser(ctx, org.System(), f.staff.ID); u.TOTPEnabled {
			t.Fatal("2FA still on")
		}
		// Out of scope: the neighbour county's user.
		want(t, f.do(s, "POST", "/admin/users/"+strconv.FormatInt(f.staffB.ID, 10)+"/unlock", url.Values{}), 404)
	})
}

func TestImportReadsGB18030CSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		c := f.login("sysadmin1")
		// Excel on Chinese Windows saves CSV in GBK/GB18030.
		gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte("上级行政区划代码,机构类型,名称,行政区划代码\n511902,司法所,清江镇司法所,511902002\n"))
		if err != nil {
			t.Fatal(err)
		}
		want(t, f.upload(c, "org.csv", gbk), 200, "检查通过：共 1 行", "清江镇司法所")
	})
}
