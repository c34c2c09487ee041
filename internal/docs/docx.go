package docs

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"html"
	"io"
	"io/fs"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// DocxContentType is the MIME type of a .docx file.
const DocxContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

// Word templates are filled by hand with archive/zip rather than with
// lukasjarosch/go-docx: that library also copes with split placeholders,
// but it cannot repeat table rows or turn line breaks into <w:br/>, which
// official forms (party lists, multi-line facts) need; the code below is
// small and has no dependency.
//
// Template syntax: {name} anywhere in body, header, footer or notes text;
// a table row holding {key.0}, {key.1}, ... is repeated once per row of
// tables[key] (cell i gets row[i]); a row for an empty table is removed.
// Names are letters (Chinese too), digits, _ and ., starting with a letter
// or _. Text that is not a valid name in braces is left as it is.

const maxTemplatePart = 64 << 20 // uncompressed size of one XML part

var (
	// A text element's start tag (not <w:tab/>, <w:tbl>, <w:t/>), a
	// paragraph start or end: placeholders never span paragraphs.
	textOrParaRe = regexp.MustCompile(`<w:t(?:\s[^>]*)?>|<w:p(?:\s[^>]*)?>|</w:p>`)
	textStartRe  = regexp.MustCompile(`<w:t(?:\s[^>]*)?>`)
	placeRe      = regexp.MustCompile(`\{([^{}<>]*)\}`)
	nameRe       = regexp.MustCompile(`^[\p{L}_][\p{L}\p{N}_.]*$`)
	trStartRe    = regexp.MustCompile(`<w:tr(?:\s[^>]*)?>`)
)

// isTextPart reports the parts whose text may hold placeholders.
func isTextPart(name string) bool {
	if name == "word/document.xml" || name == "word/footnotes.xml" || name == "word/endnotes.xml" {
		return true
	}
	for _, p := range []string{"word/header", "word/footer"} {
		if strings.HasPrefix(name, p) && strings.HasSuffix(name, ".xml") && !strings.Contains(name[len(p):], "/") {
			return true
		}
	}
	return false
}

