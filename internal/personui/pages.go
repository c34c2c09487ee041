package personui

import (
	"errors"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// sealedQueryField binds encrypted search terms to their use.
const sealedQueryField = "personui.q"

// sealedFormField prefixes the field a typed number is sealed for.
const sealedFormField = "personui.form."

// maskedNumber reports whether q is a whole document or phone number and
// returns it masked.
func maskedNumber(q string) (string, bool) {
	if ds := idno.Detect(q); len(ds) > 0 {
		return idno.Mask(ds[0].Type, ds[0].Number), true
	}
	if ph, err := idno.ParsePhone(q); err == nil {
		return idno.MaskPhone(ph), true
	}
	return "", false
}

func kindOptions() []web.Option {
	return []web.Option{{Value: string(person.Natural), Label: "自然人"}, {Value: string(person.Organization), Label: "法人或其他组织"}}
}

func docTypeOptions() []web.Option {
	out := make([]web.Option, 0, len(idno.DocTypes))
	for _, d := range idno.DocTypes {
		out = append(out, web.Option{Value: string(d.Type), Label: d.Name})
	}
	return out
}

func sexOptions() []web.Option {
	return []web.Option{{Value: string(idno.Male), Label: "男"}, {Value: string(idno.Female), Label: "女"}}
}

// searchFilter reads the list filters shared by the page and the export.
// A full number typed in the search box never travels back in clear: the
// list redirects to the same query with the number sealed (qx), so it is
// not in the address bar, the history, links or the page.
func (h *Handler) searchFilter(q url.Values, form *web.Form) (person.Filter, string) {
	f := person.Filter{Query: strings.TrimSpace(q.Get("q")), Kind: person.Kind(q.Get("kind"))}
	if f.Kind != "" && f.Kind != person.Natural && f.Kind != person.Organization {
		form.Fail("kind", "类型无效")
		f.Kind = ""
	}
	masked := ""
	if qx := q.Get("qx"); qx != "" {
		plain, err := h.Store.Crypto.Decrypt(sealedQueryField, qx)
		if err != nil {
			form.Fail("q", "查询条件已失效，请重新输入号码")
		} else {
			f.Query = plain
			masked, _ = maskedNumber(plain)
		}
	}
	return f, masked
}

// sealQuery redirects a request whose search box holds a whole number to
// path with the number sealed (qx), and reports whether it did.
func (h *Handler) sealQuery(w http.ResponseWriter, r *http.Request, path string) bool {
	q := r.URL.Query()
	raw := strings.TrimSpace(q.Get("q"))
	if _, isNumber := maskedNumber(raw); raw == "" || !isNumber {
		return false
	}
	enc, err := h.Store.Crypto.Encrypt(sealedQueryField, raw)
	if err != nil {
		h.fail(w, r, err)
		return true
	}
	q.Del("q")
	q.Del("page")
	q.Set("qx", enc)
	if web.IsHTMX(r) {
		w.Header().Set("HX-Location", path+"?"+q.Encode())
		w.WriteHeader(http.StatusOK)
		return true
	}
	http.Redirect(w, r, path+"?"+q.Encode(), http.StatusSeeOther)
	return true
}

type listData struct {
	Persons     []person.Person
	Pager       web.Pager
	Kinds       []web.Option
	NumberQuery string // the masked number searched for, when any
	ExportURL   string
	CanCreate   bool
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	p := me(r)
	if h.sealQuery(w, r, "/persons") {
		return
	}
	q := r.URL.Query()
	form := web.NewForm(q)
	f, masked := h.searchFilter(q, form)
	sc := personScope(p)
	pg := web.NewPager(r, math.MaxInt32)
	f.Limit, f.Offset = pg.Size, pg.Offset()
	var rows []person.Person
	var total int
	var err error
	if form.OK() { // a broken filter lists nothing rather than everything
		rows, total, err = h.Store.List(r.Context(), sc, f)
	}
	if err != nil && !form.FailErr(err) {
		h.fail(w, r, err)
		return
	}
	pg = web.NewPager(r, total)
	if pg.Offset() != f.Offset && total > 0 { // asked past the end: show the last page
		f.Offset = pg.Offset()
		if rows, _, err = h.Store.List(r.Context(), sc, f); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	export := "/persons/export.xlsx"
	if len(pg.Base) > 0 {
		export += "?" + pg.Base.Encode()
	}
	status := http.StatusOK
	if !form.OK() {
		status = http.StatusUnprocessableEntity
	}
	h.render(w, r, status, "list.html", &web.Page{Title: "当事人信息库", Form: form, Data: listData{
		Persons: rows, Pager: pg, Kinds: kindOptions(), NumberQuery: masked, ExportURL: export,
		CanCreate: !lineScope(p, "edit").IsZero(),
	}})
}

type formData struct {
	Kind      person.Kind
	Edit      bool
	Person    person.Person
	Action    string
	DocTypes  []web.Option
	Sexes     []web.Option
	Orgs      []web.Option
	Existing  int64 // id of the record a duplicate error points to
	Derived   string
	CancelURL string
}

func (h *Handler) orgOptions(r *http.Request, sc org.Scope) ([]web.Option, error) {
	on := true
	os, _, err := h.Orgs.List(r.Context(), sc, org.Filter{Active: &on, Limit: 1000})
	if err != nil {
		return nil, err
	}
	out := make([]web.Option, 0, len(os))
	for _, o := range os {
		out = append(out, web.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
	}
	return out, nil
}

func (h *Handler) renderForm(w http.ResponseWriter, r *http.Request, status int, form *web.Form, d formData) {
	var err error
	if d.Orgs, err = h.orgOptions(r, lineScope(me(r), "edit")); err != nil {
		h.fail(w, r, err)
		return
	}
	d.DocTypes, d.Sexes = docTypeOptions(), sexOptions()
	title := "登记当事人"
	crumbs := []web.Crumb{{Label: "当事人信息库", Path: "/persons"}}
	if d.Edit {
		title = "修改当事人信息"
		crumbs = append(crumbs, web.Crumb{Label: d.Person.Name, Path: "/persons/" + strconv.FormatInt(d.Person.ID, 10)})
	}
	crumbs = append(crumbs, web.Crumb{Label: title})
	h.render(w, r, status, "form.html", &web.Page{Title: title, Form: form, Data: d, Breadcrumbs: crumbs})
}

func (h *Handler) newForm(w http.ResponseWriter, r *http.Request) {
	kind := person.Natural
	if r.URL.Query().Get("kind") == string(person.Organization) {
		kind = person.Organization
	}
	form := web.NewForm(url.Values{"org_id": {strconv.FormatInt(me(r).OrgID, 10)}})
	if kind == person.Natural {
		form.Values.Set("doc_type", string(idno.IDCard))
	}
	h.renderForm(w, r, http.StatusOK, form, formData{Kind: kind, Action: "/persons/new", CancelURL: "/persons"})
}

// inputOf reads the form fields of a person.
func inputOf(f *web.Form, kind person.Kind) (person.Input, bool) {
	in := person.Input{
		Kind: kind, Name: f.Get("name"), Sex: idno.Sex(f.Get("sex")), BirthDate: f.Get("birth_date"),
		DocType: idno.DocType(f.Get("doc_type")), IDNumber: f.Get("id_number"), Phone: f.Get("phone"),
		Address: f.Get("address"), CreditCode: f.Get("credit_code"), LegalRep: f.Get("legal_rep"),
		ClearIDNumber: f.Get("clear_id_number") != "", ClearPhone: f.Get("clear_phone") != "",
	}
	if v := f.Get("org_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			f.Fail("org_id", "请选择登记机构")
			return in, false
		}
		in.OrgID = id
	}
	return in, true
}

// precheck finds the common input mistakes all at once, so a clerk fixes
// them in one pass; the store still validates everything authoritatively
// (it stops at the first error).
func precheck(f *web.Form, kind person.Kind) {
	if f.Get("name") == "" {
		f.Fail("name", "名称(姓名)必填")
	}
	if kind == person.Natural {
		if v := f.Get("id_number"); v != "" && !strings.Contains(v, "*") {
			t := idno.DocType(f.Get("doc_type"))
			if t == "" {
				t = idno.IDCard
			}
			if _, err := idno.Parse(t, v); err != nil {
				f.Fail(person.FieldIDNumber, err.Error())
			}
		}
		if v := f.Get("birth_date"); v != "" {
			if _, err := time.Parse("2006-01-02", v); err != nil {
				f.Fail("birth_date", "出生日期应为YYYY-MM-DD格式的有效日期")
			}
		}
	} else if v := f.Get("credit_code"); v != "" {
		if _, err := idno.ParseUSCC(v); err != nil {
			f.Fail("credit_code", err.Error())
		}
	}
	if v := f.Get("phone"); v != "" && !strings.Contains(v, "*") {
		if _, err := idno.ParsePhone(v); err != nil {
			f.Fail(person.FieldPhone, err.Error())
		}
	}
	if f.Get("org_id") == "" {
		f.Fail("org_id", "请选择登记机构")
	}
}

// rederive drops the sex and birth date a new ID number will supply, so
// that correcting a wrong number does not trip over the old derived values.
func rederive(in *person.Input, cur person.Person) {
	n := strings.TrimSpace(in.IDNumber)
	if n == "" || n == cur.IDNumber {
		return
	}
	if in.Sex == cur.Sex {
		in.Sex = ""
	}
	if in.BirthDate == cur.BirthDate {
		in.BirthDate = ""
	}
}

func (h *Handler) create(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "")
		return
	}
	form := web.NewForm(r.PostForm)
	h.unsealTyped(form)
	kind := person.Kind(form.Get("kind"))
	if kind != person.Organization {
		kind = person.Natural
	}
	d := formData{Kind: kind, Action: "/persons/new", CancelURL: "/persons"}
	precheck(form, kind)
	in, ok := inputOf(form, kind)
	if ok && form.OK() {
		p, err := h.Store.Create(r.Context(), lineScope(me(r), "edit"), in)
		if err == nil {
			web.SetFlash(w, "已登记："+p.Name)
			web.Redirect(w, r, "/persons/"+strconv.FormatInt(p.ID, 10))
			return
		}
		if !h.formError(form, &d, err) {
			h.fail(w, r, err)
			return
		}
	}
	h.sealTyped(form)
	h.renderForm(w, r, http.StatusUnprocessableEntity, form, d)
}

