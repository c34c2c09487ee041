package leakscan

import (
	"math/rand/v2"
	"strings"
	"testing"

	"fengqiao/internal/person/idno"
)

func TestTruePositives(t *testing.T) {
	in := []byte(`{"name":"张三","id":"11010519491231002X","tel":"13812345678"} 440524188001010014,x; 电话15900001111。id 11010519491231002x`)
	got := Scan(in)
	want := []Finding{
		{IDNumber, strings.Index(string(in), "11010519491231002X"), "110105********002X"},
		{Phone, strings.Index(string(in), "13812345678"), "138****5678"},
		{IDNumber, strings.Index(string(in), "440524188001010014"), "440524********0014"},
		{Phone, strings.Index(string(in), "15900001111"), "159****1111"},
		{IDNumber, strings.Index(string(in), "11010519491231002x"), "110105********002X"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d findings %+v, want %d", len(got), got, len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("finding %d: got %+v want %+v", i, got[i], want[i])
		}
	}
}

func TestMaskedIgnored(t *testing.T) {
	in := []byte("110105********002X 138****5678 5101**********123X " + idno.MaskID("440524188001010014"))
	if f := Scan(in); len(f) != 0 {
		t.Fatalf("masked values reported: %+v", f)
	}
}

func TestLongerRunsAndOtherNumbersIgnored(t *testing.T) {
	in := []byte("1381234567890 011010519491231002X0 12812345678 2026112315304500")
	if f := Scan(in); len(f) != 0 {
		t.Fatalf("non-candidates reported: %+v", f)
	}
}

func TestRandomBadCheckDigitsIgnored(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var b strings.Builder
	n := 0
	for n < 500 {
		var s [18]byte
		for i := range s {
			s[i] = byte('0' + r.IntN(10))
		}
		if idno.ValidCheckDigit(string(s[:])) {
			continue
		}
		// Keep a plausible division and birth date so only the check digit fails.
		copy(s[:14], "11010519900101")
		if idno.ValidCheckDigit(string(s[:])) {
			continue
		}
		b.Write(s[:])
		b.WriteByte(' ')
		n++
	}
	if f := Scan([]byte(b.String())); len(f) != 0 {
		t.Fatalf("%d false positives, first %+v", len(f), f[0])
	}
}

func TestDigitsInsideTokensIgnored(t *testing.T) {
	for _, s := range []string{"X-Request-Id: 9edcd11571f369a0eb01", "a16627222722b", "sha=ab13812345678cd"} {
		if f := Scan([]byte(s)); len(f) != 0 {
			t.Errorf("%q: %v", s, f)
		}
	}
	if f := Scan([]byte("电话13812345678。")); len(f) != 1 {
		t.Errorf("a number next to Chinese text must still be found: %v", f)
	}
}
