package mediation

import (
	"fmt"
	"strings"
	"time"
)

// This file is the one named place for the rules of people's mediation.
// Each rule carries its source; rules_test.go cites the same source for
// each. Confidence follows DOMAIN.md: [law] a national law's text, [old] a
// superseded or older national rule, [local] a county's practice (shipped
// as a configurable default in med_settings, never as a constant),
// [verify] believed but not checked against the official text.

// Source names the law or policy a rule comes from.
const (
	SrcLaw       = "《中华人民共和国人民调解法》(2010)"
	SrcRules2002 = "《人民调解工作若干规定》(司法部令第75号，2002)"
	SrcDomain    = "地方做法(由县级司法局按本地规定设置)" // DOMAIN.md 人民调解 [local]
)

// Rule is one rule as the settings page lists it.
type Rule struct {
	Code         string
	Text         string // what the rule says, in Chinese
	Source       string // law and article
	Confidence   string // law, old, local, verify
	Configurable bool   // the county may change its value (settings page)
}

// Rules lists the mediation rules the program enforces or records.
var Rules = []Rule{
	{"committee_members", "人民调解委员会由委员三至九人组成，设主任一人，必要时可以设副主任若干人。", SrcLaw + "第八条", "law", false},
	{"apply_or_initiative", "当事人可以向人民调解委员会申请调解；人民调解委员会也可以主动调解。当事人一方明确拒绝调解的，不得调解。", SrcLaw + "第十七条", "law", false},
	{"referral", "基层人民法院、公安机关对适宜通过人民调解方式解决的纠纷，可以在受理前告知当事人向人民调解委员会申请调解。", SrcLaw + "第十八条", "law", false},
	{"file_contents", "人民调解委员会应当建立调解工作档案，将调解登记、调解工作记录、调解协议书等材料立卷归档。", SrcLaw + "第二十七条", "law", false},
	{"agreement_forms", "达成调解协议的，可以制作调解协议书；当事人认为无需制作的，可以采取口头协议方式，调解员应当记录协议内容。", SrcLaw + "第二十八条", "law", false},
	{"agreement_contents", "调解协议书载明：当事人的基本情况；纠纷的主要事实、争议事项以及各方当事人的责任；协议内容，履行的方式、期限。自各方当事人签名、盖章或者按指印，调解员签名并加盖调解委员会印章之日起生效。", SrcLaw + "第二十九条", "law", false},
	{"oral_effect", "口头调解协议自各方当事人达成协议之日起生效。", SrcLaw + "第三十条", "law", false},
	{"performance", "调解协议具有法律约束力；人民调解委员会应当对调解协议的履行情况进行监督，督促当事人履行。", SrcLaw + "第三十一条", "law", false},
	{"judicial_confirmation", "双方当事人认为有必要的，可以自调解协议生效之日起三十日内共同向人民法院申请司法确认。", SrcLaw + "第三十三条", "law", false},
	{"period", "人民调解委员会调解纠纷，一般在一个月内调结(本系统默认30日；经双方当事人同意可延长，为地方做法)。", SrcRules2002 + "第三十三条", "old", true},
	{"follow_up", "人民调解委员会应当对调解协议的履行情况适时进行回访，并就履行情况做出记录(回访时限为地方做法)。", SrcRules2002 + "第三十六条", "verify", true},
	{"reminder", "调解期限届满前提醒承办调解员。", SrcDomain, "local", true},
	{"subsidy_grades", "以案定补：一案一补、补给调解者；仅限已立卷、调解成功并已履行的案件，按难易程度分级(如一般100元、较大300元、重大500元)。", SrcDomain, "local", true},
	{"registered_only", "调解员须经登记后方可被指派承办案件、领取案件补贴。", SrcDomain, "local", true},
}

// RuleByCode returns the rule with code, ok=false when unknown.
func RuleByCode(code string) (Rule, bool) {
	for _, r := range Rules {
		if r.Code == code {
			return r, true
		}
	}
	return Rule{}, false
}

// Choice is a code with its Chinese name.
type Choice struct{ Code, Name string }

func nameOf(list []Choice, code string) string {
	for _, c := range list {
		if c.Code == code {
			return c.Name
		}
	}
	return ""
}

func validChoice(list []Choice, code string) bool { return nameOf(list, code) != "" }

// DisputeTypes are the 15 dispute types of the statistics (DOMAIN.md 人民调解,
// the Ministry's annual mediation report form).
var DisputeTypes = []Choice{
	{"marriage_family", "婚姻家庭纠纷"}, {"neighbour", "邻里纠纷"}, {"house_homestead", "房屋宅基地纠纷"},
	{"contract", "合同纠纷"}, {"business", "生产经营纠纷"}, {"damages", "损害赔偿纠纷"},
	{"forest_land", "山林土地纠纷"}, {"land_demolition", "征地拆迁纠纷"}, {"pollution", "环境污染纠纷"},
	{"labour", "劳动争议纠纷"}, {"consumer", "消费纠纷"}, {"medical", "医疗纠纷"},
	{"traffic", "道路交通事故纠纷"}, {"property_mgmt", "物业纠纷"}, {"other", "其他纠纷"},
}

// DisputeTypeName returns the Chinese name of a dispute type ("" if unknown).
func DisputeTypeName(code string) string { return nameOf(DisputeTypes, code) }

// Case sources: 主动调解 and 申请调解 [law 17]; referrals before acceptance by
// courts and police [law 18]; petition offices and the 12345 hotline
// [DOMAIN.md, seed 004: 诉调对接、警民联调、访调对接].
var CaseSources = []Choice{
	{"screening", "主动调解(排查发现)"}, {"application", "当事人申请调解"},
	{"court", "法院委派/委托调解(诉前)"}, {"police", "公安机关移送(警民联调)"},
	{"petition", "信访部门移送(访调对接)"}, {"hotline12345", "12345热线转办"}, {"other", "其他渠道"},
}

// CaseSourceName returns the Chinese name of a case source.
func CaseSourceName(code string) string { return nameOf(CaseSources, code) }

// Committee size: three to nine members [人民调解法第八条].
const (
	MinCommitteeMembers = 3
	MaxCommitteeMembers = 9
)

// Committee levels and trade kinds (DOMAIN.md: township, village/community,
// enterprise and trade committees; 医调委, 交调委, 劳动争议 …).
var (
	CommitteeLevels = []Choice{
		{"township", "乡镇(街道)人民调解委员会"}, {"village", "村(社区)人民调解委员会"},
		{"enterprise", "企事业单位人民调解委员会"}, {"trade", "行业性专业性人民调解委员会"},
	}
	TradeKinds = []Choice{
		{"medical", "医疗纠纷(医调委)"}, {"traffic", "道路交通(交调委)"}, {"labour", "劳动争议"},
		{"property", "物业纠纷"}, {"marriage_family", "婚姻家庭"}, {"other", "其他行业"},
	}
)

// LevelName and TradeKindName return Chinese names.
func LevelName(code string) string     { return nameOf(CommitteeLevels, code) }
func TradeKindName(code string) string { return nameOf(TradeKinds, code) }

// Screening kinds and finding statuses.
var (
	ScreeningKinds  = []Choice{{"routine", "常规排查"}, {"special", "专项排查(节假日、敏感时期等)"}}
	FindingStatuses = []Choice{{"open", "待化解"}, {"resolved", "已化解"}, {"case", "已转为调解案件"}}
)

// ScreeningKindName and FindingStatusName return Chinese names.
func ScreeningKindName(code string) string { return nameOf(ScreeningKinds, code) }
func FindingStatusName(code string) string { return nameOf(FindingStatuses, code) }

// JudicialConfirmationDays is the window in which the parties may jointly
// apply to a court for judicial confirmation [人民调解法第三十三条].
const JudicialConfirmationDays = 30

// JudicialConfirmationDeadline is the last day (YYYY-MM-DD) of the window
// for an agreement that took effect on effective (YYYY-MM-DD): the period
// starts the next day (民法典第二百零一条) and runs 30 calendar days.
func JudicialConfirmationDeadline(effective string) (string, error) {
	d, err := time.Parse(time.DateOnly, effective)
	if err != nil {
		return "", fmt.Errorf("协议生效日期应为YYYY-MM-DD格式: %q", effective)
	}
	return d.AddDate(0, 0, JudicialConfirmationDays).Format(time.DateOnly), nil
}

// Agreement forms [人民调解法第二十八条]: written, or oral with its content
// recorded by the mediator.
const (
	AgreementWritten = "written"
	AgreementOral    = "oral"
)

// AgreementForms lists the two forms.
var AgreementForms = []Choice{{AgreementWritten, "书面调解协议(调解协议书)"}, {AgreementOral, "口头调解协议(记录协议内容)"}}

// AgreementItems are the contents of a written agreement
// [人民调解法第二十九条]; Key is the field of the agreement document.
var AgreementItems = []Choice{
	{"parties", "当事人的基本情况"},
	{"facts", "纠纷的主要事实"},
	{"issues", "争议事项"},
	{"responsibility", "各方当事人的责任"},
	{"terms", "当事人达成调解协议的内容"},
	{"performance_method", "履行的方式"},
	{"performance_deadline", "履行的期限"},
}

// MissingAgreementItems names the items of 第二十九条 that fields leaves
// empty; for an oral agreement only the terms must be recorded (第二十八条).
func MissingAgreementItems(form string, fields map[string]string) []Choice {
	var out []Choice
	for _, it := range AgreementItems {
		if form == AgreementOral && it.Code != "terms" {
			continue
		}
		if strings.TrimSpace(fields[it.Code]) == "" {
			out = append(out, it)
		}
	}
	return out
}

// FileContents are the materials a case file must hold
// [人民调解法第二十七条]: registration, work records and the agreement. Code
// is the document template that produces each.
var FileContents = []Choice{
	{"registration", "调解登记(人民调解受理登记表)"},
	{"records", "调解工作记录(调查记录、调解记录)"},
	{"agreement", "调解协议书(或口头协议登记表)"},
}

// DefaultPeriodDays is the default mediation period: "一般在一个月内调结"
// [人民调解工作若干规定(2002)第三十三条]; longer only with both parties'
// consent [local]. Configurable per county (period_days).
const DefaultPeriodDays = 30

// PeriodDue is the last day (YYYY-MM-DD) of a mediation accepted on
// accepted with the county's period of days (calendar days, counted from
// the day after acceptance).
func PeriodDue(accepted string, days int) (string, error) {
	d, err := time.Parse(time.DateOnly, accepted)
	if err != nil {
		return "", fmt.Errorf("受理日期应为YYYY-MM-DD格式: %q", accepted)
	}
	if days <= 0 {
		return "", fmt.Errorf("调解期限天数应为正数: %d", days)
	}
	return d.AddDate(0, 0, days).Format(time.DateOnly), nil
}
