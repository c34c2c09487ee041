// Package calendar knows which days are working days in China and computes
// legal deadlines from them.
//
// Working days come from one file per year (data/cn-YYYY.json, format in
// data/README.md) copied from the State Council's annual holiday notice:
// the days off of each holiday period and the weekend days that are worked
// instead (调休). 2025 and 2026 are embedded; a deployment adds later years
// in custom/calendar/ without a rebuild (Load). A year without a file falls
// back to "Saturday and Sunday are rest days" and Covered reports false.
package calendar

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	_ "time/tzdata" // Asia/Shanghai must resolve even on hosts without zoneinfo
)

//go:embed data/*.json
var embedded embed.FS

// DefaultZone is the time zone of deadlines when an org sets none.
const DefaultZone = "Asia/Shanghai"

// Location resolves an org's time zone name; "" means DefaultZone.
func Location(name string) (*time.Location, error) {
	if name == "" {
		name = DefaultZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("timezone: 未知时区 %q", name)
	}
	return loc, nil
}

// YearFile is the on-disk form of one year's arrangement.
type YearFile struct {
	Year     int      `json:"year"`
	Region   string   `json:"region,omitempty"`
	Source   string   `json:"source"`
	Verified string   `json:"verified,omitempty"`
	Holidays []string `json:"holidays"`
	Workdays []string `json:"workdays"`
}

type year struct {
	file     YearFile
	holidays map[Date]bool
	workdays map[Date]bool
}

// Calendar answers working-day questions. It is immutable after Load and
// safe for concurrent use.
type Calendar struct {
	years map[int]*year
}

// ParseYear reads and checks one year file; errors name the field.
func ParseYear(data []byte) (YearFile, error) {
	var f YearFile
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return f, fmt.Errorf("节假日文件格式错误：%w", err)
	}
	_, err := compile(f)
	return f, err
}

func compile(f YearFile) (*year, error) {
	if f.Year < 1949 || f.Year > 2200 {
		return nil, fmt.Errorf("year: 年份无效 %d", f.Year)
	}
	if strings.TrimSpace(f.Source) == "" {
		return nil, fmt.Errorf("source: %d年文件须注明国务院办公厅通知的标题和文号", f.Year)
	}
	y := &year{file: f, holidays: map[Date]bool{}, workdays: map[Date]bool{}}
	for i, s := range f.Holidays {
		d, err := ParseDate(s)
		if err != nil {
			return nil, fmt.Errorf("holidays[%d]: %v", i, err)
		}
		if d.Year != f.Year {
			return nil, fmt.Errorf("holidays[%d]: %s 不属于 %d 年", i, s, f.Year)
		}
		if y.holidays[d] {
			return nil, fmt.Errorf("holidays[%d]: %s 重复", i, s)
		}
		y.holidays[d] = true
	}
	for i, s := range f.Workdays {
		d, err := ParseDate(s)
		if err != nil {
			return nil, fmt.Errorf("workdays[%d]: %v", i, err)
		}
		if d.Year != f.Year {
			return nil, fmt.Errorf("workdays[%d]: %s 不属于 %d 年", i, s, f.Year)
		}
		if !d.Weekend() {
			return nil, fmt.Errorf("workdays[%d]: %s 不是周六或周日，调休上班日只能是周末", i, s)
		}
		if y.holidays[d] {
			return nil, fmt.Errorf("workdays[%d]: %s 同时出现在 holidays 中", i, s)
		}
		if y.workdays[d] {
			return nil, fmt.Errorf("workdays[%d]: %s 重复", i, s)
		}
		y.workdays[d] = true
	}
	return y, nil
}

// New builds a calendar from year files; a later file for the same year
// replaces an earlier one.
func New(files ...YearFile) (*Calendar, error) {
	c := &Calendar{years: map[int]*year{}}
	for _, f := range files {
		y, err := compile(f)
		if err != nil {
			return nil, err
		}
		c.years[f.Year] = y
	}
	return c, nil
}

