package mediation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// PartyInput is one party at intake: an existing person (PersonID), or a
// new one from Name, IDNumber, Phone and Address (validated by
// internal/person; an ID number already registered in scope links that
// person instead of creating a second record).
type PartyInput struct {
	PersonID int64
	Role     string
	Name     string
	IDNumber string
	Phone    string
	Address  string
}

// CaseInput is what intake records. Amount is in yuan as decimal text
// ("12000", "350.50"); it is stored as integer fen.
type CaseInput struct {
	OrgID        int64
	Source       string
	SourceRef    string // the court's, police's or petition office's reference number
	ReferringOrg string
	DisputeType  string
	Amount       string
	People       int
	RiskCrime    bool
	RiskGroup    bool
	Summary      string
	Parties      []PartyInput
	FindingID    int64 // the screening finding this case comes from (ConvertFinding)
}

// Party is a party of a case; numbers are masked.
type Party struct {
	PersonID int64
	Role     string
	Name     string
	IDNumber string
	Phone    string
}

// RoleName is the Chinese name of the role.
func (p Party) RoleName() string { return PartyRoleName(p.Role) }

// CaseMediator is a mediator assigned to a case.
type CaseMediator struct {
	MediatorID int64
	Name       string
	OrgName    string
	Lead       bool
}

// Session is an investigation or a mediation session with its record.
type Session struct {
	ID           int64
	CaseID       int64
	Kind         string
	HeldOn       string
	Place        string
	MediatorID   int64
	MediatorName string
	Attendees    string
	Record       string
	CreatedAt    time.Time
}

// KindName is 调查 or 调解.
func (s Session) KindName() string { return nameOf(SessionKinds, s.Kind) }

// SessionKinds are the kinds of work records (人民调解法第二十七条).
var SessionKinds = []Choice{{"investigation", "调查(调查记录)"}, {"session", "调解(调解笔录)"}}

// Case is a mediation case: the kernel's case and the line's columns.
type Case struct {
	casework.Case
	Source           string
	SourceRef        string
	ReferringOrg     string
	DisputeType      string
	AmountFen        int64
	People           int
	RiskCrime        bool
	RiskGroup        bool
	Repeated         bool
	Summary          string
	AcceptedOn       string
	DeclineReason    string
	AgreementForm    string
	Agreement        map[string]string // 第二十九条 items by code
	Terms            string
	AgreedFen        int64
	AgreedOn         string
	PerformBy        string
	Referral         string
	PerformedOn      string
	PerformanceNote  string
	FollowUpOn       string
	FollowUpNote     string
	ConfirmAppliedOn string
	ConfirmResult    string
	FindingID        int64
	Parties          []Party
	Mediators        []CaseMediator
	Sessions         []Session
}

// Names for the pages.
func (c *Case) DisputeTypeName() string   { return DisputeTypeName(c.DisputeType) }
func (c *Case) SourceName() string        { return CaseSourceName(c.Source) }
func (c *Case) ReferralName() string      { return ReferralName(c.Referral) }
func (c *Case) ConfirmResultName() string { return ConfirmResultName(c.ConfirmResult) }
func (c *Case) AgreementFormName() string { return nameOf(AgreementForms, c.AgreementForm) }
func (c *Case) Amount() string            { return formatYuan(c.AmountFen) }
func (c *Case) AgreedAmount() string      { return formatYuan(c.AgreedFen) }
func (c *Case) RegisteredOn() string      { return c.CreatedAt.In(web.Shanghai).Format(time.DateOnly) }

// ClosedOn is the closing date ("" while open).
func (c *Case) ClosedOn() string {
	if c.ClosedAt.IsZero() {
		return ""
	}
	return c.ClosedAt.In(web.Shanghai).Format(time.DateOnly)
}

// ResultName is the ledger's 结果 column.
func (c *Case) ResultName() string {
	switch c.State {
	case StateSucceeded, StatePerformed, StateClosed:
		return "调解成功"
	case StateFailed:
		return "调解不成(告知" + c.ReferralName() + ")"
	case StateDeclined:
		return "不予受理"
	}
	return "办理中"
}

