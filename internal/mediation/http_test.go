package mediation

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/auth"
	"fengqiao/internal/files"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

const pw = "Zhang-2026-sfs"

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

type site struct {
	*world
	t       *testing.T
	svc     *auth.Service
	h       http.Handler
	mux     *http.ServeMux
	cookies map[string]*http.Cookie
}

// newSite builds the mediation pages behind the real auth middleware with
// users: sec (county A mediation section), secb (county B), staff (office
// A clerk), head (office A head), vm (village mediator), admin (sysadmin).
func newSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	w := newWorld(t, db)
	s := &site{world: w, t: t, cookies: map[string]*http.Cookie{}}
	s.svc = auth.New(db, w.orgs, plainSealer{})
	s.svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	ctx := context.Background()
	if err := s.svc.SeedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		name, role string
		org        int64
	}{
		{"sec", "section_mediation", w.countyA.ID}, {"secb", "section_mediation", w.countyB.ID},
		{"staff", "office_staff", w.officeA.ID}, {"head", "office_head", w.officeA.ID},
		{"vmed", "village_mediator", w.villageA.ID}, {"admin", "sysadmin", w.countyA.ID},
	} {
		if _, err := s.svc.CreateUser(ctx, nil, auth.UserInput{Username: u.name, DisplayName: "用户" + u.name, OrgID: u.org, Roles: []string{u.role}, Password: pw}); err != nil {
			t.Fatalf("user %s: %v", u.name, err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: s.svc, R: r}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", r.StaticHandler()))
	ah.Routes(mux)
	fsvc, err := files.New(db, files.Config{Backend: files.StorageDB})
	if err != nil {
		t.Fatal(err)
	}
	(&files.Handler{Auth: ah, Files: fsvc}).Routes(mux)
	(&Handler{Auth: ah, Store: w.st, Files: fsvc}).Routes(mux)
	s.h, s.mux = ah.Middleware(mux), mux
	return s
}

func (s *site) cookie(user string) *http.Cookie {
	if c := s.cookies[user]; c != nil {
		return c
	}
	res, err := s.svc.Login(context.Background(), user, pw, "127.0.0.1", "test")
	if err != nil {
		s.t.Fatalf("login %s: %v", user, err)
	}
	c := &http.Cookie{Name: auth.CookieName, Value: res.Token}
	s.cookies[user] = c
	return c
}

// do sends a request as user and fails on any clear ID or mobile number
// in the answer.
func (s *site) do(user, method, path string, form url.Values) *httptest.ResponseRecorder {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if user != "" {
		req.AddCookie(s.cookie(user))
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if found := leakscan.Scan(rec.Body.Bytes()); len(found) > 0 {
		s.t.Fatalf("%s %s answered %d with a clear number %s (%s)", method, path, rec.Code, found[0].Masked, found[0].Kind)
	}
	return rec
}

func want(t *testing.T, rec *httptest.ResponseRecorder, status int, contains ...string) string {
	t.Helper()
	b := html.UnescapeString(rec.Body.String())
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body:\n%s", rec.Code, status, b)
	}
	for _, c := range contains {
		if !strings.Contains(b, c) {
			t.Fatalf("body lacks %q:\n%s", c, b)
		}
	}
	return b
}

func location(t *testing.T, rec *httptest.ResponseRecorder) string {
	t.Helper()
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("status %d, want 303; body:\n%s", rec.Code, html.UnescapeString(rec.Body.String()))
	}
	return rec.Header().Get("Location")
}

