package auth

import (
	_ "embed"
	"strings"
	"sync"
)

// common-passwords.txt lists passwords seen most in public leak studies
// (including the Chinese favourites that pass composition rules, such as
// Aa123456 and Admin@123). Compared case-insensitively.
//
//go:embed common-passwords.txt
var commonList string

var (
	commonOnce sync.Once
	commonSet  map[string]bool
)

func isCommonPassword(lower string) bool {
	commonOnce.Do(func() {
		commonSet = map[string]bool{}
		for _, l := range strings.Split(commonList, "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
				commonSet[strings.ToLower(l)] = true
			}
		}
	})
	return commonSet[lower]
}