// Embedded returns the calendar of the years shipped in the binary.
func Embedded() *Calendar {
	c, err := Load("")
	if err != nil {
		panic("calendar: embedded data is invalid: " + err.Error()) // caught by tests
	}
	return c
}

// Load returns the embedded years plus every *.json file in dir (the
// deployment's custom/calendar). A missing or empty dir means embedded
// years only; a bad file is an error naming the file and field, so a
// deployment finds its typo at start-up rather than in a wrong deadline.
func Load(dir string) (*Calendar, error) {
	var files []YearFile
	read := func(fsys fs.FS, pattern, shown string) error {
		names, err := fs.Glob(fsys, pattern)
		if err != nil {
			return err
		}
		sort.Strings(names)
		for _, n := range names {
			b, err := fs.ReadFile(fsys, n)
			if err != nil {
				return err
			}
			f, err := ParseYear(b)
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Join(shown, filepath.Base(n)), err)
			}
			files = append(files, f)
		}
		return nil
	}
	if err := read(embedded, "data/*.json", "embedded"); err != nil {
		return nil, err
	}
	if dir != "" {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			if err := read(os.DirFS(dir), "*.json", dir); err != nil {
				return nil, err
			}
		} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
	}
	return New(files...)
}

// Covered reports whether year has a holiday file. Outside covered years
// only weekends are rest days, which is wrong around holidays: callers
// should warn when a deadline falls in an uncovered year.
func (c *Calendar) Covered(year int) bool { _, ok := c.years[year]; return ok }

// Covers reports whether every year from from to to has a holiday file,
// so a deadline computed over that span is exact.
func (c *Calendar) Covers(from, to Date) bool {
	if to.Before(from) {
		from, to = to, from
	}
	for y := from.Year; y <= to.Year; y++ {
		if !c.Covered(y) {
			return false
		}
	}
	return true
}

// Years lists the covered years in order.
func (c *Calendar) Years() []int {
	out := make([]int, 0, len(c.years))
	for y := range c.years {
		out = append(out, y)
	}
	sort.Ints(out)
	return out
}

// Source is the notice a covered year comes from ("" if not covered).
func (c *Calendar) Source(year int) string {
	if y, ok := c.years[year]; ok {
		return y.file.Source
	}
	return ""
}

// Unverified lists covered years whose file does not state that it was
// checked against the notice.
func (c *Calendar) Unverified() []int {
	var out []int
	for _, n := range c.Years() {
		v := c.years[n].file.Verified
		if strings.TrimSpace(v) == "" || strings.Contains(v, "待核对") {
			out = append(out, n)
		}
	}
	return out
}

// IsHoliday reports a listed day off of a holiday period (放假调休日).
func (c *Calendar) IsHoliday(d Date) bool {
	y, ok := c.years[d.Year]
	return ok && y.holidays[d]
}

// IsWorkday reports whether d is a working day: a listed make-up day is,
// a listed holiday is not, otherwise Monday to Friday.
func (c *Calendar) IsWorkday(d Date) bool {
	if y, ok := c.years[d.Year]; ok {
		if y.workdays[d] {
			return true
		}
		if y.holidays[d] {
			return false
		}
	}
	return !d.Weekend()
}

// AddDays is d moved n calendar days; kept beside AddWorkdays so callers
// use one type for both units.
func (c *Calendar) AddDays(d Date, n int) Date { return d.AddDays(n) }

// AddWorkdays returns the n-th working day after from (from itself is not
// counted); negative n counts backwards; n == 0 returns from.
func (c *Calendar) AddWorkdays(from Date, n int) Date {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	d := from
	for n > 0 {
		d = d.AddDays(step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// NextWorkday is d if it is a working day, else the first working day after it.
func (c *Calendar) NextWorkday(d Date) Date {
	for !c.IsWorkday(d) {
		d = d.AddDays(1)
	}
	return d
}

// Workdays counts working days in (from, to].
func (c *Calendar) Workdays(from, to Date) int {
	n := 0
	for d := from.AddDays(1); !d.After(to); d = d.AddDays(1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return n
}
