package casework

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/search"
	"fengqiao/internal/store"
)

// Create opens a case of typeCode owned by orgID (in sc) inside the
// caller's transaction, numbers it and starts the deadlines of its initial
// state. handlerID may be 0 (assigned later). The actor needs
// "<line>.edit".
func (s *Store) Create(ctx context.Context, tx *store.Tx, sc org.Scope, typeCode string, orgID int64, title string, handlerID int64) (*Case, error) {
	t, ok := Lookup(typeCode)
	if !ok {
		return nil, fieldErr("type", "未知的案件类型")
	}
	p, err := need(ctx, t.permEdit())
	if err != nil {
		return nil, err
	}
	title = trimmed(title)
	if title == "" {
		return nil, fieldErr("title", "请填写案件名称")
	}
	if utf8.RuneCountInString(title) > 200 {
		return nil, fieldErr("title", "案件名称不超过200字")
	}
	o, err := orgInScope(ctx, tx, sc, orgID)
	if err != nil {
		return nil, err
	}
	if handlerID != 0 {
		if err := checkHandler(ctx, tx, sc, handlerID); err != nil {
			return nil, err
		}
	}
	loc, err := location(o.Timezone)
	if err != nil {
		return nil, err
	}
	now := s.now()
	year := now.In(loc).Year()
	num := o
	if t.NumberOrg != nil {
		chain, err := orgChain(ctx, tx, o)
		if err != nil {
			return nil, err
		}
		num = t.NumberOrg(chain)
	}
	seq, err := nextSeq(ctx, tx, num.ID, t.Code, year)
	if err != nil {
		return nil, err
	}
	code := orgShort(num)
	if t.OrgCode != nil {
		code = t.OrgCode(num)
	}
	number := FormatNumber(t.NumberPattern, year, orgShort(num), code, t.Abbr, seq)
	id, err := store.InsertID(ctx, tx, `INSERT INTO cases (type, org_id, number, year, seq, title, state, handler_user_id, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.Code, o.ID, number, year, seq, title, t.Initial, nullID(handlerID), nullID(p.UserID), now, now)
	if store.IsUniqueViolation(err) {
		return nil, fmt.Errorf("casework: number %q already used — the pattern of %s does not tell orgs apart", number, t.Code)
	}
	if err != nil {
		return nil, fmt.Errorf("insert case: %w", err)
	}
	c := &Case{ID: id, Type: t.Code, OrgID: o.ID, OrgName: o.Name, OrgPath: o.Path, Number: number, Year: year, Seq: seq,
		Title: title, State: t.Initial, HandlerUserID: handlerID, CreatedBy: p.UserID, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := addEvent(ctx, tx, c.ID, now, "create", "", "", t.Initial, nil, ""); err != nil {
		return nil, err
	}
	if err := s.applyDeadlines(ctx, tx, c, t, "", t.Initial, now); err != nil {
		return nil, err
	}
	if err := IndexSearch(ctx, tx, c.ID); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "case.create", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: o.ID,
		Detail: "type=" + t.Code + " number=" + number}); err != nil {
		return nil, err
	}
	return c, nil
}

// Transition takes the transition code on case id. version is the version
// the caller showed the user (0 skips the check); fields are checked
// against the transition's Required list and its Check. The actor needs
// the transition's Perm and must work in the owning org's scope.
func (s *Store) Transition(ctx context.Context, tx *store.Tx, sc org.Scope, id int64, version int, code string, fields map[string]string, note string) (*Case, error) {
	c, t, err := loadOwned(ctx, tx, sc, id)
	if err != nil {
		return nil, err
	}
	tr, ok := t.Transition(code)
	if !ok {
		return nil, fieldErr("transition", "未知的操作")
	}
	if _, err := need(ctx, tr.Perm); err != nil {
		return nil, err
	}
	if c.TransferOrgID != 0 {
		return nil, ErrTransferPending
	}
	if !contains(tr.From, c.State) {
		from, _ := t.State(c.State)
		return nil, &StateError{Transition: tr.Name, State: from.Name}
	}
	if version != 0 && version != c.Version {
		return nil, ErrConflict
	}
	for _, f := range tr.Required {
		if trimmed(fields[f]) == "" {
			return nil, fieldErr(f, "必填")
		}
	}
	if utf8.RuneCountInString(note) > 2000 {
		return nil, fieldErr("note", "说明不超过2000字")
	}
	if tr.Check != nil {
		if err := tr.Check(ctx, c, fields); err != nil {
			return nil, err
		}
	}
	now := s.now()
	to, _ := t.State(tr.To)
	from := c.State
	if to.Final {
		err = bump(ctx, tx, c, now, "state = ?, closed_at = ?", to.Code, now)
		c.ClosedAt = now
	} else {
		err = bump(ctx, tx, c, now, "state = ?, closed_at = NULL", to.Code)
		c.ClosedAt = time.Time{}
	}
	if err != nil {
		return nil, err
	}
	c.State = to.Code
	if err := addEvent(ctx, tx, c.ID, now, "transition", tr.Code, from, to.Code, fields, note); err != nil {
		return nil, err
	}
	if err := s.applyDeadlines(ctx, tx, c, t, tr.Code, to.Code, now); err != nil {
		return nil, err
	}
	if err := IndexSearch(ctx, tx, c.ID); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "case.transition", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID,
		Detail: "code=" + tr.Code + " from=" + from + " to=" + to.Code + " fields=" + fieldNames(fields)}); err != nil {
		return nil, err
	}
	return c, nil
}

// Assign makes handlerID (a user of an org in sc) the case's handler.
// The actor needs "<line>.edit" in the owning org's scope.
func (s *Store) Assign(ctx context.Context, tx *store.Tx, sc org.Scope, id, handlerID int64) (*Case, error) {
	c, t, err := loadOwned(ctx, tx, sc, id)
	if err != nil {
		return nil, err
	}
	if _, err := need(ctx, t.permEdit()); err != nil {
		return nil, err
	}
	if handlerID == 0 {
		return nil, fieldErr("handler_user_id", "请选择承办人")
	}
	if err := checkHandler(ctx, tx, sc, handlerID); err != nil {
		return nil, err
	}
	now := s.now()
	prev := c.HandlerUserID
	if err := bump(ctx, tx, c, now, "handler_user_id = ?", handlerID); err != nil {
		return nil, err
	}
	c.HandlerUserID = handlerID
	kind := "assign"
	if prev != 0 {
		kind = "reassign"
	}
	if err := addEvent(ctx, tx, c.ID, now, kind, "", "", "", map[string]string{"handler_user_id": itoa(handlerID)}, ""); err != nil {
		return nil, err
	}
	return c, audit.Record(ctx, tx, audit.Event{Action: "case." + kind, ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID,
		Detail: "handler_user_id=" + itoa(handlerID) + " previous=" + itoa(prev)})
}

// Note adds a line-specific entry to the timeline (e.g. kind "attachment"
// or "visit"). kind is lower-case letters and underscores.
func (s *Store) Note(ctx context.Context, tx *store.Tx, sc org.Scope, id int64, kind, note string) error {
	c, t, err := loadOwned(ctx, tx, sc, id)
	if err != nil {
		return err
	}
	if _, err := need(ctx, t.permEdit()); err != nil {
		return err
	}
	if kind == "" || len(kind) > 40 || strings.Trim(kind, "abcdefghijklmnopqrstuvwxyz_") != "" {
		return fieldErr("kind", "记录类型只能由小写字母和下划线组成")
	}
	if trimmed(note) == "" || utf8.RuneCountInString(note) > 2000 {
		return fieldErr("note", "请填写说明（不超过2000字）")
	}
	if err := addEvent(ctx, tx, c.ID, s.now(), kind, "", "", "", nil, note); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "case.note", ObjectType: "case", ObjectID: itoa(c.ID), OrgID: c.OrgID, Detail: "kind=" + kind})
}

// Allowed lists the transitions the actor in ctx may take on c now (the
// buttons a line shows): from its state, with the permission, and not
// while a transfer is pending or for a receiver that does not own it.
func Allowed(ctx context.Context, sc org.Scope, c *Case) []Transition {
	t := c.TypeDef()
	p := auth.FromContext(ctx)
	if t == nil || p == nil || c.TransferOrgID != 0 || !sc.Contains(c.OrgPath) {
		return nil
	}
	var out []Transition
	for _, tr := range t.Available(c.State) {
		if p.Can(tr.Perm) {
			out = append(out, tr)
		}
	}
	return out
}

// orgInScope loads an active org inside sc.
func orgInScope(ctx context.Context, q store.Querier, sc org.Scope, id int64) (org.Org, error) {
	var o org.Org
	var active bool
	err := q.QueryRow(ctx, `SELECT `+chainCols+` FROM orgs WHERE id = ?`, id).
		Scan(&o.ID, &o.Kind, &o.Name, &o.ShortName, &o.DivisionCode, &o.Path, &o.Timezone, &active, &o.ParentID)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(o.Path)) {
		return o, fieldErr("org_id", "单位不存在或不在管辖范围内")
	}
	if err != nil {
		return o, err
	}
	if !active {
		return o, fieldErr("org_id", "单位已停用")
	}
	o.Active = true
	return o, nil
}

const chainCols = `id, kind, name, short_name, division_code, path, timezone, active, COALESCE(parent_id, 0)`

// orgChain is o and then its ancestors, nearest first (for NumberOrg).
func orgChain(ctx context.Context, q store.Querier, o org.Org) ([]org.Org, error) {
	var ids []any
	for _, p := range strings.Split(strings.Trim(o.Path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil && id != o.ID {
			ids = append(ids, id)
		}
	}
	byID := map[int64]org.Org{}
	if len(ids) > 0 {
		rows, err := q.Query(ctx, `SELECT `+chainCols+` FROM orgs WHERE id IN (`+store.InList(len(ids))+`)`, ids...)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var a org.Org
			if err := rows.Scan(&a.ID, &a.Kind, &a.Name, &a.ShortName, &a.DivisionCode, &a.Path, &a.Timezone, &a.Active, &a.ParentID); err != nil {
				return nil, err
			}
			byID[a.ID] = a
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	chain := []org.Org{o}
	for i := len(ids) - 1; i >= 0; i-- {
		if a, ok := byID[ids[i].(int64)]; ok {
			chain = append(chain, a)
		}
	}
	return chain, nil
}

// checkHandler: the handler is an enabled user of an org in sc.
func checkHandler(ctx context.Context, q store.Querier, sc org.Scope, userID int64) error {
	var path string
	var disabled bool
	err := q.QueryRow(ctx, `SELECT o.path, u.disabled FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = ?`, userID).Scan(&path, &disabled)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (!sc.Contains(path) || disabled)) {
		return fieldErr("handler_user_id", "承办人不存在、已停用或不在管辖范围内")
	}
	return err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// fieldNames lists the supplied field names (audit detail: names, never values).
func fieldNames(f map[string]string) string {
	names := make([]string, 0, len(f))
	for k := range f {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// SearchKind is the full-text index kind of the cases of a line:
// "case_<line>", so a search can give each line its own scope and link.
// The document's title is the case number and title; the type name is
// searchable too.
func SearchKind(line string) string { return "case_" + line }

// SearchText adds a type's own text (e.g. a dispute summary) to its cases'
// documents; it runs inside the indexing transaction.
type SearchText func(ctx context.Context, tx *store.Tx, caseID int64) ([]string, error)

var searchTexts = map[string]SearchText{}

// RegisterSearchText sets the extra text of cases of typeCode (call from
// init). Without it a case is found by number, title and type name.
func RegisterSearchText(typeCode string, fn SearchText) { searchTexts[typeCode] = fn }

func init() {
	search.RegisterSource(search.Source{Name: "case", Kinds: searchKinds, Rebuild: rebuildSearch,
		Refresh: func(ctx context.Context, tx *store.Tx, kind string, id int64) error {
			err := IndexSearch(ctx, tx, id)
			if errors.Is(err, sql.ErrNoRows) { // the case is gone: so is its document
				return search.Remove(ctx, tx, kind, id)
			}
			return err
		}})
}

// searchKinds are the kinds of every line, known or with a registered type.
func searchKinds() []string {
	seen := map[string]bool{}
	var out []string
	add := func(line string) {
		if !seen[line] {
			seen[line] = true
			out = append(out, SearchKind(line))
		}
	}
	for _, l := range auth.Lines {
		add(l.Code)
	}
	for _, t := range Types() {
		add(t.Line)
	}
	return out
}

type caseDoc struct {
	id, orgID               int64
	typeCode, number, title string
}

// IndexSearch refreshes case id's document inside tx: creation,
// transitions and transfers call it so number, title, state changes and
// the owning org stay current.
func IndexSearch(ctx context.Context, tx *store.Tx, id int64) error {
	var d caseDoc
	err := tx.QueryRow(ctx, `SELECT id, org_id, type, number, title FROM cases WHERE id = ?`, id).
		Scan(&d.id, &d.orgID, &d.typeCode, &d.number, &d.title)
	if err != nil {
		return fmt.Errorf("casework: index case %d: %w", id, err)
	}
	_, err = d.index(ctx, tx)
	return err
}

func (d caseDoc) index(ctx context.Context, tx *store.Tx) (bool, error) {
	t, ok := Lookup(d.typeCode)
	if !ok { // a type no longer registered has no line to scope it by
		return false, nil
	}
	texts := []string{t.Name}
	if fn := searchTexts[t.Code]; fn != nil {
		more, err := fn(ctx, tx, d.id)
		if err != nil {
			return false, err
		}
		texts = append(texts, more...)
	}
	return true, search.Index(ctx, tx, SearchKind(t.Line), d.id, d.orgID, d.number+" "+d.title, texts...)
}

// rebuildSearch indexes every case, in id batches so no result set stays
// open while writing.
func rebuildSearch(ctx context.Context, tx *store.Tx) (int, error) {
	n := 0
	var after int64
	for {
		rows, err := tx.Query(ctx, `SELECT id, org_id, type, number, title FROM cases WHERE id > ? ORDER BY id LIMIT 2000`, after)
		if err != nil {
			return n, err
		}
		var batch []caseDoc
		for rows.Next() {
			var d caseDoc
			if err := rows.Scan(&d.id, &d.orgID, &d.typeCode, &d.number, &d.title); err != nil {
				rows.Close()
				return n, err
			}
			batch = append(batch, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return n, err
		}
		if len(batch) == 0 {
			return n, nil
		}
		for _, d := range batch {
			ok, err := d.index(ctx, tx)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		after = batch[len(batch)-1].id
	}
}
