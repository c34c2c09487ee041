package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"fengqiao/internal/audit"
	"fengqiao/internal/jobs"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

// Sealer encrypts webhook secrets at rest (the app passes its field
// encryption, as for TOTP seeds).
type Sealer interface {
	Seal(plain []byte) (string, error)
	Open(sealed string) ([]byte, error)
}

// Delivery headers.
const (
	HeaderEvent     = "X-Fengqiao-Event"
	HeaderDelivery  = "X-Fengqiao-Delivery"
	HeaderSignature = "X-Fengqiao-Signature"
	HeaderTimestamp = "X-Fengqiao-Timestamp"
)

// DeliveryTimeout bounds one POST.
const DeliveryTimeout = 10 * time.Second

// Sign returns the signature header value: "sha256=" and the hex HMAC-SHA256
// of body with secret.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// Webhook is an outbound endpoint receiving the events of its org's
// subtree.
type Webhook struct {
	ID        int64
	OrgID     int64
	OrgName   string
	Name      string
	URL       string
	Events    string
	Active    bool
	CreatedAt time.Time
}

// WebhookInput creates a webhook. An empty Secret is generated.
type WebhookInput struct {
	OrgID  int64
	Name   string
	URL    string
	Secret string
	Events string
}

// Delivery is one attempt record of a webhook.
type Delivery struct {
	ID           int64
	WebhookID    int64
	Event        string
	Payload      string
	Status       string // pending, delivered, retrying, failed, skipped
	Attempts     int
	ResponseCode int
	LastError    string
	CreatedAt    time.Time
	DeliveredAt  time.Time
}

// StatusName is the Chinese label of a delivery status.
func (d Delivery) StatusName() string {
	return map[string]string{"pending": "待发送", "delivered": "已送达", "retrying": "失败，等待重试", "failed": "失败(已放弃)",
		"skipped": "未发送(已停用)"}[d.Status]
}

func (in *WebhookInput) validate() error {
	in.Name, in.URL, in.Events = strings.TrimSpace(in.Name), strings.TrimSpace(in.URL), strings.TrimSpace(in.Events)
	if in.OrgID == 0 {
		return &FieldError{"org_id", "请选择所属机构"}
	}
	if in.Name == "" || utf8.RuneCountInString(in.Name) > 100 {
		return &FieldError{"name", "名称必填，不超过100字"}
	}
	u, err := url.Parse(in.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(in.URL) > 500 {
		return &FieldError{"url", "地址须为 http:// 或 https:// 开头的完整网址，不含用户名密码"}
	}
	if in.Secret != "" && len(in.Secret) < 16 {
		return &FieldError{"secret", "签名密钥至少16个字符；留空则自动生成"}
	}
	var evs []string
	for _, e := range strings.Split(in.Events, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if e != "*" && !kindRE.MatchString(strings.TrimSuffix(e, ".*")) {
			return &FieldError{"events", "事件须为消息类型，如 deadline.today 或 deadline.*，多个用逗号分隔"}
		}
		evs = append(evs, e)
	}
	in.Events = strings.Join(evs, ",")
	return nil
}

func (s *Service) orgIn(ctx context.Context, q store.Querier, sc org.Scope, orgID int64) error {
	var path string
	err := q.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !sc.Contains(path)) {
		return &FieldError{"org_id", "所属机构不在您的管辖范围内"}
	}
	return err
}

