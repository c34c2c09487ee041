package search_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"fengqiao/internal/org"
	"fengqiao/internal/search"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

func TestTokenize(t *testing.T) {
	got := search.Tokenize("协议离婚，ＡＢＣ Case-2024")
	want := []string{"协", "协议", "议", "议离", "离", "离婚", "婚", "abc", "case", "2024"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Tokenize = %q, want %q", got, want)
	}
	// ID and phone numbers never become tokens.
	if got := search.Tokenize("身份证 51040219900101123X 电话 13800138000"); !reflect.DeepEqual(got, []string{"身", "身份", "份", "份证", "证", "电", "电话", "话"}) {
		t.Fatalf("sensitive numbers indexed: %q", got)
	}
	// Reserved scope tokens cannot come from text or a query.
	if got := search.Tokenize("zzorg12 离婚"); !reflect.DeepEqual(got, []string{"离", "离婚", "婚"}) {
		t.Fatalf("reserved word indexed: %q", got)
	}
	if tok, _ := search.QueryTokens("ZZORG3"); len(tok) != 0 {
		t.Fatalf("reserved word queried: %q", tok)
	}
	if got := search.Tokenize(" ，。！ "); len(got) != 0 {
		t.Fatalf("punctuation only gives %q", got)
	}
}

func TestQueryTokens(t *testing.T) {
	cases := []struct {
		q            string
		tokens, term []string
	}{
		{"离婚", []string{"离婚"}, []string{"离婚"}},
		{"婚", []string{"婚"}, []string{"婚"}},
		{"张三丰", []string{"张三", "三丰"}, []string{"张三丰"}},
		{"宅基 ABC 宅基", []string{"宅基", "abc"}, []string{"宅基", "abc"}},
		{"离婚 13800138000", []string{"离婚"}, []string{"离婚"}},
	}
	for _, c := range cases {
		tok, terms := search.QueryTokens(c.q)
		if !reflect.DeepEqual(tok, c.tokens) || !reflect.DeepEqual(terms, c.term) {
			t.Errorf("QueryTokens(%q) = %q %q, want %q %q", c.q, tok, terms, c.tokens, c.term)
		}
	}
}

type fixture struct {
	countyA, countyB, officeA1, officeB1 org.Org
	scA, scB                             org.Scope
}

func setup(t testing.TB, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	s := &org.Store{DB: db}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := s.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		return o
	}
	var f fixture
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	city := mk(prov.ID, org.City, "攀枝花市司法局", "510400")
	f.countyA = mk(city.ID, org.County, "东区司法局", "510402")
	f.countyB = mk(city.ID, org.County, "西区司法局", "510403")
	f.officeA1 = mk(f.countyA.ID, org.Office, "银江镇司法所", "510402100")
	f.officeB1 = mk(f.countyB.ID, org.Office, "格里坪镇司法所", "510403100")
	var err error
	if f.scA, err = s.ScopeOf(ctx, f.countyA.ID); err != nil {
		t.Fatal(err)
	}
	if f.scB, err = s.ScopeOf(ctx, f.countyB.ID); err != nil {
		t.Fatal(err)
	}
	return f
}

type doc struct {
	kind  string
	ref   int64
	org   int64
	title string
	body  []string
}

