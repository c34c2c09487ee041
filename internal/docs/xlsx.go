// Package docs produces and reads the office documents the offices work
// with: Excel ledgers exported from any list (streamed, so large sets do not
// sit in memory), an Excel/CSV import framework (read → validate every row →
// preview of all errors → all-or-nothing commit → report), and Word forms
// filled from .docx templates that a province may override.
package docs

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Column is one column of an exported sheet. Width is in Excel character
// units; 0 means a default that fits about ten Chinese characters.
type Column struct {
	Header string
	Width  float64
}

// Sheet describes an exported ledger. Title, when set, is written as a
// merged first row above the header (the ledger's name and filters).
type Sheet struct {
	Name    string // worksheet tab; default "Sheet1"
	Title   string
	Columns []Column
}

// EmitFunc writes one data row; values are string, integer, float, bool,
// time.Time (written as "2006-01-02 15:04" in the value's own location) or
// nil (empty cell). It returns an error once the row limit is passed.
type EmitFunc func(values ...any) error

// MaxExportRows is Excel's row limit less the title and header rows.
const MaxExportRows = excelize.TotalRows - 2

// XLSXContentType is the MIME type of an .xlsx file.
const XLSXContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// ErrTooManyRows is returned when an export would not fit in one sheet.
var ErrTooManyRows = errors.New("导出行数超过 Excel 单表上限（1048574 行），请缩小筛选范围")

const defaultWidth = 20

// WriteXLSX streams sheet sh to w. rows is called once and emits every data
// row, typically while iterating a database cursor, so rows are never held
// all at once (the stream writer spills to a temp file past a few MB).
func WriteXLSX(w io.Writer, sh Sheet, rows func(emit EmitFunc) error) error {
	if len(sh.Columns) == 0 {
		return errors.New("docs: sheet has no columns")
	}
	f := excelize.NewFile()
	defer f.Close()
	name := sheetName(sh.Name)
	if name != "Sheet1" {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return fmt.Errorf("docs: sheet name: %w", err)
		}
	}
	sw, err := f.NewStreamWriter(name)
	if err != nil {
		return fmt.Errorf("docs: stream writer: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true},
		Border: []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1},
			{Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}},
	})
	if err != nil {
		return err
	}
	titleStyle, err := f.NewStyle(&excelize.Style{
		Font:      &excelize.Font{Bold: true, Size: 14},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"},
	})
	if err != nil {
		return err
	}
	for i, c := range sh.Columns {
		width := c.Width
		if width <= 0 {
			width = defaultWidth
		}
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	headerRow := 1
	if sh.Title != "" {
		headerRow = 2
	}
	// Freeze everything above the first data row so the header stays visible.
	first, _ := excelize.CoordinatesToCellName(1, headerRow+1)
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: headerRow, TopLeftCell: first, ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: first, ActiveCell: first, Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	if sh.Title != "" {
		if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: titleStyle, Value: sh.Title}}, excelize.RowOpts{Height: 28}); err != nil {
			return err
		}
		last, _ := excelize.CoordinatesToCellName(len(sh.Columns), 1)
		if len(sh.Columns) > 1 {
			if err := sw.MergeCell("A1", last); err != nil {
				return err
			}
		}
	}
	header := make([]any, len(sh.Columns))
	for i, c := range sh.Columns {
		header[i] = excelize.Cell{StyleID: bold, Value: c.Header}
	}
	cell, _ := excelize.CoordinatesToCellName(1, headerRow)
	if err := sw.SetRow(cell, header, excelize.RowOpts{Height: 20}); err != nil {
		return err
	}
	next := headerRow + 1
	buf := make([]any, 0, len(sh.Columns))
	emit := func(values ...any) error {
		if next-headerRow > MaxExportRows {
			return ErrTooManyRows
		}
		buf = buf[:0]
		for _, v := range values {
			buf = append(buf, cellValue(v))
		}
		cell, _ := excelize.CoordinatesToCellName(1, next)
		next++
		return sw.SetRow(cell, buf)
	}
	if err := rows(emit); err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("docs: flush: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("docs: write xlsx: %w", err)
	}
	return nil
}

// cellValue turns a value into what the stream writer should store. Times
// become text so they read the same in every spreadsheet program.
func cellValue(v any) any {
	switch x := v.(type) {
	case time.Time:
		if x.IsZero() {
			return nil
		}
		return x.Format("2006-01-02 15:04")
	case *time.Time:
		if x == nil || x.IsZero() {
			return nil
		}
		return x.Format("2006-01-02 15:04")
	}
	return v
}

// sheetName makes a legal worksheet name: at most 31 characters, none of
// : \ / ? * [ ].
func sheetName(s string) string {
	s = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`:\/?*[]`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > 31 {
		s = string(r[:31])
	}
	if s == "" {
		return "Sheet1"
	}
	return s
}

// ContentDisposition returns an attachment header value carrying filename
// both as an ASCII fallback and as RFC 5987 UTF-8 (filename*), which every
// current browser uses, so Chinese names arrive intact.
func ContentDisposition(filename string) string {
	filename = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' || r == '\\' {
			return '_'
		}
		return r
	}, filename)
	fallback := strings.Map(func(r rune) rune {
		if r > 0x7e || r == '"' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, filename)
	return fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, fallback, url.PathEscape(filename))
}

// Attach sets the headers of a file download of the given content type.
func Attach(w http.ResponseWriter, filename, contentType string) {
	if contentType == "" {
		contentType = mime.TypeByExtension(path.Ext(filename))
	}
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Disposition", ContentDisposition(filename))
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
}

// ServeXLSX streams an export to the browser as filename (".xlsx" is added
// when missing). The download headers are set at the first byte written, and
// the workbook is only written once rows has emitted everything, so when
// rows fails nothing has been sent and the caller can still answer with an
// error page. An error while writing the body is returned for logging.
func ServeXLSX(w http.ResponseWriter, filename string, sh Sheet, rows func(emit EmitFunc) error) error {
	if !strings.HasSuffix(strings.ToLower(filename), ".xlsx") {
		filename += ".xlsx"
	}
	return WriteXLSX(&lazyAttach{w: w, filename: filename, contentType: XLSXContentType}, sh, rows)
}

// lazyAttach sets the download headers just before the first body byte.
type lazyAttach struct {
	w                     http.ResponseWriter
	filename, contentType string
	started               bool
}

func (l *lazyAttach) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		Attach(l.w, l.filename, l.contentType)
	}
	return l.w.Write(p)
}
