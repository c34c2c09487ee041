package mediation

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Act takes transition code on case id with fields (the names each
// transition reads are listed in casetype.go), in one transaction with the
// line's columns and an audit record. version is the version the user saw
// (0 skips the optimistic check). Accepting makes the accepting user the
// handler when the case has none.
func (s *Store) Act(ctx context.Context, sc org.Scope, id int64, version int, code string, fields map[string]string, note string) (*Case, error) {
	cur, err := s.Case(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	ctx, err = s.settingsCtx(ctx, cur.OrgID)
	if err != nil {
		return nil, err
	}
	f := map[string]string{}
	for k, v := range fields {
		if v = strings.TrimSpace(v); v != "" {
			f[k] = v
		}
	}
	switch code {
	case ActAccept:
		if f["accepted_on"] == "" {
			f["accepted_on"] = today()
		}
	case ActSucceed:
		if f["agreed_on"] == "" {
			f["agreed_on"] = today()
		}
		// 当事人的基本情况 comes from the registered parties.
		if f["parties"] == "" && len(cur.Parties) > 0 {
			var ps []string
			for _, p := range cur.Parties {
				ps = append(ps, p.RoleName()+"："+p.Name)
			}
			f["parties"] = strings.Join(ps, "；")
		}
		if f["facts"] == "" {
			f["facts"] = cur.Summary
		}
	}
	var out *Case
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		c, err := s.cases().Transition(ctx, tx, sc, id, version, code, f, note)
		if err != nil {
			return err
		}
		var set string
		var args []any
		switch code {
		case ActAccept:
			set, args = "accepted_on = ?", []any{f["accepted_on"]}
			if p := auth.FromContext(ctx); c.HandlerUserID == 0 && p != nil && p.UserID != 0 {
				if _, err := s.cases().Assign(ctx, tx, sc, id, p.UserID); err != nil {
					return err
				}
			}
		case ActDecline:
			set, args = "decline_reason = ?", []any{f["decline_reason"]}
		case ActSucceed:
			items := map[string]string{}
			for _, it := range AgreementItems {
				if f[it.Code] != "" {
					items[it.Code] = f[it.Code]
				}
			}
			b, err := json.Marshal(items)
			if err != nil {
				return err
			}
			amount, _ := parseYuan("agreed_amount", "协议金额", f["agreed_amount"])
			set = "agreement_form = ?, agreement_text = ?, terms = ?, agreed_amount = ?, agreed_on = ?, perform_by = ?"
			args = []any{f["agreement_form"], string(b), f["terms"], amount, f["agreed_on"], f["perform_by"]}
		case ActFail:
			set, args = "referral = ?", []any{f["referral"]}
		case ActPerform:
			set, args = "performed_on = ?, performance_note = ?", []any{f["performed_on"], f["performance_note"]}
		case ActFollowUp:
			set, args = "followup_on = ?, followup_note = ?", []any{f["followup_on"], f["followup_note"]}
		}
		if set != "" {
			if _, err := tx.Exec(ctx, `UPDATE med_cases SET `+set+` WHERE case_id = ?`, append(args, id)...); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_case", ObjectID: itoa(id), OrgID: c.OrgID,
			Detail: "transition=" + code})
	})
	if err != nil {
		return nil, err
	}
	out, err = s.Case(ctx, sc, id)
	return out, err
}

// Accept accepts a registered case (受理) on acceptedOn ("" = today).
func (s *Store) Accept(ctx context.Context, sc org.Scope, id int64, acceptedOn string) (*Case, error) {
	return s.Act(ctx, sc, id, 0, ActAccept, map[string]string{"accepted_on": acceptedOn}, "")
}

// Decline refuses a registered case (不予受理) with the reason.
func (s *Store) Decline(ctx context.Context, sc org.Scope, id int64, reason string) (*Case, error) {
	return s.Act(ctx, sc, id, 0, ActDecline, map[string]string{"decline_reason": reason}, "")
}

// StartMediation moves an accepted case to 调解中.
func (s *Store) StartMediation(ctx context.Context, sc org.Scope, id int64) (*Case, error) {
	return s.Act(ctx, sc, id, 0, ActStart, nil, "")
}

// Agreement is a mediation agreement: its form, the 第二十九条 items by
// code (AgreementItems), the amount in yuan, its effective date ("" =
// today) and the date by which it is to be performed.
type Agreement struct {
	Form      string
	Items     map[string]string
	Amount    string
	AgreedOn  string
	PerformBy string
}

