package auth_test

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

type fixture struct {
	svc                     *auth.Service
	orgs                    *org.Store
	clock                   *time.Time
	county, countyB, office org.Org
	sysadmin                *auth.Principal
}

const goodPW = "Zhang-2026-sfs"

func setup(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	ctx := context.Background()
	orgs := &org.Store{DB: db}
	now := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	f := &fixture{orgs: orgs, clock: &now}
	f.svc = auth.New(db, orgs, plainSealer{})
	f.svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32} // fast for tests
	f.svc.Now = func() time.Time { return *f.clock }
	if err := f.svc.SeedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	prov := mk(0, org.Province, "四川省司法厅", "510000")
	city := mk(prov.ID, org.City, "巴中市司法局", "511900")
	f.county = mk(city.ID, org.County, "巴州区司法局", "511902")
	f.countyB = mk(city.ID, org.County, "恩阳区司法局", "511903")
	f.office = mk(f.county.ID, org.Office, "江北街道司法所", "511902001")
	u := f.create(t, nil, "sysadmin", f.county.ID, "sysadmin")
	p, err := f.svc.LoadPrincipal(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.sysadmin = p
	return f
}

func (f *fixture) create(t *testing.T, actor *auth.Principal, name string, orgID int64, roles ...string) auth.User {
	t.Helper()
	u, err := f.svc.CreateUser(context.Background(), actor, auth.UserInput{Username: name, DisplayName: "用户" + name, OrgID: orgID, Roles: roles, Password: goodPW})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return u
}

func TestLoginLockoutAndSameAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.create(t, f.sysadmin, "lisi", f.office.ID, "office_staff")
		_, errUnknown := f.svc.Login(ctx, "nobody", "whatever", "10.0.0.1", "ua")
		_, errWrong := f.svc.Login(ctx, "lisi", "wrong", "10.0.0.2", "ua")
		if !errors.Is(errUnknown, auth.ErrBadCredentials) || !errors.Is(errWrong, auth.ErrBadCredentials) || errUnknown.Error() != errWrong.Error() {
			t.Fatalf("unknown user and wrong password must answer alike: %v / %v", errUnknown, errWrong)
		}
		for i := 0; i < 4; i++ {
			if _, err := f.svc.Login(ctx, "lisi", "wrong", "10.0.0.2", "ua"); !errors.Is(err, auth.ErrBadCredentials) {
				t.Fatal(err)
			}
		}
		// 5 failures: locked for 30 minutes even with the right password.
		_, err := f.svc.Login(ctx, "lisi", goodPW, "10.0.0.3", "ua")
		var le *auth.LockedError
		if !errors.As(err, &le) {
			t.Fatalf("want locked, got %v", err)
		}
		if d := le.Until.Sub(*f.clock); d != 30*time.Minute {
			t.Fatalf("lock for %v", d)
		}
		*f.clock = f.clock.Add(31 * time.Minute)
		res, err := f.svc.Login(ctx, "lisi", goodPW, "10.0.0.3", "ua")
		if err != nil {
			t.Fatalf("after the lock expires login must work: %v", err)
		}
		if !res.Principal.MustChange {
			t.Fatal("a new account must change its password at first login")
		}
	})
}

func TestIPThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.create(t, f.sysadmin, "wangwu", f.office.ID, "office_staff")
		for i := 0; i < auth.DefaultPolicy.IPMaxFailures; i++ {
			_, _ = f.svc.Login(ctx, "user"+string(rune('a'+i%26)), "x", "192.0.2.9", "ua")
		}
		if _, err := f.svc.Login(ctx, "wangwu", goodPW, "192.0.2.9", "ua"); !errors.Is(err, auth.ErrThrottled) {
			t.Fatalf("want throttled, got %v", err)
		}
		if _, err := f.svc.Login(ctx, "wangwu", goodPW, "192.0.2.10", "ua"); err != nil {
			t.Fatalf("another address is not throttled: %v", err)
		}
		*f.clock = f.clock.Add(16 * time.Minute)
		if _, err := f.svc.Login(ctx, "wangwu", goodPW, "192.0.2.9", "ua"); err != nil {
			t.Fatalf("after the window: %v", err)
		}
	})
}