// CreateWebhook stores a webhook of an org inside sc and returns it with
// the secret in clear, to be shown once. Audited "webhook.create".
func (s *Service) CreateWebhook(ctx context.Context, sc org.Scope, in WebhookInput) (Webhook, string, error) {
	if err := in.validate(); err != nil {
		return Webhook{}, "", err
	}
	if in.Secret == "" {
		b := make([]byte, 24)
		if _, err := rand.Read(b); err != nil {
			return Webhook{}, "", err
		}
		in.Secret = hex.EncodeToString(b)
	}
	sealed, err := s.Sealer.Seal([]byte(in.Secret))
	if err != nil {
		return Webhook{}, "", fmt.Errorf("notify: seal secret: %w", err)
	}
	var id int64
	now := Clock()
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		if err := s.orgIn(ctx, tx, sc, in.OrgID); err != nil {
			return err
		}
		var by any
		if u := audit.ActorFrom(ctx).UserID; u != 0 {
			by = u
		}
		var err error
		id, err = store.InsertID(ctx, tx, `INSERT INTO webhooks (org_id, name, url, secret, events, active, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, TRUE, ?, ?, ?) RETURNING id`, in.OrgID, in.Name, in.URL, sealed, in.Events, by, now, now)
		if err != nil {
			return err
		}
		// The URL may name a partner's host; it is configuration, not personal data.
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.create", ObjectType: "webhook", ObjectID: fmt.Sprint(id),
			OrgID: in.OrgID, Detail: "events=" + in.Events})
	})
	if err != nil {
		return Webhook{}, "", err
	}
	w, err := s.Webhook(ctx, sc, id)
	return w, in.Secret, err
}

const hookCols = `w.id, w.org_id, o.name, w.name, w.url, w.events, w.active, w.created_at`

func scanHook(r interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	err := r.Scan(&w.ID, &w.OrgID, &w.OrgName, &w.Name, &w.URL, &w.Events, &w.Active, &w.CreatedAt)
	return w, err
}

// Webhooks lists the webhooks of orgs inside sc.
func (s *Service) Webhooks(ctx context.Context, sc org.Scope) ([]Webhook, error) {
	cond, args := sc.Where("o.path")
	rows, err := s.DB.Read().Query(ctx, `SELECT `+hookCols+` FROM webhooks w JOIN orgs o ON o.id = w.org_id
		WHERE `+cond+` ORDER BY o.path, w.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Webhook
	for rows.Next() {
		w, err := scanHook(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// Webhook returns one webhook inside sc; store.ErrNotFound otherwise.
func (s *Service) Webhook(ctx context.Context, sc org.Scope, id int64) (Webhook, error) {
	cond, args := sc.Where("o.path")
	w, err := scanHook(s.DB.Read().QueryRow(ctx, `SELECT `+hookCols+` FROM webhooks w JOIN orgs o ON o.id = w.org_id
		WHERE `+cond+` AND w.id = ?`, append(args, id)...))
	if errors.Is(err, sql.ErrNoRows) {
		return w, store.ErrNotFound
	}
	return w, err
}

// SetWebhookActive enables or disables a webhook inside sc; pending
// deliveries of a disabled webhook are skipped. Audited.
func (s *Service) SetWebhookActive(ctx context.Context, sc org.Scope, id int64, active bool) error {
	w, err := s.Webhook(ctx, sc, id)
	if err != nil {
		return err
	}
	action := "webhook.disable"
	if active {
		action = "webhook.enable"
	}
	return s.DB.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE webhooks SET active = ?, updated_at = ? WHERE id = ?`, active, Clock(), id); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: action, ObjectType: "webhook", ObjectID: fmt.Sprint(id), OrgID: w.OrgID})
	})
}

// TestWebhook enqueues a "test" event to the webhook and returns the
// delivery id. Audited "webhook.test".
func (s *Service) TestWebhook(ctx context.Context, sc org.Scope, id int64) (int64, error) {
	w, err := s.Webhook(ctx, sc, id)
	if err != nil {
		return 0, err
	}
	if !w.Active {
		return 0, &FieldError{"active", "接口已停用，请先启用"}
	}
	var did int64
	err = s.DB.Tx(ctx, func(tx *store.Tx) error {
		var err error
		did, err = enqueueDelivery(ctx, tx, id, Payload{Event: "test", OrgID: w.OrgID, Title: "测试消息：枫桥平台接口连通性测试", CreatedAt: Clock()})
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "webhook.test", ObjectType: "webhook", ObjectID: fmt.Sprint(id), OrgID: w.OrgID})
	})
	return did, err
}

