package mediation

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/web"
)

type screeningsData struct {
	Screenings []Screening
	Pager      web.Pager
	Unders     []web.Option
	Kinds      []web.Option
	CanEdit    bool
	CanExport  bool
	ExportURL  string
}

func screeningFilter(r *http.Request, form *web.Form) ScreeningFilter {
	q := r.URL.Query()
	f := ScreeningFilter{Under: queryID(r, "org"), Kind: q.Get("kind"), From: q.Get("from"), To: q.Get("to")}
	if f.Kind != "" && !validChoice(ScreeningKinds, f.Kind) {
		form.Fail("kind", "排查类型无效")
		f.Kind = ""
	}
	return f
}

func (h *Handler) screenings(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	form := web.NewForm(r.URL.Query())
	f := screeningFilter(r, form)
	list, pg, err := pagedList(r, form, f, h.Store.Screenings)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	unders, err := h.orgOptions(r, sc, org.County, org.Office, org.Village)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	exportURL := "/mediation/screenings/export.xlsx"
	if len(pg.Base) > 0 {
		exportURL += "?" + pg.Base.Encode()
	}
	p := me(r)
	h.render(w, r, http.StatusOK, "screenings.html", &web.Page{Title: "矛盾纠纷排查", Form: form,
		Data: screeningsData{Screenings: list, Pager: pg, Unders: unders, Kinds: choices(ScreeningKinds), CanEdit: p.Can(permEdit),
			CanExport: p.Can(permExport), ExportURL: exportURL}})
}

// blankFindings is how many finding rows the new-round form offers; more
// are added on the round's page.
const blankFindings = 3

type screeningFormData struct {
	Orgs          []web.Option
	Kinds         []web.Option
	DisputeTypes  []web.Option
	FindingFields []int
}

func (h *Handler) renderScreeningForm(w http.ResponseWriter, r *http.Request, status int, form *web.Form) {
	orgs, err := h.orgOptions(r, scope(r), org.Office, org.Village)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	idx := make([]int, blankFindings)
	for i := range idx {
		idx[i] = i
	}
	h.render(w, r, status, "screening_form.html", &web.Page{Title: "登记排查", Form: form,
		Data:        screeningFormData{Orgs: orgs, Kinds: choices(ScreeningKinds), DisputeTypes: choices(DisputeTypes), FindingFields: idx},
		Breadcrumbs: []web.Crumb{{Label: "矛盾纠纷排查", Path: "/mediation/screenings"}, {Label: "登记排查"}}})
}

func (h *Handler) screeningNew(w http.ResponseWriter, r *http.Request) {
	vals := url.Values{"held_on": {Clock().In(web.Shanghai).Format(time.DateOnly)}, "kind": {"routine"}}
	if p := me(r); p.OrgID != 0 {
		vals.Set("org_id", itoa(p.OrgID))
	}
	h.renderScreeningForm(w, r, http.StatusOK, web.NewForm(vals))
}

// findingInput reads a finding's fields with prefix; blank reports a row
// left wholly empty.
func findingInput(form *web.Form, prefix string) (in FindingInput, blank bool) {
	in = FindingInput{Summary: form.Get(prefix + "summary"), DisputeType: form.Get(prefix + "dispute_type"),
		People:       formInt(form, prefix+"people", "涉及人数应为整数"),
		RiskCriminal: form.Get(prefix+"risk_criminal") != "", RiskGroup: form.Get(prefix+"risk_group") != ""}
	blank = in.Summary == "" && in.DisputeType == "" && form.Get(prefix+"people") == "" && !in.RiskCriminal && !in.RiskGroup
	return in, blank
}

func (h *Handler) screeningCreate(w http.ResponseWriter, r *http.Request) {
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := ScreeningInput{OrgID: formID(form, "org_id", "请选择排查单位"), HeldOn: form.Get("held_on"), Kind: form.Get("kind"),
		Reason: form.Get("reason"), Participants: form.Get("participants"), Found: formInt(form, "found", "发现纠纷数应为整数"),
		Notes: form.Get("notes")}
	// Findings keep their row number so an error points at the right row.
	rows := map[int]int{}
	for i := 0; i < blankFindings; i++ {
		f, blank := findingInput(form, fmt.Sprintf("f%d_", i))
		if !blank {
			rows[len(in.Findings)] = i
			in.Findings = append(in.Findings, f)
		}
	}
	if form.Get("found") == "" {
		in.Found = len(in.Findings) // left blank: the findings listed are all that was found
	}
	if form.OK() {
		id, err := h.Store.CreateScreening(r.Context(), scope(r), me(r).UserID, in)
		if err == nil {
			web.SetFlash(w, "已登记排查")
			web.Redirect(w, r, "/mediation/screenings/"+itoa(id))
			return
		}
		if !failRows(form, err, "f", rows) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderScreeningForm(w, r, http.StatusUnprocessableEntity, form)
}

// failRows records a validation error on the form, mapping a field of the
// k-th non-blank repeated row ("<prefix><k>_<name>") back to the form row
// rows[k] it came from, so the message lands where the user typed.
func failRows(form *web.Form, err error, prefix string, rows map[int]int) bool {
	tmp := web.NewForm(nil)
	if !tmp.FailErr(err) {
		return false
	}
	for _, e := range tmp.List() {
		field := e.Field
		if rest, ok := strings.CutPrefix(field, prefix); ok {
			if num, name, ok := strings.Cut(rest, "_"); ok {
				if k, err := strconv.Atoi(num); err == nil {
					field = prefix + strconv.Itoa(rows[k]) + "_" + name
				}
			}
		}
		form.Fail(field, e.Message)
	}
	return true
}

type screeningData struct {
	S            Screening
	Findings     []Finding
	DisputeTypes []web.Option
	CanEdit      bool
}

func (h *Handler) screening(w http.ResponseWriter, r *http.Request) {
	h.screeningPage(w, r, http.StatusOK, web.NewForm(url.Values{}))
}

func (h *Handler) screeningPage(w http.ResponseWriter, r *http.Request, status int, form *web.Form) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	s, fs, err := h.Store.Screening(r.Context(), scope(r), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	title := s.OrgName + " " + s.HeldOn + " " + s.KindName()
	h.render(w, r, status, "screening.html", &web.Page{Title: title, Form: form,
		Data:        screeningData{S: s, Findings: fs, DisputeTypes: choices(DisputeTypes), CanEdit: me(r).Can(permEdit)},
		Breadcrumbs: []web.Crumb{{Label: "矛盾纠纷排查", Path: "/mediation/screenings"}, {Label: s.OrgName + " " + s.HeldOn}}})
}

func (h *Handler) findingAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in, _ := findingInput(form, "")
	if form.OK() {
		_, err := h.Store.AddFinding(r.Context(), scope(r), id, in)
		if h.saved(w, r, form, err, "已登记纠纷", "/mediation/screenings/"+itoa(id)+"#findings") {
			return
		}
	}
	h.screeningPage(w, r, http.StatusUnprocessableEntity, form)
}

func (h *Handler) findingStatus(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	sid, err := h.Store.SetFindingStatus(r.Context(), scope(r), id, form.Get("status"))
	if err != nil {
		if form.FailErr(err) {
			h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, form.List()[0].Message)
			return
		}
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "已更新纠纷状态")
	web.Redirect(w, r, "/mediation/screenings/"+itoa(sid)+"#findings")
}
