package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// policyField is one numeric field of auth.Policy on the form.
type policyField struct {
	Name, Label, Hint string
	get               func(*auth.Policy) *int
}

var policyFields = []policyField{
	{"min_length", "密码最小长度", "不少于8位", func(p *auth.Policy) *int { return &p.MinLength }},
	{"min_classes", "至少包含的字符种类", "大写字母、小写字母、数字、符号中的3种或4种", func(p *auth.Policy) *int { return &p.MinClasses }},
	{"history", "不可重复使用的历史密码数", "0到24", func(p *auth.Policy) *int { return &p.History }},
	{"max_age_days", "密码有效期(天)", "0为不过期，最长365天", func(p *auth.Policy) *int { return &p.MaxAgeDays }},
	{"max_failures", "连续登录失败锁定次数", "3到10次", func(p *auth.Policy) *int { return &p.MaxFailures }},
	{"lock_minutes", "锁定时长(分钟)", "10到1440分钟", func(p *auth.Policy) *int { return &p.LockMinutes }},
	{"ip_max_failures", "同一IP失败次数上限", "不少于5次，超过后该IP暂停登录", func(p *auth.Policy) *int { return &p.IPMaxFailures }},
	{"ip_window_minutes", "IP限流时间窗(分钟)", "1到1440分钟", func(p *auth.Policy) *int { return &p.IPWindowMinutes }},
	{"idle_minutes", "会话空闲超时(分钟)", "5到60分钟，无操作超过后须重新登录", func(p *auth.Policy) *int { return &p.IdleMinutes }},
	{"absolute_hours", "会话最长时间(小时)", "1到24小时", func(p *auth.Policy) *int { return &p.AbsoluteHours }},
}

type policyData struct {
	Fields   []policyField
	Defaults auth.Policy
}

func policyValues(p auth.Policy) url.Values {
	v := url.Values{}
	for _, f := range policyFields {
		v.Set(f.Name, strconv.Itoa(*f.get(&p)))
	}
	if p.RequireTOTPStaff {
		v.Set("require_totp_staff", "1")
	}
	return v
}

func (h *Handler) renderPolicy(w http.ResponseWriter, r *http.Request, status int, f *web.Form) {
	h.render(w, r, status, "policy.html", &web.Page{Title: "安全策略", Form: f, Data: policyData{Fields: policyFields, Defaults: auth.DefaultPolicy}})
}

func (h *Handler) policyPage(w http.ResponseWriter, r *http.Request) {
	p, err := auth.LoadPolicy(r.Context(), h.Orgs.DB.Read())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.renderPolicy(w, r, http.StatusOK, web.NewForm(policyValues(p)))
}

func (h *Handler) policySave(w http.ResponseWriter, r *http.Request) {
	if !h.parseForm(w, r) {
		return
	}
	f := web.NewForm(r.PostForm)
	ctx := r.Context()
	old, err := auth.LoadPolicy(ctx, h.Orgs.DB.Read())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := old
	for _, pf := range policyFields {
		n, err := strconv.Atoi(f.Get(pf.Name))
		if err != nil {
			f.Fail(pf.Name, pf.Label+"应为整数")
			continue
		}
		*pf.get(&p) = n
	}
	p.RequireTOTPStaff = f.Get("require_totp_staff") != ""
	if f.OK() {
		if err := p.Validate(); err != nil {
			f.FailErr(err)
		}
	}
	if f.OK() {
		// Only field names go to the audit trail.
		var changed []string
		ov, nv := policyValues(old), policyValues(p)
		for _, pf := range policyFields {
			if ov.Get(pf.Name) != nv.Get(pf.Name) {
				changed = append(changed, pf.Name+"="+nv.Get(pf.Name))
			}
		}
		if old.RequireTOTPStaff != p.RequireTOTPStaff {
			changed = append(changed, "require_totp_staff="+strconv.FormatBool(p.RequireTOTPStaff))
		}
		err := h.Orgs.DB.Tx(ctx, func(tx *store.Tx) error {
			if err := auth.SavePolicy(ctx, tx, p, h.Auth.Svc.Now()); err != nil {
				return err
			}
			return audit.Record(ctx, tx, audit.Event{Action: "security.policy", ObjectType: "settings", ObjectID: "security.policy",
				Detail: strings.Join(changed, " ")})
		})
		if err == nil {
			web.SetFlash(w, "已保存安全策略，立即生效")
			web.Redirect(w, r, "/admin/policy")
			return
		}
		if !f.FailErr(err) {
			h.fail(w, r, err)
			return
		}
	}
	h.renderPolicy(w, r, http.StatusUnprocessableEntity, f)
}
