package casework

import (
	"context"
	"database/sql"
	"errors"
	"time"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Transfer states.
const (
	TransferPending  = "pending"
	TransferAccepted = "accepted"
	TransferReturned = "returned"
)

// Transfer is one hand-over of a case to another org (分流转办).
type Transfer struct {
	ID           int64
	CaseID       int64
	FromOrgID    int64
	ToOrgID      int64
	Reason       string
	State        string
	ByUserID     int64
	CreatedAt    time.Time
	DecidedBy    int64
	DecidedAt    time.Time
	ReturnReason string
}

func checkReason(field, s string) error {
	if trimmed(s) == "" {
		return fieldErr(field, "请填写理由")
	}
	if utf8.RuneCountInString(s) > 1000 {
		return fieldErr(field, "理由不超过1000字")
	}
	return nil
}

// Transfer offers case id to toOrgID. Until the receiver accepts or
// returns it, the case is visible to the receiver's scope and frozen for
// the sender. The actor needs "<line>.edit" in the owning org's scope;
// the receiver may be any active org (a case may go to a neighbouring
// county or up to the county centre).
func (s *Store) Transfer(ctx context.Context, tx *store.Tx, sc org.Scope, id, toOrgID int64, reason string) (*Transfer, error) {
	c, t, err := loadOwned(ctx, tx, sc, id)
	if err != nil {
		return nil, err
	}
	p, err := need(ctx, t.permEdit())
	if err != nil {
		return nil, err
	}
	if c.TransferOrgID != 0 {
		return nil, ErrTransferPending
	}
	if !c.ClosedAt.IsZero() {
		return nil, fieldErr("case", "已结案的案件不能转办")
	}
	if toOrgID == c.OrgID {
		return nil, fieldErr("to_org_id", "不能转给本单位")
	}
	if _, err := orgInScope(ctx, tx, org.System(), toOrgID); err != nil {
		return nil, fieldErr("to_org_id", "接收单位不存在或已停用")
	}
	if err := checkReason("reason", reason); err != nil {
		return nil, err
	}
	now := s.now()
	tid, err := store.InsertID(ctx, tx, `INSERT INTO case_transfers (case_id, from_org_id, to_org_id, reason, state, by_user_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.ID, c.OrgID, toOrgID, reason, TransferPending, nullID(p.UserID), now)
	if err != nil {
		return nil, err
	}
	if err := bump(ctx, tx, c, now, "transfer_org_id = ?", toOrgID); err != nil {
		return nil, err
	}
	if err := addEvent(ctx, tx, c.ID, now, "transfer", "", "", "", map[string]string{"to_org_id": itoa(toOrgID)}, reason); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "case.transfer", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID,
		Detail: "to_org_id=" + itoa(toOrgID)}); err != nil {
		return nil, err
	}
	return &Transfer{ID: tid, CaseID: c.ID, FromOrgID: c.OrgID, ToOrgID: toOrgID, Reason: reason, State: TransferPending,
		ByUserID: p.UserID, CreatedAt: now}, nil
}

// pendingFor loads the case and its pending transfer, checking that the
// receiver lies in sc and the actor holds "<line>.edit".
func (s *Store) pendingFor(ctx context.Context, tx *store.Tx, sc org.Scope, id int64) (*Case, *Transfer, error) {
	c, err := load(ctx, tx, sc, id)
	if err != nil {
		return nil, nil, err
	}
	t, ok := Lookup(c.Type)
	if !ok {
		return nil, nil, errors.New("casework: case type " + c.Type + " is not registered")
	}
	if _, err := need(ctx, t.permEdit()); err != nil {
		return nil, nil, err
	}
	if c.TransferOrgID == 0 {
		return nil, nil, fieldErr("transfer", "该案件没有待接收的转办")
	}
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, c.TransferOrgID).Scan(&path); err != nil {
		return nil, nil, err
	}
	if !sc.Contains(path) {
		return nil, nil, forbidden("只有接收单位可以接收或退回")
	}
	tr := &Transfer{}
	err = tx.QueryRow(ctx, `SELECT id, from_org_id, to_org_id, reason, COALESCE(by_user_id, 0), created_at FROM case_transfers
		WHERE case_id = ? AND state = ? ORDER BY id DESC LIMIT 1`, c.ID, TransferPending).
		Scan(&tr.ID, &tr.FromOrgID, &tr.ToOrgID, &tr.Reason, &tr.ByUserID, &tr.CreatedAt)
	if err != nil {
		return nil, nil, err
	}
	tr.CaseID, tr.State = c.ID, TransferPending
	return c, tr, nil
}

// AcceptTransfer makes the receiving org the owner of the case. The
// handler is cleared: the receiver assigns its own.
func (s *Store) AcceptTransfer(ctx context.Context, tx *store.Tx, sc org.Scope, id int64, note string) (*Case, error) {
	c, tr, err := s.pendingFor(ctx, tx, sc, id)
	if err != nil {
		return nil, err
	}
	p := actorID(ctx)
	now := s.now()
	if _, err := tx.Exec(ctx, `UPDATE case_transfers SET state = ?, decided_by = ?, decided_at = ? WHERE id = ?`,
		TransferAccepted, nullID(p), now, tr.ID); err != nil {
		return nil, err
	}
	if err := bump(ctx, tx, c, now, "org_id = ?, transfer_org_id = NULL, handler_user_id = NULL", tr.ToOrgID); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `UPDATE case_deadlines SET org_id = ? WHERE case_id = ?`, tr.ToOrgID, c.ID); err != nil {
		return nil, err
	}
	if err := IndexSearch(ctx, tx, c.ID); err != nil { // the new owner's scope finds it, the old one no longer
		return nil, err
	}
	if err := addEvent(ctx, tx, c.ID, now, "transfer_accept", "", "", "", map[string]string{"from_org_id": itoa(tr.FromOrgID)}, note); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "case.transfer_accept", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: tr.ToOrgID,
		Detail: "from_org_id=" + itoa(tr.FromOrgID)}); err != nil {
		return nil, err
	}
	return load(ctx, tx, sc, id)
}

// ReturnTransfer sends the case back to its owner with a reason.
func (s *Store) ReturnTransfer(ctx context.Context, tx *store.Tx, sc org.Scope, id int64, reason string) error {
	if err := checkReason("return_reason", reason); err != nil {
		return err
	}
	c, tr, err := s.pendingFor(ctx, tx, sc, id)
	if err != nil {
		return err
	}
	now := s.now()
	if _, err := tx.Exec(ctx, `UPDATE case_transfers SET state = ?, decided_by = ?, decided_at = ?, return_reason = ? WHERE id = ?`,
		TransferReturned, nullID(actorID(ctx)), now, reason, tr.ID); err != nil {
		return err
	}
	if err := bump(ctx, tx, c, now, "transfer_org_id = NULL"); err != nil {
		return err
	}
	if err := addEvent(ctx, tx, c.ID, now, "transfer_return", "", "", "", map[string]string{"to_org_id": itoa(tr.ToOrgID)}, reason); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "case.transfer_return", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: tr.ToOrgID,
		Detail: "owner_org_id=" + itoa(c.OrgID)})
}

// Transfers lists the transfers of a case visible in sc, oldest first.
func (s *Store) Transfers(ctx context.Context, sc org.Scope, id int64) ([]Transfer, error) {
	if _, err := load(ctx, s.DB.Read(), sc, id); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT id, case_id, from_org_id, to_org_id, reason, state, COALESCE(by_user_id, 0), created_at,
		COALESCE(decided_by, 0), decided_at, return_reason FROM case_transfers WHERE case_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Transfer
	for rows.Next() {
		var t Transfer
		var dec sql.NullTime
		if err := rows.Scan(&t.ID, &t.CaseID, &t.FromOrgID, &t.ToOrgID, &t.Reason, &t.State, &t.ByUserID, &t.CreatedAt,
			&t.DecidedBy, &dec, &t.ReturnReason); err != nil {
			return nil, err
		}
		t.DecidedAt = dec.Time
		out = append(out, t)
	}
	return out, rows.Err()
}