// formError records a service validation error on the form.
func (h *Handler) formError(form *web.Form, d *formData, err error) bool {
	var dup *person.DuplicateError
	if errors.As(err, &dup) {
		d.Existing = dup.ExistingID
	}
	return form.FailErr(err)
}

func (h *Handler) editForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	p, err := h.Store.Get(r.Context(), lineScope(me(r), "edit"), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if p.MergedInto != 0 {
		web.Redirect(w, r, "/persons/"+strconv.FormatInt(p.ID, 10))
		return
	}
	form := web.NewForm(url.Values{
		"name": {p.Name}, "sex": {string(p.Sex)}, "birth_date": {p.BirthDate}, "doc_type": {string(p.DocType)},
		"id_number": {p.IDNumber}, "phone": {p.Phone}, "address": {p.Address}, "credit_code": {p.CreditCode},
		"legal_rep": {p.LegalRep}, "org_id": {strconv.FormatInt(p.OrgID, 10)},
	})
	if p.DocType == "" && p.Kind == person.Natural {
		form.Values.Set("doc_type", string(idno.IDCard))
	}
	h.renderForm(w, r, http.StatusOK, form, formData{Kind: p.Kind, Edit: true, Person: p,
		Action: "/persons/" + strconv.FormatInt(id, 10) + "/edit", CancelURL: "/persons/" + strconv.FormatInt(id, 10)})
}

