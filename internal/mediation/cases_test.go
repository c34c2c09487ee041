package mediation

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

var casePerms = []string{"mediation.view", "mediation.edit", "mediation.approve", "mediation.export"}

// actor returns a context acting as a new user of o with the mediation
// permissions.
func (w *world) actor(t *testing.T, name string, o org.Org, sc org.Scope, perms ...string) context.Context {
	t.Helper()
	var id int64
	err := w.db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		id, err = store.InsertID(context.Background(), tx, `INSERT INTO users (username, display_name, org_id, must_change, created_at, updated_at)
			VALUES (?, ?, ?, FALSE, ?, ?) RETURNING id`, name, name, o.ID, time.Now(), time.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(perms) == 0 {
		perms = casePerms
	}
	return auth.WithPrincipal(w.ctx, auth.NewPrincipalForTest(id, o.ID, sc, perms...))
}

func intake(w *world) CaseInput {
	return CaseInput{OrgID: w.committeeA.ID, Source: "application", DisputeType: "neighbour", Amount: "3500.5", People: 2,
		Summary: "排水沟堵塞致邻居院坝积水", Parties: []PartyInput{
			{Role: "applicant", Name: "王秀英", IDNumber: idA, Phone: phoneA},
			{Role: "respondent", Name: "李建国", IDNumber: idB, Phone: phoneB},
		}}
}

func mustFn(t *testing.T) func(*Case, error) *Case {
	return func(c *Case, err error) *Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
}

func TestCaseFullFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctx := w.actor(t, "clerk", w.officeA, w.scOffice)
		m1 := w.mediator(t, MediatorInput{Name: "调解员甲", Registered: true, RegistryNo: "R1", RegisteredOn: "2024-01-01", Active: true})
		m2 := w.mediator(t, MediatorInput{Name: "调解员乙", Registered: true, RegistryNo: "R2", RegisteredOn: "2024-01-01", Active: true})
		unreg := w.mediator(t, MediatorInput{Name: "未登记", Active: true})

		// Intake validation names the field, including a party's number.
		bad := intake(w)
		bad.Parties[1].IDNumber = "110105194912310021"
		_, err := w.st.Register(ctx, w.scOffice, bad)
		wantField(t, err, "p1_id_number")
		bad = intake(w)
		bad.Source = "court"
		_, err = w.st.Register(ctx, w.scOffice, bad)
		wantField(t, err, "referring_org")

		c, err := w.st.Register(ctx, w.scOffice, intake(w))
		if err != nil {
			t.Fatal(err)
		}
		year := time.Now().In(time.FixedZone("CST", 8*3600)).Year()
		if c.State != StateRegistered || !strings.HasPrefix(c.Number, "（") || !strings.Contains(c.Number, "民调字第0001号") ||
			c.Title != "王秀英与李建国邻里纠纷" || c.AmountFen != 350050 || c.Amount() != "3500.50" || c.Repeated || c.Year != year {
			t.Fatalf("registered: %q %q %s %d rep=%v", c.Number, c.Title, c.State, c.AmountFen, c.Repeated)
		}
		if len(c.Parties) != 2 || c.Parties[0].IDNumber != maskA || c.Parties[0].Role != "applicant" {
			t.Fatalf("parties: %+v", c.Parties)
		}
		// Staff without approve cannot accept.
		staff := auth.WithPrincipal(w.ctx, auth.NewPrincipalForTest(0, w.officeA.ID, w.scOffice, "mediation.view", "mediation.edit"))
		var fb *auth.ForbiddenError
		if _, err := w.st.Accept(staff, w.scOffice, c.ID, ""); !errors.As(err, &fb) {
			t.Fatalf("accept without approve: %v", err)
		}
		c = must(w.st.Accept(ctx, w.scOffice, c.ID, ""))
		if c.State != StateAccepted || c.AcceptedOn != today() || c.HandlerName != "clerk" {
			t.Fatalf("accepted: %s %q handler %q", c.State, c.AcceptedOn, c.HandlerName)
		}
		var period *casework.Deadline
		for i := range c.Deadlines {
			if c.Deadlines[i].Code == "period" {
				period = &c.Deadlines[i]
			}
		}
		if period == nil || period.Rule.Days != DefaultPeriodDays || period.State != casework.DeadlineRunning {
			t.Fatalf("period deadline: %+v", c.Deadlines)
		}
		// Only assignable mediators.
		_, err = w.st.AssignMediators(ctx, w.scOffice, c.ID, []int64{unreg.ID}, unreg.ID)
		wantField(t, err, "mediator_ids")
		_, err = w.st.AssignMediators(ctx, w.scOffice, c.ID, []int64{m1.ID}, m2.ID)
		wantField(t, err, "lead_mediator_id")
		c = must(w.st.AssignMediators(ctx, w.scOffice, c.ID, []int64{m1.ID, m2.ID}, m2.ID))
		if c.MediatorNames() != "调解员乙、调解员甲" {
			t.Fatalf("mediators: %q", c.MediatorNames())
		}
		c = must(w.st.StartMediation(ctx, w.scOffice, c.ID))
		_, err = w.st.AddSession(ctx, w.scOffice, c.ID, SessionInput{Kind: "session", HeldOn: today(), Place: "调解室", MediatorID: unreg.ID, Record: "x"})
		wantField(t, err, "mediator_id")
		if _, err := w.st.AddSession(ctx, w.scOffice, c.ID, SessionInput{Kind: "session", HeldOn: today(), Place: "调解室",
			MediatorID: m2.ID, Attendees: "双方当事人", Record: "双方同意疏通排水沟，费用各半。"}); err != nil {
			t.Fatal(err)
		}
		// A written agreement missing an item names it.
		items := map[string]string{"issues": "排水沟疏通费用", "responsibility": "双方各负一半", "terms": "李建国于十日内疏通排水沟",
			"performance_method": "现场疏通"}
		_, err = w.st.CloseSuccess(ctx, w.scOffice, c.ID, Agreement{Form: AgreementWritten, Items: items, Amount: "800"})
		wantField(t, err, "performance_deadline")
		items["performance_deadline"] = "十日内"
		c = must(w.st.CloseSuccess(ctx, w.scOffice, c.ID, Agreement{Form: AgreementWritten, Items: items, Amount: "800"}))
		if c.State != StateSucceeded || c.AgreedFen != 80000 || c.AgreedOn != today() || c.Agreement["parties"] == "" ||
			c.Agreement["facts"] != c.Summary || len(c.Sessions) != 1 {
			t.Fatalf("succeeded: %+v", c)
		}
		if c.ConfirmDaysLeft() != JudicialConfirmationDays || !c.ConfirmOpen() {
			t.Fatalf("confirmation window: %d days", c.ConfirmDaysLeft())
		}
		codes := map[string]string{}
		for _, d := range c.Deadlines {
			codes[d.Code] = d.State
		}
		if codes["period"] != casework.DeadlineMet || codes["followup"] != casework.DeadlineRunning || codes["confirmation"] != casework.DeadlineRunning {
			t.Fatalf("deadlines after success: %v", codes)
		}
		_, err = w.st.RecordJudicialConfirmation(ctx, w.scOffice, c.ID, "2000-01-01", "pending")
		wantField(t, err, "confirm_applied_on")
		c = must(w.st.RecordJudicialConfirmation(ctx, w.scOffice, c.ID, today(), "confirmed"))
		if c.ConfirmResult != "confirmed" || c.ConfirmOpen() {
			t.Fatalf("confirmation: %q", c.ConfirmResult)
		}
		_, err = w.st.RecordPerformance(ctx, w.scOffice, c.ID, "", "")
		wantField(t, err, "performed_on")
		c = must(w.st.RecordPerformance(ctx, w.scOffice, c.ID, today(), "已疏通"))
		c = must(w.st.FollowUp(ctx, w.scOffice, c.ID, today(), "双方满意，未再发生纠纷"))
		if c.State != StateClosed || c.ClosedAt.IsZero() || c.ResultName() != "调解成功" || c.FollowUpNote == "" {
			t.Fatalf("closed: %s", c.State)
		}
		tl, err := w.st.cases().Timeline(ctx, w.scOffice, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var kinds []string
		for _, e := range tl {
			kinds = append(kinds, e.Kind+":"+e.Code)
		}
		if got := strings.Join(kinds, " "); got != "create: transition:accept assign: mediators: transition:start session: transition:succeed judicial_confirmation: transition:perform transition:followup" {
			t.Fatalf("timeline: %s", got)
		}
		if n := w.audits(t, "mediation.update", "med_case"); n != 7 {
			t.Fatalf("med_case update audits: %d", n)
		}
		// The person page lists the case.
		refs, err := w.st.CasesOfPerson(ctx, w.scA, c.Parties[0].PersonID)
		if err != nil || len(refs) != 1 || refs[0].Role != "申请人" || refs[0].Status != "已回访结案" {
			t.Fatalf("cases of person: %+v %v", refs, err)
		}
		// A second case with the same respondent within 12 months is flagged.
		in := intake(w)
		in.Parties = []PartyInput{{Role: "applicant", Name: "赵四"}, {Role: "respondent", PersonID: c.Parties[1].PersonID}}
		again := must(w.st.Register(ctx, w.scOffice, in))
		if !again.Repeated || !strings.Contains(again.Number, "第0002号") {
			t.Fatalf("repeated: %v %s", again.Repeated, again.Number)
		}
		list, total, err := w.st.Cases(ctx, w.scA, CaseFilter{Risk: "repeated"})
		if err != nil || total != 1 || list[0].ID != again.ID {
			t.Fatalf("repeated filter: %d %v", total, err)
		}
	})
}

