// Package org holds the organization tree (province → city → county bureau
// → 司法所 → village/community, plus clusters and other bodies) and the
// jurisdiction Scope derived from it.
package org

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("org", sub)
}

// Kind is the kind of an org node.
type Kind string

const (
	Ministry       Kind = "ministry"
	Province       Kind = "province"
	City           Kind = "city"
	County         Kind = "county"
	Office         Kind = "office"  // 司法所
	Village        Kind = "village" // 村(社区)
	Cluster        Kind = "cluster" // 片区 / 大所带小所
	LegalAidCenter Kind = "legal_aid_center"
	Committee      Kind = "mediation_committee"
	Section        Kind = "section" // a business section of a bureau
	Other          Kind = "other"
)

// Kinds lists the kinds in display order with their Chinese names.
var Kinds = []struct {
	Kind Kind
	Name string
}{
	{Ministry, "司法部"}, {Province, "省司法厅"}, {City, "市司法局"}, {County, "县(区)司法局"},
	{Office, "司法所"}, {Village, "村(社区)"}, {Cluster, "片区"}, {LegalAidCenter, "法律援助中心"},
	{Committee, "人民调解委员会"}, {Section, "业务科室"}, {Other, "其他机构"},
}

// KindName returns the Chinese name of k.
func KindName(k Kind) string {
	for _, x := range Kinds {
		if x.Kind == k {
			return x.Name
		}
	}
	return string(k)
}

// allowedParents says under which kinds a kind may be placed.
var allowedParents = map[Kind][]Kind{
	Ministry:       {},
	Province:       {Ministry, ""},
	City:           {Province, ""},
	County:         {City, Province, ""},
	Office:         {County},
	Village:        {Office},
	Cluster:        {County},
	LegalAidCenter: {County, City, Province},
	Committee:      {Office, Village, County, City},
	Section:        {County, City, Province, Ministry},
	Other:          {Office, County, City, Province, Ministry},
}

// ValidKind reports whether k is a known kind.
func ValidKind(k Kind) bool { _, ok := allowedParents[k]; return ok }

// CanPlace reports whether a node of kind child may sit under parent
// (parent "" means the root).
func CanPlace(child, parent Kind) bool {
	for _, p := range allowedParents[child] {
		if p == parent {
			return true
		}
	}
	return false
}

// Org is one node.
type Org struct {
	ID           int64
	ParentID     int64
	Kind         Kind
	Name         string
	ShortName    string
	DivisionCode string
	Path         string
	Depth        int
	Sort         int
	Timezone     string
	Address      string
	Phone        string
	Active       bool
	LeadOrgID    int64 // clusters: the lead office
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ChildCount   int // filled by list queries
}

// KindName is the Chinese name of the node's kind.
func (o Org) KindName() string { return KindName(o.Kind) }

// FieldError names the field that is wrong and what to do.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Store reads and writes orgs.
type Store struct{ DB *store.DB }

// Clock is replaceable in tests.
var Clock = func() time.Time { return time.Now().UTC() }

const cols = `o.id, COALESCE(o.parent_id, 0), o.kind, o.name, o.short_name, o.division_code, o.path, o.depth, o.sort,
	o.timezone, o.address, o.phone, o.active, COALESCE(o.lead_org_id, 0), o.created_at, o.updated_at`

func scanOrg(sc interface{ Scan(...any) error }, extra ...any) (Org, error) {
	var o Org
	dst := []any{&o.ID, &o.ParentID, &o.Kind, &o.Name, &o.ShortName, &o.DivisionCode, &o.Path, &o.Depth, &o.Sort,
		&o.Timezone, &o.Address, &o.Phone, &o.Active, &o.LeadOrgID, &o.CreatedAt, &o.UpdatedAt}
	err := sc.Scan(append(dst, extra...)...)
	return o, err
}

