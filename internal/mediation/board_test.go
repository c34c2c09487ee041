package mediation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// boardCase registers a case at o with fresh parties (no repeat flag).
func (w *world) boardCase(t *testing.T, ctx context.Context, o org.Org, n int, crime bool) *Case {
	t.Helper()
	in := CaseInput{OrgID: o.ID, Source: "application", DisputeType: "neighbour", People: 2, RiskCrime: crime,
		Summary: fmt.Sprintf("看板测试纠纷%d", n), Parties: []PartyInput{
			{Role: "applicant", Name: fmt.Sprintf("申请人%d", n)}, {Role: "respondent", Name: fmt.Sprintf("被申请人%d", n)}}}
	c, err := w.st.Register(ctx, org.System(), in)
	if err != nil {
		t.Fatalf("register %d: %v", n, err)
	}
	return c
}

func boardIDs(cs []BoardCase) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// overdue moves the case's running deadlines into the past.
func overdue(t *testing.T, db *store.DB, id int64) {
	t.Helper()
	if _, err := db.Exec(context.Background(), `UPDATE case_deadlines SET due_at = ? WHERE case_id = ? AND state = ?`,
		time.Now().Add(-48*time.Hour), id, casework.DeadlineRunning); err != nil {
		t.Fatal(err)
	}
}