func TestCaseDeclineAndFail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctx := w.actor(t, "head", w.officeA, w.scOffice)
		c := must(w.st.Register(ctx, w.scOffice, intake(w)))
		_, err := w.st.Decline(ctx, w.scOffice, c.ID, " ")
		wantField(t, err, "decline_reason")
		c = must(w.st.Decline(ctx, w.scOffice, c.ID, "属于法院已受理的案件"))
		if c.State != StateDeclined || c.ClosedAt.IsZero() || c.DeclineReason == "" || c.ResultName() != "不予受理" {
			t.Fatalf("declined: %+v", c)
		}
		var se *casework.StateError
		if _, err := w.st.Accept(ctx, w.scOffice, c.ID, ""); !errors.As(err, &se) {
			t.Fatalf("accept after decline: %v", err)
		}

		in := intake(w)
		in.Parties = []PartyInput{{Role: "applicant", Name: "甲某"}, {Role: "respondent", Name: "乙某"}}
		c = must(w.st.Register(ctx, w.scOffice, in))
		c = must(w.st.Accept(ctx, w.scOffice, c.ID, ""))
		c = must(w.st.StartMediation(ctx, w.scOffice, c.ID))
		_, err = w.st.CloseFailed(ctx, w.scOffice, c.ID, "court", "")
		wantField(t, err, "referral")
		c = must(w.st.CloseFailed(ctx, w.scOffice, c.ID, "litigation", "被申请人拒绝调解"))
		if c.State != StateFailed || c.Referral != "litigation" || c.ResultName() != "调解不成(告知诉讼)" {
			t.Fatalf("failed: %s %s", c.State, c.ResultName())
		}
		for _, d := range c.Deadlines {
			if d.State == casework.DeadlineRunning {
				t.Fatalf("deadline %s still running on a failed case", d.Code)
			}
		}
		// An oral agreement needs only its terms.
		c = must(w.st.Register(ctx, w.scOffice, in))
		must(w.st.Accept(ctx, w.scOffice, c.ID, ""))
		must(w.st.StartMediation(ctx, w.scOffice, c.ID))
		_, err = w.st.CloseSuccess(ctx, w.scOffice, c.ID, Agreement{Form: AgreementOral})
		wantField(t, err, "terms")
		c = must(w.st.CloseSuccess(ctx, w.scOffice, c.ID, Agreement{Form: AgreementOral, Items: map[string]string{"terms": "当场赔礼道歉"}}))
		if c.AgreementFormName() == "" || c.State != StateSucceeded {
			t.Fatalf("oral: %s", c.State)
		}
	})
}

func TestCaseScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctxA := w.actor(t, "a", w.officeA, w.scOffice)
		ctxB := w.actor(t, "b", w.officeB, w.scB)
		c := must(w.st.Register(ctxA, w.scOffice, intake(w)))
		if _, err := w.st.Case(ctxB, w.scB, c.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour county reads: %v", err)
		}
		if _, err := w.st.Accept(ctxB, w.scB, c.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour county accepts: %v", err)
		}
		if _, err := w.st.AddSession(ctxB, w.scB, c.ID, SessionInput{Kind: "session", HeldOn: today(), Record: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour county session: %v", err)
		}
		list, total, err := w.st.Cases(ctxB, w.scB, CaseFilter{})
		if err != nil || total != 0 || len(list) != 0 {
			t.Fatalf("neighbour county lists %d", total)
		}
		in := intake(w)
		in.OrgID = w.committeeB.ID
		_, err = w.st.Register(ctxA, w.scOffice, in)
		wantField(t, err, "org_id")
		if refs, err := w.st.CasesOfPerson(ctxB, w.scB, c.Parties[0].PersonID); err != nil || len(refs) != 0 {
			t.Fatalf("neighbour sees the person's cases: %v %v", refs, err)
		}
		// Filters.
		list, total, err = w.st.Cases(ctxA, w.scA, CaseFilter{DisputeType: "neighbour", Source: "application", State: StateRegistered,
			Query: "排水沟", From: today(), To: today()})
		if err != nil || total != 1 || list[0].PartyNames() != "王秀英、李建国" {
			t.Fatalf("filtered list: %d %v", total, err)
		}
		if _, total, _ := w.st.Cases(ctxA, w.scA, CaseFilter{Risk: "crime"}); total != 0 {
			t.Fatalf("risk filter: %d", total)
		}
		_, _, err = w.st.Cases(ctxA, w.scA, CaseFilter{From: "2026-13-01"})
		wantField(t, err, "from")
	})
}