// Get returns the org with id if it lies in scope.
func (s *Store) Get(ctx context.Context, sc Scope, id int64) (Org, error) {
	w, args := sc.Where("o.path")
	o, err := scanOrg(s.DB.Read().QueryRow(ctx, `SELECT `+cols+` FROM orgs o WHERE o.id = ? AND `+w, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, store.ErrNotFound
	}
	return o, err
}

// GetUnscoped loads an org for building a caller's own scope (login).
// It is not for business data.
func (s *Store) GetUnscoped(ctx context.Context, q store.Querier, id int64) (Org, error) {
	o, err := scanOrg(q.QueryRow(ctx, `SELECT `+cols+` FROM orgs o WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, store.ErrNotFound
	}
	return o, err
}

// ScopeOf returns the jurisdiction of a user whose home org is orgID: the
// org's subtree plus the subtrees of the member offices of every cluster
// whose lead office is that org.
func (s *Store) ScopeOf(ctx context.Context, orgID int64) (Scope, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT o.path FROM orgs o WHERE o.id = ?
		UNION SELECT m.path FROM orgs c JOIN org_cluster_members cm ON cm.cluster_id = c.id JOIN orgs m ON m.id = cm.member_id
		WHERE c.lead_org_id = ? AND c.active = TRUE`, orgID, orgID)
	if err != nil {
		return Scope{}, err
	}
	defer rows.Close()
	var paths []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return Scope{}, err
		}
		paths = append(paths, p)
	}
	return NewScope(paths...), rows.Err()
}

// Children lists the direct children of parentID (0: the roots of scope).
func (s *Store) Children(ctx context.Context, sc Scope, parentID int64) ([]Org, error) {
	w, args := sc.Where("o.path")
	q := `SELECT ` + cols + `, (SELECT count(*) FROM orgs c WHERE c.parent_id = o.id) FROM orgs o WHERE ` + w
	if parentID == 0 {
		// The shallowest visible nodes: those whose parent is out of scope.
		q += ` AND (o.parent_id IS NULL OR NOT EXISTS (SELECT 1 FROM orgs p WHERE p.id = o.parent_id AND ` + strings.ReplaceAll(w, "o.path", "p.path") + `))`
		args = append(args, args...)
	} else {
		q += ` AND o.parent_id = ?`
		args = append(args, parentID)
	}
	q += ` ORDER BY o.sort, o.division_code, o.id`
	return s.list(ctx, q, args, true)
}

// Filter selects orgs in a subtree listing.
type Filter struct {
	Under  int64 // subtree root; 0 = whole scope
	Kind   Kind
	Query  string // name or division code contains
	Active *bool
	Limit  int
	Offset int
}

