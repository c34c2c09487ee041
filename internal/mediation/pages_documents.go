package mediation

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"fengqiao/internal/docs"
	"fengqiao/internal/web"
)

type documentsData struct {
	Documents    []Document
	Placeholders map[string]string
	Tables       map[string][]string
	Contents     []Choice
}

func (h *Handler) documents(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "documents.html", &web.Page{Title: "调解文书",
		Data: documentsData{Documents: Documents, Placeholders: Placeholders, Tables: TablePlaceholders, Contents: FileContents}})
}

// blankRows is how many empty rows a printed blank form offers per table.
var blankRows = map[string]int{"parties": 3, "items": 15}

// BlankDocument renders document code with every field empty and a few
// empty table rows: a form to print and fill in by hand.
func BlankDocument(t docs.Templates, code string) ([]byte, error) {
	data := make(map[string]string, len(Placeholders))
	for k := range Placeholders {
		data[k] = ""
	}
	d, ok := DocumentByCode(code)
	if !ok {
		return nil, fmt.Errorf("mediation: unknown document %q", code)
	}
	raw, err := t.Open(d.File)
	if err != nil {
		return nil, err
	}
	xml, err := documentXML(raw)
	if err != nil {
		return nil, err
	}
	tables := map[string][][]string{}
	for key, n := range blankRows {
		if strings.Contains(xml, "{"+key+".") {
			tables[key] = make([][]string, n)
		}
	}
	return docs.RenderDocx(raw, data, tables)
}

// documentXML returns the main part of a .docx (the file is zipped, so
// its placeholders cannot be searched in the raw bytes).
func documentXML(docx []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(docx), int64(len(docx)))
	if err != nil {
		return "", fmt.Errorf("mediation: template is not a .docx file: %w", err)
	}
	f, err := zr.Open("word/document.xml")
	if err != nil {
		return "", fmt.Errorf("mediation: template has no word/document.xml: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 64<<20))
	return string(b), err
}

// documentDownload sends a blank form to print, or with ?template=1 the
// template itself with its placeholders (for a province to adapt). A
// province's own file is used when it has one.
func (h *Handler) documentDownload(w http.ResponseWriter, r *http.Request) {
	d, ok := DocumentByCode(r.PathValue("code"))
	if !ok {
		h.notFound(w, r)
		return
	}
	t := Templates(h.CustomDir)
	name := d.Title + ".docx"
	var b []byte
	var err error
	if r.URL.Query().Get("template") == "1" {
		b, err = t.Open(d.File)
		name = d.Title + "(模板).docx"
	} else {
		b, err = BlankDocument(t, d.Code)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	docs.Attach(w, name, docs.DocxContentType)
	w.Write(b)
}
