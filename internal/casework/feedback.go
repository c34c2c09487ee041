package casework

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// timeNow is the clock of SubmitFeedback (replaced in tests).
var timeNow = time.Now

// FeedbackTTL is how long a feedback link stays valid.
const FeedbackTTL = 90 * 24 * time.Hour

// MaxFeedbackAttempts bounds submissions per link (wrong input included),
// so a leaked link cannot be used to hammer the server.
const MaxFeedbackAttempts = 10

// Feedback errors; the public page shows them as they are.
var (
	ErrFeedbackInvalid  = errors.New("评价链接无效或已过期")
	ErrFeedbackUsed     = errors.New("该链接已评价过，感谢您的反馈")
	ErrFeedbackAttempts = errors.New("提交次数过多，该链接已锁定")
)

func hashToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// NewFeedbackLink creates a single-use token with which a party rates the
// handling of case id without an account. Only its hash is stored; the
// line shows the token as a URL or QR code. The actor needs "<line>.edit"
// in the owning org's scope.
func (s *Store) NewFeedbackLink(ctx context.Context, tx *store.Tx, sc org.Scope, id int64) (string, error) {
	c, t, err := loadOwned(ctx, tx, sc, id)
	if err != nil {
		return "", err
	}
	p, err := need(ctx, t.permEdit())
	if err != nil {
		return "", err
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b[:])
	now := s.now()
	if _, err := tx.Exec(ctx, `INSERT INTO case_feedback (case_id, token_hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		c.ID, hashToken(tok), nullID(p.UserID), now, now.Add(FeedbackTTL)); err != nil {
		return "", err
	}
	if err := addEvent(ctx, tx, c.ID, now, "feedback_link", "", "", "", nil, ""); err != nil {
		return "", err
	}
	return tok, audit.Record(ctx, tx, audit.Event{Action: "case.feedback_link", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID})
}

// SubmitFeedback records a party's rating (1–5) and comment. The token is
// the only authority: no account, no scope. Every submission counts as an
// attempt, committed even when the input is refused.
func SubmitFeedback(ctx context.Context, db *store.DB, token string, rating int, comment string) error {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 100 {
		return ErrFeedbackInvalid
	}
	now := timeNow().UTC().Truncate(time.Microsecond)
	var outcome error
	err := db.Tx(ctx, func(tx *store.Tx) error {
		var id, caseID, orgID int64
		var attempts int
		var rated sql.NullInt64
		var expires time.Time
		err := tx.QueryRow(ctx, `SELECT f.id, f.case_id, c.org_id, f.attempts, f.rating, f.expires_at FROM case_feedback f
			JOIN cases c ON c.id = f.case_id WHERE f.token_hash = ?`+store.ForUpdate(tx.Engine()), hashToken(token)).
			Scan(&id, &caseID, &orgID, &attempts, &rated, &expires)
		if errors.Is(err, sql.ErrNoRows) {
			outcome = ErrFeedbackInvalid
			return nil
		}
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE case_feedback SET attempts = attempts + 1 WHERE id = ?`, id); err != nil {
			return err
		}
		switch {
		case rated.Valid:
			outcome = ErrFeedbackUsed
		case now.After(expires):
			outcome = ErrFeedbackInvalid
		case attempts >= MaxFeedbackAttempts:
			outcome = ErrFeedbackAttempts
		case rating < 1 || rating > 5:
			outcome = fieldErr("rating", "请选择1到5星")
		case utf8.RuneCountInString(comment) > 1000:
			outcome = fieldErr("comment", "意见不超过1000字")
		}
		if outcome != nil {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE case_feedback SET rating = ?, comment = ?, rated_at = ? WHERE id = ?`,
			rating, strings.TrimSpace(comment), now, id); err != nil {
			return err
		}
		if err := addEvent(ctx, tx, caseID, now, "feedback", "", "", "", map[string]string{"rating": itoa(int64(rating))}, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "case.feedback", ObjectType: "case", ObjectID: itoa(caseID), OrgID: orgID,
			Detail: "rating=" + itoa(int64(rating))})
	})
	if err != nil {
		return err
	}
	return outcome
}

// FeedbackFilter selects cases for FeedbackStats.
type FeedbackFilter struct {
	Type  string
	OrgID int64 // subtree
	From  time.Time
	To    time.Time // exclusive; zero: no bound
}

// FeedbackStats summarises ratings.
type FeedbackStats struct {
	Links    int // links issued
	Rated    int // links used
	Average  float64
	ByRating [6]int // index 1..5
}

// FeedbackStats counts links and ratings of cases owned in sc; From/To bound the link creation time.
func (s *Store) FeedbackStats(ctx context.Context, sc org.Scope, f FeedbackFilter) (FeedbackStats, error) {
	var st FeedbackStats
	q := s.DB.Read()
	sc, err := narrow(ctx, q, sc, f.OrgID)
	if err != nil {
		return st, err
	}
	w, args := sc.OrgIn("c.org_id")
	conds := []string{w}
	if f.Type != "" {
		conds, args = append(conds, "c.type = ?"), append(args, f.Type)
	}
	if !f.From.IsZero() {
		conds, args = append(conds, "f.created_at >= ?"), append(args, f.From)
	}
	if !f.To.IsZero() {
		conds, args = append(conds, "f.created_at < ?"), append(args, f.To)
	}
	rows, err := q.Query(ctx, `SELECT COALESCE(f.rating, 0), count(*) FROM case_feedback f JOIN cases c ON c.id = f.case_id
		WHERE `+strings.Join(conds, " AND ")+` GROUP BY COALESCE(f.rating, 0)`, args...)
	if err != nil {
		return st, err
	}
	defer rows.Close()
	sum := 0
	for rows.Next() {
		var r, n int
		if err := rows.Scan(&r, &n); err != nil {
			return st, err
		}
		st.Links += n
		if r >= 1 && r <= 5 {
			st.ByRating[r] += n
			st.Rated += n
			sum += r * n
		}
	}
	if st.Rated > 0 {
		st.Average = float64(sum) / float64(st.Rated)
	}
	return st, rows.Err()
}
