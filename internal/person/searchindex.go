package person

import (
	"context"
	"database/sql"
	"errors"

	"fengqiao/internal/search"
	"fengqiao/internal/store"
)

// SearchKind is the kind of a person's document in the full-text index.
// The document holds the name, the address and the legal representative,
// never an ID, credit code or phone number.
const SearchKind = "person"

func init() {
	search.RegisterSource(search.Source{Name: "person", Kinds: func() []string { return []string{SearchKind} }, Rebuild: rebuildSearch,
		Refresh: func(ctx context.Context, tx *store.Tx, _ string, id int64) error { return indexSearch(ctx, tx, id) }})
}

// indexSearch refreshes person id's document inside tx (a merged-away
// record has none).
func indexSearch(ctx context.Context, tx *store.Tx, id int64) error {
	var d searchDoc
	err := tx.QueryRow(ctx, `SELECT id, org_id, name, address, legal_rep, merged_into IS NOT NULL FROM persons WHERE id = ?`, id).
		Scan(&d.id, &d.orgID, &d.name, &d.address, &d.legalRep, &d.merged)
	if errors.Is(err, sql.ErrNoRows) {
		return search.Remove(ctx, tx, SearchKind, id)
	}
	if err != nil {
		return err
	}
	return d.index(ctx, tx)
}

type searchDoc struct {
	id, orgID               int64
	name, address, legalRep string
	merged                  bool
}

func (d searchDoc) index(ctx context.Context, tx *store.Tx) error {
	if d.merged {
		return search.Remove(ctx, tx, SearchKind, d.id)
	}
	return search.Index(ctx, tx, SearchKind, d.id, d.orgID, d.name, d.address, d.legalRep)
}

// rebuildSearch indexes every live person, in id batches so no result set
// stays open while writing.
func rebuildSearch(ctx context.Context, tx *store.Tx) (int, error) {
	n := 0
	var after int64
	for {
		rows, err := tx.Query(ctx, `SELECT id, org_id, name, address, legal_rep, merged_into IS NOT NULL FROM persons
			WHERE id > ? AND merged_into IS NULL ORDER BY id LIMIT 2000`, after)
		if err != nil {
			return n, err
		}
		var batch []searchDoc
		for rows.Next() {
			var d searchDoc
			if err := rows.Scan(&d.id, &d.orgID, &d.name, &d.address, &d.legalRep, &d.merged); err != nil {
				rows.Close()
				return n, err
			}
			batch = append(batch, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, d := range batch {
			if err := d.index(ctx, tx); err != nil {
				return n, err
			}
			n++
		}
		after = batch[len(batch)-1].id
	}
}
