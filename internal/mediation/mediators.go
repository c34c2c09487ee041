package mediation

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/idno"
	"fengqiao/internal/store"
)

// Mediator is a people's mediator of a committee or an office. Name, ID
// number and phone come from the person registry; numbers are masked.
type Mediator struct {
	ID            int64
	OrgID         int64
	OrgName       string
	OrgKind       org.Kind
	PersonID      int64
	Name          string
	Sex           idno.Sex
	IDNumber      string // masked
	Phone         string // masked
	FullTime      bool
	Title         string
	Registered    bool
	RegistryNo    string
	RegisteredOn  string
	Active        bool
	TrainingHours float64
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// SexName is 男, 女 or "".
func (m Mediator) SexName() string {
	switch m.Sex {
	case idno.Male:
		return "男"
	case idno.Female:
		return "女"
	}
	return ""
}

// Assignable reports whether m may be assigned cases under settings st.
func (m Mediator) Assignable(st Settings) bool {
	return m.Active && (m.Registered || !st.RequireRegistered)
}

// MediatorFilter selects mediators.
type MediatorFilter struct {
	Under      int64  // org subtree; 0 = whole scope
	Registered string // "", "yes", "no"
	FullTime   string // "", "yes", "no"
	Active     string // "", "yes", "no"
	Name       string // name contains
	Limit      int
	Offset     int
}

// MediatorInput is what a user enters for a mediator: the person fields
// (validated by internal/person) and the mediator's own.
type MediatorInput struct {
	OrgID        int64
	Name         string
	IDNumber     string // 居民身份证; on update "" or the mask keeps the stored number
	Phone        string // on update "" or the mask keeps the stored phone
	FullTime     bool
	Title        string
	Registered   bool
	RegistryNo   string
	RegisteredOn string
	Active       bool
}

func (in *MediatorInput) validate() error {
	in.Name, in.Title, in.RegistryNo, in.RegisteredOn = strings.TrimSpace(in.Name), strings.TrimSpace(in.Title),
		strings.TrimSpace(in.RegistryNo), strings.TrimSpace(in.RegisteredOn)
	if in.OrgID <= 0 {
		return fe("org_id", "请选择所在调委会或司法所")
	}
	if in.Name == "" {
		return fe("name", "姓名必填")
	}
	if err := firstErr(tooLong("name", "姓名", in.Name, 50), tooLong("title", "职务", in.Title, 50),
		tooLong("registry_no", "登记编号", in.RegistryNo, 40)); err != nil {
		return err
	}
	if in.Registered {
		if in.RegistryNo == "" {
			return fe("registry_no", "已登记的调解员须填写登记编号")
		}
		return checkDate("registered_on", "登记日期", in.RegisteredOn, true, true)
	}
	if in.RegistryNo != "" || in.RegisteredOn != "" {
		return fe("registered", "填写了登记编号或登记日期，请勾选“已登记”，或清空这两项")
	}
	return nil
}

// mediatorOrg checks orgID is a committee or an office in scope.
func (s *Store) mediatorOrg(ctx context.Context, sc org.Scope, orgID int64) (org.Org, error) {
	o, err := s.orgs().Get(ctx, sc, orgID)
	if err != nil {
		return org.Org{}, fe("org_id", "机构不存在或不在您的管辖范围内")
	}
	if o.Kind != org.Committee && o.Kind != org.Office {
		return org.Org{}, fe("org_id", "调解员只能属于人民调解委员会或司法所")
	}
	return o, nil
}

const mediatorCols = `m.id, m.org_id, o.name, o.kind, m.person_id, p.name, p.sex, p.doc_type, p.doc_enc, p.phone_enc,
	m.full_time, m.title, m.registered, m.registry_no, m.registered_on, m.active,
	COALESCE((SELECT sum(t.hours) FROM med_trainings t WHERE t.mediator_id = m.id), 0), m.created_at, m.updated_at`

const mediatorFrom = ` FROM med_mediators m JOIN orgs o ON o.id = m.org_id JOIN persons p ON p.id = m.person_id`

func (s *Store) scanMediator(r interface{ Scan(...any) error }) (Mediator, error) {
	var m Mediator
	var docType idno.DocType
	var docEnc, phoneEnc string
	err := r.Scan(&m.ID, &m.OrgID, &m.OrgName, &m.OrgKind, &m.PersonID, &m.Name, &m.Sex, &docType, &docEnc, &phoneEnc,
		&m.FullTime, &m.Title, &m.Registered, &m.RegistryNo, &m.RegisteredOn, &m.Active, &m.TrainingHours, &m.CreatedAt, &m.UpdatedAt)
	if err != nil {
		return m, err
	}
	// Decrypt only to mask: the full numbers never leave the store.
	if doc, err := s.Persons.Crypto.Decrypt(person.FieldIDNumber, docEnc); err != nil {
		return m, fmt.Errorf("mediator %d id number: %w", m.ID, err)
	} else if doc != "" {
		m.IDNumber = idno.Mask(docType, doc)
	}
	if ph, err := s.Persons.Crypto.Decrypt(person.FieldPhone, phoneEnc); err != nil {
		return m, fmt.Errorf("mediator %d phone: %w", m.ID, err)
	} else if ph != "" {
		m.Phone = idno.MaskPhone(ph)
	}
	return m, nil
}

func yesNo(where *string, args *[]any, col, v string) {
	switch v {
	case "yes":
		*where += ` AND ` + col
	case "no":
		*where += ` AND NOT ` + col
	}
}

// Mediators lists mediators in scope matching f, by org path then name,
// with the total.
func (s *Store) Mediators(ctx context.Context, sc org.Scope, f MediatorFilter) ([]Mediator, int, error) {
	sc, err := s.narrow(ctx, sc, f.Under)
	if err != nil {
		return nil, 0, err
	}
	w, args := sc.Where("o.path")
	where := ` WHERE ` + w
	yesNo(&where, &args, "m.registered", f.Registered)
	yesNo(&where, &args, "m.full_time", f.FullTime)
	yesNo(&where, &args, "m.active", f.Active)
	if n := strings.TrimSpace(f.Name); n != "" {
		where += ` AND ` + store.ILike(s.DB.Engine, "p.name")
		args = append(args, store.LikeContains(n))
	}
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT count(*)`+mediatorFrom+where, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	if f.Limit <= 0 || f.Limit > 5000 {
		f.Limit = 50
	}
	out, err := s.queryMediators(ctx, `SELECT `+mediatorCols+mediatorFrom+where+` ORDER BY o.path, m.active DESC, p.name, m.id LIMIT ? OFFSET ?`,
		append(args, f.Limit, max(f.Offset, 0))...)
	return out, total, err
}

func (s *Store) queryMediators(ctx context.Context, q string, args ...any) ([]Mediator, error) {
	rows, err := s.DB.Read().Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Mediator
	for rows.Next() {
		m, err := s.scanMediator(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Mediator returns one mediator in scope.
func (s *Store) Mediator(ctx context.Context, sc org.Scope, id int64) (Mediator, error) {
	w, args := sc.Where("o.path")
	m, err := s.scanMediator(s.DB.Read().QueryRow(ctx, `SELECT `+mediatorCols+mediatorFrom+` WHERE m.id = ? AND `+w,
		append([]any{id}, args...)...))
	if errors.Is(err, sql.ErrNoRows) {
		return Mediator{}, store.ErrNotFound
	}
	return m, err
}

// AssignableMediators returns the active mediators that may be assigned a
// case of org orgID: those of the township — the subtree of the nearest
// office (司法所) at or above orgID ("大事不出镇") — or of orgID's own
// subtree when no office is above it (a county's trade committee), all
// within sc. Under the county's settings (default) only registered
// mediators qualify: they alone may be assigned or receive subsidies
// [local].
func (s *Store) AssignableMediators(ctx context.Context, sc org.Scope, orgID int64) ([]Mediator, error) {
	o, err := s.orgs().Get(ctx, sc, orgID)
	if err != nil {
		return nil, err
	}
	st, err := s.SettingsForOrg(ctx, sc, orgID)
	if err != nil {
		var fErr *org.FieldError
		if !errors.As(err, &fErr) {
			return nil, err
		}
		st = DefaultSettings() // no county above (a ministry-level tree): the defaults
	}
	root := o.Path
	for _, id := range reversed(pathIDs(o.Path)) {
		a, err := s.orgs().GetUnscoped(ctx, s.DB.Read(), id)
		if err != nil {
			return nil, err
		}
		if a.Kind == org.Office {
			root = a.Path
			break
		}
	}
	w, args := sc.Where("o.path")
	lo, hi := store.PrefixRange(root)
	where := ` WHERE m.active AND ` + w + ` AND o.path >= ? AND o.path < ?`
	args = append(args, lo, hi)
	if st.RequireRegistered {
		where += ` AND m.registered`
	}
	return s.queryMediators(ctx, `SELECT `+mediatorCols+mediatorFrom+where+` ORDER BY o.path, p.name, m.id`, args...)
}

// findPerson returns the live registry record with this ID number in
// scope (0 when none).
func (s *Store) findPerson(ctx context.Context, sc org.Scope, idNumber string) (person.Person, error) {
	if idNumber == "" {
		return person.Person{}, nil
	}
	ps, _, err := s.Persons.List(ctx, sc, person.Filter{IDNumber: idNumber, Kind: person.Natural, Limit: 1})
	if err != nil || len(ps) == 0 {
		return person.Person{}, err
	}
	return ps[0], nil
}

// CreateMediator registers a mediator. A person with the same ID number
// already in the registry (in scope) is reused when the names agree;
// otherwise a person record is created under the mediator's org.
// Person and mediator are written in one transaction.
func (s *Store) CreateMediator(ctx context.Context, sc org.Scope, in MediatorInput) (Mediator, error) {
	if err := in.validate(); err != nil {
		return Mediator{}, err
	}
	if _, err := s.mediatorOrg(ctx, sc, in.OrgID); err != nil {
		return Mediator{}, err
	}
	if err := s.checkRegistryNo(ctx, s.DB.Read(), in.RegistryNo, 0); err != nil {
		return Mediator{}, err
	}
	if n := strings.TrimSpace(in.IDNumber); n != "" {
		// Checked here for the precise message (check digit, birth date);
		// the registry lookup would only say the number is malformed.
		if _, err := idno.ParseAt(idno.IDCard, n, Clock()); err != nil {
			return Mediator{}, fe(person.FieldIDNumber, err.Error())
		}
	}
	pin := person.Input{OrgID: in.OrgID, Kind: person.Natural, Name: in.Name, IDNumber: in.IDNumber, Phone: in.Phone}
	existing, err := s.findPerson(ctx, sc, strings.TrimSpace(in.IDNumber))
	if err != nil {
		var fErr *org.FieldError
		if errors.As(err, &fErr) {
			return Mediator{}, fe(person.FieldIDNumber, fErr.Message)
		}
		return Mediator{}, err
	}
	var personID int64
	if existing.ID != 0 {
		if existing.Name != in.Name {
			return Mediator{}, fe(person.FieldIDNumber, fmt.Sprintf("该身份证号码已登记在当事人信息库(编号 %d)，姓名不同，请核对", existing.ID))
		}
		var dup int64
		err := s.DB.Read().QueryRow(ctx, `SELECT id FROM med_mediators WHERE person_id = ? AND org_id = ?`, existing.ID, in.OrgID).Scan(&dup)
		if err == nil {
			return Mediator{}, fe(person.FieldIDNumber, fmt.Sprintf("此人已是该机构的调解员(编号 %d)", dup))
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return Mediator{}, err
		}
		personID = existing.ID
	}
	now := Clock()
	var id int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.checkRegistryNo(ctx, tx, in.RegistryNo, 0); err != nil {
			return err
		}
		if personID == 0 {
			if personID, err = s.Persons.CreateTx(ctx, tx, sc, pin); err != nil {
				return err
			}
		}
		id, err = store.InsertID(ctx, tx, `INSERT INTO med_mediators(org_id, person_id, full_time, title, registered, registry_no, registered_on,
			active, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, TRUE, ?, ?) RETURNING id`,
			in.OrgID, personID, in.FullTime, in.Title, in.Registered, in.RegistryNo, in.RegisteredOn, now, now)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_mediator", ObjectID: itoa(id),
			PersonID: personID, OrgID: in.OrgID})
	})
	if err != nil {
		return Mediator{}, err
	}
	return s.Mediator(ctx, sc, id)
}

func (s *Store) checkRegistryNo(ctx context.Context, q store.Querier, no string, self int64) error {
	if no == "" {
		return nil
	}
	var id int64
	err := q.QueryRow(ctx, `SELECT id FROM med_mediators WHERE registry_no = ? AND id <> ?`, no, self).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	return fe("registry_no", "该登记编号已被其他调解员使用")
}

// UpdateMediator replaces a mediator's fields; name, ID number and phone
// are written to the person registry (an empty or masked number keeps the
// stored one).
func (s *Store) UpdateMediator(ctx context.Context, sc org.Scope, id int64, in MediatorInput) (Mediator, error) {
	if err := in.validate(); err != nil {
		return Mediator{}, err
	}
	cur, err := s.Mediator(ctx, sc, id)
	if err != nil {
		return Mediator{}, err
	}
	if in.OrgID != cur.OrgID {
		if _, err := s.mediatorOrg(ctx, sc, in.OrgID); err != nil {
			return Mediator{}, err
		}
	}
	if err := s.checkRegistryNo(ctx, s.DB.Read(), in.RegistryNo, id); err != nil {
		return Mediator{}, err
	}
	p, err := s.Persons.Get(ctx, sc, cur.PersonID)
	if err != nil {
		return Mediator{}, err
	}
	idIn, phoneIn := strings.TrimSpace(in.IDNumber), strings.TrimSpace(in.Phone)
	var personIn *person.Input // the registry fields changed
	if in.Name != p.Name || (idIn != "" && idIn != p.IDNumber) || (phoneIn != "" && phoneIn != p.Phone) {
		pin := person.Input{Kind: p.Kind, Name: in.Name, Sex: p.Sex, BirthDate: p.BirthDate, DocType: p.DocType,
			IDNumber: idIn, Phone: phoneIn, Address: p.Address}
		if idIn != "" && idIn != p.IDNumber {
			pin.Sex, pin.BirthDate, pin.DocType = "", "", "" // derived again from the new number
		}
		personIn = &pin
	}
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.checkRegistryNo(ctx, tx, in.RegistryNo, id); err != nil {
			return err
		}
		if personIn != nil {
			if _, err := s.Persons.UpdateTx(ctx, tx, sc, p.ID, *personIn); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE med_mediators SET org_id = ?, full_time = ?, title = ?, registered = ?, registry_no = ?,
			registered_on = ?, active = ?, updated_at = ? WHERE id = ?`,
			in.OrgID, in.FullTime, in.Title, in.Registered, in.RegistryNo, in.RegisteredOn, in.Active, Clock(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.update", ObjectType: "med_mediator", ObjectID: itoa(id),
			PersonID: cur.PersonID, OrgID: in.OrgID})
	})
	if err != nil {
		return Mediator{}, err
	}
	return s.Mediator(ctx, sc, id)
}

