package portal

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/mediation"
	"fengqiao/internal/org"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// Handler serves the public portal. All routes are anonymous.
type Handler struct {
	Auth      *auth.HTTP
	DB        *store.DB
	Mediation *mediation.Store
	// PortalKey signs the timestamp of the apply form (ensureSecret).
	PortalKey []byte
	Log       *slog.Logger
	// Now is the clock (tests); nil is time.Now.
	Now func() time.Time
}

func (h *Handler) store() *Store { return &Store{DB: h.DB, Now: h.Now} }

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func (h *Handler) log() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// Routes registers /p/.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /p/{$}", h.index)
	mux.HandleFunc("GET /p/mediation/apply", h.applyForm)
	mux.HandleFunc("POST /p/mediation/apply", h.apply)
	mux.HandleFunc("GET /p/mediation/track", h.trackForm)
	mux.HandleFunc("POST /p/mediation/track", h.track)
	mux.HandleFunc("GET /p/feedback/{token}", h.feedbackForm)
	mux.HandleFunc("POST /p/feedback/{token}", h.feedback)
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name, title string, data any, f *web.Form) {
	// The pages hold what a person typed: never cache them.
	w.Header().Set("Cache-Control", "no-store")
	h.Auth.R.Render(w, r, status, "portal/"+name, &web.Page{Title: title, Data: data, Form: f, Public: true})
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	h.log().ErrorContext(r.Context(), "portal", "path", r.URL.Path, "err", err)
	h.Auth.R.Error(w, r, http.StatusInternalServerError, "系统繁忙，请稍后再试")
}

func (h *Handler) index(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "index.html", "公共服务", nil, nil)
}

// applyData feeds apply.html.
type applyData struct {
	Offices  []CountyOffices
	Types    []web.Option
	Stamp    string
	OfficeID string
}

