package platformapi

import (
	"net/http"
	"regexp"
	"strings"
	"time"

	"fengqiao/internal/api"
	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/web"
)

// AuditRow is one audit log entry.
type AuditRow struct {
	Seq         int64     `json:"seq"`
	At          time.Time `json:"at"`
	ActorUserID *int64    `json:"actor_user_id" doc:"操作人账号编号；系统任务为 null"`
	ActorName   string    `json:"actor_name"`
	OrgID       *int64    `json:"org_id"`
	Action      string    `json:"action"`
	ActionName  string    `json:"action_name" doc:"操作的中文名"`
	ObjectType  string    `json:"object_type"`
	ObjectID    string    `json:"object_id"`
	PersonID    *int64    `json:"person_id" doc:"涉及的人员编号(只有编号，不含个人信息)"`
	IP          string    `json:"ip"`
	UserAgent   string    `json:"user_agent"`
	RequestID   string    `json:"request_id"`
	Result      string    `json:"result" enum:"ok,denied,failed"`
	Detail      string    `json:"detail"`
	PrevHash    string    `json:"prev_hash" doc:"上一条的哈希，可据此在外部复核哈希链"`
	Hash        string    `json:"hash"`
}

var (
	auditCodeRe  = regexp.MustCompile(`^[a-z_]+(\.[a-z_]*)?$`)
	auditObjIDRe = regexp.MustCompile(`^[A-Za-z0-9_.:-]{1,64}$`)
	auditUserRe  = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,32}$`)
)

// parseAuditFilter reads the same filters as the audit pages, with the same
// rules; dates are calendar days in Asia/Shanghai, "to" inclusive.
func parseAuditFilter(r *http.Request) (audit.Filter, error) {
	q := r.URL.Query()
	var f audit.Filter
	day := func(name string) (time.Time, error) {
		v := strings.TrimSpace(q.Get(name))
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation(time.DateOnly, v, web.Shanghai)
		if err != nil {
			return t, api.Invalid(name, name+" 格式应为 年-月-日，如 2026-01-31")
		}
		return t, nil
	}
	from, err := day("from")
	if err != nil {
		return f, err
	}
	to, err := day("to")
	if err != nil {
		return f, err
	}
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return f, api.Invalid("to", "结束日期不能早于开始日期")
	}
	f.From = from
	if !to.IsZero() {
		f.To = to.AddDate(0, 0, 1)
	}
	if v := strings.TrimSpace(q.Get("actor")); v != "" {
		if !auditUserRe.MatchString(v) {
			return f, api.Invalid("actor", "操作人账号只含字母、数字和 _ . -")
		}
		f.Actor = strings.ToLower(v)
	}
	if v := strings.TrimSpace(q.Get("action")); v != "" {
		if len(v) > 64 || !auditCodeRe.MatchString(v) {
			return f, api.Invalid("action", "操作类型无效，如 user.create 或 user.(某类全部)")
		}
		f.Action = v
	}
	if v := strings.TrimSpace(q.Get("object_type")); v != "" {
		if len(v) > 40 || !auditCodeRe.MatchString(v) || strings.Contains(v, ".") {
			return f, api.Invalid("object_type", "对象类型无效")
		}
		f.ObjectType = v
	}
	if v := strings.TrimSpace(q.Get("object_id")); v != "" {
		if !auditObjIDRe.MatchString(v) {
			return f, api.Invalid("object_id", "对象编号只含字母、数字和 _ . : -，最长 64 位")
		}
		f.ObjectID = v
	}
	if f.PersonID, err = api.QueryInt64(r, "person_id"); err != nil {
		return f, err
	}
	if f.Result, err = api.QueryEnum(r, "result", audit.OK, audit.Denied, audit.Failed); err != nil {
		return f, err
	}
	if f.OrgID, err = api.QueryInt64(r, "org_id"); err != nil {
		return f, err
	}
	return f, nil
}

func auditRoute() api.Route {
	return api.Route{Method: "GET", Path: "/api/v1/audit", Tag: "audit", Summary: "审计日志(管辖范围内，最新的在前)", Perm: auth.PermAuditView, Paged: true,
		Query: []api.Param{
			api.Q("from", "开始日期(含)，年-月-日，北京时间", api.Schema{"type": "string", "format": "date"}),
			api.Q("to", "结束日期(含)，年-月-日，北京时间", api.Schema{"type": "string", "format": "date"}),
			api.Q("actor", "操作人账号", api.String()),
			api.Q("action", "操作类型；以 . 结尾表示一类，如 user.", api.String()),
			api.Q("object_type", "对象类型，如 user、org", api.String()),
			api.Q("object_id", "对象编号", api.String()),
			api.Q("person_id", "涉及的人员编号", api.Integer()),
			api.Q("result", "结果", api.Enum(audit.OK, audit.Denied, audit.Failed)),
			api.Q("org_id", "只看该机构及其下级", api.Integer()),
		},
		Responses: api.Responses{200: AuditRow{}}}
}

func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	pg, err := api.ParsePage(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	f, err := parseAuditFilter(r)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	sc := p.Jurisdiction() // as the audit pages: the auditor's subtree
	if f.OrgID != 0 {
		if _, err := h.Orgs.Get(r.Context(), sc, f.OrgID); err != nil {
			api.Fail(w, r, api.Invalid("org_id", "org_id 指定的机构不存在或不在您的管辖范围内"))
			return
		}
	}
	f.Limit, f.Offset = pg.Size, pg.Offset()
	rows, total, err := audit.Query(r.Context(), h.DB, sc, f)
	if err != nil {
		api.Fail(w, r, err)
		return
	}
	out := make([]AuditRow, 0, len(rows))
	for _, x := range rows {
		out = append(out, AuditRow{Seq: x.Seq, At: x.At, ActorUserID: id64(x.ActorUserID), ActorName: x.ActorName, OrgID: id64(x.OrgID),
			Action: x.Action, ActionName: audit.ActionName(x.Action), ObjectType: x.ObjectType, ObjectID: x.ObjectID,
			PersonID: id64(x.PersonID), IP: x.IP, UserAgent: x.UserAgent, RequestID: x.RequestID, Result: x.Result,
			Detail: x.Detail, PrevHash: x.PrevHash, Hash: x.Hash})
	}
	api.WriteList(w, pg, out, total)
}
