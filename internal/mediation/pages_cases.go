package mediation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/casework"
	"fengqiao/internal/docs"
	"fengqiao/internal/files"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// OwnerType is the attachment owner type of a mediation case.
const OwnerType = "mediation_case"

func init() {
	files.RegisterOwner(OwnerType, Line, func(ctx context.Context, sc org.Scope, id int64) (int64, bool) {
		s := listerStore.Load()
		if s == nil {
			return 0, false
		}
		c, err := s.cases().Get(ctx, sc, id)
		if err != nil || c.Type != CaseType {
			return 0, false
		}
		return c.OrgID, true
	})
}

// caseRoutes registers the case pages (called by Routes).
func (h *Handler) caseRoutes(mux *http.ServeMux) {
	listerStore.Store(h.Store)
	a := h.Auth
	mux.HandleFunc("GET /mediation/cases", a.Require(permView, h.casesPage))
	mux.HandleFunc("GET /mediation/cases/export.xlsx", a.Require(permExport, h.casesExport))
	mux.HandleFunc("GET /mediation/cases/new", a.Require(permEdit, h.caseNew))
	mux.HandleFunc("POST /mediation/cases/new", a.Require(permEdit, h.caseCreate))
	mux.HandleFunc("GET /mediation/cases/{id}", a.Require(permView, h.casePage))
	mux.HandleFunc("POST /mediation/cases/{id}/transitions/{code}", a.Require(permEdit, h.caseTransition))
	mux.HandleFunc("POST /mediation/cases/{id}/mediators", a.Require(permEdit, h.caseMediatorsSave))
	mux.HandleFunc("POST /mediation/cases/{id}/sessions", a.Require(permEdit, h.caseSessionAdd))
	mux.HandleFunc("POST /mediation/cases/{id}/confirmation", a.Require(permEdit, h.caseConfirmation))
	mux.HandleFunc("POST /mediation/cases/{id}/files", a.Require(permEdit, h.caseUpload))
	mux.HandleFunc("GET /mediation/cases/{id}/documents/{code}", a.Require(permView, h.caseDocument))
	h.apiRoutes(mux)
}

// riskOptions are the ledger's risk filter.
var riskOptions = []web.Option{{Value: "any", Label: "有风险(民转刑或群体性)"}, {Value: "crime", Label: "民转刑风险"},
	{Value: "group", Label: "群体性风险"}, {Value: "repeated", Label: "重复纠纷(12个月内)"}}

type casesData struct {
	Cases        []*Case
	Pager        web.Pager
	Unders       []web.Option
	States       []web.Option
	DisputeTypes []web.Option
	Sources      []web.Option
	Risks        []web.Option
	CanEdit      bool
	CanExport    bool
	ExportURL    string
}

func caseFilter(r *http.Request, form *web.Form) CaseFilter {
	q := r.URL.Query()
	f := CaseFilter{Under: queryID(r, "org"), State: q.Get("state"), DisputeType: q.Get("dispute_type"), Source: q.Get("source"),
		Risk: q.Get("risk"), From: q.Get("from"), To: q.Get("to"), Query: strings.TrimSpace(q.Get("q"))}
	for _, c := range []struct {
		field string
		v     *string
		list  []Choice
	}{{"state", &f.State, CaseStates}, {"dispute_type", &f.DisputeType, DisputeTypes}, {"source", &f.Source, CaseSources}} {
		if *c.v != "" && !validChoice(c.list, *c.v) {
			form.Fail(c.field, "筛选条件无效")
			*c.v = ""
		}
	}
	return f
}

