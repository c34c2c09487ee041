package mediation

import (
	"encoding/base64"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"

	"fengqiao/internal/casework"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// boardRoutes registers the coordination board (协同指挥).
func (h *Handler) boardRoutes(mux *http.ServeMux) {
	a := h.Auth
	mux.HandleFunc("GET /mediation/board", a.Require(permView, h.boardPage))
	mux.HandleFunc("GET /mediation/board/cases/{id}", a.Require(permView, h.boardCase))
	for _, act := range []string{"transfer", "reply", "accept-transfer", "return-transfer"} {
		mux.HandleFunc("GET /mediation/board/cases/{id}/"+act, a.Require(permEdit, h.boardCase))
		mux.HandleFunc("POST /mediation/board/cases/{id}/"+act, a.Require(permEdit, h.boardAction))
	}
	mux.HandleFunc("GET /mediation/board/cases/{id}/supervise", a.Require(permApprove, h.boardCase))
	mux.HandleFunc("POST /mediation/board/cases/{id}/supervise", a.Require(permApprove, h.boardAction))
	mux.HandleFunc("POST /mediation/board/cases/{id}/feedback", a.Require(permEdit, h.boardFeedback))
}

var boardDueOptions = []web.Option{{Value: "overdue", Label: "已超期"}, {Value: "soon", Label: "7日内到期"}, {Value: "none", Label: "无进行中期限"}}

var boardRiskOptions = []web.Option{{Value: "any", Label: "高风险(任一)"}, {Value: "crime", Label: "民转刑风险"},
	{Value: "group", Label: "群体性风险"}, {Value: "repeated", Label: "重复纠纷"}}

type boardData struct {
	Cases    []BoardCase
	Counts   []OfficeCount
	Levels   LevelCounts
	Incoming []casework.Case
	Orgs     []web.Option
	States   []web.Option
	Risks    []web.Option
	Dues     []web.Option
	From, To string
	Now      string
	CanEdit  bool
}

// openStates are the states a case on the board can be in.
func openStates() []web.Option {
	var out []web.Option
	t, _ := casework.Lookup(CaseType)
	for _, c := range CaseStates {
		if st, ok := t.State(c.Code); ok && !st.Final {
			out = append(out, web.Option{Value: c.Code, Label: c.Name})
		}
	}
	return out
}

func (h *Handler) boardPage(w http.ResponseWriter, r *http.Request) {
	ctx, sc, q := r.Context(), scope(r), r.URL.Query()
	now := Clock().In(web.Shanghai)
	from, to := q.Get("from"), q.Get("to")
	if from == "" && to == "" {
		// The period of the level counts defaults to this year so far.
		from, to = now.Format("2006")+"-01-01", now.Format(time.DateOnly)
		q.Set("from", from)
		q.Set("to", to)
	}
	form := web.NewForm(q)
	f := BoardFilter{OrgID: queryID(r, "org"), State: q.Get("state"), Risk: q.Get("risk"), Due: q.Get("due")}
	d := &boardData{From: from, To: to, Now: now.Format("2006-01-02 15:04"), CanEdit: me(r).Can(permEdit),
		States: openStates(), Risks: boardRiskOptions, Dues: boardDueOptions}
	var err error
	if d.Cases, err = h.Store.BoardCases(ctx, sc, f); err != nil && !form.FailErr(err) {
		h.fail(w, r, err)
		return
	}
	if web.IsHTMX(r) && r.Header.Get("HX-Target") == "board-list" {
		h.render(w, r, http.StatusOK, "board.html", &web.Page{Title: "协同指挥", Data: d, Form: form})
		return
	}
	if d.Counts, err = h.Store.BoardCounts(ctx, sc, time.Time{}); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Levels, err = h.Store.ResolvedAtLevel(ctx, sc, from, to); err != nil && !form.FailErr(err) {
		h.fail(w, r, err)
		return
	}
	if d.Incoming, _, err = h.Store.cases().List(ctx, sc, casework.Filter{Type: CaseType, IncomingTransfers: true, Limit: 100}); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Orgs, err = h.orgOptions(r, sc, org.City, org.County, org.Office, org.Village, org.Committee); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "board.html", &web.Page{Title: "协同指挥", Data: d, Form: form,
		Breadcrumbs: []web.Crumb{{Label: "人民调解", Path: "/mediation/cases"}, {Label: "协同指挥"}}})
}

