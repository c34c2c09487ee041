package person

import (
	"context"
	"fmt"
	"strconv"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
)

// RotateKeys re-encrypts every stored value not yet under the current field
// key, in batches of one transaction each, so it can be interrupted and
// run again. It returns the number of values re-encrypted. Hashes do not
// change (the hash key is not rotated).
func RotateKeys(ctx context.Context, db *store.DB, c *Crypto) (int, error) {
	prefix := "v" + strconv.Itoa(c.CurrentVersion()) + ":%"
	n := 0
	var last int64
	for {
		type row struct {
			id         int64
			doc, phone string
		}
		var batch []row
		err := db.Tx(ctx, func(tx *store.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id, doc_enc, phone_enc FROM persons WHERE id > ?
				AND ((doc_enc <> '' AND doc_enc NOT LIKE ?) OR (phone_enc <> '' AND phone_enc NOT LIKE ?))
				ORDER BY id LIMIT 500`, last, prefix, prefix)
			if err != nil {
				return err
			}
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.doc, &r.phone); err != nil {
					rows.Close()
					return err
				}
				batch = append(batch, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, r := range batch {
				doc, k1, err := reseal(c, FieldIDNumber, r.doc)
				if err != nil {
					return fmt.Errorf("person %d %s: %w", r.id, FieldIDNumber, err)
				}
				phone, k2, err := reseal(c, FieldPhone, r.phone)
				if err != nil {
					return fmt.Errorf("person %d %s: %w", r.id, FieldPhone, err)
				}
				if _, err := tx.Exec(ctx, `UPDATE persons SET doc_enc = ?, phone_enc = ? WHERE id = ?`, doc, phone, r.id); err != nil {
					return err
				}
				n += k1 + k2
				last = r.id
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		if len(batch) == 0 {
			break
		}
	}
	err := audit.RecordAlone(ctx, db, audit.Event{Action: "person.keys_rotate", ObjectType: "person_keys",
		ObjectID: "v" + strconv.Itoa(c.CurrentVersion()), Detail: fmt.Sprintf("%d values re-encrypted", n)})
	return n, err
}

// reseal re-encrypts ct under the current key when it is under another.
func reseal(c *Crypto, field, ct string) (string, int, error) {
	if ct == "" || KeyVersion(ct) == c.CurrentVersion() {
		return ct, 0, nil
	}
	plain, err := c.Decrypt(field, ct)
	if err != nil {
		return "", 0, err
	}
	out, err := c.Encrypt(field, plain)
	return out, 1, err
}
