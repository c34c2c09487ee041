package idno

import (
	"errors"
	"strings"
)

// ParsePhone normalizes a phone number to digits (an international number
// keeps its leading "+"): mainland mobiles 1[3-9]xxxxxxxxx, landlines with
// area code 0xx(x), or +<country><number>. "+86"/"0086" are dropped.
func ParsePhone(s string) (string, error) {
	n := Normalize(s)
	n = strings.NewReplacer("-", "", "(", "", ")", "", ".", "").Replace(n)
	switch {
	case strings.HasPrefix(n, "+86"):
		n = n[3:]
	case strings.HasPrefix(n, "0086"):
		n = n[4:]
	}
	switch {
	case IsMobile(n):
		return n, nil
	case len(n) >= 10 && len(n) <= 12 && n[0] == '0' && n[1] != '0' && digits(n):
		return n, nil
	case len(n) >= 8 && len(n) <= 16 && n[0] == '+' && digits(n[1:]):
		return n, nil
	}
	return "", errors.New("电话号码格式不正确:请填写11位手机号、带区号的固定电话或+国家代码的境外号码")
}

// IsMobile reports whether n is an 11-digit mainland mobile number.
func IsMobile(n string) bool {
	return len(n) == 11 && n[0] == '1' && n[1] >= '3' && n[1] <= '9' && digits(n)
}
