package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
)

// TOTP per RFC 6238 (HMAC-SHA1, 6 digits, 30-second steps, ±1 step of
// clock drift), compatible with common authenticator apps. A code is
// accepted once: the last used step is stored.

const totpStep = 30

func totpCode(secret []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, secret)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1_000_000)
}

// TOTPCode returns the code for secret at t (tests and enrolment checks).
func TOTPCode(secret []byte, t time.Time) string { return totpCode(secret, t.Unix()/totpStep) }

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// TOTPEnrolment is a new secret shown once to the user.
type TOTPEnrolment struct {
	Secret []byte
	Base32 string
	URI    string // otpauth:// URI for a QR code
}

// NewTOTP makes a secret for username.
func NewTOTP(issuer, username string) (TOTPEnrolment, error) {
	sec := make([]byte, 20)
	if _, err := rand.Read(sec); err != nil {
		return TOTPEnrolment{}, err
	}
	enc := b32.EncodeToString(sec)
	label := url.PathEscape(issuer + ":" + username)
	uri := fmt.Sprintf("otpauth://totp/%s?secret=%s&issuer=%s&algorithm=SHA1&digits=6&period=30", label, enc, url.QueryEscape(issuer))
	return TOTPEnrolment{Secret: sec, Base32: enc, URI: uri}, nil
}

// DecodeTOTPSecret parses the base32 text of a secret.
func DecodeTOTPSecret(s string) ([]byte, error) {
	return b32.DecodeString(strings.ToUpper(strings.ReplaceAll(s, " ", "")))
}

func matchStep(secret []byte, code string, now time.Time, after int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 {
		return 0, false
	}
	cur := now.Unix() / totpStep
	for _, d := range []int64{0, -1, 1} {
		st := cur + d
		if st <= after {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(totpCode(secret, st)), []byte(code)) == 1 {
			return st, true
		}
	}
	return 0, false
}

// EnableTOTP stores secret for the user after they proved they can
// generate a code from it.
func (s *Service) EnableTOTP(ctx context.Context, p *Principal, secret []byte, code string) error {
	st, ok := matchStep(secret, code, s.now(), 0)
	if !ok {
		return &FieldError{"code", "验证码不正确，请核对手机时间后重新输入"}
	}
	sealed, err := s.Sealer.Seal(secret)
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = ?, totp_enabled = TRUE, totp_last_step = ?, updated_at = ? WHERE id = ?`, sealed, st, s.now(), p.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.totp_enable", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10)})
	})
}

// DisableTOTP removes the second factor of a user (own account with the
// password, or a security administrator resetting a lost phone).
func (s *Service) DisableTOTP(ctx context.Context, actor *Principal, userID int64) error {
	if actor.UserID != userID && !actor.Can(PermUserUnlock) {
		return &ForbiddenError{"需要“解锁账号”权限"}
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if actor.UserID != userID {
			if _, err := s.getUser(ctx, tx, managerScope(actor), userID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET totp_secret = '', totp_enabled = FALSE, updated_at = ? WHERE id = ?`, s.now(), userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.totp_disable", ObjectType: "user", ObjectID: strconv.FormatInt(userID, 10)})
	})
}

func (s *Service) checkTOTP(ctx context.Context, userID int64, code string) (bool, error) {
	ok := false
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var sealed string
		var last int64
		if err := tx.QueryRow(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = ?`+store.ForUpdate(tx.Engine()), userID).Scan(&sealed, &last); err != nil {
			return err
		}
		secret, err := s.Sealer.Open(sealed)
		if err != nil {
			return err
		}
		st, match := matchStep(secret, code, s.now(), last)
		if !match {
			return nil
		}
		ok = true
		_, err = tx.Exec(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ?`, st, userID)
		return err
	})
	return ok, err
}
