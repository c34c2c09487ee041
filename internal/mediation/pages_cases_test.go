package mediation

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func intakeForm(s *site) url.Values {
	return url.Values{"org_id": {itoa(s.committeeA.ID)}, "source": {"police"}, "referring_org": {"江北派出所"}, "source_ref": {"接警20260001"},
		"dispute_type": {"neighbour"}, "amount": {"1200"}, "people": {"2"}, "risk_crime": {"1"}, "summary": {"两户因噪音多次争吵"},
		"p0_role": {"applicant"}, "p0_name": {"王秀英"}, "p0_id_number": {idA}, "p0_phone": {phoneA},
		"p1_role": {"respondent"}, "p1_name": {"李建国"}, "p1_id_number": {idB}, "p1_phone": {phoneB}, "p2_role": {"other"}}
}

func TestCasePages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		m := s.mediator(t, MediatorInput{Name: "调解员甲", Registered: true, RegistryNo: "R1", RegisteredOn: "2024-01-01", Active: true})
		want(t, s.do("staff", "GET", "/mediation/cases/new", nil), http.StatusOK, "人民调解案件登记", "当事人 1")
		// A bad ID number is shown on its field.
		bad := intakeForm(s)
		bad.Set("p1_id_number", "110105194912310021")
		want(t, s.do("staff", "POST", "/mediation/cases/new", bad), http.StatusUnprocessableEntity, "第2名当事人")
		loc := location(t, s.do("staff", "POST", "/mediation/cases/new", intakeForm(s)))
		if !strings.HasPrefix(loc, "/mediation/cases/") {
			t.Fatalf("after intake: %s", loc)
		}
		id := strings.TrimPrefix(loc, "/mediation/cases/")
		want(t, s.do("staff", "GET", loc, nil), http.StatusOK, "王秀英与李建国邻里纠纷", maskA, "138****5678", "民转刑风险", "江北派出所")
		// Staff may not accept (approve): no button, and a post is refused.
		b := want(t, s.do("staff", "GET", loc, nil), http.StatusOK)
		if strings.Contains(b, "/transitions/accept") {
			t.Fatal("staff sees the accept form")
		}
		want(t, s.do("staff", "POST", loc+"/transitions/accept", url.Values{}), http.StatusForbidden)
		want(t, s.do("head", "GET", loc, nil), http.StatusOK, "/transitions/accept", "/transitions/decline")
		location(t, s.do("head", "POST", loc+"/transitions/accept", url.Values{}))
		want(t, s.do("head", "GET", loc, nil), http.StatusOK, "调解期限", "用户head", "指派调解员")
		location(t, s.do("head", "POST", loc+"/mediators", url.Values{"mediator_ids": {itoa(m.ID)}, "lead_mediator_id": {itoa(m.ID)}}))
		location(t, s.do("head", "POST", loc+"/transitions/start", url.Values{}))
		want(t, s.do("head", "POST", loc+"/sessions", url.Values{"kind": {"session"}, "held_on": {today()}}), http.StatusUnprocessableEntity, "记录内容必填")
		location(t, s.do("head", "POST", loc+"/sessions", url.Values{"kind": {"session"}, "held_on": {today()}, "place": {"调解室"},
			"mediator_id": {itoa(m.ID)}, "record": {"双方同意互相谅解"}}))
		agreement := url.Values{"agreement_form": {"written"}, "issues": {"噪音"}, "responsibility": {"双方"}, "terms": {"晚十点后不再施工"},
			"performance_method": {"自行遵守"}, "agreed_amount": {"200"}}
		want(t, s.do("head", "POST", loc+"/transitions/succeed", agreement), http.StatusUnprocessableEntity, "履行的期限")
		agreement.Set("performance_deadline", "即日起")
		location(t, s.do("head", "POST", loc+"/transitions/succeed", agreement))
		want(t, s.do("head", "GET", loc, nil), http.StatusOK, "还剩30天可申请司法确认", "回访期限", "人民调解协议书")
		// The agreement document is filled from the case.
		rec := s.do("head", "GET", loc+"/documents/agreement", nil)
		if rec.Code != http.StatusOK || !bytes.HasPrefix(rec.Body.Bytes(), []byte("PK")) {
			t.Fatalf("agreement document: %d", rec.Code)
		}
		xml, err := documentXML(rec.Body.Bytes())
		if err != nil || !strings.Contains(xml, "晚十点后不再施工") || !strings.Contains(xml, maskA) {
			t.Fatalf("agreement lacks the terms or the masked number: %v", err)
		}
		// Attachments.
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "协议扫描件.pdf")
		fw.Write([]byte("%PDF-1.4\n%test\n"))
		mw.Close()
		req := httptest.NewRequest("POST", loc+"/files", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.AddCookie(s.cookie("head"))
		up := httptest.NewRecorder()
		s.h.ServeHTTP(up, req)
		location(t, up)
		want(t, s.do("head", "GET", loc, nil), http.StatusOK, "协议扫描件.pdf")
		location(t, s.do("head", "POST", loc+"/transitions/perform", url.Values{"performed_on": {today()}}))
		location(t, s.do("head", "POST", loc+"/transitions/followup", url.Values{"followup_on": {today()}, "followup_note": {"未再争吵"}}))
		want(t, s.do("head", "GET", loc, nil), http.StatusOK, "已回访结案")

		// Neighbour county: 404 on the page, the posts and the documents; not in its ledger.
		for _, p := range []string{loc, loc + "/documents/registration"} {
			want(t, s.do("secb", "GET", p, nil), http.StatusNotFound)
		}
		want(t, s.do("secb", "POST", loc+"/transitions/start", url.Values{}), http.StatusNotFound)
		if b := want(t, s.do("secb", "GET", "/mediation/cases", nil), http.StatusOK); strings.Contains(b, "王秀英") {
			t.Fatal("neighbour's ledger lists the case")
		}
		// Ledger with filters, htmx partial.
		want(t, s.do("sec", "GET", "/mediation/cases?risk=crime&dispute_type=neighbour", nil), http.StatusOK, "王秀英与李建国邻里纠纷")
		if b := want(t, s.do("sec", "GET", "/mediation/cases?risk=group", nil), http.StatusOK); strings.Contains(b, "王秀英与李建国") {
			t.Fatal("risk filter")
		}
		want(t, s.do("sec", "GET", "/mediation/cases?state=nope", nil), http.StatusOK, "筛选条件无效")
		// Export: audited, names but no clear numbers (do() leak-scans; check the xlsx too).
		before := s.audits(t, "mediation.export", "med_case")
		rec = s.do("sec", "GET", "/mediation/cases/export.xlsx?dispute_type=neighbour", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("export: %d", rec.Code)
		}
		if s.audits(t, "mediation.export", "med_case") != before+1 {
			t.Fatal("export not audited")
		}
		x, err := excelize.OpenReader(bytes.NewReader(rec.Body.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		var all strings.Builder
		for _, r := range rows {
			all.WriteString(strings.Join(r, "|") + "\n")
		}
		if len(rows) != 3 || !strings.Contains(all.String(), "王秀英、李建国") || !strings.Contains(all.String(), "调解员甲") ||
			strings.Contains(all.String(), idA) || len(leakscan.Scan([]byte(all.String()))) > 0 {
			t.Fatalf("ledger rows:\n%s", all.String())
		}
		want(t, s.do("vmed", "GET", "/mediation/cases/export.xlsx", nil), http.StatusForbidden)
		_ = id
	})
}