func (h *Handler) update(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "")
		return
	}
	sc := lineScope(me(r), "edit")
	cur, err := h.Store.Get(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	form := web.NewForm(r.PostForm)
	h.unsealTyped(form)
	d := formData{Kind: cur.Kind, Edit: true, Person: cur, Action: "/persons/" + strconv.FormatInt(id, 10) + "/edit",
		CancelURL: "/persons/" + strconv.FormatInt(id, 10)}
	precheck(form, cur.Kind)
	in, ok := inputOf(form, cur.Kind)
	if ok && form.OK() {
		rederive(&in, cur)
		p, err := h.Store.Update(r.Context(), sc, id, in)
		if err == nil {
			web.SetFlash(w, "已保存")
			web.Redirect(w, r, "/persons/"+strconv.FormatInt(p.ID, 10))
			return
		}
		if !h.formError(form, &d, err) {
			h.fail(w, r, err)
			return
		}
	}
	h.sealTyped(form)
	h.renderForm(w, r, http.StatusUnprocessableEntity, form, d)
}

// sealTyped keeps full numbers typed into a refused form out of the page:
// a valid number is shown masked and carried sealed in a hidden field, so
// the clerk need not type it again; an invalid one (the field in error,
// which is no one's number) is shown as typed so it can be corrected.
func (h *Handler) sealTyped(form *web.Form) {
	for _, field := range []string{person.FieldIDNumber, person.FieldPhone} {
		v := form.Get(field)
		form.Values.Del(field + "_sealed")
		if v == "" || strings.Contains(v, "*") {
			continue
		}
		var masked string
		if field == person.FieldPhone {
			if ph, err := idno.ParsePhone(v); err == nil {
				masked = idno.MaskPhone(ph)
			}
		} else {
			t := idno.DocType(form.Get("doc_type"))
			if t == "" {
				t = idno.IDCard
			}
			if d, err := idno.Parse(t, v); err == nil {
				masked = idno.Mask(t, d.Number)
			}
		}
		if masked == "" {
			continue // invalid: not a real number, echo for correction
		}
		enc, err := h.Store.Crypto.Encrypt(sealedFormField+field, v)
		if err != nil {
			form.Values.Set(field, "")
			continue
		}
		form.Values.Set(field, masked)
		form.Values.Set(field+"_sealed", enc)
	}
}