// List returns orgs in scope matching f, ordered by path, and the total.
func (s *Store) List(ctx context.Context, sc Scope, f Filter) ([]Org, int, error) {
	if f.Under != 0 {
		root, err := s.Get(ctx, sc, f.Under)
		if err != nil {
			return nil, 0, err
		}
		sc = sc.Narrow(root.Path)
	}
	w, args := sc.Where("o.path")
	where := w
	if f.Kind != "" {
		where += ` AND o.kind = ?`
		args = append(args, string(f.Kind))
	}
	if f.Query != "" {
		where += ` AND (` + store.ILike(s.DB.Engine, "o.name") + ` OR o.division_code LIKE ? ESCAPE '\')`
		args = append(args, store.LikeContains(f.Query), store.LikePrefix(f.Query))
	}
	if f.Active != nil {
		where += ` AND o.active = ?`
		args = append(args, *f.Active)
	}
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*) FROM orgs o WHERE `+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	// Division codes are hierarchical (GB/T 2260), so they order a listing
	// the way people read it; nodes without a code follow, by depth.
	q := `SELECT ` + cols + `, (SELECT count(*) FROM orgs c WHERE c.parent_id = o.id) FROM orgs o WHERE ` + where +
		` ORDER BY CASE WHEN o.division_code = '' THEN 1 ELSE 0 END, o.division_code, o.depth, o.sort, o.id LIMIT ? OFFSET ?`
	out, err := s.list(ctx, q, append(args, f.Limit, f.Offset), true)
	return out, total, err
}

// Ancestors returns the chain from the root to o (inclusive), limited to
// nodes in scope, for breadcrumbs.
func (s *Store) Ancestors(ctx context.Context, sc Scope, o Org) ([]Org, error) {
	ids := pathIDs(o.Path)
	if len(ids) == 0 {
		return nil, nil
	}
	w, args := sc.Where("o.path")
	args2 := make([]any, 0, len(ids)+len(args))
	for _, id := range ids {
		args2 = append(args2, id)
	}
	return s.list(ctx, `SELECT `+cols+` FROM orgs o WHERE o.id IN (`+store.InList(len(ids))+`) AND `+w+` ORDER BY o.depth`, append(args2, args...), false)
}

func pathIDs(p string) []int64 {
	var ids []int64
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}

func (s *Store) list(ctx context.Context, q string, args []any, withCount bool) ([]Org, error) {
	rows, err := s.DB.Read().Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Org
	for rows.Next() {
		var o Org
		var err error
		if withCount {
			var n int
			o, err = scanOrg(rows, &n)
			o.ChildCount = n
		} else {
			o, err = scanOrg(rows)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

// CountByKind counts active orgs of each kind in scope (home page figures).
func (s *Store) CountByKind(ctx context.Context, sc Scope) (map[Kind]int, error) {
	w, args := sc.Where("o.path")
	rows, err := s.DB.Read().Query(ctx, `SELECT o.kind, count(*) FROM orgs o WHERE o.active = TRUE AND `+w+` GROUP BY o.kind`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[Kind]int{}
	for rows.Next() {
		var k Kind
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, err
		}
		out[k] = n
	}
	return out, rows.Err()
}

// Input is what a user enters for a node.
type Input struct {
	ParentID     int64
	Kind         Kind
	Name         string
	ShortName    string
	DivisionCode string
	Sort         int
	Address      string
	Phone        string
	LeadOrgID    int64
}

var divisionRe = regexp.MustCompile(`^(\d{6}|\d{9}|\d{12})$`)

// ValidDivisionCode checks a GB/T 2260 code: 6 digits for province, city
// and county, 9 for a township, 12 for a village; a province code ends in
// 0000 and a city code in 00.
func ValidDivisionCode(k Kind, code string) error {
	if code == "" {
		switch k {
		case Province, City, County, Office, Village:
			return errors.New("行政区划代码必填")
		}
		return nil
	}
	want := map[Kind]int{Province: 6, City: 6, County: 6, Office: 9, Village: 12}[k]
	if want != 0 && len(code) != want && isDigits(code) {
		return fmt.Errorf("%s的行政区划代码应为%d位数字(现为%d位)", KindName(k), want, len(code))
	}
	if !divisionRe.MatchString(code) {
		return errors.New("行政区划代码应为6位(省、市、县)、9位(乡镇街道)或12位(村、社区)数字")
	}
	switch k {
	case Province:
		if len(code) != 6 || code[2:] != "0000" {
			return errors.New("省级行政区划代码应为6位且以0000结尾")
		}
	case City:
		if len(code) != 6 || code[4:] != "00" || code[2:4] == "00" {
			return errors.New("市级行政区划代码应为6位且以00结尾")
		}
	case County:
		if len(code) != 6 || code[4:] == "00" {
			return errors.New("县级行政区划代码应为6位且末两位不为00")
		}
	case Office:
		if len(code) != 9 {
			return errors.New("司法所应填所在乡镇(街道)的9位行政区划代码")
		}
	case Village:
		if len(code) != 12 {
			return errors.New("村(社区)行政区划代码应为12位")
		}
	}
	return nil
}

func (in *Input) validate() error {
	in.Name = strings.TrimSpace(in.Name)
	in.DivisionCode = strings.TrimSpace(in.DivisionCode)
	if !ValidKind(in.Kind) {
		return &FieldError{"kind", "机构类型无效"}
	}
	if in.Name == "" {
		return &FieldError{"name", "名称必填"}
	}
	if len([]rune(in.Name)) > 100 {
		return &FieldError{"name", "名称不能超过100字"}
	}
	if err := ValidDivisionCode(in.Kind, in.DivisionCode); err != nil {
		return &FieldError{"division_code", err.Error()}
	}
	return nil
}

// checkParentCode: a child's division code must lie under its parent's.
func checkParentCode(parent Org, in Input) error {
	if in.DivisionCode == "" || parent.DivisionCode == "" {
		return nil
	}
	pc := strings.TrimRight(parent.DivisionCode, "0")
	if parent.Kind == Province {
		pc = parent.DivisionCode[:2]
	} else if parent.Kind == City {
		pc = parent.DivisionCode[:4]
	}
	if !strings.HasPrefix(in.DivisionCode, pc) {
		return &FieldError{"division_code", fmt.Sprintf("行政区划代码 %s 不在上级 %s(%s)之下", in.DivisionCode, parent.Name, parent.DivisionCode)}
	}
	return nil
}

// Create adds a node under in.ParentID, which must be in scope (a root node
// needs the system scope).
func (s *Store) Create(ctx context.Context, sc Scope, in Input) (Org, error) {
	if err := in.validate(); err != nil {
		return Org{}, err
	}
	var out Org
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		out, err = s.CreateTx(ctx, tx, sc, in)
		return err
	})
	return out, err
}

// CreateTx is Create inside a caller's transaction (imports).
func (s *Store) CreateTx(ctx context.Context, tx *store.Tx, sc Scope, in Input) (Org, error) {
	if err := in.validate(); err != nil {
		return Org{}, err
	}
	now := Clock()
	var parent Org
	parentKind := Kind("")
	if in.ParentID != 0 {
		p, err := s.getTx(ctx, tx, sc, in.ParentID)
		if err != nil {
			return Org{}, &FieldError{"parent_id", "上级机构不存在或不在您的管辖范围内"}
		}
		parent, parentKind = p, p.Kind
		if err := checkParentCode(parent, in); err != nil {
			return Org{}, err
		}
	} else if !sc.IsSystem() {
		return Org{}, &FieldError{"parent_id", "请选择上级机构"}
	}
	if !CanPlace(in.Kind, parentKind) {
		return Org{}, &FieldError{"kind", fmt.Sprintf("%s不能设在%s之下", KindName(in.Kind), kindOrRoot(parentKind))}
	}
	if in.LeadOrgID != 0 {
		if err := s.checkLead(ctx, tx, sc, in); err != nil {
			return Org{}, err
		}
	}
	// The path needs the id: insert with a unique placeholder, then set it.
	tmp := fmt.Sprintf("~%d~%s", now.UnixNano(), in.Name)
	id, err := store.InsertID(ctx, tx, `INSERT INTO orgs(parent_id, kind, name, short_name, division_code, path, depth, sort, address, phone, lead_org_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		nullID(in.ParentID), string(in.Kind), in.Name, in.ShortName, in.DivisionCode, tmp, parent.Depth+1, in.Sort, in.Address, in.Phone, nullID(in.LeadOrgID), now, now)
	if err != nil {
		return Org{}, err
	}
	path := parent.Path + strconv.FormatInt(id, 10) + "/"
	if parent.Path == "" {
		path = "/" + strconv.FormatInt(id, 10) + "/"
	}
	if _, err := tx.Exec(ctx, `UPDATE orgs SET path = ? WHERE id = ?`, path, id); err != nil {
		return Org{}, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "org.create", ObjectType: "org", ObjectID: strconv.FormatInt(id, 10), OrgID: id}); err != nil {
		return Org{}, err
	}
	return s.GetUnscoped(ctx, tx, id)
}

