package admin

// Org tree import from .xlsx or .csv.
//
// Flow: upload → every row is validated against the tree in the admin's
// scope and against the rows above it → a preview lists every error by row
// and column and writes nothing → when there is no error, the preview carries
// the parsed rows in a hidden field signed with HMAC (bound to the user), so
// the confirming POST needs no second upload and no server-side temp file;
// the confirm step validates again (the tree may have changed meanwhile) and
// creates all rows in one transaction with org.Store.CreateTx.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// Import limits.
const (
	importMaxBytes = 5 << 20
	importMaxRows  = 5000
)

// Column headers, in template order.
const (
	colParentCode = "上级行政区划代码"
	colParentName = "上级机构名称"
	colKind       = "机构类型"
	colName       = "名称"
	colCode       = "行政区划代码"
	colShort      = "简称"
	colSort       = "排序"
	colAddress    = "地址"
	colPhone      = "电话"
)

var importColumns = []string{colParentCode, colParentName, colKind, colName, colCode, colShort, colSort, colAddress, colPhone}

// importRow is one data row as read from the file.
type importRow struct {
	Row        int    `json:"r"`
	ParentCode string `json:"pc,omitempty"`
	ParentName string `json:"pn,omitempty"`
	Kind       string `json:"k,omitempty"`
	Name       string `json:"n,omitempty"`
	Code       string `json:"c,omitempty"`
	Short      string `json:"s,omitempty"`
	Sort       string `json:"o,omitempty"`
	Address    string `json:"a,omitempty"`
	Phone      string `json:"p,omitempty"`
}

// importError is one problem, located by spreadsheet row and column.
type importError struct {
	Row     int    // 1-based spreadsheet row; the header is row 1
	Col     string // column letter, "" when about the whole row or file
	Column  string // column header
	Message string
}

// importPlan is a validated row ready to create.
type importPlan struct {
	Row       importRow
	Input     org.Input
	ParentRow int    // index of a plan created earlier in the file, -1 for an existing parent
	Parent    string // parent name for the preview
	KindName  string
}

type importTable struct {
	cols   map[string]int // header → 0-based column index
	rows   []importRow
	errors []importError
}

// colLetter turns a 0-based index into A, B, …, AA.
func colLetter(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

// normHeader drops decorations such as "*" and "(必填)" and spaces.
func normHeader(s string) string {
	s = strings.NewReplacer("（", "(", "）", ")", "＊", "", "*", "", " ", "", "\u3000", "", "\ufeff", "").Replace(strings.TrimSpace(s))
	if i := strings.Index(s, "("); i > 0 {
		s = s[:i]
	}
	return s
}

// readImportFile returns the cells of the first sheet of an .xlsx or of a
// .csv (UTF-8, with or without BOM, or GB18030 as saved by Excel on Chinese
// Windows).
func readImportFile(name string, data []byte) ([][]string, error) {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		f, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			return nil, errors.New("无法读取该Excel文件，请确认是 .xlsx 格式且未加密")
		}
		defer f.Close()
		sheets := f.GetSheetList()
		if len(sheets) == 0 {
			return nil, errors.New("Excel文件中没有工作表")
		}
		rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, errors.New("无法读取第一个工作表：" + err.Error())
		}
		return rows, nil
	case ".csv":
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
			if err != nil {
				return nil, errors.New("CSV文件编码无法识别，请另存为 UTF-8 编码")
			}
			data = dec
		}
		r := csv.NewReader(bytes.NewReader(data))
		r.FieldsPerRecord = -1
		r.LazyQuotes = true
		rows, err := r.ReadAll()
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, fmt.Errorf("CSV文件第%d行格式有误", pe.Line)
			}
			return nil, errors.New("CSV文件格式有误")
		}
		return rows, nil
	case ".xls":
		return nil, errors.New("不支持旧版 .xls 文件，请在Excel中“另存为”.xlsx 后再上传")
	}
	return nil, errors.New("只支持 .xlsx 或 .csv 文件")
}

