package mediation

import (
	"fmt"
	"path/filepath"

	"fengqiao/internal/docs"
	"fengqiao/internal/mediation/doctemplates"
)

// Document is one standard mediation document (doctemplates/<File>).
type Document struct {
	Code  string
	File  string
	Title string
	Note  string // what it is for and the rule behind it
}

// Documents are the standard documents of a mediation case file
// [人民调解法第二十七条: registration, work records, agreement; 第二十八条:
// written or oral agreement; 第二十九条: agreement contents].
var Documents = []Document{
	{"application", "application.docx", "人民调解申请书", "当事人申请调解时填写(人民调解法第十七条)"},
	{"registration", "registration.docx", "人民调解受理登记表", "调解登记，立卷必备(第二十七条)"},
	{"investigation", "investigation.docx", "人民调解调查记录", "调解工作记录之一(第二十七条)"},
	{"record", "record.docx", "人民调解记录", "调解工作记录，调解员应当记录调解情况(第二十七条)"},
	{"agreement", "agreement.docx", "人民调解协议书", "书面调解协议，载明第二十九条所列事项"},
	{"oral_agreement", "oral_agreement.docx", "口头协议登记表", "口头调解协议，调解员记录协议内容(第二十八条、第三十条)"},
	{"followup", "followup.docx", "人民调解回访记录", "回访协议履行情况(第三十一条；若干规定第三十六条)"},
	{"file_cover", "file_cover.docx", "卷宗封面", "立卷归档(第二十七条)"},
	{"file_index", "file_index.docx", "卷内目录", "立卷归档(第二十七条)"},
}

// DocumentByCode returns the document with code.
func DocumentByCode(code string) (Document, bool) {
	for _, d := range Documents {
		if d.Code == code {
			return d, true
		}
	}
	return Document{}, false
}

// Placeholders are the value fields the templates may use, with the
// Chinese meaning; the case part fills them. A template using any other
// name fails the test.
var Placeholders = map[string]string{
	"committee":            "人民调解委员会名称",
	"case_no":              "案件(卷宗)编号",
	"case_title":           "案由(纠纷名称)",
	"party_names":          "当事人姓名(逗号分隔)",
	"dispute_type":         "纠纷类型",
	"source":               "纠纷来源",
	"facts":                "纠纷简要情况(主要事实)",
	"request":              "申请事项",
	"issues":               "争议事项",
	"responsibility":       "各方当事人的责任",
	"terms":                "协议内容",
	"performance_method":   "履行方式",
	"performance_place":    "履行地点",
	"performance_deadline": "履行期限",
	"copies":               "协议份数",
	"applied_on":           "申请日期",
	"registered_on":        "登记日期",
	"accepted_on":          "受理日期",
	"accept_decision":      "受理意见",
	"registrar":            "登记人",
	"mediator":             "调解员",
	"recorder":             "记录人",
	"held_on":              "调查或调解时间",
	"place":                "地点",
	"subject":              "被调查人或被回访人",
	"participants":         "参加人",
	"content":              "记录内容",
	"result":               "调解结果",
	"agreement_date":       "协议日期",
	"followup_on":          "回访日期",
	"followup_by":          "回访人",
	"followup_method":      "回访方式",
	"performance_status":   "协议履行情况",
	"followup_opinion":     "当事人意见",
	"notes":                "备注",
	"closed_on":            "结案日期",
	"archived_by":          "立卷人",
	"filed_on":             "立卷日期",
	"keep_period":          "保管期限",
}

// TablePlaceholders are the repeated table rows: {key.i} is column i.
var TablePlaceholders = map[string][]string{
	"parties": {"身份", "姓名", "性别", "年龄", "身份证号码", "联系电话", "住址"},
	"items":   {"序号", "文件材料名称", "日期", "页号", "备注"},
}

// Templates finds the mediation templates: a province's own file in
// <customDir>/documents/mediation/<file>.docx replaces the built-in one.
func Templates(customDir string) docs.Templates {
	t := docs.Templates{Embedded: doctemplates.FS}
	if customDir != "" {
		t.CustomDir = filepath.Join(customDir, "documents", "mediation")
	}
	return t
}

// RenderDocument fills document code with data and tables (see
// docs.RenderDocx: every placeholder needs a value).
func RenderDocument(t docs.Templates, code string, data map[string]string, tables map[string][][]string) ([]byte, error) {
	d, ok := DocumentByCode(code)
	if !ok {
		return nil, fmt.Errorf("mediation: unknown document %q", code)
	}
	return t.Render(d.File, data, tables)
}
