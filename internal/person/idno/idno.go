// Package idno validates identity document numbers (身份证号 and the other
// documents a party may hold), derives what the number encodes, and masks
// numbers for display. It is pure: no I/O, no global state.
package idno

import (
	"errors"
	"strings"
	"time"
)

// DocType names a kind of identity document.
type DocType string

const (
	IDCard           DocType = "id_card"           // 居民身份证 (GB 11643-1999)
	ResidenceHMT     DocType = "hmt_residence"     // 港澳台居民居住证
	PassportCN       DocType = "passport"          // 中华人民共和国护照
	PassportForeign  DocType = "foreign_passport"  // 外国护照
	PermitHKMacao    DocType = "hk_macao_permit"   // 港澳居民来往内地通行证
	PermitTaiwan     DocType = "taiwan_permit"     // 台湾居民来往大陆通行证
	ForeignPermanent DocType = "foreign_permanent" // 外国人永久居留身份证
)

// DocTypes lists the document types in display order with Chinese names.
var DocTypes = []struct {
	Type DocType
	Name string
}{
	{IDCard, "居民身份证"}, {ResidenceHMT, "港澳台居民居住证"}, {PassportCN, "中国护照"},
	{PassportForeign, "外国护照"}, {PermitHKMacao, "港澳居民来往内地通行证"},
	{PermitTaiwan, "台湾居民来往大陆通行证"}, {ForeignPermanent, "外国人永久居留身份证"},
}

// TypeName returns the Chinese name of t ("" if unknown).
func TypeName(t DocType) string {
	for _, d := range DocTypes {
		if d.Type == t {
			return d.Name
		}
	}
	return ""
}

// Valid reports whether t is a known document type.
func Valid(t DocType) bool { return TypeName(t) != "" }

// Sex as encoded in a number: "M", "F" or "" when the document does not say.
type Sex string

const (
	Male   Sex = "M"
	Female Sex = "F"
)

// Doc is a parsed document number.
type Doc struct {
	Type      DocType
	Number    string // normalized: ASCII, upper case, no spaces; 15-digit IDs converted to 18
	BirthDate string // YYYY-MM-DD when the number encodes it
	Sex       Sex    // when the number encodes it
	Division  string // 6-digit division code (ID card, residence permit)
	Converted bool   // the input was an old 15-digit ID number
}

// Normalize folds full-width characters to ASCII, drops spaces and
// upper-cases, so that "１１０１０５…ｘ" and "110105…X" are the same number.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII block
			r -= 0xFEE0
		case r == 0x3000: // ideographic space
			r = ' '
		}
		if r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Parse validates s as a document of type t, judging birth dates against
// the current time.
func Parse(t DocType, s string) (Doc, error) { return ParseAt(t, s, time.Now()) }

// ParseAt is Parse with an explicit "now" (tests, imports of old records).
func ParseAt(t DocType, s string, now time.Time) (Doc, error) {
	n := Normalize(s)
	if n == "" {
		return Doc{}, errors.New("证件号码不能为空")
	}
	if len(n) > 40 {
		return Doc{}, errors.New("证件号码过长")
	}
	d := Doc{Type: t, Number: n}
	var err error
	switch t {
	case IDCard:
		return parseIDCard(n, now)
	case ResidenceHMT:
		return parseResidenceHMT(n, now)
	case PassportCN:
		if !passportCN(n) {
			err = errors.New("中国护照号码应为E或G加8位数字(如E12345678),或E加1位字母和7位数字")
		}
	case PassportForeign:
		if !alnum(n, 5, 17) {
			err = errors.New("外国护照号码应为5至17位字母或数字")
		}
	case PermitHKMacao:
		if !(len(n) == 9 || len(n) == 11) || (n[0] != 'H' && n[0] != 'M') || !digits(n[1:]) {
			err = errors.New("港澳居民来往内地通行证号码应为H或M加8位或10位数字")
		}
	case PermitTaiwan:
		if len(n) != 8 || !digits(n) {
			err = errors.New("台湾居民来往大陆通行证号码应为8位数字")
		}
	case ForeignPermanent:
		return parseForeignPermanent(n, now)
	default:
		err = errors.New("证件类型无效")
	}
	if err != nil {
		return Doc{}, err
	}
	return d, nil
}

func passportCN(n string) bool {
	if len(n) != 9 || (n[0] != 'E' && n[0] != 'G') {
		return false
	}
	if digits(n[1:]) {
		return true
	}
	// Electronic passports since 2017: E, one letter (not I or O), 7 digits.
	c := n[1]
	return n[0] == 'E' && c >= 'A' && c <= 'Z' && c != 'I' && c != 'O' && digits(n[2:])
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func letters(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}

func alnum(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// GB 11643-1999 §5.1: weight of position i (1-based, i = 1..17) is
// 2^(18-i) mod 11.
var weights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// CheckDigit computes the ISO 7064 MOD 11-2 check character of the first
// 17 digits (GB 11643-1999 §5.1). It returns 0 if body is not 17 digits.
func CheckDigit(body string) byte {
	if len(body) != 17 || !digits(body) {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(body[i]-'0') * weights[i]
	}
	return "10X98765432"[sum%11]
}

// ValidCheckDigit reports whether an 18-character number carries a correct
// MOD 11-2 check character.
func ValidCheckDigit(n string) bool {
	return len(n) == 18 && CheckDigit(n[:17]) == n[17]
}

// Mainland province-level prefixes of GB/T 2260 (71 is Taiwan).
var provinces = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true, "21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true, "71": true,
}

// ConvertOld turns a 15-digit number (issued before 1999, birth year without
// century) into the 18-digit form: "19" inserted before the year and the
// check digit appended.
func ConvertOld(n string) (string, error) {
	if len(n) != 15 || !digits(n) {
		return "", errors.New("15位身份证号码应全部为数字")
	}
	body := n[:6] + "19" + n[6:]
	return body + string(CheckDigit(body)), nil
}

func parseIDCard(n string, now time.Time) (Doc, error) {
	d := Doc{Type: IDCard}
	if len(n) == 15 {
		c, err := ConvertOld(n)
		if err != nil {
			return Doc{}, err
		}
		n, d.Converted = c, true
	}
	if len(n) != 18 {
		return Doc{}, errors.New("身份证号码应为18位(或旧式15位)")
	}
	if !digits(n[:17]) || !(digits(n[17:]) || n[17] == 'X') {
		return Doc{}, errors.New("身份证号码前17位应为数字,最后一位为数字或X")
	}
	if !provinces[n[:2]] {
		return Doc{}, errors.New("身份证号码前6位不是有效的行政区划代码")
	}
	if err := fillBody(&d, n, now); err != nil {
		return Doc{}, err
	}
	if !ValidCheckDigit(n) {
		return Doc{}, errors.New("身份证号码校验位错误,请核对")
	}
	return d, nil
}

// fillBody checks and records the 6-digit division, 8-digit birth date and
// sequence (odd 17th digit = male) shared by the 18-character layouts.
func fillBody(d *Doc, n string, now time.Time) error {
	bd, err := birthDate(n[6:14], now)
	if err != nil {
		return err
	}
	d.Number, d.Division, d.BirthDate = n, n[:6], bd
	if (n[16]-'0')%2 == 1 {
		d.Sex = Male
	} else {
		d.Sex = Female
	}
	return nil
}

// birthDate checks YYYYMMDD is a real calendar date, not in the future and
// not before 1800 (the GB 11643 example is born in 1880).
func birthDate(s string, now time.Time) (string, error) {
	t, err := time.Parse("20060102", s)
	if err != nil || t.Format("20060102") != s {
		return "", errors.New("证件号码中的出生日期不是有效日期")
	}
	if t.Year() < 1800 {
		return "", errors.New("证件号码中的出生日期早于1800年")
	}
	y, m, dd := now.Date()
	if t.After(time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)) {
		return "", errors.New("证件号码中的出生日期晚于今天")
	}
	return t.Format("2006-01-02"), nil
}

func parseResidenceHMT(n string, now time.Time) (Doc, error) {
	if len(n) != 18 || !(strings.HasPrefix(n, "810000") || strings.HasPrefix(n, "820000") || strings.HasPrefix(n, "830000")) {
		return Doc{}, errors.New("港澳台居民居住证号码应为18位,以810000(香港)、820000(澳门)或830000(台湾)开头")
	}
	if !digits(n[:17]) || !(digits(n[17:]) || n[17] == 'X') {
		return Doc{}, errors.New("居住证号码前17位应为数字,最后一位为数字或X")
	}
	d := Doc{Type: ResidenceHMT}
	if err := fillBody(&d, n, now); err != nil {
		return Doc{}, err
	}
	if !ValidCheckDigit(n) {
		return Doc{}, errors.New("居住证号码校验位错误,请核对")
	}
	return d, nil
}

// parseForeignPermanent accepts the 2004 card (3-letter nationality code +
// 12 digits) and the 2023 card (18 characters: "9", province, nationality
// number, birth date, sequence, MOD 11-2 check character).
func parseForeignPermanent(n string, now time.Time) (Doc, error) {
	d := Doc{Type: ForeignPermanent, Number: n}
	switch len(n) {
	case 15:
		if !letters(n[:3]) || !digits(n[3:]) {
			return Doc{}, errors.New("旧版外国人永久居留证号码应为3位字母加12位数字")
		}
		return d, nil
	case 18:
		if n[0] != '9' || !digits(n[:17]) || !(digits(n[17:]) || n[17] == 'X') {
			return Doc{}, errors.New("新版外国人永久居留身份证号码应为以9开头的18位号码")
		}
		if err := fillBody(&d, n, now); err != nil {
			return Doc{}, err
		}
		d.Division = "" // positions 2–6 are province and nationality, not a division
		if !ValidCheckDigit(n) {
			return Doc{}, errors.New("外国人永久居留身份证号码校验位错误,请核对")
		}
		return d, nil
	}
	return Doc{}, errors.New("外国人永久居留身份证号码应为15位(旧版)或18位(新版)")
}

// Detect returns the document types under which s is valid, ID card first
// (search boxes accept any number without asking its type).
func Detect(s string) []Doc {
	var out []Doc
	for _, t := range DocTypes {
		if d, err := Parse(t.Type, s); err == nil {
			out = append(out, d)
		}
	}
	return out
}
