// Package search is the Chinese full-text index over business objects
// (cases, persons, ...). Text is split into CJK unigrams and bigrams plus
// lowercased words in Go (Tokenize), so SQLite (FTS5) and PostgreSQL
// (tsvector + GIN) index identical lexemes and return identical results.
//
// One generic table search_docs holds one row per (kind, ref_id); callers
// keep it current with Index and Remove inside the transaction that changes
// the object, and query with Query (one scope) or Search (a scope per
// kind) under the caller's org.Scope.
//
// Speed: every document also carries a scope token for its org and each
// ancestor ("zzorg12"), so the index itself keeps only in-scope matches
// (org.Move re-indexes the moved subtree through the registered Sources),
// and a query reads only the newest MaxHits matches in document-id order,
// which FTS5 and the primary key deliver without sorting. A common word
// over a million documents thus costs about MaxHits row lookups.
//
// Reindex rebuilds everything from the Sources that person, casework (and
// any later line) register.
package search

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("search", sub)
}

// Limits of the index and of a query.
const (
	MaxTitleRunes   = 200    // longer titles are cut for display
	MaxQueryRunes   = 100    // longer queries are refused
	MaxQueryTokens  = 32     // AND terms in one query
	MaxIndexTokens  = 100000 // distinct tokens kept per document
	DefaultLimit    = 20     // page size when limit <= 0
	MaxLimit        = 200    // largest page
	maxRankTerms    = 8      // query terms scored against the title
	maxKindLen      = 32     // kind names are short identifiers
	maxKindsInQuery = 16     // kinds filter size
	// MaxHits bounds a query's work: only the newest MaxHits matches are
	// ranked and paged, and a total above MaxHits is reported as
	// MaxHits+1 ("more than MaxHits": add a word to narrow).
	MaxHits = 1000
)

// Hit is one search result. Rank counts the query terms found in the title
// (higher first); ties are broken by the document id, newest first (the
// id is kept when a document is re-indexed, so it follows the object's
// first indexing), so the order is the same on both engines and between
// runs.
type Hit struct {
	Kind  string
	RefID int64
	OrgID int64
	Title string
	Rank  int
}

var kindRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

func checkKind(field, k string) error {
	if len(k) > maxKindLen || !kindRe.MatchString(k) {
		return &org.FieldError{Field: field, Message: "类型须为小写英文标识（如 case、person）"}
	}
	return nil
}

// Index adds or replaces the document of object (kind, refID), owned by
// orgID, inside tx. title is shown in results and searched; texts are
// searched only. Callers pass only non-sensitive text: names, titles, case
// summaries, addresses at village level — NEVER ID numbers, phone numbers or
// bank accounts (words with seven or more digits are dropped as a safeguard,
// but that is not a licence to pass them).
func Index(ctx context.Context, tx *store.Tx, kind string, refID, orgID int64, title string, texts ...string) error {
	if err := checkKind("kind", kind); err != nil {
		return err
	}
	if refID <= 0 {
		return &org.FieldError{Field: "ref_id", Message: "对象编号无效"}
	}
	if orgID <= 0 {
		return &org.FieldError{Field: "org_id", Message: "所属单位无效"}
	}
	title = strings.TrimSpace(title)
	if utf8.RuneCountInString(title) > MaxTitleRunes {
		title = string([]rune(title)[:MaxTitleRunes])
	}
	var path string
	// The org and its ancestors become scope tokens (see scopeTokens).
	err := tx.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) {
		return &org.FieldError{Field: "org_id", Message: "所属单位无效"}
	} else if err != nil {
		return fmt.Errorf("search: index %s %d: %w", kind, refID, err)
	}
	toks := Tokenize(title + "\n" + strings.Join(texts, "\n"))
	if len(toks) > MaxIndexTokens {
		toks = toks[:MaxIndexTokens]
	}
	toks = append(toks, pathTokens(path)...)
	tokens := strings.Join(toks, " ")
	now := time.Now().UTC().Truncate(time.Microsecond)
	const upsert = `INSERT INTO search_docs (kind, ref_id, org_id, title, title_key, updated_at%s)
VALUES (?, ?, ?, ?, ?, ?%s)
ON CONFLICT (kind, ref_id) DO UPDATE SET org_id = excluded.org_id, title = excluded.title,
  title_key = excluded.title_key, updated_at = excluded.updated_at%s`
	args := []any{kind, refID, orgID, title, Normalize(title), now}
	if tx.Engine() == store.Postgres {
		q := fmt.Sprintf(upsert, ", tsv", ", array_to_tsvector(string_to_array(?, ' '))", ", tsv = excluded.tsv")
		if _, err := tx.Exec(ctx, q, append(args, tokens)...); err != nil {
			return fmt.Errorf("search: index %s %d: %w", kind, refID, err)
		}
		return nil
	}
	id, err := store.InsertID(ctx, tx, fmt.Sprintf(upsert, "", "", "")+" RETURNING id", args...)
	if err != nil {
		return fmt.Errorf("search: index %s %d: %w", kind, refID, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM search_fts WHERE rowid = ?`, id); err != nil {
		return fmt.Errorf("search: index %s %d: %w", kind, refID, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO search_fts (rowid, tokens) VALUES (?, ?)`, id, tokens); err != nil {
		return fmt.Errorf("search: index %s %d: %w", kind, refID, err)
	}
	return nil
}

