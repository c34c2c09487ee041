// Package auditui is the auditor's view of the audit log: a filtered,
// paged list, an Excel export (itself audited) and the integrity check of
// the hash chain. Auditors see the events of their jurisdiction only.
package auditui

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/docs"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

//go:embed all:templates
var templates embed.FS

//go:embed static
var static embed.FS

//go:embed i18n
var catalogs embed.FS

func init() {
	sub, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("auditui", sub)
	st, _ := fs.Sub(static, "static")
	web.RegisterStatic("auditui", st)
	cat, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(cat); err != nil {
		panic(err)
	}
	web.RegisterNav(web.NavItem{Group: "系统管理", Label: "审计日志", Path: "/admin/audit", Perm: auth.PermAuditView, Order: 840})
}

// MaxExport caps one export: larger sets must be narrowed by date.
const MaxExport = 200_000

// Handler serves the audit pages.
type Handler struct {
	Auth          *auth.HTTP
	DB            *store.DB
	RetentionDays int              // configured retention, shown on the verify page
	Now           func() time.Time // nil: time.Now
	Log           *slog.Logger     // nil: slog.Default()
	MaxRows       int              // export cap; 0: MaxExport
}

func (h *Handler) maxRows() int {
	if h.MaxRows > 0 {
		return h.MaxRows
	}
	return MaxExport
}

func (h *Handler) logger() *slog.Logger {
	if h.Log != nil {
		return h.Log
	}
	return slog.Default()
}

// Routes registers the audit pages.
func (h *Handler) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/audit", h.Auth.Require(auth.PermAuditView, h.list))
	mux.HandleFunc("GET /admin/audit/export.xlsx", h.Auth.Require(auth.PermAuditExport, h.export))
	mux.HandleFunc("GET /admin/audit/verify", h.Auth.Require(auth.PermAuditView, h.verify))
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// objectTypes are the object kinds the code records, with Chinese names.
var objectTypes = []web.Option{
	{Value: "user", Label: "用户"}, {Value: "role", Label: "角色"}, {Value: "org", Label: "机构"},
	{Value: "person", Label: "人员"}, {Value: "api_token", Label: "API令牌"}, {Value: "settings", Label: "系统设置"}, {Value: "audit_log", Label: "审计日志"},
}

func objectTypeName(t string) string {
	for _, o := range objectTypes {
		if o.Value == t {
			return o.Label
		}
	}
	return t
}

var results = []web.Option{{Value: audit.OK, Label: "成功"}, {Value: audit.Denied, Label: "拒绝"}, {Value: audit.Failed, Label: "失败"}}

// actionOptions lists each group ("全部") followed by its actions.
func actionOptions() []web.Option {
	var out []web.Option
	group := ""
	for _, a := range audit.KnownActions() {
		g, _, _ := strings.Cut(a, ".")
		if g != group {
			group = g
			out = append(out, web.Option{Value: g + ".", Label: audit.GroupName(g) + "(全部)"})
		}
		out = append(out, web.Option{Value: a, Label: "\u3000" + audit.ActionName(a)})
	}
	return out
}

var (
	codeRe   = regexp.MustCompile(`^[a-z_]+(\.[a-z_]*)?$`)
	objIDRe  = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	userRe   = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)
	dateForm = time.DateOnly
)

// filter is the parsed query string.
type filter struct {
	audit.Filter
	form    *web.Form
	summary []string // key=value pairs for the export's audit row (ids only)
	title   []string // Chinese description for the export's title row
}

