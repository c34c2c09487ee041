package mediation

import (
	"context"
	"errors"
	"strings"

	"fengqiao/internal/calendar"
	"fengqiao/internal/casework"
	"fengqiao/internal/org"
)

// CaseType is the casework type code of a people's mediation case.
const CaseType = "mediation"

// Case states (DOMAIN.md 人民调解: 登记 → 受理 → 调解 → 协议 → 履行 → 回访).
// 司法确认 is recorded in fields of the case, not as a state.
const (
	StateRegistered = "registered" // 登记
	StateAccepted   = "accepted"   // 受理
	StateDeclined   = "declined"   // 不予受理 (final)
	StateMediating  = "mediating"  // 调解中
	StateSucceeded  = "succeeded"  // 调解成功
	StateFailed     = "failed"     // 调解终止 (final)
	StatePerformed  = "performed"  // 履行完毕
	StateClosed     = "closed"     // 已回访 (final)
)

// Transition codes.
const (
	ActAccept   = "accept"
	ActDecline  = "decline"
	ActStart    = "start"
	ActSucceed  = "succeed"
	ActFail     = "fail"
	ActPerform  = "perform"
	ActFollowUp = "followup"
)

// CaseStates lists the states with their Chinese names (filters, badges).
var CaseStates = []Choice{
	{StateRegistered, "已登记"}, {StateAccepted, "已受理"}, {StateDeclined, "不予受理"},
	{StateMediating, "调解中"}, {StateSucceeded, "调解成功"}, {StateFailed, "调解终止"},
	{StatePerformed, "履行完毕"}, {StateClosed, "已回访结案"},
}

// CaseStateName returns the Chinese name of a state.
func CaseStateName(code string) string { return nameOf(CaseStates, code) }

// Referrals are where a failed mediation sends the parties: 人民调解法第二十六条
// (调解不成的，应当终止调解，并依法告知当事人可以依法通过仲裁、行政、司法等途径维护自己的权利).
var Referrals = []Choice{
	{"litigation", "诉讼"}, {"arbitration", "仲裁"}, {"administrative", "行政途径"}, {"other", "其他"},
}

// ReferralName returns the Chinese name of a referral channel.
func ReferralName(code string) string { return nameOf(Referrals, code) }

// PartyRoles are a party's role in a case.
var PartyRoles = []Choice{{"applicant", "申请人"}, {"respondent", "被申请人"}, {"other", "其他当事人"}}

// PartyRoleName returns the Chinese name of a role.
func PartyRoleName(code string) string { return nameOf(PartyRoles, code) }

// ConfirmResults are the outcomes of an application for judicial confirmation.
var ConfirmResults = []Choice{{"pending", "法院审查中"}, {"confirmed", "裁定确认有效"}, {"rejected", "裁定驳回申请"}}

// ConfirmResultName returns the Chinese name of a result.
func ConfirmResultName(code string) string { return nameOf(ConfirmResults, code) }

// The deadlines' periods come from the county's settings, which the
// case's service methods load for the case's org and put in the context:
// casework calls Rule with the context only.
type settingsKey struct{}

func withSettings(ctx context.Context, st Settings) context.Context {
	return context.WithValue(ctx, settingsKey{}, st)
}

func settingsFrom(ctx context.Context) (Settings, error) {
	st, ok := ctx.Value(settingsKey{}).(Settings)
	if !ok {
		return Settings{}, errors.New("mediation: county settings not loaded for this case action")
	}
	return st, nil
}

// provinceAbbr maps the first two digits of a division code to the
// province's one-character name used in case numbers (川, 渝 …).
var provinceAbbr = map[string]string{
	"11": "京", "12": "津", "13": "冀", "14": "晋", "15": "蒙", "21": "辽", "22": "吉", "23": "黑",
	"31": "沪", "32": "苏", "33": "浙", "34": "皖", "35": "闽", "36": "赣", "37": "鲁", "41": "豫",
	"42": "鄂", "43": "湘", "44": "粤", "45": "桂", "46": "琼", "50": "渝", "51": "川", "52": "黔",
	"53": "滇", "54": "藏", "61": "陕", "62": "甘", "63": "青", "64": "宁", "65": "新",
}

