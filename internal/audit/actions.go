package audit

import (
	"sort"
	"strings"
)

// actionNames are the Chinese labels of every action recorded in the code.
// A test greps the source tree for `Action: "…"` and fails on any missing.
var actionNames = map[string]string{
	"person.export": "导出当事人名单",
	"portal.apply":  "网上申请调解", "portal.track": "查询办理进度",
	"case.create": "登记案件", "case.transition": "案件流转", "case.assign": "指定承办人", "case.reassign": "更换承办人", "case.note": "添加办理记录",
	"case.transfer": "分流转办", "case.transfer_accept": "接收转办", "case.transfer_return": "退回转办",
	"case.supervise": "督办", "case.supervision_reply": "回复督办", "case.feedback": "当事人评价", "case.feedback_link": "生成评价链接",
	"file.upload": "上传附件", "file.download": "下载附件", "file.delete": "删除附件",
	"webhook.create": "新建消息推送接口", "webhook.enable": "启用消息推送接口", "webhook.disable": "停用消息推送接口", "webhook.test": "发送测试推送",
	"auth.login":       "登录",
	"auth.password_ok": "密码验证通过(待动态码)",
	"auth.lock":        "账号锁定",
	"auth.logout":      "退出登录",

	"user.create":          "新建用户",
	"user.update":          "修改用户",
	"user.roles":           "调整用户角色",
	"user.enable":          "启用用户",
	"user.disable":         "停用用户",
	"user.unlock":          "解锁账号",
	"user.reset_password":  "重置密码",
	"user.change_password": "修改本人密码",
	"user.totp_enable":     "开启双因素认证",
	"user.totp_disable":    "关闭双因素认证",

	"role.create": "新建角色",
	"role.update": "修改角色权限",

	"token.create": "创建API令牌",
	"token.revoke": "吊销API令牌",

	"org.create":          "新建机构",
	"org.update":          "修改机构",
	"org.enable":          "启用机构",
	"org.disable":         "停用机构",
	"org.move":            "调整机构隶属",
	"org.cluster_members": "调整片区成员",
	"org.import":          "导入机构",

	"security.policy": "修改安全策略",
	"demo.scale":      "生成演示数据",

	"person.create":      "登记人员",
	"person.update":      "修改人员信息",
	"person.merge":       "合并重复人员",
	"person.reveal":      "查看完整个人信息",
	"person.keys_rotate": "轮换个人信息加密密钥",

	"audit.export": "导出审计日志",
	"audit.prune":  "清理过期审计日志",
}

// groupNames label the part before the dot, for actions added later by a
// business line and for the filter's "all of a kind" entries.
var groupNames = map[string]string{
	"auth": "登录认证", "user": "用户", "role": "角色", "token": "API令牌", "org": "机构",
	"person": "人员", "audit": "审计", "security": "安全管理", "settings": "系统设置", "demo": "演示数据",
	"mediation": "人民调解", "correction": "社区矫正", "resettlement": "安置帮教", "legalaid": "法律援助",
	"publicity": "普法宣传", "review": "合法性审查", "inspection": "行政执法监督", "office": "司法所建设",
	"evaluation": "考核评估", "reporting": "统计报表", "file": "附件", "webhook": "消息推送", "case": "案件", "portal": "公众服务",
}

var verbNames = map[string]string{
	"create": "新建", "update": "修改", "delete": "删除", "export": "导出", "import": "导入", "view": "查看",
	"approve": "审批", "reject": "退回", "close": "结案", "reveal": "查看完整信息", "print": "打印",
}

// ActionName returns the Chinese label of action. Unknown actions are
// composed from their parts when possible, else returned as is.
func ActionName(action string) string {
	if n, ok := actionNames[action]; ok {
		return n
	}
	g, v, ok := strings.Cut(action, ".")
	if ok {
		if gn, ok := groupNames[g]; ok {
			if vn, ok := verbNames[v]; ok {
				return gn + "·" + vn
			}
			return gn + "·" + v
		}
	}
	return action
}

// GroupName returns the Chinese label of an action group ("user" → "用户"),
// or the group itself when unknown.
func GroupName(group string) string {
	if n, ok := groupNames[group]; ok {
		return n
	}
	return group
}

// KnownActions lists every action with a label, sorted by code.
func KnownActions() []string {
	out := make([]string, 0, len(actionNames))
	for a := range actionNames {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// ResultName returns the Chinese label of a result.
func ResultName(r string) string {
	switch r {
	case OK:
		return "成功"
	case Denied:
		return "拒绝"
	case Failed:
		return "失败"
	}
	return r
}
