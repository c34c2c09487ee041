package mediation

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/docs"
	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

func init() {
	web.RegisterNav(web.NavItem{Group: "人民调解", Label: "统计分析", Path: "/mediation/stats", Perm: permView, Order: 205})
}

// statsRoutes registers the statistics and dashboard pages.
func (h *Handler) statsRoutes(mux *http.ServeMux) {
	a := h.Auth
	mux.HandleFunc("GET /mediation/stats", a.Require(permView, h.stats))
	mux.HandleFunc("GET /mediation/stats.json", a.Require(permView, h.statsJSON))
	mux.HandleFunc("GET /mediation/stats/cases", a.Require(permView, h.statCases))
	mux.HandleFunc("GET /mediation/stats/export.xlsx", a.Require(permExport, h.statsExport))
}

// statsQuery reads the period, level and org of a statistics request;
// defaults: this month, by office, the whole scope.
func statsQuery(r *http.Request, form *web.Form) StatsQuery {
	v := r.URL.Query()
	kind := v.Get("period")
	if kind == "" {
		kind = "month"
	}
	now := Clock().In(web.Shanghai)
	value := v.Get(kind)
	if value == "" {
		switch kind {
		case "month":
			value = now.Format("2006-01")
		case "quarter":
			value = fmt.Sprintf("%d-Q%d", now.Year(), (int(now.Month())+2)/3)
		case "year":
			value = now.Format("2006")
		}
	}
	p, err := ParsePeriod(kind, value, v.Get("from"), v.Get("to"))
	form.FailErr(err)
	level := v.Get("level")
	if level == "" {
		level = "office"
	}
	if !validChoice(StatLevels, level) {
		form.Fail("level", "汇总层级无效")
	}
	return StatsQuery{Period: p, Level: level, Under: queryID(r, "org")}
}

type statsData struct {
	Report         *Report
	Levels         []web.Option
	Kinds          []web.Option
	Unders         []web.Option
	RateDefinition string
	CanExport      bool
	Query          string // the request's query, for the JSON and export links
	org            string
}

// Link is the drill-down to the records behind a figure: measure, group
// org (""=the selected org), dispute type and source ("" = all).
func (d statsData) Link(measure, orgID, dtype, src string) string {
	v := url.Values{"measure": {measure}, "from": {d.Report.Period.From}, "to": {d.Report.Period.To}}
	if orgID == "" {
		orgID = d.org
	}
	if id, ok := strings.CutSuffix(orgID, ".self"); ok {
		orgID = id
		v.Set("self", "1")
	}
	if orgID != "" && orgID != "0" {
		v.Set("org", orgID)
	}
	if dtype != "" {
		v.Set("dispute_type", dtype)
	}
	if src != "" {
		v.Set("source", src)
	}
	return "/mediation/stats/cases?" + v.Encode()
}

func (h *Handler) statsReport(w http.ResponseWriter, r *http.Request) (*Report, StatsQuery, *web.Form, bool) {
	form := web.NewForm(r.URL.Query())
	q := statsQuery(r, form)
	if !form.OK() {
		return nil, q, form, true
	}
	rep, err := h.Store.Stats(r.Context(), scope(r), q)
	if err != nil {
		if form.FailErr(err) {
			return nil, q, form, true
		}
		h.fail(w, r, err)
		return nil, q, form, false
	}
	return rep, q, form, true
}

func (h *Handler) stats(w http.ResponseWriter, r *http.Request) {
	rep, q, form, ok := h.statsReport(w, r)
	if !ok {
		return
	}
	status := http.StatusOK
	if rep == nil {
		status = http.StatusUnprocessableEntity
		rep = &Report{Period: q.Period, Level: q.Level}
	}
	unders, err := h.orgOptions(r, scope(r), org.Province, org.City, org.County, org.Office)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// Echo the effective selection so the form shows the defaults.
	form.Values.Set("period", q.Period.Kind)
	if q.Period.Kind != "custom" {
		form.Values.Set(q.Period.Kind, q.Period.Value)
	}
	form.Values.Set("level", q.Level)
	d := statsData{Report: rep, Levels: choices(StatLevels), Kinds: choices(PeriodKinds), Unders: unders,
		RateDefinition: RateDefinition, CanExport: me(r).Can(permExport), Query: form.Values.Encode()}
	if q.Under != 0 {
		d.org = itoa(q.Under)
	}
	h.render(w, r, status, "stats.html", &web.Page{Title: "人民调解统计分析", Form: form, Data: d})
}

// statChart is the JSON the dashboard charts read.
type statChart struct {
	Period  string      `json:"period"`
	Types   []chartItem `json:"types"`
	Sources []chartItem `json:"sources"`
	Months  []chartItem `json:"months"`
}

type chartItem struct {
	Name      string  `json:"name"`
	Accepted  int64   `json:"accepted"`
	Succeeded int64   `json:"succeeded"`
	Failed    int64   `json:"failed"`
	Rate      float64 `json:"rate"` // percent; 0 when nothing closed
}

func chartItems(rows []StatRow) []chartItem {
	out := make([]chartItem, 0, len(rows))
	for _, r := range rows {
		rate, _ := r.Fig.SuccessRate()
		out = append(out, chartItem{Name: r.Name, Accepted: r.Fig.Accepted, Succeeded: r.Fig.Succeeded, Failed: r.Fig.Failed,
			Rate: float64(int(rate*1000+0.5)) / 10})
	}
	return out
}

