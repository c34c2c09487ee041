// Package notify delivers notifications: an in-app inbox per user (personal
// messages and org-wide ones for the users of an org holding a
// permission) and outbound webhooks so that a province can connect SMS or
// its office-messaging system. It decides nothing about deadlines: the
// case kernel (casework) decides when a reminder is due and app delivers
// it here as a message of kind "deadline.<stage>".
//
// Personal data. Webhook payloads carry ids, the kind, a title and a
// relative link, never personal data values: callers must give titles
// without names, ID numbers or phone numbers (e.g. "调解案件 TJ-2026-0042
// 还有3天到期", not the parties' names). Send refuses titles and bodies in
// which leakscan finds an ID number or a mobile number, and the body is
// never sent out.
//
// Webhooks are delivered by the durable job runner (internal/jobs): Send
// enqueues one job per matching webhook in the caller's transaction, so a
// delivery exists exactly when the notification commits; failures retry
// with the runner's back-off. Register the handler with RegisterJobs.
package notify

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/auth"
	"fengqiao/internal/jobs"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("notify", sub)
}

// JobKind is the job that posts one webhook delivery.
const JobKind = "notify.webhook"

// FieldError names the wrong input in Chinese.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Message is one notification. Set UserID for a personal message (OrgID
// then names the org it concerns, default the user's org, which decides
// the webhooks it goes to), or OrgID and optionally Perm for a message to
// every user of that org holding Perm ("" = all its users).
type Message struct {
	UserID int64
	OrgID  int64
	Perm   string
	Kind   string // e.g. "deadline.today", "mediation.assigned"
	Title  string // no personal data: it leaves the system in webhooks
	Body   string // shown in the inbox only
	Link   string // local path of the item, e.g. "/mediation/cases/42"
	// DedupeKey makes Send idempotent: a second message with the same key
	// is dropped (periodic reminder scans).
	DedupeKey string
}

var kindRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// Clock is replaceable in tests.
var Clock = func() time.Time { return time.Now().UTC() }

func (m *Message) validate() error {
	m.Kind, m.Title, m.Body, m.Link = strings.TrimSpace(m.Kind), strings.TrimSpace(m.Title), strings.TrimSpace(m.Body), strings.TrimSpace(m.Link)
	switch {
	case m.UserID == 0 && m.OrgID == 0:
		return &FieldError{"user_id", "须指定接收人或接收机构"}
	case m.UserID != 0 && m.Perm != "":
		return &FieldError{"perm", "个人消息不能限定权限"}
	case !kindRE.MatchString(m.Kind) || len(m.Kind) > 100:
		return &FieldError{"kind", "消息类型须为小写英文、数字、下划线和点，不超过100字节"}
	case m.Title == "" || utf8.RuneCountInString(m.Title) > 200:
		return &FieldError{"title", "标题必填，不超过200字"}
	case utf8.RuneCountInString(m.Body) > 2000:
		return &FieldError{"body", "正文不超过2000字"}
	case m.Link != "" && (!strings.HasPrefix(m.Link, "/") || strings.HasPrefix(m.Link, "//") || strings.HasPrefix(m.Link, "/\\")):
		return &FieldError{"link", "链接须为本系统内的路径，以 / 开头"}
	case len(m.DedupeKey) > 300:
		return &FieldError{"dedupe_key", "去重键不超过300字节"}
	}
	if len(leakscan.Scan([]byte(m.Title))) > 0 {
		return &FieldError{"title", "标题不得包含身份证号或手机号"}
	}
	if len(leakscan.Scan([]byte(m.Body))) > 0 {
		return &FieldError{"body", "正文不得包含身份证号或手机号"}
	}
	return nil
}

