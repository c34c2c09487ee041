package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// User is an account as administrators see it.
type User struct {
	ID          int64
	Username    string
	DisplayName string
	OrgID       int64
	OrgName     string
	OrgPath     string
	Title       string
	Kind        string
	MustChange  bool
	Disabled    bool
	FailedCount int
	LockedUntil *time.Time
	TOTPEnabled bool
	LastLoginAt *time.Time
	CreatedAt   time.Time
	Roles       []string
}

// Locked reports whether the account is locked at now.
func (u User) Locked(now time.Time) bool { return u.LockedUntil != nil && u.LockedUntil.After(now) }

// UserInput is what an administrator enters.
type UserInput struct {
	Username    string
	DisplayName string
	OrgID       int64
	Title       string
	Kind        string // human | service
	Roles       []string
	Password    string // initial password (create) — must satisfy the policy
}

var usernameRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{2,31}$`)

const userCols = `u.id, u.username, u.display_name, u.org_id, o.name, o.path, u.title, u.kind, u.must_change, u.disabled,
	u.failed_count, u.locked_until, u.totp_enabled, u.last_login_at, u.created_at`

func scanUser(sc interface{ Scan(...any) error }) (User, error) {
	var u User
	var locked, last sql.NullTime
	err := sc.Scan(&u.ID, &u.Username, &u.DisplayName, &u.OrgID, &u.OrgName, &u.OrgPath, &u.Title, &u.Kind, &u.MustChange, &u.Disabled,
		&u.FailedCount, &locked, &u.TOTPEnabled, &last, &u.CreatedAt)
	if locked.Valid {
		t := locked.Time
		u.LockedUntil = &t
	}
	if last.Valid {
		t := last.Time
		u.LastLoginAt = &t
	}
	return u, err
}

// managerScope is where actor may manage accounts: their jurisdiction, if
// they hold one of the account-administration permissions.
func managerScope(actor *Principal) org.Scope {
	if actor.Can(PermUserManage) || actor.Can(PermUserUnlock) || actor.Can(PermRoleManage) {
		return actor.Jurisdiction()
	}
	return org.Scope{}
}

// UserFilter selects users.
type UserFilter struct {
	OrgID  int64 // subtree
	Query  string
	Role   string
	Status string // "", "active", "disabled", "locked"
	Limit  int
	Offset int
}

// ListUsers lists users whose org lies in sc.
func (s *Service) ListUsers(ctx context.Context, sc org.Scope, f UserFilter) ([]User, int, error) {
	if f.OrgID != 0 {
		o, err := s.Orgs.Get(ctx, sc, f.OrgID)
		if err != nil {
			return nil, 0, err
		}
		sc = sc.Narrow(o.Path)
	}
	w, args := sc.Where("o.path")
	if f.Query != "" {
		w += ` AND (` + store.ILike(s.DB.Engine, "u.username") + ` OR ` + store.ILike(s.DB.Engine, "u.display_name") + `)`
		args = append(args, store.LikeContains(f.Query), store.LikeContains(f.Query))
	}
	if f.Role != "" {
		w += ` AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role_code = ?)`
		args = append(args, f.Role)
	}
	switch f.Status {
	case "active":
		w += ` AND u.disabled = FALSE`
	case "disabled":
		w += ` AND u.disabled = TRUE`
	case "locked":
		w += ` AND u.locked_until > ?`
		args = append(args, s.now())
	}
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 50
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT `+userCols+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE `+w+
		` ORDER BY o.path, u.username LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, err
	}
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			rows.Close()
			return nil, 0, err
		}
		out = append(out, u)
	}
	rows.Close()
	if err := s.fillRoles(ctx, out); err != nil {
		return nil, 0, err
	}
	return out, total, rows.Err()
}

