package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
)

// Login errors. ErrBadCredentials is the one answer for an unknown user, a
// wrong password and a disabled account, so they cannot be told apart.
var (
	ErrBadCredentials = errors.New("用户名或密码错误")
	ErrThrottled      = errors.New("该地址登录失败次数过多，请稍后再试")
	ErrBadCode        = errors.New("动态验证码错误或已使用")
)

// LockedError says the account is locked; it is only returned when the
// password was right, so it reveals nothing to a guesser.
type LockedError struct{ Until time.Time }

func (e *LockedError) Error() string {
	return fmt.Sprintf("账号因多次登录失败已锁定，请于 %s 后再试，或联系安全管理员解锁", e.Until.In(shanghai).Format("15:04"))
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()

// LoginResult is a successful first step.
type LoginResult struct {
	Token     string
	Principal *Principal
	NeedsCode bool // TOTP required before the session is usable
}

// Login checks a username and password from ip. On success it creates a
// session (MFA-pending when the user has TOTP enabled).
func (s *Service) Login(ctx context.Context, username, password, ip, ua string) (*LoginResult, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	pol, err := LoadPolicy(ctx, s.DB.Read())
	if err != nil {
		return nil, err
	}
	if err := s.checkThrottle(ctx, ip, pol); err != nil {
		return nil, err
	}
	var id int64
	var hash string
	var disabled, totp bool
	var locked sql.NullTime
	err = s.DB.Read().QueryRow(ctx, `SELECT id, password_hash, disabled, locked_until, totp_enabled FROM users WHERE username = ?`, username).
		Scan(&id, &hash, &disabled, &locked, &totp)
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(password, dummyHash, s.Argon) // same cost as a real check
		s.failed(ctx, 0, username, ip, pol, "unknown user")
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, rehash := CheckPassword(password, hash, s.Argon)
	now := s.now()
	if locked.Valid && locked.Time.After(now) {
		s.failed(ctx, id, username, ip, pol, "locked")
		if ok {
			return nil, &LockedError{locked.Time}
		}
		return nil, ErrBadCredentials
	}
	if !ok || disabled {
		reason := "bad password"
		if disabled {
			reason = "disabled"
		}
		s.failed(ctx, id, username, ip, pol, reason)
		return nil, ErrBadCredentials
	}
	var res LoginResult
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if rehash {
			if h, err := HashPassword(password, s.Argon); err == nil {
				if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, h, id); err != nil {
					return err
				}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_count = 0, locked_until = NULL, last_login_at = ? WHERE id = ?`, now, id); err != nil {
			return err
		}
		tok, err := s.createSession(ctx, tx, id, ip, ua, totp, pol)
		if err != nil {
			return err
		}
		res.Token, res.NeedsCode = tok, totp
		act := "auth.login"
		if totp {
			act = "auth.password_ok"
		}
		return audit.Record(audit.WithActor(ctx, withUser(audit.ActorFrom(ctx), id, username)), tx,
			audit.Event{Action: act, ObjectType: "user", ObjectID: strconv.FormatInt(id, 10)})
	})
	if err != nil {
		return nil, err
	}
	p, err := s.Session(ctx, res.Token)
	if err != nil {
		return nil, err
	}
	res.Principal = p
	return &res, nil
}

func withUser(a audit.Actor, id int64, name string) audit.Actor {
	a.UserID, a.Username = id, name
	return a
}

// failed records a failure: the account's count (locking at the limit),
// the IP's count, and an audit row. Errors here must not change the answer.
func (s *Service) failed(ctx context.Context, id int64, username, ip string, pol Policy, reason string) {
	now := s.now()
	_ = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if id != 0 {
			var n int
			if err := tx.QueryRow(ctx, `UPDATE users SET failed_count = failed_count + 1 WHERE id = ? RETURNING failed_count`, id).Scan(&n); err != nil {
				return err
			}
			if n >= pol.MaxFailures && reason != "locked" {
				until := now.Add(time.Duration(pol.LockMinutes) * time.Minute)
				if _, err := tx.Exec(ctx, `UPDATE users SET locked_until = ?, failed_count = 0 WHERE id = ?`, until, id); err != nil {
					return err
				}
				if err := audit.Record(ctx, tx, audit.Event{Action: "auth.lock", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), Result: audit.Denied,
					Detail: fmt.Sprintf("locked %d minutes after %d failures", pol.LockMinutes, n)}); err != nil {
					return err
				}
			}
		}
		window := now.Add(-time.Duration(pol.IPWindowMinutes) * time.Minute)
		if _, err := tx.Exec(ctx, `INSERT INTO login_throttle(ip, window_start, failures) VALUES (?, ?, 1)
			ON CONFLICT (ip) DO UPDATE SET
			  failures = CASE WHEN login_throttle.window_start < ? THEN 1 ELSE login_throttle.failures + 1 END,
			  window_start = CASE WHEN login_throttle.window_start < ? THEN excluded.window_start ELSE login_throttle.window_start END`,
			ip, now, window, window); err != nil {
			return err
		}
		objID := ""
		if id != 0 {
			objID = strconv.FormatInt(id, 10)
		}
		// The attempted username is not stored for unknown users: it may be
		// a password typed into the wrong field.
		return audit.Record(ctx, tx, audit.Event{Action: "auth.login", ObjectType: "user", ObjectID: objID, Result: audit.Failed, Detail: reason})
	})
}

func (s *Service) checkThrottle(ctx context.Context, ip string, pol Policy) error {
	var start time.Time
	var n int
	err := s.DB.Read().QueryRow(ctx, `SELECT window_start, failures FROM login_throttle WHERE ip = ?`, ip).Scan(&start, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	if n >= pol.IPMaxFailures && s.now().Sub(start) < time.Duration(pol.IPWindowMinutes)*time.Minute {
		return ErrThrottled
	}
	return nil
}

// VerifyCode completes a login that waits for the second factor; on
// success the session is replaced by a fresh one (rotation).
func (s *Service) VerifyCode(ctx context.Context, p *Principal, code, ip, ua string) (string, error) {
	if !p.MFAPending {
		return "", errors.New("no second factor pending")
	}
	pol, err := LoadPolicy(ctx, s.DB.Read())
	if err != nil {
		return "", err
	}
	if err := s.checkThrottle(ctx, ip, pol); err != nil {
		return "", err
	}
	ok, err := s.checkTOTP(ctx, p.UserID, code)
	if err != nil {
		return "", err
	}
	if !ok {
		s.failed(ctx, p.UserID, p.Username, ip, pol, "bad second factor")
		return "", ErrBadCode
	}
	var tok string
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE id = ?`, p.SessionID); err != nil {
			return err
		}
		var err error
		if tok, err = s.createSession(ctx, tx, p.UserID, ip, ua, false, pol); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "auth.login", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10), Detail: "totp"})
	})
	return tok, err
}
