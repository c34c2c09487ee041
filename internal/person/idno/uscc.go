package idno

import (
	"errors"
	"strings"
)

// Unified social credit code (统一社会信用代码), GB 32100-2015: 18 characters
// from a 31-character alphabet (no I, O, S, V, Z); positions 3–8 are the
// division code; the last is a MOD 31 check character.
const usccAlphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// GB 32100-2015 §4.4: weight of position i (1-based) is 3^(i-1) mod 31.
var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// USCCCheck returns the check character for the first 17 characters, or 0
// if body is not 17 characters of the alphabet.
func USCCCheck(body string) byte {
	if len(body) != 17 {
		return 0
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccAlphabet, body[i])
		if v < 0 {
			return 0
		}
		sum += v * usccWeights[i]
	}
	return usccAlphabet[(31-sum%31)%31]
}

// ParseUSCC normalizes and validates a unified social credit code.
func ParseUSCC(s string) (string, error) {
	n := Normalize(s)
	if len(n) != 18 {
		return "", errors.New("统一社会信用代码应为18位")
	}
	for i := 0; i < 18; i++ {
		if strings.IndexByte(usccAlphabet, n[i]) < 0 {
			return "", errors.New("统一社会信用代码含有无效字符(不使用I、O、S、V、Z)")
		}
	}
	if !digits(n[2:8]) {
		return "", errors.New("统一社会信用代码第3至8位应为行政区划代码")
	}
	if USCCCheck(n[:17]) != n[17] {
		return "", errors.New("统一社会信用代码校验位错误,请核对")
	}
	return n, nil
}
