package auth

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
)

// API tokens authenticate other systems (Authorization: Bearer fq_…). The
// token is shown once; only its SHA-256 is kept. A token acts as its user
// with at most the permissions listed on it.

// Token is a stored token without its secret.
type Token struct {
	ID         int64
	UserID     int64
	Name       string
	Prefix     string
	Perms      []string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

const tokenPrefix = "fq_"

// CreateToken issues a token for the principal's own account.
func (s *Service) CreateToken(ctx context.Context, p *Principal, name string, perms []string, ttl time.Duration) (string, Token, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return "", Token{}, &FieldError{"name", "令牌名称必填"}
	}
	if !p.Can(PermAPIToken) {
		return "", Token{}, &ForbiddenError{"需要“管理API令牌”权限"}
	}
	for _, x := range perms {
		if !p.Can(x) {
			return "", Token{}, &FieldError{"perms", "令牌权限不能超出本账号的权限：" + x}
		}
	}
	raw, err := newToken()
	if err != nil {
		return "", Token{}, err
	}
	tok := tokenPrefix + raw
	now := s.now()
	var exp any
	if ttl > 0 {
		exp = now.Add(ttl)
	}
	var out Token
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err := store.InsertID(ctx, tx, `INSERT INTO api_tokens(user_id, name, token_hash, prefix, perms, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			p.UserID, name, tokenHash(tok), tok[:10], strings.Join(dedupe(perms), " "), now, exp)
		if err != nil {
			return err
		}
		out = Token{ID: id, UserID: p.UserID, Name: name, Prefix: tok[:10], Perms: dedupe(perms), CreatedAt: now}
		return audit.Record(ctx, tx, audit.Event{Action: "token.create", ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10)})
	})
	return tok, out, err
}

// ListTokens lists the principal's tokens.
func (s *Service) ListTokens(ctx context.Context, p *Principal) ([]Token, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT id, user_id, name, prefix, perms, created_at, expires_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id DESC`, p.UserID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Token
	for rows.Next() {
		var t Token
		var perms string
		var exp, used, rev sql.NullTime
		if err := rows.Scan(&t.ID, &t.UserID, &t.Name, &t.Prefix, &perms, &t.CreatedAt, &exp, &used, &rev); err != nil {
			return nil, err
		}
		t.Perms = strings.Fields(perms)
		t.ExpiresAt, t.LastUsedAt, t.RevokedAt = nt(exp), nt(used), nt(rev)
		out = append(out, t)
	}
	return out, rows.Err()
}

func nt(v sql.NullTime) *time.Time {
	if !v.Valid {
		return nil
	}
	t := v.Time
	return &t
}

// RevokeToken revokes one of the principal's tokens.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, id int64) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`, s.now(), id, p.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return store.ErrNotFound
		}
		return audit.Record(ctx, tx, audit.Event{Action: "token.revoke", ObjectType: "api_token", ObjectID: strconv.FormatInt(id, 10)})
	})
}

// TokenPrincipal resolves a bearer token.
func (s *Service) TokenPrincipal(ctx context.Context, tok string) (*Principal, error) {
	if !strings.HasPrefix(tok, tokenPrefix) {
		return nil, ErrNoSession
	}
	var id, userID int64
	var perms string
	var exp, used, rev sql.NullTime
	err := s.DB.Read().QueryRow(ctx, `SELECT id, user_id, perms, expires_at, last_used_at, revoked_at FROM api_tokens WHERE token_hash = ?`, tokenHash(tok)).
		Scan(&id, &userID, &perms, &exp, &used, &rev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	if rev.Valid || (exp.Valid && now.After(exp.Time)) {
		return nil, ErrNoSession
	}
	p, err := s.LoadPrincipal(ctx, userID)
	if err != nil {
		return nil, ErrNoSession
	}
	if limit := strings.Fields(perms); len(limit) > 0 {
		keep := map[string]bool{}
		for _, x := range limit {
			if p.perms[x] {
				keep[x] = true
			}
		}
		p.perms = keep
	}
	p.TokenID = id
	p.MustChange, p.NeedsTOTP = false, false
	if !used.Valid || now.Sub(used.Time) > time.Minute {
		_, _ = s.DB.Exec(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, id)
	}
	return p, nil
}
