package idno

import (
	"strings"
	"testing"
	"time"
)

var today = time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)

// The two worked examples of GB 11643-1999 (appendix) and variants.
func TestParseIDCard(t *testing.T) {
	cases := []struct {
		in, number, birth string
		sex               Sex
		converted         bool
		ok                bool
		why               string
	}{
		{"11010519491231002X", "11010519491231002X", "1949-12-31", Female, false, true, "GB 11643-1999 example 1: 002 even → female, check X"},
		{"440524188001010014", "440524188001010014", "1880-01-01", Male, false, true, "GB 11643-1999 example 2: 001 odd → male"},
		{"11010519491231002x", "11010519491231002X", "1949-12-31", Female, false, true, "lower-case x normalized"},
		{"１１０１０５１９４９１２３１００２Ｘ", "11010519491231002X", "1949-12-31", Female, false, true, "full-width input folded"},
		{" 110105 19491231 002X ", "11010519491231002X", "1949-12-31", Female, false, true, "spaces dropped"},
		{"110105491231002", "11010519491231002X", "1949-12-31", Female, true, true, "15-digit: insert 19, compute check (GB 11643-1999 §4 conversion)"},
		{"110105194912310021", "", "", "", false, false, "wrong check digit"},
		{"11010519491231002", "", "", "", false, false, "17 digits"},
		{"11010519490231002X", "", "", "", false, false, "February 31st"},
		{"000000194912310020", "", "", "", false, false, "division 00"},
		{"1101051949123100XX", "", "", "", false, false, "X not last"},
		{"110105203001010011", "", "", "", false, false, "born in the future"},
		{"", "", "", "", false, false, "empty"},
	}
	for _, c := range cases {
		d, err := ParseAt(IDCard, c.in, today)
		if (err == nil) != c.ok {
			t.Errorf("%s (%q): err=%v, want ok=%v", c.why, c.in, err, c.ok)
			continue
		}
		if !c.ok {
			continue
		}
		if d.Number != c.number || d.BirthDate != c.birth || d.Sex != c.sex || d.Converted != c.converted || d.Division != c.number[:6] {
			t.Errorf("%s: got %+v", c.why, d)
		}
	}
}

func TestCheckDigitAllResidues(t *testing.T) {
	// Every residue maps to the table in GB 11643-1999 §5.1.2.
	seen := map[byte]bool{}
	for i := 0; i < 2000; i++ {
		body := "1101051990010" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)
		seen[CheckDigit(body)] = true
	}
	for _, c := range "0123456789X" {
		if !seen[byte(c)] {
			t.Errorf("check character %c never produced", c)
		}
	}
	if CheckDigit("abc") != 0 {
		t.Error("bad body must give 0")
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	s := ""
	for ; i > 0; i /= 10 {
		s = string(rune('0'+i%10)) + s
	}
	return s
}

func TestOtherDocuments(t *testing.T) {
	cases := []struct {
		t    DocType
		in   string
		ok   bool
		sex  Sex
		date string
	}{
		{PassportCN, "E12345678", true, "", ""},
		{PassportCN, "G12345678", true, "", ""},
		{PassportCN, "EA1234567", true, "", ""},
		{PassportCN, "EI1234567", false, "", ""},
		{PassportCN, "X12345678", false, "", ""},
		{PassportCN, "E1234567", false, "", ""},
		{PassportForeign, "C01X00T47", true, "", ""},
		{PassportForeign, "1234", false, "", ""},
		{PassportForeign, "AB-12345", false, "", ""},
		{PermitHKMacao, "H12345678", true, "", ""},
		{PermitHKMacao, "M1234567890", true, "", ""},
		{PermitHKMacao, "H123456789", false, "", ""},
		{PermitHKMacao, "K12345678", false, "", ""},
		{PermitTaiwan, "12345678", true, "", ""},
		{PermitTaiwan, "1234567A", false, "", ""},
		{ResidenceHMT, "810000199001011230", true, Male, "1990-01-01"},
		{ResidenceHMT, "810000199001011234", false, "", ""},
		{ResidenceHMT, "110105194912310021", false, "", ""},
		{ForeignPermanent, "USA330870101001", true, "", ""},
		{ForeignPermanent, "US1330870101001", false, "", ""},
		{ForeignPermanent, "933156198503150014", true, Male, "1985-03-15"},
		{ForeignPermanent, "933156198503150015", false, "", ""},
		{ForeignPermanent, "833156198503150014", false, "", ""},
		{"bogus", "12345678", false, "", ""},
	}
	for _, c := range cases {
		d, err := ParseAt(c.t, c.in, today)
		if (err == nil) != c.ok {
			t.Errorf("%s %q: err=%v, want ok=%v", c.t, c.in, err, c.ok)
			continue
		}
		if c.ok && (d.Sex != c.sex || d.BirthDate != c.date || d.Type != c.t) {
			t.Errorf("%s %q: got %+v", c.t, c.in, d)
		}
	}
}

func TestDetect(t *testing.T) {
	ds := Detect("11010519491231002X")
	if len(ds) == 0 || ds[0].Type != IDCard {
		t.Fatalf("Detect of an ID number: %+v", ds)
	}
	if len(Detect("不是号码")) != 0 {
		t.Fatal("Detect of text must find nothing")
	}
}

func TestUSCC(t *testing.T) {
	// GB 32100-2015 example code.
	if n, err := ParseUSCC("91350100m000100y43"); err != nil || n != "91350100M000100Y43" {
		t.Fatalf("standard example: %q %v", n, err)
	}
	for _, bad := range []string{"91350100M000100Y44", "91350100M000100Y4", "9135010OM000100Y43", "91AB0100M000100Y43"} {
		if _, err := ParseUSCC(bad); err == nil {
			t.Errorf("%q must be rejected", bad)
		}
	}
}

func TestParsePhone(t *testing.T) {
	cases := map[string]string{
		"13812345678":       "13812345678",
		"+86 138 1234 5678": "13812345678",
		"0086-13812345678":  "13812345678",
		"010-12345678":      "01012345678",
		"0812-3334444":      "08123334444",
		"+852 91234567":     "+85291234567",
		"12812345678":       "",
		"12345":             "",
		"138123456789":      "",
	}
	for in, want := range cases {
		got, err := ParsePhone(in)
		if want == "" {
			if err == nil {
				t.Errorf("%q must be rejected, got %q", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: got %q %v, want %q", in, got, err, want)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := MaskID("11010519491231002X"); got != "110105********002X" {
		t.Errorf("MaskID: %s", got)
	}
	if got := MaskPhone("13812345678"); got != "138****5678" {
		t.Errorf("MaskPhone: %s", got)
	}
	if got := Mask(PassportCN, "E12345678"); got != "E*******8" {
		t.Errorf("passport mask: %s", got)
	}
	if got := MaskGeneric("abc"); got != "***" {
		t.Errorf("short mask: %s", got)
	}
	for _, n := range []string{"E12345678", "H1234567890", "USA330870101001", "12345678"} {
		m := MaskGeneric(n)
		if len(m) != len(n) || strings.Count(m, "*") < len(n)*3/4 {
			t.Errorf("generic mask of %s reveals too much: %s", n, m)
		}
	}
}