func (h *Handler) applyPage(w http.ResponseWriter, r *http.Request, status int, f *web.Form) {
	if !f.OK() {
		// Numbers are not sent back: a form page with an error must not
		// carry a clear ID or phone number (leak scanning, shared screens).
		for _, k := range [][2]string{{"id_number", "身份证号码"}, {"phone", "手机号码"}, {"other_phone", "对方电话"}} {
			if f.Get(k[0]) != "" {
				f.Values.Del(k[0])
				f.Fail(k[0], "为保护个人信息，请重新填写"+k[1])
			}
		}
	}
	offices, err := h.store().Offices(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := applyData{Offices: offices, Stamp: signer{h.PortalKey}.stamp(h.now()), OfficeID: f.Get("office_id")}
	for _, t := range mediation.DisputeTypes {
		d.Types = append(d.Types, web.Option{Value: t.Code, Label: t.Name})
	}
	h.render(w, r, status, "apply.html", "申请人民调解", d, f)
}

func (h *Handler) applyForm(w http.ResponseWriter, r *http.Request) {
	h.applyPage(w, r, http.StatusOK, web.NewForm(nil))
}

// application is a validated apply form.
type application struct {
	officeID                    int64
	name, idNumber, phone, addr string
	otherName, otherPhone       string
	disputeType, summary, last4 string
}

func tooLong(f *web.Form, field, label, v string, max int) {
	if utf8.RuneCountInString(v) > max {
		f.Fail(field, label+"不能超过"+strconv.Itoa(max)+"字")
	}
}

// readApplication checks the fields the portal asks for; the person and
// case rules are checked again by mediation.Register.
func readApplication(f *web.Form) application {
	a := application{name: f.Get("name"), addr: f.Get("address"), otherName: f.Get("other_name"),
		disputeType: f.Get("dispute_type"), summary: f.Get("summary")}
	if a.name == "" {
		f.Fail("name", "请填写您的姓名")
	}
	tooLong(f, "name", "姓名", a.name, 50)
	if v := f.Get("id_number"); v == "" {
		f.Fail("id_number", "请填写您的居民身份证号码")
	} else if d, err := idno.Parse(idno.IDCard, v); err != nil {
		f.Fail("id_number", "身份证号码不正确："+err.Error())
	} else {
		a.idNumber = d.Number
	}
	if v := f.Get("phone"); v == "" {
		f.Fail("phone", "请填写您的手机号码")
	} else if p, err := idno.ParsePhone(v); err != nil || !idno.IsMobile(p) {
		f.Fail("phone", "请填写11位手机号码，便于司法所联系您")
	} else {
		a.phone, a.last4 = p, p[len(p)-4:]
	}
	if a.addr == "" {
		f.Fail("address", "请填写您的住址")
	}
	tooLong(f, "address", "住址", a.addr, 200)
	if a.otherName == "" {
		f.Fail("other_name", "请填写对方当事人的姓名或单位名称")
	}
	tooLong(f, "other_name", "对方姓名", a.otherName, 100)
	if v := f.Get("other_phone"); v != "" {
		if p, err := idno.ParsePhone(v); err != nil {
			f.Fail("other_phone", "对方电话格式不正确")
		} else {
			a.otherPhone = p
		}
	}
	if mediation.DisputeTypeName(a.disputeType) == "" {
		f.Fail("dispute_type", "请选择纠纷类型")
	}
	id, err := strconv.ParseInt(f.Get("office_id"), 10, 64)
	if err != nil || id <= 0 {
		f.Fail("office_id", "请选择受理的司法所")
	}
	a.officeID = id
	if a.summary == "" {
		f.Fail("summary", "请简要说明纠纷经过和您的请求")
	}
	tooLong(f, "summary", "纠纷简要情况", a.summary, 2000)
	if f.Get("consent") == "" {
		f.Fail("consent", "请阅读并同意个人信息处理说明后再提交")
	}
	return a
}

// registerFields maps mediation.Register's field names to the form's.
var registerFields = map[string]string{
	"p0_name": "name", "p0_id_number": "id_number", "p0_doc_type": "id_number", "p0_phone": "phone", "p0_address": "address",
	"p0_sex": "id_number", "p0_birth_date": "id_number",
	"p1_name": "other_name", "p1_phone": "other_phone", "p1_address": "other_name",
	"org_id": "office_id", "dispute_type": "dispute_type", "summary": "summary",
}

// systemContext is the portal acting for the public: it registers the
// case with mediation.edit over the whole tree, audited as "portal".
func systemContext(ctx context.Context, officeID int64) context.Context {
	a := audit.ActorFrom(ctx)
	a.UserID, a.Username, a.OrgID = 0, "portal", officeID
	ctx = audit.WithActor(ctx, a)
	// auth has no constructor for a system principal other than this one.
	p := auth.SystemPrincipal("portal", officeID, org.System(), auth.LinePerm(mediation.Line, "view"), auth.LinePerm(mediation.Line, "edit"))
	p.Username, p.DisplayName = "portal", "公共服务门户"
	return auth.WithPrincipal(ctx, p)
}

type appliedData struct {
	Code   string
	Number string
	Office string
}

func (h *Handler) apply(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "表单无效")
		return
	}
	st := h.store()
	ip := h.Auth.ClientIP(r)
	n, err := st.Hits(ctx, kindApply, ip)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if n >= MaxApplyPerHour {
		h.Auth.R.Error(w, r, http.StatusTooManyRequests, "提交次数过多，请一小时后再试，或直接到司法所现场申请")
		return
	}
	f := web.NewForm(r.PostForm)
	if f.Get("website") != "" {
		// Honeypot: people do not see the field. Count the hit, register nothing.
		if err := st.Bump(ctx, kindApply, ip); err != nil {
			h.fail(w, r, err)
			return
		}
		h.log().InfoContext(ctx, "portal apply refused", "reason", "honeypot")
		h.Auth.R.Error(w, r, http.StatusBadRequest, "提交未被受理，请重新打开申请页面填写")
		return
	}
	if msg := (signer{h.PortalKey}).check(f.Get("ts"), h.now()); msg != "" {
		f.Fail("", msg)
		h.applyPage(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	a := readApplication(f)
	if f.OK() {
		ok, err := st.activeOffice(ctx, a.officeID)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !ok {
			f.Fail("office_id", "请选择受理的司法所")
		}
	}
	if !f.OK() {
		h.applyPage(w, r, http.StatusUnprocessableEntity, f)
		return
	}
	sctx := systemContext(ctx, a.officeID)
	in := mediation.CaseInput{
		OrgID: a.officeID, Source: "application", SourceRef: OnlineSourceRef, DisputeType: a.disputeType,
		People: 2, Summary: a.summary,
		Parties: []mediation.PartyInput{
			{Role: "applicant", Name: a.name, IDNumber: a.idNumber, Phone: a.phone, Address: a.addr},
			{Role: "respondent", Name: a.otherName, Phone: a.otherPhone},
		},
	}
	// The parties, the case and its tracking code in one transaction: an
	// application that fails leaves no person or code-less case behind.
	var c *casework.Case
	var code string
	err = h.DB.Tx(sctx, func(tx *store.Tx) error {
		var err error
		if c, err = h.Mediation.RegisterTx(sctx, tx, org.System(), in); err != nil {
			return err
		}
		code, err = st.issueCode(sctx, tx, c.ID, a.last4, ip)
		return err
	})
	if err != nil {
		var fe *org.FieldError
		if errors.As(err, &fe) {
			field := registerFields[fe.Field]
			msg := fe.Message
			if i := strings.Index(msg, "："); i >= 0 && strings.HasPrefix(fe.Field, "p") {
				msg = msg[i+len("："):] // drop "第1名当事人：", the form has named fields
			}
			f.Fail(field, msg)
			h.applyPage(w, r, http.StatusUnprocessableEntity, f)
			return
		}
		h.fail(w, r, err)
		return
	}
	h.log().InfoContext(ctx, "portal application", "case_id", c.ID, "org_id", a.officeID)
	h.render(w, r, http.StatusOK, "applied.html", "申请已提交", appliedData{Code: FormatCode(code), Number: c.Number, Office: c.OrgName}, nil)
}

func (h *Handler) trackForm(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "track.html", "查询调解进度", nil, web.NewForm(nil))
}

