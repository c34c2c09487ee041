package mediation

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

type settingsData struct {
	County   org.Org
	Counties []web.Option
	CanSave  bool
	Rows     []int // grade rows shown (stored grades plus blank ones)
	Rules    []Rule
}

// settingsCounty picks the county of the page: ?county= (or the form's
// county_id), else the county at or above the user's org, else the first
// county in scope.
func (h *Handler) settingsCounty(r *http.Request, raw string) (org.Org, []web.Option, error) {
	sc := scope(r)
	counties, err := h.orgOptions(r, sc, org.County)
	if err != nil {
		return org.Org{}, nil, err
	}
	if raw != "" {
		id, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return org.Org{}, nil, errNotFound
		}
		c, err := h.Store.countyFor(r.Context(), sc, id, false)
		return c, counties, err
	}
	if c, err := h.Store.CountyOf(r.Context(), sc, me(r).OrgID); err == nil {
		return c, counties, nil
	}
	if len(counties) > 0 {
		id, _ := strconv.ParseInt(counties[0].Value, 10, 64)
		c, err := h.Store.countyFor(r.Context(), sc, id, false)
		return c, counties, err
	}
	return org.Org{}, counties, errNotFound
}

func settingsValues(st Settings) url.Values {
	v := url.Values{KeyPeriodDays: {strconv.Itoa(st.PeriodDays)}, KeyReminderDays: {strconv.Itoa(st.ReminderDays)},
		KeyFollowUpDays: {strconv.Itoa(st.FollowUpDays)}}
	if st.RequireRegistered {
		v.Set(KeyRequireRegistered, "1")
	}
	for i, g := range st.SubsidyGrades {
		p := fmt.Sprintf("grade_%d_", i)
		v.Set(p+"code", g.Code)
		v.Set(p+"name", g.Name)
		v.Set(p+"amount", strconv.Itoa(g.Amount))
		v.Set(p+"criteria", g.Criteria)
	}
	v.Set("grades", strconv.Itoa(len(st.SubsidyGrades)))
	return v
}

func (h *Handler) renderSettings(w http.ResponseWriter, r *http.Request, status int, c org.Org, counties []web.Option, form *web.Form) {
	n, _ := strconv.Atoi(form.Get("grades"))
	n = min(max(n, 0), 10)
	rows := make([]int, min(n+2, 10)) // two blank rows to add grades
	for i := range rows {
		rows[i] = i
	}
	form.Values.Set("county_id", itoa(c.ID))
	h.render(w, r, status, "settings.html", &web.Page{Title: "调解规则设置", Form: form,
		Data: settingsData{County: c, Counties: counties, CanSave: scope(r).Contains(c.Path), Rows: rows, Rules: Rules}})
}

func (h *Handler) settings(w http.ResponseWriter, r *http.Request) {
	c, counties, err := h.settingsCounty(r, r.URL.Query().Get("county"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.Store.Settings(r.Context(), scope(r), c.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderSettings(w, r, http.StatusOK, c, counties, web.NewForm(settingsValues(st)))
}

func (h *Handler) settingsSave(w http.ResponseWriter, r *http.Request) {
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	c, counties, err := h.settingsCounty(r, form.Get("county_id"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st := Settings{
		PeriodDays:        formInt(form, KeyPeriodDays, "调解期限应为整数天"),
		ReminderDays:      formInt(form, KeyReminderDays, "提醒天数应为整数"),
		FollowUpDays:      formInt(form, KeyFollowUpDays, "回访时限应为整数天"),
		RequireRegistered: form.Get(KeyRequireRegistered) != "",
	}
	// Grade rows: a row left wholly empty is dropped (that is how a grade
	// is removed); the rest are validated in order.
	rows := map[int]int{}
	for i := 0; i < 10; i++ {
		p := fmt.Sprintf("grade_%d_", i)
		g := SubsidyGrade{Code: form.Get(p + "code"), Name: form.Get(p + "name"), Criteria: form.Get(p + "criteria")}
		if g.Code == "" && g.Name == "" && g.Criteria == "" && form.Get(p+"amount") == "" {
			continue
		}
		g.Amount = formInt(form, p+"amount", fmt.Sprintf("第%d个等级的补贴金额应为整数(元)", len(st.SubsidyGrades)+1))
		rows[len(st.SubsidyGrades)] = i
		st.SubsidyGrades = append(st.SubsidyGrades, g)
	}
	form.Values.Set("grades", strconv.Itoa(max(len(st.SubsidyGrades), maxRow(rows)+1)))
	if form.OK() {
		err := h.Store.SaveSettings(r.Context(), scope(r), c.ID, me(r).UserID, st)
		if err == nil {
			web.SetFlash(w, "已保存"+c.Name+"的调解规则")
			web.Redirect(w, r, "/mediation/settings?county="+itoa(c.ID))
			return
		}
		if !failRows(form, err, "grade_", rows) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderSettings(w, r, http.StatusUnprocessableEntity, c, counties, form)
}

func maxRow(rows map[int]int) int {
	m := -1
	for _, v := range rows {
		m = max(m, v)
	}
	return m
}