// Deliveries lists a webhook's latest deliveries (webhook inside sc).
func (s *Service) Deliveries(ctx context.Context, sc org.Scope, webhookID int64, limit int) ([]Delivery, error) {
	if _, err := s.Webhook(ctx, sc, webhookID); err != nil {
		return nil, err
	}
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := s.DB.Read().Query(ctx, `SELECT id, webhook_id, event, payload, status, attempts, response_code, last_error,
		created_at, delivered_at FROM webhook_deliveries WHERE webhook_id = ? ORDER BY id DESC LIMIT ?`, webhookID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Delivery
	for rows.Next() {
		var d Delivery
		var at store.Time
		if err := rows.Scan(&d.ID, &d.WebhookID, &d.Event, &d.Payload, &d.Status, &d.Attempts, &d.ResponseCode, &d.LastError,
			&d.CreatedAt, &at); err != nil {
			return nil, err
		}
		d.DeliveredAt = at.T
		out = append(out, d)
	}
	return out, rows.Err()
}

// RegisterJobs registers the webhook delivery handler on the runner.
func (s *Service) RegisterJobs(r *jobs.Runner) { r.Handle(JobKind, s.Deliver) }

var defaultClient = &http.Client{
	Timeout:       DeliveryTimeout,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Deliver is the job handler: it POSTs one delivery, signed. A non-2xx
// answer or a network error is returned so that the runner retries with
// its back-off; the delivery row keeps the attempt count and last error.
func (s *Service) Deliver(ctx context.Context, j *jobs.Job) error {
	var in struct {
		DeliveryID int64 `json:"delivery_id"`
	}
	if err := j.Decode(&in); err != nil {
		return err
	}
	var (
		event, payload, status, url, sealed string
		active                              bool
	)
	err := s.DB.Read().QueryRow(ctx, `SELECT d.event, d.payload, d.status, w.url, w.secret, w.active
		FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = ?`, in.DeliveryID).
		Scan(&event, &payload, &status, &url, &sealed, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return jobs.Permanent(fmt.Errorf("delivery %d is gone", in.DeliveryID))
	}
	if err != nil {
		return err
	}
	if status == "delivered" || status == "skipped" {
		return nil // done by an earlier run (at-least-once jobs)
	}
	if !active {
		_, err := s.DB.Exec(ctx, `UPDATE webhook_deliveries SET status = 'skipped' WHERE id = ?`, in.DeliveryID)
		return err
	}
	secret, err := s.Sealer.Open(sealed)
	if err != nil {
		return jobs.Permanent(fmt.Errorf("webhook secret: %w", err))
	}
	code, sendErr := s.post(ctx, url, event, in.DeliveryID, []byte(payload), secret)
	now := Clock()
	if sendErr == nil {
		_, err := s.DB.Exec(ctx, `UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, response_code = ?,
			last_error = '', delivered_at = ?, next_at = NULL WHERE id = ?`, code, now, in.DeliveryID)
		return err
	}
	next := "retrying"
	var bad errBadURL
	if j.Attempt >= j.MaxAttempts || errors.As(sendErr, &bad) {
		next = "failed"
	}
	msg := sendErr.Error()
	if len(msg) > 500 {
		msg = msg[:500]
	}
	if _, err := s.DB.Exec(ctx, `UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, response_code = ?,
		last_error = ? WHERE id = ?`, next, code, strings.ToValidUTF8(msg, ""), in.DeliveryID); err != nil {
		return errors.Join(sendErr, err)
	}
	if errors.As(sendErr, &bad) {
		return jobs.Permanent(sendErr) // no retry can fix the address
	}
	return sendErr
}

// errBadURL is a webhook address no request can be built for.
type errBadURL struct{ err error }

func (e errBadURL) Error() string { return "接口地址无效: " + e.err.Error() }
func (e errBadURL) Unwrap() error { return e.err }

func (s *Service) post(ctx context.Context, url, event string, id int64, body, secret []byte) (int, error) {
	c := s.Client
	if c == nil {
		c = defaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, DeliveryTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, errBadURL{err}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "Fengqiao-Webhook/1")
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, strconv.FormatInt(id, 10))
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(Clock().Unix(), 10))
	req.Header.Set(HeaderSignature, Sign(secret, body))
	res, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("无法连接接口地址: %w", err)
	}
	defer res.Body.Close()
	io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, fmt.Errorf("HTTP %d", res.StatusCode) // the receiver's answer
	}
	return res.StatusCode, nil
}
