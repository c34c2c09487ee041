package auth

import "sort"

// Platform permissions.
const (
	PermOrgManage      = "org.manage"      // 机构管理 (system admin)
	PermUserManage     = "user.manage"     // 用户管理 (system admin)
	PermSettings       = "settings.manage" // 系统设置 (system admin)
	PermRoleManage     = "role.manage"     // 角色权限 (security admin)
	PermUserUnlock     = "user.unlock"     // 解锁账号 (security admin)
	PermSecurityPolicy = "security.policy" // 安全策略 (security admin)
	PermAuditView      = "audit.view"      // 查看审计日志 (audit admin)
	PermAuditExport    = "audit.export"    // 导出审计日志 (audit admin)
	PermPIIFull        = "pii.full"        // 查看完整个人信息 (revealing is audited)
	PermOrgView        = "org.view"        // 查看机构 (any business role)
	PermAPIToken       = "api.token"       // 管理自己的 API 令牌
)

// Line is a business line; each gets view/edit/approve/export permissions.
type Line struct {
	Code string
	Name string
}

// Lines are the business lines of ARCHITECTURE.md. A line's navigation
// appears only once its package registers pages.
var Lines = []Line{
	{"mediation", "人民调解"}, {"correction", "社区矫正"}, {"resettlement", "安置帮教"},
	{"legalaid", "法律援助"}, {"publicity", "普法宣传"}, {"review", "合法性审查"},
	{"inspection", "行政执法监督"}, {"office", "司法所建设"}, {"evaluation", "考核评估"},
	{"reporting", "统计报表"},
}

// Actions on a line.
var Actions = []struct{ Code, Name string }{
	{"view", "查看"}, {"edit", "办理"}, {"approve", "审批"}, {"export", "导出"},
}

// LinePerm returns the permission for an action on a line, e.g. "mediation.edit".
func LinePerm(line, action string) string { return line + "." + action }

// PermInfo describes a permission for the role editor.
type PermInfo struct {
	Code, Name, Group string
}

// AllPermissions lists every permission with its Chinese name.
func AllPermissions() []PermInfo {
	out := []PermInfo{
		{PermOrgManage, "机构管理", "系统管理"}, {PermUserManage, "用户管理", "系统管理"}, {PermSettings, "系统设置", "系统管理"},
		{PermRoleManage, "角色与权限", "安全管理"}, {PermUserUnlock, "解锁账号", "安全管理"}, {PermSecurityPolicy, "安全策略", "安全管理"},
		{PermAuditView, "查看审计日志", "审计管理"}, {PermAuditExport, "导出审计日志", "审计管理"},
		{PermOrgView, "查看机构与人员", "通用"}, {PermPIIFull, "查看完整个人信息(查看时留痕)", "通用"}, {PermAPIToken, "管理API令牌", "通用"},
	}
	for _, l := range Lines {
		for _, a := range Actions {
			out = append(out, PermInfo{LinePerm(l.Code, a.Code), l.Name + "·" + a.Name, l.Name})
		}
	}
	return out
}

// ValidPermission reports whether p is a known permission.
func ValidPermission(p string) bool {
	for _, x := range AllPermissions() {
		if x.Code == p {
			return true
		}
	}
	return false
}

// Role kinds. The three administrator kinds are mutually exclusive and
// exclusive of every other role (三权分立, MLPS level 3).
const (
	KindSystem   = "system"
	KindSecurity = "security"
	KindAudit    = "audit"
	KindBusiness = "business"
	KindService  = "service"
)

// IsAdminKind reports whether kind is one of the three administrator kinds.
func IsAdminKind(kind string) bool {
	return kind == KindSystem || kind == KindSecurity || kind == KindAudit
}

// BuiltinRole is a role shipped with the program.
type BuiltinRole struct {
	Code, Name, Kind, Note string
	Perms                  []string
}

func linePerms(actions []string, lines ...string) []string {
	if len(lines) == 0 {
		for _, l := range Lines {
			lines = append(lines, l.Code)
		}
	}
	var out []string
	for _, l := range lines {
		for _, a := range actions {
			out = append(out, LinePerm(l, a))
		}
	}
	return out
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	sort.Strings(out)
	return out
}

// BuiltinRoles are seeded at start; a security administrator may change
// the permissions of business roles but not of the administrator roles.
var BuiltinRoles = []BuiltinRole{
	{"sysadmin", "系统管理员", KindSystem, "管理机构、用户和系统设置；不能查看业务数据", []string{PermOrgManage, PermUserManage, PermSettings}},
	{"secadmin", "安全管理员", KindSecurity, "管理角色权限、安全策略、解锁账号；不能查看业务数据", []string{PermRoleManage, PermUserUnlock, PermSecurityPolicy}},
	{"auditadmin", "审计管理员", KindAudit, "只能查看和导出审计日志", []string{PermAuditView, PermAuditExport}},
	{"leader", "局领导", KindBusiness, "省、市、县司法行政机关领导：查看辖区全部业务", join([]string{PermOrgView}, linePerms([]string{"view", "export"}))},
	{"section_mediation", "人民参与和促进法治科(人民调解)", KindBusiness, "县级以上业务科室：人民调解业务指导、督办、审批", join([]string{PermOrgView}, linePerms([]string{"view", "edit", "approve", "export"}, "mediation", "reporting"))},
	{"section_correction", "社区矫正科", KindBusiness, "县级以上社区矫正业务", join([]string{PermOrgView, PermPIIFull}, linePerms([]string{"view", "edit", "approve", "export"}, "correction", "resettlement", "reporting"))},
	{"section_legalaid", "法律援助中心", KindBusiness, "法律援助审查、指派", join([]string{PermOrgView}, linePerms([]string{"view", "edit", "approve", "export"}, "legalaid", "reporting"))},
	{"section_grassroots", "基层工作科", KindBusiness, "司法所建设、考核评估、统计报表", join([]string{PermOrgView}, linePerms([]string{"view", "edit", "approve", "export"}, "office", "evaluation", "reporting", "publicity", "review", "inspection"))},
	{"office_head", "司法所所长", KindBusiness, "本所全部业务的办理与审批", join([]string{PermOrgView, PermPIIFull}, linePerms([]string{"view", "edit", "approve", "export"}))},
	{"office_staff", "司法助理员", KindBusiness, "本所业务办理", join([]string{PermOrgView}, linePerms([]string{"view", "edit", "export"}))},
	{"mediator", "专职人民调解员", KindBusiness, "辅助人员：人民调解案件办理", join([]string{PermOrgView}, linePerms([]string{"view", "edit"}, "mediation"))},
	{"correction_worker", "社区矫正社会工作者", KindBusiness, "辅助人员：社区矫正日常工作", join([]string{PermOrgView}, linePerms([]string{"view", "edit"}, "correction", "resettlement"))},
	{"village_mediator", "村(居)人民调解员", KindBusiness, "村(社区)调解委员会调解员", linePerms([]string{"view", "edit"}, "mediation")},
	{"api_service", "API服务账号", KindService, "对接其他系统的接口账号，按令牌授权", join([]string{PermOrgView, PermAPIToken}, linePerms([]string{"view"}, "reporting"))},
}