func (h *Handler) track(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "表单无效")
		return
	}
	st := h.store()
	ip := h.Auth.ClientIP(r)
	n, err := st.Hits(ctx, kindTrack, ip)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if n >= MaxTrackFailPerHour {
		h.Auth.R.Error(w, r, http.StatusTooManyRequests, "查询失败次数过多，请一小时后再试")
		return
	}
	f := web.NewForm(r.PostForm)
	code, last4 := f.Get("code"), f.Get("phone4")
	if code == "" {
		f.Fail("code", "请填写查询码")
	}
	if len(last4) != 4 || strings.Trim(last4, "0123456789") != "" {
		f.Fail("phone4", "请填写申请时所留手机号的后四位数字")
	}
	if !f.OK() {
		h.render(w, r, http.StatusUnprocessableEntity, "track.html", "查询调解进度", nil, f)
		return
	}
	p, err := st.Track(ctx, code, last4)
	if errors.Is(err, ErrBadCode) {
		if err := st.Bump(ctx, kindTrack, ip); err != nil {
			h.fail(w, r, err)
			return
		}
		f.Fail("", ErrBadCode.Error())
		f.Values.Del("phone4")
		h.render(w, r, http.StatusUnprocessableEntity, "track.html", "查询调解进度", nil, f)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	// A lookup by the public is a read of a case: audited with its outcome only.
	if err := audit.RecordAlone(systemContext(ctx, 0), h.DB, audit.Event{Action: "portal.track", ObjectType: "med_case",
		ObjectID: strconv.FormatInt(p.CaseID, 10), Result: audit.OK}); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "tracked.html", "调解进度", p, nil)
}

type feedbackData struct {
	Token   string
	Message string // final outcome, no form
	Done    bool
	Stars   []web.Option
}

var stars = []web.Option{{Value: "5", Label: "非常满意"}, {Value: "4", Label: "满意"}, {Value: "3", Label: "一般"},
	{Value: "2", Label: "不满意"}, {Value: "1", Label: "非常不满意"}}

func feedbackMessage(s FeedbackState) string {
	switch s {
	case FeedbackUsed:
		return casework.ErrFeedbackUsed.Error()
	case FeedbackLocked:
		return casework.ErrFeedbackAttempts.Error()
	case FeedbackInvalid:
		return casework.ErrFeedbackInvalid.Error() + "。如需评价，请联系办理案件的司法所重新获取评价链接。"
	}
	return ""
}

func (h *Handler) feedbackForm(w http.ResponseWriter, r *http.Request) {
	tok := r.PathValue("token")
	s, err := h.store().PeekFeedback(r.Context(), tok)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := feedbackData{Token: tok, Message: feedbackMessage(s), Stars: stars}
	status := http.StatusOK
	if s == FeedbackInvalid {
		status = http.StatusNotFound
	}
	h.render(w, r, status, "feedback.html", "评价调解工作", d, web.NewForm(nil))
}

func (h *Handler) feedback(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		h.Auth.R.Error(w, r, http.StatusBadRequest, "表单无效")
		return
	}
	tok := r.PathValue("token")
	f := web.NewForm(r.PostForm)
	d := feedbackData{Token: tok, Stars: stars}
	rating, _ := strconv.Atoi(f.Get("rating"))
	err := casework.SubmitFeedback(r.Context(), h.DB, tok, rating, f.Get("comment"))
	switch {
	case err == nil:
		d.Done, d.Message = true, "感谢您的评价！您的意见将帮助我们改进调解工作。"
		h.render(w, r, http.StatusOK, "feedback.html", "评价调解工作", d, nil)
	case errors.Is(err, casework.ErrFeedbackUsed):
		d.Message = feedbackMessage(FeedbackUsed)
		h.render(w, r, http.StatusConflict, "feedback.html", "评价调解工作", d, nil)
	case errors.Is(err, casework.ErrFeedbackAttempts):
		d.Message = feedbackMessage(FeedbackLocked)
		h.render(w, r, http.StatusTooManyRequests, "feedback.html", "评价调解工作", d, nil)
	case errors.Is(err, casework.ErrFeedbackInvalid):
		d.Message = feedbackMessage(FeedbackInvalid)
		h.render(w, r, http.StatusNotFound, "feedback.html", "评价调解工作", d, nil)
	case f.FailErr(err):
		h.render(w, r, http.StatusUnprocessableEntity, "feedback.html", "评价调解工作", d, f)
	default:
		h.fail(w, r, err)
	}
}
