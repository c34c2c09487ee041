package docs

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Limits bound what an upload may cost before any row is looked at.
type Limits struct {
	MaxBytes int64 // file size
	MaxRows  int   // data rows (empty rows not counted)
}

// DefaultLimits suit a county-level ledger: 20 MB, 50,000 rows.
var DefaultLimits = Limits{MaxBytes: 20 << 20, MaxRows: 50_000}

// FileError is a problem with the uploaded file as a whole (size, format,
// row count); Field is always "file" so forms can show it by the upload.
type FileError struct {
	Field   string
	Message string
}

func (e *FileError) Error() string { return e.Field + ": " + e.Message }

func fileErr(format string, args ...any) error {
	return &FileError{Field: "file", Message: fmt.Sprintf(format, args...)}
}

// Record is one spreadsheet row as text; Row is its 1-based number as the
// user sees it in Excel (or the record number in a CSV file).
type Record struct {
	Row   int
	Cells []string
}

// Table is an uploaded sheet: its non-empty rows, header included.
type Table struct {
	Records []Record
}

// headerSlack allows a title row or two above the header, which do not
// count against MaxRows.
const headerSlack = 10

// Read reads an uploaded .xlsx or .csv file; the format is taken from the
// content (a zip archive is xlsx) so a misnamed file still works.
func Read(filename string, r io.Reader, lim Limits) (*Table, error) {
	data, err := readLimited(r, lim)
	if err != nil {
		return nil, err
	}
	ext := strings.ToLower(path.Ext(filename))
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return readXLSX(data, lim)
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return nil, fileErr("不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 后再上传")
	case ext == ".xlsx":
		return nil, fileErr("文件不是有效的 .xlsx 文件")
	case ext == ".csv" || ext == ".txt" || ext == "":
		return readCSV(data, lim)
	default:
		return nil, fileErr("不支持的文件类型 %s，请上传 .xlsx 或 .csv 文件", ext)
	}
}

// ReadCSV reads a CSV file in UTF-8 (with or without BOM) or GB18030 (what
// Excel on Chinese Windows saves).
func ReadCSV(r io.Reader, lim Limits) (*Table, error) {
	data, err := readLimited(r, lim)
	if err != nil {
		return nil, err
	}
	return readCSV(data, lim)
}

// ReadXLSX reads the first worksheet of an .xlsx file.
func ReadXLSX(r io.Reader, lim Limits) (*Table, error) {
	data, err := readLimited(r, lim)
	if err != nil {
		return nil, err
	}
	return readXLSX(data, lim)
}

func readLimited(r io.Reader, lim Limits) ([]byte, error) {
	if lim.MaxBytes <= 0 || lim.MaxRows <= 0 {
		return nil, errors.New("docs: limits not set")
	}
	data, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("docs: read upload: %w", err)
	}
	if int64(len(data)) > lim.MaxBytes {
		return nil, fileErr("文件超过 %s 上限", sizeText(lim.MaxBytes))
	}
	if len(data) == 0 {
		return nil, fileErr("文件为空")
	}
	return data, nil
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", max(n>>10, 1))
}

// decodeText returns data as UTF-8: a UTF-8 BOM is dropped; anything that
// is not valid UTF-8 is taken as GB18030 (a superset of GBK and GB2312).
func decodeText(data []byte) ([]byte, error) {
	if b, ok := bytes.CutPrefix(data, []byte{0xEF, 0xBB, 0xBF}); ok {
		data = b
	}
	if utf8.Valid(data) {
		return data, nil
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil {
		return nil, fileErr("无法识别文件编码，请保存为 UTF-8 或 GB18030 编码的 CSV")
	}
	return out, nil
}

// addRecord appends a row unless it is blank, enforcing the row limit.
func (t *Table) addRecord(row int, cells []string, lim Limits) error {
	blank := true
	for i, c := range cells {
		cells[i] = strings.TrimSpace(c)
		if cells[i] != "" {
			blank = false
		}
	}
	if blank {
		return nil
	}
	if len(t.Records) >= lim.MaxRows+headerSlack {
		return fileErr("数据超过 %d 行上限，请拆分后分批导入", lim.MaxRows)
	}
	t.Records = append(t.Records, Record{Row: row, Cells: cells})
	return nil
}

func readCSV(data []byte, lim Limits) (*Table, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	t := &Table{}
	// encoding/csv skips blank lines, which spreadsheets show as rows: track
	// line numbers so Row is the row number the user sees.
	row, prevEnd := 0, 0
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fileErr("CSV 第 %d 行格式错误", pe.StartLine)
			}
			return nil, fileErr("CSV 格式错误")
		}
		start, _ := cr.FieldPos(0)
		row += 1 + max(start-prevEnd-1, 0)
		last, _ := cr.FieldPos(len(rec) - 1)
		prevEnd = last + strings.Count(rec[len(rec)-1], "\n")
		if err := t.addRecord(row, rec, lim); err != nil {
			return nil, err
		}
	}
	return t, nil
}

func readXLSX(data []byte, lim Limits) (*Table, error) {
	// Bound decompression too: a small zip can expand enormously.
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		RawCellValue:      true,
		UnzipSizeLimit:    max(lim.MaxBytes*20, 64<<20),
		UnzipXMLSizeLimit: max(lim.MaxBytes*10, 32<<20),
	})
	if err != nil {
		if errors.Is(err, excelize.ErrWorkbookFileFormat) || strings.Contains(err.Error(), "zip") {
			return nil, fileErr("文件不是有效的 .xlsx 文件")
		}
		if strings.Contains(strings.ToLower(err.Error()), "password") || strings.Contains(err.Error(), "encrypt") {
			return nil, fileErr("文件已加密，请取消密码后再上传")
		}
		return nil, fileErr("无法读取 Excel 文件：%v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, fileErr("Excel 文件中没有工作表")
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fileErr("无法读取工作表「%s」", sheets[0])
	}
	defer rows.Close()
	t := &Table{}
	n := 0
	for rows.Next() {
		n++
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, fileErr("工作表第 %d 行无法读取", n)
		}
		if err := t.addRecord(n, cells, lim); err != nil {
			return nil, err
		}
	}
	if err := rows.Error(); err != nil {
		return nil, fileErr("工作表无法读取：行号超出 Excel 范围")
	}
	return t, nil
}
