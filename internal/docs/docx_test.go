package docs_test

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"fengqiao/internal/docs"
)

// buildDocx makes a minimal .docx holding body (the inside of <w:body>)
// and a header part with headerBody (inside <w:hdr>).
func buildDocx(t testing.TB, body, headerBody string) []byte {
	t.Helper()
	const ns = `xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	files := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/_rels/document.xml.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/></Relationships>`},
		{"word/document.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document ` + ns + `><w:body>` + body + `<w:sectPr><w:headerReference w:type="default" r:id="rId1"/></w:sectPr></w:body></w:document>`},
		{"word/header1.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:hdr ` + ns + `>` + headerBody + `</w:hdr>`},
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, f.body)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func para(runs ...string) string { return "<w:p>" + strings.Join(runs, "") + "</w:p>" }
func run(text string) string     { return "<w:r><w:t>" + text + "</w:t></w:r>" }
func boldRun(text string) string {
	return `<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">` + text + "</w:t></w:r>"
}

// partText opens part name of a .docx, checks that it is well-formed XML
// and returns its text: <w:t> contents joined, paragraphs and table rows
// separated by newlines, <w:br/> as "⏎".
func partText(t *testing.T, docx []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatalf("output is not a zip: %v", err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
	var b strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", name, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			inText = x.Name.Local == "t"
			if x.Name.Local == "br" {
				b.WriteString("⏎")
			}
		case xml.EndElement:
			inText = false
			if x.Name.Local == "p" {
				b.WriteString("\n")
			}
		case xml.CharData:
			if inText {
				b.Write(x)
			}
		}
	}
	return b.String()
}

func TestRenderDocxFillsPlaceholders(t *testing.T) {
	body := para(run("申请人：{applicant}")) +
		// Word split {respondent} over three runs with a spell-check mark
		// and a formatting change in between.
		para(run("被申请人：{res"), `<w:proofErr w:type="spellStart"/>`, boldRun("pond"), `<w:proofErr w:type="spellEnd"/>`, run("ent}，住 {address}")) +
		para(run("纠纷事实：{facts}")) +
		// Two placeholders split in the same paragraph, one ending where the
		// next begins.
		para(run("{d"), run("ate}{"), run("org}")) +
		`<w:tbl><w:tr><w:tc>` + para(run("姓名")) + `</w:tc><w:tc>` + para(run("身份")) + `</w:tc></w:tr>` +
		`<w:tr><w:tc>` + para(run("{parties.0}")) + `</w:tc><w:tc>` + para(run("{parties."), run("1}")) + `</w:tc></w:tr></w:tbl>` +
		para(run("{不是占位符 }与 {} 原样保留"))
	tmpl := buildDocx(t, body, para(run("{org}")))
	out, err := docs.RenderDocx(tmpl, map[string]string{
		"applicant":  "张三丰",
		"respondent": "李四<公司> & 合伙人",
		"address":    "银江镇阿署达村",
		"facts":      "第一行\n第二行",
		"date":       "2026年11月23日",
		"org":        "东区人民调解委员会",
	}, map[string][][]string{
		"parties": {{"张三丰", "申请人"}, {"李四", "被申请人"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := partText(t, out, "word/document.xml")
	want := "申请人：张三丰\n" +
		"被申请人：李四<公司> & 合伙人，住 银江镇阿署达村\n" +
		"纠纷事实：第一行⏎第二行\n" +
		"2026年11月23日东区人民调解委员会\n" +
		"姓名\n身份\n张三丰\n申请人\n李四\n被申请人\n" +
		"{不是占位符 }与 {} 原样保留\n"
	if got != want {
		t.Errorf("document text:\n%s\nwant:\n%s", got, want)
	}
	if h := partText(t, out, "word/header1.xml"); h != "东区人民调解委员会\n" {
		t.Errorf("header text %q", h)
	}
	// Untouched parts are copied byte for byte.
	if a, b := partRaw(t, tmpl, "word/_rels/document.xml.rels"), partRaw(t, out, "word/_rels/document.xml.rels"); a != b {
		t.Error("relationships part changed")
	}
	// Values are XML-escaped, not injected as markup.
	if !strings.Contains(partRaw(t, out, "word/document.xml"), "李四&lt;公司&gt; &amp; 合伙人") {
		t.Error("value not escaped in XML")
	}
}

func partRaw(t *testing.T, docx []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		t.Fatal(err)
	}
	f, err := zr.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	return string(b)
}

func TestRenderDocxMissingValue(t *testing.T) {
	tmpl := buildDocx(t, para(run("{a}{b}"), run("{c"), run("}")), "")
	_, err := docs.RenderDocx(tmpl, map[string]string{"a": "1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "b, c") {
		t.Fatalf("missing placeholders not reported: %v", err)
	}
	_, err = docs.RenderDocx(tmpl, map[string]string{"a": "1", "b": "", "c": ""}, map[string][][]string{"nope": nil})
	if err == nil || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("unused table key not reported: %v", err)
	}
	if _, err := docs.RenderDocx([]byte("not a zip"), nil, nil); err == nil {
		t.Fatal("garbage template accepted")
	}
}

func TestRenderDocxEmptyTableDropsRow(t *testing.T) {
	body := `<w:tbl><w:tr><w:tc>` + para(run("当事人")) + `</w:tc></w:tr><w:tr><w:tc>` + para(run("{p.0}")) + `</w:tc></w:tr></w:tbl>`
	out, err := docs.RenderDocx(buildDocx(t, body, ""), nil, map[string][][]string{"p": {}})
	if err != nil {
		t.Fatal(err)
	}
	if got := partText(t, out, "word/document.xml"); got != "当事人\n" {
		t.Fatalf("text %q", got)
	}
}

func TestTemplatesCustomOverridesEmbedded(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "mediation"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mediation", "agreement.docx"), []byte("custom"), 0o644); err != nil {
		t.Fatal(err)
	}
	emb := fstest.MapFS{
		"mediation/agreement.docx": {Data: []byte("embedded")},
		"mediation/record.docx":    {Data: []byte("embedded record")},
	}
	tp := docs.Templates{Embedded: emb, CustomDir: dir}
	for name, want := range map[string]string{"mediation/agreement.docx": "custom", "mediation/record.docx": "embedded record"} {
		b, err := tp.Open(name)
		if err != nil || string(b) != want {
			t.Errorf("Open(%s) = %q, %v; want %q", name, b, err, want)
		}
	}
	if _, err := tp.Open("mediation/none.docx"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing template: %v", err)
	}
	for _, bad := range []string{"../etc/passwd", "/abs.docx", `a\b.docx`, ""} {
		if _, err := tp.Open(bad); err == nil {
			t.Errorf("Open(%q) accepted", bad)
		}
	}
	// No custom dir at all: embedded only.
	if b, err := (docs.Templates{Embedded: emb, CustomDir: filepath.Join(dir, "absent")}).Open("mediation/agreement.docx"); err != nil || string(b) != "embedded" {
		t.Errorf("without custom dir: %q %v", b, err)
	}
}
