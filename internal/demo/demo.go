// Package demo loads the demonstration data set (one province, two cities,
// four districts, forty 司法所 with villages, clusters, mediation
// committees and one account per built-in role) and generates
// province-size org trees for benchmarks.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// ErrNotEmpty is returned when the database already has organizations.
var ErrNotEmpty = errors.New("数据库中已有机构，未加载演示数据 (the database already has organizations)")

// VillagesPerOffice is how many villages or communities each demo office gets.
const VillagesPerOffice = 3

// Summary counts what Load created.
type Summary struct {
	Provinces, Cities, Counties, Offices, Villages int
	Clusters, LegalAidCenters, Committees          int
	Accounts                                       []Account // Org filled with the org's name
	Elapsed                                        time.Duration
}

func (s Summary) String() string {
	return fmt.Sprintf("%d 省, %d 市, %d 县(区), %d 司法所, %d 村(社区), %d 片区, %d 法律援助中心, %d 调委会, %d 个账号 (%s)",
		s.Provinces, s.Cities, s.Counties, s.Offices, s.Villages, s.Clusters, s.LegalAidCenters, s.Committees,
		len(s.Accounts), s.Elapsed.Round(time.Millisecond))
}

// Accounts returns the demo accounts with their org names (for docs).
func Accounts() []Account {
	out := make([]Account, 0, len(accounts))
	for _, a := range accounts {
		acc := a.Account
		acc.Org = orgLabel(a.orgKey)
		out = append(out, acc)
	}
	return out
}

func orgLabel(key string) string {
	switch {
	case key == "province":
		return provinceName
	case strings.HasPrefix(key, "village:"):
		t := strings.TrimPrefix(key, "village:")
		return villageName(t, 0) + " (" + t + "司法所)"
	case strings.HasSuffix(key, "司法局"):
		return key
	case strings.HasSuffix(key, "区") || strings.HasSuffix(key, "县"):
		return key + "司法局"
	}
	return key + "司法所"
}

func withDemoActor(ctx context.Context) context.Context {
	if audit.ActorFrom(ctx) == (audit.Actor{}) {
		ctx = audit.WithActor(ctx, audit.Actor{Username: "demo", IP: "local"})
	}
	return ctx
}

func countOrgs(ctx context.Context, q store.Querier) (int, error) {
	var n int
	err := q.QueryRow(ctx, `SELECT count(*) FROM orgs`).Scan(&n)
	return n, err
}

func townSuffix(town string) string {
	for _, s := range []string{"街道", "镇", "乡"} {
		if strings.HasSuffix(town, s) {
			return s
		}
	}
	return ""
}

// villageName is the i-th village of a township: communities (社区) under
// streets, villages (村) under towns; the stem depends on the township so
// that neighbours differ.
func villageName(town string, i int) string {
	h := 0
	for _, r := range town {
		h = h*31 + int(r)
	}
	if h < 0 {
		h = -h
	}
	stem := villageStems[(h+i*7)%len(villageStems)]
	if townSuffix(town) == "街道" {
		return stem + "社区"
	}
	return stem + "村"
}

func villageCode(townCode, town string, i int) string {
	if townSuffix(town) == "街道" {
		return fmt.Sprintf("%s%03d", townCode, i+1)
	}
	return fmt.Sprintf("%s%03d", townCode, 201+i)
}