// unsealTyped restores a number sealTyped carried, when the field still
// shows its mask.
func (h *Handler) unsealTyped(form *web.Form) {
	for _, field := range []string{person.FieldIDNumber, person.FieldPhone} {
		enc := form.Get(field + "_sealed")
		if enc == "" || !strings.Contains(form.Get(field), "*") {
			continue
		}
		if v, err := h.Store.Crypto.Decrypt(sealedFormField+field, enc); err == nil {
			form.Values.Set(field, v)
		}
	}
}

// idCheck tells the form what an ID number encodes (sex, birth date) or
// what is wrong with it, without echoing the number.
func (h *Handler) idCheck(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "")
		return
	}
	t := idno.DocType(r.PostForm.Get("doc_type"))
	if t == "" {
		t = idno.IDCard
	}
	n := strings.TrimSpace(r.PostForm.Get("id_number"))
	var d struct {
		Error, Sex, BirthDate string
		Converted, Empty      bool
	}
	switch {
	case n == "" || strings.Contains(n, "*"):
		d.Empty = true
	case !idno.Valid(t):
		d.Error = "证件类型无效"
	default:
		doc, err := idno.Parse(t, n)
		if err != nil {
			d.Error = err.Error()
		} else {
			d.BirthDate, d.Converted = doc.BirthDate, doc.Converted
			switch doc.Sex {
			case idno.Male:
				d.Sex = "男"
			case idno.Female:
				d.Sex = "女"
			}
		}
	}
	h.render(w, r, http.StatusOK, "idcheck.html", &web.Page{Title: "证件号码校验", Data: d})
}

type detailData struct {
	P          person.Person
	Cases      []person.CaseRef
	Duplicates int
	CanEdit    bool
	CanReveal  bool
	CanMerge   bool
}

