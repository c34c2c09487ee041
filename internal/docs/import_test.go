package docs_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fengqiao/internal/docs"
	_ "fengqiao/internal/org" // storetest needs some migrations to apply
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

var personSchema = docs.Schema{Columns: []docs.ColumnSpec{
	{Header: "姓名", Aliases: []string{"名字", "当事人姓名"}, Required: true, Parse: docs.Text(10)},
	{Header: "证件号码", Unique: true},
	{Header: "年龄", Parse: docs.Int(0, 150)},
	{Header: "登记日期", Required: true, Parse: docs.Date},
	{Header: "类型", Parse: docs.Enum([]string{"婚姻家庭", "邻里"}, []string{"family", "neighbour"})},
}}

func records(t *testing.T, tbl *docs.Table) []string {
	t.Helper()
	var out []string
	for _, r := range tbl.Records {
		out = append(out, fmt.Sprintf("%d:%s", r.Row, strings.Join(r.Cells, "|")))
	}
	return out
}

func TestReadCSVEncodings(t *testing.T) {
	const text = "姓名,年龄\r\n张三丰,30\r\n\r\n,\r\n\"李四，\"\"小李\"\"\",41\r\n\"王\n五\",5\r\n\r\n赵六,6\r\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(text)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1:姓名|年龄", "2:张三丰|30", "5:李四，\"小李\"|41", "6:王\n五|5", "8:赵六|6"}
	for name, data := range map[string]string{"utf8": text, "bom": "\uFEFF" + text, "gb18030": gb} {
		tbl, err := docs.Read("名单.csv", strings.NewReader(data), docs.DefaultLimits)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := records(t, tbl); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

func TestValidateReportsEveryError(t *testing.T) {
	csv := "人员名单（东区）\n" + // title row above the header
		"名字,证件号码,年龄,登记日期,类型,备注\n" + // row 2: alias, unknown column
		"张三丰,A1,30,2026-11-01,婚姻家庭,\n" + // 3 ok
		",A2,abc,2026-02-30,离婚,\n" + // 4: four errors
		"李四,A1,200,2026/11/2,邻里,\n" + // 5: duplicate id, age range
		"王五,,,2026年11月3日,,备注\n" + // 6 ok, optional empties
		"赵六六六六六六六六六六,A3,1,45000,邻里,\n" // 7: name too long; Excel serial date ok
	tbl, err := docs.ReadCSV(strings.NewReader(csv), docs.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	p := personSchema.Validate(tbl)
	var got []string
	for _, e := range p.Errors {
		got = append(got, e.Error())
	}
	want := []string{
		"第 4 行 A 列（姓名）：必填，不能为空",
		"第 4 行 C 列（年龄）：应为整数",
		"第 4 行 D 列（登记日期）：不是有效日期",
		"第 4 行 E 列（类型）：应为以下之一：婚姻家庭、邻里",
		"第 5 行 B 列（证件号码）：与第 3 行重复",
		"第 5 行 C 列（年龄）：应在 0 到 150 之间",
		"第 7 行 A 列（姓名）：最多 10 个字，实际 11 个字",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if p.HeaderRow != 2 || p.Total != 5 || len(p.Rows) != 2 || p.OK() {
		t.Fatalf("preview: header %d total %d rows %d ok %v", p.HeaderRow, p.Total, len(p.Rows), p.OK())
	}
	if strings.Join(p.Ignored, ",") != "备注" {
		t.Errorf("ignored %q", p.Ignored)
	}
	r := p.Rows[1]
	if r.Num != 6 || r.Str("姓名") != "王五" || r.Values["年龄"] != nil || r.Values["登记日期"] != "2026-11-03" || r.Str("证件号码") != "" {
		t.Errorf("row 6: %+v", r)
	}
	if e := p.Errors[0]; e.Row != 4 || e.Column != "A" || e.Header != "姓名" {
		t.Errorf("structured error %+v", e)
	}
}

func TestValidateHeaderProblems(t *testing.T) {
	cases := map[string][]string{
		"姓名,年龄\n张三,1\n":                 {"第 1 行（登记日期）：缺少必填列「登记日期」"},
		"姓名,名字,登记日期\n张三,张,2026-01-01\n": {"第 1 行 B 列（名字）：与 A 列重复，都对应「姓名」"},
		"甲,乙\n1,2\n":                    {"第 1 行：未找到表头，请使用导入模板（第一行为列名）"},
		"姓名,登记日期\n":                     {"第 1 行：表头下没有数据行"},
	}
	for csv, want := range cases {
		tbl, err := docs.ReadCSV(strings.NewReader(csv), docs.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range personSchema.Validate(tbl).Errors {
			got = append(got, e.Error())
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %q, want %q", csv, got, want)
		}
	}
}

func TestReadLimits(t *testing.T) {
	fileErr := func(err error) string {
		var fe *docs.FileError
		if !errors.As(err, &fe) || fe.Field != "file" {
			return fmt.Sprintf("not a file error: %v", err)
		}
		return fe.Message
	}
	lim := docs.Limits{MaxBytes: 1 << 10, MaxRows: 3}
	_, err := docs.ReadCSV(strings.NewReader(strings.Repeat("x", 2<<10)), lim)
	if got := fileErr(err); got != "文件超过 1 KB 上限" {
		t.Errorf("size: %s", got)
	}
	_, err = docs.ReadCSV(strings.NewReader("a\n"+strings.Repeat("1\n", 20)), lim)
	if got := fileErr(err); got != "数据超过 3 行上限，请拆分后分批导入" {
		t.Errorf("rows: %s", got)
	}
	_, err = docs.Read("a.xls", bytes.NewReader([]byte{0xD0, 0xCF, 0x11, 0xE0, 1, 2}), lim)
	if got := fileErr(err); !strings.Contains(got, ".xls") {
		t.Errorf("xls: %s", got)
	}
	_, err = docs.Read("a.xlsx", strings.NewReader("PK\x03\x04broken"), lim)
	if got := fileErr(err); got != "文件不是有效的 .xlsx 文件" {
		t.Errorf("broken xlsx: %s", got)
	}
	_, err = docs.Read("a.pdf", strings.NewReader("%PDF"), lim)
	if got := fileErr(err); !strings.Contains(got, ".pdf") {
		t.Errorf("pdf: %s", got)
	}
	_, err = docs.Read("a.csv", strings.NewReader(""), lim)
	if got := fileErr(err); got != "文件为空" {
		t.Errorf("empty: %s", got)
	}
}

// An .xlsx written by Excel: a real date cell arrives as a serial number and
// is parsed to a calendar date; blank rows keep the numbering.
func TestReadXLSX(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "登记日期", "年龄"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"张三丰", 46000, 30})
	f.SetSheetRow("Sheet1", "A4", &[]any{"李四", "2026-01-05", "41"})
	style, _ := f.NewStyle(&excelize.Style{NumFmt: 14})
	f.SetCellStyle("Sheet1", "B2", "B2", style)
	var buf bytes.Buffer
	if _, err := f.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	tbl, err := docs.Read("upload", &buf, docs.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	p := personSchema.Validate(tbl)
	if !p.OK() || len(p.Rows) != 2 {
		t.Fatalf("preview %+v", p)
	}
	if p.Rows[0].Values["登记日期"] != "2025-12-09" || p.Rows[1].Num != 4 || p.Rows[1].Values["年龄"] != int64(41) {
		t.Errorf("rows %+v", p.Rows)
	}
}

func TestCommitAllOrNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Exec(ctx, `CREATE TABLE import_people (id_no TEXT PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		insert := func(tx *store.Tx, r docs.Row) error {
			_, err := tx.Exec(ctx, `INSERT INTO import_people (id_no, name) VALUES (?, ?)`, r.Str("证件号码"), r.Str("姓名"))
			return err
		}
		count := func() int {
			var n int
			if err := db.Read().QueryRow(ctx, `SELECT count(*) FROM import_people`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		rows := []docs.Row{
			{Num: 2, Values: map[string]any{"姓名": "张三", "证件号码": "A1"}},
			{Num: 3, Values: map[string]any{"姓名": "李四", "证件号码": "A2"}},
			{Num: 4, Values: map[string]any{"姓名": "王五", "证件号码": "A1"}}, // clashes with row 2
		}
		_, err := docs.Commit(ctx, db, rows, insert)
		var re *docs.RowError
		if !errors.As(err, &re) || re.Row != 4 || !store.IsUniqueViolation(err) {
			t.Fatalf("want RowError on row 4 wrapping a unique violation, got %v", err)
		}
		if n := count(); n != 0 {
			t.Fatalf("%d rows left after a failed import", n)
		}
		rep, err := docs.Commit(ctx, db, rows[:2], insert)
		if err != nil || rep.Rows != 2 || count() != 2 {
			t.Fatalf("report %+v, %v, count %d", rep, err, count())
		}
		if _, err := docs.Commit(ctx, db, nil, insert); err == nil {
			t.Fatal("empty import accepted")
		}
	})
}

// BenchmarkImport20k runs the whole pipeline on SQLite — read a 20,000-row
// CSV, validate, commit into a simple table in one transaction — and
// reports rows per second.
func BenchmarkImport20k(b *testing.B) {
	db := storetest.Open(b, store.SQLite)
	ctx := context.Background()
	if _, err := db.Exec(ctx, `CREATE TABLE import_people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, id_no TEXT NOT NULL, age INTEGER, registered TEXT NOT NULL, kind TEXT)`); err != nil {
		b.Fatal(err)
	}
	const n = 20_000
	var csv strings.Builder
	csv.WriteString("姓名,证件号码,年龄,登记日期,类型\n")
	for i := range n {
		fmt.Fprintf(&csv, "张三丰%d,ID%08d,%d,2026-%02d-%02d,婚姻家庭\n", i, i, i%100, i%12+1, i%28+1)
	}
	data := csv.String()
	for b.Loop() {
		if _, err := db.Exec(ctx, `DELETE FROM import_people`); err != nil {
			b.Fatal(err)
		}
		tbl, err := docs.ReadCSV(strings.NewReader(data), docs.DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		p := personSchema.Validate(tbl)
		if !p.OK() || len(p.Rows) != n {
			b.Fatalf("preview: %d rows, %d errors %v", len(p.Rows), len(p.Errors), p.Errors[:min(3, len(p.Errors))])
		}
		_, err = docs.Commit(ctx, db, p.Rows, func(tx *store.Tx, r docs.Row) error {
			_, err := tx.Exec(ctx, `INSERT INTO import_people (name, id_no, age, registered, kind) VALUES (?, ?, ?, ?, ?)`,
				r.Values["姓名"], r.Values["证件号码"], r.Values["年龄"], r.Values["登记日期"], r.Values["类型"])
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(n/(b.Elapsed().Seconds()/float64(b.N)), "rows/s")
}