func index(t *testing.T, db *store.DB, docs ...doc) {
	t.Helper()
	err := db.Tx(context.Background(), func(tx *store.Tx) error {
		for _, d := range docs {
			if err := search.Index(context.Background(), tx, d.kind, d.ref, d.org, d.title, d.body...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// refs renders hits as "kind:ref/rank" for compact comparison.
func refs(hits []search.Hit) []string {
	out := []string{}
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%d/%d", h.Kind, h.RefID, h.Rank))
	}
	return out
}

func TestQueryBothEngines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		a, b := f.officeA1.ID, f.officeB1.ID
		// Indexed in ascending ref order, so among equal ranks the later
		// (higher ref) comes first.
		index(t, db,
			doc{"case", 1, a, "协议离婚纠纷", []string{"双方自愿协议离婚，财产分割有争议"}},
			doc{"case", 2, a, "离职补偿纠纷", nil},
			doc{"case", 3, a, "结婚彩礼返还", nil},
			doc{"case", 4, a, "宅基地边界纠纷", []string{"阿署达村两户因宅基地界址发生争执"}},
			doc{"person", 5, a, "张三丰", []string{"银江镇阿署达村"}},
			doc{"person", 6, a, "张三", nil},
			doc{"person", 7, a, "李丰三", nil},
			doc{"case", 8, b, "离婚后财产纠纷", nil},
			doc{"case", 9, a, "邻里纠纷", []string{"双方因离婚后子女抚养发生争执"}},
			doc{"case", 10, a, "ＡＢＣ公司欠薪", []string{"联系电话 13800138000"}},
		)
		query := func(sc org.Scope, kinds []string, q string, limit, offset int) ([]string, int) {
			t.Helper()
			hits, total, err := search.Query(ctx, db, sc, kinds, q, limit, offset)
			if err != nil {
				t.Fatalf("Query(%q): %v", q, err)
			}
			return refs(hits), total
		}
		check := func(name string, got []string, total int, want []string, wantTotal int) {
			t.Helper()
			if !reflect.DeepEqual(got, want) || total != wantTotal {
				t.Errorf("%s: got %q total %d, want %q total %d", name, got, total, want, wantTotal)
			}
		}

		// Two-character word: the title hit ranks above the body hit; 离职
		// and 结婚 share a character only; county B's case is out of scope.
		got, total := query(f.scA, nil, "离婚", 0, 0)
		check("离婚 in A", got, total, []string{"case:1/1", "case:9/0"}, 2)
		got, total = query(f.scB, nil, "离婚", 0, 0)
		check("离婚 in B", got, total, []string{"case:8/1"}, 1)
		got, total = query(org.System(), nil, "离婚", 0, 0)
		check("离婚 system", got, total, []string{"case:8/1", "case:1/1", "case:9/0"}, 3)
		got, total = query(org.Scope{}, nil, "离婚", 0, 0)
		check("zero scope", got, total, []string{}, 0)

		got, total = query(f.scA, nil, "宅基", 0, 0)
		check("宅基", got, total, []string{"case:4/1"}, 1)
		got, total = query(f.scA, nil, "张三丰", 0, 0)
		check("张三丰", got, total, []string{"person:5/1"}, 1)
		got, total = query(f.scA, nil, "张三", 0, 0)
		check("张三", got, total, []string{"person:6/1", "person:5/1"}, 2)
		got, total = query(f.scA, []string{"case"}, "张三", 0, 0)
		check("张三 cases only", got, total, []string{}, 0)
		got, total = query(f.scA, nil, "婚", 0, 0)
		check("single character", got, total, []string{"case:3/1", "case:1/1", "case:9/0"}, 3)
		got, total = query(f.scA, nil, "abc 欠薪", 0, 0)
		check("latin + cjk", got, total, []string{"case:10/2"}, 1)
		got, total = query(f.scA, nil, "13800138000", 0, 0)
		check("phone not indexed", got, total, []string{}, 0)
		got, total = query(f.scA, nil, "阿署达村 纠纷", 0, 0)
		check("body and title", got, total, []string{"case:4/1"}, 1)

		// Paging keeps the order and the total.
		got, total = query(f.scA, nil, "婚", 2, 0)
		check("page 1", got, total, []string{"case:3/1", "case:1/1"}, 3)
		got, total = query(f.scA, nil, "婚", 2, 2)
		check("page 2", got, total, []string{"case:9/0"}, 3)
		got, total = query(f.scA, nil, "婚", 2, 4)
		check("past the end", got, total, []string{}, 3)

		// Stable: the same query gives the same order every time.
		first, _ := query(f.scA, nil, "纠纷", 0, 0)
		for range 3 {
			again, _ := query(f.scA, nil, "纠纷", 0, 0)
			if !reflect.DeepEqual(first, again) {
				t.Fatalf("unstable ranking: %q then %q", first, again)
			}
		}

		// Re-indexing replaces the document; Remove drops it; moving it to
		// county B takes it out of A's results.
		index(t, db, doc{"case", 2, a, "离婚纠纷（离职后）", nil})
		got, total = query(f.scA, nil, "离婚", 0, 0)
		check("after reindex", got, total, []string{"case:2/1", "case:1/1", "case:9/0"}, 3)
		got, total = query(f.scA, nil, "补偿", 0, 0)
		check("old text gone after reindex", got, total, []string{}, 0)
		if err := db.Tx(ctx, func(tx *store.Tx) error { return search.Remove(ctx, tx, "case", 1) }); err != nil {
			t.Fatal(err)
		}
		index(t, db, doc{"case", 9, b, "邻里纠纷", []string{"双方因离婚后子女抚养发生争执"}})
		got, total = query(f.scA, nil, "离婚", 0, 0)
		check("after remove and move", got, total, []string{"case:2/1"}, 1)
		got, total = query(f.scA, nil, "协议", 0, 0)
		check("removed document gone", got, total, []string{}, 0)
		got, total = query(f.scB, nil, "离婚", 0, 0)
		check("moved into B", got, total, []string{"case:8/1", "case:9/0"}, 2)
	})
}

func TestBadInputNamesField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		field := func(err error) string {
			var fe *org.FieldError
			if errors.As(err, &fe) {
				return fe.Field
			}
			return fmt.Sprintf("not a field error: %v", err)
		}
		err := db.Tx(ctx, func(tx *store.Tx) error {
			return search.Index(ctx, tx, "Case!", 1, f.officeA1.ID, "x")
		})
		if field(err) != "kind" {
			t.Errorf("bad kind: %v", err)
		}
		err = db.Tx(ctx, func(tx *store.Tx) error {
			return search.Index(ctx, tx, "case", 1, 0, "x")
		})
		if field(err) != "org_id" {
			t.Errorf("missing org: %v", err)
		}
		long := ""
		for range search.MaxQueryRunes + 1 {
			long += "案"
		}
		if _, _, err := search.Query(ctx, db, f.scA, nil, long, 0, 0); field(err) != "q" {
			t.Errorf("long query: %v", err)
		}
		if _, _, err := search.Query(ctx, db, f.scA, []string{"x y"}, "离婚", 0, 0); field(err) != "kinds" {
			t.Errorf("bad kinds: %v", err)
		}
		if _, _, err := search.Query(ctx, db, f.scA, nil, "离婚", 0, -1); field(err) != "offset" {
			t.Errorf("negative offset: %v", err)
		}
	})
}

