package auth

import (
	"context"
	"database/sql"
	"errors"
	"regexp"
	"sort"
	"strings"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
)

// Role is a named set of permissions.
type Role struct {
	Code, Name, Kind, Note string
	Builtin                bool
	Perms                  []string
	Users                  int // filled by ListRoles
}

// adminPerms may only be held by the administrator role of their kind.
var adminPerms = map[string]string{
	PermOrgManage: KindSystem, PermUserManage: KindSystem, PermSettings: KindSystem,
	PermRoleManage: KindSecurity, PermUserUnlock: KindSecurity, PermSecurityPolicy: KindSecurity,
	PermAuditView: KindAudit, PermAuditExport: KindAudit,
}

// SeedRoles inserts the built-in roles. Administrator roles are reset to
// their shipped permissions on every start; business roles only when new,
// so a security administrator's changes survive upgrades.
func (s *Service) SeedRoles(ctx context.Context) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		for _, r := range BuiltinRoles {
			var n int
			if err := tx.QueryRow(ctx, `SELECT count(*) FROM roles WHERE code = ?`, r.Code).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				if _, err := tx.Exec(ctx, `INSERT INTO roles(code, name, kind, builtin, note) VALUES (?, ?, ?, TRUE, ?)`, r.Code, r.Name, r.Kind, r.Note); err != nil {
					return err
				}
			} else if !IsAdminKind(r.Kind) {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM role_permissions WHERE role_code = ?`, r.Code); err != nil {
				return err
			}
			for _, p := range r.Perms {
				if _, err := tx.Exec(ctx, `INSERT INTO role_permissions(role_code, perm) VALUES (?, ?)`, r.Code, p); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// ListRoles returns all roles with their permissions and user counts.
func (s *Service) ListRoles(ctx context.Context) ([]Role, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT r.code, r.name, r.kind, r.note, r.builtin,
		(SELECT count(*) FROM user_roles ur WHERE ur.role_code = r.code) FROM roles r ORDER BY r.builtin DESC, r.code`)
	if err != nil {
		return nil, err
	}
	var out []Role
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r.Code, &r.Name, &r.Kind, &r.Note, &r.Builtin, &r.Users); err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	perms, err := s.rolePerms(ctx, s.DB.Read())
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Perms = perms[out[i].Code]
	}
	// Keep the shipped order for built-in roles.
	order := map[string]int{}
	for i, b := range BuiltinRoles {
		order[b.Code] = i
	}
	sort.SliceStable(out, func(i, j int) bool {
		oi, iok := order[out[i].Code]
		oj, jok := order[out[j].Code]
		if iok && jok {
			return oi < oj
		}
		return iok && !jok
	})
	return out, nil
}

// GetRole returns one role.
func (s *Service) GetRole(ctx context.Context, code string) (Role, error) {
	roles, err := s.ListRoles(ctx)
	if err != nil {
		return Role{}, err
	}
	for _, r := range roles {
		if r.Code == code {
			return r, nil
		}
	}
	return Role{}, store.ErrNotFound
}

func (s *Service) rolePerms(ctx context.Context, q store.Querier) (map[string][]string, error) {
	rows, err := q.Query(ctx, `SELECT role_code, perm FROM role_permissions ORDER BY role_code, perm`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var c, p string
		if err := rows.Scan(&c, &p); err != nil {
			return nil, err
		}
		out[c] = append(out[c], p)
	}
	return out, rows.Err()
}

var roleCodeRe = regexp.MustCompile(`^[a-z][a-z0-9_]{2,31}$`)

// SaveRole creates or changes a business or service role (role.manage).
// Administrator roles and the administrator permissions are fixed.
func (s *Service) SaveRole(ctx context.Context, actor *Principal, r Role, create bool) error {
	if !actor.Can(PermRoleManage) {
		return &ForbiddenError{"需要“角色与权限”权限"}
	}
	r.Name = strings.TrimSpace(r.Name)
	if !roleCodeRe.MatchString(r.Code) {
		return &FieldError{"code", "角色代码应为3到32位小写字母、数字或下划线，以字母开头"}
	}
	if r.Name == "" {
		return &FieldError{"name", "角色名称必填"}
	}
	if r.Kind == "" {
		r.Kind = KindBusiness
	}
	if r.Kind != KindBusiness && r.Kind != KindService {
		return &FieldError{"kind", "只能新建或修改业务角色和服务账号角色"}
	}
	for _, p := range r.Perms {
		if !ValidPermission(p) {
			return &FieldError{"perms", "未知权限：" + p}
		}
		if _, admin := adminPerms[p]; admin {
			return &FieldError{"perms", "管理员权限只能由系统、安全、审计管理员角色持有：" + p}
		}
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		var kind string
		err := tx.QueryRow(ctx, `SELECT kind FROM roles WHERE code = ?`, r.Code).Scan(&kind)
		switch {
		case create && err == nil:
			return &FieldError{"code", "角色代码已存在"}
		case create && errors.Is(err, sql.ErrNoRows):
			if _, err := tx.Exec(ctx, `INSERT INTO roles(code, name, kind, builtin, note) VALUES (?, ?, ?, FALSE, ?)`, r.Code, r.Name, r.Kind, r.Note); err != nil {
				return err
			}
		case errors.Is(err, sql.ErrNoRows):
			return store.ErrNotFound
		case err != nil:
			return err
		default:
			if IsAdminKind(kind) {
				return &FieldError{"code", "管理员角色的权限不能修改"}
			}
			if _, err := tx.Exec(ctx, `UPDATE roles SET name = ?, note = ? WHERE code = ?`, r.Name, r.Note, r.Code); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM role_permissions WHERE role_code = ?`, r.Code); err != nil {
			return err
		}
		for _, p := range dedupe(r.Perms) {
			if _, err := tx.Exec(ctx, `INSERT INTO role_permissions(role_code, perm) VALUES (?, ?)`, r.Code, p); err != nil {
				return err
			}
		}
		act := "role.update"
		if create {
			act = "role.create"
		}
		return audit.Record(ctx, tx, audit.Event{Action: act, ObjectType: "role", ObjectID: r.Code, Detail: strings.Join(dedupe(r.Perms), " ")})
	})
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}