// Remove drops the document of object (kind, refID) (on SQLite a trigger
// drops its FTS entry); removing one that is not indexed is not an error.
func Remove(ctx context.Context, tx *store.Tx, kind string, refID int64) error {
	if err := checkKind("kind", kind); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM search_docs WHERE kind = ? AND ref_id = ?`, kind, refID); err != nil {
		return fmt.Errorf("search: remove %s %d: %w", kind, refID, err)
	}
	return nil
}

// Target is one kind of document and the scope it is searched in: each
// kind of object has its own visibility (persons by jurisdiction, cases by
// the line's scope). Kind "" means every kind.
type Target struct {
	Kind  string
	Scope org.Scope
}

// Query returns the documents in scope sc that contain every token of q,
// optionally only of the given kinds, best first, with the total count. A
// query with no searchable characters returns no hits and no error.
func Query(ctx context.Context, db *store.DB, sc org.Scope, kinds []string, q string, limit, offset int) ([]Hit, int, error) {
	if len(kinds) > maxKindsInQuery {
		return nil, 0, &org.FieldError{Field: "kinds", Message: "类型过多"}
	}
	targets := []Target{{Scope: sc}}
	if len(kinds) > 0 {
		targets = targets[:0]
		for _, k := range kinds {
			targets = append(targets, Target{Kind: k, Scope: sc})
		}
	}
	return Search(ctx, db, targets, q, limit, offset)
}

// Search is Query with a scope per kind: a document matches when it holds
// every token of q and its kind and org fall under one of the targets.
// Targets with a zero scope are dropped.
func Search(ctx context.Context, db *store.DB, targets []Target, q string, limit, offset int) ([]Hit, int, error) {
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		return nil, 0, &org.FieldError{Field: "q", Message: fmt.Sprintf("搜索词过长（最多 %d 字）", MaxQueryRunes)}
	}
	if len(targets) > maxKindsInQuery {
		return nil, 0, &org.FieldError{Field: "kinds", Message: "类型过多"}
	}
	var live []Target
	for _, t := range targets {
		if t.Kind != "" {
			if err := checkKind("kinds", t.Kind); err != nil {
				return nil, 0, err
			}
		}
		if !t.Scope.IsZero() {
			live = append(live, t)
		}
	}
	if offset < 0 {
		return nil, 0, &org.FieldError{Field: "offset", Message: "偏移量不能为负"}
	}
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	toks, terms := QueryTokens(q)
	if len(toks) == 0 || len(live) == 0 {
		return nil, 0, nil
	}
	if len(toks) > MaxQueryTokens {
		return nil, 0, &org.FieldError{Field: "q", Message: "搜索词过长，请精简"}
	}
	if len(terms) > maxRankTerms {
		terms = terms[:maxRankTerms]
	}
	return query(ctx, db, live, toks, terms, limit, offset)
}

func query(ctx context.Context, db *store.DB, targets []Target, toks, terms []string, limit, offset int) ([]Hit, int, error) {
	// FROM/WHERE shared by the page and the count.
	var from string
	var args []any
	switch db.Engine {
	case store.SQLite:
		quoted := make([]string, len(toks))
		for i, t := range toks {
			quoted[i] = `"` + t + `"` // tokens hold only letters and digits
		}
		if st := scopeTokens(targets); len(st) > 0 {
			quoted = append(quoted, `("`+strings.Join(st, `" OR "`)+`")`)
		}
		// CROSS JOIN keeps the FTS match as the outer loop: otherwise the
		// planner may walk every document of the scope's orgs and probe the
		// full-text index once per document. The scope becomes a set of org
		// ids built once, saving an orgs lookup per hit.
		w, wargs := targetsWhere(targets, func(sc org.Scope) (string, []any) { return sc.OrgIn("d.org_id") })
		from = `FROM search_fts f CROSS JOIN search_docs d
WHERE search_fts MATCH ? AND d.id = f.rowid AND ` + w
		args = append(append(args, strings.Join(quoted, " AND ")), wargs...)
	default:
		quoted := make([]string, len(toks))
		for i, t := range toks {
			quoted[i] = "'" + t + "'"
		}
		if st := scopeTokens(targets); len(st) > 0 {
			quoted = append(quoted, "('"+strings.Join(st, "' | '")+"')")
		}
		w, wargs := targetsWhere(targets, func(sc org.Scope) (string, []any) { return sc.Where("o.path") })
		from = `FROM search_docs d JOIN orgs o ON o.id = d.org_id
WHERE d.tsv @@ CAST(? AS tsquery) AND ` + w
		args = append(append(args, strings.Join(quoted, " & ")), wargs...)
	}

	pos := "instr"
	if db.Engine == store.Postgres {
		pos = "strpos"
	}
	rank := make([]string, len(terms))
	rankArgs := make([]any, len(terms))
	for i, t := range terms {
		rank[i] = fmt.Sprintf("CASE WHEN %s(title_key, ?) > 0 THEN 1 ELSE 0 END", pos)
		rankArgs[i] = t
	}
	rankExpr := "(" + strings.Join(rank, " + ") + ")"
	if len(rank) == 0 {
		rankExpr = "0"
	}

	// Only the newest MaxHits+1 matches are read (newest = highest doc id,
	// the order FTS5 and the primary key deliver without sorting), so a
	// common word costs MaxHits row lookups, not one per match; they are
	// counted, the first MaxHits ranked and paged.
	sel := "d.id, d.kind, d.ref_id, d.org_id, d.title, d.title_key " + from
	if db.Engine == store.SQLite {
		sel += " ORDER BY f.rowid DESC"
	} else {
		sel += " ORDER BY d.id DESC"
	}
	page := `WITH c AS (SELECT ` + sel + ` LIMIT ?),
n AS (SELECT count(*) AS total FROM c),
k AS (SELECT id, kind, ref_id, org_id, title, ` + rankExpr + ` AS rnk FROM c ORDER BY id DESC LIMIT ?)
SELECT k.kind, k.ref_id, k.org_id, k.title, k.rnk, n.total FROM k CROSS JOIN n
ORDER BY k.rnk DESC, k.id DESC LIMIT ? OFFSET ?`
	pargs := append(append(append(append([]any{}, args...), MaxHits+1), rankArgs...), MaxHits, limit, offset)
	rows, err := db.Read().Query(ctx, page, pargs...)
	if err != nil {
		return nil, 0, fmt.Errorf("search: query: %w", err)
	}
	defer rows.Close()
	var hits []Hit
	total := -1
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.Kind, &h.RefID, &h.OrgID, &h.Title, &h.Rank, &total); err != nil {
			return nil, 0, fmt.Errorf("search: scan: %w", err)
		}
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("search: query: %w", err)
	}
	if total >= 0 || offset == 0 {
		return hits, max(total, 0), nil
	}
	// Past the last page: count separately.
	if err := db.Read().QueryRow(ctx, `SELECT count(*) FROM (SELECT `+sel+` LIMIT ?) c`, append(args, MaxHits+1)...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("search: count: %w", err)
	}
	return hits, total, nil
}

// targetsWhere ORs the (kind, scope) conditions of targets.
func targetsWhere(targets []Target, scope func(org.Scope) (string, []any)) (string, []any) {
	var conds []string
	var args []any
	for _, t := range targets {
		w, wargs := scope(t.Scope)
		if t.Kind != "" {
			w = "d.kind = ? AND " + w
			args = append(args, t.Kind)
		}
		conds = append(conds, "("+w+")")
		args = append(args, wargs...)
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// pathTokens are the scope tokens of every org on a materialized path
// ("/1/3/7/" → zzorg1 zzorg3 zzorg7): a document is found by the token of
// any org above it.
func pathTokens(path string) []string {
	var out []string
	for _, id := range strings.Split(strings.Trim(path, "/"), "/") {
		if id != "" {
			out = append(out, scopeToken(id))
		}
	}
	return out
}

// scopeTokens returns the tokens of the subtree roots of all targets, of
// which a document in scope holds at least one; nil when a target sees
// everything. The index does the scope filtering with them (a hit costs
// no row lookup to be rejected); the org condition in SQL stays, so a
// document whose tokens are stale can be missed but never leak.
func scopeTokens(targets []Target) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range targets {
		if t.Scope.IsSystem() {
			return nil
		}
		for _, p := range t.Scope.Paths() {
			parts := pathTokens(p)
			if len(parts) == 0 {
				return nil
			}
			if tok := parts[len(parts)-1]; !seen[tok] {
				seen[tok] = true
				out = append(out, tok)
			}
		}
	}
	return out
}
