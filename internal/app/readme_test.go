package app

import (
	"os"
	"strings"
	"testing"
)

// The README's configuration table must name every setting.
func TestReadmeListsEverySetting(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range Settings() {
		if !strings.Contains(string(b), "`"+s[0]+"`") || !strings.Contains(string(b), "`"+s[1]+"`") {
			t.Errorf("README does not list %s / %s", s[0], s[1])
		}
	}
}