// RenderDocx fills template tmpl (a .docx file) with data and tables and
// returns the new .docx. Every placeholder must have a value: the error
// lists those that do not, so a missing field is never printed as "{x}".
func RenderDocx(tmpl []byte, data map[string]string, tables map[string][][]string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return nil, fmt.Errorf("docx: template is not a .docx file: %w", err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	var missing []string
	usedTables := map[string]bool{}
	found := false
	for _, f := range zr.File {
		if !isTextPart(f.Name) {
			// Copy untouched parts (styles, images, fonts) without re-compressing.
			w, err := zw.CreateRaw(&f.FileHeader)
			if err != nil {
				return nil, err
			}
			r, err := f.OpenRaw()
			if err != nil {
				return nil, err
			}
			if _, err := io.Copy(w, r); err != nil {
				return nil, fmt.Errorf("docx: copy %s: %w", f.Name, err)
			}
			continue
		}
		if f.Name == "word/document.xml" {
			found = true
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("docx: open %s: %w", f.Name, err)
		}
		raw, err := io.ReadAll(io.LimitReader(rc, maxTemplatePart+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("docx: read %s: %w", f.Name, err)
		}
		if len(raw) > maxTemplatePart {
			return nil, fmt.Errorf("docx: %s is too large", f.Name)
		}
		xml := mergeSplitPlaceholders(string(raw))
		for key, rows := range tables {
			var ok bool
			if xml, ok, err = repeatRows(xml, key, rows); err != nil {
				return nil, fmt.Errorf("docx: %s: %w", f.Name, err)
			}
			usedTables[key] = usedTables[key] || ok
		}
		xml, miss := fillText(xml, data)
		missing = append(missing, miss...)
		hdr := f.FileHeader
		hdr.Method = zip.Deflate
		w, err := zw.CreateHeader(&hdr)
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, xml); err != nil {
			return nil, err
		}
	}
	if !found {
		return nil, errors.New("docx: template has no word/document.xml")
	}
	for key := range tables {
		if !usedTables[key] {
			missing = append(missing, key+".0 (table row)")
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("docx: no value for placeholders: %s", strings.Join(slices.Compact(missing), ", "))
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// textNode is the content of one <w:t> element: xml[start:end].
type textNode struct {
	tagStart, start, end int
	para                 int
	text                 string // unescaped
}

func textNodes(xml string) []textNode {
	var nodes []textNode
	para := 0
	for pos := 0; pos < len(xml); {
		loc := textOrParaRe.FindStringIndex(xml[pos:])
		if loc == nil {
			break
		}
		s, e := pos+loc[0], pos+loc[1]
		if !strings.HasPrefix(xml[s:], "<w:t") {
			para++
			pos = e
			continue
		}
		close := strings.Index(xml[e:], "</w:t>")
		if close < 0 {
			break
		}
		nodes = append(nodes, textNode{tagStart: s, start: e, end: e + close, para: para,
			text: html.UnescapeString(xml[e : e+close])})
		pos = e + close + len("</w:t>")
	}
	return nodes
}

// mergeSplitPlaceholders moves every placeholder that Word split over
// several runs (spell-check marks, formatting changes) wholly into the
// first run that holds part of it, so later steps find each placeholder
// inside one <w:t>. Text outside placeholders stays in its own run.
func mergeSplitPlaceholders(xml string) string {
	nodes := textNodes(xml)
	newText := make([]string, len(nodes))
	changed := make([]bool, len(nodes))
	for i := 0; i < len(nodes); {
		j := i
		for j < len(nodes) && nodes[j].para == nodes[i].para {
			j++
		}
		// Paragraph nodes[i:j]: owner of each byte of the joined text.
		var joined strings.Builder
		var owner []int
		for k := i; k < j; k++ {
			joined.WriteString(nodes[k].text)
			for range len(nodes[k].text) {
				owner = append(owner, k)
			}
		}
		text := joined.String()
		moved := false
		for _, m := range placeRe.FindAllStringSubmatchIndex(text, -1) {
			if !nameRe.MatchString(text[m[2]:m[3]]) || owner[m[0]] == owner[m[1]-1] {
				continue
			}
			for b := m[0]; b < m[1]; b++ {
				owner[b] = owner[m[0]]
			}
			moved = true
		}
		if moved {
			parts := make([]strings.Builder, j-i)
			for b := 0; b < len(text); b++ {
				parts[owner[b]-i].WriteByte(text[b])
			}
			for k := i; k < j; k++ {
				if s := parts[k-i].String(); s != nodes[k].text {
					newText[k], changed[k] = s, true
				}
			}
		}
		i = j
	}
	var out strings.Builder
	last := 0
	for k, n := range nodes {
		if !changed[k] {
			continue
		}
		out.WriteString(xml[last:n.tagStart])
		out.WriteString(preserveTag(xml[n.tagStart:n.start]))
		out.WriteString(escapeText(newText[k]))
		last = n.end
	}
	if last == 0 {
		return xml
	}
	out.WriteString(xml[last:])
	return out.String()
}

// preserveTag makes a <w:t> start tag keep leading/trailing spaces.
func preserveTag(tag string) string {
	if strings.Contains(tag, "xml:space=") {
		return tag
	}
	return `<w:t xml:space="preserve"` + tag[len("<w:t"):]
}

func escapeText(s string) string {
	var b bytes.Buffer
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			// A line break inside the run: close the text, break, reopen.
			b.WriteString(`</w:t><w:br/><w:t xml:space="preserve">`)
		}
		xmlEscape(&b, line)
	}
	return b.String()
}

// xmlEscape writes s escaped for element text, dropping characters XML 1.0
// does not allow (control characters a value may carry from a paste).
func xmlEscape(b *bytes.Buffer, s string) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '\t' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20 || r == 0xFFFE || r == 0xFFFF || (r >= 0xD800 && r <= 0xDFFF):
			// not allowed in XML: drop
		default:
			b.WriteRune(r)
		}
	}
}

