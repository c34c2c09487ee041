// Package auth holds users, roles and permissions, password and session
// security, two-factor login and API tokens. Jurisdiction comes from the
// user's org (org.Store.ScopeOf); administration is split three ways
// (三权分立) and an administrator manages only their own subtree.
package auth

import (
	"embed"
	"io/fs"
	"time"

	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("auth", sub)
}

// Sealer encrypts small secrets at rest (TOTP seeds).
type Sealer interface {
	Seal(plain []byte) (string, error)
	Open(sealed string) ([]byte, error)
}

// Service is the auth component.
type Service struct {
	DB     *store.DB
	Orgs   *org.Store
	Argon  Argon2Params
	Sealer Sealer
	Now    func() time.Time
}

// New returns a Service with default parameters.
func New(db *store.DB, orgs *org.Store, sealer Sealer) *Service {
	return &Service{DB: db, Orgs: orgs, Argon: DefaultArgon2, Sealer: sealer, Now: func() time.Time { return time.Now().UTC() }}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// FieldError names the field that is wrong and what to do about it.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ErrForbidden is returned when the caller lacks the permission or the
// record lies outside what they may manage.
type ForbiddenError struct{ Reason string }

func (e *ForbiddenError) Error() string { return "forbidden: " + e.Reason }
