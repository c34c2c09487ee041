package auth

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"fengqiao/internal/store"
)

// Policy is the security policy profile. The defaults follow common MLPS
// level-3 (GB/T 22239-2019 8.1.4.1 身份鉴别) practice; a security
// administrator changes them (stored in settings).
type Policy struct {
	MinLength        int  `json:"min_length"`         // ≥ 8
	MinClasses       int  `json:"min_classes"`        // of upper, lower, digit, symbol
	History          int  `json:"history"`            // last N passwords may not be reused
	MaxAgeDays       int  `json:"max_age_days"`       // 0 = never expires
	MaxFailures      int  `json:"max_failures"`       // failures before lock
	LockMinutes      int  `json:"lock_minutes"`       //
	IPMaxFailures    int  `json:"ip_max_failures"`    // per IP in IPWindowMinutes
	IPWindowMinutes  int  `json:"ip_window_minutes"`  //
	IdleMinutes      int  `json:"idle_minutes"`       // session idle timeout
	AbsoluteHours    int  `json:"absolute_hours"`     // session absolute lifetime
	RequireTOTPStaff bool `json:"require_totp_staff"` // two factors for every human account
}

// DefaultPolicy is the shipped profile.
var DefaultPolicy = Policy{
	MinLength: 8, MinClasses: 3, History: 5, MaxAgeDays: 90,
	MaxFailures: 5, LockMinutes: 30, IPMaxFailures: 30, IPWindowMinutes: 15,
	IdleMinutes: 30, AbsoluteHours: 12, RequireTOTPStaff: false,
}

const policyKey = "security.policy"

// Validate checks that the profile does not fall below the MLPS floor.
func (p Policy) Validate() error {
	switch {
	case p.MinLength < 8:
		return &FieldError{"min_length", "密码最小长度不能小于8位"}
	case p.MinClasses < 3 || p.MinClasses > 4:
		return &FieldError{"min_classes", "密码至少包含的字符种类应为3或4"}
	case p.History < 0 || p.History > 24:
		return &FieldError{"history", "不可重复使用的历史密码数应在0到24之间"}
	case p.MaxAgeDays < 0 || p.MaxAgeDays > 365:
		return &FieldError{"max_age_days", "密码有效期应在0到365天之间(0为不过期)"}
	case p.MaxFailures < 3 || p.MaxFailures > 10:
		return &FieldError{"max_failures", "登录失败锁定次数应在3到10之间"}
	case p.LockMinutes < 10 || p.LockMinutes > 1440:
		return &FieldError{"lock_minutes", "锁定时长应在10到1440分钟之间"}
	case p.IPMaxFailures < 5:
		return &FieldError{"ip_max_failures", "同一IP失败次数上限不能小于5"}
	case p.IPWindowMinutes < 1 || p.IPWindowMinutes > 1440:
		return &FieldError{"ip_window_minutes", "IP限流时间窗应在1到1440分钟之间"}
	case p.IdleMinutes < 5 || p.IdleMinutes > 60:
		return &FieldError{"idle_minutes", "会话空闲超时应在5到60分钟之间"}
	case p.AbsoluteHours < 1 || p.AbsoluteHours > 24:
		return &FieldError{"absolute_hours", "会话最长时间应在1到24小时之间"}
	}
	return nil
}

// LoadPolicy reads the profile, falling back to DefaultPolicy.
func LoadPolicy(ctx context.Context, q store.Querier) (Policy, error) {
	var v string
	err := q.QueryRow(ctx, `SELECT value FROM settings WHERE key = ?`, policyKey).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPolicy, nil
	}
	if err != nil {
		return DefaultPolicy, err
	}
	p := DefaultPolicy
	if err := json.Unmarshal([]byte(v), &p); err != nil {
		return DefaultPolicy, fmt.Errorf("stored policy: %w", err)
	}
	return p, nil
}

// SavePolicy stores the profile (audited).
func SavePolicy(ctx context.Context, tx *store.Tx, p Policy, now time.Time) error {
	if err := p.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(p)
	_, err := tx.Exec(ctx, `INSERT INTO settings(key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, policyKey, string(b), now)
	return err
}

// CheckStrength applies the composition rules to a new password.
func (p Policy) CheckStrength(pw, username, displayName string) error {
	if len([]rune(pw)) < p.MinLength {
		return &FieldError{"password", fmt.Sprintf("密码至少%d位", p.MinLength)}
	}
	if len(pw) > 128 {
		return &FieldError{"password", "密码不能超过128个字符"}
	}
	var up, lo, dg, sy bool
	for _, r := range pw {
		switch {
		case unicode.IsUpper(r):
			up = true
		case unicode.IsLower(r):
			lo = true
		case unicode.IsDigit(r):
			dg = true
		default:
			sy = true
		}
	}
	n := 0
	for _, b := range []bool{up, lo, dg, sy} {
		if b {
			n++
		}
	}
	if n < p.MinClasses {
		return &FieldError{"password", fmt.Sprintf("密码须包含大写字母、小写字母、数字、符号中至少%d种", p.MinClasses)}
	}
	lpw := strings.ToLower(pw)
	if username != "" && strings.Contains(lpw, strings.ToLower(username)) {
		return &FieldError{"password", "密码不能包含用户名"}
	}
	if isCommonPassword(lpw) {
		return &FieldError{"password", "该密码过于常见，请换一个"}
	}
	return nil
}
