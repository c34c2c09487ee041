package mediation

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var placeholderRe = regexp.MustCompile(`\{([\p{L}_][\p{L}\p{N}_.]*)\}`)

// docText returns word/document.xml of a .docx.
func docText(t *testing.T, b []byte) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			x, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(x)
		}
	}
	t.Fatal("no word/document.xml")
	return ""
}

// sampleData fills every known placeholder with a recognisable value.
func sampleData() (map[string]string, map[string][][]string) {
	data := map[string]string{}
	for k, label := range Placeholders {
		data[k] = "〔" + label + "〕"
	}
	data["committee"] = "江北街道人民调解委员会"
	data["case_no"] = "(2026)巴江调字第15号"
	data["facts"] = "双方因宅基地界址发生争执。\n经查，争议面积约12平方米。"
	data["terms"] = "一、乙方于2026年3月1日前拆除越界围墙；\n二、甲方不再追究其他责任。"
	data["copies"] = "三"
	tables := map[string][][]string{
		"parties": {
			{"申请人", "王芳", "女", "76", "110105********002X", "138****5678", "巴州区江北街道黄家沟村3组"},
			{"被申请人", "李四", "男", "45", "440524********0014", "159****1111", "巴州区江北街道黄家沟村4组"},
		},
		"items": {{"1", "人民调解申请书", "2026-01-05", "1", ""}, {"2", "人民调解受理登记表", "2026-01-05", "2", ""}},
	}
	return data, tables
}

// Every template uses only placeholders the code knows, renders with the
// sample data, and leaves no placeholder behind.
func TestDocumentTemplates(t *testing.T) {
	tm := Templates("")
	used := map[string]bool{}
	data, tables := sampleData()
	out := os.Getenv("FENGQIAO_MED_SAMPLE_DIR") // write rendered samples for a look in Word/LibreOffice
	for _, d := range Documents {
		b, err := tm.Open(d.File)
		if err != nil {
			t.Fatalf("%s: %v", d.File, err)
		}
		xml := docText(t, b)
		if !strings.Contains(xml, d.Title) && !strings.Contains(xml, "人民调解卷宗") {
			t.Errorf("%s: title %s missing", d.File, d.Title)
		}
		if !strings.Contains(xml, `w:w="11906" w:h="16838"`) {
			t.Errorf("%s: not A4", d.File)
		}
		docTables := map[string][][]string{}
		for _, m := range placeholderRe.FindAllStringSubmatch(xml, -1) {
			name := m[1]
			if key, col, ok := strings.Cut(name, "."); ok {
				cols, known := TablePlaceholders[key]
				i, err := strconv.Atoi(col)
				if !known || err != nil || i >= len(cols) {
					t.Errorf("%s: unknown table placeholder {%s}", d.File, name)
				}
				docTables[key] = tables[key]
				used[key] = true
				continue
			}
			if _, ok := Placeholders[name]; !ok {
				t.Errorf("%s: unknown placeholder {%s}", d.File, name)
			}
			used[name] = true
		}
		r, err := RenderDocument(tm, d.Code, data, docTables)
		if err != nil {
			t.Fatalf("%s: %v", d.File, err)
		}
		rx := docText(t, r)
		if left := placeholderRe.FindAllString(rx, -1); len(left) > 0 {
			t.Errorf("%s: placeholders left: %v", d.File, left)
		}
		if !strings.Contains(rx, data["case_no"]) && strings.Contains(xml, "{case_no}") {
			t.Errorf("%s: case number not filled", d.File)
		}
		if _, ok := docTables["parties"]; ok && (!strings.Contains(rx, "王芳") || !strings.Contains(rx, "李四")) {
			t.Errorf("%s: party rows not repeated", d.File)
		}
		if strings.Contains(xml, "{facts}") && !strings.Contains(rx, "<w:br/>") {
			t.Errorf("%s: line break not kept", d.File)
		}
		if out != "" {
			if err := os.WriteFile(filepath.Join(out, d.Code+".docx"), r, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k := range Placeholders {
		if !used[k] {
			t.Errorf("placeholder {%s} is known but no template uses it", k)
		}
	}
	for k := range TablePlaceholders {
		if !used[k] {
			t.Errorf("table {%s.N} is known but no template uses it", k)
		}
	}
	if _, err := RenderDocument(tm, "nope", data, nil); err == nil {
		t.Fatal("unknown document rendered")
	}
	// A missing value is an error, never a printed "{x}".
	delete(data, "committee")
	if _, err := RenderDocument(tm, "application", data, map[string][][]string{"parties": tables["parties"]}); err == nil ||
		!strings.Contains(err.Error(), "committee") {
		t.Fatalf("missing committee: %v", err)
	}
}

// A province's own file under custom/documents/mediation replaces the
// built-in one.
func TestDocumentCustomOverride(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "documents", "mediation"), 0o755); err != nil {
		t.Fatal(err)
	}
	own, err := Templates("").Open("file_index.docx")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "documents", "mediation", "application.docx"), own, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err := Templates(dir).Open("application.docx")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(docText(t, b), "卷内目录") {
		t.Fatal("custom template not used")
	}
}
