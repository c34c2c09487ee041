package demo

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Scale defaults: 134 counties × 15 offices ≈ 2,000 司法所, about the
// number of a large province, each with 12 villages.
const (
	DefaultScaleCounties   = 134
	DefaultOfficesPerCount = 15
	DefaultVillagesPerOff  = 12
	countiesPerCity        = 8
)

// ScaleOptions sizes a generated province.
type ScaleOptions struct {
	Counties          int // 1–792 (at most 99 cities of 8)
	OfficesPerCounty  int // 1–99
	VillagesPerOffice int // 0–799
}

// ScaleSummary counts what Scale created.
type ScaleSummary struct {
	Cities, Counties, Offices, Villages, LegalAidCenters, Orgs int
	Accounts                                                   []Account
	Elapsed                                                    time.Duration
}

func (s ScaleSummary) String() string {
	return fmt.Sprintf("%d 市, %d 县(区), %d 司法所, %d 村(社区), %d 法律援助中心 = %d 个机构, %d 个账号 (%s)",
		s.Cities, s.Counties, s.Offices, s.Villages, s.LegalAidCenters, s.Orgs, len(s.Accounts), s.Elapsed.Round(time.Millisecond))
}

// Syllables for generated place names; pre × suf gives 400 names.
var (
	namePre = []string{"青", "石", "龙", "白", "金", "安", "永", "平", "新", "东", "西", "南", "北", "大", "长", "清", "仁", "富", "和", "双"}
	nameSuf = []string{"山", "江", "河", "溪", "坝", "场", "桥", "坪", "岗", "湾", "林", "水", "阳", "泉", "丰", "兴", "宁", "华", "源", "川"}
)

func genName(i int) string {
	return namePre[i%len(namePre)] + nameSuf[(i/len(namePre)+i)%len(nameSuf)]
}

type orgRow struct {
	id, parent int64
	kind       org.Kind
	name, code string
	path       string
	depth      int
	sort       int
}

// scaleBatch rows per INSERT: 11 parameters each stays far below the
// parameter limits of SQLite (32766) and PostgreSQL (65535).
const scaleBatch = 500

