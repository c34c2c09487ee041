package calendar

import (
	"fmt"
	"time"
)

// Date is a calendar day without a time or zone. Stored as TEXT
// 'YYYY-MM-DD' (String), which sorts in date order.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// D builds a Date; out-of-range parts normalise like time.Date.
func D(y int, m time.Month, d int) Date {
	return DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// DateOf is the calendar day of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// DateIn is the calendar day of t in loc.
func DateIn(t time.Time, loc *time.Location) Date { return DateOf(t.In(loc)) }

// ParseDate reads 'YYYY-MM-DD'.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("日期格式应为 YYYY-MM-DD：%q", s)
	}
	return DateOf(t), nil
}

// String is 'YYYY-MM-DD'.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// IsZero reports the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

func (d Date) utc() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays moves n calendar days (n may be negative).
func (d Date) AddDays(n int) Date { return DateOf(d.utc().AddDate(0, 0, n)) }

// Weekday of d.
func (d Date) Weekday() time.Weekday { return d.utc().Weekday() }

// Weekend reports Saturday or Sunday.
func (d Date) Weekend() bool { w := d.Weekday(); return w == time.Saturday || w == time.Sunday }

// Before reports d < e.
func (d Date) Before(e Date) bool { return d.utc().Before(e.utc()) }

// After reports d > e.
func (d Date) After(e Date) bool { return d.utc().After(e.utc()) }

// DaysUntil is the number of calendar days from d to e (negative if e is earlier).
func (d Date) DaysUntil(e Date) int { return int(e.utc().Sub(d.utc()) / (24 * time.Hour)) }

// Start is 00:00 of d in loc.
func (d Date) Start(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// End is the last moment of d in loc, 23:59:59.999 — the due moment of a
// deadline whose last day is d. Milliseconds, not nanoseconds, so the value
// survives every storage format unchanged.
func (d Date) End(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 23, 59, 59, 999_000_000, loc)
}
