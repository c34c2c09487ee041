package portal

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/casework"
	"fengqiao/internal/mediation"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/person/leakscan"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

const (
	idA    = "11010519491231002X"
	phoneA = "13812345678"
	phoneB = "15900001111"
)

type nullSealer struct{}

func (nullSealer) Seal(b []byte) (string, error) { return string(b), nil }
func (nullSealer) Open(s string) ([]byte, error) { return []byte(s), nil }

// lockedBuf collects log output from concurrent handlers.
type lockedBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type site struct {
	t        *testing.T
	db       *store.DB
	h        http.Handler
	med      *mediation.Store
	county   org.Org
	office   org.Org
	office2  org.Org
	closed   org.Org // inactive office
	now      time.Time
	ip       string
	logs     *lockedBuf
	mu       sync.Mutex
	lastForm string
}

func newSite(t *testing.T, db *store.DB) *site {
	t.Helper()
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "test"})
	orgs := &org.Store{DB: db}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		t.Helper()
		o, err := orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code, Phone: "0827-5261234"})
		if err != nil {
			t.Fatalf("org %s: %v", name, err)
		}
		return o
	}
	s := &site{t: t, db: db, now: time.Now().UTC().Truncate(time.Second), ip: "203.0.113.7", logs: &lockedBuf{}}
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	city := mk(prov.ID, org.City, "巴中市司法局", "511900")
	s.county = mk(city.ID, org.County, "巴州区司法局", "511902")
	s.office = mk(s.county.ID, org.Office, "江北街道司法所", "511902001")
	s.office2 = mk(s.county.ID, org.Office, "东城街道司法所", "511902002")
	s.closed = mk(s.county.ID, org.Office, "已撤并司法所", "511902003")
	if err := orgs.SetActive(ctx, org.System(), s.closed.ID, false); err != nil {
		t.Fatal(err)
	}
	crypto, err := person.NewCrypto(person.Keys{Field: map[int][]byte{1: bytes.Repeat([]byte{1}, 32)}, Current: 1, Hash: bytes.Repeat([]byte{0x42}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	s.med = &mediation.Store{DB: db, Persons: &person.Store{DB: db, Crypto: crypto}}
	svc := auth.New(db, orgs, nullSealer{})
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: svc, R: r}
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", r.StaticHandler()))
	clock := func() time.Time { s.mu.Lock(); defer s.mu.Unlock(); return s.now }
	(&Handler{Auth: ah, DB: db, Mediation: s.med, PortalKey: bytes.Repeat([]byte{7}, 32),
		Log: slog.New(slog.NewTextHandler(s.logs, nil)), Now: clock}).Routes(mux)
	s.h = ah.Middleware(mux)
	mediation.Clock = clock
	t.Cleanup(func() { mediation.Clock = func() time.Time { return time.Now().UTC() } })
	return s
}

func (s *site) advance(d time.Duration) { s.mu.Lock(); s.now = s.now.Add(d); s.mu.Unlock() }

// do sends an anonymous request and fails on any clear ID or mobile
// number in the answer.
func (s *site) do(method, path string, form url.Values) *httptest.ResponseRecorder {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	req.RemoteAddr = s.ip + ":40000"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	if found := leakscan.Scan(rec.Body.Bytes()); len(found) > 0 {
		s.t.Fatalf("%s %s answered %d with a clear number %s (%s)", method, path, rec.Code, found[0].Masked, found[0].Kind)
	}
	return rec
}

func want(t *testing.T, rec *httptest.ResponseRecorder, status int, contains ...string) string {
	t.Helper()
	b := html.UnescapeString(rec.Body.String())
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body:\n%s", rec.Code, status, b)
	}
	for _, c := range contains {
		if !strings.Contains(b, c) {
			t.Fatalf("body lacks %q:\n%s", c, b)
		}
	}
	return b
}

var stampRe = regexp.MustCompile(`name="ts" value="([^"]+)"`)

