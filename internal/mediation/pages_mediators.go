package mediation

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/web"
)

type mediatorsData struct {
	Mediators []Mediator
	Pager     web.Pager
	Unders    []web.Option
	YesNo     []web.Option
	CanEdit   bool
	CanExport bool
	ExportURL string
}

// mediatorFilter reads the list filters from the query.
func mediatorFilter(q url.Values, form *web.Form) MediatorFilter {
	f := MediatorFilter{Registered: q.Get("registered"), FullTime: q.Get("full_time"), Active: q.Get("active"), Name: q.Get("q")}
	if v := q.Get("org"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			form.Fail("org", "机构无效")
		}
		f.Under = id
	}
	for field, v := range map[string]*string{"registered": &f.Registered, "full_time": &f.FullTime, "active": &f.Active} {
		if *v != "" && *v != "yes" && *v != "no" {
			form.Fail(field, "筛选条件无效")
			*v = ""
		}
	}
	if !q.Has("active") {
		f.Active = "yes" // departed mediators are hidden unless asked for
		form.Values.Set("active", "yes")
	}
	return f
}

func (h *Handler) mediators(w http.ResponseWriter, r *http.Request) {
	sc := scope(r)
	q := r.URL.Query()
	form := web.NewForm(q)
	f := mediatorFilter(q, form)
	if !form.OK() {
		f.Under = 0
	}
	list, pg, err := pagedList(r, form, f, h.Store.Mediators)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	unders, err := h.orgOptions(r, sc, org.County, org.Office, org.Village, org.Committee)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	eq := url.Values{}
	for k, v := range pg.Base {
		if k != "size" && k != "sort" {
			eq[k] = v
		}
	}
	exportURL := "/mediation/mediators/export.xlsx"
	if len(eq) > 0 {
		exportURL += "?" + eq.Encode()
	}
	p := me(r)
	h.render(w, r, http.StatusOK, "mediators.html", &web.Page{Title: "人民调解员", Form: form,
		Data: mediatorsData{Mediators: list, Pager: pg, Unders: unders, YesNo: yesNoOptions, CanEdit: p.Can(permEdit),
			CanExport: p.Can(permExport), ExportURL: exportURL}})
}

type mediatorData struct {
	M         Mediator
	Trainings []Training
	CanEdit   bool
	Assign    bool // may be assigned cases under the county's settings
	Settings  Settings
}

func (h *Handler) mediator(w http.ResponseWriter, r *http.Request) {
	h.mediatorPage(w, r, http.StatusOK, web.NewForm(url.Values{}))
}