func TestSeparationOfAdministrators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		_, err := f.svc.CreateUser(ctx, nil, auth.UserInput{Username: "both", DisplayName: "两个", OrgID: f.county.ID, Roles: []string{"sysadmin", "auditadmin"}, Password: goodPW})
		var fe *auth.FieldError
		if !errors.As(err, &fe) || fe.Field != "roles" {
			t.Fatalf("two admin roles must be refused, got %v", err)
		}
		_, err = f.svc.CreateUser(ctx, nil, auth.UserInput{Username: "mixed", DisplayName: "混合", OrgID: f.county.ID, Roles: []string{"secadmin", "office_staff"}, Password: goodPW})
		if !errors.As(err, &fe) {
			t.Fatalf("admin + business role must be refused, got %v", err)
		}
		// A system administrator may not hand out administrator roles.
		_, err = f.svc.CreateUser(ctx, f.sysadmin, auth.UserInput{Username: "aud", DisplayName: "审计", OrgID: f.county.ID, Roles: []string{"auditadmin"}, Password: goodPW})
		if !errors.As(err, &fe) {
			t.Fatalf("sysadmin granting auditadmin must be refused, got %v", err)
		}
		// No administrator sees business data by that role alone.
		for _, p := range []*auth.Principal{f.sysadmin} {
			for _, l := range auth.Lines {
				if !p.ScopeFor(l.Code).IsZero() {
					t.Fatalf("sysadmin sees %s data", l.Code)
				}
			}
		}
	})
}

func TestScopedAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		_, err := f.svc.CreateUser(ctx, f.sysadmin, auth.UserInput{Username: "outside", DisplayName: "外县", OrgID: f.countyB.ID, Roles: []string{"office_staff"}, Password: goodPW})
		var fe *auth.FieldError
		if !errors.As(err, &fe) || fe.Field != "org_id" {
			t.Fatalf("creating a user in the neighbour county must be refused, got %v", err)
		}
		other := f.create(t, nil, "bstaff", f.countyB.ID, "office_staff")
		if err := f.svc.ResetPassword(ctx, f.sysadmin, other.ID, "Another-2026-pw"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("resetting outside the subtree must look like not found, got %v", err)
		}
		list, total, err := f.svc.ListUsers(ctx, f.sysadmin.Jurisdiction(), auth.UserFilter{})
		if err != nil || total != 1 || list[0].Username != "sysadmin" {
			t.Fatalf("county admin lists %d users: %+v %v", total, list, err)
		}
	})
}

func TestPasswordPolicy(t *testing.T) {
	p := auth.DefaultPolicy
	cases := []struct {
		pw string
		ok bool
	}{
		{"short1A", false}, {"alllowercase", false}, {"lower123456", false}, {"Lower123456", true},
		{"Aa123456!", false /* common */}, {"Admin@123", false}, {"xx-zhangsan-2026", false /* contains username, 2 classes */},
		{"Zhangsan-2026", false /* contains username */}, {"Bazhong-2026!", true},
	}
	for _, c := range cases {
		if err := p.CheckStrength(c.pw, "zhangsan", "张三"); (err == nil) != c.ok {
			t.Errorf("%q: %v", c.pw, err)
		}
	}
	if err := (auth.Policy{MinLength: 6}).Validate(); err == nil {
		t.Error("a policy below 8 characters must be refused")
	}
}

func TestPasswordHistoryAndExpiry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.create(t, f.sysadmin, "zhaoliu", f.office.ID, "office_staff")
		res, err := f.svc.Login(ctx, "zhaoliu", goodPW, "10.1.1.1", "ua")
		if err != nil {
			t.Fatal(err)
		}
		var fe *auth.FieldError
		if err := f.svc.ChangeOwnPassword(ctx, res.Principal, goodPW, goodPW); !errors.As(err, &fe) {
			t.Fatalf("reusing the current password must be refused, got %v", err)
		}
		if err := f.svc.ChangeOwnPassword(ctx, res.Principal, "bad", "Fresh-Pass-2026"); !errors.As(err, &fe) || fe.Field != "current" {
			t.Fatalf("wrong current password, got %v", err)
		}
		if err := f.svc.ChangeOwnPassword(ctx, res.Principal, goodPW, "Fresh-Pass-2026"); err != nil {
			t.Fatal(err)
		}
		p, _ := f.svc.LoadPrincipal(ctx, res.Principal.UserID)
		if p.MustChange {
			t.Fatal("after changing, no change is due")
		}
		*f.clock = f.clock.Add(91 * 24 * time.Hour)
		p, _ = f.svc.LoadPrincipal(ctx, res.Principal.UserID)
		if !p.MustChange {
			t.Fatal("after 90 days the password expires")
		}
	})
}

