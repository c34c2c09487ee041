package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/calendar"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Store reads and writes cases.
type Store struct {
	DB *store.DB
	// Cal counts working days; nil means calendar.Embedded().
	Cal *calendar.Calendar
	// Now is the clock (tests); nil means time.Now.
	Now func() time.Time
	// SoonDays: how many days ahead a deadline counts as due soon (default 3).
	SoonDays int
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

func (s *Store) cal() *calendar.Calendar {
	if s.Cal == nil {
		s.Cal = calendar.Embedded()
	}
	return s.Cal
}

func (s *Store) soonDays() int {
	if s.SoonDays > 0 {
		return s.SoonDays
	}
	return calendar.DefaultWatch.SoonDays
}

// Case is one case with its current deadlines.
type Case struct {
	ID            int64
	Type          string
	OrgID         int64
	OrgName       string
	OrgPath       string
	Number        string
	Year          int
	Seq           int64
	Title         string
	State         string
	HandlerUserID int64
	HandlerName   string
	TransferOrgID int64 // receiver of a pending transfer, 0 if none
	CreatedBy     int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	ClosedAt      time.Time // zero while open
	Version       int
	// Deadlines are filled by Get: running, paused and met ones.
	Deadlines []Deadline
}

// TypeDef returns the case's registered type (nil if not registered in
// this program).
func (c *Case) TypeDef() *Type { t, _ := Lookup(c.Type); return t }

// StateName is the Chinese name of the current state.
func (c *Case) StateName() string {
	if t := c.TypeDef(); t != nil {
		if st, ok := t.State(c.State); ok {
			return st.Name
		}
	}
	return c.State
}

// Errors.
var (
	// ErrConflict: the case changed since the caller read it (optimistic lock).
	ErrConflict = errors.New("案件已被他人修改，请刷新后重试")
	// ErrTransferPending: the case waits for the receiving org to decide.
	ErrTransferPending = errors.New("案件正在转办中，接收单位处理前不能办理")
)

// StateError: the transition is not allowed from the case's state.
type StateError struct {
	Transition, State string
}

func (e *StateError) Error() string {
	return fmt.Sprintf("当前状态（%s）不能执行“%s”", e.State, e.Transition)
}

func fieldErr(field, msg string) error { return &org.FieldError{Field: field, Message: msg} }

func forbidden(reason string) error { return &auth.ForbiddenError{Reason: reason} }

// need returns the principal if it holds perm.
func need(ctx context.Context, perm string) (*auth.Principal, error) {
	p := auth.FromContext(ctx)
	if p == nil {
		return nil, forbidden("未登录")
	}
	if !p.Can(perm) {
		return nil, forbidden("缺少权限 " + perm)
	}
	return p, nil
}

const caseCols = `c.id, c.type, c.org_id, o.name, o.path, c.number, c.year, c.seq, c.title, c.state,
	COALESCE(c.handler_user_id, 0), COALESCE(u.display_name, ''), COALESCE(c.transfer_org_id, 0), COALESCE(c.created_by, 0),
	c.created_at, c.updated_at, c.closed_at, c.version`

const caseFrom = ` FROM cases c JOIN orgs o ON o.id = c.org_id LEFT JOIN users u ON u.id = c.handler_user_id`

func scanCase(sc interface{ Scan(...any) error }) (*Case, error) {
	c := &Case{}
	var closed sql.NullTime
	err := sc.Scan(&c.ID, &c.Type, &c.OrgID, &c.OrgName, &c.OrgPath, &c.Number, &c.Year, &c.Seq, &c.Title, &c.State,
		&c.HandlerUserID, &c.HandlerName, &c.TransferOrgID, &c.CreatedBy, &c.CreatedAt, &c.UpdatedAt, &closed, &c.Version)
	if err != nil {
		return nil, err
	}
	if closed.Valid {
		c.ClosedAt = closed.Time
	}
	return c, nil
}

// visible is the scope condition on a case: owned by an org in scope, or
// offered to one by a pending transfer.
func visible(sc org.Scope) (string, []any) {
	w1, a1 := sc.OrgIn("c.org_id")
	w2, a2 := sc.OrgIn("c.transfer_org_id")
	return "(" + w1 + " OR " + w2 + ")", append(a1, a2...)
}

// load reads a case visible in sc through q.
func load(ctx context.Context, q store.Querier, sc org.Scope, id int64) (*Case, error) {
	w, args := visible(sc)
	c, err := scanCase(q.QueryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = ? AND `+w, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	return c, err
}

// loadOwned reads a case whose owning org is in sc (the receiver of a
// pending transfer may see it but not work on it).
func loadOwned(ctx context.Context, q store.Querier, sc org.Scope, id int64) (*Case, *Type, error) {
	c, err := load(ctx, q, sc, id)
	if err != nil {
		return nil, nil, err
	}
	if !sc.Contains(c.OrgPath) {
		return nil, nil, forbidden("案件不属于本单位")
	}
	t, ok := Lookup(c.Type)
	if !ok {
		return nil, nil, fmt.Errorf("casework: case type %q is not registered", c.Type)
	}
	return c, t, nil
}

// Get returns a case visible in sc with its deadlines.
func (s *Store) Get(ctx context.Context, sc org.Scope, id int64) (*Case, error) {
	c, err := load(ctx, s.DB.Read(), sc, id)
	if err != nil {
		return nil, err
	}
	c.Deadlines, err = s.deadlinesOf(ctx, s.DB.Read(), c.ID)
	return c, err
}

// OwnerOf reports the owning org of a case visible in sc; its shape fits
// the attachment owner registry (files.RegisterOwner).
func (s *Store) OwnerOf(ctx context.Context, sc org.Scope, id int64) (int64, bool) {
	c, err := load(ctx, s.DB.Read(), sc, id)
	if err != nil {
		return 0, false
	}
	return c.OrgID, true
}

// bump updates the case row under the optimistic lock and returns the new version.
func bump(ctx context.Context, tx *store.Tx, c *Case, now time.Time, set string, args ...any) error {
	q := `UPDATE cases SET ` + set + `, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`
	res, err := tx.Exec(ctx, q, append(args, now, c.ID, c.Version)...)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return ErrConflict
	}
	c.Version++
	c.UpdatedAt = now
	return nil
}

// actorID is the acting user's id (0 for the system).
func actorID(ctx context.Context) int64 {
	if p := auth.FromContext(ctx); p != nil {
		return p.UserID
	}
	return 0
}
