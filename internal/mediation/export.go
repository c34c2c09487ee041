package mediation

import (
	"fmt"
	"net/http"

	"fengqiao/internal/audit"
	"fengqiao/internal/docs"
	"fengqiao/internal/web"
)

func yn(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func stamp() string { return Clock().In(web.Shanghai).Format("20060102-1504") }

// mediatorsExport writes the mediator roster (花名册) with the list's
// filters; ID numbers and phones are masked. The export is audited before
// any byte is sent.
func (h *Handler) mediatorsExport(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	form := web.NewForm(r.URL.Query())
	f := mediatorFilter(r.URL.Query(), form)
	if !form.OK() {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
		return
	}
	f.Limit = 5000
	var all []Mediator
	for {
		page, total, err := h.Store.Mediators(r.Context(), sc, f)
		if err != nil {
			if form.FailErr(err) {
				h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
				return
			}
			h.fail(w, r, err)
			return
		}
		all = append(all, page...)
		f.Offset += len(page)
		if len(page) == 0 || f.Offset >= total || len(all) >= docs.MaxExportRows {
			break
		}
	}
	if err := audit.RecordAlone(r.Context(), h.Store.DB, audit.Event{Action: "mediation.export", ObjectType: "med_mediator",
		OrgID: me(r).OrgID, Detail: fmt.Sprintf("rows: %d", len(all))}); err != nil {
		h.fail(w, r, err)
		return
	}
	sh := docs.Sheet{Name: "人民调解员", Title: "人民调解员花名册（导出时间 " + Clock().In(web.Shanghai).Format("2006-01-02 15:04") + "）",
		Columns: []docs.Column{{Header: "序号", Width: 6}, {Header: "姓名", Width: 10}, {Header: "性别", Width: 6},
			{Header: "身份证号码(脱敏)", Width: 22}, {Header: "联系电话(脱敏)", Width: 15}, {Header: "所在调委会(司法所)", Width: 28},
			{Header: "专职", Width: 6}, {Header: "职务", Width: 12}, {Header: "已登记", Width: 8}, {Header: "登记编号", Width: 16},
			{Header: "登记日期", Width: 12}, {Header: "培训学时", Width: 10}, {Header: "在职", Width: 6}}}
	err := docs.ServeXLSX(w, "人民调解员花名册-"+stamp(), sh, func(emit docs.EmitFunc) error {
		for i, m := range all {
			if err := emit(i+1, m.Name, m.SexName(), m.IDNumber, m.Phone, m.OrgName, yn(m.FullTime), m.Title, yn(m.Registered),
				m.RegistryNo, m.RegisteredOn, m.TrainingHours, yn(m.Active)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.Log.ErrorContext(r.Context(), "mediation export", "err", err)
	}
}

// screeningsExport writes the screening ledger (排查台账): one row per
// finding, a round without findings on a row of its own.
func (h *Handler) screeningsExport(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	form := web.NewForm(r.URL.Query())
	f := screeningFilter(r, form)
	if !form.OK() {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
		return
	}
	type line struct {
		s Screening
		f *Finding
	}
	var lines []line
	err := h.Store.ForEachFinding(r.Context(), sc, f, func(s Screening, fd *Finding) error {
		if len(lines) >= docs.MaxExportRows {
			return docs.ErrTooManyRows
		}
		lines = append(lines, line{s, fd})
		return nil
	})
	if err != nil {
		if form.FailErr(err) {
			h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
			return
		}
		h.fail(w, r, err)
		return
	}
	if err := audit.RecordAlone(r.Context(), h.Store.DB, audit.Event{Action: "mediation.export", ObjectType: "med_screening",
		OrgID: me(r).OrgID, Detail: fmt.Sprintf("rows: %d", len(lines))}); err != nil {
		h.fail(w, r, err)
		return
	}
	sh := docs.Sheet{Name: "排查台账", Title: "矛盾纠纷排查台账（导出时间 " + Clock().In(web.Shanghai).Format("2006-01-02 15:04") + "）",
		Columns: []docs.Column{{Header: "排查日期", Width: 12}, {Header: "排查单位", Width: 24}, {Header: "排查类型", Width: 12},
			{Header: "事由", Width: 18}, {Header: "参加人员", Width: 24}, {Header: "发现纠纷数", Width: 10},
			{Header: "纠纷简况", Width: 40}, {Header: "纠纷类型", Width: 16}, {Header: "涉及人数", Width: 10},
			{Header: "民转刑风险", Width: 10}, {Header: "群体性风险", Width: 10}, {Header: "状态", Width: 14}}}
	err = docs.ServeXLSX(w, "矛盾纠纷排查台账-"+stamp(), sh, func(emit docs.EmitFunc) error {
		for _, l := range lines {
			vals := []any{l.s.HeldOn, l.s.OrgName, l.s.KindName(), l.s.Reason, l.s.Participants, l.s.Found}
			if l.f == nil {
				vals = append(vals, "(本次排查未登记具体纠纷)", nil, nil, nil, nil, nil)
			} else {
				vals = append(vals, l.f.Summary, l.f.DisputeTypeName(), l.f.People, yn(l.f.RiskCriminal), yn(l.f.RiskGroup), l.f.StatusName())
			}
			if err := emit(vals...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.Log.ErrorContext(r.Context(), "mediation export", "err", err)
	}
}