// A refused intake shows typed ID numbers masked, carries them sealed,
// and a resubmission keeps them; a screening finding opens the form
// prefilled and becomes the case.
func TestCaseIntakeSealAndFinding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		bad := intakeForm(s)
		bad.Set("p1_id_number", "110105194912310021")
		b := want(t, s.do("staff", "POST", "/mediation/cases/new", bad), http.StatusUnprocessableEntity, maskA, "p0_id_number_sealed")
		sealed := ""
		if i := strings.Index(b, `name="p0_id_number_sealed" value="`); i >= 0 {
			rest := b[i+len(`name="p0_id_number_sealed" value="`):]
			sealed = rest[:strings.Index(rest, `"`)]
		}
		if sealed == "" {
			t.Fatal("no sealed number in the refused form")
		}
		again := intakeForm(s)
		again.Set("p0_id_number", maskA)
		again.Set("p0_id_number_sealed", sealed)
		again.Set("p0_phone", "")
		again.Set("p1_id_number", "")
		loc := location(t, s.do("staff", "POST", "/mediation/cases/new", again))
		c, err := s.st.Case(s.ctx, s.scA, mustID(t, strings.TrimPrefix(loc, "/mediation/cases/")))
		if err != nil || c.Parties[0].IDNumber != maskA {
			t.Fatalf("resubmitted party: %+v %v", c, err)
		}

		sid, err := s.st.CreateScreening(s.ctx, s.scA, 0, ScreeningInput{OrgID: s.villageA.ID, HeldOn: today(), Kind: "routine", Participants: "村调委会",
			Found: 1, Findings: []FindingInput{{Summary: "山林界址争议，双方聚集二十余人", DisputeType: "forest_land", People: 20, RiskGroup: true}}})
		if err != nil {
			t.Fatal(err)
		}
		_, fs, _ := s.st.Screening(s.ctx, s.scA, sid)
		fid := itoa(fs[0].ID)
		want(t, s.do("staff", "GET", "/mediation/screenings/"+itoa(sid), nil), http.StatusOK, "/mediation/cases/new?finding="+fid)
		want(t, s.do("staff", "GET", "/mediation/cases/new?finding="+fid, nil), http.StatusOK, "山林界址争议", `name="finding_id" value="`+fid+`"`)
		want(t, s.do("secb", "GET", "/mediation/cases/new?finding="+fid, nil), http.StatusNotFound)
		form := url.Values{"finding_id": {fid}, "org_id": {itoa(s.committeeV.ID)}, "source": {"screening"}, "dispute_type": {"forest_land"},
			"people": {"20"}, "risk_group": {"1"}, "summary": {"山林界址争议，双方聚集二十余人"},
			"p0_role": {"applicant"}, "p0_name": {"张大"}, "p1_role": {"respondent"}, "p1_name": {"张二"}}
		loc = location(t, s.do("staff", "POST", "/mediation/cases/new", form))
		want(t, s.do("staff", "GET", loc, nil), http.StatusOK, "群体性风险", "主动调解")
		want(t, s.do("staff", "GET", "/mediation/screenings/"+itoa(sid), nil), http.StatusOK, `href="`+loc+`"`, "已转为调解案件")
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
