// Package leakscan looks for personal identity data left in clear in bytes
// (database files, exports, logs, HTML): check-digit-valid 18-character ID
// numbers and 11-digit mainland mobile numbers. Masked values (with '*')
// are not digit runs of the right length and so are not reported.
package leakscan

import "fengqiao/internal/person/idno"

// Kind of finding.
const (
	IDNumber = "id_number"
	Phone    = "phone"
)

// Finding is one value found in clear. Masked is the value masked, so that
// a report of leaks does not itself leak.
type Finding struct {
	Kind   string
	Offset int
	Masked string
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Scan returns every clear ID number and mobile number in b, in order.
// A candidate must be a whole digit run: a longer run of digits (an order
// number, a timestamp) is not split into candidates.
func Scan(b []byte) []Finding {
	var out []Finding
	for i := 0; i < len(b); {
		if !isDigit(b[i]) {
			i++
			continue
		}
		j := i
		for j < len(b) && isDigit(b[j]) {
			j++
		}
		run := j - i
		// Digits glued to ASCII letters are part of a longer token (a hex
		// request id, a hash), not a number a person would write.
		if (i > 0 && isLetter(b[i-1])) || (j < len(b) && isLetter(b[j]) && b[j] != 'X' && b[j] != 'x') {
			i = j
			continue
		}
		switch {
		case run == 18 || (run == 17 && j < len(b) && (b[j] == 'X' || b[j] == 'x') && (j+1 == len(b) || !isDigit(b[j+1]))):
			end := i + 18
			s := string(b[i:end])
			if d, err := idno.Parse(idno.IDCard, s); err == nil {
				out = append(out, Finding{Kind: IDNumber, Offset: i, Masked: idno.MaskID(d.Number)})
			}
			j = end
		case run == 11 && idno.IsMobile(string(b[i:j])):
			out = append(out, Finding{Kind: Phone, Offset: i, Masked: idno.MaskPhone(string(b[i:j]))})
		}
		i = j
	}
	return out
}

func isLetter(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