func (h *Handler) mediatorPage(w http.ResponseWriter, r *http.Request, status int, form *web.Form) {
	m, id, ok := byPathID(h, w, r, h.Store.Mediator)
	if !ok {
		return
	}
	sc := scope(r)
	ts, err := h.Store.Trainings(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.Store.SettingsForOrg(r.Context(), sc, m.OrgID)
	if err != nil {
		st = DefaultSettings() // no county above (a test or ministry tree): show the defaults
	}
	h.render(w, r, status, "mediator.html", &web.Page{Title: m.Name, Form: form,
		Data:        mediatorData{M: m, Trainings: ts, CanEdit: me(r).Can(permEdit), Assign: m.Assignable(st), Settings: st},
		Breadcrumbs: []web.Crumb{{Label: "人民调解员", Path: "/mediation/mediators"}, {Label: m.Name}}})
}

type mediatorFormData struct {
	Edit   bool
	M      Mediator
	Orgs   []web.Option
	Action string
	Cancel string
}

func (h *Handler) renderMediatorForm(w http.ResponseWriter, r *http.Request, status int, d mediatorFormData, form *web.Form) {
	var err error
	if d.Orgs, err = h.orgOptions(r, scope(r), org.Office, org.Committee); err != nil {
		h.fail(w, r, err)
		return
	}
	title := "新增人民调解员"
	crumbs := []web.Crumb{{Label: "人民调解员", Path: "/mediation/mediators"}}
	if d.Edit {
		title = "修改调解员信息"
		crumbs = append(crumbs, web.Crumb{Label: d.M.Name, Path: "/mediation/mediators/" + itoa(d.M.ID)})
	}
	crumbs = append(crumbs, web.Crumb{Label: title})
	h.render(w, r, status, "mediator_form.html", &web.Page{Title: title, Form: form, Data: d, Breadcrumbs: crumbs})
}

func (h *Handler) mediatorNew(w http.ResponseWriter, r *http.Request) {
	vals := url.Values{}
	if id := queryID(r, "org"); id > 0 {
		vals.Set("org_id", itoa(id))
	}
	h.renderMediatorForm(w, r, http.StatusOK, mediatorFormData{Action: "/mediation/mediators/new", Cancel: "/mediation/mediators"}, web.NewForm(vals))
}

func mediatorInput(form *web.Form) MediatorInput {
	return MediatorInput{
		OrgID: formID(form, "org_id", "请选择所在调委会或司法所"), Name: form.Get("name"), IDNumber: form.Get(person.FieldIDNumber),
		Phone: form.Get(person.FieldPhone), FullTime: form.Get("full_time") != "", Title: form.Get("title"),
		Registered: form.Get("registered") != "", RegistryNo: form.Get("registry_no"), RegisteredOn: form.Get("registered_on"),
		Active: form.Get("active") != "",
	}
}

func (h *Handler) mediatorCreate(w http.ResponseWriter, r *http.Request) {
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	h.unsealTyped(form)
	in := mediatorInput(form)
	in.Active = true
	if form.OK() {
		m, err := h.Store.CreateMediator(r.Context(), scope(r), in)
		if h.saved(w, r, form, err, "已新增调解员："+m.Name, "/mediation/mediators/"+itoa(m.ID)) {
			return
		}
	}
	h.sealTyped(form)
	h.renderMediatorForm(w, r, http.StatusUnprocessableEntity, mediatorFormData{Action: "/mediation/mediators/new", Cancel: "/mediation/mediators"}, form)
}

func (h *Handler) mediatorEdit(w http.ResponseWriter, r *http.Request) {
	m, id, ok := byPathID(h, w, r, h.Store.Mediator)
	if !ok {
		return
	}
	vals := url.Values{"org_id": {itoa(m.OrgID)}, "name": {m.Name}, person.FieldIDNumber: {m.IDNumber}, person.FieldPhone: {m.Phone},
		"title": {m.Title}, "registry_no": {m.RegistryNo}, "registered_on": {m.RegisteredOn}}
	for k, v := range map[string]bool{"full_time": m.FullTime, "registered": m.Registered, "active": m.Active} {
		if v {
			vals.Set(k, "1")
		}
	}
	h.renderMediatorForm(w, r, http.StatusOK, mediatorFormData{Edit: true, M: m, Action: "/mediation/mediators/" + itoa(id) + "/edit",
		Cancel: "/mediation/mediators/" + itoa(id)}, web.NewForm(vals))
}

func (h *Handler) mediatorUpdate(w http.ResponseWriter, r *http.Request) {
	m, id, ok := byPathID(h, w, r, h.Store.Mediator)
	if !ok {
		return
	}
	sc := scope(r)
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	h.unsealTyped(form)
	in := mediatorInput(form)
	if form.OK() {
		_, err := h.Store.UpdateMediator(r.Context(), sc, id, in)
		if h.saved(w, r, form, err, "已保存", "/mediation/mediators/"+itoa(id)) {
			return
		}
	}
	h.sealTyped(form)
	h.renderMediatorForm(w, r, http.StatusUnprocessableEntity, mediatorFormData{Edit: true, M: m, Action: "/mediation/mediators/" + itoa(id) + "/edit",
		Cancel: "/mediation/mediators/" + itoa(id)}, form)
}

// sealedFormField prefixes the field a typed number is sealed for.
const sealedFormField = "mediation.form."

// sealTyped keeps full numbers typed into a refused form out of the page:
// a valid number is shown masked and carried encrypted in a hidden field;
// an invalid one (no one's number) is echoed so it can be corrected.
func (h *Handler) sealTyped(form *web.Form) { h.sealTypedAt(form, "") }

// sealTypedAt is sealTyped for fields named prefix+id_number, prefix+phone.
func (h *Handler) sealTypedAt(form *web.Form, prefix string) {
	for _, name := range []string{person.FieldIDNumber, person.FieldPhone} {
		field := prefix + name
		v := form.Get(field)
		form.Values.Del(field + "_sealed")
		if v == "" || strings.Contains(v, "*") {
			continue
		}
		masked := ""
		if name == person.FieldPhone {
			if ph, err := idno.ParsePhone(v); err == nil {
				masked = idno.MaskPhone(ph)
			}
		} else if d, err := idno.Parse(idno.IDCard, v); err == nil {
			masked = idno.Mask(idno.IDCard, d.Number)
		}
		if masked == "" {
			continue
		}
		enc, err := h.Store.Persons.Crypto.Encrypt(sealedFormField+name, v)
		if err != nil {
			form.Values.Set(field, "")
			continue
		}
		form.Values.Set(field, masked)
		form.Values.Set(field+"_sealed", enc)
	}
}

// unsealTyped restores a number sealTyped carried while the field still
// shows its mask.
func (h *Handler) unsealTyped(form *web.Form) { h.unsealTypedAt(form, "") }

// unsealTypedAt is unsealTyped for prefixed fields.
func (h *Handler) unsealTypedAt(form *web.Form, prefix string) {
	for _, name := range []string{person.FieldIDNumber, person.FieldPhone} {
		field := prefix + name
		enc := form.Get(field + "_sealed")
		if enc == "" || !strings.Contains(form.Get(field), "*") {
			continue
		}
		if v, err := h.Store.Persons.Crypto.Decrypt(sealedFormField+name, enc); err == nil {
			form.Values.Set(field, v)
		}
	}
}

func (h *Handler) trainingAdd(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	in := TrainingInput{HeldOn: form.Get("held_on"), Topic: form.Get("topic"), Organizer: form.Get("organizer")}
	if v := form.Get("hours"); v != "" {
		hrs, err := strconv.ParseFloat(v, 64)
		if err != nil {
			form.Fail("hours", "培训学时应为数字")
		}
		in.Hours = hrs
	}
	if form.OK() {
		_, err := h.Store.AddTraining(r.Context(), scope(r), id, in)
		if h.saved(w, r, form, err, "已登记培训", "/mediation/mediators/"+itoa(id)+"#trainings") {
			return
		}
	}
	h.mediatorPage(w, r, http.StatusUnprocessableEntity, form)
}

func (h *Handler) trainingDelete(w http.ResponseWriter, r *http.Request) {
	mid, _, ok := byPathID(h, w, r, h.Store.DeleteTraining)
	if !ok {
		return
	}
	web.SetFlash(w, "已删除培训记录")
	web.Redirect(w, r, "/mediation/mediators/"+itoa(mid)+"#trainings")
}
