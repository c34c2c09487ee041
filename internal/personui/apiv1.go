package personui

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/api"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
)

func init() {
	api.DescribeTag("persons", "当事人信息库(证件号码、电话一律脱敏；完整号码只能通过 reveal 查看，并留痕)")
}

// Person is a registry record in the API. Numbers are masked.
type Person struct {
	ID          int64     `json:"id"`
	OrgID       int64     `json:"org_id" doc:"登记机构"`
	OrgName     string    `json:"org_name"`
	Kind        string    `json:"kind" enum:"natural,organization" doc:"natural 自然人，organization 法人或其他组织"`
	Name        string    `json:"name"`
	Sex         string    `json:"sex" enum:"M,F," doc:"M 男，F 女，空为未知"`
	BirthDate   string    `json:"birth_date" doc:"YYYY-MM-DD，未知为空"`
	DocType     string    `json:"doc_type" doc:"证件类型代码，见 POST 请求说明；无证件为空"`
	DocTypeName string    `json:"doc_type_name"`
	IDNumber    string    `json:"id_number" doc:"证件号码(脱敏)"`
	Phone       string    `json:"phone" doc:"联系电话(脱敏)"`
	Address     string    `json:"address"`
	CreditCode  string    `json:"credit_code" doc:"统一社会信用代码(公开信息，不脱敏)"`
	LegalRep    string    `json:"legal_rep" doc:"法定代表人或负责人"`
	MergedInto  int64     `json:"merged_into,omitempty" doc:"已合并到的记录编号(本记录已作废)"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func personJSON(p person.Person) Person {
	return Person{ID: p.ID, OrgID: p.OrgID, OrgName: p.OrgName, Kind: string(p.Kind), Name: p.Name, Sex: string(p.Sex),
		BirthDate: p.BirthDate, DocType: string(p.DocType), DocTypeName: p.DocTypeName(), IDNumber: p.IDNumber, Phone: p.Phone,
		Address: p.Address, CreditCode: p.CreditCode, LegalRep: p.LegalRep, MergedInto: p.MergedInto,
		CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

const docTypesDoc = "id_card 居民身份证，hmt_residence 港澳台居民居住证，passport 中国护照，foreign_passport 外国护照，" +
	"hk_macao_permit 港澳居民来往内地通行证，taiwan_permit 台湾居民来往大陆通行证，foreign_permanent 外国人永久居留身份证"

// PersonCreate is the body of POST /api/v1/persons.
type PersonCreate struct {
	OrgID      int64  `json:"org_id,omitempty" doc:"登记机构，默认调用者所在机构"`
	Kind       string `json:"kind" enum:"natural,organization"`
	Name       string `json:"name"`
	Sex        string `json:"sex,omitempty" enum:"M,F," doc:"居民身份证可由号码得出，不必填写"`
	BirthDate  string `json:"birth_date,omitempty" doc:"YYYY-MM-DD；居民身份证可由号码得出"`
	DocType    string `json:"doc_type,omitempty" doc:"默认 id_card。可选：id_card 等，见接口说明"`
	IDNumber   string `json:"id_number,omitempty" doc:"完整证件号码(校验位等按证件类型校验)"`
	Phone      string `json:"phone,omitempty"`
	Address    string `json:"address,omitempty"`
	CreditCode string `json:"credit_code,omitempty" doc:"法人或其他组织：统一社会信用代码"`
	LegalRep   string `json:"legal_rep,omitempty"`
}

// PersonPatch is the body of PATCH /api/v1/persons/{id}: absent fields
// keep their value.
type PersonPatch struct {
	OrgID         *int64  `json:"org_id,omitempty"`
	Name          *string `json:"name,omitempty"`
	Sex           *string `json:"sex,omitempty" enum:"M,F,"`
	BirthDate     *string `json:"birth_date,omitempty"`
	DocType       *string `json:"doc_type,omitempty" doc:"更换证件类型时须同时提供 id_number"`
	IDNumber      *string `json:"id_number,omitempty" doc:"新的完整证件号码；性别、出生日期随之重新得出"`
	Phone         *string `json:"phone,omitempty"`
	Address       *string `json:"address,omitempty"`
	CreditCode    *string `json:"credit_code,omitempty"`
	LegalRep      *string `json:"legal_rep,omitempty"`
	ClearIDNumber bool    `json:"clear_id_number,omitempty" doc:"true 删除证件号码"`
	ClearPhone    bool    `json:"clear_phone,omitempty" doc:"true 删除联系电话"`
}

// RevealRequest is the body of POST /api/v1/persons/{id}/reveal.
type RevealRequest struct {
	Field string `json:"field" enum:"id_number,phone"`
}

// Revealed is a full value, returned only to roles holding pii.full.
type Revealed struct {
	ID    int64  `json:"id"`
	Field string `json:"field" enum:"id_number,phone"`
	Value string `json:"value" doc:"完整号码。每次查看都记入审计日志"`
}

func (h *Handler) apiRoutes(mux *http.ServeMux) {
	view, edit := linePerms("view"), linePerms("edit")
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/persons", Tag: "persons", Paged: true, Perms: view,
		Summary: "当事人列表与查找(管辖范围内，号码脱敏，新登记的在前)",
		Query: []api.Param{
			api.Q("q", "一个查找框：名称包含，或完整的证件号码、电话号码(精确匹配)", api.String()),
			api.Q("name", "名称(姓名)包含", api.String()),
			api.Q("id_number", "完整证件号码(精确匹配，任一证件类型)", api.String()),
			api.Q("phone", "完整电话号码(精确匹配)", api.String()),
			api.Q("kind", "类型", api.Enum(string(person.Natural), string(person.Organization))),
			api.Q("org_id", "只列该登记机构及其下级登记的", api.Integer()),
		},
		Responses: api.Responses{200: Person{}}}, h.apiList)
	api.Register(mux, api.Route{Method: "GET", Path: "/api/v1/persons/{id}", Tag: "persons", Perms: view,
		Summary: "当事人详情(号码脱敏)", Responses: api.Responses{200: Person{}}}, h.apiGet)
	api.Register(mux, api.Route{Method: "POST", Path: "/api/v1/persons", Tag: "persons", Perms: edit,
		Summary: "登记当事人", Description: "证件类型 doc_type：" + docTypesDoc + "。同一证件号码在管辖范围内只能登记一次(409 以外以 422 指明 id_number)。",
		Request: PersonCreate{}, Responses: api.Responses{201: Person{}}}, h.apiCreate)
	api.Register(mux, api.Route{Method: "PATCH", Path: "/api/v1/persons/{id}", Tag: "persons", Perms: edit,
		Summary: "修改当事人信息(未提供的字段不变)", Request: PersonPatch{}, Responses: api.Responses{200: Person{}}}, h.apiPatch)
	api.Register(mux, api.Route{Method: "POST", Path: "/api/v1/persons/{id}/reveal", Tag: "persons", Perms: view,
		Summary:     "查看完整证件号码或电话(须“查看完整个人信息”权限，每次留痕)",
		Description: "没有 pii.full 权限时返回 403，拒绝的尝试同样记入审计日志。",
		Request:     RevealRequest{}, Responses: api.Responses{200: Revealed{}}}, h.apiReveal)
}

func (h *Handler) apiList(w http.ResponseWriter, r *http.Request) {
	pg, err := api.ParsePage(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	kind, err := api.QueryEnum(r, "kind", string(person.Natural), string(person.Organization))
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	orgID, err := api.QueryInt64(r, "org_id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := person.Filter{Query: q.Get("q"), Name: q.Get("name"), IDNumber: q.Get("id_number"), Phone: q.Get("phone"),
		Kind: person.Kind(kind), OrgID: orgID, Limit: pg.Size, Offset: pg.Offset()}
	list, total, err := h.Store.List(r.Context(), personScope(auth.FromContext(r.Context())), f)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := make([]Person, 0, len(list))
	for _, p := range list {
		out = append(out, personJSON(p))
	}
	api.WriteList(w, pg, out, total)
}

func (h *Handler) apiGet(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	p, err := h.Store.Get(r.Context(), personScope(auth.FromContext(r.Context())), id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, personJSON(p))
}

func (h *Handler) apiCreate(w http.ResponseWriter, r *http.Request) {
	var in PersonCreate
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	pr := auth.FromContext(r.Context())
	if in.OrgID == 0 {
		in.OrgID = pr.OrgID
	}
	p, err := h.Store.Create(r.Context(), lineScope(pr, "edit"), person.Input{OrgID: in.OrgID, Kind: person.Kind(in.Kind),
		Name: in.Name, Sex: idno.Sex(in.Sex), BirthDate: in.BirthDate, DocType: idno.DocType(in.DocType), IDNumber: in.IDNumber,
		Phone: in.Phone, Address: in.Address, CreditCode: in.CreditCode, LegalRep: in.LegalRep})
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/persons/"+itoa(p.ID))
	api.JSON(w, http.StatusCreated, personJSON(p))
}

func (h *Handler) apiPatch(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in PersonPatch
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	sc := lineScope(auth.FromContext(r.Context()), "edit")
	cur, err := h.Store.Get(r.Context(), sc, id)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	// The masked numbers stand for "keep" (person.Input's contract).
	next := person.Input{OrgID: cur.OrgID, Kind: cur.Kind, Name: cur.Name, Sex: cur.Sex, BirthDate: cur.BirthDate,
		DocType: cur.DocType, IDNumber: cur.IDNumber, Phone: cur.Phone, Address: cur.Address, CreditCode: cur.CreditCode,
		LegalRep: cur.LegalRep, ClearIDNumber: in.ClearIDNumber, ClearPhone: in.ClearPhone}
	set(&next.OrgID, in.OrgID)
	set(&next.Name, in.Name)
	if in.Sex != nil {
		next.Sex = idno.Sex(*in.Sex)
	}
	set(&next.BirthDate, in.BirthDate)
	if in.DocType != nil {
		next.DocType = idno.DocType(*in.DocType)
	}
	if in.IDNumber != nil {
		next.IDNumber = *in.IDNumber
		if in.Sex == nil && in.BirthDate == nil {
			rederive(&next, cur)
		}
	}
	set(&next.Phone, in.Phone)
	set(&next.Address, in.Address)
	set(&next.CreditCode, in.CreditCode)
	set(&next.LegalRep, in.LegalRep)
	p, err := h.Store.Update(r.Context(), sc, id, next)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, personJSON(p))
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (h *Handler) apiReveal(w http.ResponseWriter, r *http.Request) {
	id, err := api.PathID(r, "id")
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	var in RevealRequest
	if err := api.Decode(w, r, &in); err != nil {
		api.Fail(w, r, err)
		return
	}
	pr := auth.FromContext(r.Context())
	v, err := h.Store.Reveal(r.Context(), personScope(pr), pr.Can(auth.PermPIIFull), id, strings.TrimSpace(in.Field))
	switch {
	case errors.Is(err, person.ErrForbidden):
		api.Fail(w, r, api.Forbidden("没有权限：需要“查看完整个人信息”权限(本次尝试已记录)"))
		return
	case errors.Is(err, store.ErrNotFound):
		var fe *org.FieldError
		if errors.As(err, &fe) { // the record exists but holds no such value
			api.Fail(w, r, api.Invalid(fe.Field, fe.Message))
			return
		}
		api.Fail(w, r, err)
		return
	case err != nil:
		api.Fail(w, r, err)
		return
	}
	api.JSON(w, http.StatusOK, Revealed{ID: id, Field: in.Field, Value: v})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