func TestBoardOrderingScopeAndLevels(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctx := w.actor(t, "coord", w.city, w.scCity)
		plain := w.boardCase(t, ctx, w.committeeA, 1, false) // registered: no deadline
		risky := w.boardCase(t, ctx, w.committeeV, 2, true)  // high risk, no deadline
		timed := w.boardCase(t, ctx, w.committeeA, 3, false)
		late := w.boardCase(t, ctx, w.committeeA, 4, false)
		other := w.boardCase(t, ctx, w.committeeB, 5, false)
		must(w.st.Accept(ctx, w.scCity, timed.ID, ""))
		must(w.st.Accept(ctx, w.scCity, late.ID, ""))
		overdue(t, db, late.ID)

		got, err := w.st.BoardCases(ctx, w.scA, BoardFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{late.ID, risky.ID, timed.ID, plain.ID}
		if fmt.Sprint(boardIDs(got)) != fmt.Sprint(want) {
			t.Fatalf("order %v, want %v", boardIDs(got), want)
		}
		if !got[0].Overdue || got[0].NextDue.IsZero() || got[1].Overdue || !got[1].HighRisk() || got[2].NextDue.IsZero() {
			t.Fatalf("flags: %+v", got[:3])
		}
		// Filters.
		if got, _ := w.st.BoardCases(ctx, w.scA, BoardFilter{Due: "overdue"}); fmt.Sprint(boardIDs(got)) != fmt.Sprint([]int64{late.ID}) {
			t.Fatalf("overdue filter: %v", boardIDs(got))
		}
		if got, _ := w.st.BoardCases(ctx, w.scA, BoardFilter{Risk: "crime"}); fmt.Sprint(boardIDs(got)) != fmt.Sprint([]int64{risky.ID}) {
			t.Fatalf("risk filter: %v", boardIDs(got))
		}
		if got, _ := w.st.BoardCases(ctx, w.scA, BoardFilter{Due: "none", State: StateRegistered, OrgID: w.villageA.ID}); fmt.Sprint(boardIDs(got)) != fmt.Sprint([]int64{risky.ID}) {
			t.Fatalf("org+state+none filter: %v", boardIDs(got))
		}
		_, err = w.st.BoardCases(ctx, w.scA, BoardFilter{Risk: "x"})
		wantField(t, err, "risk")
		_, err = w.st.BoardCases(ctx, w.scA, BoardFilter{Due: "later"})
		wantField(t, err, "due")
		_, err = w.st.BoardCases(ctx, w.scA, BoardFilter{OrgID: w.officeB.ID})
		wantField(t, err, "org")

		// Scope: the county sees its own, the neighbour its own, the city both.
		if got, _ := w.st.BoardCases(ctx, w.scB, BoardFilter{}); fmt.Sprint(boardIDs(got)) != fmt.Sprint([]int64{other.ID}) {
			t.Fatalf("county B board: %v", boardIDs(got))
		}
		if got, _ := w.st.BoardCases(ctx, w.scCity, BoardFilter{}); len(got) != 5 || got[0].ID != late.ID {
			t.Fatalf("city board: %v", boardIDs(got))
		}
		counts, err := w.st.BoardCounts(ctx, w.scCity, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 2 || counts[0].OrgID != w.officeA.ID || counts[0].Active != 4 || counts[0].Overdue != 1 || counts[0].HighRisk != 1 ||
			counts[1].OrgID != w.officeB.ID || counts[1].Active != 1 || counts[1].Overdue != 0 {
			t.Fatalf("counts: %+v", counts)
		}
		if counts, _ := w.st.BoardCounts(ctx, w.scA, time.Time{}); len(counts) != 1 || counts[0].OrgID != w.officeA.ID {
			t.Fatalf("county A counts: %+v", counts)
		}

		// Resolved at level: village committee → village, township committee → township, county.
		atCounty := w.boardCase(t, ctx, w.countyA, 6, false)
		for _, c := range []*Case{risky, timed, atCounty} {
			if c.ID != timed.ID {
				must(w.st.Accept(ctx, w.scCity, c.ID, ""))
			}
			must(w.st.StartMediation(ctx, w.scCity, c.ID))
			must(w.st.CloseSuccess(ctx, w.scCity, c.ID, Agreement{Form: AgreementOral, Items: map[string]string{"terms": "当场赔礼道歉"}}))
		}
		must(w.st.StartMediation(ctx, w.scCity, late.ID))
		must(w.st.CloseFailed(ctx, w.scCity, late.ID, "litigation", "")) // failed cases do not count
		l, err := w.st.ResolvedAtLevel(ctx, w.scA, "", "")
		if err != nil || l != (LevelCounts{Village: 1, Township: 1, County: 1}) || l.Percent(l.Village) != 33 {
			t.Fatalf("levels %+v %v", l, err)
		}
		if l, _ := w.st.ResolvedAtLevel(ctx, w.scB, "", ""); l.Total() != 0 {
			t.Fatalf("county B levels %+v", l)
		}
		if l, _ := w.st.ResolvedAtLevel(ctx, w.scA, "2000-01-01", "2000-12-31"); l.Total() != 0 {
			t.Fatalf("levels out of period %+v", l)
		}
		_, err = w.st.ResolvedAtLevel(ctx, w.scA, "2026-02-30", "")
		wantField(t, err, "from")
		// Satisfaction counts under the case's office, not the county's own row.
		var tok string
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			tok, err = w.st.cases().NewFeedbackLink(ctx, tx, w.scCity, risky.ID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if err := casework.SubmitFeedback(context.Background(), db, tok, 3, ""); err != nil {
			t.Fatal(err)
		}
		counts, err = w.st.BoardCounts(ctx, w.scA, time.Time{})
		if err != nil || len(counts) != 2 || counts[0].OrgID != w.countyA.ID || counts[0].Feedback.Links != 0 ||
			counts[1].Feedback.Rated != 1 || counts[1].Satisfaction() != "3.0" {
			t.Fatalf("feedback counts: %+v %v", counts, err)
		}
		// A failed case leaves the board; agreed ones stay until the
		// follow-up closes them (their follow-up deadline runs).
		if got, _ := w.st.BoardCases(ctx, w.scA, BoardFilter{}); fmt.Sprint(boardIDs(got)) != fmt.Sprint([]int64{risky.ID, timed.ID, atCounty.ID, plain.ID}) {
			t.Fatalf("after closing: %v", boardIDs(got))
		}
	})
}

func TestBoardAgencyReferral(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctx := w.actor(t, "coord", w.countyA, w.scA)
		reg := w.boardCase(t, ctx, w.committeeA, 1, false)
		med := w.boardCase(t, ctx, w.committeeA, 2, false)
		acc := w.boardCase(t, ctx, w.committeeA, 3, false)
		must(w.st.Accept(ctx, w.scA, med.ID, ""))
		must(w.st.StartMediation(ctx, w.scA, med.ID))
		must(w.st.Accept(ctx, w.scA, acc.ID, ""))
		_, err := w.st.ReferToAgency(ctx, w.scA, med.ID, "mars", "x")
		wantField(t, err, "agency")
		_, err = w.st.ReferToAgency(ctx, w.scA, med.ID, "labour", " ")
		wantField(t, err, "reason")
		_, err = w.st.ReferToAgency(ctx, w.scA, acc.ID, "court", "欠薪")
		wantField(t, err, "agency")
		if _, err := w.st.ReferToAgency(ctx, w.scB, med.ID, "court", "x"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour refers: %v", err)
		}
		c := must(w.st.ReferToAgency(ctx, w.scA, med.ID, "labour", "劳动报酬争议"))
		if c.State != StateFailed || c.Referral != "arbitration" {
			t.Fatalf("referred: %s %s", c.State, c.Referral)
		}
		c = must(w.st.ReferToAgency(ctx, w.scA, reg.ID, "police", "涉嫌殴打"))
		if c.State != StateDeclined || !strings.Contains(c.DeclineReason, "公安机关") {
			t.Fatalf("referred registered: %s %q", c.State, c.DeclineReason)
		}
	})
}

