package mediation

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
)

// GB 11643 example numbers and valid mobiles used across the tests.
const (
	idA    = "11010519491231002X" // female, 1949-12-31
	idB    = "440524188001010014" // male
	phoneA = "13812345678"
	phoneB = "15900001111"
	maskA  = "110105********002X"
)

// world is a small tree: county A with an office, a village and
// committees; a neighbour county B with its own office and committee.
type world struct {
	db                         *store.DB
	st                         *Store
	orgs                       *org.Store
	city, countyA, countyB     org.Org
	officeA, villageA, officeB org.Org
	committeeA, committeeV     org.Org // township committee under officeA, village committee
	committeeB                 org.Org
	scA, scB, scOffice, scCity org.Scope
	ctx                        context.Context
}

func newWorld(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	w := &world{db: db, orgs: &org.Store{DB: db}, ctx: ctx}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		t.Helper()
		o, err := w.orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatalf("org %s: %v", name, err)
		}
		return o
	}
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	w.city = mk(prov.ID, org.City, "巴中市司法局", "511900")
	w.countyA = mk(w.city.ID, org.County, "巴州区司法局", "511902")
	w.countyB = mk(w.city.ID, org.County, "恩阳区司法局", "511903")
	w.officeA = mk(w.countyA.ID, org.Office, "江北街道司法所", "511902001")
	w.villageA = mk(w.officeA.ID, org.Village, "黄家沟村", "511902001001")
	w.committeeA = mk(w.officeA.ID, org.Committee, "江北街道人民调解委员会", "")
	w.committeeV = mk(w.villageA.ID, org.Committee, "黄家沟村人民调解委员会", "")
	w.officeB = mk(w.countyB.ID, org.Office, "登科街道司法所", "511903001")
	w.committeeB = mk(w.officeB.ID, org.Committee, "登科街道人民调解委员会", "")
	scope := func(o org.Org) org.Scope {
		sc, err := w.orgs.ScopeOf(ctx, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	w.scA, w.scB, w.scOffice, w.scCity = scope(w.countyA), scope(w.countyB), scope(w.officeA), scope(w.city)
	keys := person.Keys{Field: map[int][]byte{1: bytes.Repeat([]byte{1}, 32)}, Current: 1, Hash: bytes.Repeat([]byte{0x42}, 32)}
	crypto, err := person.NewCrypto(keys)
	if err != nil {
		t.Fatal(err)
	}
	w.st = &Store{DB: db, Persons: &person.Store{DB: db, Crypto: crypto}}
	return w
}

func (w *world) mediator(t *testing.T, in MediatorInput) Mediator {
	t.Helper()
	if in.OrgID == 0 {
		in.OrgID = w.committeeA.ID
	}
	m, err := w.st.CreateMediator(w.ctx, w.scA, in)
	if err != nil {
		t.Fatalf("mediator %s: %v", in.Name, err)
	}
	return m
}

func (w *world) audits(t *testing.T, action, objectType string) int {
	t.Helper()
	var n int
	if err := w.db.Read().QueryRow(context.Background(), `SELECT count(*) FROM audit_log WHERE action = ? AND object_type = ?`,
		action, objectType).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// wantField fails unless err is a field error on field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var fe *org.FieldError
	if !errors.As(err, &fe) {
		t.Fatalf("want field error on %s, got %T %v", field, err, err)
	}
	if fe.Field != field {
		t.Fatalf("want field error on %s, got %s: %s", field, fe.Field, fe.Message)
	}
}
