package personui

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/xuri/excelize/v2"

	"fengqiao/internal/audit"
	"fengqiao/internal/person"
	"fengqiao/internal/web"
)

// maxExportRows bounds one export; a county's registry is far smaller.
const maxExportRows = 100000

var exportHeader = []any{"编号", "类型", "名称(姓名)", "性别", "出生日期", "证件类型", "证件号码(脱敏)", "联系电话(脱敏)",
	"地址", "统一社会信用代码", "法定代表人", "登记机构", "登记时间"}

// export writes the current list (same filters as the page) as an Excel
// file with masked numbers, and audits it as person.export.
func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	p := me(r)
	q := r.URL.Query()
	if h.sealQuery(w, r, "/persons/export.xlsx") {
		return
	}
	form := web.NewForm(q)
	f, _ := h.searchFilter(q, form)
	if !form.OK() {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
		return
	}
	sc := personScope(p)
	var rows []person.Person
	for off := 0; off < maxExportRows; off += 1000 {
		f.Limit, f.Offset = 1000, off
		page, total, err := h.Store.List(r.Context(), sc, f)
		if err != nil {
			if form.FailErr(err) {
				h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
				return
			}
			h.fail(w, r, err)
			return
		}
		rows = append(rows, page...)
		if len(page) == 0 || len(rows) >= total {
			break
		}
	}
	x := excelize.NewFile()
	defer x.Close()
	const sheet = "当事人"
	if err := x.SetSheetName("Sheet1", sheet); err != nil {
		h.fail(w, r, err)
		return
	}
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	head, _ := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DCE6F2"}}})
	text, _ := x.NewStyle(&excelize.Style{NumFmt: 49}) // "@": numbers stay text
	widths := []float64{8, 10, 20, 6, 12, 16, 22, 16, 36, 22, 12, 24, 18}
	for i, wd := range widths {
		_ = sw.SetColWidth(i+1, i+1, wd)
	}
	_ = sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	hdr := make([]any, len(exportHeader))
	for i, v := range exportHeader {
		hdr[i] = excelize.Cell{StyleID: head, Value: v}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		h.fail(w, r, err)
		return
	}
	for i, ps := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		t := func(s string) excelize.Cell { return excelize.Cell{StyleID: text, Value: s} }
		if err := sw.SetRow(cell, []any{ps.ID, ps.KindName(), ps.Name, ps.SexName(), t(ps.BirthDate), ps.DocTypeName(),
			t(ps.IDNumber), t(ps.Phone), ps.Address, t(ps.CreditCode), ps.LegalRep, ps.OrgName,
			ps.CreatedAt.In(shanghai).Format("2006-01-02 15:04")}); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if err := sw.Flush(); err != nil {
		h.fail(w, r, err)
		return
	}
	// Audit before any byte leaves: the export is recorded or not sent.
	if err := audit.RecordAlone(r.Context(), h.Store.DB, audit.Event{Action: "person.export", ObjectType: "person",
		OrgID: p.OrgID, Detail: fmt.Sprintf("rows: %d", len(rows))}); err != nil {
		h.fail(w, r, err)
		return
	}
	name := "当事人名单-" + time.Now().In(shanghai).Format("20060102-1504") + ".xlsx"
	hd := w.Header()
	hd.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	hd.Set("Content-Disposition", "attachment; filename=\"persons.xlsx\"; filename*=UTF-8''"+url.PathEscape(name))
	hd.Set("Cache-Control", "no-store")
	if err := x.Write(w); err != nil {
		h.Log.ErrorContext(r.Context(), "personui export", "err", err)
	}
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()