func kindOrRoot(k Kind) string {
	if k == "" {
		return "最顶层"
	}
	return KindName(k)
}

func (s *Store) checkLead(ctx context.Context, tx *store.Tx, sc Scope, in Input) error {
	if in.Kind != Cluster {
		return &FieldError{"lead_org_id", "只有片区可以设置牵头司法所"}
	}
	lead, err := s.getTx(ctx, tx, sc, in.LeadOrgID)
	if err != nil || lead.Kind != Office {
		return &FieldError{"lead_org_id", "牵头单位必须是您管辖范围内的司法所"}
	}
	return nil
}

func (s *Store) getTx(ctx context.Context, q store.Querier, sc Scope, id int64) (Org, error) {
	w, args := sc.Where("o.path")
	o, err := scanOrg(q.QueryRow(ctx, `SELECT `+cols+` FROM orgs o WHERE o.id = ? AND `+w, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Org{}, store.ErrNotFound
	}
	return o, err
}

// Update changes a node's own fields (not its place in the tree).
func (s *Store) Update(ctx context.Context, sc Scope, id int64, in Input) (Org, error) {
	var out Org
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		cur, err := s.getTx(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		in.Kind = cur.Kind
		if err := in.validate(); err != nil {
			return err
		}
		if cur.ParentID != 0 {
			if p, err := s.GetUnscoped(ctx, tx, cur.ParentID); err == nil {
				if err := checkParentCode(p, in); err != nil {
					return err
				}
			}
		}
		if in.LeadOrgID != 0 {
			if err := s.checkLead(ctx, tx, sc, in); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE orgs SET name = ?, short_name = ?, division_code = ?, sort = ?, address = ?, phone = ?, lead_org_id = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.ShortName, in.DivisionCode, in.Sort, in.Address, in.Phone, nullID(in.LeadOrgID), Clock(), id); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "org.update", ObjectType: "org", ObjectID: strconv.FormatInt(id, 10), OrgID: id}); err != nil {
			return err
		}
		out, err = s.GetUnscoped(ctx, tx, id)
		return err
	})
	return out, err
}