// Training is one training record of a mediator.
type Training struct {
	ID         int64
	MediatorID int64
	HeldOn     string
	Hours      float64
	Topic      string
	Organizer  string
	CreatedAt  time.Time
}

// TrainingInput is what a user enters for a training record.
type TrainingInput struct {
	HeldOn    string
	Hours     float64
	Topic     string
	Organizer string
}

func (in *TrainingInput) validate() error {
	in.HeldOn, in.Topic, in.Organizer = strings.TrimSpace(in.HeldOn), strings.TrimSpace(in.Topic), strings.TrimSpace(in.Organizer)
	if err := checkDate("held_on", "培训日期", in.HeldOn, true, true); err != nil {
		return err
	}
	switch {
	case in.Hours <= 0 || in.Hours > 200:
		return fe("hours", "培训学时应大于0且不超过200")
	case in.Topic == "":
		return fe("topic", "培训内容必填")
	}
	return firstErr(tooLong("topic", "培训内容", in.Topic, 200), tooLong("organizer", "组织单位", in.Organizer, 100))
}

// Trainings lists a mediator's trainings, newest first.
func (s *Store) Trainings(ctx context.Context, sc org.Scope, mediatorID int64) ([]Training, error) {
	if _, err := s.Mediator(ctx, sc, mediatorID); err != nil {
		return nil, err
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT id, mediator_id, held_on, hours, topic, organizer, created_at FROM med_trainings
		WHERE mediator_id = ? ORDER BY held_on DESC, id DESC`, mediatorID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Training
	for rows.Next() {
		var t Training
		if err := rows.Scan(&t.ID, &t.MediatorID, &t.HeldOn, &t.Hours, &t.Topic, &t.Organizer, &t.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// AddTraining records a training of a mediator in scope.
func (s *Store) AddTraining(ctx context.Context, sc org.Scope, mediatorID int64, in TrainingInput) (int64, error) {
	if err := in.validate(); err != nil {
		return 0, err
	}
	m, err := s.Mediator(ctx, sc, mediatorID)
	if err != nil {
		return 0, err
	}
	var id int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		id, err = store.InsertID(ctx, tx, `INSERT INTO med_trainings(mediator_id, held_on, hours, topic, organizer, created_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, mediatorID, in.HeldOn, in.Hours, in.Topic, in.Organizer, Clock())
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.create", ObjectType: "med_training", ObjectID: itoa(id),
			PersonID: m.PersonID, OrgID: m.OrgID})
	})
	return id, err
}

// DeleteTraining removes a training record (entered by mistake) and
// returns its mediator's id.
func (s *Store) DeleteTraining(ctx context.Context, sc org.Scope, id int64) (int64, error) {
	var mediatorID int64
	if err := s.DB.Read().QueryRow(ctx, `SELECT mediator_id FROM med_trainings WHERE id = ?`, id).Scan(&mediatorID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, store.ErrNotFound
		}
		return 0, err
	}
	m, err := s.Mediator(ctx, sc, mediatorID)
	if err != nil {
		return 0, err
	}
	return mediatorID, s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM med_trainings WHERE id = ?`, id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "mediation.delete", ObjectType: "med_training", ObjectID: itoa(id),
			PersonID: m.PersonID, OrgID: m.OrgID})
	})
}
