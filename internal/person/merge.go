package person

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Reference is a column in another package's table that holds a person id.
type Reference struct{ Table, Column string }

var (
	refMu sync.Mutex
	refs  []Reference
	ident = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

// RegisterReference declares that table.column holds person ids, so Merge
// re-points it. Business lines call it from init for their party tables.
func RegisterReference(table, column string) {
	if !ident.MatchString(table) || !ident.MatchString(column) {
		panic("person: bad reference " + table + "." + column)
	}
	refMu.Lock()
	defer refMu.Unlock()
	for _, r := range refs {
		if r.Table == table && r.Column == column {
			panic("person: reference registered twice: " + table + "." + column)
		}
	}
	refs = append(refs, Reference{table, column})
	sort.Slice(refs, func(i, j int) bool { return refs[i].Table+"."+refs[i].Column < refs[j].Table+"."+refs[j].Column })
}

// References lists the registered references.
func References() []Reference {
	refMu.Lock()
	defer refMu.Unlock()
	return append([]Reference(nil), refs...)
}

// Duplicate reasons.
const (
	SameDocument  = "same_document"
	SameNameBirth = "same_name_birth"
	SameNamePhone = "same_name_phone"
)

// ReasonName returns the Chinese explanation of a duplicate reason.
func ReasonName(reason string) string {
	switch reason {
	case SameDocument:
		return "证件号码相同"
	case SameNameBirth:
		return "姓名和出生日期相同"
	case SameNamePhone:
		return "姓名和电话相同"
	}
	return reason
}

// DuplicateGroup is a set of live records that look like the same person.
type DuplicateGroup struct {
	Reason  string
	Persons []Person
}

// FindDuplicates returns groups of live records in scope that share a
// document number, a name and birth date, or a name and phone number.
// With personID != 0 only the groups containing that person are returned
// (a person's page). At most limit groups (default 100).
func (s *Store) FindDuplicates(ctx context.Context, sc org.Scope, personID int64, limit int) ([]DuplicateGroup, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	w, args := sc.Where("o.path")
	base := `FROM persons p JOIN orgs o ON o.id = p.org_id WHERE p.merged_into IS NULL AND ` + w
	keys := []struct{ reason, expr, cond string }{
		{SameDocument, "p.doc_hash", "p.doc_hash <> ''"},
		{SameNameBirth, "p.name || '|' || p.birth_date", "p.birth_date <> '' AND p.kind = 'natural'"},
		{SameNamePhone, "p.name || '|' || p.phone_hash", "p.phone_hash <> ''"},
	}
	var parts []string
	var all []any
	for _, k := range keys {
		parts = append(parts, `SELECT '`+k.reason+`' AS reason, `+k.expr+` AS k, p.id AS id `+base+` AND `+k.cond)
		all = append(all, args...)
	}
	q := `WITH v AS (` + strings.Join(parts, " UNION ALL ") + `),
		g AS (SELECT reason, k, id, count(*) OVER (PARTITION BY reason, k) AS n FROM v)
		SELECT reason, k, id FROM g WHERE n > 1`
	if personID != 0 {
		q += ` AND EXISTS (SELECT 1 FROM v me WHERE me.id = ? AND me.reason = g.reason AND me.k = g.k)`
		all = append(all, personID)
	}
	rows, err := s.DB.Read().Query(ctx, q+` ORDER BY reason, k, id`, all...)
	if err != nil {
		return nil, err
	}
	type member struct {
		reason, key string
		id          int64
	}
	var ms []member
	for rows.Next() {
		var m member
		if err := rows.Scan(&m.reason, &m.key, &m.id); err != nil {
			rows.Close()
			return nil, err
		}
		ms = append(ms, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// Reasons sort strongest first; a set already reported for a stronger
	// reason (same document, hence same name and birth date) is not repeated.
	var out []DuplicateGroup
	seen := map[string]bool{}
	for i := 0; i < len(ms) && len(out) < limit; {
		j := i
		var set strings.Builder
		for ; j < len(ms) && ms[j].reason == ms[i].reason && ms[j].key == ms[i].key; j++ {
			fmt.Fprintf(&set, "%d,", ms[j].id)
		}
		if !seen[set.String()] {
			seen[set.String()] = true
			g := DuplicateGroup{Reason: ms[i].reason}
			for _, m := range ms[i:j] {
				p, err := s.Get(ctx, sc, m.id)
				if err != nil {
					return nil, err
				}
				g.Persons = append(g.Persons, p)
			}
			out = append(out, g)
		}
		i = j
	}
	return out, nil
}

// Merge folds record remove into record keep: every registered reference
// to remove is re-pointed to keep, keep's empty fields are filled from
// remove, and remove stays as a tombstone (merged_into = keep) with its
// numbers erased. Both must be live, in scope and of the same kind; two
// different document numbers are never merged. It returns how many
// references moved.
func (s *Store) Merge(ctx context.Context, sc org.Scope, keepID, removeID int64) (int64, error) {
	if keepID == removeID {
		return 0, fe("remove_id", "不能把记录合并到自身")
	}
	var moved int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		keep, err := s.getRaw(ctx, tx, sc, keepID, true)
		if errors.Is(err, store.ErrNotFound) {
			return fe("keep_id", "保留的记录不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		rm, err := s.getRaw(ctx, tx, sc, removeID, true)
		if errors.Is(err, store.ErrNotFound) {
			return fe("remove_id", "被合并的记录不存在或不在您的管辖范围内")
		} else if err != nil {
			return err
		}
		if keep.MergedInto != 0 || rm.MergedInto != 0 {
			return fe("remove_id", "已合并过的记录不能再次合并")
		}
		if keep.Kind != rm.Kind {
			return fe("remove_id", "自然人与法人(其他组织)不能合并")
		}
		kh, _, kc, err := keys(ctx, tx, keepID)
		if err != nil {
			return err
		}
		rh, rph, rc, err := keys(ctx, tx, removeID)
		if err != nil {
			return err
		}
		if (kh != "" && rh != "" && kh != rh) || (kc != "" && rc != "" && kc != rc) {
			return fe("remove_id", "两条记录的证件号码(或统一社会信用代码)不同,不是同一当事人,不能合并")
		}
		for _, r := range References() {
			res, err := tx.Exec(ctx, `UPDATE `+r.Table+` SET `+r.Column+` = ? WHERE `+r.Column+` = ?`, keepID, removeID)
			if store.IsUniqueViolation(err) {
				return fe("remove_id", "两条记录在同一事项中都已登记(如同一案件的当事人),请先在该事项中删去其中一条再合并")
			}
			if err != nil {
				return fmt.Errorf("merge: re-point %s.%s: %w", r.Table, r.Column, err)
			}
			n, _ := res.RowsAffected()
			moved += n
		}
		// Fill keep's gaps from remove, then erase remove's numbers.
		if _, err := tx.Exec(ctx, `UPDATE persons SET
			sex = CASE WHEN sex = '' THEN ? ELSE sex END,
			birth_date = CASE WHEN birth_date = '' THEN ? ELSE birth_date END,
			doc_type = CASE WHEN doc_hash = '' THEN ? ELSE doc_type END,
			doc_enc = CASE WHEN doc_hash = '' THEN ? ELSE doc_enc END,
			doc_hash = CASE WHEN doc_hash = '' THEN ? ELSE doc_hash END,
			phone_enc = CASE WHEN phone_hash = '' THEN ? ELSE phone_enc END,
			phone_hash = CASE WHEN phone_hash = '' THEN ? ELSE phone_hash END,
			address = CASE WHEN address = '' THEN ? ELSE address END,
			credit_code = CASE WHEN credit_code = '' THEN ? ELSE credit_code END,
			legal_rep = CASE WHEN legal_rep = '' THEN ? ELSE legal_rep END,
			updated_at = ? WHERE id = ?`,
			string(rm.Sex), rm.BirthDate, string(rm.DocType), rm.docEnc, rh, rm.phoneEnc, rph,
			rm.Address, rc, rm.LegalRep, Clock(), keepID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE persons SET merged_into = ?, doc_type = '', doc_enc = '', doc_hash = '', phone_enc = '', phone_hash = '',
			credit_code = '', updated_at = ? WHERE id = ?`, keepID, Clock(), removeID); err != nil {
			return err
		}
		// Earlier tombstones of remove now point at the survivor directly.
		if _, err := tx.Exec(ctx, `UPDATE persons SET merged_into = ? WHERE merged_into = ?`, keepID, removeID); err != nil {
			return err
		}
		// The tombstone leaves the index; the survivor may have gained an address.
		for _, id := range []int64{keepID, removeID} {
			if err := indexSearch(ctx, tx, id); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("kept %d, removed %d, %d references moved", keepID, removeID, moved)
		for _, id := range []int64{keepID, removeID} {
			if err := audit.Record(ctx, tx, audit.Event{Action: "person.merge", ObjectType: "person", ObjectID: strconv.FormatInt(id, 10),
				PersonID: id, OrgID: keep.OrgID, Detail: detail}); err != nil {
				return err
			}
		}
		return nil
	})
	return moved, err
}

// keys reads the identifying columns that Person does not carry.
func keys(ctx context.Context, tx *store.Tx, id int64) (docHash, phoneHash, creditCode string, err error) {
	err = tx.QueryRow(ctx, `SELECT doc_hash, phone_hash, credit_code FROM persons WHERE id = ?`, id).Scan(&docHash, &phoneHash, &creditCode)
	return
}
