package docs_test

import (
	"bytes"
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/docs"
)

var ledger = docs.Sheet{
	Name:  "矛盾纠纷台账",
	Title: "矛盾纠纷排查台账（2026年11月，东区）",
	Columns: []docs.Column{
		{Header: "编号", Width: 8}, {Header: "当事人"}, {Header: "纠纷类型"}, {Header: "登记时间"}, {Header: "是否调解成功"},
	},
}

func TestWriteXLSX(t *testing.T) {
	when := time.Date(2026, 11, 23, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	var buf bytes.Buffer
	err := docs.WriteXLSX(&buf, ledger, func(emit docs.EmitFunc) error {
		if err := emit(1, "张三丰", "婚姻家庭纠纷", when, true); err != nil {
			return err
		}
		return emit(2, "李四", "邻里纠纷", nil, false)
	})
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := "矛盾纠纷台账"
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"矛盾纠纷排查台账（2026年11月，东区）"},
		{"编号", "当事人", "纠纷类型", "登记时间", "是否调解成功"},
		{"1", "张三丰", "婚姻家庭纠纷", "2026-11-23 09:30", "TRUE"},
		{"2", "李四", "邻里纠纷", "", "FALSE"},
	}
	if len(rows) != len(want) {
		t.Fatalf("rows %q", rows)
	}
	for i := range want {
		if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
			t.Errorf("row %d = %q, want %q", i+1, rows[i], want[i])
		}
	}
	merged, _ := f.GetMergeCells(sheet)
	if len(merged) != 1 || merged[0].GetStartAxis() != "A1" || merged[0].GetEndAxis() != "E1" {
		t.Errorf("title not merged over the columns: %v", merged)
	}
	panes, err := f.GetPanes(sheet)
	if err != nil || !panes.Freeze || panes.YSplit != 2 {
		t.Errorf("header not frozen: %+v %v", panes, err)
	}
	sid, _ := f.GetCellStyle(sheet, "B2")
	st, err := f.GetStyle(sid)
	if err != nil || st.Font == nil || !st.Font.Bold {
		t.Errorf("header not bold: %+v %v", st, err)
	}
	if w, _ := f.GetColWidth(sheet, "A"); w != 8 {
		t.Errorf("column width %v", w)
	}
}

func TestWriteXLSXPropagatesRowError(t *testing.T) {
	boom := errors.New("cursor failed")
	err := docs.WriteXLSX(io.Discard, ledger, func(emit docs.EmitFunc) error { return boom })
	if !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if err := docs.WriteXLSX(io.Discard, docs.Sheet{}, func(docs.EmitFunc) error { return nil }); err == nil {
		t.Fatal("sheet without columns accepted")
	}
}

func TestServeXLSXChineseFileName(t *testing.T) {
	rec := httptest.NewRecorder()
	err := docs.ServeXLSX(rec, "矛盾纠纷台账 2026-11", docs.Sheet{Columns: []docs.Column{{Header: "a"}}},
		func(emit docs.EmitFunc) error { return emit("x") })
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	if h.Get("Content-Type") != docs.XLSXContentType {
		t.Errorf("content type %q", h.Get("Content-Type"))
	}
	want := `attachment; filename="______ 2026-11.xlsx"; filename*=UTF-8''%E7%9F%9B%E7%9B%BE%E7%BA%A0%E7%BA%B7%E5%8F%B0%E8%B4%A6%202026-11.xlsx`
	if got := h.Get("Content-Disposition"); got != want {
		t.Errorf("Content-Disposition\n got %s\nwant %s", got, want)
	}
	if _, err := excelize.OpenReader(rec.Body); err != nil {
		t.Errorf("body is not an xlsx: %v", err)
	}
	// A failing export sends nothing, so the handler can still show an error.
	rec = httptest.NewRecorder()
	boom := errors.New("query failed")
	if err := docs.ServeXLSX(rec, "台账", ledger, func(docs.EmitFunc) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
	if rec.Body.Len() != 0 || rec.Header().Get("Content-Disposition") != "" {
		t.Errorf("failed export wrote %d bytes, headers %v", rec.Body.Len(), rec.Header())
	}
	// Quotes, separators and control characters cannot break the header.
	if cd := docs.ContentDisposition("a\"b;c\r\n.xlsx"); strings.ContainsAny(cd, "\r\n") || strings.Count(cd, `"`) != 2 {
		t.Errorf("unsafe header %q", cd)
	}
}

// An exported ledger (title row included) can be imported back unchanged.
func TestExportImportRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	err := docs.WriteXLSX(&buf, ledger, func(emit docs.EmitFunc) error {
		return emit(7, "王五", "宅基地纠纷", "2026-11-01 08:00", "是")
	})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := docs.Read("台账.xlsx", &buf, docs.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	s := docs.Schema{Columns: []docs.ColumnSpec{
		{Header: "编号", Required: true, Parse: docs.Int(1, 1e9)},
		{Header: "当事人", Required: true},
		{Header: "是否调解成功", Parse: docs.Bool},
	}}
	p := s.Validate(tbl)
	if !p.OK() || p.HeaderRow != 2 || len(p.Rows) != 1 {
		t.Fatalf("preview %+v", p)
	}
	r := p.Rows[0]
	if r.Num != 3 || r.Values["编号"] != int64(7) || r.Str("当事人") != "王五" || r.Values["是否调解成功"] != true {
		t.Fatalf("row %+v", r)
	}
	if strings.Join(p.Ignored, ",") != "纠纷类型,登记时间" {
		t.Errorf("ignored %q", p.Ignored)
	}
}

// BenchmarkWriteXLSX100k streams 100,000 rows of six columns.
func BenchmarkWriteXLSX100k(b *testing.B) {
	sh := docs.Sheet{Title: "台账", Columns: []docs.Column{{Header: "编号"}, {Header: "当事人"}, {Header: "类型"},
		{Header: "地址"}, {Header: "登记时间"}, {Header: "金额"}}}
	when := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	var size int
	for b.Loop() {
		var cw countWriter
		err := docs.WriteXLSX(&cw, sh, func(emit docs.EmitFunc) error {
			for i := range 100_000 {
				if err := emit(i+1, "张三丰", "婚姻家庭纠纷", "攀枝花市东区银江镇阿署达村", when, float64(i)*1.5); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		size = cw.n
	}
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(100_000/(float64(b.Elapsed().Seconds())/float64(b.N)), "rows/s")
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }
