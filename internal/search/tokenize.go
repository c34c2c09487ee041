package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// scopePrefix starts the reserved tokens naming an org of a document's
// path ("zzorg12"): they let the full-text index itself filter by scope.
// Words of the text that start with it are dropped, so text can never
// pose as an org.
const scopePrefix = "zzorg"

func reserved(w string) bool { return strings.HasPrefix(w, scopePrefix) }

// scopeToken is the token of org id.
func scopeToken(id string) string { return scopePrefix + id }

// maxWordRunes caps a Latin/digit token; longer runs are cut so a pasted
// blob cannot make a huge lexeme.
const maxWordRunes = 64

// Normalize folds full-width Latin letters and digits to ASCII and lowers
// case, so "ＡＢＣ１２" and "abc12" index and match alike.
func Normalize(s string) string {
	return strings.ToLower(width.Fold.String(s))
}

// isCJK reports runes written without spaces between words, which are
// indexed as unigrams and bigrams instead of words.
func isCJK(r rune) bool {
	return unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// run is a maximal stretch of CJK runes or of other letters/digits.
type run struct {
	text string
	cjk  bool
}

// runs splits normalized text into CJK runs and word runs; everything else
// (spaces, punctuation, symbols) separates.
func runs(s string) []run {
	var out []run
	start, cjk := -1, false
	flush := func(end int) {
		if start >= 0 {
			out = append(out, run{text: s[start:end], cjk: cjk})
			start = -1
		}
	}
	for i, r := range s {
		switch {
		case isCJK(r):
			if start >= 0 && !cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, true
			}
		case isWordRune(r):
			if start >= 0 && cjk {
				flush(i)
			}
			if start < 0 {
				start, cjk = i, false
			}
		default:
			flush(i)
		}
	}
	flush(len(s))
	return out
}

// sensitiveWord reports a Latin/digit token that looks like an ID number,
// phone or account number (seven or more digits). Callers must not pass
// such data at all; this is a second line of defence so it never becomes
// searchable.
func sensitiveWord(w string) bool {
	n := 0
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			n++
		}
	}
	return n >= 7
}

func word(w string) string {
	if utf8.RuneCountInString(w) <= maxWordRunes {
		return w
	}
	r := []rune(w)
	return string(r[:maxWordRunes])
}

// Tokenize returns the distinct index tokens of s in first-seen order: for a
// CJK run every single character and every overlapping pair ("协议离婚" →
// 协 议 离 婚 协议 议离 离婚); for other letters/digits the lowercased word.
func Tokenize(s string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	for _, r := range runs(Normalize(s)) {
		if !r.cjk {
			if !sensitiveWord(r.text) && !reserved(r.text) {
				add(word(r.text))
			}
			continue
		}
		rs := []rune(r.text)
		for i := range rs {
			add(string(rs[i]))
			if i+1 < len(rs) {
				add(string(rs[i : i+2]))
			}
		}
	}
	return out
}

// QueryTokens returns the tokens a document must all contain to match q: the
// bigrams of each CJK run (a lone CJK character: that unigram) and each
// word. terms are the normalized runs themselves, used for ranking.
func QueryTokens(q string) (tokens, terms []string) {
	seen, seenTerm := map[string]bool{}, map[string]bool{}
	add := func(t string) {
		if !seen[t] {
			seen[t] = true
			tokens = append(tokens, t)
		}
	}
	addTerm := func(t string) {
		if !seenTerm[t] {
			seenTerm[t] = true
			terms = append(terms, t)
		}
	}
	for _, r := range runs(Normalize(q)) {
		if !r.cjk {
			if sensitiveWord(r.text) || reserved(r.text) {
				continue
			}
			w := word(r.text)
			add(w)
			addTerm(w)
			continue
		}
		addTerm(r.text)
		rs := []rune(r.text)
		if len(rs) == 1 {
			add(r.text)
			continue
		}
		for i := 0; i+1 < len(rs); i++ {
			add(string(rs[i : i+2]))
		}
	}
	return tokens, terms
}