// fillText replaces {name} in every text node by data[name]; it returns the
// names that have no value.
func fillText(xml string, data map[string]string) (string, []string) {
	nodes := textNodes(xml)
	var missing []string
	var out strings.Builder
	last := 0
	for _, n := range nodes {
		if !strings.Contains(n.text, "{") {
			continue
		}
		replaced := false
		text := placeRe.ReplaceAllStringFunc(n.text, func(m string) string {
			name := m[1 : len(m)-1]
			if !nameRe.MatchString(name) {
				return m
			}
			v, ok := data[name]
			if !ok {
				missing = append(missing, name)
				return m
			}
			replaced = true
			return v
		})
		if !replaced {
			continue
		}
		out.WriteString(xml[last:n.tagStart])
		out.WriteString(preserveTag(xml[n.tagStart:n.start]))
		out.WriteString(escapeText(text))
		last = n.end
	}
	if last == 0 {
		return xml, missing
	}
	out.WriteString(xml[last:])
	return out.String(), missing
}

// rowBounds returns the start and end of the innermost <w:tr> element that
// contains position p, or -1.
func rowBounds(xml string, p int) (int, int) {
	starts := trStartRe.FindAllStringIndex(xml[:p], -1)
	for k := len(starts) - 1; k >= 0; k-- {
		s := starts[k][0]
		depth, pos := 0, s
		for pos < len(xml) {
			next := trStartRe.FindStringIndex(xml[pos:])
			end := strings.Index(xml[pos:], "</w:tr>")
			if end < 0 {
				return -1, -1
			}
			if next != nil && next[0] < end {
				depth++
				pos += next[1]
				continue
			}
			depth--
			pos += end + len("</w:tr>")
			if depth == 0 {
				break
			}
		}
		if pos > p {
			return s, pos
		}
	}
	return -1, -1
}

// repeatRows expands every table row holding {key.N} placeholders into one
// copy per data row. It reports whether such a row was found.
func repeatRows(xml, key string, rows [][]string) (string, bool, error) {
	if !nameRe.MatchString(key) {
		return "", false, fmt.Errorf("bad table key %q", key)
	}
	marker := "{" + key + "."
	cellRe := regexp.MustCompile(`\{` + regexp.QuoteMeta(key) + `\.(\d+)\}`)
	found := false
	for from := 0; ; {
		p := strings.Index(xml[from:], marker)
		if p < 0 {
			break
		}
		p += from
		s, e := rowBounds(xml, p)
		if s < 0 {
			return "", false, fmt.Errorf("{%s.N} is not inside a table row", key)
		}
		found = true
		tmpl := xml[s:e]
		var b strings.Builder
		for _, row := range rows {
			b.WriteString(cellRe.ReplaceAllStringFunc(tmpl, func(m string) string {
				i, _ := strconv.Atoi(cellRe.FindStringSubmatch(m)[1])
				if i < len(row) {
					return escapeText(row[i])
				}
				return ""
			}))
		}
		xml = xml[:s] + b.String() + xml[e:]
		from = s + b.Len()
	}
	return xml, found, nil
}

// Templates finds .docx templates: a file under CustomDir (a province's
// own formats) overrides the embedded official one of the same name.
type Templates struct {
	Embedded  fs.FS
	CustomDir string
}

// Open returns the template file name (a slash-separated relative path).
func (t Templates) Open(name string) ([]byte, error) {
	if !fs.ValidPath(name) || strings.Contains(name, `\`) || name == "." {
		return nil, fmt.Errorf("docx: bad template name %q", name)
	}
	if t.CustomDir != "" {
		// os.Root keeps a name (or a symlink) from leaving CustomDir.
		root, err := os.OpenRoot(t.CustomDir)
		if err == nil {
			b, err := root.ReadFile(name)
			root.Close()
			if err == nil {
				return b, nil
			}
			if !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("docx: custom template %s: %w", name, err)
			}
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("docx: custom template dir: %w", err)
		}
	}
	if t.Embedded != nil {
		b, err := fs.ReadFile(t.Embedded, name)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("docx: template %s: %w", name, err)
		}
	}
	return nil, fmt.Errorf("docx: 模板「%s」不存在: %w", name, fs.ErrNotExist)
}

// Render opens template name and fills it (see RenderDocx).
func (t Templates) Render(name string, data map[string]string, tables map[string][][]string) ([]byte, error) {
	b, err := t.Open(name)
	if err != nil {
		return nil, err
	}
	return RenderDocx(b, data, tables)
}