// Payload is the JSON body of a webhook delivery. It holds no personal
// data values: ids, the kind, the caller's safe title and a relative link.
type Payload struct {
	Event          string    `json:"event"`
	DeliveryID     int64     `json:"delivery_id"`
	NotificationID int64     `json:"notification_id,omitempty"`
	OrgID          int64     `json:"org_id,omitempty"`
	UserID         int64     `json:"user_id,omitempty"`
	Perm           string    `json:"perm,omitempty"`
	Title          string    `json:"title"`
	Link           string    `json:"link,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
}

// Send stores m in tx and enqueues its webhook deliveries there too. It
// returns the notification id, or 0 when DedupeKey was seen before.
func Send(ctx context.Context, tx *store.Tx, m Message) (int64, error) {
	if err := m.validate(); err != nil {
		return 0, err
	}
	subject := m.OrgID
	if m.UserID != 0 && subject == 0 {
		err := tx.QueryRow(ctx, `SELECT org_id FROM users WHERE id = ?`, m.UserID).Scan(&subject)
		if errors.Is(err, sql.ErrNoRows) {
			return 0, &FieldError{"user_id", "接收人不存在"}
		}
		if err != nil {
			return 0, err
		}
	}
	now := Clock()
	var user, orgID, key any
	if m.UserID != 0 {
		user = m.UserID
	}
	if subject != 0 {
		orgID = subject
	}
	if m.DedupeKey != "" {
		key = m.DedupeKey
	}
	id, err := store.InsertID(ctx, tx, `INSERT INTO notifications (user_id, org_id, perm, kind, title, body, link, dedupe_key, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id`,
		user, orgID, m.Perm, m.Kind, m.Title, m.Body, m.Link, key, now)
	if errors.Is(err, sql.ErrNoRows) && key != nil {
		return 0, nil // sent before
	}
	if store.IsForeignKeyViolation(err) {
		return 0, &FieldError{"org_id", "接收机构不存在"}
	}
	if err != nil {
		return 0, fmt.Errorf("notify: insert: %w", err)
	}
	if subject == 0 {
		return id, nil
	}
	p := Payload{Event: m.Kind, NotificationID: id, OrgID: subject, UserID: m.UserID, Perm: m.Perm, Title: m.Title,
		Link: m.Link, CreatedAt: now}
	return id, enqueueHooks(ctx, tx, subject, p)
}

// enqueueHooks creates a delivery for every active webhook whose org
// contains the subject org and whose filter takes the event.
func enqueueHooks(ctx context.Context, tx *store.Tx, subject int64, p Payload) error {
	rows, err := tx.Query(ctx, `SELECT w.id, w.events FROM webhooks w JOIN orgs o ON o.id = w.org_id
		JOIN orgs s ON s.id = ? WHERE w.active AND substr(s.path, 1, length(o.path)) = o.path ORDER BY w.id`, subject)
	if err != nil {
		return fmt.Errorf("notify: webhooks: %w", err)
	}
	type hook struct {
		id     int64
		events string
	}
	var hooks []hook
	for rows.Next() {
		var h hook
		if err := rows.Scan(&h.id, &h.events); err != nil {
			rows.Close()
			return err
		}
		hooks = append(hooks, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, h := range hooks {
		if !EventMatches(h.events, p.Event) {
			continue
		}
		if _, err := enqueueDelivery(ctx, tx, h.id, p); err != nil {
			return err
		}
	}
	return nil
}

// enqueueDelivery stores the delivery with its final payload (the
// delivery id is part of it) and enqueues the job.
func enqueueDelivery(ctx context.Context, tx *store.Tx, hookID int64, p Payload) (int64, error) {
	id, err := store.InsertID(ctx, tx, `INSERT INTO webhook_deliveries (webhook_id, event, payload, created_at)
		VALUES (?, ?, '', ?) RETURNING id`, hookID, p.Event, Clock())
	if err != nil {
		return 0, fmt.Errorf("notify: delivery: %w", err)
	}
	p.DeliveryID = id
	body, err := json.Marshal(p)
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE webhook_deliveries SET payload = ? WHERE id = ?`, string(body), id); err != nil {
		return 0, err
	}
	if _, err := jobs.Enqueue(ctx, tx, JobKind, map[string]int64{"delivery_id": id},
		jobs.Dedupe(fmt.Sprintf("%s:%d", JobKind, id))); err != nil {
		return 0, err
	}
	return id, nil
}

// EventMatches applies a webhook's filter: a comma-separated list of
// kinds, "prefix.*" patterns or "*"; empty takes every event.
func EventMatches(filter, event string) bool {
	filter = strings.TrimSpace(filter)
	if filter == "" {
		return true
	}
	for _, f := range strings.Split(filter, ",") {
		f = strings.TrimSpace(f)
		switch {
		case f == "*" || f == event:
			return true
		case strings.HasSuffix(f, ".*") && strings.HasPrefix(event, strings.TrimSuffix(f, "*")):
			return true
		}
	}
	return false
}

// Notification is an inbox entry; ReadAt zero means unread.
type Notification struct {
	ID        int64
	OrgWide   bool
	Kind      string
	Title     string
	Body      string
	Link      string
	CreatedAt time.Time
	ReadAt    time.Time
}

// Unread reports whether the entry is unread.
func (n Notification) Unread() bool { return n.ReadAt.IsZero() }

// Service reads inboxes and manages webhooks.
type Service struct {
	DB     *store.DB
	Sealer Sealer
	// Client posts webhooks; nil means a client with a 10 s timeout that
	// does not follow redirects.
	Client *http.Client
}