var tokenRe = regexp.MustCompile(`/p/feedback/([A-Za-z0-9_-]+)`)

func TestBoardPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		ctx := context.Background()
		if _, err := s.svc.CreateUser(ctx, nil, auth.UserInput{Username: "citysec", DisplayName: "市局", OrgID: s.city.ID,
			Roles: []string{"section_mediation"}, Password: pw}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
			t.Fatal(err)
		}
		actx := s.actor(t, "setup", s.city, s.scCity)
		a := s.boardCase(t, actx, s.committeeA, 1, true)
		b := s.boardCase(t, actx, s.committeeB, 2, false)

		// The board: county sees its offices, the city both counties.
		body := want(t, s.do("sec", "GET", "/mediation/board", nil), http.StatusOK, "协同指挥", a.Number, "江北街道司法所", "村(居)调委会化解")
		if strings.Contains(body, b.Number) {
			t.Fatal("county A board shows county B's case")
		}
		want(t, s.do("citysec", "GET", "/mediation/board", nil), http.StatusOK, a.Number, b.Number, "登科街道司法所")
		want(t, s.do("sec", "GET", "/mediation/board?risk=bad", nil), http.StatusOK, "风险筛选条件无效")
		// htmx refresh of the list only.
		req := "/mediation/board?risk=crime"
		rec := s.doHX("sec", req)
		if b := want(t, rec, http.StatusOK, a.Number); strings.Contains(b, "各单位在办情况") {
			t.Fatal("htmx refresh returned the whole page")
		}

		// Neighbour: 404 on every action.
		base := "/mediation/board/cases/" + itoa(a.ID)
		for _, act := range []string{"", "/transfer", "/supervise", "/reply", "/accept-transfer"} {
			want(t, s.do("secb", "GET", base+act, nil), http.StatusNotFound)
		}
		want(t, s.do("secb", "POST", base+"/supervise", url.Values{"instruction": {"x"}, "due_on": {"2099-01-01"}}), http.StatusNotFound)
		want(t, s.do("secb", "POST", base+"/feedback", url.Values{}), http.StatusNotFound)

		// Transfer to the neighbour county's committee; it appears in B's in-tray.
		want(t, s.do("sec", "POST", base+"/transfer", url.Values{"kind": {"org"}, "reason": {"x"}}), http.StatusUnprocessableEntity, "请选择接收单位")
		want(t, s.do("sec", "POST", base+"/transfer", url.Values{"kind": {"org"}, "to_org_id": {itoa(s.committeeB.ID)}}), http.StatusUnprocessableEntity, "请填写理由")
		location(t, s.do("sec", "POST", base+"/transfer", url.Values{"kind": {"org"}, "to_org_id": {itoa(s.committeeB.ID)}, "reason": {"当事人居住在登科街道"}}))
		want(t, s.do("secb", "GET", "/mediation/board", nil), http.StatusOK, "待接收", a.Number)
		want(t, s.do("secb", "GET", base+"/accept-transfer", nil), http.StatusOK, "接收转办", "当事人居住在登科街道")
		want(t, s.do("secb", "POST", base+"/return-transfer", url.Values{"return_reason": {""}}), http.StatusUnprocessableEntity, "请填写理由")
		// The sender may not accept its own transfer.
		want(t, s.do("sec", "POST", base+"/accept-transfer", url.Values{}), http.StatusForbidden)
		location(t, s.do("secb", "POST", base+"/return-transfer", url.Values{"return_reason": {"不属本辖区"}}))
		if c, _ := s.st.Case(actx, s.scCity, a.ID); c.OrgID != s.committeeA.ID || c.TransferOrgID != 0 {
			t.Fatalf("after return: org %d transfer %d", c.OrgID, c.TransferOrgID)
		}
		want(t, s.do("sec", "GET", base, nil), http.StatusOK, "已退回", "不属本辖区")

		// Supervise: approve needed (office staff lacks it), and from above the owner.
		want(t, s.do("staff", "POST", base+"/supervise", url.Values{"instruction": {"x"}, "due_on": {"2099-01-01"}}), http.StatusForbidden)
		location(t, s.do("head", "POST", base+"/supervise", url.Values{"instruction": {"请加快"}, "due_on": {"2099-01-01"}}))
		want(t, s.do("sec", "POST", base+"/supervise", url.Values{"instruction": {""}, "due_on": {"2099-01-01"}}), http.StatusUnprocessableEntity, "请填写督办意见")
		want(t, s.do("sec", "POST", base+"/supervise", url.Values{"instruction": {"x"}, "due_on": {"2000-01-01"}}), http.StatusUnprocessableEntity, "回复期限须晚于当前时间")
		want(t, s.do("sec", "POST", base+"/supervise", url.Values{"instruction": {"x"}, "due_on": {"明天"}}), http.StatusUnprocessableEntity, "回复期限应为")
		location(t, s.do("sec", "POST", base+"/supervise", url.Values{"instruction": {"群体性风险，三日内化解"}, "due_on": {"2099-01-01"}}))
		sups, err := s.st.cases().Supervisions(actx, s.scCity, a.ID)
		if err != nil || len(sups) != 2 {
			t.Fatalf("supervisions %d %v", len(sups), err)
		}
		want(t, s.do("sec", "GET", "/mediation/board", nil), http.StatusOK, "督办中 2")
		// Reply: the owner's office; the village mediator's scope does not hold the case.
		want(t, s.do("vmed", "POST", base+"/reply", url.Values{"supervision_id": {itoa(sups[1].ID)}, "reply": {"x"}}), http.StatusNotFound)
		want(t, s.do("staff", "POST", base+"/reply", url.Values{"supervision_id": {"999999"}, "reply": {"x"}}), http.StatusUnprocessableEntity, "请选择要回复的督办")
		want(t, s.do("staff", "POST", base+"/reply", url.Values{"supervision_id": {itoa(sups[1].ID)}, "reply": {""}}), http.StatusUnprocessableEntity, "请填写回复")
		want(t, s.do("staff", "GET", base+"/reply", nil), http.StatusOK, "群体性风险，三日内化解")
		location(t, s.do("staff", "POST", base+"/reply", url.Values{"supervision_id": {itoa(sups[1].ID)}, "reply": {"已约双方明日调解"}}))
		if sups, _ := s.st.cases().Supervisions(actx, s.scCity, a.ID); sups[1].State != casework.SupervisionReplied || sups[0].State != casework.SupervisionOpen {
			t.Fatalf("after reply: %s %s", sups[0].State, sups[1].State)
		}

		// Transfer and accept: the receiver owns it, the sender loses it.
		location(t, s.do("sec", "POST", base+"/transfer", url.Values{"kind": {"org"}, "to_org_id": {itoa(s.committeeB.ID)}, "reason": {"再次移交"}}))
		location(t, s.do("secb", "POST", base+"/accept-transfer", url.Values{"note": {"接收"}}))
		if c, _ := s.st.Case(actx, s.scCity, a.ID); c.OrgID != s.committeeB.ID || c.TransferOrgID != 0 {
			t.Fatalf("after accept: org %d", c.OrgID)
		}
		want(t, s.do("sec", "GET", base, nil), http.StatusNotFound)
		want(t, s.do("secb", "GET", "/mediation/board", nil), http.StatusOK, a.Number)

		// Outside agency from the board.
		bb := "/mediation/board/cases/" + itoa(b.ID)
		want(t, s.do("secb", "POST", bb+"/transfer", url.Values{"kind": {"agency"}, "agency": {""}, "reason": {"x"}}), http.StatusUnprocessableEntity, "请选择接收机关")
		location(t, s.do("secb", "POST", bb+"/transfer", url.Values{"kind": {"agency"}, "agency": {"court"}, "reason": {"已起诉"}}))
		if c, _ := s.st.Case(actx, s.scCity, b.ID); c.State != StateDeclined {
			t.Fatalf("agency referral: %s", c.State)
		}

		// Feedback QR: the token works on the portal's rating, and the
		// office's satisfaction shows on the board.
		body = want(t, s.do("secb", "POST", base+"/feedback", url.Values{}), http.StatusOK, "data:image/png;base64,", "/p/feedback/")
		m := tokenRe.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no token in page")
		}
		if err := casework.SubmitFeedback(ctx, db, m[1], 4, "满意"); err != nil {
			t.Fatal(err)
		}
		want(t, s.do("secb", "GET", "/mediation/board", nil), http.StatusOK, "1/1", "4.0")
		want(t, s.do("vmed", "POST", base+"/feedback", url.Values{}), http.StatusNotFound)
	})
}

// doHX sends an htmx refresh of the board's list.
func (s *site) doHX(user, path string) *httptest.ResponseRecorder {
	s.t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("HX-Request", "true")
	req.Header.Set("HX-Target", "board-list")
	req.AddCookie(s.cookie(user))
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}