func TestConvertFinding(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctx := w.actor(t, "a", w.officeA, w.scOffice)
		sid, err := w.st.CreateScreening(ctx, w.scA, 0, ScreeningInput{OrgID: w.villageA.ID, HeldOn: today(), Kind: "routine",
			Participants: "村调委会", Found: 1, Findings: []FindingInput{{Summary: "两户因宅基地界址争吵，扬言动刀", DisputeType: "house_homestead",
				People: 6, RiskCriminal: true}}})
		if err != nil {
			t.Fatal(err)
		}
		_, fs, err := w.st.Screening(ctx, w.scA, sid)
		if err != nil || len(fs) != 1 {
			t.Fatal(err)
		}
		in := CaseInput{OrgID: w.committeeV.ID, Parties: []PartyInput{{Role: "applicant", Name: "张大"}, {Role: "respondent", Name: "张二"}}}
		// The neighbour county cannot convert it.
		ctxB := w.actor(t, "b", w.officeB, w.scB)
		if _, err := w.st.ConvertFinding(ctxB, w.scB, fs[0].ID, in); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("neighbour converts: %v", err)
		}
		c := must(w.st.ConvertFinding(ctx, w.scOffice, fs[0].ID, in))
		if c.Source != "screening" || c.DisputeType != "house_homestead" || !c.RiskCrime || c.People != 6 || c.FindingID != fs[0].ID {
			t.Fatalf("converted: %+v", c)
		}
		_, fs, _ = w.st.Screening(ctx, w.scA, sid)
		if fs[0].Status != "case" || fs[0].CaseID != c.ID {
			t.Fatalf("finding after convert: %s %d", fs[0].Status, fs[0].CaseID)
		}
		_, err = w.st.ConvertFinding(ctx, w.scOffice, fs[0].ID, in)
		wantField(t, err, "finding_id")
		if _, total, _ := w.st.Cases(ctx, w.scA, CaseFilter{Risk: "any"}); total != 1 {
			t.Fatalf("risk any: %d", total)
		}
	})
}

// A party registered by ID number is reused, not duplicated.
func TestIntakeReusesPerson(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		must := mustFn(t)
		ctx := w.actor(t, "a", w.officeA, w.scOffice)
		p, err := w.st.Persons.Create(ctx, w.scA, person.Input{OrgID: w.officeA.ID, Kind: person.Natural, Name: "王秀英", IDNumber: idA})
		if err != nil {
			t.Fatal(err)
		}
		c := must(w.st.Register(ctx, w.scOffice, intake(w)))
		if c.Parties[0].PersonID != p.ID {
			t.Fatalf("party %d, registry %d", c.Parties[0].PersonID, p.ID)
		}
	})
}
