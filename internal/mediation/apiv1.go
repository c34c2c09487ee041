package mediation

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"fengqiao/internal/api"
	"fengqiao/internal/casework"
)

func init() {
	api.DescribeTag("mediation", "人民调解案件(当事人证件号码、电话一律脱敏)")
}

// MediationParty is a party in the API; numbers are masked.
type MediationParty struct {
	PersonID int64  `json:"person_id"`
	Role     string `json:"role" enum:"applicant,respondent,other" doc:"applicant 申请人，respondent 被申请人，other 其他当事人"`
	Name     string `json:"name"`
	IDNumber string `json:"id_number" doc:"身份证号码(脱敏)"`
	Phone    string `json:"phone" doc:"联系电话(脱敏)"`
}

// MediationCaseMediator is an assigned mediator.
type MediationCaseMediator struct {
	MediatorID int64  `json:"mediator_id"`
	Name       string `json:"name"`
	OrgName    string `json:"org_name"`
	Lead       bool   `json:"lead" doc:"主持调解"`
}

// MediationDeadline is a running or met deadline of a case.
type MediationDeadline struct {
	Code   string    `json:"code" doc:"period 调解期限，confirmation 司法确认申请期限，followup 回访期限"`
	Name   string    `json:"name"`
	State  string    `json:"state" enum:"running,paused,met,cancelled"`
	DueAt  time.Time `json:"due_at"`
	Status string    `json:"status" doc:"进行中的期限：ok 正常，due_soon 即将到期，due_today 今日到期，overdue 已逾期；其他为空"`
	Source string    `json:"source" doc:"期限依据"`
}

// MediationCase is a mediation case in the API. Amounts are yuan as
// decimal text ("" when none).
type MediationCase struct {
	ID               int64                   `json:"id"`
	Number           string                  `json:"number" doc:"案号"`
	Title            string                  `json:"title"`
	State            string                  `json:"state" enum:"registered,accepted,declined,mediating,succeeded,failed,performed,closed"`
	StateName        string                  `json:"state_name"`
	Version          int                     `json:"version" doc:"办理操作时回传，防止覆盖他人的修改"`
	OrgID            int64                   `json:"org_id"`
	OrgName          string                  `json:"org_name"`
	HandlerName      string                  `json:"handler_name" doc:"承办人"`
	RegisteredOn     string                  `json:"registered_on" format:"date"`
	ClosedOn         string                  `json:"closed_on" doc:"结案日期，未结为空"`
	Source           string                  `json:"source"`
	SourceRef        string                  `json:"source_ref"`
	ReferringOrg     string                  `json:"referring_org"`
	DisputeType      string                  `json:"dispute_type"`
	Amount           string                  `json:"amount" doc:"涉及金额(元)"`
	People           int                     `json:"people"`
	RiskCrime        bool                    `json:"risk_crime" doc:"民转刑风险"`
	RiskGroup        bool                    `json:"risk_group" doc:"群体性风险"`
	Repeated         bool                    `json:"repeated" doc:"当事人12个月内有其他调解案件"`
	Summary          string                  `json:"summary"`
	AcceptedOn       string                  `json:"accepted_on"`
	DeclineReason    string                  `json:"decline_reason"`
	AgreementForm    string                  `json:"agreement_form" enum:"written,oral,"`
	Agreement        map[string]string       `json:"agreement" doc:"调解协议各项(人民调解法第二十九条)，键见 transitions 说明"`
	AgreedAmount     string                  `json:"agreed_amount" doc:"协议金额(元)"`
	AgreedOn         string                  `json:"agreed_on" doc:"协议生效日期"`
	PerformBy        string                  `json:"perform_by"`
	Referral         string                  `json:"referral" enum:"litigation,arbitration,administrative,other,"`
	PerformedOn      string                  `json:"performed_on"`
	PerformanceNote  string                  `json:"performance_note"`
	FollowUpOn       string                  `json:"followup_on"`
	FollowUpNote     string                  `json:"followup_note"`
	ConfirmDeadline  string                  `json:"confirm_deadline" doc:"司法确认申请截止日(协议生效日起30日)"`
	ConfirmAppliedOn string                  `json:"confirm_applied_on"`
	ConfirmResult    string                  `json:"confirm_result" enum:"pending,confirmed,rejected,"`
	Parties          []MediationParty        `json:"parties"`
	Mediators        []MediationCaseMediator `json:"mediators"`
	Deadlines        []MediationDeadline     `json:"deadlines" doc:"列表中为空数组"`
	Actions          []string                `json:"actions" doc:"调用者当前可执行的办理操作代码"`
}