// SetActive enables or disables a node (orgs are never deleted: records
// point at them).
func (s *Store) SetActive(ctx context.Context, sc Scope, id int64, active bool) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := s.getTx(ctx, tx, sc, id); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE orgs SET active = ?, updated_at = ? WHERE id = ?`, active, Clock(), id); err != nil {
			return err
		}
		act := "org.disable"
		if active {
			act = "org.enable"
		}
		return audit.Record(ctx, tx, audit.Event{Action: act, ObjectType: "org", ObjectID: strconv.FormatInt(id, 10), OrgID: id})
	})
}

// Move places node id under newParentID; the whole subtree moves with it
// and so every record scoped by path follows.
func (s *Store) Move(ctx context.Context, sc Scope, id, newParentID int64) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		n, err := s.getTx(ctx, tx, sc, id)
		if err != nil {
			return err
		}
		p, err := s.getTx(ctx, tx, sc, newParentID)
		if err != nil {
			return &FieldError{"parent_id", "新的上级机构不存在或不在您的管辖范围内"}
		}
		if strings.HasPrefix(p.Path, n.Path) {
			return &FieldError{"parent_id", "不能移到自己或自己的下级之下"}
		}
		if !CanPlace(n.Kind, p.Kind) {
			return &FieldError{"parent_id", fmt.Sprintf("%s不能设在%s之下", KindName(n.Kind), KindName(p.Kind))}
		}
		newPath := p.Path + strconv.FormatInt(n.ID, 10) + "/"
		lo, hi := store.PrefixRange(n.Path)
		delta := (p.Depth + 1) - n.Depth
		if _, err := tx.Exec(ctx, `UPDATE orgs SET path = ? || substr(path, ?), depth = depth + ?, updated_at = ? WHERE path >= ? AND path < ?`,
			newPath, len(n.Path)+1, delta, Clock(), lo, hi); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE orgs SET parent_id = ? WHERE id = ?`, p.ID, n.ID); err != nil {
			return err
		}
		if err := runMoveHooks(ctx, tx, n.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "org.move", ObjectType: "org", ObjectID: strconv.FormatInt(id, 10), OrgID: id,
			Detail: fmt.Sprintf("parent %d -> %d", n.ParentID, p.ID)})
	})
}

// SetClusterMembers replaces the member offices of a cluster.
func (s *Store) SetClusterMembers(ctx context.Context, sc Scope, clusterID int64, members []int64) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		c, err := s.getTx(ctx, tx, sc, clusterID)
		if err != nil {
			return err
		}
		if c.Kind != Cluster {
			return &FieldError{"cluster_id", "只有片区可以设置成员司法所"}
		}
		if _, err := tx.Exec(ctx, `DELETE FROM org_cluster_members WHERE cluster_id = ?`, clusterID); err != nil {
			return err
		}
		for _, m := range members {
			mo, err := s.getTx(ctx, tx, sc, m)
			if err != nil || mo.Kind != Office {
				return &FieldError{"members", fmt.Sprintf("成员 %d 必须是您管辖范围内的司法所", m)}
			}
			if _, err := tx.Exec(ctx, `INSERT INTO org_cluster_members(cluster_id, member_id) VALUES (?, ?)`, clusterID, m); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "org.cluster_members", ObjectType: "org", ObjectID: strconv.FormatInt(clusterID, 10), OrgID: clusterID,
			Detail: fmt.Sprintf("%d members", len(members))})
	})
}

// ClusterMembers lists the member offices of a cluster in scope.
func (s *Store) ClusterMembers(ctx context.Context, sc Scope, clusterID int64) ([]Org, error) {
	w, args := sc.Where("o.path")
	return s.list(ctx, `SELECT `+cols+` FROM orgs o JOIN org_cluster_members cm ON cm.member_id = o.id WHERE cm.cluster_id = ? AND `+w+` ORDER BY o.sort, o.id`,
		append([]any{clusterID}, args...), false)
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return s != ""
}