// visible is the condition on notifications n (joined with reads r of the
// user) for what userID sees.
func visible(userID int64, orgIDs []int64, perms []string) (string, []any) {
	w := "n.user_id = ?"
	args := []any{userID}
	if len(orgIDs) > 0 {
		w = "(" + w + " OR (n.user_id IS NULL AND n.org_id IN (" + store.InList(len(orgIDs)) + ") AND (n.perm = ''"
		for _, o := range orgIDs {
			args = append(args, o)
		}
		if len(perms) > 0 {
			w += " OR n.perm IN (" + store.InList(len(perms)) + ")"
			for _, p := range perms {
				args = append(args, p)
			}
		}
		w += ")))"
	}
	return w, args
}

// Inbox lists what userID sees, newest first, with the total count:
// personal messages and org-wide messages of orgIDs whose permission is
// in perms.
func (s *Service) Inbox(ctx context.Context, userID int64, orgIDs []int64, perms []string, limit, offset int) ([]Notification, int, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	w, args := visible(userID, orgIDs, perms)
	var total int
	if err := s.DB.Read().QueryRow(ctx, `SELECT COUNT(*) FROM notifications n WHERE `+w, args...).Scan(&total); err != nil {
		return nil, 0, err
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT n.id, n.user_id IS NULL, n.kind, n.title, n.body, n.link, n.created_at,
		CASE WHEN n.user_id IS NULL THEN r.read_at ELSE n.read_at END
		FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?
		WHERE `+w+` ORDER BY n.id DESC LIMIT ? OFFSET ?`, append(append([]any{userID}, args...), limit, offset)...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var read store.Time
		if err := rows.Scan(&n.ID, &n.OrgWide, &n.Kind, &n.Title, &n.Body, &n.Link, &n.CreatedAt, &read); err != nil {
			return nil, 0, err
		}
		n.ReadAt = read.T
		out = append(out, n)
	}
	return out, total, rows.Err()
}

// recipient is what a principal sees: personal messages and org-wide
// ones of their own org.
func recipient(p *auth.Principal) (int64, []int64, []string) {
	if p == nil {
		return 0, nil, nil
	}
	return p.UserID, []int64{p.OrgID}, p.Perms()
}

// InboxOf is Inbox for a principal.
func (s *Service) InboxOf(ctx context.Context, p *auth.Principal, limit, offset int) ([]Notification, int, error) {
	u, o, perms := recipient(p)
	return s.Inbox(ctx, u, o, perms, limit, offset)
}

// Unread counts the principal's unread notifications.
func (s *Service) Unread(ctx context.Context, p *auth.Principal) (int, error) {
	u, o, perms := recipient(p)
	if u == 0 {
		return 0, nil
	}
	w, args := visible(u, o, perms)
	var n int
	err := s.DB.Read().QueryRow(ctx, `SELECT COUNT(*) FROM notifications n
		LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?
		WHERE `+w+` AND (CASE WHEN n.user_id IS NULL THEN r.read_at ELSE n.read_at END) IS NULL`,
		append([]any{u}, args...)...).Scan(&n)
	return n, err
}

// MarkRead marks one notification read for the principal; store.ErrNotFound
// if they do not see it.
func (s *Service) MarkRead(ctx context.Context, p *auth.Principal, id int64) error {
	u, o, perms := recipient(p)
	if u == 0 {
		return store.ErrNotFound
	}
	now := Clock()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		w, args := visible(u, o, perms)
		var orgWide bool
		err := tx.QueryRow(ctx, `SELECT n.user_id IS NULL FROM notifications n WHERE n.id = ? AND `+w,
			append([]any{id}, args...)...).Scan(&orgWide)
		if errors.Is(err, sql.ErrNoRows) {
			return store.ErrNotFound
		}
		if err != nil {
			return err
		}
		if orgWide {
			_, err = tx.Exec(ctx, `INSERT INTO notification_reads (user_id, notification_id, read_at) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, u, id, now)
		} else {
			_, err = tx.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE id = ? AND read_at IS NULL`, now, id)
		}
		return err
	})
}

// MarkAllRead marks everything the principal sees as read.
func (s *Service) MarkAllRead(ctx context.Context, p *auth.Principal) error {
	u, o, perms := recipient(p)
	if u == 0 {
		return nil
	}
	now := Clock()
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, now, u); err != nil {
			return err
		}
		w, args := visible(u, o, perms)
		_, err := tx.Exec(ctx, `INSERT INTO notification_reads (user_id, notification_id, read_at)
			SELECT ?, n.id, ? FROM notifications n WHERE n.user_id IS NULL AND `+w+`
			ON CONFLICT DO NOTHING`, append([]any{u, now}, args...)...)
		return err
	})
}