func caseJSON(c *Case, actions []casework.Transition) MediationCase {
	out := MediationCase{ID: c.ID, Number: c.Number, Title: c.Title, State: c.State, StateName: c.StateName(), Version: c.Version,
		OrgID: c.OrgID, OrgName: c.OrgName, HandlerName: c.HandlerName, RegisteredOn: c.RegisteredOn(), ClosedOn: c.ClosedOn(),
		Source: c.Source, SourceRef: c.SourceRef, ReferringOrg: c.ReferringOrg, DisputeType: c.DisputeType, Amount: c.Amount(),
		People: c.People, RiskCrime: c.RiskCrime, RiskGroup: c.RiskGroup, Repeated: c.Repeated, Summary: c.Summary,
		AcceptedOn: c.AcceptedOn, DeclineReason: c.DeclineReason, AgreementForm: c.AgreementForm, Agreement: c.Agreement,
		AgreedAmount: c.AgreedAmount(), AgreedOn: c.AgreedOn, PerformBy: c.PerformBy, Referral: c.Referral, PerformedOn: c.PerformedOn,
		PerformanceNote: c.PerformanceNote, FollowUpOn: c.FollowUpOn, FollowUpNote: c.FollowUpNote, ConfirmDeadline: c.ConfirmDeadline(),
		ConfirmAppliedOn: c.ConfirmAppliedOn, ConfirmResult: c.ConfirmResult,
		Parties: []MediationParty{}, Mediators: []MediationCaseMediator{}, Deadlines: []MediationDeadline{}, Actions: []string{}}
	if out.Agreement == nil {
		out.Agreement = map[string]string{}
	}
	for _, p := range c.Parties {
		out.Parties = append(out.Parties, MediationParty{PersonID: p.PersonID, Role: p.Role, Name: p.Name, IDNumber: p.IDNumber, Phone: p.Phone})
	}
	for _, m := range c.Mediators {
		out.Mediators = append(out.Mediators, MediationCaseMediator{MediatorID: m.MediatorID, Name: m.Name, OrgName: m.OrgName, Lead: m.Lead})
	}
	for _, d := range c.Deadlines {
		out.Deadlines = append(out.Deadlines, MediationDeadline{Code: d.Code, Name: d.Name, State: d.State, DueAt: d.DueAt,
			Status: string(d.Status), Source: d.Rule.Source})
	}
	for _, a := range actions {
		out.Actions = append(out.Actions, a.Code)
	}
	return out
}

// MediationPartyInput is a party at intake: person_id of a registered
// person, or the fields of a new one.
type MediationPartyInput struct {
	PersonID int64  `json:"person_id,omitempty" doc:"已登记的当事人编号；不填则按下列信息登记(证件号码已登记的自动关联)"`
	Role     string `json:"role" enum:"applicant,respondent,other"`
	Name     string `json:"name,omitempty"`
	IDNumber string `json:"id_number,omitempty" doc:"完整居民身份证号码(校验)"`
	Phone    string `json:"phone,omitempty"`
	Address  string `json:"address,omitempty"`
}

// MediationCaseCreate is the body of POST /api/v1/mediation/cases.
type MediationCaseCreate struct {
	OrgID        int64                 `json:"org_id" doc:"受理单位(调委会、司法所、村(社区)或县级司法局)"`
	Source       string                `json:"source" enum:"screening,application,court,police,petition,hotline12345,other"`
	SourceRef    string                `json:"source_ref,omitempty" doc:"法院、公安、信访的移送文号"`
	ReferringOrg string                `json:"referring_org,omitempty" doc:"移送(委派)单位，court/police/petition 必填"`
	DisputeType  string                `json:"dispute_type" doc:"纠纷类型代码(15类)，如 neighbour 邻里纠纷"`
	Amount       string                `json:"amount,omitempty" doc:"涉及金额(元)，最多两位小数"`
	People       int                   `json:"people"`
	RiskCrime    bool                  `json:"risk_crime,omitempty"`
	RiskGroup    bool                  `json:"risk_group,omitempty"`
	Summary      string                `json:"summary"`
	FindingID    int64                 `json:"finding_id,omitempty" doc:"由排查发现的纠纷转为案件时填写"`
	Parties      []MediationPartyInput `json:"parties"`
}

// MediationTransition is the body of POST .../transitions/{code}.
type MediationTransition struct {
	Version int               `json:"version,omitempty" doc:"读取案件时的 version；不填则不检查"`
	Fields  map[string]string `json:"fields,omitempty"`
	Note    string            `json:"note,omitempty"`
}

const transitionsDoc = "code 与所需 fields：accept 受理(accepted_on，默认今天；须 mediation.approve)；decline 不予受理(decline_reason 必填；须 mediation.approve)；" +
	"start 开始调解；succeed 调解成功(agreement_form=written|oral 必填；书面协议须填 parties、facts、issues、responsibility、terms、" +
	"performance_method、performance_deadline(parties、facts 默认取登记信息)，口头协议须填 terms；可选 agreed_amount、agreed_on、perform_by)；" +
	"fail 终止调解(referral=litigation|arbitration|administrative|other 必填，fail_reason)；perform 履行完毕(performed_on 必填，performance_note)；" +
	"followup 回访结案(followup_on、followup_note 必填)。状态不允许或 version 不一致时返回 409。"

