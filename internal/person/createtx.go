package person

import (
	"context"
	"strconv"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// CreateTx registers a person inside the caller's transaction, with the
// same checks, encryption, search indexing and audit as Create, so that a
// bulk import writes its persons and its records all or nothing. It
// returns the new id; a document number already registered in scope
// (including earlier in tx) gives a *DuplicateError carrying the existing id.
func (s *Store) CreateTx(ctx context.Context, tx *store.Tx, sc org.Scope, in Input) (int64, error) {
	now := Clock()
	c, err := in.validate(now)
	if err != nil {
		return 0, err
	}
	if err := orgInScope(ctx, tx, sc, c.OrgID); err != nil {
		return 0, err
	}
	if err := s.checkDuplicate(ctx, tx, sc, c, 0); err != nil {
		return 0, err
	}
	docEnc, phoneEnc, err := s.seal(c)
	if err != nil {
		return 0, err
	}
	id, err := store.InsertID(ctx, tx, `INSERT INTO persons(org_id, kind, name, sex, birth_date, doc_type, doc_enc, doc_hash,
		phone_enc, phone_hash, address, credit_code, legal_rep, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.OrgID, string(c.Kind), c.Name, string(c.Sex), c.BirthDate, string(c.DocType), docEnc, s.Crypto.Hash(docNS(c.DocType), c.doc),
		phoneEnc, s.Crypto.Hash(phoneNS, c.phone), c.Address, c.CreditCode, c.LegalRep, now, now)
	if err != nil {
		return 0, err
	}
	if err := indexSearch(ctx, tx, id); err != nil {
		return 0, err
	}
	return id, audit.Record(ctx, tx, audit.Event{Action: "person.create", ObjectType: "person", ObjectID: strconv.FormatInt(id, 10),
		PersonID: id, OrgID: c.OrgID})
}
