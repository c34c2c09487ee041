// Package portal is the public portal (/p/): online application for
// people's mediation with a tracking code, progress lookup without an
// account, and the party feedback page (评估反馈).
package portal

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/casework"
	"fengqiao/internal/mediation"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

//go:embed migrations
var migrations embed.FS

//go:embed all:templates
var templates embed.FS

//go:embed static
var static embed.FS

//go:embed i18n
var catalogs embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("portal", sub)
	t, _ := fs.Sub(templates, "templates")
	web.RegisterTemplates("portal", t)
	st, _ := fs.Sub(static, "static")
	web.RegisterStatic("portal", st)
	c, _ := fs.Sub(catalogs, "i18n")
	if err := web.RegisterCatalogFS(c); err != nil {
		panic(err)
	}
}

// Abuse limits of the public forms, per client IP and hour.
const (
	MaxApplyPerHour     = 5  // applications created (and honeypot hits)
	MaxTrackFailPerHour = 10 // failed tracking lookups
	throttleWindow      = time.Hour
	// MinFillTime is the least time a person needs to fill the form; a
	// faster post is a script.
	MinFillTime = 5 * time.Second
	// MaxFormAge bounds how long a served form may be posted.
	MaxFormAge = 4 * time.Hour
)

const (
	kindApply = "apply"
	kindTrack = "track_fail"
)

// OnlineSourceRef marks a case registered through the portal (source
// 当事人申请调解); staff see it as the source reference.
const OnlineSourceRef = "网上申请"

var codeEnc = base32.StdEncoding.WithPadding(base32.NoPadding)

// newCode returns a 10-character base32 tracking code (50 random bits).
func newCode() (string, error) {
	var b [7]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return codeEnc.EncodeToString(b[:])[:10], nil
}

// NormalizeCode upper-cases a typed code, drops separators and maps the
// digits people confuse with base32 letters.
func NormalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch {
		case r == '0':
			b.WriteRune('O')
		case r == '1':
			b.WriteRune('I')
		case r == '8':
			b.WriteRune('B')
		case (r >= 'A' && r <= 'Z') || (r >= '2' && r <= '7'):
			b.WriteRune(r)
		}
	}
	return b.String()
}

// FormatCode groups a code as XXXXX-XXXXX for reading aloud.
func FormatCode(c string) string {
	if len(c) != 10 {
		return c
	}
	return c[:5] + "-" + c[5:]
}

func sha(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// The code has 50 random bits, so a plain hash is enough; the phone hash
// includes the code, so the 10^4 possible digits cannot be tried without it.
func codeHash(code string) string         { return sha("portal-code", code) }
func phoneHash(code, last4 string) string { return sha("portal-phone", code, last4) }

// ipKey keeps client addresses out of the table.
func ipKey(ip string) string { return sha("portal-ip", ip)[:32] }

// Office is a 司法所 the public may apply to.
type Office struct {
	ID     int64
	Name   string
	County string
}

// CountyOffices groups offices under their county for the select.
type CountyOffices struct {
	County  string
	Offices []Office
}

// Store holds the portal's own tables.
type Store struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC().Truncate(time.Microsecond)
	}
	return time.Now().UTC().Truncate(time.Microsecond)
}

// Offices lists the active 司法所 with their parent's name, grouped.
func (s *Store) Offices(ctx context.Context) ([]CountyOffices, error) {
	rows, err := s.DB.Read().Query(ctx, `SELECT o.id, o.name, COALESCE(p.name, '') FROM orgs o LEFT JOIN orgs p ON p.id = o.parent_id
		WHERE o.kind = ? AND o.active = TRUE ORDER BY p.path, o.sort, o.name`, string(org.Office))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CountyOffices
	for rows.Next() {
		var o Office
		if err := rows.Scan(&o.ID, &o.Name, &o.County); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].County != o.County {
			out = append(out, CountyOffices{County: o.County})
		}
		out[len(out)-1].Offices = append(out[len(out)-1].Offices, o)
	}
	return out, rows.Err()
}

// activeOffice reports whether id is an active 司法所.
func (s *Store) activeOffice(ctx context.Context, id int64) (bool, error) {
	var n int
	err := s.DB.Read().QueryRow(ctx, `SELECT count(*) FROM orgs WHERE id = ? AND kind = ? AND active = TRUE`, id, string(org.Office)).Scan(&n)
	return n == 1, err
}