func (h *Handler) apiRoutes(mux *http.ServeMux) {
	view, edit := []string{permView}, []string{permEdit}
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/mediation/cases", Tag: "mediation", Paged: true, Perms: view,
		Summary: "调解案件台账(管辖范围内，新登记的在前)",
		Query: []api.Param{
			api.Q("org_id", "只列该单位及其下级的", api.Integer()),
			api.Q("state", "状态", api.Enum(codes(CaseStates)...)),
			api.Q("dispute_type", "纠纷类型", api.Enum(codes(DisputeTypes)...)),
			api.Q("source", "来源", api.Enum(codes(CaseSources)...)),
			api.Q("risk", "any 有风险，crime 民转刑，group 群体性，repeated 重复纠纷", api.Enum("any", "crime", "group", "repeated")),
			api.Q("from", "登记日期起(YYYY-MM-DD)", api.String()),
			api.Q("to", "登记日期止(YYYY-MM-DD)", api.String()),
			api.Q("q", "案号或案情包含", api.String()),
		},
		Responses: api.Responses{200: MediationCase{}}}, h.apiCases)
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/mediation/cases/{id}", Tag: "mediation", Perms: view,
		Summary: "调解案件详情(含期限、当事人(脱敏)、调解员、可执行操作)", Responses: api.Responses{200: MediationCase{}}}, h.apiCase)
	api.Register(mux, api.Route{Method: "POST", Path: "/api/v1/mediation/cases", Tag: "mediation", Perms: edit,
		Summary: "登记调解案件", Description: "当事人可引用已登记的 person_id，或提供姓名、证件号码等登记新当事人；字段错误以 p<序号>_<字段> 指明，如 p1_id_number。",
		Request: MediationCaseCreate{}, Responses: api.Responses{201: MediationCase{}}}, h.apiCreate)
	api.Register(mux, api.Route{Method: "POST", Path: "/api/v1/mediation/cases/{id}/transitions/{code}", Tag: "mediation", Perms: edit,
		Summary: "办理调解案件(受理、调解成功、终止、履行、回访等)", Description: transitionsDoc,
		Request: MediationTransition{}, Responses: api.Responses{200: MediationCase{}}, Errors: []int{http.StatusConflict}}, h.apiTransition)
}

func codes(list []Choice) []string {
	out := make([]string, len(list))
	for i, c := range list {
		out[i] = c.Code
	}
	return out
}

func (h *Handler) apiCases(w http.ResponseWriter, r *http.Request) {
	pg, err := api.ParsePage(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	orgID, err := api.QueryInt64(r, "org_id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	f := CaseFilter{Under: orgID, Limit: pg.Size, Offset: pg.Offset(), From: r.URL.Query().Get("from"), To: r.URL.Query().Get("to"),
		Query: r.URL.Query().Get("q")}
	for _, q := range []struct {
		name string
		dst  *string
		list []string
	}{{"state", &f.State, codes(CaseStates)}, {"dispute_type", &f.DisputeType, codes(DisputeTypes)}, {"source", &f.Source, codes(CaseSources)},
		{"risk", &f.Risk, []string{"any", "crime", "group", "repeated"}}} {
		if *q.dst, err = api.QueryEnum(r, q.name, q.list...); err != nil {
			api.Fail(w, r, err)
			return
		}
	}
	list, total, err := h.Store.Cases(r.Context(), scope(r), f)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := make([]MediationCase, 0, len(list))
	for _, c := range list {
		out = append(out, caseJSON(c, nil))
	}
	api.WriteList(w, pg, out, total)
}

func (h *Handler) apiCase(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	c, err := h.Store.Case(r.Context(), scope(r), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, caseJSON(c, AllowedActions(r.Context(), scope(r), c)))
}

func (h *Handler) apiCreate(w http.ResponseWriter, r *http.Request) {
	var in MediationCaseCreate
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	ci := CaseInput{OrgID: in.OrgID, Source: in.Source, SourceRef: in.SourceRef, ReferringOrg: in.ReferringOrg, DisputeType: in.DisputeType,
		Amount: in.Amount, People: in.People, RiskCrime: in.RiskCrime, RiskGroup: in.RiskGroup, Summary: in.Summary}
	for _, p := range in.Parties {
		ci.Parties = append(ci.Parties, PartyInput{PersonID: p.PersonID, Role: p.Role, Name: p.Name, IDNumber: p.IDNumber, Phone: p.Phone, Address: p.Address})
	}
	var c *Case
	var err error
	if in.FindingID != 0 {
		c, err = h.Store.ConvertFinding(r.Context(), scope(r), in.FindingID, ci)
	} else {
		c, err = h.Store.Register(r.Context(), scope(r), ci)
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/mediation/cases/"+itoa(c.ID))
	api.JSON(w, http.StatusCreated, caseJSON(c, AllowedActions(r.Context(), scope(r), c)))
}

func (h *Handler) apiTransition(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in MediationTransition
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	code := strings.TrimSpace(r.PathValue("code"))
	c, err := h.Store.Act(r.Context(), scope(r), id, in.Version, code, in.Fields, in.Note)
	var se *casework.StateError
	if errors.As(err, &se) || errors.Is(err, casework.ErrConflict) || errors.Is(err, casework.ErrTransferPending) {
		api.Fail(w, r, api.Conflict(err.Error()))
		return
	}
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, caseJSON(c, AllowedActions(r.Context(), scope(r), c)))
}
