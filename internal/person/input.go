package person

import (
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/org"
	"fengqiao/internal/person/idno"
)

// Input is what a user enters for a person. On Update an empty IDNumber or
// Phone, or one equal to the masked value shown, keeps the stored value;
// ClearIDNumber / ClearPhone remove it.
type Input struct {
	OrgID         int64
	Kind          Kind
	Name          string
	Sex           idno.Sex
	BirthDate     string
	DocType       idno.DocType // defaults to 居民身份证 when IDNumber is given
	IDNumber      string
	Phone         string
	Address       string
	CreditCode    string
	LegalRep      string
	ClearIDNumber bool
	ClearPhone    bool
}

// clean is a validated Input with the values to store.
type clean struct {
	Input
	doc   string // normalized document number
	phone string // normalized phone
}

func fe(field, msg string) error { return &org.FieldError{Field: field, Message: msg} }

func (in Input) validate(now time.Time) (clean, error) {
	c := clean{Input: in}
	c.Name = strings.TrimSpace(in.Name)
	c.Address = strings.TrimSpace(in.Address)
	c.LegalRep = strings.TrimSpace(in.LegalRep)
	c.BirthDate = strings.TrimSpace(in.BirthDate)
	switch {
	case c.Kind != Natural && c.Kind != Organization:
		return c, fe("kind", "请选择自然人或法人(其他组织)")
	case c.Name == "":
		return c, fe("name", "名称(姓名)必填")
	case utf8.RuneCountInString(c.Name) > 100:
		return c, fe("name", "名称(姓名)不能超过100字")
	case utf8.RuneCountInString(c.Address) > 200:
		return c, fe("address", "地址不能超过200字")
	case utf8.RuneCountInString(c.LegalRep) > 50:
		return c, fe("legal_rep", "法定代表人姓名不能超过50字")
	case c.Sex != "" && c.Sex != idno.Male && c.Sex != idno.Female:
		return c, fe("sex", "性别无效")
	}
	if c.BirthDate != "" {
		t, err := time.Parse("2006-01-02", c.BirthDate)
		if err != nil {
			return c, fe("birth_date", "出生日期应为YYYY-MM-DD格式的有效日期")
		}
		if t.After(now) {
			return c, fe("birth_date", "出生日期不能晚于今天")
		}
	}
	if strings.TrimSpace(in.Phone) != "" {
		p, err := idno.ParsePhone(in.Phone)
		if err != nil {
			return c, fe(FieldPhone, err.Error())
		}
		c.phone = p
	}
	if c.Kind == Organization {
		return c, c.validateOrganization()
	}
	return c, c.validateNatural(now)
}

func (c *clean) validateOrganization() error {
	if c.Sex != "" || c.BirthDate != "" {
		return fe("sex", "法人或其他组织不填性别和出生日期")
	}
	if strings.TrimSpace(c.IDNumber) != "" {
		return fe(FieldIDNumber, "法人或其他组织请填写统一社会信用代码,不填证件号码")
	}
	c.DocType = ""
	if strings.TrimSpace(c.CreditCode) != "" {
		cc, err := idno.ParseUSCC(c.CreditCode)
		if err != nil {
			return fe("credit_code", err.Error())
		}
		c.CreditCode = cc
	}
	return nil
}

func (c *clean) validateNatural(now time.Time) error {
	if strings.TrimSpace(c.CreditCode) != "" {
		return fe("credit_code", "自然人不填统一社会信用代码")
	}
	if c.LegalRep != "" {
		return fe("legal_rep", "自然人不填法定代表人")
	}
	if strings.TrimSpace(c.IDNumber) == "" {
		if c.DocType != "" && !idno.Valid(c.DocType) {
			return fe("doc_type", "证件类型无效")
		}
		c.DocType = ""
		return nil
	}
	if c.DocType == "" {
		c.DocType = idno.IDCard
	}
	if !idno.Valid(c.DocType) {
		return fe("doc_type", "证件类型无效")
	}
	d, err := idno.ParseAt(c.DocType, c.IDNumber, now)
	if err != nil {
		return fe(FieldIDNumber, err.Error())
	}
	c.doc = d.Number
	if d.Sex != "" {
		if c.Sex != "" && c.Sex != d.Sex {
			return fe("sex", "性别与证件号码不符(证件号码第17位奇数为男、偶数为女)")
		}
		c.Sex = d.Sex
	}
	if d.BirthDate != "" {
		if c.BirthDate != "" && c.BirthDate != d.BirthDate {
			return fe("birth_date", "出生日期与证件号码不符(证件号码中为"+d.BirthDate+")")
		}
		c.BirthDate = d.BirthDate
	}
	return nil
}
