package casework

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

var placeholderRe = regexp.MustCompile(`\{([a-z_]+)(?::(\d+))?\}`)

// checkPattern accepts a number pattern with known placeholders and
// exactly one {seq[:N]} (without it numbers would collide).
func checkPattern(p string) error {
	if p == "" {
		return fmt.Errorf("NumberPattern is required")
	}
	seqs := 0
	for _, m := range placeholderRe.FindAllStringSubmatch(p, -1) {
		switch m[1] {
		case "seq":
			seqs++
			if m[2] != "" {
				if n, _ := strconv.Atoi(m[2]); n < 1 || n > 12 {
					return fmt.Errorf("NumberPattern: {seq:N} needs N in 1..12")
				}
			}
		case "year", "org_short", "org_code", "type_abbr":
		default:
			return fmt.Errorf("NumberPattern: unknown placeholder {%s}", m[1])
		}
	}
	if seqs != 1 {
		return fmt.Errorf("NumberPattern: needs exactly one {seq} or {seq:N}")
	}
	return nil
}

// FormatNumber fills a number pattern. The year and sequence keep numbers
// unique within one org and type; {org_code} or {org_short} should tell
// orgs apart (a UNIQUE index on cases.number catches a pattern that does not).
func FormatNumber(pattern string, year int, orgShort, orgCode, typeAbbr string, seq int64) string {
	return placeholderRe.ReplaceAllStringFunc(pattern, func(s string) string {
		m := placeholderRe.FindStringSubmatch(s)
		switch m[1] {
		case "year":
			return strconv.Itoa(year)
		case "org_short":
			return orgShort
		case "org_code":
			return orgCode
		case "type_abbr":
			return typeAbbr
		case "seq":
			n := strconv.FormatInt(seq, 10)
			if w, _ := strconv.Atoi(m[2]); len(n) < w {
				n = strings.Repeat("0", w-len(n)) + n
			}
			return n
		}
		return s
	})
}

// nextSeq takes the next number of (org, type, year) inside tx. The upsert
// locks the counter row until tx ends, so concurrent creators queue, and a
// rolled-back creation rolls its increment back: no gaps, no duplicates.
func nextSeq(ctx context.Context, tx *store.Tx, orgID int64, typ string, year int) (int64, error) {
	var n int64
	err := tx.QueryRow(ctx, `INSERT INTO case_sequences (org_id, type, year, last_seq) VALUES (?, ?, ?, 1)
		ON CONFLICT (org_id, type, year) DO UPDATE SET last_seq = case_sequences.last_seq + 1
		RETURNING last_seq`, orgID, typ, year).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("case number sequence: %w", err)
	}
	return n, nil
}

func orgShort(o org.Org) string {
	if o.ShortName != "" {
		return o.ShortName
	}
	return o.Name
}