func (h *Handler) statsJSON(w http.ResponseWriter, r *http.Request) {
	rep, _, form, ok := h.statsReport(w, r)
	if !ok {
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if rep == nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		_ = json.NewEncoder(w).Encode(map[string]any{"errors": form.List()})
		return
	}
	_ = json.NewEncoder(w).Encode(statChart{Period: rep.Period.Label(), Types: chartItems(rep.ByType),
		Sources: chartItems(rep.BySource), Months: chartItems(rep.Months)})
}

type statCasesData struct {
	Cases       []*Case
	Pager       web.Pager
	MeasureName string
	Period      Period
	Total       int
}

// statCases lists the records behind one figure.
func (h *Handler) statCases(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	form := web.NewForm(v)
	p, err := ParsePeriod("custom", "", v.Get("from"), v.Get("to"))
	if err != nil {
		form.FailErr(err)
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
		return
	}
	q := StatCasesQuery{Measure: v.Get("measure"), Period: p, Under: queryID(r, "org"), OnlyOrg: v.Get("self") == "1",
		DisputeType: v.Get("dispute_type"), Source: v.Get("source")}
	if q.DisputeType != "" && !validChoice(DisputeTypes, q.DisputeType) {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, "纠纷类型无效")
		return
	}
	if q.Source != "" && !validChoice(CaseSources, q.Source) {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, "案件来源无效")
		return
	}
	count := q
	count.Limit = 1
	_, total, err := h.Store.StatCases(r.Context(), scope(r), count)
	if err != nil {
		if form.FailErr(err) {
			h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
			return
		}
		h.fail(w, r, err)
		return
	}
	pg := web.NewPager(r, total)
	q.Limit, q.Offset = pg.Size, pg.Offset()
	list, _, err := h.Store.StatCases(r.Context(), scope(r), q)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	name := nameOf(Measures, q.Measure)
	if q.DisputeType != "" {
		name += " · " + DisputeTypeName(q.DisputeType)
	}
	if q.Source != "" {
		name += " · " + CaseSourceName(q.Source)
	}
	h.render(w, r, http.StatusOK, "stats_cases.html", &web.Page{Title: "统计明细", Form: form,
		Breadcrumbs: []web.Crumb{{Label: "统计分析", Path: "/mediation/stats"}},
		Data:        statCasesData{Cases: list, Pager: pg, MeasureName: name, Period: p, Total: total}})
}

// statsExport writes 人民调解工作统计表: one row per group org, a totals
// row, then the figures by dispute type. Audited before any byte is sent.
func (h *Handler) statsExport(w http.ResponseWriter, r *http.Request) {
	rep, _, form, ok := h.statsReport(w, r)
	if !ok {
		return
	}
	if rep == nil {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
		return
	}
	if err := audit.RecordAlone(r.Context(), h.Store.DB, audit.Event{Action: "mediation.export", ObjectType: "med_stats",
		OrgID: me(r).OrgID, Detail: fmt.Sprintf("period: %s..%s level: %s rows: %d", rep.Period.From, rep.Period.To, rep.Level, len(rep.Rows))}); err != nil {
		h.fail(w, r, err)
		return
	}
	cols := []docs.Column{{Header: "单位", Width: 28}, {Header: "受理(件)", Width: 9}, {Header: "调解成功(件)", Width: 11},
		{Header: "调解终止(件)", Width: 11}, {Header: "成功率", Width: 8}, {Header: "协议金额(元)", Width: 14},
		{Header: "防止民转刑(件)", Width: 12}, {Header: "防止民转刑(人)", Width: 12},
		{Header: "防止群体性上访(件)", Width: 14}, {Header: "防止群体性上访(人)", Width: 14}}
	for _, t := range DisputeTypes {
		cols = append(cols, docs.Column{Header: t.Name + "(受理)", Width: 12})
	}
	row := func(name string, f Figures, byType map[string]Figures) []any {
		vals := []any{name, f.Accepted, f.Succeeded, f.Failed, f.RateText(), f.Amount(), f.CrimeCases, f.CrimePeople, f.GroupCases, f.GroupPeople}
		for _, t := range DisputeTypes {
			vals = append(vals, byType[t.Code].Accepted)
		}
		return vals
	}
	totalByType := map[string]Figures{}
	for _, t := range rep.ByType {
		totalByType[t.Key] = t.Fig
	}
	sh := docs.Sheet{Name: "人民调解工作统计表", Title: "人民调解工作统计表（" + rep.Period.Label() + "，" + nameOf(StatLevels, rep.Level) +
		"，导出时间 " + Clock().In(web.Shanghai).Format("2006-01-02 15:04") + "）", Columns: cols}
	err := docs.ServeXLSX(w, "人民调解工作统计表-"+rep.Period.From+"-"+rep.Period.To, sh, func(emit docs.EmitFunc) error {
		for _, r := range rep.Rows {
			if err := emit(row(r.Name, r.Fig, r.ByType)...); err != nil {
				return err
			}
		}
		if err := emit(row("合计", rep.Total, totalByType)...); err != nil {
			return err
		}
		return emit("注：" + RateDefinition)
	})
	if err != nil {
		h.Log.ErrorContext(r.Context(), "mediation stats export", "err", err)
	}
}
