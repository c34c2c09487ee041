package audit

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"fengqiao/internal/store"
)

// Scope is the jurisdiction a reader of the log holds. org.Scope satisfies
// it; audit cannot import org (org records audit events), hence the
// interface.
type Scope interface {
	IsZero() bool
	IsSystem() bool
	Where(pathCol string) (string, []any)
	OrgIn(orgIDCol string) (string, []any)
}

// Filter selects audit rows. From is inclusive, To exclusive; zero times
// and empty strings mean no condition.
type Filter struct {
	From, To    time.Time
	ActorUserID int64
	Actor       string // username, exact
	Action      string // prefix: "user." or "user.create"
	ObjectType  string
	ObjectID    string
	PersonID    int64
	Result      string
	OrgID       int64 // the org's subtree
	UpToSeq     int64 // rows up to this sequence number (0: all), so an export holds exactly the rows counted
	Limit       int   // 0: no limit
	Offset      int
}

// where builds the condition over audit_log a for sc and f.
//
// Rows without an org (system jobs, failed logins of unknown user names,
// pruning) belong to no subtree: they are visible to the system scope and
// to a scope that covers every root of the org tree (the provincial
// auditor), never to a county.
func where(ctx context.Context, q store.Querier, sc Scope, f Filter) (string, []any, error) {
	if sc == nil || sc.IsZero() {
		return "1=0", nil, nil
	}
	var conds []string
	var args []any
	if sc.IsSystem() {
		conds = append(conds, "1=1")
	} else {
		in, inArgs := sc.OrgIn("a.org_id")
		w, wArgs := sc.Where("r.path")
		conds = append(conds, "("+in+" OR (a.org_id IS NULL AND NOT EXISTS (SELECT 1 FROM orgs r WHERE r.parent_id IS NULL AND NOT "+w+")))")
		args = append(append(args, inArgs...), wArgs...)
	}
	if !f.From.IsZero() {
		conds = append(conds, "a.at >= ?")
		args = append(args, f.From.UTC())
	}
	if !f.To.IsZero() {
		conds = append(conds, "a.at < ?")
		args = append(args, f.To.UTC())
	}
	if f.ActorUserID != 0 {
		conds = append(conds, "a.actor_user_id = ?")
		args = append(args, f.ActorUserID)
	}
	if f.Actor != "" {
		conds = append(conds, "a.actor_name = ?")
		args = append(args, f.Actor)
	}
	if f.Action != "" {
		// LIKE, not a range: action is not COLLATE "C" on PostgreSQL.
		conds = append(conds, `a.action LIKE ? ESCAPE '\'`)
		args = append(args, store.LikePrefix(f.Action))
	}
	if f.ObjectType != "" {
		conds = append(conds, "a.object_type = ?")
		args = append(args, f.ObjectType)
	}
	if f.ObjectID != "" {
		conds = append(conds, "a.object_id = ?")
		args = append(args, f.ObjectID)
	}
	if f.PersonID != 0 {
		conds = append(conds, "a.person_id = ?")
		args = append(args, f.PersonID)
	}
	if f.Result != "" {
		conds = append(conds, "a.result = ?")
		args = append(args, f.Result)
	}
	if f.UpToSeq != 0 {
		conds = append(conds, "a.seq <= ?")
		args = append(args, f.UpToSeq)
	}
	if f.OrgID != 0 {
		var path string
		err := q.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, f.OrgID).Scan(&path)
		if errors.Is(err, sql.ErrNoRows) {
			return "1=0", nil, nil
		}
		if err != nil {
			return "", nil, err
		}
		lo, hi := store.PrefixRange(path)
		conds = append(conds, "a.org_id IN (SELECT d.id FROM orgs d WHERE d.path >= ? AND d.path < ?)")
		args = append(args, lo, hi)
	}
	return strings.Join(conds, " AND "), args, nil
}

// Count returns how many rows in scope match f (Limit and Offset ignored).
func Count(ctx context.Context, db *store.DB, sc Scope, f Filter) (int, error) {
	q := db.Read()
	w, args, err := where(ctx, q, sc, f)
	if err != nil {
		return 0, err
	}
	var n int
	err = q.QueryRow(ctx, `SELECT count(*) FROM audit_log a WHERE `+w, args...).Scan(&n)
	return n, err
}

// Each calls fn for every row in scope matching f, newest first, with the
// name of the row's org ("" when it has none). Rows are streamed, not
// collected, so exports of many rows stay small in memory.
func Each(ctx context.Context, db *store.DB, sc Scope, f Filter, fn func(r Row, orgName string) error) error {
	q := db.Read()
	w, args, err := where(ctx, q, sc, f)
	if err != nil {
		return err
	}
	query := `SELECT a.seq, a.at, COALESCE(a.actor_user_id, 0), a.actor_name, COALESCE(a.org_id, 0), a.action, a.object_type,
		a.object_id, COALESCE(a.person_id, 0), a.ip, a.user_agent, a.request_id, a.result, a.detail, a.prev_hash, a.hash,
		COALESCE(o.name, '')
		FROM audit_log a LEFT JOIN orgs o ON o.id = a.org_id WHERE ` + w + ` ORDER BY a.seq DESC`
	if f.Limit > 0 {
		query += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, max(f.Offset, 0))
	}
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var r Row
		var name string
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorUserID, &r.ActorName, &r.OrgID, &r.Action, &r.ObjectType,
			&r.ObjectID, &r.PersonID, &r.IP, &r.UserAgent, &r.RequestID, &r.Result, &r.Detail, &r.PrevHash, &r.Hash, &name); err != nil {
			return err
		}
		if err := fn(r, name); err != nil {
			return err
		}
	}
	return rows.Err()
}

// Query returns one page of rows in scope matching f, newest first, and the
// total number matching. sc is an org.Scope.
func Query(ctx context.Context, db *store.DB, sc Scope, f Filter) ([]Row, int, error) {
	total, err := Count(ctx, db, sc, f)
	if err != nil || total == 0 {
		return nil, total, err
	}
	var out []Row
	err = Each(ctx, db, sc, f, func(r Row, _ string) error {
		out = append(out, r)
		return nil
	})
	return out, total, err
}

// LastSeq returns the sequence number of the newest row (0 when empty).
func LastSeq(ctx context.Context, db *store.DB) (int64, error) {
	var n int64
	err := db.Read().QueryRow(ctx, `SELECT last_seq FROM audit_head WHERE id = 1`).Scan(&n)
	return n, err
}
