package mediation

import (
	"strings"
	"testing"
)

// Every rule names its source, and each test below cites the same one.
func TestRulesHaveSources(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Rules {
		if r.Code == "" || r.Text == "" || r.Source == "" || seen[r.Code] {
			t.Errorf("rule %+v: code, text and source are required and codes unique", r)
		}
		seen[r.Code] = true
		switch r.Confidence {
		case "law":
			if !strings.HasPrefix(r.Source, SrcLaw) || r.Configurable {
				t.Errorf("%s: a law rule cites the law and is not configurable", r.Code)
			}
		case "old", "verify", "local":
			if !r.Configurable {
				t.Errorf("%s: a %s rule must be configurable per county", r.Code, r.Confidence)
			}
		default:
			t.Errorf("%s: confidence %q", r.Code, r.Confidence)
		}
	}
}

// DOMAIN.md 人民调解: the 15 dispute types of the statistics.
func TestDisputeTypes(t *testing.T) {
	want := "婚姻家庭 邻里 房屋宅基地 合同 生产经营 损害赔偿 山林土地 征地拆迁 环境污染 劳动争议 消费 医疗 道路交通事故 物业 其他"
	names := strings.Fields(want)
	if len(DisputeTypes) != 15 || len(names) != 15 {
		t.Fatalf("%d dispute types, want 15", len(DisputeTypes))
	}
	for i, n := range names {
		if got := DisputeTypes[i].Name; got != n+"纠纷" {
			t.Errorf("type %d: %s, want %s纠纷", i, got, n)
		}
		if DisputeTypeName(DisputeTypes[i].Code) != DisputeTypes[i].Name {
			t.Errorf("lookup %s", DisputeTypes[i].Code)
		}
	}
	if DisputeTypeName("nope") != "" {
		t.Fatal("unknown type has a name")
	}
}

// 人民调解法第十七条 (apply, initiative), 第十八条 (court, police), DOMAIN.md
// (petition office, 12345).
func TestCaseSources(t *testing.T) {
	for code, name := range map[string]string{"screening": "主动调解", "application": "申请调解", "court": "法院",
		"police": "公安", "petition": "信访", "hotline12345": "12345", "other": "其他"} {
		if !strings.Contains(CaseSourceName(code), name) {
			t.Errorf("source %s = %q, want it to mention %s", code, CaseSourceName(code), name)
		}
	}
	if len(CaseSources) != 7 {
		t.Fatalf("%d sources", len(CaseSources))
	}
}

// 人民调解法第三十三条: within 30 days of the agreement taking effect; the
// period starts the next day (民法典第二百零一条).
func TestJudicialConfirmationDeadline(t *testing.T) {
	if r, _ := RuleByCode("judicial_confirmation"); !strings.Contains(r.Source, "第三十三条") || !strings.Contains(r.Text, "三十日") {
		t.Fatalf("rule text: %+v", r)
	}
	for _, c := range []struct{ in, want string }{
		{"2026-01-01", "2026-01-31"}, {"2026-02-15", "2026-03-17"}, {"2024-02-01", "2024-03-02"}, {"2026-12-10", "2027-01-09"},
	} {
		got, err := JudicialConfirmationDeadline(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s: %s %v, want %s", c.in, got, err, c.want)
		}
	}
	if _, err := JudicialConfirmationDeadline("2026-13-01"); err == nil {
		t.Fatal("bad date accepted")
	}
}

// 人民调解法第二十九条 (contents of a written agreement), 第二十八条 (oral
// agreement: the mediator records its content).
func TestAgreementContents(t *testing.T) {
	full := map[string]string{}
	for _, it := range AgreementItems {
		full[it.Code] = "x"
	}
	if m := MissingAgreementItems(AgreementWritten, full); len(m) != 0 {
		t.Fatalf("complete agreement misses %v", m)
	}
	m := MissingAgreementItems(AgreementWritten, map[string]string{"parties": "张三、李四", "terms": "赔偿2000元"})
	var codes []string
	for _, c := range m {
		codes = append(codes, c.Code)
	}
	if strings.Join(codes, ",") != "facts,issues,responsibility,performance_method,performance_deadline" {
		t.Fatalf("missing %v", codes)
	}
	if m := MissingAgreementItems(AgreementOral, map[string]string{"terms": "赔偿2000元"}); len(m) != 0 {
		t.Fatalf("oral agreement needs only its terms: %v", m)
	}
	if m := MissingAgreementItems(AgreementOral, map[string]string{"terms": "  "}); len(m) != 1 || m[0].Code != "terms" {
		t.Fatalf("oral agreement without terms: %v", m)
	}
	if len(AgreementForms) != 2 {
		t.Fatal("two agreement forms (第二十八条)")
	}
}