// parseTable maps the header row and reads the data rows.
func parseTable(cells [][]string) importTable {
	t := importTable{cols: map[string]int{}}
	if len(cells) == 0 {
		t.errors = append(t.errors, importError{Row: 1, Message: "文件是空的：第1行应为表头"})
		return t
	}
	for i, h := range cells[0] {
		n := normHeader(h)
		if n == "" {
			continue
		}
		known := false
		for _, c := range importColumns {
			if c == n {
				known = true
			}
		}
		if !known {
			t.errors = append(t.errors, importError{Row: 1, Col: colLetter(i), Column: h, Message: "无法识别的列名“" + strings.TrimSpace(h) + "”，请使用模板中的列名"})
			continue
		}
		if prev, dup := t.cols[n]; dup {
			t.errors = append(t.errors, importError{Row: 1, Col: colLetter(i), Column: n, Message: "列名重复(已在" + colLetter(prev) + "列)"})
			continue
		}
		t.cols[n] = i
	}
	for _, req := range []string{colKind, colName, colCode} {
		if _, ok := t.cols[req]; !ok {
			t.errors = append(t.errors, importError{Row: 1, Column: req, Message: "缺少必需的列“" + req + "”"})
		}
	}
	_, hasPC := t.cols[colParentCode]
	_, hasPN := t.cols[colParentName]
	if !hasPC && !hasPN {
		t.errors = append(t.errors, importError{Row: 1, Column: colParentCode, Message: "缺少“上级行政区划代码”或“上级机构名称”列"})
	}
	if len(t.errors) > 0 {
		return t
	}
	get := func(row []string, col string) string {
		i, ok := t.cols[col]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	for i, row := range cells[1:] {
		empty := true
		for _, c := range row {
			if strings.TrimSpace(c) != "" {
				empty = false
				break
			}
		}
		if empty {
			continue
		}
		t.rows = append(t.rows, importRow{Row: i + 2,
			ParentCode: get(row, colParentCode), ParentName: get(row, colParentName), Kind: get(row, colKind),
			Name: get(row, colName), Code: get(row, colCode), Short: get(row, colShort), Sort: get(row, colSort),
			Address: get(row, colAddress), Phone: get(row, colPhone)})
	}
	if len(t.rows) == 0 {
		t.errors = append(t.errors, importError{Row: 2, Message: "没有数据行：请从第2行起每行填写一个机构"})
	}
	if len(t.rows) > importMaxRows {
		t.errors = append(t.errors, importError{Row: t.rows[importMaxRows].Row, Message: fmt.Sprintf("一次最多导入%d行，请分批导入", importMaxRows)})
		t.rows = t.rows[:importMaxRows]
	}
	return t
}

// kindAliases accepts what people write in the 机构类型 column.
var kindAliases = func() map[string]org.Kind {
	m := map[string]org.Kind{
		"县司法局": org.County, "区司法局": org.County, "县(市、区)司法局": org.County, "司法厅": org.Province,
		"村": org.Village, "社区": org.Village, "村(居)": org.Village, "居委会": org.Village, "村委会": org.Village,
		"大所带小所": org.Cluster, "调委会": org.Committee, "调解委员会": org.Committee,
		"法援中心": org.LegalAidCenter, "科室": org.Section, "其他": org.Other,
	}
	for _, k := range org.Kinds {
		m[k.Name] = k.Kind
		m[string(k.Kind)] = k.Kind
	}
	return m
}()

func parseKind(s string) (org.Kind, bool) {
	s = strings.NewReplacer("（", "(", "）", ")", " ", "").Replace(s)
	k, ok := kindAliases[s]
	return k, ok
}

func kindNames() string {
	var names []string
	for _, k := range org.Kinds {
		names = append(names, k.Name)
	}
	return strings.Join(names, "、")
}

// parentCodeOK mirrors the org store's rule: a child's division code lies
// under its parent's.
func parentCodeOK(parentKind org.Kind, parentCode, code string) bool {
	if code == "" || parentCode == "" {
		return true
	}
	pc := strings.TrimRight(parentCode, "0")
	switch parentKind {
	case org.Province:
		pc = parentCode[:min(2, len(parentCode))]
	case org.City:
		pc = parentCode[:min(4, len(parentCode))]
	}
	return strings.HasPrefix(code, pc)
}

// candidate is a possible parent: an existing org or an earlier row.
type candidate struct {
	ID   int64
	Row  int // plan index, -1 for existing
	Kind org.Kind
	Name string
	Code string
}

// importer validates rows against the tree in scope, caching lookups.
type importer struct {
	h      *Handler
	ctx    context.Context
	sc     org.Scope
	byCode map[string][]candidate // existing orgs by division code
	byName map[string][]candidate
	names  map[int64]map[string]bool // existing children names per parent
}

func (im *importer) existing(key string, byCode bool) ([]candidate, error) {
	cache := im.byName
	if byCode {
		cache = im.byCode
	}
	if c, ok := cache[key]; ok {
		return c, nil
	}
	os, _, err := im.h.Orgs.List(im.ctx, im.sc, org.Filter{Query: key, Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []candidate
	for _, o := range os {
		if (byCode && o.DivisionCode == key) || (!byCode && o.Name == key) {
			out = append(out, candidate{ID: o.ID, Row: -1, Kind: o.Kind, Name: o.Name, Code: o.DivisionCode})
		}
	}
	cache[key] = out
	return out, nil
}

func (im *importer) childNames(parentID int64) (map[string]bool, error) {
	if m, ok := im.names[parentID]; ok {
		return m, nil
	}
	kids, err := im.h.Orgs.Children(im.ctx, im.sc, parentID)
	if err != nil {
		return nil, err
	}
	m := map[string]bool{}
	for _, k := range kids {
		m[k.Name] = true
	}
	im.names[parentID] = m
	return m, nil
}

// validateImport checks every row; plans are returned only when there is
// no error at all.
func (h *Handler) validateImport(ctx context.Context, sc org.Scope, t importTable) ([]importPlan, []importError, error) {
	errs := append([]importError(nil), t.errors...)
	if len(t.errors) > 0 && len(t.rows) == 0 {
		return nil, errs, nil
	}
	im := &importer{h: h, ctx: ctx, sc: sc, byCode: map[string][]candidate{}, byName: map[string][]candidate{}, names: map[int64]map[string]bool{}}
	letter := func(col string) string {
		if i, ok := t.cols[col]; ok {
			return colLetter(i)
		}
		return ""
	}
	var plans []importPlan
	fileByCode := map[string][]candidate{}
	fileByName := map[string][]candidate{}
	seenKindCode := map[string]int{} // kind|code → row
	seenParentName := map[string]int{}
	for _, r := range t.rows {
		fail := func(col, msg string) {
			errs = append(errs, importError{Row: r.Row, Col: letter(col), Column: col, Message: msg})
		}
		p := importPlan{Row: r, ParentRow: -1}
		kind, kindOK := parseKind(r.Kind)
		switch {
		case r.Kind == "":
			fail(colKind, "机构类型必填")
		case !kindOK:
			fail(colKind, "机构类型“"+r.Kind+"”无法识别，可填："+kindNames())
		}
		p.KindName = org.KindName(kind)
		if r.Name == "" {
			fail(colName, "名称必填")
		} else if utf8.RuneCountInString(r.Name) > 100 {
			fail(colName, "名称不能超过100字")
		}
		if kindOK {
			if err := org.ValidDivisionCode(kind, r.Code); err != nil {
				fail(colCode, err.Error())
			} else if r.Code != "" {
				key := string(kind) + "|" + r.Code
				if prev, dup := seenKindCode[key]; dup {
					fail(colCode, fmt.Sprintf("与第%d行的行政区划代码重复", prev))
				} else {
					seenKindCode[key] = r.Row
					ex, err := im.existing(r.Code, true)
					if err != nil {
						return nil, nil, err
					}
					for _, c := range ex {
						if c.Kind == kind {
							fail(colCode, "系统中已有该代码的"+p.KindName+"：“"+c.Name+"”")
							break
						}
					}
				}
			}
		}
		sort := 0
		if r.Sort != "" {
			n, err := strconv.Atoi(r.Sort)
			if err != nil {
				fail(colSort, "排序应为整数")
			}
			sort = n
		}
		if utf8.RuneCountInString(r.Short) > 50 {
			fail(colShort, "简称不能超过50字")
		}
		if utf8.RuneCountInString(r.Address) > 200 {
			fail(colAddress, "地址不能超过200字")
		}
		if r.Phone != "" && !validPhone(r.Phone) {
			fail(colPhone, "电话只能包含数字、空格、“-”、括号和“转”，不超过30字")
		}

		// The parent: an earlier row of this file first, then the tree in scope.
		var cands []candidate
		parentCol, parentKey := colParentCode, r.ParentCode
		if r.ParentCode != "" {
			cands = fileByCode[r.ParentCode]
			if len(cands) == 0 {
				ex, err := im.existing(r.ParentCode, true)
				if err != nil {
					return nil, nil, err
				}
				cands = ex
			}
		} else if r.ParentName != "" {
			parentCol, parentKey = colParentName, r.ParentName
			cands = fileByName[r.ParentName]
			if len(cands) == 0 {
				ex, err := im.existing(r.ParentName, false)
				if err != nil {
					return nil, nil, err
				}
				cands = ex
			}
		}
		var parent *candidate
		switch {
		case r.ParentCode == "" && r.ParentName == "":
			fail(colParentCode, "请填写上级行政区划代码或上级机构名称")
		case len(cands) == 0:
			fail(parentCol, "找不到上级机构“"+parentKey+"”：既不在本文件前面的行中，也不在您的管辖范围内")
		default:
			var fit []candidate
			for _, c := range cands {
				if !kindOK || org.CanPlace(kind, c.Kind) {
					fit = append(fit, c)
				}
			}
			switch {
			case len(fit) == 1:
				parent = &fit[0]
			case len(fit) == 0:
				fail(colKind, p.KindName+"不能设在"+org.KindName(cands[0].Kind)+"“"+cands[0].Name+"”之下")
			default:
				fail(parentCol, "“"+parentKey+"”对应多个可作上级的机构，请改用上级行政区划代码或更具体的名称")
			}
		}
		if parent != nil {
			p.Parent = parent.Name
			if r.ParentCode != "" && r.ParentName != "" && r.ParentName != parent.Name {
				fail(colParentName, "上级机构名称与上级行政区划代码不一致(该代码是“"+parent.Name+"”)")
			}
			if kindOK && !parentCodeOK(parent.Kind, parent.Code, r.Code) {
				fail(colCode, fmt.Sprintf("行政区划代码 %s 不在上级 %s(%s)之下", r.Code, parent.Name, parent.Code))
			}
			key := strconv.FormatInt(parent.ID, 10) + "|" + strconv.Itoa(parent.Row) + "|" + r.Name
			if prev, dup := seenParentName[key]; dup {
				fail(colName, fmt.Sprintf("同一上级下与第%d行重名", prev))
			} else if r.Name != "" {
				seenParentName[key] = r.Row
				if parent.Row < 0 {
					names, err := im.childNames(parent.ID)
					if err != nil {
						return nil, nil, err
					}
					if names[r.Name] {
						fail(colName, "上级“"+parent.Name+"”下已有同名机构")
					}
				}
			}
			p.ParentRow = parent.Row
			p.Input.ParentID = parent.ID
		}
		p.Input.Kind, p.Input.Name, p.Input.ShortName, p.Input.DivisionCode = kind, r.Name, r.Short, r.Code
		p.Input.Sort, p.Input.Address, p.Input.Phone = sort, r.Address, r.Phone
		// Later rows may hang under this one, valid or not, so one bad row
		// is not reported again for each of its children.
		self := candidate{Row: len(plans), Kind: kind, Name: r.Name, Code: r.Code}
		if r.Code != "" {
			fileByCode[r.Code] = append(fileByCode[r.Code], self)
		}
		if r.Name != "" {
			fileByName[r.Name] = append(fileByName[r.Name], self)
		}
		plans = append(plans, p)
	}
	if len(errs) > 0 {
		return plans, errs, nil
	}
	return plans, nil, nil
}

// commitImport creates every plan in one transaction.
func (h *Handler) commitImport(ctx context.Context, sc org.Scope, plans []importPlan, fileName string) ([]org.Org, *importError, error) {
	created := make([]org.Org, 0, len(plans))
	var rowErr *importError
	err := h.Orgs.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, p := range plans {
			in := p.Input
			if p.ParentRow >= 0 {
				in.ParentID = created[p.ParentRow].ID
			}
			o, err := h.Orgs.CreateTx(ctx, tx, sc, in)
			if err != nil {
				f := web.NewForm(nil)
				if f.FailErr(err) {
					l := f.List()[0]
					col := map[string]string{"kind": colKind, "name": colName, "division_code": colCode, "parent_id": colParentCode}[l.Field]
					rowErr = &importError{Row: p.Row.Row, Column: col, Message: l.Message}
				}
				return err
			}
			created = append(created, o)
		}
		return audit.Record(ctx, tx, audit.Event{Action: "org.import", ObjectType: "org", Detail: fmt.Sprintf("%d orgs from %s", len(created), filepath.Ext(fileName))})
	})
	if err != nil && rowErr != nil {
		return nil, rowErr, nil
	}
	return created, nil, err
}

type importData struct {
	FileName  string
	Rows      int
	Plans     []importPlan
	Shown     []importPlan // the first rows, for the preview table
	Errors    []importError
	Payload   string
	Signature string
	Created   []org.Org
	Done      bool
	ErrRows   map[int]bool // rows with an error, marked in the preview
}

func (h *Handler) importPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "org_import.html", &web.Page{Title: "导入机构", Form: web.NewForm(nil), Data: importData{},
		Breadcrumbs: []web.Crumb{{Label: "组织机构", Path: "/admin/orgs"}, {Label: "导入机构"}}})
}

