package mediation

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
)

// Committee is a mediation committee: an org node of kind
// org.Committee with its mediation details (empty until first saved).
type Committee struct {
	OrgID         int64
	Name          string
	Path          string
	ParentName    string
	Active        bool
	Address       string
	Phone         string
	HasDetail     bool
	Level         string
	TradeKind     string
	EstablishedOn string
	Members       int
	Rooms         int // active rooms
	Mediators     int // active mediators
	Registered    int // active registered mediators
}

// LevelName and TradeKindName are the Chinese names.
func (c Committee) LevelName() string     { return LevelName(c.Level) }
func (c Committee) TradeKindName() string { return TradeKindName(c.TradeKind) }

// CommitteeFilter selects committees.
type CommitteeFilter struct {
	Under  int64 // org subtree; 0 = whole scope
	Level  string
	Query  string // name contains
	Limit  int
	Offset int
}

const committeeCols = `o.id, o.name, o.path, COALESCE(po.name, ''), o.active, o.address, o.phone,
	CASE WHEN c.org_id IS NULL THEN FALSE ELSE TRUE END, COALESCE(c.level, ''), COALESCE(c.trade_kind, ''),
	COALESCE(c.established_on, ''), COALESCE(c.members, 0),
	(SELECT count(*) FROM med_rooms r WHERE r.committee_id = o.id AND r.active),
	(SELECT count(*) FROM med_mediators m WHERE m.org_id = o.id AND m.active),
	(SELECT count(*) FROM med_mediators m WHERE m.org_id = o.id AND m.active AND m.registered)`

const committeeFrom = ` FROM orgs o LEFT JOIN orgs po ON po.id = o.parent_id LEFT JOIN med_committees c ON c.org_id = o.id`

func scanCommittee(r interface{ Scan(...any) error }) (Committee, error) {
	var c Committee
	err := r.Scan(&c.OrgID, &c.Name, &c.Path, &c.ParentName, &c.Active, &c.Address, &c.Phone, &c.HasDetail, &c.Level,
		&c.TradeKind, &c.EstablishedOn, &c.Members, &c.Rooms, &c.Mediators, &c.Registered)
	return c, err
}

// narrow restricts sc to the subtree of under (which must be in sc).
func (s *Store) narrow(ctx context.Context, sc org.Scope, under int64) (org.Scope, error) {
	if under == 0 {
		return sc, nil
	}
	o, err := s.orgs().Get(ctx, sc, under)
	if err != nil {
		return org.Scope{}, fe("org", "机构不存在或不在您的管辖范围内")
	}
	return sc.Narrow(o.Path), nil
}

// Committees lists the committees in scope, ordered by path, and the total.
func (s *Store) Committees(ctx context.Context, sc org.Scope, f CommitteeFilter) ([]Committee, int, error) {
	sc, err := s.narrow(ctx, sc, f.Under)
	if err != nil {
		return nil, 0, err
	}
	w, args := sc.Where("o.path")
	where := ` WHERE o.kind = ? AND ` + w
	args = append([]any{string(org.Committee)}, args...)
	if f.Level != "" {
		where += ` AND c.level = ?`
		args = append(args, f.Level)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where += ` AND ` + store.ILike(s.DB.Engine, "o.name")
		args = append(args, store.LikeContains(q))
	}
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*)`+committeeFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 50
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT `+committeeCols+committeeFrom+where+` ORDER BY o.path LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Committee
	for rows.Next() {
		c, err := scanCommittee(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, c)
	}
	return out, total, rows.Err()
}

// Committee returns one committee in scope.
func (s *Store) Committee(ctx context.Context, sc org.Scope, orgID int64) (Committee, error) {
	w, args := sc.Where("o.path")
	c, err := scanCommittee(s.DB.Read().QueryRow(ctx, `SELECT `+committeeCols+committeeFrom+` WHERE o.id = ? AND o.kind = ? AND `+w,
		append([]any{orgID, string(org.Committee)}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Committee{}, store.ErrNotFound
	}
	return c, err
}

// CommitteeInput is the mediation detail of a committee.
type CommitteeInput struct {
	Level         string
	TradeKind     string // trade committees only
	EstablishedOn string
	Members       int
}

func (in *CommitteeInput) validate() error {
	in.Level, in.TradeKind, in.EstablishedOn = strings.TrimSpace(in.Level), strings.TrimSpace(in.TradeKind), strings.TrimSpace(in.EstablishedOn)
	switch {
	case !validChoice(CommitteeLevels, in.Level):
		return fe("level", "请选择调委会类别")
	case in.Level == "trade" && !validChoice(TradeKinds, in.TradeKind):
		return fe("trade_kind", "行业性专业性调委会请选择所属行业")
	case in.Level != "trade" && in.TradeKind != "":
		return fe("trade_kind", "只有行业性专业性调委会填写所属行业")
	case in.Members != 0 && (in.Members < MinCommitteeMembers || in.Members > MaxCommitteeMembers):
		return fe("members", "调委会由委员三至九人组成(人民调解法第八条)；人数不明时填0")
	}
	return checkDate("established_on", "成立日期", in.EstablishedOn, false, true)
}

// SaveCommittee creates or replaces the detail of committee orgID.
func (s *Store) SaveCommittee(ctx context.Context, sc org.Scope, orgID int64, in CommitteeInput) error {
	if err := in.validate(); err != nil {
		return err
	}
	if _, err := s.Committee(ctx, sc, orgID); err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO med_committees(org_id, level, trade_kind, established_on, members, updated_at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET level = excluded.level, trade_kind = excluded.trade_kind,
			established_on = excluded.established_on, members = excluded.members, updated_at = excluded.updated_at`,
			orgID, in.Level, in.TradeKind, in.EstablishedOn, in.Members, Clock()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_committee", ObjectID: itoa(orgID), OrgID: orgID})
	})
}