// PartyNames joins the parties' names.
func (c *Case) PartyNames() string {
	names := make([]string, 0, len(c.Parties))
	for _, p := range c.Parties {
		names = append(names, p.Name)
	}
	return strings.Join(names, "、")
}

// MediatorNames joins the mediators' names, the lead first.
func (c *Case) MediatorNames() string {
	var names []string
	for _, m := range c.Mediators {
		if m.Lead {
			names = append([]string{m.Name}, names...)
		} else {
			names = append(names, m.Name)
		}
	}
	return strings.Join(names, "、")
}

// ConfirmDeadline is the last day to apply for judicial confirmation
// ("" without an agreement date) [人民调解法第三十三条].
func (c *Case) ConfirmDeadline() string {
	if c.AgreedOn == "" {
		return ""
	}
	d, err := JudicialConfirmationDeadline(c.AgreedOn)
	if err != nil {
		return ""
	}
	return d
}

// ConfirmDaysLeft counts the days after today up to the last day to
// apply: 30 on the day the agreement takes effect, 0 on the last day,
// negative once the window has passed.
func (c *Case) ConfirmDaysLeft() int {
	d, err := time.Parse(time.DateOnly, c.ConfirmDeadline())
	if err != nil {
		return -1
	}
	today, _ := time.Parse(time.DateOnly, today())
	return int(d.Sub(today).Hours() / 24)
}

// ConfirmOpen reports whether the parties may still apply.
func (c *Case) ConfirmOpen() bool {
	return c.AgreedOn != "" && c.ConfirmAppliedOn == "" && c.ConfirmDaysLeft() >= 0 &&
		(c.State == StateSucceeded || c.State == StatePerformed || c.State == StateClosed)
}

func today() string { return Clock().In(web.Shanghai).Format(time.DateOnly) }