// CloseSuccess records the agreement (调解成功). A written agreement must
// hold every item of 第二十九条 (MissingAgreementItems); the parties'
// basic situation and the facts default to the case's.
func (s *Store) CloseSuccess(ctx context.Context, sc org.Scope, id int64, a Agreement) (*Case, error) {
	f := map[string]string{"agreement_form": a.Form, "agreed_amount": a.Amount, "agreed_on": a.AgreedOn, "perform_by": a.PerformBy}
	for k, v := range a.Items {
		f[k] = v
	}
	return s.Act(ctx, sc, id, 0, ActSucceed, f, "")
}

// CloseFailed ends the mediation (调解终止) and records the channel the
// parties were told of (Referrals).
func (s *Store) CloseFailed(ctx context.Context, sc org.Scope, id int64, referral, reason string) (*Case, error) {
	return s.Act(ctx, sc, id, 0, ActFail, map[string]string{"referral": referral, "fail_reason": reason}, reason)
}

// RecordPerformance records that the agreement was performed.
func (s *Store) RecordPerformance(ctx context.Context, sc org.Scope, id int64, performedOn, note string) (*Case, error) {
	return s.Act(ctx, sc, id, 0, ActPerform, map[string]string{"performed_on": performedOn, "performance_note": note}, "")
}

// FollowUp records the follow-up visit and closes the case.
func (s *Store) FollowUp(ctx context.Context, sc org.Scope, id int64, on, note string) (*Case, error) {
	return s.Act(ctx, sc, id, 0, ActFollowUp, map[string]string{"followup_on": on, "followup_note": note}, "")
}