// Scale generates a province-size org tree on an empty database with
// batched multi-row inserts in one transaction, computing ids and paths
// itself, plus two province accounts (sc.sysadmin, sc.leader) with
// DemoPassword when svc is not nil. Business lines add their own data
// generators on top.
func Scale(ctx context.Context, db *store.DB, svc *auth.Service, opt ScaleOptions) (ScaleSummary, error) {
	start := time.Now()
	ctx = withDemoActor(ctx)
	if opt.OfficesPerCounty == 0 {
		opt.OfficesPerCounty = DefaultOfficesPerCount
	}
	switch {
	case opt.Counties < 1 || opt.Counties > 99*countiesPerCity:
		return ScaleSummary{}, &org.FieldError{Field: "scale", Message: fmt.Sprintf("县(区)数应在1到%d之间", 99*countiesPerCity)}
	case opt.OfficesPerCounty < 1 || opt.OfficesPerCounty > 99:
		return ScaleSummary{}, &org.FieldError{Field: "offices", Message: "每县司法所数应在1到99之间"}
	case opt.VillagesPerOffice < 0 || opt.VillagesPerOffice > 799:
		return ScaleSummary{}, &org.FieldError{Field: "villages", Message: "每所村(社区)数应在0到799之间"}
	}
	var sum ScaleSummary
	var provinceID int64
	err := db.Tx(ctx, func(tx *store.Tx) error {
		n, err := countOrgs(ctx, tx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrNotEmpty
		}
		var next int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(max(id), 0) FROM orgs`).Scan(&next); err != nil {
			return err
		}
		var rows []orgRow
		add := func(parent *orgRow, kind org.Kind, name, code string, sort int) *orgRow {
			next++
			r := orgRow{id: next, kind: kind, name: name, code: code, sort: sort, depth: 1}
			r.path = "/" + strconv.FormatInt(r.id, 10) + "/"
			if parent != nil {
				r.parent, r.depth, r.path = parent.id, parent.depth+1, parent.path+strconv.FormatInt(r.id, 10)+"/"
			}
			rows = append(rows, r)
			return &rows[len(rows)-1]
		}
		rows = make([]orgRow, 0, 1+opt.Counties*(2+opt.OfficesPerCounty*(1+opt.VillagesPerOffice))+opt.Counties/countiesPerCity+1)
		prov := *add(nil, org.Province, provinceName, provinceCode, 0)
		provinceID = prov.id
		var city orgRow
		for c := 0; c < opt.Counties; c++ {
			ci, ki := c/countiesPerCity+1, c%countiesPerCity+1
			if ki == 1 {
				city = *add(&prov, org.City, genName(ci*3)+"市司法局", fmt.Sprintf("51%02d00", ci), ci)
				sum.Cities++
			}
			cname := genName(c*7 + 1)
			county := *add(&city, org.County, cname+"县司法局", fmt.Sprintf("51%02d%02d", ci, ki), ki)
			sum.Counties++
			add(&county, org.LegalAidCenter, cname+"县法律援助中心", "", 90)
			sum.LegalAidCenters++
			for o := 0; o < opt.OfficesPerCounty; o++ {
				town, serial := genName(c*31+o)+"镇", 101+o
				if o < 2 {
					town, serial = genName(c*31+o)+"街道", 1+o
				}
				code := fmt.Sprintf("51%02d%02d%03d", ci, ki, serial)
				off := *add(&county, org.Office, town+"司法所", code, o+1)
				sum.Offices++
				for v := 0; v < opt.VillagesPerOffice; v++ {
					add(&off, org.Village, genName(c*131+o*17+v)+"村", fmt.Sprintf("%s%03d", code, 201+v), v+1)
					sum.Villages++
				}
			}
		}
		now := org.Clock()
		for i := 0; i < len(rows); i += scaleBatch {
			chunk := rows[i:min(i+scaleBatch, len(rows))]
			var q strings.Builder
			q.WriteString(`INSERT INTO orgs(id, parent_id, kind, name, division_code, path, depth, sort, created_at, updated_at) VALUES `)
			args := make([]any, 0, len(chunk)*10)
			for j, r := range chunk {
				if j > 0 {
					q.WriteString(",")
				}
				q.WriteString("(?,?,?,?,?,?,?,?,?,?)")
				var parent any
				if r.parent != 0 {
					parent = r.parent
				}
				args = append(args, r.id, parent, string(r.kind), r.name, r.code, r.path, r.depth, r.sort, now, now)
			}
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return fmt.Errorf("scale insert: %w", err)
			}
		}
		if db.Engine == store.Postgres {
			// Explicit ids bypass the identity sequence; move it past them.
			if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('orgs', 'id'), (SELECT max(id) FROM orgs))`); err != nil {
				return err
			}
		}
		sum.Orgs = len(rows)
		return audit.Record(ctx, tx, audit.Event{Action: "demo.scale", ObjectType: "org", ObjectID: strconv.FormatInt(prov.id, 10),
			OrgID: prov.id, Detail: fmt.Sprintf("orgs=%d offices=%d villages=%d", sum.Orgs, sum.Offices, sum.Villages)})
	})
	if err != nil {
		return ScaleSummary{}, err
	}
	if svc != nil {
		var ins []auth.UserInput
		for _, a := range accounts[:5] {
			if a.Role != "sysadmin" && a.Role != "leader" {
				continue
			}
			ins = append(ins, auth.UserInput{Username: a.Username, DisplayName: a.DisplayName, OrgID: provinceID, Roles: []string{a.Role}})
			acc := a.Account
			acc.Org = provinceName
			sum.Accounts = append(sum.Accounts, acc)
		}
		if err := createAccounts(ctx, db, svc, ins); err != nil {
			return sum, err
		}
	}
	sum.Elapsed = time.Since(start)
	return sum, nil
}
