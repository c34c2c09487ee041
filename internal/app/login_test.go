package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

// The HTML login form signs a user in (a regression: the form handler
// once dropped the password before reading it, so every login failed).
func TestLoginFormOverHTTP(t *testing.T) {
	for _, e := range []store.Engine{store.SQLite, store.Postgres} {
		t.Run(string(e), func(t *testing.T) {
			sc := storetest.Config(t, e)
			dir := t.TempDir()
			if sc.Path != "" {
				dir = sc.Path[:strings.LastIndex(sc.Path, "/")]
			}
			a, ts := node(t, sc, dir)
			ctx := audit.WithActor(context.Background(), audit.Actor{Username: "t"})
			o, err := a.Orgs.Create(ctx, org.System(), org.Input{Kind: org.Province, Name: "四川省司法厅", DivisionCode: "510000"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.Auth.CreateUser(ctx, nil, auth.UserInput{Username: "zhao", DisplayName: "赵", OrgID: o.ID, Roles: []string{"leader"}, Password: "Start-Pass-2026"}); err != nil {
				t.Fatal(err)
			}
			resp, body := login(t, ts.URL, "zhao", "wrong")
			if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误") || strings.Contains(body, "wrong") {
				t.Fatalf("wrong password: %d (the password must not be echoed)", resp.StatusCode)
			}
			resp, _ = login(t, ts.URL, "zhao", "Start-Pass-2026")
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("right password: %d", resp.StatusCode)
			}
			var ck *http.Cookie
			for _, c := range resp.Cookies() {
				if c.Name == auth.CookieName {
					ck = c
				}
			}
			if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode {
				t.Fatalf("session cookie: %+v", ck)
			}
			// First login: every page leads to the password change.
			req, _ := http.NewRequest("GET", ts.URL+"/", nil)
			req.AddCookie(ck)
			r, err := noRedirect().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if loc := r.Header.Get("Location"); r.StatusCode != http.StatusSeeOther || loc != "/account/password" {
				t.Fatalf("must change password first: %d %s", r.StatusCode, loc)
			}
			// A cross-site form post is refused.
			req, _ = http.NewRequest("POST", ts.URL+"/logout", strings.NewReader(url.Values{}.Encode()))
			req.Header.Set("Sec-Fetch-Site", "cross-site")
			req.AddCookie(ck)
			r, err = noRedirect().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r.Body.Close()
			if r.StatusCode != http.StatusForbidden {
				t.Fatalf("cross-site POST: %d", r.StatusCode)
			}
		})
	}
}