type boardCaseData struct {
	C            *Case
	Action       string // the form shown: "", transfer, supervise, reply, accept-transfer, return-transfer
	Transfers    []casework.Transfer
	Supervisions []casework.Supervision
	OrgNames     map[int64]string
	Targets      []web.Option
	Agencies     []web.Option
	OpenSups     []web.Option
	Offered      bool // the viewer's org is the receiver of a pending transfer
	Owned        bool // the case's owner is in the viewer's scope
	CanEdit      bool
	CanApprove   bool
	FeedbackURL  string
	QR           template.URL // data: URL of the QR code's PNG (built here, safe)
}

// OrgName names an org of the case's history.
func (d *boardCaseData) OrgName(id int64) string {
	if n, ok := d.OrgNames[id]; ok {
		return n
	}
	return "#" + itoa(id)
}

func (h *Handler) boardCase(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	action := ""
	if i := strings.LastIndex(r.URL.Path, "/"); i >= 0 && r.URL.Path[i+1:] != itoa(id) {
		action = r.URL.Path[i+1:]
	}
	h.renderBoardCase(w, r, http.StatusOK, id, web.NewForm(nil), action, nil)
}

func (h *Handler) renderBoardCase(w http.ResponseWriter, r *http.Request, status int, id int64, form *web.Form, action string, extra func(*boardCaseData)) {
	ctx, sc := r.Context(), scope(r)
	c, err := h.Store.Case(ctx, sc, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := &boardCaseData{C: c, Action: action, OrgNames: map[int64]string{}, Agencies: choices(Agencies),
		Owned: sc.Contains(c.OrgPath), CanEdit: me(r).Can(permEdit), CanApprove: me(r).Can(permApprove)}
	if d.Transfers, err = h.Store.cases().Transfers(ctx, sc, id); err != nil {
		h.fail(w, r, err)
		return
	}
	if d.Supervisions, err = h.Store.cases().Supervisions(ctx, sc, id); err != nil {
		h.fail(w, r, err)
		return
	}
	ids := []int64{c.OrgID}
	if c.TransferOrgID != 0 {
		ids = append(ids, c.TransferOrgID)
	}
	for _, t := range d.Transfers {
		ids = append(ids, t.FromOrgID, t.ToOrgID)
	}
	for _, v := range d.Supervisions {
		ids = append(ids, v.ByOrgID)
		if v.State == casework.SupervisionOpen {
			d.OpenSups = append(d.OpenSups, web.Option{Value: itoa(v.ID), Label: v.CreatedAt.In(web.Shanghai).Format("2006-01-02") + " " + truncRunes(v.Instruction, 30)})
		}
	}
	rows, err := h.Store.DB.Read().Query(ctx, `SELECT id, name FROM orgs WHERE id IN (`+store.InList(len(ids))+`)`, anys(ids)...)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for rows.Next() {
		var oid int64
		var name string
		if err := rows.Scan(&oid, &name); err != nil {
			rows.Close()
			h.fail(w, r, err)
			return
		}
		d.OrgNames[oid] = name
	}
	rows.Close()
	if c.TransferOrgID != 0 {
		var path string
		if err := h.Store.DB.Read().QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, c.TransferOrgID).Scan(&path); err == nil {
			d.Offered = sc.Contains(path)
		}
	}
	if action == "transfer" {
		if d.Targets, err = h.orgOptions(r, sc, org.County, org.Office, org.Committee); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if extra != nil {
		extra(d)
	}
	h.render(w, r, status, "board_case.html", &web.Page{Title: "协同指挥 " + c.Number, Data: d, Form: form,
		Breadcrumbs: []web.Crumb{{Label: "协同指挥", Path: "/mediation/board"}, {Label: c.Number}}})
}

func truncRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}

// dueEndOfDay is the last moment of a calendar day in Shanghai.
func dueEndOfDay(day string) (time.Time, error) {
	d, err := time.ParseInLocation(time.DateOnly, day, web.Shanghai)
	if err != nil {
		return time.Time{}, fe("due_on", "回复期限应为YYYY-MM-DD格式的有效日期")
	}
	return d.AddDate(0, 0, 1).Add(-time.Second), nil
}

