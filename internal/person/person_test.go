package person

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// Fixture numbers: the GB 11643-1999 examples and a valid mobile.
const (
	idA    = "11010519491231002X" // female, 1949-12-31
	idA15  = "110105491231002"    // the same number in the old 15-digit form
	idB    = "440524188001010014" // male, 1880-01-01
	phoneA = "13812345678"
	phoneB = "15900001111"
	uscc   = "91350100M000100Y43" // GB 32100-2015 example
)

type fixture struct {
	s                *Store
	countyA, countyB org.Org
	officeA, officeB org.Org
	scA, scB, scProv org.Scope
	sys              org.Scope
}

func setup(t *testing.T, db *store.DB) fixture {
	t.Helper()
	ctx := context.Background()
	os := &org.Store{DB: db}
	sys := org.System()
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := os.Create(ctx, sys, org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatalf("org %s: %v", name, err)
		}
		return o
	}
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	city := mk(prov.ID, org.City, "攀枝花市司法局", "510400")
	f := fixture{s: &Store{DB: db, Crypto: mustCrypto(t, testKeys(1))}, sys: sys}
	f.countyA = mk(city.ID, org.County, "东区司法局", "510402")
	f.countyB = mk(city.ID, org.County, "西区司法局", "510403")
	f.officeA = mk(f.countyA.ID, org.Office, "银江镇司法所", "510402100")
	f.officeB = mk(f.countyB.ID, org.Office, "格里坪镇司法所", "510403100")
	var err error
	if f.scA, err = os.ScopeOf(ctx, f.countyA.ID); err != nil {
		t.Fatal(err)
	}
	f.scB, _ = os.ScopeOf(ctx, f.countyB.ID)
	f.scProv, _ = os.ScopeOf(ctx, prov.ID)
	return f
}

func (f fixture) create(t *testing.T, sc org.Scope, in Input) Person {
	t.Helper()
	p, err := f.s.Create(context.Background(), sc, in)
	if err != nil {
		t.Fatalf("create %s: %v", in.Name, err)
	}
	return p
}

func fieldOf(err error) string {
	var fe *org.FieldError
	if errors.As(err, &fe) {
		return fe.Field
	}
	return ""
}

func TestCreateDerivesAndMasks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		p := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: " 张三 ", IDNumber: idA15, Phone: "+86 138-1234-5678", Address: "银江镇"})
		if p.Name != "张三" || p.Sex != idno.Female || p.BirthDate != "1949-12-31" || p.DocType != idno.IDCard {
			t.Fatalf("derived fields: %+v", p)
		}
		if p.IDNumber != "110105********002X" || p.Phone != "138****5678" {
			t.Fatalf("masks: %q %q", p.IDNumber, p.Phone)
		}
		if p.OrgName != f.officeA.Name || p.SexName() != "女" || p.DocTypeName() != "居民身份证" || p.KindName() != "自然人" {
			t.Fatalf("names: %+v", p)
		}
		o := f.create(t, f.scA, Input{OrgID: f.countyA.ID, Kind: Organization, Name: "某某建筑公司", CreditCode: strings.ToLower(uscc), LegalRep: "李四"})
		if o.CreditCode != uscc || o.IDNumber != "" || o.Sex != "" {
			t.Fatalf("organization: %+v", o)
		}
	})
}

func TestCreateValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		cases := []struct {
			in    Input
			field string
		}{
			{Input{OrgID: f.officeA.ID, Kind: "x", Name: "a"}, "kind"},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "  "}, "name"},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", IDNumber: "110105194912310021"}, FieldIDNumber},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", IDNumber: idA, Sex: idno.Male}, "sex"},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", IDNumber: idA, BirthDate: "1950-01-01"}, "birth_date"},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", BirthDate: "2099-01-01"}, "birth_date"},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", DocType: "nonsense", IDNumber: "123"}, "doc_type"},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", DocType: idno.PassportCN, IDNumber: "X1"}, FieldIDNumber},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", Phone: "12345"}, FieldPhone},
			{Input{OrgID: f.officeA.ID, Kind: Natural, Name: "a", CreditCode: uscc}, "credit_code"},
			{Input{OrgID: f.officeA.ID, Kind: Organization, Name: "a", CreditCode: "91350100M000100Y44"}, "credit_code"},
			{Input{OrgID: f.officeA.ID, Kind: Organization, Name: "a", IDNumber: idA}, FieldIDNumber},
			{Input{OrgID: f.officeB.ID, Kind: Natural, Name: "a"}, "org_id"}, // outside county A
		}
		for _, c := range cases {
			_, err := f.s.Create(ctx, f.scA, c.in)
			if got := fieldOf(err); got != c.field {
				t.Errorf("%+v: error %v names %q, want %q", c.in, err, got, c.field)
			}
		}
		if n, _, _ := f.s.List(ctx, f.sys, Filter{}); len(n) != 0 {
			t.Fatalf("rejected input left %d rows", len(n))
		}
	})
}

func TestDuplicateDocumentInScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		first := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA})
		_, err := f.s.Create(ctx, f.scA, Input{OrgID: f.countyA.ID, Kind: Natural, Name: "张三丰", IDNumber: idA15})
		var dup *DuplicateError
		if !errors.As(err, &dup) || dup.ExistingID != first.ID || fieldOf(err) != FieldIDNumber {
			t.Fatalf("want DuplicateError on id_number naming %d, got %v", first.ID, err)
		}
		if !strings.Contains(err.Error(), "编号 ") {
			t.Fatalf("message must name the existing record: %v", err)
		}
		// County B cannot see county A's record, so it may register its own.
		f.create(t, f.scB, Input{OrgID: f.officeB.ID, Kind: Natural, Name: "张三", IDNumber: idA})
		// The same number as a passport is another document.
		f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "李四", DocType: idno.PassportCN, IDNumber: "G12345678"})
		f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "李四", DocType: idno.PassportForeign, IDNumber: "G12345678"})
		f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Organization, Name: "甲公司", CreditCode: uscc})
		if _, err := f.s.Create(ctx, f.scA, Input{OrgID: f.officeA.ID, Kind: Organization, Name: "乙公司", CreditCode: uscc}); fieldOf(err) != "credit_code" {
			t.Fatalf("duplicate credit code: %v", err)
		}
	})
}

func TestGetListSearchScoped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA, Phone: phoneA})
		b := f.create(t, f.scB, Input{OrgID: f.officeB.ID, Kind: Natural, Name: "张四", IDNumber: idB, Phone: phoneB})
		if _, err := f.s.Get(ctx, f.scA, b.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("county A must not see county B's person: %v", err)
		}
		if _, err := f.s.Get(ctx, org.Scope{}, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("the zero scope sees nothing")
		}
		ids := func(ps []Person) []int64 {
			var out []int64
			for _, p := range ps {
				out = append(out, p.ID)
			}
			return out
		}
		for _, c := range []struct {
			name string
			sc   org.Scope
			f    Filter
			want []int64
		}{
			{"name in A", f.scA, Filter{Name: "张"}, []int64{a.ID}},
			{"name in province", f.scProv, Filter{Name: "张"}, []int64{b.ID, a.ID}},
			{"id exact", f.scProv, Filter{IDNumber: idB}, []int64{b.ID}},
			{"id 15-digit form", f.scProv, Filter{IDNumber: idA15}, []int64{a.ID}},
			{"id of other county", f.scA, Filter{IDNumber: idB}, nil},
			{"phone", f.scProv, Filter{Phone: "138 1234 5678"}, []int64{a.ID}},
			{"query by id", f.scProv, Filter{Query: strings.ToLower(idA)}, []int64{a.ID}},
			{"query by phone", f.scProv, Filter{Query: phoneB}, []int64{b.ID}},
			{"query by name", f.scProv, Filter{Query: "张四"}, []int64{b.ID}},
			{"query by partial id finds nothing", f.scProv, Filter{Query: "110105"}, nil},
			{"org subtree", f.scProv, Filter{OrgID: f.countyB.ID}, []int64{b.ID}},
		} {
			got, total, err := f.s.List(ctx, c.sc, c.f)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if g := ids(got); len(g) != len(c.want) || total != len(c.want) || (len(g) > 0 && g[0] != c.want[0]) {
				t.Errorf("%s: got %v (total %d), want %v", c.name, g, total, c.want)
			}
			for _, p := range got {
				if strings.Contains(p.IDNumber, "1949") || strings.Contains(p.Phone, "1234") {
					t.Errorf("%s: unmasked value in list: %+v", c.name, p)
				}
			}
		}
		if _, _, err := f.s.List(ctx, f.scProv, Filter{IDNumber: "abc"}); fieldOf(err) != FieldIDNumber {
			t.Fatalf("bad search number: %v", err)
		}
		if _, _, err := f.s.List(ctx, f.scA, Filter{OrgID: f.countyB.ID}); fieldOf(err) != "org_id" {
			t.Fatalf("filtering by an org out of scope: %v", err)
		}
	})
}

func auditRows(t *testing.T, db *store.DB, action string) []audit.Row {
	t.Helper()
	rows, err := db.Read().Query(context.Background(), `SELECT action, COALESCE(person_id, 0), result, detail FROM audit_log WHERE action = ? ORDER BY seq`, action)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []audit.Row
	for rows.Next() {
		var r audit.Row
		if err := rows.Scan(&r.Action, &r.PersonID, &r.Result, &r.Detail); err != nil {
			t.Fatal(err)
		}
		out = append(out, r)
	}
	return out
}

func TestRevealAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := audit.WithActor(context.Background(), audit.Actor{UserID: 0, Username: "tester"})
		a := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA, Phone: phoneA})
		if _, err := f.s.Reveal(ctx, f.scA, false, a.ID, FieldIDNumber); !errors.Is(err, ErrForbidden) {
			t.Fatalf("without the permission: %v", err)
		}
		v, err := f.s.Reveal(ctx, f.scA, true, a.ID, FieldIDNumber)
		if err != nil || v != idA {
			t.Fatalf("reveal id: %q %v", v, err)
		}
		if v, err := f.s.Reveal(ctx, f.scA, true, a.ID, FieldPhone); err != nil || v != phoneA {
			t.Fatalf("reveal phone: %q %v", v, err)
		}
		if _, err := f.s.Reveal(ctx, f.scB, true, a.ID, FieldIDNumber); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("out of scope: %v", err)
		}
		if _, err := f.s.Reveal(ctx, f.scA, true, a.ID, "address"); fieldOf(err) != "field" {
			t.Fatalf("unknown field: %v", err)
		}
		rows := auditRows(t, db, "person.reveal")
		if len(rows) != 3 {
			t.Fatalf("want 3 reveal audit rows (denied, id, phone), got %+v", rows)
		}
		if rows[0].Result != audit.Denied || rows[1].Result != audit.OK || rows[1].PersonID != a.ID || rows[1].Detail != "field: id_number" {
			t.Fatalf("audit rows: %+v", rows)
		}
		for _, r := range rows {
			if strings.Contains(r.Detail, idA) || strings.Contains(r.Detail, phoneA) {
				t.Fatal("audit detail holds a personal value")
			}
		}
	})
}

func TestUpdateKeepsAndReplacesSecrets(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db)
		ctx := context.Background()
		a := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "张三", IDNumber: idA, Phone: phoneA})
		// A form posts back the masks it showed: the numbers are kept.
		u, err := f.s.Update(ctx, f.scA, a.ID, Input{Name: "张叁", IDNumber: a.IDNumber, Phone: a.Phone, Address: "新地址"})
		if err != nil {
			t.Fatal(err)
		}
		if u.Name != "张叁" || u.IDNumber != a.IDNumber || u.Phone != a.Phone || u.Sex != idno.Female || u.OrgID != f.officeA.ID {
			t.Fatalf("after keep: %+v", u)
		}
		if got, _, _ := f.s.List(ctx, f.scA, Filter{IDNumber: idA}); len(got) != 1 {
			t.Fatal("the kept number must still be found")
		}
		u, err = f.s.Update(ctx, f.scA, a.ID, Input{Name: "张叁", Phone: phoneB, ClearIDNumber: true})
		if err != nil || u.IDNumber != "" || u.Phone != "159****1111" || u.DocType != "" {
			t.Fatalf("after clear/replace: %+v %v", u, err)
		}
		if got, _, _ := f.s.List(ctx, f.scA, Filter{Phone: phoneA}); len(got) != 0 {
			t.Fatal("the old phone must no longer be found")
		}
		rows := auditRows(t, db, "person.update")
		if len(rows) != 2 || !strings.Contains(rows[1].Detail, "id_number") || !strings.Contains(rows[1].Detail, "phone") || strings.Contains(rows[0].Detail, "phone") {
			t.Fatalf("update audit: %+v", rows)
		}
		other := f.create(t, f.scA, Input{OrgID: f.officeA.ID, Kind: Natural, Name: "王五", IDNumber: idB})
		if _, err := f.s.Update(ctx, f.scA, a.ID, Input{Name: "张叁", IDNumber: idB}); fieldOf(err) != FieldIDNumber {
			t.Fatalf("update to a registered number: %v", err)
		} else {
			var dup *DuplicateError
			if !errors.As(err, &dup) || dup.ExistingID != other.ID {
				t.Fatalf("duplicate must name %d: %v", other.ID, err)
			}
		}
		if _, err := f.s.Update(ctx, f.scB, a.ID, Input{Name: "x"}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("update out of scope: %v", err)
		}
	})
}

func TestCasesOfMergesLines(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	RegisterCaseLister("test_line_a", func(ctx context.Context, sc org.Scope, personID int64) ([]CaseRef, error) {
		if sc.IsSystem() || personID != 7 {
			return nil, nil
		}
		return []CaseRef{{LineName: "甲", CaseID: 1, Date: day(1)}, {LineName: "甲", CaseID: 2, Date: day(3)}}, nil
	})
	RegisterCaseLister("test_line_b", func(ctx context.Context, sc org.Scope, personID int64) ([]CaseRef, error) {
		return []CaseRef{{Line: "test_line_b", LineName: "乙", CaseID: 9, Date: day(2)}}, nil
	})
	sc := org.NewScope("/1/")
	got, err := CasesOf(context.Background(), sc, 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].CaseID != 2 || got[1].CaseID != 9 || got[2].CaseID != 1 || got[0].Line != "test_line_a" {
		t.Fatalf("merged, newest first: %+v", got)
	}
	if got, _ := CasesOf(context.Background(), org.Scope{}, 7); len(got) != 0 {
		t.Fatal("the zero scope sees no cases")
	}
	RegisterCaseLister("test_line_c", func(ctx context.Context, sc org.Scope, personID int64) ([]CaseRef, error) {
		return nil, errors.New("boom")
	})
	if _, err := CasesOf(context.Background(), sc, 7); err == nil || !strings.Contains(err.Error(), "test_line_c") {
		t.Fatalf("a failing line must fail the call and be named: %v", err)
	}
}
