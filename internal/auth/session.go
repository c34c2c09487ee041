package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Sessions live in the database so every app node sees them. The cookie
// holds a random token; the table holds only its SHA-256.

// ErrNoSession means the token is unknown, expired or idle too long.
var ErrNoSession = errors.New("no valid session")

func newToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func tokenHash(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

func (s *Service) createSession(ctx context.Context, tx *store.Tx, userID int64, ip, ua string, mfaPending bool, pol Policy) (string, error) {
	tok, err := newToken()
	if err != nil {
		return "", err
	}
	now := s.now()
	_, err = tx.Exec(ctx, `INSERT INTO sessions(id, user_id, created_at, last_seen_at, expires_at, mfa_pending, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tokenHash(tok), userID, now, now, now.Add(time.Duration(pol.AbsoluteHours)*time.Hour), mfaPending, ip, truncateUA(ua))
	return tok, err
}

func truncateUA(ua string) string {
	if len(ua) > 300 {
		return ua[:300]
	}
	return ua
}

// touchEvery limits last_seen writes to one per minute per session.
const touchEvery = time.Minute

// Session resolves a cookie token into a principal, enforcing the idle and
// absolute timeouts.
func (s *Service) Session(ctx context.Context, tok string) (*Principal, error) {
	if tok == "" {
		return nil, ErrNoSession
	}
	id := tokenHash(tok)
	var userID int64
	var created, seen, expires time.Time
	var mfa bool
	err := s.DB.Read().QueryRow(ctx, `SELECT user_id, created_at, last_seen_at, expires_at, mfa_pending FROM sessions WHERE id = ?`, id).
		Scan(&userID, &created, &seen, &expires, &mfa)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, err
	}
	pol, err := LoadPolicy(ctx, s.DB.Read())
	if err != nil {
		return nil, err
	}
	now := s.now()
	if now.After(expires) || now.Sub(seen) > time.Duration(pol.IdleMinutes)*time.Minute {
		_, _ = s.DB.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, id)
		return nil, ErrNoSession
	}
	p, err := s.LoadPrincipal(ctx, userID)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, ErrNoSession
		}
		return nil, err
	}
	p.SessionID = id
	p.MFAPending = mfa
	if now.Sub(seen) > touchEvery {
		if _, err := s.DB.Exec(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id = ?`, now, id); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// LoadPrincipal builds the principal of an active user.
func (s *Service) LoadPrincipal(ctx context.Context, userID int64) (*Principal, error) {
	var p Principal
	var disabled bool
	var changed sql.NullTime
	q := s.DB.Read()
	err := q.QueryRow(ctx, `SELECT u.id, u.username, u.display_name, u.org_id, o.name, o.path, u.disabled, u.must_change, u.password_changed_at, u.lang
		FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?`, userID).
		Scan(&p.UserID, &p.Username, &p.DisplayName, &p.OrgID, &p.OrgName, &p.OrgPath, &disabled, &p.MustChange, &changed, &p.Lang)
	if errors.Is(err, sql.ErrNoRows) || disabled {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	pol, err := LoadPolicy(ctx, q)
	if err != nil {
		return nil, err
	}
	if pol.MaxAgeDays > 0 && changed.Valid && s.now().Sub(changed.Time) > time.Duration(pol.MaxAgeDays)*24*time.Hour {
		p.MustChange = true
	}
	rows, err := q.Query(ctx, `SELECT r.code, r.name, r.kind, rp.perm FROM user_roles ur JOIN roles r ON r.code = ur.role_code
		LEFT JOIN role_permissions rp ON rp.role_code = r.code WHERE ur.user_id = ? ORDER BY r.code`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	p.perms = map[string]bool{}
	for rows.Next() {
		var code, name, kind string
		var perm sql.NullString
		if err := rows.Scan(&code, &name, &kind, &perm); err != nil {
			return nil, err
		}
		if len(p.Roles) == 0 || p.Roles[len(p.Roles)-1].Code != code {
			p.Roles = append(p.Roles, Role{Code: code, Name: name, Kind: kind})
		}
		if perm.Valid {
			p.perms[perm.String] = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if pol.RequireTOTPStaff {
		// Enforced at login; here only remembered for the middleware.
		var enabled bool
		_ = q.QueryRow(ctx, `SELECT totp_enabled FROM users WHERE id = ?`, userID).Scan(&enabled)
		p.NeedsTOTP = !enabled
	}
	sc, err := s.Orgs.ScopeOf(ctx, p.OrgID)
	if err != nil {
		return nil, err
	}
	p.scope = sc
	return &p, nil
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, p.SessionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "auth.logout", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10)})
	})
}

// PurgeSessions deletes expired sessions (periodic job).
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	res, err := s.DB.Exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, s.now())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

var _ = org.System