func (h *Handler) renderImport(w http.ResponseWriter, r *http.Request, status int, f *web.Form, d importData) {
	if len(d.Plans) > 0 {
		d.Shown = d.Plans[:min(len(d.Plans), 500)]
	}
	d.ErrRows = map[int]bool{}
	for _, e := range d.Errors {
		d.ErrRows[e.Row] = true
	}
	h.render(w, r, status, "org_import.html", &web.Page{Title: "导入机构", Form: f, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "组织机构", Path: "/admin/orgs"}, {Label: "导入机构"}}})
}

// sign binds the rows to the user who previewed them.
func (h *Handler) sign(userID int64, payload string) string {
	m := hmac.New(sha256.New, h.ImportKey)
	fmt.Fprintf(m, "org-import|%d|%s", userID, payload)
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Handler) importPreview(w http.ResponseWriter, r *http.Request) {
	f := web.NewForm(nil)
	r.Body = http.MaxBytesReader(w, r.Body, importMaxBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			f.Fail("file", fmt.Sprintf("文件不能超过%dMB", importMaxBytes>>20))
			h.renderImport(w, r, http.StatusRequestEntityTooLarge, f, importData{})
			return
		}
		f.Fail("file", "请选择要导入的文件")
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, importData{})
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		f.Fail("file", "请选择要导入的文件")
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, importData{})
		return
	}
	defer file.Close()
	data, err := io.ReadAll(io.LimitReader(file, importMaxBytes+1))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(data) > importMaxBytes {
		f.Fail("file", fmt.Sprintf("文件不能超过%dMB", importMaxBytes>>20))
		h.renderImport(w, r, http.StatusRequestEntityTooLarge, f, importData{})
		return
	}
	d := importData{FileName: filepath.Base(hdr.Filename)}
	cells, err := readImportFile(hdr.Filename, data)
	if err != nil {
		f.Fail("file", err.Error())
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, d)
		return
	}
	t := parseTable(cells)
	h.previewRows(w, r, f, d, t)
}