// parse reads the filter from the query string; field errors go to form.
func (h *Handler) parse(ctx context.Context, r *http.Request, sc org.Scope, orgs []orgOption) filter {
	form := web.NewForm(r.URL.Query())
	fl := filter{form: form}
	add := func(key, val, label, shown string) {
		fl.summary = append(fl.summary, key+"="+val)
		fl.title = append(fl.title, label+"："+shown)
	}
	day := func(field, label string) time.Time {
		v := form.Get(field)
		if v == "" {
			return time.Time{}
		}
		t, err := time.ParseInLocation(dateForm, v, web.Shanghai)
		if err != nil {
			form.Fail(field, label+"格式应为 年-月-日，如 2026-01-31")
			return time.Time{}
		}
		return t
	}
	from, to := day("from", "开始日期"), day("to", "结束日期")
	if !from.IsZero() {
		fl.From = from
		add("from", form.Get("from"), "开始日期", form.Get("from"))
	}
	if !to.IsZero() {
		fl.To = to.AddDate(0, 0, 1) // the whole last day
		add("to", form.Get("to"), "结束日期", form.Get("to"))
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		form.Fail("to", "结束日期不能早于开始日期")
	}
	if v := form.Get("actor"); v != "" {
		if !userRe.MatchString(v) {
			form.Fail("actor", "操作人账号只含字母、数字和 _ . -")
		} else {
			fl.Actor = strings.ToLower(v)
			add("actor", fl.Actor, "操作人", fl.Actor)
		}
	}
	if v := form.Get("action"); v != "" {
		if len(v) > 64 || !codeRe.MatchString(v) {
			form.Fail("action", "操作类型无效，请从列表中选择")
		} else {
			fl.Action = v
			shown := audit.ActionName(v)
			if g, rest, _ := strings.Cut(v, "."); rest == "" {
				shown = audit.GroupName(g) + "(全部)"
			}
			add("action", v, "操作", shown)
		}
	}
	if v := form.Get("object_type"); v != "" {
		if len(v) > 40 || !codeRe.MatchString(v) || strings.Contains(v, ".") {
			form.Fail("object_type", "对象类型无效，请从列表中选择")
		} else {
			fl.ObjectType = v
			add("object_type", v, "对象类型", objectTypeName(v))
		}
	}
	if v := form.Get("object_id"); v != "" {
		if !objIDRe.MatchString(v) {
			form.Fail("object_id", "对象编号只含字母、数字和 _ . : -，最长 64 位")
		} else {
			fl.ObjectID = v
			add("object_id", v, "对象编号", v)
		}
	}
	if v := form.Get("person"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			form.Fail("person", "人员编号应为正整数")
		} else {
			fl.PersonID = n
			add("person", v, "人员编号", v)
		}
	}
	if v := form.Get("result"); v != "" {
		if audit.ResultName(v) == v {
			form.Fail("result", "结果无效，请从列表中选择")
		} else {
			fl.Result = v
			add("result", v, "结果", audit.ResultName(v))
		}
	}
	if v := form.Get("org"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		name, ok := "", false
		for _, o := range orgs {
			if o.ID == id {
				name, ok = o.Name, true
			}
		}
		if !ok && err == nil {
			// Not in the list (a village, or a long list cut short): check the scope itself.
			o, gerr := (&org.Store{DB: h.DB}).Get(ctx, sc, id)
			name, ok = o.Name, gerr == nil
		}
		if err != nil || !ok {
			form.Fail("org", "所选机构不在您的管辖范围内")
		} else {
			fl.OrgID = id
			add("org", v, "机构", name)
		}
	}
	return fl
}

// orgOption is an org in the filter list.
type orgOption struct {
	ID    int64
	Name  string
	Depth int
}

// maxOrgOptions bounds the org list; deeper orgs are still reachable by id.
const maxOrgOptions = 3000

