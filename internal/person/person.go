// Package person is the registry of the natural persons and organizations
// that cases concern (parties, subjects, applicants). Identity document and
// phone numbers are validated, encrypted at rest, found by a keyed hash and
// returned masked; the full value is given only by Reveal, which is
// audited. Business lines link their party tables through RegisterReference
// (for merges) and RegisterCaseLister (for a person's page).
package person

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("person", sub)
}

// Kind tells a natural person from an organization.
type Kind string

const (
	Natural      Kind = "natural"
	Organization Kind = "organization"
)

// KindName returns the Chinese name of k.
func KindName(k Kind) string {
	switch k {
	case Natural:
		return "自然人"
	case Organization:
		return "法人或其他组织"
	}
	return string(k)
}

// Field names used in errors, Reveal and audit details.
const (
	FieldIDNumber = "id_number"
	FieldPhone    = "phone"
)

// Person is a registry record as every caller sees it: document and phone
// numbers are masked.
type Person struct {
	ID         int64
	OrgID      int64 // registering org
	OrgName    string
	Kind       Kind
	Name       string
	Sex        idno.Sex
	BirthDate  string // YYYY-MM-DD or ""
	DocType    idno.DocType
	IDNumber   string // masked document number
	Phone      string // masked phone number
	Address    string
	CreditCode string // organizations: 统一社会信用代码 (public, not masked)
	LegalRep   string // organizations: 法定代表人或负责人
	MergedInto int64  // set when this record was merged into another
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// KindName is the Chinese name of the record's kind.
func (p Person) KindName() string { return KindName(p.Kind) }

// DocTypeName is the Chinese name of the document type.
func (p Person) DocTypeName() string { return idno.TypeName(p.DocType) }

// SexName is 男, 女 or "".
func (p Person) SexName() string {
	switch p.Sex {
	case idno.Male:
		return "男"
	case idno.Female:
		return "女"
	}
	return ""
}

// DuplicateError says a record with the same identifying number already
// exists in the caller's scope. It unwraps to the *org.FieldError so forms
// show it next to the field.
type DuplicateError struct {
	Field      *org.FieldError
	ExistingID int64
}

func (e *DuplicateError) Error() string { return e.Field.Error() }
func (e *DuplicateError) Unwrap() error { return e.Field }

// ErrForbidden is returned by Reveal when the viewer's role may not see
// full personal data.
var ErrForbidden = errors.New("无权查看完整个人信息")

// Store reads and writes the registry.
type Store struct {
	DB     *store.DB
	Crypto *Crypto
}

// Clock is replaceable in tests.
var Clock = func() time.Time { return time.Now().UTC() }

// docNS is the hash namespace of a document type: the same number under
// two types is two different documents.
func docNS(t idno.DocType) string { return "doc:" + string(t) }

const phoneNS = "phone"

const cols = `p.id, p.org_id, o.name, p.kind, p.name, p.sex, p.birth_date, p.doc_type, p.doc_enc, p.phone_enc,
	p.address, p.credit_code, p.legal_rep, COALESCE(p.merged_into, 0), p.created_at, p.updated_at`

// raw is a row with its ciphertexts, before masking.
type raw struct {
	Person
	docEnc, phoneEnc string
}

func scanRaw(sc interface{ Scan(...any) error }) (raw, error) {
	var r raw
	err := sc.Scan(&r.ID, &r.OrgID, &r.OrgName, &r.Kind, &r.Name, &r.Sex, &r.BirthDate, &r.DocType, &r.docEnc, &r.phoneEnc,
		&r.Address, &r.CreditCode, &r.LegalRep, &r.MergedInto, &r.CreatedAt, &r.UpdatedAt)
	return r, err
}

// masked decrypts the numbers only to mask them.
func (s *Store) masked(r raw) (Person, error) {
	p := r.Person
	doc, err := s.Crypto.Decrypt(FieldIDNumber, r.docEnc)
	if err != nil {
		return Person{}, fmt.Errorf("person %d %s: %w", r.ID, FieldIDNumber, err)
	}
	ph, err := s.Crypto.Decrypt(FieldPhone, r.phoneEnc)
	if err != nil {
		return Person{}, fmt.Errorf("person %d %s: %w", r.ID, FieldPhone, err)
	}
	if doc != "" {
		p.IDNumber = idno.Mask(r.DocType, doc)
	}
	if ph != "" {
		p.Phone = idno.MaskPhone(ph)
	}
	return p, nil
}

func (s *Store) getRaw(ctx context.Context, q store.Querier, sc org.Scope, id int64, lock bool) (raw, error) {
	w, args := sc.Where("o.path")
	suffix := ""
	if lock {
		suffix = store.ForUpdate(q.Engine())
		if suffix != "" {
			suffix += " OF p"
		}
	}
	r, err := scanRaw(q.QueryRow(ctx, `SELECT `+cols+` FROM persons p JOIN orgs o ON o.id = p.org_id WHERE p.id = ? AND `+w+suffix,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return raw{}, store.ErrNotFound
	}
	return r, err
}

// Get returns a person in scope, masked. A merged-away record is returned
// with MergedInto set so pages can point to the surviving record.
func (s *Store) Get(ctx context.Context, sc org.Scope, id int64) (Person, error) {
	r, err := s.getRaw(ctx, s.DB.Read(), sc, id, false)
	if err != nil {
		return Person{}, err
	}
	return s.masked(r)
}

// orgInScope checks the registering org lies in the caller's scope.
func orgInScope(ctx context.Context, q store.Querier, sc org.Scope, orgID int64) error {
	var path string
	err := q.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path)
	if err != nil || !sc.Contains(path) {
		return fe("org_id", "登记机构不存在或不在您的管辖范围内")
	}
	return nil
}

// checkDuplicate rejects a second live record with the same document or
// credit code in scope.
func (s *Store) checkDuplicate(ctx context.Context, q store.Querier, sc org.Scope, c clean, self int64) error {
	w, args := sc.Where("o.path")
	check := func(col, val, field, msg string) error {
		if val == "" {
			return nil
		}
		var id int64
		err := q.QueryRow(ctx, `SELECT p.id FROM persons p JOIN orgs o ON o.id = p.org_id WHERE p.`+col+` = ? AND p.`+col+` <> '' AND p.id <> ?
			AND p.merged_into IS NULL AND `+w+` ORDER BY p.id LIMIT 1`, append([]any{val, self}, args...)...).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		return &DuplicateError{Field: &org.FieldError{Field: field, Message: fmt.Sprintf(msg, id)}, ExistingID: id}
	}
	if c.doc != "" {
		if err := check("doc_hash", s.Crypto.Hash(docNS(c.DocType), c.doc), FieldIDNumber, "该证件号码已登记(当事人编号 %d),请勿重复登记"); err != nil {
			return err
		}
	}
	return check("credit_code", c.CreditCode, "credit_code", "该统一社会信用代码已登记(当事人编号 %d),请勿重复登记")
}

// Create registers a person under in.OrgID, which must be in scope.
// CreateTx (createtx.go) does the work in the caller's transaction.
func (s *Store) Create(ctx context.Context, sc org.Scope, in Input) (Person, error) {
	if _, err := in.validate(Clock()); err != nil {
		return Person{}, err // bad input takes no write lock
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = s.CreateTx(ctx, tx, sc, in)
		return err
	})
	if err != nil {
		return Person{}, err
	}
	return s.Get(ctx, sc, id)
}

