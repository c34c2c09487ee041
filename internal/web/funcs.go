package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"
	_ "time/tzdata" // Asia/Shanghai must resolve on servers without a zoneinfo database
)

// Shanghai is the zone dates are shown in.
var Shanghai = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// asTime accepts time.Time, *time.Time; zero and nil give ok=false.
func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t != nil {
			return *t, !t.IsZero()
		}
	}
	return time.Time{}, false
}

// FormatDate shows v as 2006-01-02 in Asia/Shanghai; a string (a calendar date) is shown as is.
func FormatDate(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	if t, ok := asTime(v); ok {
		return t.In(Shanghai).Format(time.DateOnly)
	}
	return ""
}

// FormatDateTime shows v as 2006-01-02 15:04 in Asia/Shanghai.
func FormatDateTime(v any) string {
	if t, ok := asTime(v); ok {
		return t.In(Shanghai).Format("2006-01-02 15:04")
	}
	return ""
}

func funcs(st staticSet) template.FuncMap {
	return template.FuncMap{
		"static":   st.url,
		"date":     FormatDate,
		"datetime": FormatDateTime,
		"add":      func(a, b int) int { return a + b },
		// seq a b gives a, a+1, ..., b (empty when b < a).
		"seq": func(a, b int) []int {
			var s []int
			for i := a; i <= b; i++ {
				s = append(s, i)
			}
			return s
		},
		// dict "k1" v1 "k2" v2 builds a map for sub-templates.
		"dict": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, fmt.Errorf("dict: odd number of arguments")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"list": func(v ...any) []any { return v },
		"join": strings.Join,
		// opt "value" "label" builds a select option for _field.html.
		"opt": func(value, label string) Option { return Option{Value: value, Label: label} },
	}
}

// Option is a choice of a select field rendered by _field.html.
type Option struct{ Value, Label string }