func (h *Handler) detail(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	pr := me(r)
	sc := personScope(pr)
	p, err := h.Store.Get(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := detailData{P: p, CanEdit: !lineScope(pr, "edit").IsZero(), CanReveal: pr.Can(auth.PermPIIFull),
		CanMerge: !lineScope(pr, "approve").IsZero()}
	if p.MergedInto == 0 {
		if d.Cases, err = casesFor(r, pr, sc, id); err != nil {
			h.fail(w, r, err)
			return
		}
		groups, err := h.Store.FindDuplicates(r.Context(), sc, id, 20)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		d.Duplicates = len(groups)
	}
	h.render(w, r, http.StatusOK, "detail.html", &web.Page{Title: p.Name, Data: d,
		Breadcrumbs: []web.Crumb{{Label: "当事人信息库", Path: "/persons"}, {Label: p.Name}}})
}

// casesFor lists the person's cases in every line, keeping only the lines
// whose view permission the viewer holds: a mediator sees the mediation
// cases of a correction subject, not the correction file.
func casesFor(r *http.Request, p *auth.Principal, sc org.Scope, id int64) ([]person.CaseRef, error) {
	all, err := person.CasesOf(r.Context(), sc, id)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, c := range all {
		if p.Can(auth.LinePerm(c.Line, "view")) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (h *Handler) reveal(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	field := r.URL.Query().Get("field")
	if field == "" {
		field = r.PostFormValue("field")
	}
	pr := me(r)
	v, err := h.Store.Reveal(r.Context(), personScope(pr), pr.Can(auth.PermPIIFull), id, field)
	if err != nil {
		var fe *org.FieldError
		if errors.As(err, &fe) && !errors.Is(err, store.ErrNotFound) {
			h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, fe.Message)
			return
		}
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.render(w, r, http.StatusOK, "reveal.html", &web.Page{Title: "完整号码", Data: struct {
		ID           int64
		Field, Value string
	}{id, field, v}})
}

type dupGroup struct {
	ReasonName string
	Persons    []person.Person
}

type dupData struct {
	P        person.Person
	Groups   []dupGroup
	CanMerge bool
}

func (h *Handler) duplicates(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	pr := me(r)
	sc := personScope(pr)
	p, err := h.Store.Get(r.Context(), sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	groups, err := h.Store.FindDuplicates(r.Context(), sc, id, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	views := make([]dupGroup, 0, len(groups))
	for _, g := range groups {
		views = append(views, dupGroup{ReasonName: person.ReasonName(g.Reason), Persons: g.Persons})
	}
	h.render(w, r, http.StatusOK, "duplicates.html", &web.Page{Title: "疑似重复记录", Data: dupData{P: p, Groups: views,
		CanMerge: !lineScope(pr, "approve").IsZero()},
		Breadcrumbs: []web.Crumb{{Label: "当事人信息库", Path: "/persons"}, {Label: p.Name, Path: "/persons/" + strconv.FormatInt(id, 10)}, {Label: "疑似重复记录"}}})
}

type mergeData struct {
	Keep, Remove person.Person
}

func (h *Handler) mergePage(w http.ResponseWriter, r *http.Request, status int, form *web.Form, keepID, removeID int64) {
	sc := lineScope(me(r), "approve")
	keep, err := h.Store.Get(r.Context(), sc, keepID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	rm, err := h.Store.Get(r.Context(), sc, removeID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, status, "merge.html", &web.Page{Title: "合并重复记录", Form: form,
		Data: mergeData{Keep: keep, Remove: rm},
		Breadcrumbs: []web.Crumb{{Label: "当事人信息库", Path: "/persons"}, {Label: keep.Name, Path: "/persons/" + strconv.FormatInt(keepID, 10)},
			{Label: "疑似重复记录", Path: "/persons/" + strconv.FormatInt(keepID, 10) + "/duplicates"}, {Label: "合并"}}})
}

func (h *Handler) mergeConfirm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	rid, err := strconv.ParseInt(r.URL.Query().Get("remove"), 10, 64)
	if !ok || err != nil || rid <= 0 {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	h.mergePage(w, r, http.StatusOK, web.NewForm(nil), id, rid)
}

func (h *Handler) merge(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	rid, err := strconv.ParseInt(r.PostFormValue("remove_id"), 10, 64)
	if !ok || err != nil || rid <= 0 {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	moved, err := h.Store.Merge(r.Context(), lineScope(me(r), "approve"), id, rid)
	if err != nil {
		form := web.NewForm(r.PostForm)
		if !form.FailErr(err) {
			h.fail(w, r, err)
			return
		}
		h.mergePage(w, r, http.StatusUnprocessableEntity, form, id, rid)
		return
	}
	web.SetFlash(w, "已合并：编号 "+strconv.FormatInt(rid, 10)+" 的记录并入本记录，"+strconv.FormatInt(moved, 10)+" 条业务关联已改为指向本记录")
	web.Redirect(w, r, "/persons/"+strconv.FormatInt(id, 10))
}