// previewRows validates and shows the preview; with no error it carries the
// signed rows for the confirm button.
func (h *Handler) previewRows(w http.ResponseWriter, r *http.Request, f *web.Form, d importData, t importTable) {
	p := me(r)
	plans, errs, err := h.validateImport(r.Context(), manageScope(p), t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d.Rows, d.Plans, d.Errors = len(t.rows), plans, errs
	if len(errs) > 0 {
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, d)
		return
	}
	b, _ := json.Marshal(struct {
		File string      `json:"f"`
		Cols []string    `json:"h"`
		Rows []importRow `json:"rows"`
	}{d.FileName, columnOrder(t.cols), t.rows})
	d.Payload = base64.RawURLEncoding.EncodeToString(b)
	d.Signature = h.sign(p.UserID, d.Payload)
	h.renderImport(w, r, http.StatusOK, f, d)
}

// columnOrder lists the headers by column position, so errors found at
// confirmation still name the file's column letters.
func columnOrder(cols map[string]int) []string {
	n := 0
	for _, i := range cols {
		n = max(n, i+1)
	}
	out := make([]string, n)
	for c, i := range cols {
		out[i] = c
	}
	return out
}

func (h *Handler) importConfirm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 16<<20)
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "")
		return
	}
	f := web.NewForm(nil)
	p := me(r)
	payload, sig := r.PostForm.Get("payload"), r.PostForm.Get("sig")
	var body struct {
		File string      `json:"f"`
		Cols []string    `json:"h"`
		Rows []importRow `json:"rows"`
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || !hmac.Equal([]byte(sig), []byte(h.sign(p.UserID, payload))) || json.Unmarshal(raw, &body) != nil {
		f.Fail("file", "预览已失效(服务已重启或内容被改动)，请重新上传文件")
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, importData{})
		return
	}
	t := importTable{cols: map[string]int{}, rows: body.Rows}
	for i, c := range body.Cols {
		if c != "" {
			t.cols[c] = i
		}
	}
	d := importData{FileName: body.File}
	sc := manageScope(p)
	plans, errs, err := h.validateImport(r.Context(), sc, t)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if len(errs) > 0 {
		d.Rows, d.Plans, d.Errors = len(t.rows), plans, errs
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, d)
		return
	}
	created, rowErr, err := h.commitImport(r.Context(), sc, plans, body.File)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rowErr != nil {
		if i, ok := t.cols[rowErr.Column]; ok {
			rowErr.Col = colLetter(i)
		}
		d.Rows, d.Plans, d.Errors = len(t.rows), plans, []importError{*rowErr}
		h.renderImport(w, r, http.StatusUnprocessableEntity, f, d)
		return
	}
	d.Done, d.Created, d.Rows = true, created, len(created)
	web.SetFlash(w, fmt.Sprintf("导入完成：新增 %d 个机构", len(created)))
	h.renderImport(w, r, http.StatusOK, f, d)
}