func (s *Service) fillRoles(ctx context.Context, us []User) error {
	if len(us) == 0 {
		return nil
	}
	idx := map[int64]int{}
	args := make([]any, len(us))
	for i, u := range us {
		idx[u.ID] = i
		args[i] = u.ID
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT user_id, role_code FROM user_roles WHERE user_id IN (`+store.InList(len(us))+`) ORDER BY role_code`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code string
		if err := rows.Scan(&id, &code); err != nil {
			return err
		}
		us[idx[id]].Roles = append(us[idx[id]].Roles, code)
	}
	return rows.Err()
}

// GetUser returns a user whose org lies in sc.
func (s *Service) GetUser(ctx context.Context, sc org.Scope, id int64) (User, error) {
	return s.getUser(ctx, s.DB.Read(), sc, id)
}

func (s *Service) getUser(ctx context.Context, q store.Querier, sc org.Scope, id int64) (User, error) {
	w, args := sc.Where("o.path")
	u, err := scanUser(q.QueryRow(ctx, `SELECT `+userCols+` FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ? AND `+w, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, store.ErrNotFound
	}
	if err != nil {
		return User{}, err
	}
	us := []User{u}
	if err := s.fillRoles(ctx, us); err != nil {
		return User{}, err
	}
	return us[0], nil
}

// checkRoles enforces the separation of the three administrators and that
// only a security administrator hands out administrator roles.
func (s *Service) checkRoles(ctx context.Context, q store.Querier, actor *Principal, codes []string) error {
	if len(codes) == 0 {
		return &FieldError{"roles", "至少选择一个角色"}
	}
	kinds := map[string]string{}
	rows, err := q.Query(ctx, `SELECT code, kind FROM roles`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c, k string
		if err := rows.Scan(&c, &k); err != nil {
			rows.Close()
			return err
		}
		kinds[c] = k
	}
	rows.Close()
	admins := 0
	for _, c := range codes {
		k, ok := kinds[c]
		if !ok {
			return &FieldError{"roles", "未知角色：" + c}
		}
		if IsAdminKind(k) {
			admins++
			if actor != nil && !actor.Can(PermRoleManage) && actor.UserID != 0 {
				return &FieldError{"roles", "系统、安全、审计管理员角色只能由安全管理员授予"}
			}
		}
	}
	if admins > 0 && len(codes) > 1 {
		return &FieldError{"roles", "三权分立：系统管理员、安全管理员、审计管理员角色不能与其他任何角色同时授予同一账号"}
	}
	return nil
}

// CreateUser adds an account in actor's subtree. actor nil means the
// system (command line).
func (s *Service) CreateUser(ctx context.Context, actor *Principal, in UserInput) (User, error) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.Kind == "" {
		in.Kind = "human"
	}
	if !usernameRe.MatchString(in.Username) {
		return User{}, &FieldError{"username", "用户名应为3到32位小写字母、数字、点、下划线或减号"}
	}
	if in.DisplayName == "" {
		return User{}, &FieldError{"display_name", "姓名必填"}
	}
	if in.Kind != "human" && in.Kind != "service" {
		return User{}, &FieldError{"kind", "账号类型无效"}
	}
	sc := org.System()
	if actor != nil {
		if !actor.Can(PermUserManage) {
			return User{}, &ForbiddenError{"需要“用户管理”权限"}
		}
		sc = managerScope(actor)
	}
	var out User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		o, err := s.orgIn(ctx, tx, sc, in.OrgID)
		if err != nil {
			return err
		}
		_ = o
		if err := s.checkRoles(ctx, tx, actor, in.Roles); err != nil {
			return err
		}
		pol, err := LoadPolicy(ctx, tx)
		if err != nil {
			return err
		}
		if err := pol.CheckStrength(in.Password, in.Username, in.DisplayName); err != nil {
			return err
		}
		hash, err := HashPassword(in.Password, s.Argon)
		if err != nil {
			return err
		}
		now := s.now()
		id, err := store.InsertID(ctx, tx, `INSERT INTO users(username, display_name, org_id, title, kind, password_hash, password_changed_at, must_change, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id`, in.Username, in.DisplayName, in.OrgID, in.Title, in.Kind, hash, now, now, now)
		if store.IsUniqueViolation(err) {
			return &FieldError{"username", "用户名已被使用"}
		}
		if err != nil {
			return err
		}
		if err := s.setRoles(ctx, tx, id, in.Roles); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO password_history(user_id, hash, created_at) VALUES (?, ?, ?)`, id, hash, now); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "user.create", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: in.OrgID,
			Detail: "roles=" + strings.Join(in.Roles, ",")}); err != nil {
			return err
		}
		out, err = s.getUser(ctx, tx, org.System(), id)
		return err
	})
	return out, err
}