// GetTx is Get through the caller's transaction: it sees what the
// transaction wrote (a party registered earlier in the same intake).
func (s *Store) GetTx(ctx context.Context, tx *store.Tx, sc org.Scope, id int64) (Person, error) {
	r, err := s.getRaw(ctx, tx, sc, id, false)
	if err != nil {
		return Person{}, err
	}
	return s.masked(r)
}

func (s *Store) seal(c clean) (docEnc, phoneEnc string, err error) {
	if docEnc, err = s.Crypto.Encrypt(FieldIDNumber, c.doc); err != nil {
		return "", "", err
	}
	phoneEnc, err = s.Crypto.Encrypt(FieldPhone, c.phone)
	return docEnc, phoneEnc, err
}

// Update replaces a person's fields. The kind never changes; OrgID 0 keeps
// the registering org.
func (s *Store) Update(ctx context.Context, sc org.Scope, id int64, in Input) (Person, error) {
	var p Person
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		p, err = s.UpdateTx(ctx, tx, sc, id, in)
		return err
	})
	return p, err
}

// UpdateTx is Update inside the caller's transaction.
func (s *Store) UpdateTx(ctx context.Context, tx *store.Tx, sc org.Scope, id int64, in Input) (Person, error) {
	now := Clock()
	cur, err := s.getRaw(ctx, tx, sc, id, true)
	if err != nil {
		return Person{}, err
	}
	if cur.MergedInto != 0 {
		return Person{}, fe("id", fmt.Sprintf("该记录已合并到当事人编号 %d,请修改该记录", cur.MergedInto))
	}
	in.Kind = cur.Kind
	if in.OrgID == 0 {
		in.OrgID = cur.OrgID
	}
	oldDoc, oldPhone, err := s.keepSecrets(cur, &in)
	if err != nil {
		return Person{}, err
	}
	c, err := in.validate(now)
	if err != nil {
		return Person{}, err
	}
	if c.OrgID != cur.OrgID {
		if err := orgInScope(ctx, tx, sc, c.OrgID); err != nil {
			return Person{}, err
		}
	}
	if err := s.checkDuplicate(ctx, tx, sc, c, id); err != nil {
		return Person{}, err
	}
	docEnc, phoneEnc, err := s.seal(c)
	if err != nil {
		return Person{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE persons SET org_id = ?, name = ?, sex = ?, birth_date = ?, doc_type = ?, doc_enc = ?, doc_hash = ?,
		phone_enc = ?, phone_hash = ?, address = ?, credit_code = ?, legal_rep = ?, updated_at = ? WHERE id = ?`,
		c.OrgID, c.Name, string(c.Sex), c.BirthDate, string(c.DocType), docEnc, s.Crypto.Hash(docNS(c.DocType), c.doc),
		phoneEnc, s.Crypto.Hash(phoneNS, c.phone), c.Address, c.CreditCode, c.LegalRep, now, id); err != nil {
		return Person{}, err
	}
	if err := indexSearch(ctx, tx, id); err != nil {
		return Person{}, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "person.update", ObjectType: "person", ObjectID: strconv.FormatInt(id, 10),
		PersonID: id, OrgID: c.OrgID, Detail: "fields: " + changed(cur, c, oldDoc != c.doc, oldPhone != c.phone)}); err != nil {
		return Person{}, err
	}
	return s.GetTx(ctx, tx, sc, id)
}

// keepSecrets puts the stored numbers back into in where the form left
// them empty or showed the mask.
func (s *Store) keepSecrets(cur raw, in *Input) (doc, ph string, err error) {
	if doc, err = s.Crypto.Decrypt(FieldIDNumber, cur.docEnc); err != nil {
		return "", "", err
	}
	if ph, err = s.Crypto.Decrypt(FieldPhone, cur.phoneEnc); err != nil {
		return "", "", err
	}
	newDoc := strings.TrimSpace(in.IDNumber)
	switch {
	case in.ClearIDNumber:
		in.IDNumber, in.DocType = "", ""
	case doc != "" && (newDoc == "" || newDoc == idno.Mask(cur.DocType, doc)):
		if in.DocType != "" && in.DocType != cur.DocType {
			return "", "", fe(FieldIDNumber, "更换证件类型时请重新填写证件号码")
		}
		in.IDNumber, in.DocType = doc, cur.DocType
	}
	newPhone := strings.TrimSpace(in.Phone)
	switch {
	case in.ClearPhone:
		in.Phone = ""
	case ph != "" && (newPhone == "" || newPhone == idno.MaskPhone(ph)):
		in.Phone = ph
	}
	return doc, ph, nil
}

// changed names the fields an update touches (names only: audit details
// never hold personal data values).
func changed(cur raw, c clean, docChanged, phoneChanged bool) string {
	var out []string
	add := func(name string, diff bool) {
		if diff {
			out = append(out, name)
		}
	}
	add("org_id", cur.OrgID != c.OrgID)
	add("name", cur.Name != c.Name)
	add("sex", cur.Sex != c.Sex)
	add("birth_date", cur.BirthDate != c.BirthDate)
	add("doc_type", cur.DocType != c.DocType)
	add("address", cur.Address != c.Address)
	add("credit_code", cur.CreditCode != c.CreditCode)
	add("legal_rep", cur.LegalRep != c.LegalRep)
	add(FieldIDNumber, docChanged)
	add(FieldPhone, phoneChanged)
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, ",")
}
