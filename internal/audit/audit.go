// Package audit keeps the append-only, hash-chained log of who did what.
// Every write, login, permission change, export and read of sensitive
// personal data is recorded through Record, inside the transaction of the
// work it describes.
package audit

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("audit", sub)
}

// Actor is who acts and from where; request middleware puts it in the
// context.
type Actor struct {
	UserID    int64
	Username  string
	OrgID     int64
	IP        string
	UserAgent string
	RequestID string
}

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx (zero for the system).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Result values.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Event is one audited action. Detail must never hold personal data values:
// field names and ids only.
type Event struct {
	Action     string // e.g. "org.create", "auth.login", "person.reveal"
	ObjectType string
	ObjectID   string
	PersonID   int64 // the person concerned, if any
	OrgID      int64 // org of the object; defaults to the actor's org
	Result     string
	Detail     string
}

// Clock is replaceable in tests.
var Clock = func() time.Time { return time.Now() }

// Record appends e to the chain inside tx.
func Record(ctx context.Context, tx *store.Tx, e Event) error {
	a := ActorFrom(ctx)
	if e.Result == "" {
		e.Result = OK
	}
	if e.OrgID == 0 {
		e.OrgID = a.OrgID
	}
	var lastSeq int64
	var lastHash string
	if err := tx.QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_head WHERE id = 1`+store.ForUpdate(tx.Engine())).Scan(&lastSeq, &lastHash); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	r := Row{
		Seq: lastSeq + 1, At: Clock().UTC().Truncate(time.Microsecond),
		ActorUserID: a.UserID, ActorName: a.Username, OrgID: e.OrgID,
		Action: e.Action, ObjectType: e.ObjectType, ObjectID: e.ObjectID, PersonID: e.PersonID,
		IP: a.IP, UserAgent: truncate(a.UserAgent, 300), RequestID: a.RequestID,
		Result: e.Result, Detail: truncate(e.Detail, 1000), PrevHash: lastHash,
	}
	r.Hash = r.ComputeHash()
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log(seq, at, actor_user_id, actor_name, org_id, action, object_type, object_id, person_id, ip, user_agent, request_id, result, detail, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Seq, r.At, nullID(r.ActorUserID), r.ActorName, nullID(r.OrgID), r.Action, r.ObjectType, r.ObjectID, nullID(r.PersonID),
		r.IP, r.UserAgent, r.RequestID, r.Result, r.Detail, r.PrevHash, r.Hash); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET last_seq = ?, last_hash = ? WHERE id = 1`, r.Seq, r.Hash); err != nil {
		return fmt.Errorf("audit head update: %w", err)
	}
	return nil
}

// RecordAlone records e in a transaction of its own (reads, failed logins).
func RecordAlone(ctx context.Context, db *store.DB, e Event) error {
	return db.Tx(ctx, func(tx *store.Tx) error { return Record(ctx, tx, e) })
}

// Row is a stored audit row.
type Row struct {
	Seq         int64
	At          time.Time
	ActorUserID int64
	ActorName   string
	OrgID       int64
	Action      string
	ObjectType  string
	ObjectID    string
	PersonID    int64
	IP          string
	UserAgent   string
	RequestID   string
	Result      string
	Detail      string
	PrevHash    string
	Hash        string
}

// ComputeHash is SHA-256 over the previous hash and every field, each
// length-prefixed so that no two rows encode alike.
func (r Row) ComputeHash() string {
	h := sha256.New()
	for _, f := range []string{
		r.PrevHash, strconv.FormatInt(r.Seq, 10), r.At.UTC().Format(time.RFC3339Nano),
		strconv.FormatInt(r.ActorUserID, 10), r.ActorName, strconv.FormatInt(r.OrgID, 10),
		r.Action, r.ObjectType, r.ObjectID, strconv.FormatInt(r.PersonID, 10),
		r.IP, r.UserAgent, r.RequestID, r.Result, r.Detail,
	} {
		fmt.Fprintf(h, "%d:%s|", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !strings.HasSuffix(s, "") {
		s = s[:len(s)-1]
	}
	return strings.ToValidUTF8(s, "")
}