// importTemplate serves the .xlsx template: the import sheet first (only it
// is read), then instructions and an example.
func (h *Handler) importTemplate(w http.ResponseWriter, r *http.Request) {
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "机构导入"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		h.fail(w, r, err)
		return
	}
	head, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F2"}},
		Border: []excelize.Border{{Type: "bottom", Color: "7F7F7F", Style: 1}}})
	text, _ := x.NewStyle(&excelize.Style{NumFmt: 49}) // "@": codes stay text, no 5.1E+11
	headers := make([]any, len(importColumns))
	for i, c := range importColumns {
		headers[i] = c
	}
	write := func(sh string) {
		_ = x.SetSheetRow(sh, "A1", &headers)
		_ = x.SetRowStyle(sh, 1, 1, head)
		_ = x.SetColStyle(sh, "A", text)
		_ = x.SetColStyle(sh, "E", text)
		_ = x.SetColWidth(sh, "A", "B", 18)
		_ = x.SetColWidth(sh, "C", "C", 16)
		_ = x.SetColWidth(sh, "D", "D", 28)
		_ = x.SetColWidth(sh, "E", "E", 16)
		_ = x.SetColWidth(sh, "H", "H", 30)
		_ = x.SetColWidth(sh, "I", "I", 16)
		_ = x.SetPanes(sh, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	write(sheet)
	dv := excelize.NewDataValidation(true)
	dv.Sqref = fmt.Sprintf("C2:C%d", importMaxRows+1)
	var names []string
	for _, k := range org.Kinds {
		names = append(names, k.Name)
	}
	_ = dv.SetDropList(names)
	_ = x.AddDataValidation(sheet, dv)

	const ex = "填写示例"
	_, _ = x.NewSheet(ex)
	write(ex)
	examples := [][]any{
		{"511902", "", "司法所", "江北街道司法所", "511902001", "江北所", 1, "巴中市巴州区江北大道1号", "0827-5260001"},
		{"511902001", "", "村(社区)", "白鹤社区", "511902001001", "", 1, "", ""},
		{"511902001001", "", "人民调解委员会", "白鹤社区人民调解委员会", "", "", 1, "", ""},
		{"", "巴州区司法局", "片区", "江北片区", "", "", 9, "", ""},
	}
	for i, row := range examples {
		_ = x.SetSheetRow(ex, "A"+strconv.Itoa(i+2), &row)
	}
	const help = "填写说明"
	_, _ = x.NewSheet(help)
	lines := []string{
		"只读取第一个工作表“机构导入”；第1行为表头，从第2行起每行一个机构。",
		"上级行政区划代码：上级机构的行政区划代码，可以是系统中已有的机构，也可以是本表前面行中的机构。没有代码的上级(如片区)填写“上级机构名称”。两列都填时以代码为准。",
		"机构类型：" + kindNames() + "。",
		"行政区划代码(GB/T 2260)：省、市、县6位，乡镇(街道)即司法所9位，村(社区)12位；片区、调委会等可不填。须在上级的代码之下。",
		"简称、排序(整数，小的在前)、地址、电话可不填。",
		"上传后系统逐行检查，有任何错误都不会写入，并列出行号、列和原因；全部无误后点“确认导入”一次性写入。",
	}
	_ = x.SetColWidth(help, "A", "A", 120)
	for i, l := range lines {
		_ = x.SetCellStr(help, "A"+strconv.Itoa(i+1), l)
	}
	x.SetActiveSheet(0)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="org-import-template.xlsx"; filename*=UTF-8''`+url.PathEscape("机构导入模板.xlsx"))
	w.Header().Set("Cache-Control", "no-store")
	if err := x.Write(w); err != nil {
		h.Log.ErrorContext(r.Context(), "import template", "err", err)
	}
}