func (h *Handler) casesPage(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	form := web.NewForm(r.URL.Query())
	f := caseFilter(r, form)
	count := f
	count.Limit = 1
	_, total, err := h.Store.Cases(r.Context(), sc, count)
	if err != nil {
		if !form.FailErr(err) {
			h.fail(w, r, err)
			return
		}
		f = CaseFilter{State: f.State, DisputeType: f.DisputeType, Source: f.Source}
		if _, total, err = h.Store.Cases(r.Context(), sc, CaseFilter{State: f.State, DisputeType: f.DisputeType, Source: f.Source, Limit: 1}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	pg := web.NewPager(r, total)
	f.Limit, f.Offset = pg.Size, pg.Offset()
	list, _, err := h.Store.Cases(r.Context(), sc, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	unders, err := h.orgOptions(r, sc, org.County, org.Office, org.Village, org.Committee)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	exportURL := "/mediation/cases/export.xlsx"
	if len(pg.Base) > 0 {
		exportURL += "?" + pg.Base.Encode()
	}
	p := me(r)
	h.render(w, r, http.StatusOK, "cases.html", &web.Page{Title: "调解案件台账", Form: form,
		Data: casesData{Cases: list, Pager: pg, Unders: unders, States: choices(CaseStates), DisputeTypes: choices(DisputeTypes),
			Sources: choices(CaseSources), Risks: riskOptions, CanEdit: p.Can(permEdit), CanExport: p.Can(permExport), ExportURL: exportURL}})
}

// casesExport writes the case ledger (调解案件台账) in the columns offices
// use. Parties are by name only; ID numbers never leave in a ledger.
func (h *Handler) casesExport(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	form := web.NewForm(r.URL.Query())
	f := caseFilter(r, form)
	if !form.OK() {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
		return
	}
	var all []*Case
	err := h.Store.ForEachCase(r.Context(), sc, f, func(c *Case) error {
		if len(all) >= docs.MaxExportRows {
			return docs.ErrTooManyRows
		}
		all = append(all, c)
		return nil
	})
	if err != nil {
		if form.FailErr(err) || errors.Is(err, docs.ErrTooManyRows) {
			msg := "导出行数超过Excel上限，请缩小范围"
			if !form.OK() {
				msg = form.List()[0].Message
			}
			h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, msg)
			return
		}
		h.fail(w, r, err)
		return
	}
	if err := audit.RecordAlone(r.Context(), h.Store.DB, audit.Event{Action: "mediation.export", ObjectType: "med_case",
		OrgID: me(r).OrgID, Detail: fmt.Sprintf("rows: %d", len(all))}); err != nil {
		h.fail(w, r, err)
		return
	}
	sh := docs.Sheet{Name: "调解案件台账", Title: "人民调解案件台账（导出时间 " + Clock().In(web.Shanghai).Format("2006-01-02 15:04") + "）",
		Columns: []docs.Column{{Header: "序号", Width: 6}, {Header: "案号", Width: 30}, {Header: "登记日期", Width: 12},
			{Header: "纠纷类型", Width: 14}, {Header: "来源", Width: 18}, {Header: "当事人", Width: 20}, {Header: "简要案情", Width: 40},
			{Header: "调解员", Width: 14}, {Header: "结果", Width: 16}, {Header: "协议金额(元)", Width: 12}, {Header: "履行情况", Width: 20},
			{Header: "回访", Width: 20}, {Header: "结案日期", Width: 12}}}
	err = docs.ServeXLSX(w, "调解案件台账-"+stamp(), sh, func(emit docs.EmitFunc) error {
		for i, c := range all {
			perf := ""
			if c.PerformedOn != "" {
				perf = "已履行 " + c.PerformedOn
				if c.PerformanceNote != "" {
					perf += "：" + c.PerformanceNote
				}
			} else if c.State == StateSucceeded {
				perf = "履行中"
			}
			follow := ""
			if c.FollowUpOn != "" {
				follow = c.FollowUpOn + " " + c.FollowUpNote
			}
			if err := emit(i+1, c.Number, c.RegisteredOn(), c.DisputeTypeName(), c.SourceName(), c.PartyNames(), c.Summary,
				c.MediatorNames(), c.ResultName(), c.AgreedAmount(), perf, follow, c.ClosedOn()); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.Log.ErrorContext(r.Context(), "mediation case export", "err", err)
	}
}

// partyRows is how many party rows the intake form offers.
const partyRows = 4

type caseFormData struct {
	Orgs         []web.Option
	Sources      []web.Option
	DisputeTypes []web.Option
	Roles        []web.Option
	PartyRows    []int
	Finding      *Finding
}

func (h *Handler) renderCaseForm(w http.ResponseWriter, r *http.Request, status int, form *web.Form) {
	if r.Method == http.MethodPost {
		for i := range partyRows {
			h.sealTypedAt(form, fmt.Sprintf("p%d_", i))
		}
	}
	orgs, err := h.orgOptions(r, scope(r), org.Committee, org.Office, org.Village, org.County)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := caseFormData{Orgs: orgs, Sources: choices(CaseSources), DisputeTypes: choices(DisputeTypes), Roles: choices(PartyRoles)}
	for i := range partyRows {
		d.PartyRows = append(d.PartyRows, i)
	}
	if fid, _ := strconv.ParseInt(form.Get("finding_id"), 10, 64); fid > 0 {
		f, err := h.Store.finding(r.Context(), scope(r), fid)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Finding = &f
	}
	h.render(w, r, status, "case_form.html", &web.Page{Title: "案件登记", Form: form, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "调解案件台账", Path: "/mediation/cases"}, {Label: "案件登记"}}})
}

func (h *Handler) caseNew(w http.ResponseWriter, r *http.Request) {
	vals := url.Values{"p0_role": {"applicant"}, "p1_role": {"respondent"}, "people": {"2"}, "source": {"application"}}
	if p := me(r); p.OrgID != 0 {
		vals.Set("org_id", itoa(p.OrgID))
	}
	if fid := queryID(r, "finding"); fid > 0 {
		f, err := h.Store.finding(r.Context(), scope(r), fid)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		vals.Set("finding_id", itoa(fid))
		vals.Set("source", "screening")
		vals.Set("summary", f.Summary)
		vals.Set("dispute_type", f.DisputeType)
		vals.Set("people", strconv.Itoa(f.People))
		if f.RiskCriminal {
			vals.Set("risk_crime", "1")
		}
		if f.RiskGroup {
			vals.Set("risk_group", "1")
		}
	}
	h.renderCaseForm(w, r, http.StatusOK, web.NewForm(vals))
}

func (h *Handler) caseCreate(w http.ResponseWriter, r *http.Request) {
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	for i := range partyRows {
		h.unsealTypedAt(form, fmt.Sprintf("p%d_", i))
	}
	in := CaseInput{OrgID: formID(form, "org_id", "请选择受理单位"), Source: form.Get("source"), SourceRef: form.Get("source_ref"),
		ReferringOrg: form.Get("referring_org"), DisputeType: form.Get("dispute_type"), Amount: form.Get("amount"),
		People: formInt(form, "people", "涉及人数应为整数"), RiskCrime: form.Get("risk_crime") != "", RiskGroup: form.Get("risk_group") != "",
		Summary: form.Get("summary")}
	for i := range partyRows {
		pre := fmt.Sprintf("p%d_", i)
		p := PartyInput{Role: form.Get(pre + "role"), Name: form.Get(pre + "name"), IDNumber: form.Get(pre + "id_number"),
			Phone: form.Get(pre + "phone"), Address: form.Get(pre + "address")}
		if p.Name == "" && p.IDNumber == "" && p.Phone == "" && p.Address == "" {
			continue // a row left empty
		}
		in.Parties = append(in.Parties, p)
	}
	fid := formID(form, "finding_id", "排查纠纷编号无效")
	if !form.OK() {
		h.renderCaseForm(w, r, http.StatusUnprocessableEntity, form)
		return
	}
	var c *Case
	var err error
	if fid > 0 {
		c, err = h.Store.ConvertFinding(r.Context(), scope(r), fid, in)
	} else {
		c, err = h.Store.Register(r.Context(), scope(r), in)
	}
	if err != nil {
		if form.FailErr(err) {
			h.renderCaseForm(w, r, http.StatusUnprocessableEntity, form)
			return
		}
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "已登记："+c.Number)
	web.Redirect(w, r, "/mediation/cases/"+itoa(c.ID))
}

// finding reads one finding in scope.
func (s *Store) finding(ctx context.Context, sc org.Scope, id int64) (Finding, error) {
	w, args := sc.Where("o.path")
	var f Finding
	err := s.DB.Read().QueryRow(ctx, `SELECT f.id, f.screening_id, f.summary, f.dispute_type, f.people, f.risk_criminal, f.risk_group,
		f.status, COALESCE(f.case_id, 0) FROM med_screening_findings f JOIN med_screenings s ON s.id = f.screening_id
		JOIN orgs o ON o.id = s.org_id WHERE f.id = ? AND `+w, append([]any{id}, args...)...).Scan(&f.ID, &f.ScreeningID, &f.Summary,
		&f.DisputeType, &f.People, &f.RiskCriminal, &f.RiskGroup, &f.Status, &f.CaseID)
	if err != nil {
		return f, store.ErrNotFound
	}
	return f, nil
}

// actionView is one allowed transition with the fields its form asks.
type actionView struct {
	Code, Name string
	Fields     []actionField
	Danger     bool
}

type actionField struct {
	Name, Label, Type string
	Options           []web.Option
	Required          bool
	Hint              string
}

// actionFields are the form fields of each transition.
func actionFields(code string) []actionField {
	switch code {
	case ActAccept:
		return []actionField{{Name: "accepted_on", Label: "受理日期", Type: "date", Hint: "不填为今天"}}
	case ActDecline:
		return []actionField{{Name: "decline_reason", Label: "不予受理理由", Type: "textarea", Required: true}}
	case ActSucceed:
		out := []actionField{{Name: "agreement_form", Label: "协议形式", Type: "select", Options: choices(AgreementForms), Required: true}}
		for _, it := range AgreementItems {
			f := actionField{Name: it.Code, Label: it.Name, Type: "textarea"}
			switch it.Code {
			case "parties":
				f.Hint = "不填则按登记的当事人生成"
			case "facts":
				f.Hint = "不填则用登记的简要案情"
			case "terms":
				f.Required = true
			case "performance_deadline":
				f.Type = "text"
			}
			out = append(out, f)
		}
		return append(out, actionField{Name: "agreed_amount", Label: "协议金额(元)", Hint: "不涉及金额可不填"},
			actionField{Name: "agreed_on", Label: "协议生效日期", Type: "date", Hint: "不填为今天；司法确认申请期限自此起算30日"},
			actionField{Name: "perform_by", Label: "约定履行截止日期", Type: "date"})
	case ActFail:
		return []actionField{{Name: "referral", Label: "告知当事人的途径", Type: "select", Options: choices(Referrals), Required: true},
			{Name: "fail_reason", Label: "终止原因", Type: "textarea"}}
	case ActPerform:
		return []actionField{{Name: "performed_on", Label: "履行完毕日期", Type: "date", Required: true},
			{Name: "performance_note", Label: "履行情况", Type: "textarea"}}
	case ActFollowUp:
		return []actionField{{Name: "followup_on", Label: "回访日期", Type: "date", Required: true},
			{Name: "followup_note", Label: "回访情况", Type: "textarea", Required: true}}
	}
	return nil
}

type timelineItem struct {
	casework.Event
	Label string
}

// eventKinds names the line's own timeline entries.
var eventKinds = map[string]string{"mediators": "指派调解员", "session": "调解", "investigation": "调查",
	"judicial_confirmation": "司法确认", "attachment": "附件"}

func timeline(es []casework.Event) []timelineItem {
	out := make([]timelineItem, len(es))
	for i, e := range es {
		out[i] = timelineItem{Event: e, Label: e.KindName()}
		if l, ok := eventKinds[e.Kind]; ok {
			out[i].Label = l
		}
	}
	return out
}

type caseData struct {
	C          *Case
	Timeline   []timelineItem
	Actions    []actionView
	Assignable []Mediator
	CanEdit    bool
	CanAssign  bool
	CanSession bool
	Files      []files.Attachment
	Documents  []Document
	Today      string
	Kinds      []web.Option
	Results    []web.Option
	CaseMeds   []web.Option
	OpenAction string // the action whose form failed
}

func (h *Handler) renderCase(w http.ResponseWriter, r *http.Request, status int, id int64, form *web.Form, openAction string) {
	ctx, sc := r.Context(), scope(r)
	c, err := h.Store.Case(ctx, sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tl, err := h.Store.cases().Timeline(ctx, sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := me(r)
	owned := sc.Contains(c.OrgPath)
	d := caseData{C: c, Timeline: timeline(tl), CanEdit: p.Can(permEdit) && owned, Today: today(), Kinds: choices(SessionKinds),
		Results: choices(ConfirmResults), Documents: caseDocuments(c), OpenAction: openAction}
	for _, tr := range AllowedActions(ctx, sc, c) {
		d.Actions = append(d.Actions, actionView{Code: tr.Code, Name: tr.Name, Fields: actionFields(tr.Code),
			Danger: tr.Code == ActDecline || tr.Code == ActFail})
	}
	active := c.State == StateAccepted || c.State == StateMediating
	d.CanAssign, d.CanSession = d.CanEdit && active, d.CanEdit && active
	if d.CanAssign {
		if d.Assignable, err = h.Store.AssignableMediators(ctx, sc, c.OrgID); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	for _, m := range c.Mediators {
		d.CaseMeds = append(d.CaseMeds, web.Option{Value: itoa(m.MediatorID), Label: m.Name})
	}
	if h.Files != nil {
		if d.Files, err = h.Files.List(ctx, sc, OwnerType, id); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if form == nil {
		form = web.NewForm(url.Values{"held_on": {today()}, "kind": {"session"}})
	}
	h.render(w, r, status, "case.html", &web.Page{Title: c.Number, Form: form, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "调解案件台账", Path: "/mediation/cases"}, {Label: c.Number}}})
}

func (h *Handler) casePage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	h.renderCase(w, r, http.StatusOK, id, nil, "")
}

// afterPost answers a case form: back to the case page, or the page again
// with the field errors (422); a missing case is a 404, a state or
// version conflict a flash message.
func (h *Handler) afterPost(w http.ResponseWriter, r *http.Request, id int64, form *web.Form, action, done string, err error) {
	if err == nil {
		web.SetFlash(w, done)
		web.Redirect(w, r, "/mediation/cases/"+itoa(id)+"#top")
		return
	}
	var se *casework.StateError
	if errors.As(err, &se) || errors.Is(err, casework.ErrConflict) || errors.Is(err, casework.ErrTransferPending) {
		web.SetFlash(w, err.Error())
		web.Redirect(w, r, "/mediation/cases/"+itoa(id))
		return
	}
	if form.FailErr(err) {
		h.renderCase(w, r, http.StatusUnprocessableEntity, id, form, action)
		return
	}
	if isForbidden(err) {
		h.Auth.R.Error(w, r, http.StatusForbidden, err.Error())
		return
	}
	h.fail(w, r, err)
}

func (h *Handler) caseTransition(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	code := r.PathValue("code")
	fields := map[string]string{}
	for _, f := range actionFields(code) {
		fields[f.Name] = form.Get(f.Name)
	}
	version, _ := strconv.Atoi(form.Get("version"))
	c, err := h.Store.Act(r.Context(), scope(r), id, version, code, fields, form.Get("note"))
	done := ""
	if c != nil {
		done = "已办理：" + c.StateName()
	}
	h.afterPost(w, r, id, form, code, done, err)
}

func (h *Handler) caseMediatorsSave(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	var ids []int64
	for _, v := range r.PostForm["mediator_ids"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			form.Fail("mediator_ids", "调解员无效")
			break
		}
		ids = append(ids, n)
	}
	lead, _ := strconv.ParseInt(form.Get("lead_mediator_id"), 10, 64)
	if !form.OK() {
		h.renderCase(w, r, http.StatusUnprocessableEntity, id, form, "mediators")
		return
	}
	_, err := h.Store.AssignMediators(r.Context(), scope(r), id, ids, lead)
	h.afterPost(w, r, id, form, "mediators", "已指派调解员", err)
}

func (h *Handler) caseSessionAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := SessionInput{Kind: form.Get("kind"), HeldOn: form.Get("held_on"), Place: form.Get("place"),
		MediatorID: formID(form, "mediator_id", "调解员无效"), Attendees: form.Get("attendees"), Record: form.Get("record")}
	if !form.OK() {
		h.renderCase(w, r, http.StatusUnprocessableEntity, id, form, "session")
		return
	}
	_, err := h.Store.AddSession(r.Context(), scope(r), id, in)
	h.afterPost(w, r, id, form, "session", "已记录", err)
}

func (h *Handler) caseConfirmation(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	_, err := h.Store.RecordJudicialConfirmation(r.Context(), scope(r), id, form.Get("confirm_applied_on"), form.Get("confirm_result"))
	h.afterPost(w, r, id, form, "confirmation", "已登记司法确认", err)
}

func (h *Handler) caseUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	if h.Files == nil {
		h.Auth.R.Error(w, r, http.StatusServiceUnavailable, "附件服务未启用")
		return
	}
	sc := scope(r)
	c, err := h.Store.ownedCase(r.Context(), sc, id)
	if err != nil {
		if isForbidden(err) {
			h.Auth.R.Error(w, r, http.StatusForbidden, err.Error())
			return
		}
		h.fail(w, r, err)
		return
	}
	name, body, err := files.FromRequest(r, "file")
	form := web.NewForm(r.PostForm)
	if err == nil {
		defer body.Close()
		err = h.Store.DB.Tx(r.Context(), func(tx *store.Tx) error {
			if _, err := h.Files.Save(r.Context(), tx, sc, OwnerType, id, c.OrgID, name, body); err != nil {
				return err
			}
			return h.Store.cases().Note(r.Context(), tx, sc, id, "attachment", "上传附件")
		})
	}
	var fErr *files.FieldError
	if errors.As(err, &fErr) {
		form.Fail("file", fErr.Message)
		h.renderCase(w, r, http.StatusUnprocessableEntity, id, form, "file")
		return
	}
	h.afterPost(w, r, id, form, "file", "已上传附件", err)
}

// caseDocuments lists the documents that fit the case's stage.
func caseDocuments(c *Case) []Document {
	var out []Document
	for _, d := range Documents {
		switch d.Code {
		case "agreement":
			if c.AgreementForm != AgreementWritten {
				continue
			}
		case "oral_agreement":
			if c.AgreementForm != AgreementOral {
				continue
			}
		case "followup":
			if c.FollowUpOn == "" {
				continue
			}
		}
		out = append(out, d)
	}
	return out
}

func (h *Handler) caseDocument(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	d, ok := DocumentByCode(r.PathValue("code"))
	if !ok {
		h.notFound(w, r)
		return
	}
	c, err := h.Store.Case(r.Context(), scope(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.Store.CaseDocument(r.Context(), scope(r), Templates(h.CustomDir), d.Code, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	docs.Attach(w, d.Title+"-"+c.Number+".docx", docs.DocxContentType)
	w.Write(b)
}
