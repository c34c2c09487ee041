// Command gen writes the standard people's mediation documents as Word
// (.docx) templates into the parent directory:
//
//	cd internal/mediation/doctemplates && go generate
//
// Each document is plain WordprocessingML built with archive/zip: A4 page,
// title in 宋体 二号 bold and centred, text in 仿宋, forms as bordered
// tables. Placeholders follow internal/docs/docx.go: {name} for a value, a
// table row holding {parties.0} … {parties.6} repeats once per party. The
// names are the ones mediation.Placeholders knows (a test checks this). A
// province may replace any file through the custom directory
// (custom/documents/mediation/<file>.docx) — copy the generated file and
// edit it in Word; keep the placeholders.
package main

import (
	"archive/zip"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Page geometry in twentieths of a point (dxa): A4, 2.2 cm side margins.
const (
	pageW, pageH = 11906, 16838
	marginTB     = 1440
	marginLR     = 1247
	textW        = pageW - 2*marginLR
)

const (
	fontTitle = "宋体"
	fontBody  = "仿宋"
	sizeTitle = 44 // half-points: 二号
	sizeBody  = 28 // 四号
	sizeTable = 24 // 小四
)

func esc(s string) string {
	var b bytes.Buffer
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// run is one run of text in a font and size.
func run(text, font string, size int, bold bool) string {
	b := ""
	if bold {
		b = `<w:b/><w:bCs/>`
	}
	return fmt.Sprintf(`<w:r><w:rPr><w:rFonts w:ascii="%[1]s" w:eastAsia="%[1]s" w:hAnsi="%[1]s" w:cs="%[1]s"/>%[2]s<w:sz w:val="%[3]d"/><w:szCs w:val="%[3]d"/></w:rPr><w:t xml:space="preserve">%[4]s</w:t></w:r>`,
		font, b, size, esc(text))
}

// para options.
type popt struct {
	align      string // left, center, right, both
	indent     bool   // first line indented two characters
	before     int    // spacing before, dxa
	after      int
	font       string
	size       int
	bold       bool
	lineExact  int // exact line height, dxa (0 = 1.5 lines)
	keepNext   bool
	labelBold  string // a bold label before the text
	pageBreak  bool
	leftIndent int
}

func para(text string, o popt) string {
	if o.font == "" {
		o.font = fontBody
	}
	if o.size == 0 {
		o.size = sizeBody
	}
	var pPr strings.Builder
	if o.keepNext {
		pPr.WriteString(`<w:keepNext/>`)
	}
	if o.pageBreak {
		pPr.WriteString(`<w:pageBreakBefore/>`)
	}
	line := `w:line="360" w:lineRule="auto"`
	if o.lineExact > 0 {
		line = fmt.Sprintf(`w:line="%d" w:lineRule="exact"`, o.lineExact)
	}
	fmt.Fprintf(&pPr, `<w:spacing w:before="%d" w:after="%d" %s/>`, o.before, o.after, line)
	if o.indent {
		fmt.Fprintf(&pPr, `<w:ind w:firstLineChars="200" w:firstLine="%d"/>`, o.size*20)
	} else if o.leftIndent > 0 {
		fmt.Fprintf(&pPr, `<w:ind w:left="%d"/>`, o.leftIndent)
	}
	if o.align != "" {
		fmt.Fprintf(&pPr, `<w:jc w:val="%s"/>`, o.align)
	}
	runs := ""
	if o.labelBold != "" {
		runs = run(o.labelBold, o.font, o.size, true)
	}
	if text != "" {
		runs += run(text, o.font, o.size, o.bold)
	}
	return `<w:p><w:pPr>` + pPr.String() + `</w:pPr>` + runs + `</w:p>`
}

func title(s string) string {
	return para(s, popt{align: "center", font: fontTitle, size: sizeTitle, bold: true, before: 0, after: 240})
}

func right(s string) string { return para(s, popt{align: "right"}) }

// labelled writes "label" in bold followed by the value on the same line.
// Left-aligned: a justified line that ends in a line break (multi-line
// values) is stretched across the page by LibreOffice.
func labelled(label, value string) string { return para(value, popt{labelBold: label, align: "left"}) }

// body is an indented body paragraph.
func body(s string) string { return para(s, popt{indent: true, align: "both"}) }

// cell is one table cell.
type cell struct {
	text  string
	span  int
	label bool // a label cell: bold, centred
	left  bool // align value left (default for values)
}

func L(s string) cell            { return cell{text: s, label: true} }
func V(s string) cell            { return cell{text: s, left: true} }
func VS(s string, span int) cell { return cell{text: s, span: span, left: true} }
func C(s string) cell            { return cell{text: s} }

// row is one table row with a minimum height (dxa).
type row struct {
	height int
	cells  []cell
}

func R(h int, cs ...cell) row { return row{h, cs} }

// table writes a bordered table over the text width with the relative
// column widths ws.
func table(ws []int, rows ...row) string { return tableSized(sizeTable, ws, rows...) }

// tableSized is table with text of size (half-points).
func tableSized(size int, ws []int, rows ...row) string {
	total := 0
	for _, w := range ws {
		total += w
	}
	cols := make([]int, len(ws))
	for i, w := range ws {
		cols[i] = textW * w / total
	}
	var b strings.Builder
	b.WriteString(`<w:tbl><w:tblPr><w:tblW w:w="` + fmt.Sprint(textW) + `" w:type="dxa"/><w:jc w:val="center"/><w:tblBorders>`)
	for _, side := range []string{"top", "left", "bottom", "right", "insideH", "insideV"} {
		fmt.Fprintf(&b, `<w:%s w:val="single" w:sz="6" w:space="0" w:color="000000"/>`, side)
	}
	b.WriteString(`</w:tblBorders><w:tblLayout w:type="fixed"/><w:tblCellMar><w:left w:w="85" w:type="dxa"/><w:right w:w="85" w:type="dxa"/></w:tblCellMar></w:tblPr><w:tblGrid>`)
	for _, c := range cols {
		fmt.Fprintf(&b, `<w:gridCol w:w="%d"/>`, c)
	}
	b.WriteString(`</w:tblGrid>`)
	for _, r := range rows {
		fmt.Fprintf(&b, `<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="%d"/></w:trPr>`, r.height)
		col := 0
		for _, c := range r.cells {
			span := max(c.span, 1)
			w := 0
			for i := col; i < col+span && i < len(cols); i++ {
				w += cols[i]
			}
			col += span
			b.WriteString(`<w:tc><w:tcPr>`)
			fmt.Fprintf(&b, `<w:tcW w:w="%d" w:type="dxa"/>`, w)
			if span > 1 {
				fmt.Fprintf(&b, `<w:gridSpan w:val="%d"/>`, span)
			}
			valign := "center"
			if c.left && r.height > 1000 {
				valign = "top"
			}
			fmt.Fprintf(&b, `<w:vAlign w:val="%s"/></w:tcPr>`, valign)
			align := "center"
			if c.left {
				align = "left"
			}
			b.WriteString(para(c.text, popt{align: align, size: size, bold: c.label, lineExact: size * 15}))
			b.WriteString(`</w:tc>`)
		}
		b.WriteString(`</w:tr>`)
	}
	b.WriteString(`</w:tbl>`)
	return b.String()
}

// partiesTable lists the parties: one repeated row, in 五号 so that an
// 18-digit ID number and a mobile number fit on one line.
func partiesTable() string {
	return tableSized(21, []int{11, 9, 7, 7, 26, 17, 23},
		R(500, L("身份"), L("姓名"), L("性别"), L("年龄"), L("身份证号码"), L("联系电话"), L("住址")),
		R(500, C("{parties.0}"), C("{parties.1}"), C("{parties.2}"), C("{parties.3}"), C("{parties.4}"), C("{parties.5}"), V("{parties.6}")),
	)
}

func gap() string { return para("", popt{after: 0}) }

// signatures is a line of signature blanks.
func signatures(labels ...string) string {
	return para(strings.Join(labels, "　　　　　　　"), popt{before: 360, align: "left"})
}

// doc is one generated template.
type doc struct {
	file  string
	title string
	body  []string
}

var documents = []doc{
	{"application.docx", "人民调解申请书", []string{
		title("人民调解申请书"),
		right("编号：{case_no}"),
		partiesTable(), gap(),
		labelled("纠纷简要情况：", "{facts}"),
		labelled("申请事项：", "{request}"),
		body("申请人自愿申请{committee}调解上述纠纷。申请人已知悉人民调解的性质、原则和效力，以及在调解活动中享有的权利和承担的义务。"),
		para("申请人（签名、盖章或按指印）：", popt{before: 480, align: "right"}),
		right("{applied_on}"),
	}},
	{"registration.docx", "人民调解受理登记表", []string{
		title("人民调解受理登记表"),
		right("编号：{case_no}"),
		table([]int{20, 30, 20, 30},
			R(560, L("登记日期"), V("{registered_on}"), L("纠纷来源"), V("{source}")),
			R(560, L("纠纷类型"), V("{dispute_type}"), L("申请日期"), V("{applied_on}")),
		),
		para("当事人", popt{before: 120, after: 60, bold: true, size: sizeTable}),
		partiesTable(),
		table([]int{20, 30, 20, 30},
			R(1600, L("纠纷简要情况"), VS("{facts}", 3)),
			R(1200, L("申请事项"), VS("{request}", 3)),
			R(1000, L("受理意见"), VS("{accept_decision}", 3)),
			R(560, L("登记人"), V("{registrar}"), L("指派调解员"), V("{mediator}")),
		),
		para("{committee}（印章）", popt{before: 360, align: "right"}),
	}},
	{"investigation.docx", "人民调解调查记录", []string{
		title("人民调解调查记录"),
		right("编号：{case_no}"),
		table([]int{16, 34, 16, 34},
			R(560, L("时间"), V("{held_on}"), L("地点"), V("{place}")),
			R(560, L("调查人"), V("{mediator}"), L("记录人"), V("{recorder}")),
			R(560, L("被调查人"), VS("{subject}", 3)),
			R(560, L("参加人"), VS("{participants}", 3)),
			R(7600, L("调查记录"), VS("{content}", 3)),
		),
		signatures("被调查人（签名）：", "调查人（签名）：", "记录人（签名）："),
	}},
	{"record.docx", "人民调解记录", []string{
		title("人民调解记录"),
		right("编号：{case_no}"),
		table([]int{16, 34, 16, 34},
			R(560, L("时间"), V("{held_on}"), L("地点"), V("{place}")),
			R(560, L("调解员"), V("{mediator}"), L("记录人"), V("{recorder}")),
			R(560, L("当事人"), VS("{party_names}", 3)),
			R(560, L("参加人"), VS("{participants}", 3)),
			R(6200, L("调解情况"), VS("{content}", 3)),
			R(1200, L("调解结果"), VS("{result}", 3)),
		),
		signatures("当事人（签名）：", "调解员（签名）：", "记录人（签名）："),
	}},
	{"agreement.docx", "人民调解协议书", []string{
		title("人民调解协议书"),
		right("编号：{case_no}"),
		partiesTable(), gap(),
		labelled("纠纷主要事实：", "{facts}"),
		labelled("争议事项：", "{issues}"),
		labelled("各方当事人的责任：", "{responsibility}"),
		labelled("经调解，当事人自愿达成如下协议：", ""),
		para("{terms}", popt{indent: true, align: "left"}),
		labelled("履行方式：", "{performance_method}"),
		labelled("履行地点：", "{performance_place}"),
		labelled("履行期限：", "{performance_deadline}"),
		body("本协议自各方当事人签名、盖章或者按指印，人民调解员签名并加盖人民调解委员会印章之日起生效。本协议一式{copies}份，当事人各执一份，人民调解委员会留存一份。"),
		body("经人民调解委员会调解达成的调解协议，具有法律约束力，当事人应当按照约定履行。双方当事人认为有必要的，可以自本协议生效之日起三十日内共同向人民法院申请司法确认。"),
		signatures("当事人（签名、盖章或按指印）："),
		signatures("人民调解员（签名）："),
		para("{committee}（印章）", popt{before: 360, align: "right"}),
		right("{agreement_date}"),
	}},
	{"oral_agreement.docx", "口头协议登记表", []string{
		title("人民调解口头协议登记表"),
		right("编号：{case_no}"),
		partiesTable(),
		table([]int{20, 30, 20, 30},
			R(2000, L("纠纷简要情况"), VS("{facts}", 3)),
			R(2600, L("协议内容"), VS("{terms}", 3)),
			R(900, L("履行方式、期限"), VS("{performance_method}；{performance_deadline}", 3)),
			R(560, L("调解员"), V("{mediator}"), L("协议达成日期"), V("{agreement_date}")),
			R(560, L("登记日期"), V("{registered_on}"), L("登记人"), V("{registrar}")),
		),
		para("口头调解协议自各方当事人达成协议之日起生效。", popt{before: 120, size: sizeTable}),
		signatures("当事人（签名或按指印）：", "调解员（签名）："),
	}},
	{"followup.docx", "人民调解回访记录", []string{
		title("人民调解回访记录"),
		right("编号：{case_no}"),
		table([]int{20, 30, 20, 30},
			R(560, L("回访日期"), V("{followup_on}"), L("回访方式"), V("{followup_method}")),
			R(560, L("回访人"), V("{followup_by}"), L("被回访人"), V("{subject}")),
			R(560, L("案由"), VS("{case_title}", 3)),
			R(3000, L("协议履行情况"), VS("{performance_status}", 3)),
			R(2400, L("当事人意见"), VS("{followup_opinion}", 3)),
			R(1400, L("备注"), VS("{notes}", 3)),
		),
		signatures("被回访人（签名）：", "回访人（签名）："),
	}},
	{"file_cover.docx", "卷宗封面", []string{
		para("{committee}", popt{align: "center", font: fontTitle, size: 36, bold: true, before: 1200, after: 240}),
		para("人民调解卷宗", popt{align: "center", font: fontTitle, size: 72, bold: true, after: 1200}),
		table([]int{25, 75},
			R(700, L("卷宗编号"), V("{case_no}")),
			R(700, L("案由"), V("{case_title}")),
			R(700, L("当事人"), V("{party_names}")),
			R(700, L("调解员"), V("{mediator}")),
			R(700, L("受理日期"), V("{accepted_on}")),
			R(700, L("结案日期"), V("{closed_on}")),
			R(700, L("调解结果"), V("{result}")),
			R(700, L("立卷人"), V("{archived_by}")),
			R(700, L("立卷日期"), V("{filed_on}")),
			R(700, L("保管期限"), V("{keep_period}")),
		),
	}},
	{"file_index.docx", "卷内目录", []string{
		title("卷内目录"),
		right("卷宗编号：{case_no}"),
		table([]int{8, 46, 18, 12, 16},
			R(560, L("序号"), L("文件材料名称"), L("日期"), L("页号"), L("备注")),
			R(560, C("{items.0}"), V("{items.1}"), C("{items.2}"), C("{items.3}"), C("{items.4}")),
		),
	}},
}

const contentTypes = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>`

const rootRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>`

const docRels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>`

var styles = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="` + fontBody + `" w:eastAsia="` + fontBody + `" w:hAnsi="` + fontBody + `" w:cs="` + fontBody + `"/><w:kern w:val="2"/><w:sz w:val="` + fmt.Sprint(sizeBody) + `"/><w:szCs w:val="` + fmt.Sprint(sizeBody) + `"/><w:lang w:val="en-US" w:eastAsia="zh-CN" w:bidi="ar-SA"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:widowControl w:val="0"/><w:jc w:val="both"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/><w:qFormat/></w:style><w:style w:type="table" w:default="1" w:styleId="TableNormal"><w:name w:val="Normal Table"/><w:tblPr><w:tblInd w:w="0" w:type="dxa"/><w:tblCellMar><w:top w:w="0" w:type="dxa"/><w:left w:w="108" w:type="dxa"/><w:bottom w:w="0" w:type="dxa"/><w:right w:w="108" w:type="dxa"/></w:tblCellMar></w:tblPr></w:style></w:styles>`

func core(t string) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:title>` + esc(t) + `</dc:title><dc:creator>fengqiao</dc:creator><dc:language>zh-CN</dc:language></cp:coreProperties>`
}

func document(d doc) string {
	return `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><w:body>` +
		strings.Join(d.body, "") +
		fmt.Sprintf(`<w:sectPr><w:pgSz w:w="%d" w:h="%d"/><w:pgMar w:top="%d" w:right="%d" w:bottom="%d" w:left="%d" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>`,
			pageW, pageH, marginTB, marginLR, marginTB, marginLR) +
		`</w:body></w:document>`
}

// build zips one document; a fixed timestamp keeps regenerated files
// byte-identical, so a diff shows only real changes.
func build(d doc) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	stamp := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, part := range []struct{ name, body string }{
		{"[Content_Types].xml", contentTypes},
		{"_rels/.rels", rootRels},
		{"docProps/core.xml", core(d.title)},
		{"word/_rels/document.xml.rels", docRels},
		{"word/styles.xml", styles},
		{"word/document.xml", document(d)},
	} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: part.name, Method: zip.Deflate, Modified: stamp})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(part.body)); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func main() {
	dir := "."
	if len(os.Args) > 1 {
		dir = os.Args[1]
	}
	for _, d := range documents {
		b, err := build(d)
		if err != nil {
			fmt.Fprintln(os.Stderr, d.file, err)
			os.Exit(1)
		}
		if err := os.WriteFile(filepath.Join(dir, d.file), b, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	fmt.Printf("wrote %d templates to %s\n", len(documents), dir)
}