// form fetches the apply form, waits a human's time and returns valid values.
func (s *site) form() url.Values {
	s.t.Helper()
	b := want(s.t, s.do("GET", "/p/mediation/apply", nil), 200, "江北街道司法所", "巴州区司法局", "邻里纠纷", "个人信息保护法")
	m := stampRe.FindStringSubmatch(b)
	if m == nil {
		s.t.Fatal("no ts field")
	}
	s.advance(30 * time.Second)
	return url.Values{"ts": {m[1]}, "name": {"王秀兰"}, "id_number": {idA}, "phone": {phoneA}, "address": {"巴中市巴州区江北大道1号"},
		"other_name": {"李建国"}, "other_phone": {phoneB}, "dispute_type": {"neighbour"}, "office_id": {strconv.FormatInt(s.office.ID, 10)},
		"summary": {"邻居装修占用公共通道，协商未果。"}, "consent": {"1"}}
}

var codeRe = regexp.MustCompile(`id="code">([A-Z2-7]{5}-[A-Z2-7]{5})<`)

func (s *site) apply(v url.Values) (code string, body string) {
	s.t.Helper()
	b := want(s.t, s.do("POST", "/p/mediation/apply", v), 200, "申请已提交", "只显示这一次", "江北街道司法所")
	m := codeRe.FindStringSubmatch(b)
	if m == nil {
		s.t.Fatalf("no tracking code shown:\n%s", b)
	}
	return m[1], b
}