func (s *Service) orgIn(ctx context.Context, q store.Querier, sc org.Scope, orgID int64) (org.Org, error) {
	if orgID == 0 {
		return org.Org{}, &FieldError{"org_id", "请选择所属机构"}
	}
	o, err := s.Orgs.GetUnscoped(ctx, q, orgID)
	if err != nil || !sc.Contains(o.Path) {
		return org.Org{}, &FieldError{"org_id", "所属机构不存在或不在您的管辖范围内"}
	}
	if !o.Active {
		return org.Org{}, &FieldError{"org_id", "所属机构已停用"}
	}
	return o, nil
}

func (s *Service) setRoles(ctx context.Context, tx *store.Tx, userID int64, roles []string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_roles WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, r := range dedupe(roles) {
		if _, err := tx.Exec(ctx, `INSERT INTO user_roles(user_id, role_code) VALUES (?, ?)`, userID, r); err != nil {
			return err
		}
	}
	return nil
}

// UpdateUser changes name, org, title and roles.
func (s *Service) UpdateUser(ctx context.Context, actor *Principal, id int64, in UserInput) (User, error) {
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	if in.DisplayName == "" {
		return User{}, &FieldError{"display_name", "姓名必填"}
	}
	if !actor.Can(PermUserManage) {
		return User{}, &ForbiddenError{"需要“用户管理”权限"}
	}
	sc := managerScope(actor)
	var out User
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		cur, err := s.getUser(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if _, err := s.orgIn(ctx, tx, sc, in.OrgID); err != nil {
			return err
		}
		if err := s.checkRoles(ctx, tx, actor, in.Roles); err != nil {
			return err
		}
		// Taking an administrator role away also needs the security admin.
		if !sameSet(cur.Roles, in.Roles) && !actor.Can(PermRoleManage) {
			if err := s.checkRoles(ctx, tx, actor, cur.Roles); err != nil {
				return &FieldError{"roles", "该账号持有管理员角色，只有安全管理员可以修改其角色"}
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET display_name = ?, org_id = ?, title = ?, updated_at = ? WHERE id = ?`,
			in.DisplayName, in.OrgID, in.Title, s.now(), id); err != nil {
			return err
		}
		if !sameSet(cur.Roles, in.Roles) {
			if err := s.setRoles(ctx, tx, id, in.Roles); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "user.roles", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: in.OrgID,
				Detail: fmt.Sprintf("roles %s -> %s", strings.Join(cur.Roles, ","), strings.Join(dedupe(in.Roles), ","))}); err != nil {
				return err
			}
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "user.update", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: in.OrgID}); err != nil {
			return err
		}
		out, err = s.getUser(ctx, tx, org.System(), id)
		return err
	})
	return out, err
}

func sameSet(a, b []string) bool {
	a, b = dedupe(a), dedupe(b)
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// SetDisabled disables or enables an account; disabling ends its sessions.
func (s *Service) SetDisabled(ctx context.Context, actor *Principal, id int64, disabled bool) error {
	sc := org.System()
	if actor != nil {
		if !actor.Can(PermUserManage) {
			return &ForbiddenError{"需要“用户管理”权限"}
		}
		if actor.UserID == id {
			return &FieldError{"id", "不能停用自己的账号"}
		}
		sc = managerScope(actor)
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.getUser(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`, disabled, s.now(), id); err != nil {
			return err
		}
		if disabled {
			if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, s.now(), id); err != nil {
				return err
			}
		}
		act := "user.enable"
		if disabled {
			act = "user.disable"
		}
		return audit.Record(ctx, tx, audit.Event{Action: act, ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: u.OrgID})
	})
}

