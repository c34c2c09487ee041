package store

import (
	"fmt"
	"time"
)

// Time scans a nullable timestamp whichever way the engine delivers it:
// time.Time for typed columns, or text on SQLite for expressions that carry
// no declared type (MIN(), CASE …). The zero Time means NULL.
type Time struct{ T time.Time }

// Scan implements sql.Scanner.
func (t *Time) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		t.T = time.Time{}
	case time.Time:
		t.T = x
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	default:
		return fmt.Errorf("store: cannot scan %T as time", v)
	}
	return nil
}

func (t *Time) parse(s string) error {
	for _, layout := range []string{TimeLayout, time.RFC3339Nano, "2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05"} {
		if v, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			t.T = v
			return nil
		}
	}
	return fmt.Errorf("store: cannot parse time %q", s)
}