func TestPagesAccess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		m := s.mediator(t, MediatorInput{Name: "王芳", IDNumber: idA, Phone: phoneA})
		// Anonymous → login; no mediation permission → 403.
		if rec := s.do("", "GET", "/mediation/mediators", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("anonymous: %d", rec.Code)
		}
		want(t, s.do("admin", "GET", "/mediation/mediators", nil), http.StatusForbidden)
		for _, p := range []string{"/mediation/committees", "/mediation/committees/" + itoa(s.committeeA.ID), "/mediation/mediators",
			"/mediation/mediators/" + itoa(m.ID), "/mediation/screenings", "/mediation/documents", "/mediation/mediators/new",
			"/mediation/screenings/new", "/mediation/committees/" + itoa(s.committeeA.ID) + "/edit"} {
			want(t, s.do("staff", "GET", p, nil), http.StatusOK)
		}
		// Neighbour county: 404, not 403, for every record page.
		for _, p := range []string{"/mediation/committees/" + itoa(s.committeeA.ID), "/mediation/mediators/" + itoa(m.ID),
			"/mediation/mediators/" + itoa(m.ID) + "/edit", "/mediation/committees/" + itoa(s.committeeA.ID) + "/rooms/new"} {
			want(t, s.do("secb", "GET", p, nil), http.StatusNotFound)
		}
		want(t, s.do("secb", "POST", "/mediation/mediators/"+itoa(m.ID)+"/trainings", url.Values{"held_on": {"2025-01-01"}, "hours": {"2"}, "topic": {"x"}}), http.StatusNotFound)
		b := want(t, s.do("secb", "GET", "/mediation/mediators", nil), http.StatusOK)
		if strings.Contains(b, "王芳") {
			t.Fatal("neighbour lists county A's mediator")
		}
		// A village mediator views and edits but may not export.
		want(t, s.do("vmed", "GET", "/mediation/mediators/export.xlsx", nil), http.StatusForbidden)
		want(t, s.do("vmed", "GET", "/mediation/settings", nil), http.StatusForbidden)
		// The list shows masked numbers and the committee.
		want(t, s.do("sec", "GET", "/mediation/mediators", nil), http.StatusOK, "王芳", maskA, "138****5678", s.committeeA.Name)
		want(t, s.do("sec", "GET", "/mediation/mediators?registered=maybe", nil), http.StatusOK, "筛选条件无效")
		want(t, s.do("sec", "GET", "/mediation/mediators/999999", nil), http.StatusNotFound)
		want(t, s.do("sec", "GET", "/mediation/documents/nope", nil), http.StatusNotFound)
	})
}

func TestMediatorPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		form := url.Values{"org_id": {itoa(s.committeeA.ID)}, "name": {"王芳"}, "id_number": {idA}, "phone": {phoneA},
			"full_time": {"1"}, "title": {"专职调解员"}, "registered": {"1"}, "registry_no": {""}, "registered_on": {"2024-03-01"}}
		// Refused: the typed numbers come back masked and sealed.
		b := want(t, s.do("staff", "POST", "/mediation/mediators/new", form), http.StatusUnprocessableEntity, "已登记的调解员须填写登记编号", maskA)
		sealed := between(b, `name="id_number_sealed" value="`, `"`)
		if sealed == "" {
			t.Fatal("id number not sealed")
		}
		form.Set("registry_no", "BZ-001")
		form.Set("id_number", maskA)
		form.Set("id_number_sealed", sealed)
		form.Set("phone", "")
		loc := location(t, s.do("staff", "POST", "/mediation/mediators/new", form))
		if !strings.HasPrefix(loc, "/mediation/mediators/") {
			t.Fatalf("redirect %s", loc)
		}
		want(t, s.do("staff", "GET", loc, nil), http.StatusOK, "王芳", maskA, "可被指派办理调解案件", "BZ-001")
		list, _, _ := s.st.Mediators(s.ctx, s.scA, MediatorFilter{})
		if len(list) != 1 || list[0].Phone != "" || list[0].IDNumber != maskA {
			t.Fatalf("created %+v", list)
		}
		id := itoa(list[0].ID)
		// Edit keeps the masked number; the form shows it masked.
		want(t, s.do("staff", "GET", "/mediation/mediators/"+id+"/edit", nil), http.StatusOK, maskA)
		edit := url.Values{"org_id": {itoa(s.committeeA.ID)}, "name": {"王芳"}, "id_number": {maskA}, "phone": {phoneB},
			"registered": {"1"}, "registry_no": {"BZ-001"}, "registered_on": {"2024-03-01"}, "active": {"1"}}
		location(t, s.do("staff", "POST", "/mediation/mediators/"+id+"/edit", edit))
		m, _ := s.st.Mediator(s.ctx, s.scA, list[0].ID)
		if m.Phone != "159****1111" || m.IDNumber != maskA || m.FullTime {
			t.Fatalf("edited %+v", m)
		}
		edit.Set("org_id", itoa(s.committeeB.ID))
		want(t, s.do("staff", "POST", "/mediation/mediators/"+id+"/edit", edit), http.StatusUnprocessableEntity, "机构不存在或不在您的管辖范围内")
		// Trainings.
		want(t, s.do("staff", "POST", "/mediation/mediators/"+id+"/trainings", url.Values{"held_on": {"2025-05-01"}, "hours": {"abc"}, "topic": {"x"}}),
			http.StatusUnprocessableEntity, "培训学时应为数字")
		location(t, s.do("staff", "POST", "/mediation/mediators/"+id+"/trainings", url.Values{"held_on": {"2025-05-01"}, "hours": {"3.5"}, "topic": {"人民调解法"}}))
		b = want(t, s.do("staff", "GET", "/mediation/mediators/"+id, nil), http.StatusOK, "人民调解法", "累计 3.5 学时")
		tid := between(b, `action="/mediation/trainings/`, `/delete"`)
		want(t, s.do("secb", "POST", "/mediation/trainings/"+tid+"/delete", url.Values{}), http.StatusNotFound)
		location(t, s.do("staff", "POST", "/mediation/trainings/"+tid+"/delete", url.Values{}))

		// Export: masked numbers, audited.
		rec := s.do("sec", "GET", "/mediation/mediators/export.xlsx?registered=yes", nil)
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "xlsx") {
			t.Fatalf("export %d %v", rec.Code, rec.Header())
		}
		rows := xlsxRows(t, rec.Body.Bytes())
		if len(rows) != 3 || rows[2][1] != "王芳" || rows[2][3] != maskA || rows[2][4] != "159****1111" {
			t.Fatalf("export rows %v", rows)
		}
		if s.audits(t, "mediation.export", "med_mediator") != 1 {
			t.Fatal("export not audited")
		}
	})
}

func TestCommitteeAndRoomPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		cid := itoa(s.committeeA.ID)
		want(t, s.do("staff", "GET", "/mediation/committees", nil), http.StatusOK, s.committeeA.Name, s.committeeV.Name, "未填写")
		want(t, s.do("staff", "POST", "/mediation/committees/"+cid+"/edit", url.Values{"level": {"trade"}, "members": {"5"}}),
			http.StatusUnprocessableEntity, "行业性专业性调委会请选择所属行业")
		want(t, s.do("staff", "POST", "/mediation/committees/"+cid+"/edit", url.Values{"level": {"township"}, "members": {"12"}}),
			http.StatusUnprocessableEntity, "三至九人")
		location(t, s.do("staff", "POST", "/mediation/committees/"+cid+"/edit", url.Values{"level": {"township"}, "members": {"7"}, "established_on": {"2012-05-01"}}))
		want(t, s.do("staff", "GET", "/mediation/committees?level=township", nil), http.StatusOK, s.committeeA.Name)
		want(t, s.do("secb", "POST", "/mediation/committees/"+cid+"/edit", url.Values{"level": {"township"}}), http.StatusNotFound)

		want(t, s.do("staff", "POST", "/mediation/committees/"+cid+"/rooms/new", url.Values{"name": {""}}), http.StatusUnprocessableEntity, "调解室名称必填")
		location(t, s.do("staff", "POST", "/mediation/committees/"+cid+"/rooms/new", url.Values{"name": {"第一调解室"}, "brand_name": {"老杨调解室"}, "active": {"1"}}))
		b := want(t, s.do("staff", "GET", "/mediation/committees/"+cid, nil), http.StatusOK, "老杨调解室", "乡镇(街道)人民调解委员会")
		rid := between(b, `href="/mediation/rooms/`, `/edit"`)
		want(t, s.do("staff", "GET", "/mediation/rooms/"+rid+"/edit", nil), http.StatusOK, "老杨调解室")
		want(t, s.do("secb", "GET", "/mediation/rooms/"+rid+"/edit", nil), http.StatusNotFound)
		location(t, s.do("staff", "POST", "/mediation/rooms/"+rid+"/edit", url.Values{"name": {"第一调解室"}}))
		want(t, s.do("staff", "GET", "/mediation/committees/"+cid, nil), http.StatusOK, "已停用")
	})
}

func TestScreeningPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		form := url.Values{"org_id": {itoa(s.villageA.ID)}, "held_on": {"2026-01-20"}, "kind": {"special"}, "reason": {""},
			"participants": {"村调委会"}, "found": {"2"},
			"f1_summary": {"农民工工资拖欠"}, "f1_dispute_type": {"labour"}, "f1_people": {"23"}, "f1_risk_group": {"1"},
			"f2_summary": {"邻里纠纷"}, "f2_dispute_type": {""}, "f2_people": {"2"}}
		want(t, s.do("staff", "POST", "/mediation/screenings/new", form), http.StatusUnprocessableEntity, "专项排查须填写事由")
		form.Set("reason", "春节前")
		b := want(t, s.do("staff", "POST", "/mediation/screenings/new", form), http.StatusUnprocessableEntity, "请选择纠纷类型")
		if !strings.Contains(b, `id="e-f2_dispute_type"`) {
			t.Fatal("error not on the row the user filled (row 3)")
		}
		form.Set("f2_dispute_type", "neighbour")
		loc := location(t, s.do("staff", "POST", "/mediation/screenings/new", form))
		b = want(t, s.do("staff", "GET", loc, nil), http.StatusOK, "农民工工资拖欠", "群体性", "邻里纠纷")
		fid := between(b, `action="/mediation/findings/`, `/status"`)
		location(t, s.do("staff", "POST", loc+"/findings", url.Values{"summary": {"噪音"}, "dispute_type": {"neighbour"}, "people": {"2"}}))
		want(t, s.do("staff", "POST", loc+"/findings", url.Values{"summary": {""}, "dispute_type": {"neighbour"}, "people": {"2"}}),
			http.StatusUnprocessableEntity, "纠纷简况必填")
		want(t, s.do("staff", "POST", "/mediation/findings/"+fid+"/status", url.Values{"status": {"case"}}), http.StatusUnprocessableEntity)
		want(t, s.do("secb", "POST", "/mediation/findings/"+fid+"/status", url.Values{"status": {"resolved"}}), http.StatusNotFound)
		location(t, s.do("staff", "POST", "/mediation/findings/"+fid+"/status", url.Values{"status": {"resolved"}}))
		want(t, s.do("staff", "GET", "/mediation/screenings", nil), http.StatusOK, "春节前", s.villageA.Name)
		want(t, s.do("staff", "GET", "/mediation/screenings?from=2026-13-01", nil), http.StatusOK, "起始日期应为YYYY-MM-DD")
		want(t, s.do("secb", "GET", loc, nil), http.StatusNotFound)

		rec := s.do("staff", "GET", "/mediation/screenings/export.xlsx", nil)
		rows := xlsxRows(t, rec.Body.Bytes())
		if rec.Code != http.StatusOK || len(rows) != 5 || rows[2][0] != "2026-01-20" {
			t.Fatalf("ledger %d %v", rec.Code, rows)
		}
		if s.audits(t, "mediation.export", "med_screening") != 1 {
			t.Fatal("ledger export not audited")
		}
	})
}

func TestSettingsPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		want(t, s.do("sec", "GET", "/mediation/settings", nil), http.StatusOK, s.countyA.Name, "人民调解法》(2010)第三十三条", "较大纠纷")
		form := url.Values{"county_id": {itoa(s.countyA.ID)}, "period_days": {"30"}, "reminder_days": {"40"}, "follow_up_days": {"30"},
			"require_registered": {"1"},
			"grade_0_code":       {"ordinary"}, "grade_0_name": {"一般纠纷"}, "grade_0_amount": {"150"}, "grade_0_criteria": {""},
			"grade_1_code": {"major"}, "grade_1_name": {"较大纠纷"}, "grade_1_amount": {"abc"}}
		want(t, s.do("sec", "POST", "/mediation/settings", form), http.StatusUnprocessableEntity, "第2个等级的补贴金额应为整数")
		// A blank row in the middle: the error stays on the row typed in.
		gap := url.Values{"county_id": {itoa(s.countyA.ID)}, "period_days": {"30"}, "reminder_days": {"5"}, "follow_up_days": {"30"},
			"grade_1_code": {"major"}, "grade_1_name": {""}, "grade_1_amount": {"300"}}
		b := want(t, s.do("sec", "POST", "/mediation/settings", gap), http.StatusUnprocessableEntity, "第1个等级的名称必填")
		if !strings.Contains(b, `id="f-grade_1_name"`) || !strings.Contains(between(b, `id="f-grade_1_name"`, "</td>"), "field-error") {
			t.Fatal("grade error not on the row typed in")
		}
		form.Set("grade_1_amount", "400")
		want(t, s.do("sec", "POST", "/mediation/settings", form), http.StatusUnprocessableEntity, "提前提醒天数")
		form.Set("reminder_days", "3")
		location(t, s.do("sec", "POST", "/mediation/settings", form))
		st, _ := s.st.Settings(s.ctx, s.scA, s.countyA.ID)
		if st.ReminderDays != 3 || len(st.SubsidyGrades) != 2 || st.SubsidyGrades[0].Amount != 150 {
			t.Fatalf("saved %+v", st)
		}
		// The office head holds approve but sees the county's rules read-only.
		want(t, s.do("head", "GET", "/mediation/settings", nil), http.StatusOK, "您只能查看", s.countyA.Name)
		want(t, s.do("head", "POST", "/mediation/settings", form), http.StatusNotFound)
		// The neighbour county cannot read or write county A.
		want(t, s.do("secb", "GET", "/mediation/settings?county="+itoa(s.countyA.ID), nil), http.StatusNotFound)
		want(t, s.do("secb", "POST", "/mediation/settings", form), http.StatusNotFound)
		if s.audits(t, "mediation.update", "med_settings") != 1 {
			t.Fatal("settings audit")
		}
	})
}

func TestDocumentPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		want(t, s.do("vmed", "GET", "/mediation/documents", nil), http.StatusOK, "人民调解协议书", "{parties.0}")
		rec := s.do("vmed", "GET", "/mediation/documents/agreement", nil)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/vnd.openxmlformats-officedocument.wordprocessingml.document" {
			t.Fatalf("download %d %v", rec.Code, rec.Header())
		}
		blank := docText(t, rec.Body.Bytes())
		if !strings.Contains(blank, "人民调解协议书") || placeholderRe.MatchString(blank) || strings.Count(blank, "<w:tr>") != 4 {
			t.Fatalf("blank agreement: placeholders left or not 1+3 party rows (%d rows)", strings.Count(blank, "<w:tr>"))
		}
		rec = s.do("vmed", "GET", "/mediation/documents/agreement?template=1", nil)
		if rec.Code != http.StatusOK || !strings.Contains(docText(t, rec.Body.Bytes()), "{parties.0}") {
			t.Fatalf("template download %d", rec.Code)
		}
	})
}

func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	s = s[i+len(start):]
	j := strings.Index(s, end)
	if j < 0 {
		return ""
	}
	return s[:j]
}

func xlsxRows(t *testing.T, b []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
