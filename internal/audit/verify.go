package audit

import (
	"context"
	"database/sql"
	"fmt"

	"fengqiao/internal/store"
)

// VerifyResult reports a walk over the chain.
type VerifyResult struct {
	Rows      int64
	FirstSeq  int64
	LastSeq   int64
	BrokenSeq int64  // 0 when intact
	Problem   string // what is wrong at BrokenSeq
}

// OK reports whether the chain is intact.
func (r VerifyResult) OK() bool { return r.BrokenSeq == 0 && r.Problem == "" }

// Verify recomputes every row's hash in order, checks each row links to the
// previous one and that the head matches the last row. Rows before the
// first remaining one may have been pruned after retention; the first row
// is then trusted as the anchor.
func Verify(ctx context.Context, db *store.DB) (VerifyResult, error) {
	var res VerifyResult
	rows, err := db.Read().Query(ctx, `SELECT seq, at, COALESCE(actor_user_id, 0), actor_name, COALESCE(org_id, 0), action, object_type, object_id,
		COALESCE(person_id, 0), ip, user_agent, request_id, result, detail, prev_hash, hash FROM audit_log ORDER BY seq`)
	if err != nil {
		return res, err
	}
	defer rows.Close()
	var prev *Row
	for rows.Next() {
		var r Row
		if err := rows.Scan(&r.Seq, &r.At, &r.ActorUserID, &r.ActorName, &r.OrgID, &r.Action, &r.ObjectType, &r.ObjectID,
			&r.PersonID, &r.IP, &r.UserAgent, &r.RequestID, &r.Result, &r.Detail, &r.PrevHash, &r.Hash); err != nil {
			return res, err
		}
		res.Rows++
		if res.FirstSeq == 0 {
			res.FirstSeq = r.Seq
		}
		res.LastSeq = r.Seq
		if res.OK() {
			switch {
			case r.ComputeHash() != r.Hash:
				res.BrokenSeq, res.Problem = r.Seq, "内容与哈希不符(记录被修改)"
			case prev != nil && r.Seq != prev.Seq+1:
				res.BrokenSeq, res.Problem = r.Seq, fmt.Sprintf("序号不连续：%d 之后是 %d(中间记录被删除)", prev.Seq, r.Seq)
			case prev != nil && r.PrevHash != prev.Hash:
				res.BrokenSeq, res.Problem = r.Seq, "与上一条记录的哈希链接断开"
			}
		}
		rr := r
		prev = &rr
	}
	if err := rows.Err(); err != nil {
		return res, err
	}
	var headSeq int64
	var headHash string
	if err := db.Read().QueryRow(ctx, `SELECT last_seq, last_hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil && err != sql.ErrNoRows {
		return res, err
	}
	if res.OK() && prev != nil && (headSeq != prev.Seq || headHash != prev.Hash) {
		res.BrokenSeq, res.Problem = prev.Seq, fmt.Sprintf("链头记录为第 %d 条，但最后一条是第 %d 条(末尾记录被删除或链头被改)", headSeq, prev.Seq)
	}
	if res.OK() && prev == nil && headSeq != 0 {
		res.BrokenSeq, res.Problem = headSeq, "日志为空，但链头显示已有记录"
	}
	return res, nil
}
