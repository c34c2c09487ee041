package ops

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// BootstrapInput describes the top organization of a new installation.
type BootstrapInput struct {
	Kind         org.Kind // org.Province, org.City or org.County
	Name         string   // e.g. 四川省司法厅
	DivisionCode string   // GB/T 2260, e.g. 510000
}

// Credential is a generated administrator account, shown once.
type Credential struct {
	Username, Role, Password string
}

// BootstrapResult is what Bootstrap created.
type BootstrapResult struct {
	Org      org.Org
	Accounts []Credential
}

// ErrNotEmpty is returned when the database already has organizations.
var ErrNotEmpty = errors.New("数据库中已有机构，拒绝初始化 (the database already has organizations; init only runs on an empty database)")

// bootstrapAdmins are the three separated administrators (三权分立).
var bootstrapAdmins = []struct{ username, role, name string }{
	{"sysadmin", "sysadmin", "系统管理员"},
	{"secadmin", "secadmin", "安全管理员"},
	{"auditadmin", "auditadmin", "审计管理员"},
}

// Bootstrap creates the top org and the system, security and audit
// administrators with random passwords that must be changed at first
// login. It refuses a database that already has an org. Inputs and the
// passwords are checked before anything is written; the org and each
// account are separate transactions because auth.Service.CreateUser
// owns its own.
func Bootstrap(ctx context.Context, db *store.DB, orgs *org.Store, svc *auth.Service, in BootstrapInput) (BootstrapResult, error) {
	var res BootstrapResult
	in.Name = strings.TrimSpace(in.Name)
	in.DivisionCode = strings.TrimSpace(in.DivisionCode)
	switch in.Kind {
	case org.Province, org.City, org.County:
	default:
		return res, &org.FieldError{Field: "kind", Message: "顶层机构类型应为 province、city 或 county"}
	}
	if in.Name == "" {
		return res, &org.FieldError{Field: "name", Message: "机构名称必填，例如 四川省司法厅"}
	}
	if err := org.ValidDivisionCode(in.Kind, in.DivisionCode); err != nil {
		return res, &org.FieldError{Field: "division", Message: err.Error()}
	}
	pol, err := auth.LoadPolicy(ctx, db.Read())
	if err != nil {
		return res, err
	}
	for _, a := range bootstrapAdmins {
		pw, err := RandomPassword(20)
		if err != nil {
			return res, err
		}
		if err := pol.CheckStrength(pw, a.username, a.name); err != nil {
			return res, fmt.Errorf("generated password rejected by policy: %w", err)
		}
		res.Accounts = append(res.Accounts, Credential{Username: a.username, Role: a.role, Password: pw})
	}
	err = db.Tx(ctx, func(tx *store.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM orgs`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrNotEmpty
		}
		if org.CanPlace(in.Kind, "") {
			res.Org, err = orgs.CreateTx(ctx, tx, org.System(), org.Input{Kind: in.Kind, Name: in.Name, DivisionCode: in.DivisionCode})
			return err
		}
		// A city or county installation has no province above it; the
		// org package only places provinces at the root, so insert the
		// root row here.
		now := org.Clock()
		id, err := store.InsertID(ctx, tx, `INSERT INTO orgs(kind, name, division_code, path, depth, created_at, updated_at)
			VALUES (?, ?, ?, ?, 1, ?, ?) RETURNING id`, string(in.Kind), in.Name, in.DivisionCode, "~bootstrap", now, now)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE orgs SET path = ? WHERE id = ?`, "/"+strconv.FormatInt(id, 10)+"/", id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "org.create", ObjectType: "org", ObjectID: strconv.FormatInt(id, 10), OrgID: id, Detail: "bootstrap"}); err != nil {
			return err
		}
		res.Org, err = orgs.GetUnscoped(ctx, tx, id)
		return err
	})
	if err != nil {
		return BootstrapResult{}, err
	}
	for i, a := range bootstrapAdmins {
		if _, err := svc.CreateUser(ctx, nil, auth.UserInput{Username: a.username, DisplayName: a.name, OrgID: res.Org.ID,
			Roles: []string{a.role}, Password: res.Accounts[i].Password}); err != nil {
			return res, fmt.Errorf("org %d created but account %s failed (finish with `fengqiao user create`): %w", res.Org.ID, a.username, err)
		}
	}
	return res, nil
}

const (
	pwUpper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	pwLower  = "abcdefghijkmnpqrstuvwxyz"
	pwDigit  = "23456789"
	pwSymbol = "@#%+=-_!?"
)

// RandomPassword returns n (≥ 8) characters from a crypto random source
// with at least one upper, lower, digit and symbol; look-alikes (O0, l1, I)
// are left out because the password is read off a terminal.
func RandomPassword(n int) (string, error) {
	if n < 8 {
		n = 8
	}
	all := pwUpper + pwLower + pwDigit + pwSymbol
	pick := func(set string) (byte, error) {
		i, err := rand.Int(rand.Reader, big.NewInt(int64(len(set))))
		if err != nil {
			return 0, err
		}
		return set[i.Int64()], nil
	}
	b := make([]byte, n)
	for i := range b {
		set := all
		if i < 4 {
			set = []string{pwUpper, pwLower, pwDigit, pwSymbol}[i]
		}
		c, err := pick(set)
		if err != nil {
			return "", err
		}
		b[i] = c
	}
	// Shuffle so the class order is not fixed.
	for i := len(b) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", err
		}
		b[i], b[j.Int64()] = b[j.Int64()], b[i]
	}
	return string(b), nil
}