// Load creates the demo data set on an empty database: all orgs in one
// transaction, then the accounts (auth.Service.CreateUser, one transaction
// each) with DemoPassword and must_change cleared so the demo is usable at
// once. Never run it on a production database.
func Load(ctx context.Context, db *store.DB, orgs *org.Store, svc *auth.Service) (Summary, error) {
	start := time.Now()
	ctx = withDemoActor(ctx)
	var sum Summary
	ids := map[string]int64{}
	err := db.Tx(ctx, func(tx *store.Tx) error {
		n, err := countOrgs(ctx, tx)
		if err != nil {
			return err
		}
		if n > 0 {
			return ErrNotEmpty
		}
		sys := org.System()
		create := func(in org.Input) (org.Org, error) {
			o, err := orgs.CreateTx(ctx, tx, sys, in)
			if err != nil {
				return o, fmt.Errorf("demo org %s: %w", in.Name, err)
			}
			return o, nil
		}
		prov, err := create(org.Input{Kind: org.Province, Name: provinceName, ShortName: "省厅", DivisionCode: provinceCode,
			Address: "四川省成都市", Phone: "028-12348"})
		if err != nil {
			return err
		}
		sum.Provinces++
		ids["province"] = prov.ID
		for ci, c := range cities {
			city, err := create(org.Input{ParentID: prov.ID, Kind: org.City, Name: c.name, DivisionCode: c.code, Sort: ci + 1, Phone: "12348"})
			if err != nil {
				return err
			}
			sum.Cities++
			ids[c.name] = city.ID
			for ki, k := range c.counties {
				county, err := create(org.Input{ParentID: city.ID, Kind: org.County, Name: k.name + "司法局", ShortName: k.name + "局",
					DivisionCode: k.code, Sort: ki + 1, Phone: "12348"})
				if err != nil {
					return err
				}
				sum.Counties++
				ids[k.name] = county.ID
				if _, err := create(org.Input{ParentID: county.ID, Kind: org.LegalAidCenter, Name: k.name + "法律援助中心", Sort: 90}); err != nil {
					return err
				}
				sum.LegalAidCenters++
				officeIDs := make([]int64, len(k.towns))
				for ti, town := range k.towns {
					serial := ti + 1
					if townSuffix(town) != "街道" {
						serial = 100 + ti + 1
					}
					townCode := fmt.Sprintf("%s%03d", k.code, serial)
					short := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(town, "街道"), "镇"), "乡") + "所"
					off, err := create(org.Input{ParentID: county.ID, Kind: org.Office, Name: town + "司法所", ShortName: short,
						DivisionCode: townCode, Sort: ti + 1, Address: k.name + town})
					if err != nil {
						return err
					}
					sum.Offices++
					ids[town] = off.ID
					officeIDs[ti] = off.ID
					if _, err := create(org.Input{ParentID: off.ID, Kind: org.Committee, Name: town + "人民调解委员会", Sort: 90}); err != nil {
						return err
					}
					sum.Committees++
					for vi := 0; vi < VillagesPerOffice; vi++ {
						v, err := create(org.Input{ParentID: off.ID, Kind: org.Village, Name: villageName(town, vi),
							DivisionCode: villageCode(townCode, town, vi), Sort: vi + 1})
						if err != nil {
							return err
						}
						sum.Villages++
						if vi == 0 {
							ids["village:"+town] = v.ID
							if _, err := create(org.Input{ParentID: v.ID, Kind: org.Committee, Name: v.Name + "人民调解委员会"}); err != nil {
								return err
							}
							sum.Committees++
						}
					}
				}
				cl, err := create(org.Input{ParentID: county.ID, Kind: org.Cluster, Name: k.name + k.cluster, LeadOrgID: officeIDs[0], Sort: 80})
				if err != nil {
					return err
				}
				sum.Clusters++
				for _, m := range officeIDs[1:3] {
					if _, err := tx.Exec(ctx, `INSERT INTO org_cluster_members(cluster_id, member_id) VALUES (?, ?)`, cl.ID, m); err != nil {
						return err
					}
				}
				if err := audit.Record(ctx, tx, audit.Event{Action: "org.cluster_members", ObjectType: "org",
					ObjectID: strconv.FormatInt(cl.ID, 10), OrgID: cl.ID, Detail: "2 members"}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return Summary{}, err
	}
	ins := make([]auth.UserInput, 0, len(accounts))
	for _, a := range accounts {
		orgID, ok := ids[a.orgKey]
		if !ok {
			return sum, fmt.Errorf("demo account %s: unknown org %q", a.Username, a.orgKey)
		}
		ins = append(ins, auth.UserInput{Username: a.Username, DisplayName: a.DisplayName, OrgID: orgID, Kind: a.Kind, Roles: []string{a.Role}})
	}
	if err := createAccounts(ctx, db, svc, ins); err != nil {
		return sum, err
	}
	sum.Accounts = Accounts()
	sum.Elapsed = time.Since(start)
	return sum, nil
}

// createAccounts creates the accounts with DemoPassword. CreateUser runs
// on a copy of the service with cheap hashing, then all accounts get one
// hash made with svc.Argon: the full Argon2 cost once instead of per
// account (27 hashes took 20 s on a busy two-core machine). must_change is
// cleared so the demo is usable at once.
func createAccounts(ctx context.Context, db *store.DB, svc *auth.Service, ins []auth.UserInput) error {
	cheap := *svc
	cheap.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	names := make([]any, 0, len(ins))
	for _, in := range ins {
		in.Password = DemoPassword
		if _, err := cheap.CreateUser(ctx, nil, in); err != nil {
			return fmt.Errorf("demo account %s: %w", in.Username, err)
		}
		names = append(names, in.Username)
	}
	hash, err := auth.HashPassword(DemoPassword, svc.Argon)
	if err != nil {
		return err
	}
	in := store.InList(len(names))
	return db.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, must_change = FALSE WHERE username IN (`+in+`)`, append([]any{hash}, names...)...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE password_history SET hash = ? WHERE user_id IN (SELECT id FROM users WHERE username IN (`+in+`))`, append([]any{hash}, names...)...)
		return err
	})
}
