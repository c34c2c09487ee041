package search_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/search"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

var (
	benchSurnames = []rune("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗")
	benchGiven    = []rune("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国")
	benchDisputes = []string{"婚姻家庭纠纷", "协议离婚纠纷", "邻里纠纷", "宅基地纠纷", "土地承包纠纷", "劳动争议",
		"损害赔偿纠纷", "物业纠纷", "合同纠纷", "山林权属纠纷", "赡养纠纷", "医疗纠纷", "交通事故纠纷", "征地拆迁纠纷"}
	benchPlaces = []string{"阿署达村", "银江镇", "炳草岗街道", "格里坪镇", "金江镇", "仁和镇", "大河中路社区", "弄弄坪"}
	benchWords  = []string{"双方", "因", "发生", "争执", "经", "调解员", "多次", "上门", "耐心", "疏导", "当事人", "达成",
		"一致", "意见", "签订", "调解协议", "履行", "赔偿", "费用", "子女", "抚养", "财产", "分割", "房屋", "边界", "排水"}
)

func benchDoc(r *rand.Rand) (title string, body string) {
	name := string(benchSurnames[r.IntN(len(benchSurnames))]) + string(benchGiven[r.IntN(len(benchGiven))])
	if r.IntN(2) == 0 {
		name += string(benchGiven[r.IntN(len(benchGiven))])
	}
	title = name + "与" + string(benchSurnames[r.IntN(len(benchSurnames))]) + "某" + benchDisputes[r.IntN(len(benchDisputes))]
	var sb strings.Builder
	sb.WriteString(benchPlaces[r.IntN(len(benchPlaces))])
	for range 30 {
		sb.WriteString(benchWords[r.IntN(len(benchWords))])
	}
	return title, sb.String()
}

// BenchmarkQuery200k indexes 200,000 generated case documents and measures a
// two-character query (离婚, in about 7% of titles) under a county scope
// covering half of them; it reports the median latency, the total ("hits",
// capped at MaxHits+1) and the median for a small office's scope holding 1%
// of the documents.
func BenchmarkQuery200k(b *testing.B) { benchQuery(b, 200_000) }

// BenchmarkQuery1M is the same over 1,000,000 documents (the size of a
// province's case load in the benchmark).
func BenchmarkQuery1M(b *testing.B) { benchQuery(b, 1_000_000) }

func benchQuery(b *testing.B, n int) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		b.Run(string(e), func(b *testing.B) {
			db := storetest.Open(b, e)
			f := setup(b, db)
			ctx := context.Background()
			// A small office of county B holding 1% of the documents: its
			// scope finds few of the matches (the worst case for a cap).
			orgs := &org.Store{DB: db}
			small, err := orgs.Create(ctx, org.System(), org.Input{ParentID: f.countyB.ID, Kind: org.Office, Name: "仁和镇司法所", DivisionCode: "510403101"})
			if err != nil {
				b.Fatal(err)
			}
			scSmall, err := orgs.ScopeOf(ctx, small.ID)
			if err != nil {
				b.Fatal(err)
			}
			r := rand.New(rand.NewPCG(1, 2))
			const batch = 5_000
			start := time.Now()
			for i := 0; i < n; i += batch {
				err := db.Tx(ctx, func(tx *store.Tx) error {
					for j := i; j < i+batch; j++ {
						orgID := f.officeA1.ID
						if j%2 == 1 {
							orgID = f.officeB1.ID
						}
						if j%100 == 1 {
							orgID = small.ID
						}
						title, body := benchDoc(r)
						if err := search.Index(ctx, tx, "case", int64(j+1), orgID, title, body); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("%s: indexed %d docs in %v", e, n, time.Since(start).Round(time.Millisecond))
			// Fresh statistics, as autovacuum/auto-analyze keep them in service.
			if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
				b.Fatal(err)
			}
			var times []time.Duration
			var total int
			for b.Loop() {
				t0 := time.Now()
				_, tot, err := search.Query(ctx, db, f.scA, []string{"case"}, "离婚", 20, 0)
				if err != nil {
					b.Fatal(err)
				}
				times = append(times, time.Since(t0))
				total = tot
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "ms-median")
			b.ReportMetric(float64(total), "hits")
			// The small scope, outside the timed loop.
			var smallTimes []time.Duration
			for range 15 {
				t0 := time.Now()
				if _, _, err := search.Query(ctx, db, scSmall, []string{"case"}, "离婚", 20, 0); err != nil {
					b.Fatal(err)
				}
				smallTimes = append(smallTimes, time.Since(t0))
			}
			slices.Sort(smallTimes)
			b.ReportMetric(float64(smallTimes[len(smallTimes)/2].Microseconds())/1000, "ms-median-small-scope")
		})
	}
}
