package demo

// Demo data: Sichuan province with two cities and two districts each
// (GB/T 2260 codes). Township names are real where known, plausible
// otherwise; township codes are the district code plus a 3-digit serial
// (0xx streets 街道, 1xx towns 镇), village codes the township code plus a
// 3-digit serial (0xx communities 社区, 2xx villages 村).

type countyData struct {
	name, code string
	towns      []string // each ends in 街道, 镇 or 乡
	cluster    string   // 片区 name; lead = towns[0], members = towns[1:3]
}

type cityData struct {
	name, code string
	counties   []countyData
}

const (
	provinceName = "四川省司法厅"
	provinceCode = "510000"
)

var cities = []cityData{
	{"巴中市司法局", "511900", []countyData{
		{"巴州区", "511902", []string{"江北街道", "东城街道", "西城街道", "回风街道", "宕梁街道", "时新街道",
			"曾口镇", "化成镇", "水宁寺镇", "清江镇"}, "江北片区"},
		{"恩阳区", "511903", []string{"登科街道", "文治街道", "柳林镇", "下八庙镇", "玉山镇",
			"渔溪镇", "花丛镇", "三河场镇", "观音井镇", "群乐镇"}, "登科片区"},
	}},
	{"攀枝花市司法局", "510400", []countyData{
		{"东区", "510402", []string{"东华街道", "炳草岗街道", "大渡口街道", "弄弄坪街道", "瓜子坪街道",
			"向阳村街道", "南山街道", "密地街道", "长寿路街道", "银江镇"}, "炳草岗片区"},
		{"西区", "510403", []string{"清香坪街道", "大宝鼎街道", "玉泉街道", "河门口街道", "陶家渡街道",
			"摩梭河街道", "苏铁街道", "新庄街道", "格里坪镇", "布德镇"}, "清香坪片区"},
	}},
}

// villageStems make plausible village and community names.
var villageStems = []string{
	"桥亭", "黄家湾", "石板滩", "白果树", "龙泉", "三星", "五里", "新华", "光明", "团结", "柏林", "回龙",
	"双河", "凤凰", "青杠", "桂花", "杨柳", "大田", "花园", "金山", "红岩", "松林", "观音", "马鞍",
	"玉堂", "狮子", "兴隆", "太平", "安乐", "永丰", "万寿", "竹林", "清泉", "水井", "长岭", "高峰",
}

// DemoPassword is the documented password of every demo account. It
// passes the default policy and is not in auth's common-password list.
const DemoPassword = "Demo@Fengqiao2026"

// Account is one demo login.
type Account struct {
	Username, DisplayName, Role, Org string
	Kind                             string // human or service
}

// orgKey names demo orgs for accounts: "province", a city or county bureau
// name, a township name (its 司法所), or "village:<township>" for the
// township's first village.
var accounts = []struct {
	Account
	orgKey string
}{
	{Account{"sc.sysadmin", "省厅系统管理员", "sysadmin", "", "human"}, "province"},
	{Account{"sc.secadmin", "省厅安全管理员", "secadmin", "", "human"}, "province"},
	{Account{"sc.auditadmin", "省厅审计管理员", "auditadmin", "", "human"}, "province"},
	{Account{"sc.leader", "省厅领导", "leader", "", "human"}, "province"},
	{Account{"sc.api", "统计报表接口", "api_service", "", "service"}, "province"},
	{Account{"bz.leader", "巴中市局领导", "leader", "", "human"}, "巴中市司法局"},
	{Account{"bz.mediation", "巴中市局调解科", "section_mediation", "", "human"}, "巴中市司法局"},
	{Account{"bazhou.sysadmin", "巴州区局系统管理员", "sysadmin", "", "human"}, "巴州区"},
	{Account{"bazhou.leader", "巴州区局领导", "leader", "", "human"}, "巴州区"},
	{Account{"bazhou.mediation", "巴州区局调解科", "section_mediation", "", "human"}, "巴州区"},
	{Account{"bazhou.correction", "巴州区局社区矫正科", "section_correction", "", "human"}, "巴州区"},
	{Account{"bazhou.legalaid", "巴州区法律援助中心", "section_legalaid", "", "human"}, "巴州区"},
	{Account{"bazhou.grassroots", "巴州区局基层工作科", "section_grassroots", "", "human"}, "巴州区"},
	{Account{"jiangbei.head", "江北所所长", "office_head", "", "human"}, "江北街道"},
	{Account{"jiangbei.staff", "江北所司法助理员", "office_staff", "", "human"}, "江北街道"},
	{Account{"jiangbei.mediator", "江北所专职调解员", "mediator", "", "human"}, "江北街道"},
	{Account{"jiangbei.correction", "江北所矫正社工", "correction_worker", "", "human"}, "江北街道"},
	{Account{"jiangbei.village", "村调解员", "village_mediator", "", "human"}, "village:江北街道"},
	{Account{"dongcheng.head", "东城所所长", "office_head", "", "human"}, "东城街道"},
	{Account{"enyang.leader", "恩阳区局领导", "leader", "", "human"}, "恩阳区"},
	{Account{"dengke.head", "登科所所长", "office_head", "", "human"}, "登科街道"},
	{Account{"pzh.leader", "攀枝花市局领导", "leader", "", "human"}, "攀枝花市司法局"},
	{Account{"dongqu.leader", "东区局领导", "leader", "", "human"}, "东区"},
	{Account{"dongqu.mediation", "东区局调解科", "section_mediation", "", "human"}, "东区"},
	{Account{"donghua.staff", "东华所司法助理员", "office_staff", "", "human"}, "东华街道"},
	{Account{"xiqu.leader", "西区局领导", "leader", "", "human"}, "西区"},
	{Account{"qingxiang.mediator", "清香坪所专职调解员", "mediator", "", "human"}, "清香坪街道"},
}
