package docs_test

import (
	"bytes"
	"testing"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/docs"
)

var fuzzLimits = docs.Limits{MaxBytes: 1 << 20, MaxRows: 2_000}

// fuzzImport runs an upload through read and validation; errors are fine,
// panics are not.
func fuzzImport(t *testing.T, name string, data []byte) {
	tbl, err := docs.Read(name, bytes.NewReader(data), fuzzLimits)
	if err != nil {
		return
	}
	p := personSchema.Validate(tbl)
	for _, e := range p.Errors {
		if e.Row <= 0 || e.Reason == "" {
			t.Fatalf("malformed error %+v", e)
		}
	}
	for _, r := range p.Rows {
		if r.Num <= p.HeaderRow {
			t.Fatalf("data row %d not below header row %d", r.Num, p.HeaderRow)
		}
	}
}

func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("姓名,登记日期\n张三,2026-01-01\n"))
	f.Add([]byte("\xef\xbb\xbf名字,证件号码,年龄,登记日期\n\"李\n四\",A1,30,45000\n,,,\n"))
	f.Add([]byte("\xd0\xd5\xc3\xfb,\xc4\xea\xc1\xe4\n\xd5\xc5\xc8\xfd,1\n")) // GB18030 姓名,年龄 / 张三,1
	f.Add([]byte("a,\"b\n\"\"c"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzImport(t, "upload.csv", data) })
}

func FuzzImportXLSX(f *testing.F) {
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "登记日期", "年龄"})
	x.SetSheetRow("Sheet1", "A3", &[]any{"张三丰", 46000, 30})
	var buf bytes.Buffer
	x.WriteTo(&buf)
	x.Close()
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()/2])
	f.Fuzz(func(t *testing.T, data []byte) { fuzzImport(t, "upload.xlsx", data) })
}