// Unlock clears a lock and the failure count (security administrator).
func (s *Service) Unlock(ctx context.Context, actor *Principal, id int64) error {
	sc := org.System()
	if actor != nil {
		if !actor.Can(PermUserUnlock) {
			return &ForbiddenError{"需要“解锁账号”权限"}
		}
		sc = managerScope(actor)
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.getUser(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET failed_count = 0, locked_until = NULL, updated_at = ? WHERE id = ?`, s.now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.unlock", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: u.OrgID})
	})
}

// ResetPassword sets a new initial password that must be changed at the
// next login, and ends the user's sessions.
func (s *Service) ResetPassword(ctx context.Context, actor *Principal, id int64, pw string) error {
	sc := org.System()
	if actor != nil {
		if !actor.Can(PermUserManage) {
			return &ForbiddenError{"需要“用户管理”权限"}
		}
		sc = managerScope(actor)
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		u, err := s.getUser(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, u, pw, true); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.reset_password", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: u.OrgID})
	})
}

// ChangeOwnPassword changes the signed-in user's password after checking
// the current one; other sessions of the user end.
func (s *Service) ChangeOwnPassword(ctx context.Context, p *Principal, current, next string) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		var hash string
		if err := tx.QueryRow(ctx, `SELECT password_hash FROM users WHERE id = ?`, p.UserID).Scan(&hash); err != nil {
			return err
		}
		if ok, _ := CheckPassword(current, hash, s.Argon); !ok {
			return &FieldError{"current", "当前密码不正确"}
		}
		u, err := s.getUser(ctx, tx, org.System(), p.UserID)
		if err != nil {
			return err
		}
		if err := s.setPassword(ctx, tx, u, next, false); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND id <> ?`, p.UserID, p.SessionID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.change_password", ObjectType: "user", ObjectID: strconv.FormatInt(p.UserID, 10)})
	})
}

func (s *Service) setPassword(ctx context.Context, tx *store.Tx, u User, pw string, mustChange bool) error {
	pol, err := LoadPolicy(ctx, tx)
	if err != nil {
		return err
	}
	if err := pol.CheckStrength(pw, u.Username, u.DisplayName); err != nil {
		return err
	}
	if pol.History > 0 {
		rows, err := tx.Query(ctx, `SELECT hash FROM password_history WHERE user_id = ? ORDER BY id DESC LIMIT ?`, u.ID, pol.History)
		if err != nil {
			return err
		}
		var old []string
		for rows.Next() {
			var h string
			if err := rows.Scan(&h); err != nil {
				rows.Close()
				return err
			}
			old = append(old, h)
		}
		rows.Close()
		for _, h := range old {
			if ok, _ := CheckPassword(pw, h, s.Argon); ok {
				return &FieldError{"password", fmt.Sprintf("不能使用最近%d次用过的密码", pol.History)}
			}
		}
	}
	hash, err := HashPassword(pw, s.Argon)
	if err != nil {
		return err
	}
	now := s.now()
	if _, err := tx.Exec(ctx, `UPDATE users SET password_hash = ?, password_changed_at = ?, must_change = ?, failed_count = 0, locked_until = NULL, updated_at = ? WHERE id = ?`,
		hash, now, mustChange, now, u.ID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO password_history(user_id, hash, created_at) VALUES (?, ?, ?)`, u.ID, hash, now)
	return err
}

// CountUsers counts active users in scope (home page figure).
func (s *Service) CountUsers(ctx context.Context, sc org.Scope) (int, error) {
	w, args := sc.Where("o.path")
	var n int
	err := s.DB.Read().QueryRow(ctx, `SELECT count(*) FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.disabled = FALSE AND `+w, args...).Scan(&n)
	return n, err
}

// FindUserID returns a user's id by username (command line).
func (s *Service) FindUserID(ctx context.Context, username string) (int64, error) {
	var id int64
	err := s.DB.Read().QueryRow(ctx, `SELECT id FROM users WHERE username = ?`, strings.ToLower(strings.TrimSpace(username))).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, store.ErrNotFound
	}
	return id, err
}

// SetUserRoles replaces a user's roles. It is the security
// administrator's task (role.manage): the one place where administrator
// roles can be handed out, since the system administrator who creates
// accounts may not grant them.
func (s *Service) SetUserRoles(ctx context.Context, actor *Principal, id int64, roles []string) error {
	if !actor.Can(PermRoleManage) {
		return &ForbiddenError{"需要“角色与权限”权限"}
	}
	if actor.UserID == id {
		return &FieldError{"roles", "不能修改自己的角色"}
	}
	sc := managerScope(actor)
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		cur, err := s.getUser(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		if err := s.checkRoles(ctx, tx, actor, roles); err != nil {
			return err
		}
		if err := s.setRoles(ctx, tx, id, roles); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET updated_at = ? WHERE id = ?`, s.now(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.roles", ObjectType: "user", ObjectID: strconv.FormatInt(id, 10), OrgID: cur.OrgID,
			Detail: fmt.Sprintf("roles %s -> %s", strings.Join(cur.Roles, ","), strings.Join(dedupe(roles), ","))})
	})
}