// caseOrgCode fills {org_code} from the numbering org (caseNumberOrg):
// the province's character and the rest of its division code (川1902,
// 川1902001), which tells orgs apart. The short name is a last resort for
// a tree with no code at all.
func caseOrgCode(o org.Org) string {
	if len(o.DivisionCode) >= 6 {
		if a, ok := provinceAbbr[o.DivisionCode[:2]]; ok {
			return a + o.DivisionCode[2:]
		}
		return o.DivisionCode
	}
	if o.ShortName != "" {
		return o.ShortName
	}
	return o.Name
}

// caseNumberOrg numbers a case with the nearest org, its own or an
// ancestor, that has a division code: a committee has none, so its cases
// carry its office's (or village's) code, never its long name, and take
// that org's sequence, which keeps the numbers apart.
func caseNumberOrg(chain []org.Org) org.Org {
	for _, o := range chain {
		if len(o.DivisionCode) >= 6 {
			return o
		}
	}
	return chain[0]
}

// periodReminders are the days before the mediation period ends on which
// the handler is reminded: the county's ReminderDays (0 turns it off) and
// the day before; the last day and overdue are always reminded.
func periodReminders(st Settings) []int {
	if st.ReminderDays > 1 {
		return []int{st.ReminderDays, 1}
	}
	return []int{1}
}

func init() {
	edit, approve := permEdit, permApprove
	casework.Register(casework.Type{
		Code: CaseType, Line: Line, Name: "人民调解案件", Abbr: "民调",
		NumberPattern: "（{year}）{org_code}{type_abbr}字第{seq:4}号",
		OrgCode:       caseOrgCode,
		NumberOrg:     caseNumberOrg,
		States: []casework.State{
			{Code: StateRegistered, Name: "已登记"}, {Code: StateAccepted, Name: "已受理"},
			{Code: StateDeclined, Name: "不予受理", Final: true}, {Code: StateMediating, Name: "调解中"},
			{Code: StateSucceeded, Name: "调解成功"}, {Code: StateFailed, Name: "调解终止", Final: true},
			{Code: StatePerformed, Name: "履行完毕"}, {Code: StateClosed, Name: "已回访结案", Final: true},
		},
		Transitions: []casework.Transition{
			{Code: ActAccept, Name: "受理", From: []string{StateRegistered}, To: StateAccepted, Perm: approve, Check: checkAccept},
			{Code: ActDecline, Name: "不予受理", From: []string{StateRegistered}, To: StateDeclined, Perm: approve,
				Required: []string{"decline_reason"}, Check: checkDecline},
			{Code: ActStart, Name: "开始调解", From: []string{StateAccepted}, To: StateMediating, Perm: edit},
			{Code: ActSucceed, Name: "调解成功(达成协议)", From: []string{StateMediating}, To: StateSucceeded, Perm: edit,
				Required: []string{"agreement_form"}, Check: checkSucceed},
			{Code: ActFail, Name: "终止调解", From: []string{StateMediating}, To: StateFailed, Perm: edit,
				Required: []string{"referral"}, Check: checkFail},
			{Code: ActPerform, Name: "登记履行完毕", From: []string{StateSucceeded}, To: StatePerformed, Perm: edit,
				Required: []string{"performed_on"}, Check: checkPerform},
			{Code: ActFollowUp, Name: "回访结案", From: []string{StatePerformed}, To: StateClosed, Perm: edit,
				Required: []string{"followup_on", "followup_note"}, Check: checkFollowUp},
		},
		Deadlines: []casework.DeadlineSpec{
			{Code: "period", Name: "调解期限", StartOn: []string{ActAccept}, StopOn: []string{ActSucceed, ActFail},
				Rule: func(ctx context.Context) (calendar.Rule, error) {
					st, err := settingsFrom(ctx)
					return calendar.Rule{Days: st.PeriodDays, Unit: calendar.CalendarDays, Source: SrcRules2002 + "第三十三条(本县设置)"}, err
				},
				Remind: func(ctx context.Context) ([]int, error) {
					st, err := settingsFrom(ctx)
					return periodReminders(st), err
				},
				// Only for periods started before the days were kept on
				// the deadline (the default setting then).
				RemindBefore: []int{5, 1}, EscalateAfterDays: 7},
			// Nothing the office does "meets" the parties' window: it runs
			// until the case closes (the kernel then cancels and hides it;
			// the case page's 司法确认 box keeps counting from agreed_on).
			// The kernel needs a StopOn: a failed case never had one.
			{Code: "confirmation", Name: "司法确认申请期限", StartOn: []string{ActSucceed}, StopOn: []string{StateFailed},
				Rule: func(context.Context) (calendar.Rule, error) {
					return calendar.Rule{Days: JudicialConfirmationDays, Unit: calendar.CalendarDays, Source: SrcLaw + "第三十三条"}, nil
				}},
			{Code: "followup", Name: "回访期限", StartOn: []string{ActSucceed}, StopOn: []string{ActFollowUp},
				Rule: func(ctx context.Context) (calendar.Rule, error) {
					st, err := settingsFrom(ctx)
					return calendar.Rule{Days: st.FollowUpDays, Unit: calendar.CalendarDays, Source: SrcRules2002 + "第三十六条(本县设置)"}, err
				}, RemindBefore: []int{3}},
		},
	})
}

