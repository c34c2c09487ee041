package search

import (
	"context"
	"fmt"
	"sync"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Source rebuilds the documents of some kinds from the tables that own
// them. Packages that index their objects (person, casework, ...) register
// one in init, so Reindex needs no import of them.
type Source struct {
	Name string // for messages, e.g. "person"
	// Kinds lists every kind Rebuild writes; Reindex clears them first. A
	// function, as types may register after the source.
	Kinds func() []string
	// Rebuild calls Index for every current object inside tx.
	Rebuild func(ctx context.Context, tx *store.Tx) (int, error)
	// Refresh re-indexes (or removes) one object of one of the kinds.
	Refresh func(ctx context.Context, tx *store.Tx, kind string, refID int64) error
}

func init() { org.OnMove(orgMoved) }

// orgMoved re-indexes the documents of a moved subtree inside the move's
// transaction, so their scope tokens name their new ancestors. Documents
// of a kind no source refreshes keep stale tokens: the SQL scope check
// still applies, so they may be missed under the new parent, never shown
// outside their scope.
func orgMoved(ctx context.Context, tx *store.Tx, orgID int64) error {
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path); err != nil {
		return fmt.Errorf("search: moved org %d: %w", orgID, err)
	}
	byKind := map[string]Source{}
	for _, s := range Sources() {
		if s.Refresh == nil {
			continue
		}
		for _, k := range s.Kinds() {
			byKind[k] = s
		}
	}
	type ref struct {
		kind string
		id   int64
	}
	lo, hi := store.PrefixRange(path)
	rows, err := tx.Query(ctx, `SELECT d.kind, d.ref_id FROM search_docs d JOIN orgs o ON o.id = d.org_id
		WHERE o.path >= ? AND o.path < ? ORDER BY d.id`, lo, hi)
	if err != nil {
		return fmt.Errorf("search: moved org %d: %w", orgID, err)
	}
	var refs []ref
	for rows.Next() {
		var r ref
		if err := rows.Scan(&r.kind, &r.id); err != nil {
			rows.Close()
			return err
		}
		refs = append(refs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, r := range refs {
		if s, ok := byKind[r.kind]; ok {
			if err := s.Refresh(ctx, tx, r.kind, r.id); err != nil {
				return fmt.Errorf("search: refresh %s %d: %w", r.kind, r.id, err)
			}
		}
	}
	return nil
}

var (
	sourcesMu sync.Mutex
	sources   []Source
)

// RegisterSource adds a source to Reindex.
func RegisterSource(s Source) {
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	sources = append(sources, s)
}

// Sources returns the registered sources.
func Sources() []Source {
	sourcesMu.Lock()
	defer sourcesMu.Unlock()
	return append([]Source(nil), sources...)
}

// Reindex rebuilds the index of every registered source, one transaction
// per source (readers see either the old or the new documents of a
// source, never a half-built index). Documents are re-written in place,
// so they keep their ids and the result order; documents whose object is
// gone are dropped. It returns the documents written per source name.
func Reindex(ctx context.Context, db *store.DB) (map[string]int, error) {
	out := map[string]int{}
	for _, s := range Sources() {
		err := db.Tx(ctx, func(tx *store.Tx) error {
			kinds := s.Kinds()
			for _, k := range kinds {
				if err := checkKind("kind", k); err != nil {
					return err
				}
			}
			// Index stamps updated_at with the current time: anything
			// older than the start was not rebuilt.
			start := time.Now().UTC().Truncate(time.Microsecond)
			n, err := s.Rebuild(ctx, tx)
			out[s.Name] = n
			if err != nil || len(kinds) == 0 {
				return err
			}
			args := []any{start}
			for _, k := range kinds {
				args = append(args, k)
			}
			_, err = tx.Exec(ctx, `DELETE FROM search_docs WHERE updated_at < ? AND kind IN (`+store.InList(len(kinds))+`)`, args...)
			return err
		})
		if err != nil {
			return out, fmt.Errorf("search: reindex %s: %w", s.Name, err)
		}
	}
	return out, nil
}
