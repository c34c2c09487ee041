package docs

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Ready-made ColumnSpec.Parse functions. Each returns a Chinese reason the
// preview shows next to the cell.

// Text accepts up to max characters and returns the string.
func Text(max int) func(string) (any, error) {
	return func(s string) (any, error) {
		if n := utf8.RuneCountInString(s); n > max {
			return nil, fmt.Errorf("最多 %d 个字，实际 %d 个字", max, n)
		}
		return s, nil
	}
}

// Int accepts a whole number in [min, max] (full-width digits too; "12.0"
// as Excel stores numbers) and returns int64.
func Int(min, max int64) func(string) (any, error) {
	return func(s string) (any, error) {
		s = strings.TrimSuffix(width.Fold.String(s), ".0")
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, errors.New("应为整数")
		}
		if n < min || n > max {
			return nil, fmt.Errorf("应在 %d 到 %d 之间", min, max)
		}
		return n, nil
	}
}

var dateRe = regexp.MustCompile(`^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$`)

// excelEpoch is day 0 of Excel's 1900 date system (after its 1900 leap-year bug).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// Date accepts 2024-03-05, 2024/3/5, 2024.3.5, 2024年3月5日, 20240305 or an
// Excel date serial (what a date-formatted cell holds) and returns the
// calendar date as "YYYY-MM-DD" text, the form dates are stored in.
func Date(s string) (any, error) {
	s = width.Fold.String(s)
	var y, m, d int
	if g := dateRe.FindStringSubmatch(s); g != nil {
		y, _ = strconv.Atoi(g[1])
		m, _ = strconv.Atoi(g[2])
		d, _ = strconv.Atoi(g[3])
	} else if len(s) == 8 && allDigits(s) {
		y, _ = strconv.Atoi(s[:4])
		m, _ = strconv.Atoi(s[4:6])
		d, _ = strconv.Atoi(s[6:])
	} else if f, err := strconv.ParseFloat(s, 64); err == nil && f >= 1 && f < 2958466 {
		t := excelEpoch.AddDate(0, 0, int(f))
		return t.Format("2006-01-02"), nil
	} else {
		return nil, errors.New("日期格式应为 2024-03-05")
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if y < 1900 || y > 2200 || t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return nil, errors.New("不是有效日期")
	}
	return t.Format("2006-01-02"), nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// Bool accepts 是/否, Y/N, true/false, 1/0 and returns bool.
func Bool(s string) (any, error) {
	switch strings.ToLower(width.Fold.String(s)) {
	case "是", "y", "yes", "true", "1", "√":
		return true, nil
	case "否", "n", "no", "false", "0", "×":
		return false, nil
	}
	return nil, errors.New("应填“是”或“否”")
}

// Enum accepts one of the labels in options (label → stored code) and
// returns the code; the reason lists the allowed labels in order.
func Enum(labels []string, codes []string) func(string) (any, error) {
	if len(labels) != len(codes) {
		panic("docs.Enum: labels and codes differ in length")
	}
	m := make(map[string]string, len(labels))
	for i, l := range labels {
		m[l] = codes[i]
	}
	reason := "应为以下之一：" + strings.Join(labels, "、")
	return func(s string) (any, error) {
		if c, ok := m[s]; ok {
			return c, nil
		}
		return nil, errors.New(reason)
	}
}