// Room is a mediation room of a committee; BrandName marks a named
// "金牌/个人品牌调解室" (e.g. 老杨调解室).
type Room struct {
	ID            int64
	CommitteeID   int64
	CommitteeName string
	Name          string
	BrandName     string
	Address       string
	Phone         string
	Active        bool
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// RoomInput is what a user enters for a room.
type RoomInput struct {
	Name, BrandName, Address, Phone string
	Active                          bool
}

func (in *RoomInput) validate() error {
	in.Name, in.BrandName, in.Address, in.Phone = strings.TrimSpace(in.Name), strings.TrimSpace(in.BrandName), strings.TrimSpace(in.Address), strings.TrimSpace(in.Phone)
	if in.Name == "" {
		return fe("name", "调解室名称必填")
	}
	if err := firstErr(tooLong("name", "调解室名称", in.Name, 50), tooLong("brand_name", "品牌名称", in.BrandName, 50),
		tooLong("address", "地址", in.Address, 200)); err != nil {
		return err
	}
	if in.Phone != "" {
		// A room's phone is a public office line kept in clear; a mobile
		// is personal data and belongs (encrypted) to the mediator.
		p, err := idno.ParsePhone(in.Phone)
		if err != nil {
			return fe("phone", err.Error())
		}
		if idno.IsMobile(p) {
			return fe("phone", "调解室电话请填写带区号的固定电话；调解员的手机号请登记在调解员信息中(加密保存)")
		}
		in.Phone = p
	}
	return nil
}

const roomCols = `r.id, r.committee_id, o.name, r.name, r.brand_name, r.address, r.phone, r.active, r.created_at, r.updated_at`

func scanRoom(r interface{ Scan(...any) error }) (Room, error) {
	var x Room
	err := r.Scan(&x.ID, &x.CommitteeID, &x.CommitteeName, &x.Name, &x.BrandName, &x.Address, &x.Phone, &x.Active, &x.CreatedAt, &x.UpdatedAt)
	return x, err
}

// Rooms lists the rooms of a committee in scope.
func (s *Store) Rooms(ctx context.Context, sc org.Scope, committeeID int64) ([]Room, error) {
	w, args := sc.Where("o.path")
	rows, err := s.DB.Read().Query(ctx, `SELECT `+roomCols+` FROM med_rooms r JOIN orgs o ON o.id = r.committee_id
		WHERE r.committee_id = ? AND `+w+` ORDER BY r.active DESC, r.id`, append([]any{committeeID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Room
	for rows.Next() {
		x, err := scanRoom(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// Room returns one room in scope.
func (s *Store) Room(ctx context.Context, sc org.Scope, id int64) (Room, error) {
	w, args := sc.Where("o.path")
	x, err := scanRoom(s.DB.Read().QueryRow(ctx, `SELECT `+roomCols+` FROM med_rooms r JOIN orgs o ON o.id = r.committee_id
		WHERE r.id = ? AND `+w, append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Room{}, store.ErrNotFound
	}
	return x, err
}

// CreateRoom adds a room to committee committeeID.
func (s *Store) CreateRoom(ctx context.Context, sc org.Scope, committeeID int64, in RoomInput) (Room, error) {
	if err := in.validate(); err != nil {
		return Room{}, err
	}
	if _, err := s.Committee(ctx, sc, committeeID); err != nil {
		return Room{}, err
	}
	now := Clock()
	var id int64
	err := s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		id, err = store.InsertID(ctx, tx, `INSERT INTO med_rooms(committee_id, name, brand_name, address, phone, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id`, committeeID, in.Name, in.BrandName, in.Address, in.Phone, now, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_room", ObjectID: itoa(id), OrgID: committeeID})
	})
	if err != nil {
		return Room{}, err
	}
	return s.Room(ctx, sc, id)
}

// UpdateRoom replaces a room's fields (including Active).
func (s *Store) UpdateRoom(ctx context.Context, sc org.Scope, id int64, in RoomInput) (Room, error) {
	if err := in.validate(); err != nil {
		return Room{}, err
	}
	cur, err := s.Room(ctx, sc, id)
	if err != nil {
		return Room{}, err
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE med_rooms SET name = ?, brand_name = ?, address = ?, phone = ?, active = ?, updated_at = ? WHERE id = ?`,
			in.Name, in.BrandName, in.Address, in.Phone, in.Active, Clock(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_room", ObjectID: itoa(id), OrgID: cur.CommitteeID})
	})
	if err != nil {
		return Room{}, err
	}
	return s.Room(ctx, sc, id)
}
