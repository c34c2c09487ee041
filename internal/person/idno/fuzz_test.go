package idno

import (
	"testing"
	"unicode/utf8"
)

// FuzzParse: no input panics, and an accepted number re-parses to itself
// and masks without revealing more than its visible ends.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"11010519491231002X", "110105491231002", "E12345678", "H1234567890", "USA330870101001", "933156198503150014", "", "ＸＸ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, dt := range DocTypes {
			d, err := ParseAt(dt.Type, s, today)
			if err != nil {
				continue
			}
			again, err := ParseAt(dt.Type, d.Number, today)
			if err != nil || again.Number != d.Number {
				t.Fatalf("%s %q: normalized %q does not re-parse: %v", dt.Type, s, d.Number, err)
			}
			if m := Mask(dt.Type, d.Number); m == d.Number {
				t.Fatalf("%s %q: mask reveals the number", dt.Type, s)
			}
		}
		if p, err := ParsePhone(s); err == nil && MaskPhone(p) == p {
			t.Fatalf("phone %q unmasked", s)
		}
		_, _ = ParseUSCC(s)
		if !utf8.ValidString(MaskGeneric(s)) && utf8.ValidString(s) {
			t.Fatalf("mask of valid UTF-8 %q is invalid", s)
		}
	})
}