// parseYuan reads a yuan amount with at most two decimals into fen.
func parseYuan(field, label, v string) (int64, error) {
	v = strings.TrimSpace(strings.ReplaceAll(v, ",", ""))
	if v == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(v, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fe(field, label+"应为元，最多两位小数")
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 100_000_000_000 {
		return 0, fe(field, label+"应为0至1000亿元之间的数")
	}
	var f int64
	if frac != "" {
		f, err = strconv.ParseInt(frac+strings.Repeat("0", 2-len(frac)), 10, 64)
		if err != nil || f < 0 {
			return 0, fe(field, label+"应为元，最多两位小数")
		}
	}
	return w*100 + f, nil
}

// formatYuan writes fen as yuan ("" for zero).
func formatYuan(fen int64) string {
	if fen == 0 {
		return ""
	}
	if fen%100 == 0 {
		return strconv.FormatInt(fen/100, 10)
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

func (in *CaseInput) validate() error {
	in.Source, in.SourceRef, in.ReferringOrg = strings.TrimSpace(in.Source), strings.TrimSpace(in.SourceRef), strings.TrimSpace(in.ReferringOrg)
	in.Summary = strings.TrimSpace(in.Summary)
	switch {
	case in.OrgID <= 0:
		return fe("org_id", "请选择受理单位")
	case !validChoice(CaseSources, in.Source):
		return fe("source", "请选择纠纷来源")
	case (in.Source == "court" || in.Source == "police" || in.Source == "petition") && in.ReferringOrg == "":
		return fe("referring_org", "委派或移送的案件须填写移送单位")
	case !validChoice(DisputeTypes, in.DisputeType):
		return fe("dispute_type", "请选择纠纷类型")
	case in.People < 1 || in.People > 100000:
		return fe("people", "涉及人数应为1至100000")
	case in.Summary == "":
		return fe("summary", "简要案情必填")
	}
	if _, err := parseYuan("amount", "涉及金额", in.Amount); err != nil {
		return err
	}
	if err := firstErr(tooLong("source_ref", "来源文号", in.SourceRef, 100), tooLong("referring_org", "移送单位", in.ReferringOrg, 100),
		tooLong("summary", "简要案情", in.Summary, 2000)); err != nil {
		return err
	}
	if len(in.Parties) == 0 {
		return fe("p0_name", "请至少登记一名当事人")
	}
	if len(in.Parties) > 50 {
		return fe("parties", "当事人不能超过50人")
	}
	roles := map[string]bool{}
	for i := range in.Parties {
		p := &in.Parties[i]
		p.Name, p.IDNumber, p.Phone, p.Address = strings.TrimSpace(p.Name), strings.TrimSpace(p.IDNumber), strings.TrimSpace(p.Phone), strings.TrimSpace(p.Address)
		pre := fmt.Sprintf("p%d_", i)
		if !validChoice(PartyRoles, p.Role) {
			return fe(pre+"role", fmt.Sprintf("请选择第%d名当事人的身份", i+1))
		}
		if p.PersonID == 0 && p.Name == "" {
			return fe(pre+"name", fmt.Sprintf("第%d名当事人的姓名必填", i+1))
		}
		roles[p.Role] = true
	}
	if !roles["applicant"] {
		return fe("p0_role", "至少须有一名申请人")
	}
	return nil
}

// caseOrgKinds are the orgs that register mediation cases.
var caseOrgKinds = []org.Kind{org.Committee, org.Office, org.Village, org.County}

// caseOrg checks orgID is an org in sc that takes mediation cases.
func (s *Store) caseOrg(ctx context.Context, sc org.Scope, orgID int64) (org.Org, error) {
	o, err := s.orgs().Get(ctx, sc, orgID)
	if err != nil {
		return o, fe("org_id", "受理单位不存在或不在您的管辖范围内")
	}
	for _, k := range caseOrgKinds {
		if o.Kind == k {
			return o, nil
		}
	}
	return o, fe("org_id", "受理单位应为人民调解委员会、司法所、村(社区)或县级司法局")
}

// settingsCtx loads the county settings that apply to orgID into ctx (the
// deadlines read them); a tree without a county uses the defaults.
func (s *Store) settingsCtx(ctx context.Context, orgID int64) (context.Context, error) {
	st, err := s.SettingsForOrg(ctx, org.System(), orgID)
	if err != nil {
		var fErr *org.FieldError
		if !errors.As(err, &fErr) && !errors.Is(err, store.ErrNotFound) {
			return ctx, err
		}
		st = DefaultSettings()
	}
	return withSettings(ctx, st), nil
}

// resolveParties returns the person id and name of each party, creating
// new persons inside tx: a case that then fails leaves none behind.
func (s *Store) resolveParties(ctx context.Context, tx *store.Tx, sc org.Scope, orgID int64, ps []PartyInput) ([]int64, []string, error) {
	ids := make([]int64, len(ps))
	names := make([]string, len(ps))
	seen := map[int64]bool{}
	for i, p := range ps {
		pre := fmt.Sprintf("p%d_", i)
		id := p.PersonID
		if id == 0 {
			var err error
			id, err = s.Persons.CreateTx(ctx, tx, sc, person.Input{OrgID: orgID, Kind: person.Natural, Name: p.Name,
				IDNumber: p.IDNumber, Phone: p.Phone, Address: p.Address})
			var dup *person.DuplicateError
			var fErr *org.FieldError
			switch {
			case errors.As(err, &dup):
				id = dup.ExistingID // registered before, perhaps earlier in this intake
			case errors.As(err, &fErr):
				return nil, nil, fe(pre+fErr.Field, fmt.Sprintf("第%d名当事人：%s", i+1, fErr.Message))
			case err != nil:
				return nil, nil, err
			}
		}
		got, err := s.Persons.GetTx(ctx, tx, sc, id)
		if p.PersonID != 0 && (err != nil || got.MergedInto != 0) {
			return nil, nil, fe(pre+"name", fmt.Sprintf("第%d名当事人不存在或不在管辖范围内", i+1))
		}
		if err != nil {
			return nil, nil, err
		}
		ids[i], names[i] = got.ID, got.Name
		if seen[ids[i]] {
			return nil, nil, fe(pre+"name", fmt.Sprintf("第%d名当事人重复登记", i+1))
		}
		seen[ids[i]] = true
	}
	return ids, names, nil
}

// caseTitle is "甲与乙邻里纠纷": the first applicant, the first respondent
// and the dispute type.
func caseTitle(in CaseInput, names []string) string {
	var a, b string
	for i, p := range in.Parties {
		if p.Role == "applicant" && a == "" {
			a = names[i]
		}
		if p.Role == "respondent" && b == "" {
			b = names[i]
		}
	}
	t := a
	if b != "" {
		t += "与" + b
	}
	if len(in.Parties) > 2 {
		t += "等"
	}
	return t + DisputeTypeName(in.DisputeType)
}

// Register records a case at intake from any source in one transaction:
// the parties new to the registry, the kernel's case (numbered, state
// 已登记), its columns, its parties and, from a screening, the finding's
// link. repeated is set when a party had a mediation case registered in
// the 12 months before (any org: the flag tells the office a dispute
// returns, it reveals nothing else).
func (s *Store) Register(ctx context.Context, sc org.Scope, in CaseInput) (*Case, error) {
	if err := in.validate(); err != nil {
		return nil, err // bad input takes no write lock
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		c, err := s.RegisterTx(ctx, tx, sc, in)
		if err == nil {
			id = c.ID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Case(ctx, sc, id)
}

// RegisterTx is Register inside the caller's transaction (the portal
// issues its tracking code in the same one). It returns the kernel's case;
// read the mediation case with Case once tx has committed.
func (s *Store) RegisterTx(ctx context.Context, tx *store.Tx, sc org.Scope, in CaseInput) (*casework.Case, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	if _, err := need(ctx, permEdit); err != nil {
		return nil, err
	}
	o, err := s.caseOrg(ctx, sc, in.OrgID)
	if err != nil {
		return nil, err
	}
	amount, _ := parseYuan("amount", "涉及金额", in.Amount)
	ctx, err = s.settingsCtx(ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if in.FindingID != 0 {
		if err := s.claimFinding(ctx, tx, sc, in.FindingID); err != nil {
			return nil, err
		}
	}
	ids, names, err := s.resolveParties(ctx, tx, sc, o.ID, in.Parties)
	if err != nil {
		return nil, err
	}
	kc, err := s.cases().Create(ctx, tx, sc, CaseType, o.ID, caseTitle(in, names), 0)
	if err != nil {
		return nil, err
	}
	id := kc.ID
	since := Clock().AddDate(-1, 0, 0)
	var prior int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM med_parties p JOIN cases c ON c.id = p.case_id
		WHERE p.person_id IN (`+store.InList(len(ids))+`) AND c.id <> ? AND c.created_at >= ?`,
		append(anys(ids), id, since)...).Scan(&prior); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO med_cases (case_id, source, source_ref, referring_org, dispute_type, amount_at_stake,
		people_count, risk_crime, risk_group, repeated, summary, screening_finding_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, in.Source, in.SourceRef, in.ReferringOrg, in.DisputeType, amount, in.People, in.RiskCrime, in.RiskGroup, prior > 0,
		in.Summary, nullID(in.FindingID)); err != nil {
		return nil, err
	}
	for i, pid := range ids {
		if _, err := tx.Exec(ctx, `INSERT INTO med_parties (case_id, person_id, role) VALUES (?, ?, ?)`, id, pid, in.Parties[i].Role); err != nil {
			return nil, err
		}
	}
	if in.FindingID != 0 {
		if _, err := tx.Exec(ctx, `UPDATE med_screening_findings SET status = 'case', case_id = ?, updated_at = ? WHERE id = ?`,
			id, Clock(), in.FindingID); err != nil {
			return nil, err
		}
	}
	// casework indexed the case before its mediation row existed:
	// index again so the summary is searchable from the start.
	if err := casework.IndexSearch(ctx, tx, id); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_case", ObjectID: itoa(id), OrgID: o.ID,
		Detail: fmt.Sprintf("source=%s parties=%d finding=%d", in.Source, len(ids), in.FindingID)}); err != nil {
		return nil, err
	}
	return kc, nil
}

// claimFinding checks the finding is in scope and not yet a case, and
// locks it for the transaction.
func (s *Store) claimFinding(ctx context.Context, tx *store.Tx, sc org.Scope, findingID int64) error {
	w, args := sc.Where("o.path")
	var status string
	err := tx.QueryRow(ctx, `SELECT f.status FROM med_screening_findings f JOIN med_screenings s ON s.id = f.screening_id
		JOIN orgs o ON o.id = s.org_id WHERE f.id = ? AND `+w+store.ForUpdate(s.DB.Engine), append([]any{findingID}, args...)...).Scan(&status)
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	if err != nil {
		return err
	}
	if status == "case" {
		return fe("finding_id", "该纠纷已转为调解案件")
	}
	return nil
}

// ConvertFinding turns a screening finding into a case (source 主动调解):
// the finding's summary, type, people and risk flags fill what in leaves
// empty; the finding becomes status 'case' with the case's id.
func (s *Store) ConvertFinding(ctx context.Context, sc org.Scope, findingID int64, in CaseInput) (*Case, error) {
	var f Finding
	var screeningOrg int64
	w, args := sc.Where("o.path")
	err := s.DB.Read().QueryRow(ctx, `SELECT f.summary, f.dispute_type, f.people, f.risk_criminal, f.risk_group, f.status, s.org_id
		FROM med_screening_findings f JOIN med_screenings s ON s.id = f.screening_id JOIN orgs o ON o.id = s.org_id
		WHERE f.id = ? AND `+w, append([]any{findingID}, args...)...).Scan(&f.Summary, &f.DisputeType, &f.People, &f.RiskCriminal,
		&f.RiskGroup, &f.Status, &screeningOrg)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if f.Status == "case" {
		return nil, fe("finding_id", "该纠纷已转为调解案件")
	}
	in.FindingID, in.Source = findingID, "screening"
	if in.OrgID == 0 {
		in.OrgID = screeningOrg
	}
	if strings.TrimSpace(in.Summary) == "" {
		in.Summary = f.Summary
	}
	if in.DisputeType == "" {
		in.DisputeType = f.DisputeType
	}
	if in.People == 0 {
		in.People = f.People
	}
	in.RiskCrime = in.RiskCrime || f.RiskCriminal
	in.RiskGroup = in.RiskGroup || f.RiskGroup
	return s.Register(ctx, sc, in)
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

func need(ctx context.Context, perm string) (*auth.Principal, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return nil, &auth.ForbiddenError{Reason: "未登录"}
	}
	if !p.Can(perm) {
		return nil, &auth.ForbiddenError{Reason: "缺少权限 " + perm}
	}
	return p, nil
}

const medCols = `m.source, m.source_ref, m.referring_org, m.dispute_type, m.amount_at_stake, m.people_count, m.risk_crime, m.risk_group,
	m.repeated, m.summary, m.accepted_on, m.decline_reason, m.agreement_form, m.agreement_text, m.terms, m.agreed_amount, m.agreed_on,
	m.perform_by, m.referral, m.performed_on, m.performance_note, m.followup_on, m.followup_note, m.confirm_applied_on,
	m.confirm_result, COALESCE(m.screening_finding_id, 0)`

func (c *Case) medDest(agreement *string) []any {
	return []any{&c.Source, &c.SourceRef, &c.ReferringOrg, &c.DisputeType, &c.AmountFen, &c.People, &c.RiskCrime, &c.RiskGroup,
		&c.Repeated, &c.Summary, &c.AcceptedOn, &c.DeclineReason, &c.AgreementForm, agreement, &c.Terms, &c.AgreedFen, &c.AgreedOn,
		&c.PerformBy, &c.Referral, &c.PerformedOn, &c.PerformanceNote, &c.FollowUpOn, &c.FollowUpNote, &c.ConfirmAppliedOn,
		&c.ConfirmResult, &c.FindingID}
}

// Case returns a mediation case visible in sc with its parties (masked),
// mediators and sessions; store.ErrNotFound otherwise.
func (s *Store) Case(ctx context.Context, sc org.Scope, id int64) (*Case, error) {
	kc, err := s.cases().Get(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if kc.Type != CaseType {
		return nil, store.ErrNotFound
	}
	c := &Case{Case: *kc}
	var agreement string
	err = s.DB.Read().QueryRow(ctx, `SELECT `+medCols+` FROM med_cases m WHERE m.case_id = ?`, id).Scan(c.medDest(&agreement)...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if agreement != "" {
		if err := json.Unmarshal([]byte(agreement), &c.Agreement); err != nil {
			return nil, err
		}
	}
	if c.Parties, err = s.parties(ctx, sc, id); err != nil {
		return nil, err
	}
	if c.Mediators, err = s.caseMediators(ctx, id); err != nil {
		return nil, err
	}
	c.Sessions, err = s.sessions(ctx, id)
	return c, err
}

func (s *Store) parties(ctx context.Context, sc org.Scope, caseID int64) ([]Party, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT mp.person_id, mp.role, p.name FROM med_parties mp JOIN persons p ON p.id = mp.person_id
		WHERE mp.case_id = ? ORDER BY CASE mp.role WHEN 'applicant' THEN 0 WHEN 'respondent' THEN 1 ELSE 2 END, p.id`, caseID)
	if err != nil {
		return nil, err
	}
	var out []Party
	for rows.Next() {
		var p Party
		if err := rows.Scan(&p.PersonID, &p.Role, &p.Name); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Masked numbers come from the registry, which decrypts only to mask.
	for i := range out {
		if got, err := s.Persons.Get(ctx, sc, out[i].PersonID); err == nil {
			out[i].IDNumber, out[i].Phone = got.IDNumber, got.Phone
		}
	}
	return out, nil
}

func (s *Store) caseMediators(ctx context.Context, caseID int64) ([]CaseMediator, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT cm.mediator_id, p.name, o.name, cm.lead FROM med_case_mediators cm
		JOIN med_mediators m ON m.id = cm.mediator_id JOIN persons p ON p.id = m.person_id JOIN orgs o ON o.id = m.org_id
		WHERE cm.case_id = ? ORDER BY cm.lead DESC, p.name`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CaseMediator
	for rows.Next() {
		var m CaseMediator
		if err := rows.Scan(&m.MediatorID, &m.Name, &m.OrgName, &m.Lead); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func (s *Store) sessions(ctx context.Context, caseID int64) ([]Session, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT ss.id, ss.case_id, ss.kind, ss.held_on, ss.place, COALESCE(ss.mediator_id, 0),
		COALESCE(p.name, ''), ss.attendees, ss.record, ss.created_at FROM med_sessions ss
		LEFT JOIN med_mediators m ON m.id = ss.mediator_id LEFT JOIN persons p ON p.id = m.person_id
		WHERE ss.case_id = ? ORDER BY ss.held_on, ss.id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var x Session
		if err := rows.Scan(&x.ID, &x.CaseID, &x.Kind, &x.HeldOn, &x.Place, &x.MediatorID, &x.MediatorName, &x.Attendees, &x.Record,
			&x.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// ownedCase loads a mediation case whose owning org is in sc.
func (s *Store) ownedCase(ctx context.Context, sc org.Scope, id int64) (*casework.Case, error) {
	c, err := s.cases().Get(ctx, sc, id)
	if err != nil {
		return nil, err
	}
	if c.Type != CaseType {
		return nil, store.ErrNotFound
	}
	if !sc.Contains(c.OrgPath) {
		return nil, &auth.ForbiddenError{Reason: "案件不属于本单位"}
	}
	return c, nil
}