// orgOptions lists the orgs of sc down to 司法所 level (villages and
// committees would make the list unusable), in tree order.
func (h *Handler) orgOptions(ctx context.Context, sc org.Scope) ([]orgOption, error) {
	w, args := sc.Where("o.path")
	rows, err := h.DB.Read().Query(ctx, `SELECT o.id, o.name, o.depth FROM orgs o WHERE `+w+
		` AND o.kind NOT IN ('village', 'mediation_committee') ORDER BY o.path LIMIT ?`, append(args, maxOrgOptions)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []orgOption
	for rows.Next() {
		var o orgOption
		if err := rows.Scan(&o.ID, &o.Name, &o.Depth); err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

func selectOptions(orgs []orgOption) []web.Option {
	if len(orgs) == 0 {
		return nil
	}
	top := orgs[0].Depth
	for _, o := range orgs {
		top = min(top, o.Depth)
	}
	out := make([]web.Option, len(orgs))
	for i, o := range orgs {
		out[i] = web.Option{Value: strconv.FormatInt(o.ID, 10), Label: strings.Repeat("\u3000", o.Depth-top) + o.Name}
	}
	return out
}

// rowView is one table row ready to show.
type rowView struct {
	audit.Row
	OrgName        string
	Time           string
	ActionLabel    string
	ObjectTypeName string
	ResultLabel    string
	ResultClass    string
}

func view(r audit.Row, orgName string) rowView {
	v := rowView{Row: r, OrgName: orgName, Time: r.At.In(web.Shanghai).Format(time.DateTime),
		ActionLabel: audit.ActionName(r.Action), ObjectTypeName: objectTypeName(r.ObjectType), ResultLabel: audit.ResultName(r.Result)}
	switch r.Result {
	case audit.OK:
		v.ResultClass = "badge-ok"
	case audit.Denied:
		v.ResultClass = "badge-danger"
	default:
		v.ResultClass = "badge-warn"
	}
	return v
}

type listData struct {
	Rows          []rowView
	Pager         web.Pager
	Orgs          []web.Option
	Actions       []web.Option
	ObjectTypes   []web.Option
	Results       []web.Option
	CanExport     bool
	ExportURL     string
	Problem       string // why an export was not made
	Scope         string // the viewer's jurisdiction, for the page head
	MaxExportText string // the cap, with thousands separators
}

// prepare parses the filter and the data common to the list and a refused export.
func (h *Handler) prepare(r *http.Request) (*auth.Principal, org.Scope, filter, *listData, error) {
	p := auth.FromContext(r.Context())
	sc := p.Jurisdiction()
	orgs, err := h.orgOptions(r.Context(), sc)
	if err != nil {
		return nil, sc, filter{}, nil, err
	}
	fl := h.parse(r.Context(), r, sc, orgs)
	d := &listData{Orgs: selectOptions(orgs), Actions: actionOptions(), ObjectTypes: objectTypes, Results: results,
		CanExport: p.Can(auth.PermAuditExport), Scope: p.OrgName, MaxExportText: thousands(h.maxRows())}
	q := url.Values{}
	for k, vs := range r.URL.Query() {
		if k != "page" && k != "size" && len(vs) > 0 && vs[0] != "" {
			q[k] = vs
		}
	}
	d.ExportURL = "/admin/audit/export.xlsx"
	if len(q) > 0 {
		d.ExportURL += "?" + q.Encode()
	}
	return p, sc, fl, d, nil
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	_, sc, fl, d, err := h.prepare(r)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	h.renderList(w, r, sc, fl, d, http.StatusOK)
}

func (h *Handler) renderList(w http.ResponseWriter, r *http.Request, sc org.Scope, fl filter, d *listData, status int) {
	ctx := r.Context()
	page := &web.Page{Title: "审计日志", Data: d, Form: fl.form}
	if !fl.form.OK() {
		d.Pager = web.NewPager(r, 0)
		h.Auth.R.Render(w, r, http.StatusUnprocessableEntity, "auditui/list.html", page)
		return
	}
	total, err := audit.Count(ctx, h.DB, sc, fl.Filter)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	d.Pager = web.NewPager(r, total)
	f := fl.Filter
	f.Limit, f.Offset = d.Pager.Size, d.Pager.Offset()
	if total > 0 {
		err = audit.Each(ctx, h.DB, sc, f, func(row audit.Row, orgName string) error {
			d.Rows = append(d.Rows, view(row, orgName))
			return nil
		})
		if err != nil {
			h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
			return
		}
	}
	h.Auth.R.Render(w, r, status, "auditui/list.html", page)
}

// export streams the filtered rows as .xlsx. The export is recorded before
// the first byte leaves, so no export escapes the log.
func (h *Handler) export(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_, sc, fl, d, err := h.prepare(r)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	if !fl.form.OK() {
		h.renderList(w, r, sc, fl, d, http.StatusUnprocessableEntity)
		return
	}
	last, err := audit.LastSeq(ctx, h.DB)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	f := fl.Filter
	f.UpToSeq = last // the export row itself and later rows are not part of this export
	n, err := audit.Count(ctx, h.DB, sc, f)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	if n > h.maxRows() {
		d.Problem = fmt.Sprintf("未导出：符合条件的记录共 %d 条，超过单次导出上限 %d 条。请缩小日期范围或增加筛选条件后分批导出。", n, h.maxRows())
		h.renderList(w, r, sc, fl, d, http.StatusUnprocessableEntity)
		return
	}
	if n == 0 {
		d.Problem = "未导出：没有符合条件的记录。"
		h.renderList(w, r, sc, fl, d, http.StatusUnprocessableEntity)
		return
	}
	detail := fmt.Sprintf("rows=%d", n)
	if len(fl.summary) > 0 {
		detail += "; " + strings.Join(fl.summary, " ")
	}
	if err := audit.RecordAlone(ctx, h.DB, audit.Event{Action: "audit.export", ObjectType: "audit_log", Detail: detail}); err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	now := h.now().In(web.Shanghai)
	title := "审计日志(导出时间 " + now.Format("2006-01-02 15:04") + "，共 " + strconv.Itoa(n) + " 条"
	if len(fl.title) > 0 {
		title += "；" + strings.Join(fl.title, "，")
	}
	title += ")"
	sheet := docs.Sheet{Name: "审计日志", Title: title, Columns: exportColumns}
	f.Limit = n
	err = docs.ServeXLSX(w, "审计日志_"+now.Format("20060102_1504")+".xlsx", sheet, func(emit docs.EmitFunc) error {
		return audit.Each(ctx, h.DB, sc, f, func(row audit.Row, orgName string) error {
			return emit(row.Seq, row.At.In(web.Shanghai).Format(time.DateTime), row.ActorName, idCell(row.ActorUserID),
				orgName, idCell(row.OrgID), audit.ActionName(row.Action), row.Action, objectTypeName(row.ObjectType),
				row.ObjectID, idCell(row.PersonID), row.IP, row.UserAgent, row.RequestID, audit.ResultName(row.Result), row.Detail)
		})
	})
	if err != nil {
		// Headers are out: the browser sees a broken download; log why.
		h.logger().ErrorContext(ctx, "audit export failed", "err", err, "request_id", web.RequestIDFrom(ctx))
	}
}

// exportColumns are the columns of the export.
var exportColumns = []docs.Column{
	{Header: "序号", Width: 9}, {Header: "时间(北京时间)", Width: 20}, {Header: "操作人账号", Width: 14}, {Header: "操作人ID", Width: 10},
	{Header: "所属机构", Width: 22}, {Header: "机构ID", Width: 9}, {Header: "操作", Width: 18}, {Header: "操作代码", Width: 18},
	{Header: "对象类型", Width: 10}, {Header: "对象编号", Width: 12}, {Header: "涉及人员ID", Width: 11}, {Header: "IP地址", Width: 16},
	{Header: "客户端", Width: 30}, {Header: "请求编号", Width: 20}, {Header: "结果", Width: 8}, {Header: "说明", Width: 40},
}

func idCell(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

type verifyData struct {
	Result        audit.VerifyResult
	Bounds        audit.Bounds
	RetentionDays int
	Floor         int
	KeepFrom      time.Time // rows older than this are removed by the daily job
	CheckedAt     time.Time
	Took          string
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	start := time.Now()
	res, err := audit.Verify(ctx, h.DB)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	b, err := audit.GetBounds(ctx, h.DB)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusInternalServerError, "")
		return
	}
	days := h.RetentionDays
	if days < audit.RetentionFloor {
		days = audit.DefaultRetention
	}
	now := h.now()
	d := verifyData{Result: res, Bounds: b, RetentionDays: days, Floor: audit.RetentionFloor,
		KeepFrom: now.AddDate(0, 0, -days), CheckedAt: now, Took: time.Since(start).Round(time.Millisecond).String()}
	h.Auth.R.Render(w, r, http.StatusOK, "auditui/verify.html", &web.Page{Title: "日志完整性校验", Data: d,
		Breadcrumbs: []web.Crumb{{Label: "审计日志", Path: "/admin/audit"}, {Label: "完整性校验"}}})
}

// thousands writes n with comma separators (200,000).
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
