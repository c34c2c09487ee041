package person

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
)

// Filter selects persons in a list. Numbers match exactly (through their
// keyed hash); names match anywhere.
type Filter struct {
	Query    string // one search box: a name part, or a whole document or phone number
	Name     string // name contains
	IDNumber string // exact document number, any type it is valid as
	Phone    string // exact phone number
	Kind     Kind
	OrgID    int64 // registering org's subtree; 0 = whole scope
	Limit    int
	Offset   int
}

// docHashes returns the hashes of s under every document type it is valid
// as (the search does not ask for the type).
func (s *Store) docHashes(num string) []any {
	var out []any
	for _, d := range idno.Detect(num) {
		out = append(out, s.Crypto.Hash(docNS(d.Type), d.Number))
	}
	return out
}

func (s *Store) where(ctx context.Context, sc org.Scope, f Filter) (string, []any, error) {
	if f.OrgID != 0 {
		o, err := (&org.Store{DB: s.DB}).Get(ctx, sc, f.OrgID)
		if err != nil {
			return "", nil, fe("org_id", "机构不存在或不在您的管辖范围内")
		}
		sc = sc.Narrow(o.Path)
	}
	w, args := sc.Where("o.path")
	where := w + ` AND p.merged_into IS NULL`
	if f.Kind != "" {
		where += ` AND p.kind = ?`
		args = append(args, string(f.Kind))
	}
	if n := strings.TrimSpace(f.Name); n != "" {
		where += ` AND ` + store.ILike(s.DB.Engine, "p.name")
		args = append(args, store.LikeContains(n))
	}
	if strings.TrimSpace(f.IDNumber) != "" {
		hs := s.docHashes(f.IDNumber)
		if len(hs) == 0 {
			return "", nil, fe(FieldIDNumber, "证件号码格式不正确,请输入完整号码")
		}
		where += ` AND p.doc_hash IN (` + store.InList(len(hs)) + `)`
		args = append(args, hs...)
	}
	if strings.TrimSpace(f.Phone) != "" {
		ph, err := idno.ParsePhone(f.Phone)
		if err != nil {
			return "", nil, fe(FieldPhone, err.Error())
		}
		where += ` AND p.phone_hash = ?`
		args = append(args, s.Crypto.Hash(phoneNS, ph))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		conds := []string{store.ILike(s.DB.Engine, "p.name"), store.ILike(s.DB.Engine, "p.credit_code")}
		args = append(args, store.LikeContains(q), store.LikePrefix(idno.Normalize(q)))
		if hs := s.docHashes(q); len(hs) > 0 {
			conds = append(conds, `p.doc_hash IN (`+store.InList(len(hs))+`)`)
			args = append(args, hs...)
		}
		if ph, err := idno.ParsePhone(q); err == nil {
			conds = append(conds, `p.phone_hash = ?`)
			args = append(args, s.Crypto.Hash(phoneNS, ph))
		}
		where += ` AND (` + strings.Join(conds, " OR ") + `)`
	}
	return where, args, nil
}

// List returns live (not merged-away) persons in scope matching f, masked,
// newest first, and the total count.
func (s *Store) List(ctx context.Context, sc org.Scope, f Filter) ([]Person, int, error) {
	where, args, err := s.where(ctx, sc, f)
	if err != nil {
		return nil, 0, err
	}
	from := ` FROM persons p JOIN orgs o ON o.id = p.org_id WHERE ` + where
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*)`+from, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	out, err := s.query(ctx, `SELECT `+cols+from+` ORDER BY p.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, max(f.Offset, 0))...)
	return out, total, err
}

func (s *Store) query(ctx context.Context, q string, args ...any) ([]Person, error) {
	rows, err := s.DB.Read().Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Person
	for rows.Next() {
		r, err := scanRaw(rows)
		if err != nil {
			return nil, err
		}
		p, err := s.masked(r)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// Reveal returns the full value of field (FieldIDNumber or FieldPhone) of a
// person in scope. Only a viewer whose role holds "view full personal data"
// may; every attempt is audited, and no value leaves unless its audit row
// was written.
func (s *Store) Reveal(ctx context.Context, sc org.Scope, viewerCanFull bool, personID int64, field string) (string, error) {
	if field != FieldIDNumber && field != FieldPhone {
		return "", fe("field", "只能查看证件号码或电话号码")
	}
	r, err := s.getRaw(ctx, s.DB.Read(), sc, personID, false)
	if err != nil {
		return "", err
	}
	ev := audit.Event{Action: "person.reveal", ObjectType: "person", ObjectID: strconv.FormatInt(personID, 10),
		PersonID: personID, OrgID: r.OrgID, Detail: "field: " + field}
	if !viewerCanFull {
		ev.Result = audit.Denied
		if err := audit.RecordAlone(ctx, s.DB, ev); err != nil {
			return "", err
		}
		return "", ErrForbidden
	}
	enc := r.docEnc
	if field == FieldPhone {
		enc = r.phoneEnc
	}
	v, err := s.Crypto.Decrypt(field, enc)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", errors.Join(store.ErrNotFound, fe(field, "未登记该项"))
	}
	if err := audit.RecordAlone(ctx, s.DB, ev); err != nil {
		return "", err
	}
	return v, nil
}