// 人民调解法第二十七条: registration, work records and the agreement go in
// the file; each has a document template.
func TestFileContents(t *testing.T) {
	if len(FileContents) != 3 {
		t.Fatalf("%d file contents", len(FileContents))
	}
	for _, code := range []string{"registration", "record", "agreement", "oral_agreement", "file_cover", "file_index"} {
		if _, ok := DocumentByCode(code); !ok {
			t.Errorf("no document %s for the case file", code)
		}
	}
}

// 人民调解工作若干规定(2002)第三十三条: "一般在一个月内调结" → 30 days by
// default, configurable per county.
func TestMediationPeriod(t *testing.T) {
	r, _ := RuleByCode("period")
	if !strings.Contains(r.Source, "第三十三条") || !strings.Contains(r.Text, "一个月") || !r.Configurable || r.Confidence != "old" {
		t.Fatalf("period rule %+v", r)
	}
	if DefaultPeriodDays != 30 || DefaultSettings().PeriodDays != 30 {
		t.Fatal("default period is 30 days")
	}
	if got, _ := PeriodDue("2026-01-31", 30); got != "2026-03-02" {
		t.Fatalf("due %s", got)
	}
	if _, err := PeriodDue("2026-01-31", 0); err == nil {
		t.Fatal("zero days accepted")
	}
}

// 人民调解法第三十一条 (supervise performance); 若干规定(2002)第三十六条
// (follow-up visit) — the time limit is local.
func TestFollowUpRule(t *testing.T) {
	r, _ := RuleByCode("follow_up")
	if !strings.Contains(r.Text, "回访") || !r.Configurable || r.Confidence != "verify" {
		t.Fatalf("follow-up rule %+v", r)
	}
	if p, _ := RuleByCode("performance"); !strings.Contains(p.Source, "第三十一条") {
		t.Fatalf("performance rule %+v", p)
	}
}

// 人民调解法第八条: three to nine members.
func TestCommitteeMembers(t *testing.T) {
	for n, ok := range map[int]bool{0: true, 2: false, 3: true, 9: true, 10: false, -1: false} {
		in := CommitteeInput{Level: "village", Members: n}
		if err := in.validate(); (err == nil) != ok {
			t.Errorf("%d members: %v", n, err)
		}
	}
	in := CommitteeInput{Level: "trade", Members: 5}
	wantField(t, in.validate(), "trade_kind")
	in = CommitteeInput{Level: "village", TradeKind: "medical"}
	wantField(t, in.validate(), "trade_kind")
}

// DOMAIN.md [local]: subsidy grades (e.g. 100 ordinary, 300–500 major),
// registered mediators only — shipped as defaults, validated on change.
func TestSettingsDefaultsAndValidation(t *testing.T) {
	d := DefaultSettings()
	if !d.RequireRegistered {
		t.Fatal("registered-only is the default")
	}
	amounts := map[string]int{}
	for _, g := range d.SubsidyGrades {
		amounts[g.Name] = g.Amount
	}
	if amounts["一般纠纷"] != 100 || amounts["较大纠纷"] != 300 || amounts["重大疑难纠纷"] != 500 {
		t.Fatalf("grades %v", amounts)
	}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		field string
		edit  func(*Settings)
	}{
		{KeyPeriodDays, func(s *Settings) { s.PeriodDays = 0 }},
		{KeyPeriodDays, func(s *Settings) { s.PeriodDays = 181 }},
		{KeyReminderDays, func(s *Settings) { s.ReminderDays = 30 }},
		{KeyReminderDays, func(s *Settings) { s.ReminderDays = -1 }},
		{KeyFollowUpDays, func(s *Settings) { s.FollowUpDays = 0 }},
		{"grade_0_name", func(s *Settings) { s.SubsidyGrades = nil }},
		{"grade_1_code", func(s *Settings) { s.SubsidyGrades[1].Code = s.SubsidyGrades[0].Code }},
		{"grade_0_code", func(s *Settings) { s.SubsidyGrades[0].Code = "一般" }},
		{"grade_2_amount", func(s *Settings) { s.SubsidyGrades[2].Amount = 0 }},
		{"grade_1_name", func(s *Settings) { s.SubsidyGrades[1].Name = " " }},
	}
	for _, c := range cases {
		s := DefaultSettings()
		c.edit(&s)
		wantField(t, s.Validate(), c.field)
	}
	s := DefaultSettings()
	s.apply(KeyPeriodDays, "45")
	s.apply(KeySubsidyGrades, `not json`)
	s.apply("unknown", "1")
	if s.PeriodDays != 45 || len(s.SubsidyGrades) != 3 {
		t.Fatalf("apply: %+v", s)
	}
	if g, ok := s.Grade("major"); !ok || g.Amount != 300 {
		t.Fatal("grade lookup")
	}
}