// Transition checks: the kernel has checked Required; these check values.

func checkAccept(_ context.Context, _ *casework.Case, f map[string]string) error {
	return checkDate("accepted_on", "受理日期", strings.TrimSpace(f["accepted_on"]), false, true)
}

func checkDecline(_ context.Context, _ *casework.Case, f map[string]string) error {
	return tooLong("decline_reason", "不予受理理由", strings.TrimSpace(f["decline_reason"]), 500)
}

func checkSucceed(_ context.Context, _ *casework.Case, f map[string]string) error {
	form := f["agreement_form"]
	if form != AgreementWritten && form != AgreementOral {
		return fe("agreement_form", "请选择协议形式(书面或口头)")
	}
	if miss := MissingAgreementItems(form, f); len(miss) > 0 {
		return fe(miss[0].Code, "调解协议缺少“"+miss[0].Name+"”(人民调解法第二十九条)")
	}
	for _, it := range AgreementItems {
		if err := tooLong(it.Code, it.Name, f[it.Code], 2000); err != nil {
			return err
		}
	}
	if _, err := parseYuan("agreed_amount", "协议金额", f["agreed_amount"]); err != nil {
		return err
	}
	return firstErr(checkDate("agreed_on", "协议生效日期", f["agreed_on"], false, true),
		checkDate("perform_by", "履行期限", f["perform_by"], false, false))
}

func checkFail(_ context.Context, _ *casework.Case, f map[string]string) error {
	if !validChoice(Referrals, f["referral"]) {
		return fe("referral", "请选择告知当事人的其他途径(诉讼、仲裁、行政、其他)")
	}
	return tooLong("fail_reason", "终止原因", f["fail_reason"], 500)
}

func checkPerform(_ context.Context, _ *casework.Case, f map[string]string) error {
	return firstErr(checkDate("performed_on", "履行完毕日期", f["performed_on"], true, true),
		tooLong("performance_note", "履行情况", f["performance_note"], 1000))
}

func checkFollowUp(_ context.Context, _ *casework.Case, f map[string]string) error {
	return firstErr(checkDate("followup_on", "回访日期", f["followup_on"], true, true),
		tooLong("followup_note", "回访情况", f["followup_note"], 1000))
}
