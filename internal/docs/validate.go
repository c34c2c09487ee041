package docs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"fengqiao/internal/store"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"
)

// ColumnSpec declares one importable column. Header is the canonical name
// (the key in Row.Values); Aliases are other headers users write for it.
// Parse, when set, converts a non-empty cell and returns a Chinese reason on
// failure; an empty cell is nil (or "" when Parse is nil). Unique rejects a
// value repeated in the same file.
type ColumnSpec struct {
	Header   string
	Aliases  []string
	Required bool
	Unique   bool
	Parse    func(string) (any, error)
}

// Schema is the declarative description of an import.
type Schema struct {
	Columns []ColumnSpec
}

// Row is one valid data row: Num is its spreadsheet row; Values holds the
// parsed value of each schema column present in the file.
type Row struct {
	Num    int
	Values map[string]any
}

// Str returns the value of column h as text ("" when absent or empty).
func (r Row) Str(h string) string {
	switch v := r.Values[h].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// CellError is one problem found in the upload: Row is the spreadsheet row
// (1-based), Column the column letter ("" when the whole row is meant),
// Header the column name and Reason what is wrong, in Chinese.
type CellError struct {
	Row    int
	Column string
	Header string
	Reason string
}

func (e CellError) Error() string {
	if e.Column == "" && e.Header == "" {
		return fmt.Sprintf("第 %d 行：%s", e.Row, e.Reason)
	}
	if e.Column == "" {
		return fmt.Sprintf("第 %d 行（%s）：%s", e.Row, e.Header, e.Reason)
	}
	return fmt.Sprintf("第 %d 行 %s 列（%s）：%s", e.Row, e.Column, e.Header, e.Reason)
}

// Preview is the outcome of validating an upload, shown to the user before
// anything is written: every error, and the rows that would be imported.
type Preview struct {
	HeaderRow int      // spreadsheet row holding the header
	Columns   []string // schema columns found, in file order
	Ignored   []string // file columns the schema does not know
	Rows      []Row    // valid rows
	Errors    []CellError
	Total     int // data rows read (valid or not)
}

// OK reports whether the upload can be committed.
func (p *Preview) OK() bool { return len(p.Errors) == 0 && len(p.Rows) > 0 }

// headerKey normalizes a header for matching: full-width folded, spaces and
// required-marks (*) dropped, case ignored.
func headerKey(s string) string {
	s = width.Fold.String(s)
	s = strings.Map(func(r rune) rune {
		if r == '*' || r == ' ' || r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, s)
	return strings.ToLower(strings.TrimSpace(s))
}

// headerScan is how many leading rows may hold titles above the header.
const headerScan = headerSlack

// Validate checks every row of t against the schema and returns all
// problems found; it never stops at the first.
func (s Schema) Validate(t *Table) *Preview {
	p := &Preview{}
	keys := map[string]int{} // header key → schema column index
	for i, c := range s.Columns {
		keys[headerKey(c.Header)] = i
		for _, a := range c.Aliases {
			keys[headerKey(a)] = i
		}
	}
	// The header is the row among the first few that names the most schema
	// columns (a merged title row may sit above it).
	hdr, best := -1, 0
	for i := 0; i < len(t.Records) && i < headerScan; i++ {
		n := 0
		for _, c := range t.Records[i].Cells {
			if _, ok := keys[headerKey(c)]; ok {
				n++
			}
		}
		if n > best {
			hdr, best = i, n
		}
	}
	if hdr < 0 {
		p.Errors = append(p.Errors, CellError{Row: 1, Reason: "未找到表头，请使用导入模板（第一行为列名）"})
		return p
	}
	p.HeaderRow = t.Records[hdr].Row
	colOf := make([]int, len(t.Records[hdr].Cells)) // file column → schema index or -1
	seen := map[int]int{}                           // schema index → file column
	for j, c := range t.Records[hdr].Cells {
		colOf[j] = -1
		i, ok := keys[headerKey(c)]
		if !ok {
			if c != "" {
				p.Ignored = append(p.Ignored, c)
			}
			continue
		}
		if prev, dup := seen[i]; dup {
			p.Errors = append(p.Errors, CellError{Row: p.HeaderRow, Column: colName(j), Header: c,
				Reason: fmt.Sprintf("与 %s 列重复，都对应「%s」", colName(prev), s.Columns[i].Header)})
			continue
		}
		seen[i] = j
		colOf[j] = i
		p.Columns = append(p.Columns, s.Columns[i].Header)
	}
	for i, c := range s.Columns {
		if _, ok := seen[i]; !ok && c.Required {
			p.Errors = append(p.Errors, CellError{Row: p.HeaderRow, Header: c.Header, Reason: "缺少必填列「" + c.Header + "」"})
		}
	}
	if len(p.Errors) > 0 {
		return p // without a sound header the rows cannot be read
	}

	firstSeen := make([]map[string]int, len(s.Columns)) // for Unique columns
	for _, rec := range t.Records[hdr+1:] {
		p.Total++
		row := Row{Num: rec.Row, Values: make(map[string]any, len(seen))}
		bad := false
		for i, c := range s.Columns {
			j, present := seen[i]
			if !present {
				continue
			}
			raw := ""
			if j < len(rec.Cells) {
				raw = rec.Cells[j]
			}
			fail := func(reason string) {
				p.Errors = append(p.Errors, CellError{Row: rec.Row, Column: colName(j), Header: c.Header, Reason: reason})
				bad = true
			}
			if raw == "" {
				if c.Required {
					fail("必填，不能为空")
					continue
				}
				if c.Parse == nil {
					row.Values[c.Header] = ""
				} else {
					row.Values[c.Header] = nil
				}
				continue
			}
			var v any = raw
			if c.Parse != nil {
				pv, err := c.Parse(raw)
				if err != nil {
					fail(err.Error())
					continue
				}
				v = pv
			}
			if c.Unique {
				if firstSeen[i] == nil {
					firstSeen[i] = map[string]int{}
				}
				key := fmt.Sprint(v)
				if first, dup := firstSeen[i][key]; dup {
					fail(fmt.Sprintf("与第 %d 行重复", first))
					continue
				}
				firstSeen[i][key] = rec.Row
			}
			row.Values[c.Header] = v
		}
		if !bad {
			p.Rows = append(p.Rows, row)
		}
	}
	if p.Total == 0 {
		p.Errors = append(p.Errors, CellError{Row: p.HeaderRow, Reason: "表头下没有数据行"})
	}
	return p
}

func colName(j int) string {
	n, _ := excelize.ColumnNumberToName(j + 1)
	return n
}

// Report is the outcome of a committed import.
type Report struct {
	Rows    int
	Elapsed time.Duration
}

// RowError is a failure of apply on one row; the whole import was rolled
// back.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("第 %d 行：%v", e.Row, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// Commit writes rows in ONE transaction: apply is called for each row in
// order and the first error rolls everything back (all-or-nothing), returned
// as a *RowError naming the row. Callers commit only a Preview that is OK.
func Commit(ctx context.Context, db *store.DB, rows []Row, apply func(tx *store.Tx, r Row) error) (Report, error) {
	if len(rows) == 0 {
		return Report{}, fileErr("没有可导入的数据")
	}
	start := time.Now()
	err := db.Tx(ctx, func(tx *store.Tx) error {
		for i, r := range rows {
			if i%1000 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if err := apply(tx, r); err != nil {
				return &RowError{Row: r.Num, Err: err}
			}
		}
		return nil
	})
	if err != nil {
		var re *RowError
		if errors.As(err, &re) {
			return Report{}, re
		}
		return Report{}, fmt.Errorf("docs: import: %w", err)
	}
	return Report{Rows: len(rows), Elapsed: time.Since(start)}, nil
}