func TestSessionTimeouts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.create(t, f.sysadmin, "sunqi", f.office.ID, "office_staff")
		res, err := f.svc.Login(ctx, "sunqi", goodPW, "10.1.1.1", "ua")
		if err != nil {
			t.Fatal(err)
		}
		*f.clock = f.clock.Add(29 * time.Minute)
		if _, err := f.svc.Session(ctx, res.Token); err != nil {
			t.Fatalf("29 idle minutes: %v", err)
		}
		*f.clock = f.clock.Add(31 * time.Minute)
		if _, err := f.svc.Session(ctx, res.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Fatalf("31 idle minutes must end the session, got %v", err)
		}
		res, _ = f.svc.Login(ctx, "sunqi", goodPW, "10.1.1.1", "ua")
		for i := 0; i < 25; i++ { // keep it busy every 29 minutes for 12 hours
			*f.clock = f.clock.Add(29 * time.Minute)
			if _, err := f.svc.Session(ctx, res.Token); err != nil {
				if i < 24 {
					t.Fatalf("step %d: %v", i, err)
				}
				return
			}
		}
		t.Fatal("the absolute 12-hour limit must end the session")
	})
}

func TestTOTP(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		f.create(t, f.sysadmin, "qianba", f.office.ID, "office_staff")
		res, _ := f.svc.Login(ctx, "qianba", goodPW, "10.1.1.1", "ua")
		en, err := auth.NewTOTP("枫桥", "qianba")
		if err != nil {
			t.Fatal(err)
		}
		if err := f.svc.EnableTOTP(ctx, res.Principal, en.Secret, "000000"); err == nil && auth.TOTPCode(en.Secret, *f.clock) != "000000" {
			t.Fatal("a wrong enrolment code must be refused")
		}
		if err := f.svc.EnableTOTP(ctx, res.Principal, en.Secret, auth.TOTPCode(en.Secret, *f.clock)); err != nil {
			t.Fatal(err)
		}
		*f.clock = f.clock.Add(time.Minute)
		res2, err := f.svc.Login(ctx, "qianba", goodPW, "10.1.1.1", "ua")
		if err != nil || !res2.NeedsCode || !res2.Principal.MFAPending {
			t.Fatalf("login must wait for the code: %+v %v", res2, err)
		}
		code := auth.TOTPCode(en.Secret, *f.clock)
		tok, err := f.svc.VerifyCode(ctx, res2.Principal, code, "10.1.1.1", "ua")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Session(ctx, res2.Token); !errors.Is(err, auth.ErrNoSession) {
			t.Fatal("the pre-MFA session must be replaced (rotation)")
		}
		p, err := f.svc.Session(ctx, tok)
		if err != nil || p.MFAPending {
			t.Fatalf("after the code: %+v %v", p, err)
		}
		res3, _ := f.svc.Login(ctx, "qianba", goodPW, "10.1.1.1", "ua")
		if _, err := f.svc.VerifyCode(ctx, res3.Principal, code, "10.1.1.1", "ua"); !errors.Is(err, auth.ErrBadCode) {
			t.Fatalf("a used code must not work twice, got %v", err)
		}
	})
}

func TestAPITokens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := setup(t, db)
		u := f.create(t, nil, "svc", f.county.ID, "api_service")
		p, _ := f.svc.LoadPrincipal(ctx, u.ID)
		tok, meta, err := f.svc.CreateToken(ctx, p, "统计对接", []string{"reporting.view"}, 0)
		if err != nil {
			t.Fatal(err)
		}
		tp, err := f.svc.TokenPrincipal(ctx, tok)
		if err != nil || !tp.Can("reporting.view") || tp.Can(auth.PermOrgView) {
			t.Fatalf("token perms: %v %v", tp, err)
		}
		if _, _, err := f.svc.CreateToken(ctx, p, "越权", []string{"mediation.edit"}, 0); err == nil {
			t.Fatal("a token may not exceed its user's permissions")
		}
		if err := f.svc.RevokeToken(ctx, p, meta.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.TokenPrincipal(ctx, tok); !errors.Is(err, auth.ErrNoSession) {
			t.Fatal("a revoked token must not work")
		}
	})
}