// Hits returns the counter of kind for ip in the current window.
func (s *Store) Hits(ctx context.Context, kind, ip string) (int, error) {
	var start time.Time
	var n int
	err := s.DB.Read().QueryRow(ctx, `SELECT window_start, hits FROM portal_throttle WHERE ip = ? AND kind = ?`, ipKey(ip), kind).Scan(&start, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if start.Before(s.now().Add(-throttleWindow)) {
		return 0, nil
	}
	return n, nil
}

// bump counts one hit of kind for ip (fixed window, like login_throttle).
func (s *Store) bump(ctx context.Context, q store.Querier, kind, ip string) error {
	now := s.now()
	old := now.Add(-throttleWindow)
	_, err := q.Exec(ctx, `INSERT INTO portal_throttle (ip, kind, window_start, hits) VALUES (?, ?, ?, 1)
		ON CONFLICT (ip, kind) DO UPDATE SET
		  hits = CASE WHEN portal_throttle.window_start < ? THEN 1 ELSE portal_throttle.hits + 1 END,
		  window_start = CASE WHEN portal_throttle.window_start < ? THEN excluded.window_start ELSE portal_throttle.window_start END`,
		ipKey(ip), kind, now, old, old)
	return err
}

// Bump counts one hit of kind for ip in its own transaction.
func (s *Store) Bump(ctx context.Context, kind, ip string) error {
	return s.DB.Tx(ctx, func(tx *store.Tx) error { return s.bump(ctx, tx, kind, ip) })
}

// issueCode stores a new tracking code for caseID and counts the
// application against ip, inside tx (the one that registers the case).
func (s *Store) issueCode(ctx context.Context, tx *store.Tx, caseID int64, phoneLast4, ip string) (string, error) {
	var code string
	for range 3 { // a collision of 50-bit codes is unlikely; retry anyway
		c, err := newCode()
		if err != nil {
			return "", err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM portal_tracking WHERE code_hash = ?`, codeHash(c)).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			code = c
			break
		}
	}
	if code == "" {
		return "", errors.New("portal: no free tracking code")
	}
	if _, err := tx.Exec(ctx, `INSERT INTO portal_tracking (code_hash, case_id, phone_hash, created_at) VALUES (?, ?, ?, ?)`,
		codeHash(code), caseID, phoneHash(code, phoneLast4), s.now()); err != nil {
		return "", err
	}
	if err := s.bump(ctx, tx, kindApply, ip); err != nil {
		return "", err
	}
	return code, audit.Record(ctx, tx, audit.Event{Action: "portal.apply", ObjectType: "med_case", ObjectID: strconv.FormatInt(caseID, 10),
		Result: audit.OK, Detail: "tracking code issued"})
}

// Progress is what a tracking code reveals: no names, no summary.
type Progress struct {
	CaseID      int64 // for the audit log, not shown
	Number      string
	State       string
	OfficeName  string
	OfficePhone string
	Registered  string
	Accepted    string
	Closed      string
}

// StateName is the state in plain Chinese.
func (p Progress) StateName() string { return mediation.CaseStateName(p.State) }

// StateHelp explains the state to the applicant.
func (p Progress) StateHelp() string { return stateHelp[p.State] }

var stateHelp = map[string]string{
	mediation.StateRegistered: "您的申请已登记，司法所将在几个工作日内审查是否受理，并电话联系您。",
	mediation.StateAccepted:   "您的申请已受理，调解员将与您联系，约定调解的时间和地点。",
	mediation.StateDeclined:   "该纠纷不予受理。具体原因及其他解决途径请致电下方司法所咨询。",
	mediation.StateMediating:  "调解正在进行中。",
	mediation.StateSucceeded:  "调解成功，双方已达成调解协议，请按协议履行。",
	mediation.StateFailed:     "调解未能达成协议，已终止调解。您可以依法通过仲裁、行政或诉讼等途径解决。",
	mediation.StatePerformed:  "调解协议已履行完毕。",
	mediation.StateClosed:     "案件已回访结案。感谢您的信任。",
}

// ErrBadCode is the single answer to a wrong code or wrong phone digits:
// it does not tell which one was wrong.
var ErrBadCode = errors.New("查询码或手机号后四位不正确")

// Track returns the progress of the case of code if phoneLast4 matches.
func (s *Store) Track(ctx context.Context, code, phoneLast4 string) (Progress, error) {
	var p Progress
	code = NormalizeCode(code)
	if len(code) != 10 || len(phoneLast4) != 4 {
		return p, ErrBadCode
	}
	var ph string
	var created time.Time
	var closed sql.NullTime
	err := s.DB.Read().QueryRow(ctx, `SELECT t.phone_hash, t.case_id, c.number, c.state, c.created_at, c.closed_at, o.name, o.phone,
		COALESCE(m.accepted_on, '') FROM portal_tracking t JOIN cases c ON c.id = t.case_id JOIN orgs o ON o.id = c.org_id
		LEFT JOIN med_cases m ON m.case_id = c.id WHERE t.code_hash = ?`, codeHash(code)).
		Scan(&ph, &p.CaseID, &p.Number, &p.State, &created, &closed, &p.OfficeName, &p.OfficePhone, &p.Accepted)
	if errors.Is(err, sql.ErrNoRows) {
		return Progress{}, ErrBadCode
	}
	if err != nil {
		return Progress{}, err
	}
	if subtle.ConstantTimeCompare([]byte(ph), []byte(phoneHash(code, phoneLast4))) != 1 {
		return Progress{}, ErrBadCode
	}
	p.Registered = created.In(web.Shanghai).Format(time.DateOnly)
	if closed.Valid {
		p.Closed = closed.Time.In(web.Shanghai).Format(time.DateOnly)
	}
	return p, nil
}

// FeedbackState is what a feedback link is before it is used.
type FeedbackState int

const (
	FeedbackOpen FeedbackState = iota
	FeedbackInvalid
	FeedbackUsed
	FeedbackLocked
)

// PeekFeedback tells whether token can still be used, so the page shows
// the outcome before the party writes anything. It reads case_feedback the
// way casework.SubmitFeedback does (sha256 hex of the token); submitting
// stays the authority.
func (s *Store) PeekFeedback(ctx context.Context, token string) (FeedbackState, error) {
	token = strings.TrimSpace(token)
	if token == "" || len(token) > 100 {
		return FeedbackInvalid, nil
	}
	h := sha256.Sum256([]byte(token))
	var rated sql.NullInt64
	var attempts int
	var expires time.Time
	err := s.DB.Read().QueryRow(ctx, `SELECT rating, attempts, expires_at FROM case_feedback WHERE token_hash = ?`,
		hex.EncodeToString(h[:])).Scan(&rated, &attempts, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return FeedbackInvalid, nil
	case err != nil:
		return FeedbackInvalid, err
	case rated.Valid:
		return FeedbackUsed, nil
	case s.now().After(expires):
		return FeedbackInvalid, nil
	case attempts >= casework.MaxFeedbackAttempts:
		return FeedbackLocked, nil
	}
	return FeedbackOpen, nil
}

// signer makes and checks the signed timestamp of the apply form.
type signer struct{ key []byte }

func (g signer) mac(ts string) string {
	m := hmac.New(sha256.New, g.key)
	m.Write([]byte("portal-apply:" + ts))
	return hex.EncodeToString(m.Sum(nil))[:32]
}

func (g signer) stamp(now time.Time) string {
	ts := strconv.FormatInt(now.Unix(), 10)
	return ts + "." + g.mac(ts)
}

// check returns "" when v is a valid stamp between MinFillTime and
// MaxFormAge old, else the reason.
func (g signer) check(v string, now time.Time) string {
	ts, sig, ok := strings.Cut(v, ".")
	if !ok || len(g.key) == 0 || !hmac.Equal([]byte(sig), []byte(g.mac(ts))) {
		return "表单无效，请重新打开申请页面填写"
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "表单无效，请重新打开申请页面填写"
	}
	age := now.Sub(time.Unix(sec, 0))
	switch {
	case age < MinFillTime:
		return "提交过快，请核对填写内容后再提交"
	case age > MaxFormAge:
		return "表单已过期，请核对内容后重新提交"
	}
	return ""
}