// AssignMediators replaces the case's mediators with ids, lead among them.
// Only mediators AssignableMediators offers for the case's org may be
// assigned (registered ones, when the county requires it). The casework
// handler stays the user who accepted: mediators are persons, not users.
func (s *Store) AssignMediators(ctx context.Context, sc org.Scope, id int64, ids []int64, lead int64) (*Case, error) {
	if _, err := need(ctx, permEdit); err != nil {
		return nil, err
	}
	c, err := s.ownedCase(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if c.State != StateAccepted && c.State != StateMediating {
		return nil, fe("mediator_ids", "只有已受理或调解中的案件可以指派调解员")
	}
	if len(ids) == 0 {
		return nil, fe("mediator_ids", "请至少选择一名调解员")
	}
	if len(ids) > 10 {
		return nil, fe("mediator_ids", "调解员不超过10名")
	}
	allowed, err := s.AssignableMediators(ctx, sc, c.OrgID)
	if err != nil {
		return nil, err
	}
	ok := map[int64]bool{}
	for _, m := range allowed {
		ok[m.ID] = true
	}
	seen := map[int64]bool{}
	leadFound := false
	for _, mid := range ids {
		if !ok[mid] {
			return nil, fe("mediator_ids", "所选调解员不可指派(未登记、已停用或不属于本所辖区)")
		}
		if seen[mid] {
			return nil, fe("mediator_ids", "调解员重复选择")
		}
		seen[mid] = true
		leadFound = leadFound || mid == lead
	}
	if !leadFound {
		return nil, fe("lead_mediator_id", "主持调解员须为所选调解员之一")
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM med_case_mediators WHERE case_id = ?`, id); err != nil {
			return err
		}
		for _, mid := range ids {
			if _, err := tx.Exec(ctx, `INSERT INTO med_case_mediators (case_id, mediator_id, lead) VALUES (?, ?, ?)`, id, mid, mid == lead); err != nil {
				return err
			}
		}
		if err := s.cases().Note(ctx, tx, sc, id, "mediators", fmt.Sprintf("指派调解员%d名", len(ids))); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_case", ObjectID: itoa(id), OrgID: c.OrgID,
			Detail: fmt.Sprintf("mediators=%v lead=%d", ids, lead)})
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, sc, id)
}

// SessionInput is an investigation or mediation session to record.
type SessionInput struct {
	Kind       string
	HeldOn     string
	Place      string
	MediatorID int64 // one of the case's mediators
	Attendees  string
	Record     string
}

// AddSession records an investigation or a session (调查记录/调解笔录) on a
// case that is accepted or being mediated.
func (s *Store) AddSession(ctx context.Context, sc org.Scope, caseID int64, in SessionInput) (int64, error) {
	in.HeldOn, in.Place, in.Attendees, in.Record = strings.TrimSpace(in.HeldOn), strings.TrimSpace(in.Place),
		strings.TrimSpace(in.Attendees), strings.TrimSpace(in.Record)
	if !validChoice(SessionKinds, in.Kind) {
		return 0, fe("kind", "请选择记录类型(调查或调解)")
	}
	if err := firstErr(checkDate("held_on", "日期", in.HeldOn, true, true), tooLong("place", "地点", in.Place, 100),
		tooLong("attendees", "参加人", in.Attendees, 500), tooLong("record", "记录内容", in.Record, 20000)); err != nil {
		return 0, err
	}
	if in.Record == "" {
		return 0, fe("record", "记录内容必填")
	}
	if _, err := need(ctx, permEdit); err != nil {
		return 0, err
	}
	c, err := s.ownedCase(ctx, sc, caseID)
	if err != nil {
		return 0, err
	}
	if c.State != StateAccepted && c.State != StateMediating {
		return 0, fe("kind", "只有已受理或调解中的案件可以记录调查、调解")
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if in.MediatorID != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM med_case_mediators WHERE case_id = ? AND mediator_id = ?`, caseID, in.MediatorID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return fe("mediator_id", "调解员须为本案指派的调解员")
			}
		}
		var err error
		id, err = store.InsertID(ctx, tx, `INSERT INTO med_sessions (case_id, kind, held_on, place, mediator_id, attendees, record, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, caseID, in.Kind, in.HeldOn, in.Place, nullID(in.MediatorID), in.Attendees,
			in.Record, nullID(actorID(ctx)), Clock())
		if err != nil {
			return err
		}
		kind := "session"
		if in.Kind == "investigation" {
			kind = "investigation"
		}
		if err := s.cases().Note(ctx, tx, sc, caseID, kind, nameOf(SessionKinds, in.Kind)+" "+in.HeldOn+" "+in.Place); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_session", ObjectID: itoa(id), OrgID: c.OrgID,
			Detail: "case=" + itoa(caseID)})
	})
	return id, err
}

// RecordJudicialConfirmation records the parties' joint application for
// judicial confirmation and the court's result. The application must fall
// within 30 days of the agreement's effective date [人民调解法第三十三条].
func (s *Store) RecordJudicialConfirmation(ctx context.Context, sc org.Scope, caseID int64, appliedOn, result string) (*Case, error) {
	appliedOn = strings.TrimSpace(appliedOn)
	if err := checkDate("confirm_applied_on", "申请日期", appliedOn, true, true); err != nil {
		return nil, err
	}
	if !validChoice(ConfirmResults, result) {
		return nil, fe("confirm_result", "请选择司法确认结果")
	}
	if _, err := need(ctx, permEdit); err != nil {
		return nil, err
	}
	c, err := s.Case(ctx, sc, caseID)
	if err != nil {
		return nil, err
	}
	if !sc.Contains(c.OrgPath) {
		return nil, &auth.ForbiddenError{Reason: "案件不属于本单位"}
	}
	if c.AgreedOn == "" || (c.State != StateSucceeded && c.State != StatePerformed && c.State != StateClosed) {
		return nil, fe("confirm_applied_on", "只有达成调解协议的案件可以申请司法确认")
	}
	if appliedOn < c.AgreedOn {
		return nil, fe("confirm_applied_on", "申请日期不能早于协议生效日期")
	}
	if last := c.ConfirmDeadline(); appliedOn > last {
		return nil, fe("confirm_applied_on", "已超过司法确认申请期限("+last+"，人民调解法第三十三条)")
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE med_cases SET confirm_applied_on = ?, confirm_result = ? WHERE case_id = ?`, appliedOn, result, caseID); err != nil {
			return err
		}
		if err := s.cases().Note(ctx, tx, sc, caseID, "judicial_confirmation", "申请司法确认 "+appliedOn+"："+ConfirmResultName(result)); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_case", ObjectID: itoa(caseID), OrgID: c.OrgID,
			Detail: "judicial_confirmation=" + result})
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, sc, caseID)
}

func actorID(ctx context.Context) int64 {
	if p := auth.FromContext(ctx); p != nil {
		return p.UserID
	}
	return 0
}

// AllowedActions lists the transitions the caller may take on c now.
func AllowedActions(ctx context.Context, sc org.Scope, c *Case) []casework.Transition {
	return casework.Allowed(ctx, sc, &c.Case)
}
