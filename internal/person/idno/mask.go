package idno

import "strings"

// MaskID shows the first 6 and last 4 characters of an 18-character number:
// 110105********002X. Other lengths fall back to MaskGeneric.
func MaskID(n string) string {
	if len(n) != 18 {
		return MaskGeneric(n)
	}
	return n[:6] + strings.Repeat("*", 8) + n[14:]
}

// MaskPhone shows the first 3 and last 4 digits: 138****5678.
func MaskPhone(n string) string {
	if len(n) < 8 {
		return MaskGeneric(n)
	}
	return n[:3] + strings.Repeat("*", len(n)-7) + n[len(n)-4:]
}

// MaskGeneric keeps at most a quarter of the characters visible, split
// between both ends; very short values are fully starred.
func MaskGeneric(n string) string {
	r := []rune(n)
	if len(r) <= 3 {
		return strings.Repeat("*", len(r))
	}
	keep := len(r) / 4
	if keep < 1 {
		keep = 1
	}
	head := (keep + 1) / 2
	tail := keep - head
	if tail == 0 {
		tail, head = 1, max(0, keep-1)
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}

// Mask masks a normalized document number of type t for display.
func Mask(t DocType, n string) string {
	switch t {
	case IDCard, ResidenceHMT, ForeignPermanent:
		return MaskID(n)
	}
	return MaskGeneric(n)
}