// boardAction runs one command on a case, each in one transaction.
func (h *Handler) boardAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	form, ok := h.parseForm(w, r)
	if !ok {
		return
	}
	ctx, sc := r.Context(), scope(r)
	action := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
	// Out of scope is 404 before anything else, as on every case page.
	if _, err := h.Store.cases().Get(ctx, sc, id); err != nil {
		h.fail(w, r, err)
		return
	}
	kernel := h.Store.cases()
	var flash string
	var err error
	switch action {
	case "transfer":
		if form.Get("kind") == "agency" {
			_, err = h.Store.ReferToAgency(ctx, sc, id, form.Get("agency"), form.Get("reason"))
			flash = "已移交" + nameOf(Agencies, form.Get("agency")) + "，本案调解终止"
			break
		}
		to := formID(form, "to_org_id", "请选择接收单位")
		if !form.OK() {
			break
		}
		if to == 0 {
			form.Fail("to_org_id", "请选择接收单位")
			break
		}
		err = h.Store.DB.Tx(ctx, func(tx *store.Tx) error {
			_, err := kernel.Transfer(ctx, tx, sc, id, to, strings.TrimSpace(form.Get("reason")))
			return err
		})
		flash = "已转办，等待接收单位接收"
	case "supervise":
		var due time.Time
		if due, err = dueEndOfDay(form.Get("due_on")); err != nil {
			break
		}
		err = h.Store.DB.Tx(ctx, func(tx *store.Tx) error {
			_, err := kernel.Supervise(ctx, tx, sc, id, strings.TrimSpace(form.Get("instruction")), due)
			return err
		})
		flash = "已督办"
	case "reply":
		sid := formID(form, "supervision_id", "请选择要回复的督办")
		if !form.OK() {
			break
		}
		if sid == 0 || !h.supervisionOf(r, id, sid) {
			form.Fail("supervision_id", "请选择要回复的督办")
			break
		}
		err = h.Store.DB.Tx(ctx, func(tx *store.Tx) error {
			return kernel.ReplySupervision(ctx, tx, sc, sid, strings.TrimSpace(form.Get("reply")))
		})
		flash = "已回复督办"
	case "accept-transfer":
		err = h.Store.DB.Tx(ctx, func(tx *store.Tx) error {
			_, err := kernel.AcceptTransfer(ctx, tx, sc, id, strings.TrimSpace(form.Get("note")))
			return err
		})
		flash = "已接收，本单位成为承办单位"
	case "return-transfer":
		err = h.Store.DB.Tx(ctx, func(tx *store.Tx) error {
			return kernel.ReturnTransfer(ctx, tx, sc, id, strings.TrimSpace(form.Get("return_reason")))
		})
		flash = "已退回原单位"
	default:
		h.notFound(w, r)
		return
	}
	if err == nil && form.OK() {
		web.SetFlash(w, flash)
		web.Redirect(w, r, "/mediation/board/cases/"+itoa(id))
		return
	}
	var se *casework.StateError
	switch {
	case err == nil || form.FailErr(err):
		h.renderBoardCase(w, r, http.StatusUnprocessableEntity, id, form, action, nil)
	case isForbidden(err):
		h.Auth.R.Error(w, r, http.StatusForbidden, err.Error())
	case errors.As(err, &se) || errors.Is(err, casework.ErrConflict) || errors.Is(err, casework.ErrTransferPending):
		web.SetFlash(w, err.Error())
		web.Redirect(w, r, "/mediation/board/cases/"+itoa(id))
	default:
		h.fail(w, r, err)
	}
}

// supervisionOf reports whether supervision sid belongs to case id.
func (h *Handler) supervisionOf(r *http.Request, id, sid int64) bool {
	var n int
	err := h.Store.DB.Read().QueryRow(r.Context(), `SELECT count(*) FROM case_supervisions WHERE id = ? AND case_id = ?`, sid, id).Scan(&n)
	return err == nil && n == 1
}

// FeedbackPath is the portal's public rating page for a token.
func FeedbackPath(token string) string { return "/p/feedback/" + url.PathEscape(token) }

// boardFeedback issues a rating link and shows it as a QR code. The token
// exists only in this answer (its hash is stored), so the page is not a
// redirect target and is not cached.
func (h *Handler) boardFeedback(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		h.notFound(w, r)
		return
	}
	ctx, sc := r.Context(), scope(r)
	if _, err := h.Store.cases().Get(ctx, sc, id); err != nil {
		h.fail(w, r, err)
		return
	}
	var tok string
	err := h.Store.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		tok, err = h.Store.cases().NewFeedbackLink(ctx, tx, sc, id)
		return err
	})
	if isForbidden(err) {
		h.Auth.R.Error(w, r, http.StatusForbidden, err.Error())
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	u := absoluteURL(r, FeedbackPath(tok))
	png, err := qrcode.Encode(u, qrcode.Medium, 320)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.renderBoardCase(w, r, http.StatusOK, id, web.NewForm(nil), "feedback", func(d *boardCaseData) {
		d.FeedbackURL, d.QR = u, template.URL("data:image/png;base64,"+base64.StdEncoding.EncodeToString(png))
	})
}

// absoluteURL makes path absolute on the host the user reached: a party
// scans the code with a phone.
func absoluteURL(r *http.Request, path string) string {
	scheme := "http"
	if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}