func (s *site) count(q string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.Read().QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func staffCtx(officeID int64) context.Context {
	p := auth.NewPrincipalForTest(1, officeID, org.System(), auth.LinePerm(mediation.Line, "view"), auth.LinePerm(mediation.Line, "edit"))
	return auth.WithPrincipal(audit.WithActor(context.Background(), audit.Actor{Username: "staff"}), p)
}

func TestApplyTrack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		want(t, s.do("GET", "/p/", nil), 200, "网上申请调解", "查询调解进度")
		code, _ := s.apply(s.form())

		// The case: in the chosen office, source 申请调解 online, applicant a party.
		var caseID int64
		if err := db.Read().QueryRow(context.Background(), `SELECT case_id FROM portal_tracking`).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		c, err := s.med.Case(staffCtx(s.office.ID), org.System(), caseID)
		if err != nil {
			t.Fatal(err)
		}
		if c.OrgID != s.office.ID || c.Source != "application" || c.SourceRef != OnlineSourceRef || c.DisputeType != "neighbour" {
			t.Fatalf("case org %d source %q/%q type %q", c.OrgID, c.Source, c.SourceRef, c.DisputeType)
		}
		if len(c.Parties) != 2 || c.Parties[0].Role != "applicant" || c.Parties[0].Name != "王秀兰" || c.Parties[1].Role != "respondent" {
			t.Fatalf("parties %+v", c.Parties)
		}
		// The ID number is in the person registry, encrypted.
		if n := s.count(`SELECT count(*) FROM persons WHERE name = ? AND doc_enc <> '' AND doc_hash <> ''`, "王秀兰"); n != 1 {
			t.Fatalf("applicant persons with an encrypted ID: %d", n)
		}
		if n := s.count(`SELECT count(*) FROM persons WHERE doc_enc LIKE ? OR phone_enc LIKE ?`, "%"+idA[:10]+"%", "%"+phoneA+"%"); n != 0 {
			t.Fatal("clear ID or phone in persons")
		}
		if n := s.count(`SELECT count(*) FROM portal_tracking WHERE code_hash LIKE ?`, "%"+NormalizeCode(code)+"%"); n != 0 {
			t.Fatal("tracking code stored in clear")
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action = 'mediation.create' AND actor_name = 'portal'`); n != 1 {
			t.Fatalf("audit rows by portal: %d", n)
		}

		// Track: right code (typed loosely) and digits show the state, no names.
		b := want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {strings.ToLower(code)}, "phone4": {phoneA[7:]}}), 200,
			"已登记", c.Number, "江北街道司法所", "0827-5261234", "尚未受理")
		for _, secret := range []string{"王秀兰", "李建国", "公共通道", "巴州区江北大道"} {
			if strings.Contains(b, secret) {
				t.Fatalf("progress page shows %q", secret)
			}
		}
		if n := s.count(`SELECT count(*) FROM audit_log WHERE action IN ('portal.apply', 'portal.track') AND actor_name = 'portal' AND object_id = ?`,
			strconv.FormatInt(caseID, 10)); n != 2 {
			t.Fatalf("portal audit rows: %d, want 2", n)
		}
		// Accepted: the date shows.
		if _, err := db.Exec(context.Background(), `UPDATE med_cases SET accepted_on = '2026-05-05' WHERE case_id = ?`, caseID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(context.Background(), `UPDATE cases SET state = 'accepted' WHERE id = ?`, caseID); err != nil {
			t.Fatal(err)
		}
		want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {code}, "phone4": {phoneA[7:]}}), 200, "已受理", "2026-05-05")

		// Wrong digits: refused like a wrong code, and counted.
		b = want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {code}, "phone4": {"0000"}}), 422, ErrBadCode.Error())
		if strings.Contains(b, c.Number) {
			t.Fatal("refused lookup shows the case number")
		}
		want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {"AAAAA-AAAAA"}, "phone4": {phoneA[7:]}}), 422, ErrBadCode.Error())
		if n := s.count(`SELECT hits FROM portal_throttle WHERE kind = ?`, kindTrack); n != 2 {
			t.Fatalf("failed lookups counted %d, want 2", n)
		}
		for i := 2; i < MaxTrackFailPerHour; i++ {
			want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {code}, "phone4": {"1111"}}), 422)
		}
		// Locked now, even with the right digits; another IP is not.
		want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {code}, "phone4": {phoneA[7:]}}), 429, "一小时后")
		s.ip = "198.51.100.9"
		want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {code}, "phone4": {phoneA[7:]}}), 200, "已受理")
		s.ip = "203.0.113.7"
		s.advance(61 * time.Minute)
		want(t, s.do("POST", "/p/mediation/track", url.Values{"code": {code}, "phone4": {phoneA[7:]}}), 200, "已受理")

		// No personal data in the logs.
		logs := s.logs.String()
		if found := leakscan.Scan([]byte(logs)); len(found) > 0 || strings.Contains(logs, "王秀兰") || strings.Contains(logs, NormalizeCode(code)) {
			t.Fatalf("personal data or code in logs:\n%s", logs)
		}
	})
}

func TestApplyValidation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		cases := []struct {
			field, value, msg string
		}{
			{"id_number", "110105194912310021", "身份证号码不正确"},
			{"phone", "0827-5261234", "11位手机号码"},
			{"name", "", "请填写您的姓名"},
			{"other_name", "", "对方当事人"},
			{"dispute_type", "war", "请选择纠纷类型"},
			{"office_id", strconv.FormatInt(s.closed.ID, 10), "请选择受理的司法所"},
			{"office_id", strconv.FormatInt(s.county.ID, 10), "请选择受理的司法所"},
			{"summary", "", "纠纷经过"},
			{"consent", "", "个人信息处理说明"},
		}
		for _, c := range cases {
			v := s.form()
			v.Set(c.field, c.value)
			b := want(t, s.do("POST", "/p/mediation/apply", v), 422, c.msg)
			if !strings.Contains(b, `id="e-`+c.field+`"`) {
				t.Fatalf("%s: error not on the field:\n%s", c.field, b)
			}
		}
		// Too fast, forged and stale stamps.
		v := s.form()
		s.advance(-28 * time.Second)
		want(t, s.do("POST", "/p/mediation/apply", v), 422, "提交过快")
		v.Set("ts", "1778000000.0123456789abcdef0123456789abcdef")
		want(t, s.do("POST", "/p/mediation/apply", v), 422, "表单无效")
		v = s.form()
		s.advance(5 * time.Hour)
		want(t, s.do("POST", "/p/mediation/apply", v), 422, "表单已过期")
		if n := s.count(`SELECT count(*) FROM cases`); n != 0 {
			t.Fatalf("%d cases from invalid forms", n)
		}
		// A valid retry keeps what was typed (the office stays selected).
		v = s.form()
		v.Set("office_id", strconv.FormatInt(s.office2.ID, 10))
		v.Set("consent", "")
		b := want(t, s.do("POST", "/p/mediation/apply", v), 422)
		if !strings.Contains(b, `value="`+strconv.FormatInt(s.office2.ID, 10)+`" selected`) {
			t.Fatal("chosen office lost on error")
		}
	})
}

func TestApplyAbuse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		// Honeypot: nothing registered, the hit counts.
		v := s.form()
		v.Set("website", "http://spam.example")
		want(t, s.do("POST", "/p/mediation/apply", v), 400, "提交未被受理")
		if n := s.count(`SELECT count(*) FROM cases`); n != 0 {
			t.Fatal("honeypot post registered a case")
		}
		if n := s.count(`SELECT count(*) FROM persons`); n != 0 {
			t.Fatal("honeypot post registered a person")
		}
		// Rate limit: MaxApplyPerHour per IP, the honeypot hit included.
		for i := 1; i < MaxApplyPerHour; i++ {
			s.apply(s.form())
		}
		want(t, s.do("POST", "/p/mediation/apply", s.form()), 429, "提交次数过多")
		if n := s.count(`SELECT count(*) FROM cases`); n != MaxApplyPerHour-1 {
			t.Fatalf("%d cases, want %d", n, MaxApplyPerHour-1)
		}
		// The same applicant is one person in the registry (ID number match).
		if n := s.count(`SELECT count(*) FROM persons WHERE name = ?`, "王秀兰"); n != 1 {
			t.Fatalf("applicant registered %d times", n)
		}
		s.ip = "198.51.100.9"
		s.apply(s.form())
	})
}

func TestFeedback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSite(t, db)
		s.apply(s.form())
		var caseID int64
		if err := db.Read().QueryRow(context.Background(), `SELECT case_id FROM portal_tracking`).Scan(&caseID); err != nil {
			t.Fatal(err)
		}
		ctx := staffCtx(s.office.ID)
		var tok string
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			tok, err = (&casework.Store{DB: db}).NewFeedbackLink(ctx, tx, org.System(), caseID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		path := "/p/feedback/" + tok
		want(t, s.do("GET", path, nil), 200, "满意程度", "非常满意")
		want(t, s.do("POST", path, url.Values{"rating": {"9"}}), 422, "请选择1到5星")
		want(t, s.do("POST", path, url.Values{"rating": {"4"}, "comment": {"调解员很耐心"}}), 200, "感谢您的评价")
		if n := s.count(`SELECT count(*) FROM case_feedback WHERE rating = 4 AND comment = ?`, "调解员很耐心"); n != 1 {
			t.Fatal("rating not stored")
		}
		// Single use.
		want(t, s.do("GET", path, nil), 200, "已评价过")
		want(t, s.do("POST", path, url.Values{"rating": {"1"}}), 409, "已评价过")
		if n := s.count(`SELECT count(*) FROM case_feedback WHERE rating = 1`); n != 0 {
			t.Fatal("second rating stored")
		}
		// Unknown token.
		want(t, s.do("GET", "/p/feedback/nonsense", nil), 404, "无效或已过期")
		want(t, s.do("POST", "/p/feedback/nonsense", url.Values{"rating": {"5"}}), 404, "无效或已过期")
		// Expired token.
		var tok2 string
		if err := db.Tx(ctx, func(tx *store.Tx) error {
			var err error
			tok2, err = (&casework.Store{DB: db}).NewFeedbackLink(ctx, tx, org.System(), caseID)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		s.advance(casework.FeedbackTTL + time.Hour)
		want(t, s.do("GET", "/p/feedback/"+tok2, nil), 404, "无效或已过期")
	})
}

func TestCode(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		c, err := newCode()
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 10 || NormalizeCode(c) != c || seen[c] {
			t.Fatalf("bad or repeated code %q", c)
		}
		seen[c] = true
	}
	if got := NormalizeCode(" abcde-fgh10 "); got != "ABCDEFGHIO" {
		t.Fatalf("normalize: %q", got)
	}
	if FormatCode("ABCDEFGHIJ") != "ABCDE-FGHIJ" {
		t.Fatal("format")
	}
}