// TestMaxHits: a word in more than MaxHits documents reads only the newest
// MaxHits, reports MaxHits+1 as the total and pages no further.
func TestMaxHits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		var docs []doc
		for i := 1; i <= search.MaxHits+10; i++ {
			title := "邻里纠纷"
			if i == 5 { // an old title hit is outside the newest MaxHits
				title = "离婚纠纷"
			}
			docs = append(docs, doc{"case", int64(i), f.officeA1.ID, title, []string{"离婚"}})
		}
		docs = append(docs, doc{"case", 9999, f.officeB1.ID, "离婚", nil}) // out of scope, newest
		index(t, db, docs...)
		hits, total, err := search.Query(ctx, db, f.scA, nil, "离婚", 3, 0)
		if err != nil {
			t.Fatal(err)
		}
		top := fmt.Sprint(search.MaxHits + 10)
		if got := refs(hits); total != search.MaxHits+1 || !reflect.DeepEqual(got, []string{"case:" + top + "/0", "case:" + fmt.Sprint(search.MaxHits+9) + "/0", "case:" + fmt.Sprint(search.MaxHits+8) + "/0"}) {
			t.Fatalf("first page %q total %d", got, total)
		}
		hits, total, err = search.Query(ctx, db, f.scA, nil, "离婚", 5, search.MaxHits-2)
		if err != nil {
			t.Fatal(err)
		}
		if got := refs(hits); total != search.MaxHits+1 || !reflect.DeepEqual(got, []string{"case:12/0", "case:11/0"}) {
			t.Fatalf("last page %q total %d", got, total)
		}
		hits, total, err = search.Query(ctx, db, f.scA, nil, "离婚", 5, search.MaxHits)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 0 || total != search.MaxHits+1 {
			t.Fatalf("past the cap: %q total %d", refs(hits), total)
		}
		// Narrowing brings the old title hit back, ranked first.
		hits, total, err = search.Query(ctx, db, f.scA, nil, "离婚纠纷", 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got := refs(hits); total != 1 || !reflect.DeepEqual(got, []string{"case:5/1"}) {
			t.Fatalf("narrowed %q total %d", got, total)
		}
	})
}

// TestMoveNeverLeaks: after an org moves, a document nobody refreshes keeps
// its old scope tokens; it may be missed under the new parent but is never
// shown to the old one.
func TestMoveNeverLeaks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		index(t, db, doc{"memo", 1, f.officeA1.ID, "宅基地测量记录", nil})
		hits, _, err := search.Query(ctx, db, f.scA, nil, "宅基", 0, 0)
		if err != nil || len(hits) != 1 {
			t.Fatalf("before the move: %v %v", refs(hits), err)
		}
		if err := (&org.Store{DB: db}).Move(ctx, org.System(), f.officeA1.ID, f.countyB.ID); err != nil {
			t.Fatal(err)
		}
		if hits, _, err = search.Query(ctx, db, f.scA, nil, "宅基", 0, 0); err != nil || len(hits) != 0 {
			t.Fatalf("old county still sees the moved office's document: %v %v", refs(hits), err)
		}
		// Re-indexing (what a source does on move) brings it to the new county.
		index(t, db, doc{"memo", 1, f.officeA1.ID, "宅基地测量记录", nil})
		if hits, _, err = search.Query(ctx, db, f.scB, nil, "宅基", 0, 0); err != nil || len(hits) != 1 {
			t.Fatalf("new county: %v %v", refs(hits), err)
		}
	})
}
