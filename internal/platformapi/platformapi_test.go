package platformapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"fengqiao/internal/api"
	"fengqiao/internal/api/apitest"
	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/platformapi"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

const pw = "Zhang-2026-sfs"

// world is a small province with two counties and one office, and one
// signed-in user per role the scenarios need.
type world struct {
	db                                   *store.DB
	svc                                  *auth.Service
	env                                  *apitest.Env
	prov, city, countyA, countyB, office org.Org
	users                                map[string]auth.User
}

func setup(t *testing.T, db *store.DB) *world {
	t.Helper()
	ctx := context.Background()
	orgs := &org.Store{DB: db}
	svc := auth.New(db, orgs, plainSealer{})
	svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
	if err := svc.SeedRoles(ctx); err != nil {
		t.Fatal(err)
	}
	w := &world{db: db, svc: svc, users: map[string]auth.User{}}
	mk := func(parent int64, k org.Kind, name, code string) org.Org {
		o, err := orgs.Create(ctx, org.System(), org.Input{ParentID: parent, Kind: k, Name: name, DivisionCode: code})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	w.prov = mk(0, org.Province, "四川省司法厅", "510000")
	w.city = mk(w.prov.ID, org.City, "巴中市司法局", "511900")
	w.countyA = mk(w.city.ID, org.County, "巴州区司法局", "511902")
	w.countyB = mk(w.city.ID, org.County, "恩阳区司法局", "511903")
	w.office = mk(w.countyA.ID, org.Office, "江北街道司法所", "511902001")
	mk(w.countyB.ID, org.Office, "登科街道司法所", "511903001")

	mux := http.NewServeMux()
	(&platformapi.Handler{Auth: svc, Orgs: orgs, DB: db}).Routes(mux)
	api.ServeDocument(mux, api.Info{})
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := &auth.HTTP{Svc: svc, R: r}
	w.env = apitest.New(t, mux, h.Middleware(mux))

	add := func(name string, orgID int64, role string, mustChange bool) {
		u, err := svc.CreateUser(ctx, nil, auth.UserInput{Username: name, DisplayName: "用户" + name, OrgID: orgID, Roles: []string{role}, Password: pw})
		if err != nil {
			t.Fatalf("create %s: %v", name, err)
		}
		if !mustChange {
			if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE WHERE id = ?`, u.ID); err != nil {
				t.Fatal(err)
			}
		}
		res, err := svc.Login(ctx, name, pw, "10.0.0.1", "test")
		if err != nil {
			t.Fatalf("login %s: %v", name, err)
		}
		w.env.Session(name, res.Token)
		w.users[name] = u
	}
	add("countyadm", w.countyA.ID, "sysadmin", false)
	add("cityadm", w.city.ID, "sysadmin", false)
	add("secadm", w.countyA.ID, "secadmin", false)
	add("auditor", w.city.ID, "auditadmin", false)
	add("clerk", w.office.ID, "office_staff", false)
	add("svcacct", w.countyA.ID, "api_service", false)
	add("fresh", w.office.ID, "office_staff", true)
	u, err := svc.CreateUser(ctx, nil, auth.UserInput{Username: "neighbour", DisplayName: "用户neighbour", OrgID: w.countyB.ID, Roles: []string{"office_staff"}, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	w.users["neighbour"] = u
	return w
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Read().QueryRow(context.Background(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// newToken creates an API token through the API and returns its secret.
func (w *world) newToken(t *testing.T, as string, perms ...string) (string, int64) {
	t.Helper()
	res := w.env.Do(t, "POST", "/api/v1/tokens", map[string]any{"name": "对接统计系统", "perms": perms}, as, nil)
	if res.Code != http.StatusCreated {
		t.Fatalf("create token: %d %s", res.Code, res.Body)
	}
	var out struct {
		ID    int64  `json:"id"`
		Token string `json:"token"`
	}
	if err := json.Unmarshal(res.Body.Bytes(), &out); err != nil || !strings.HasPrefix(out.Token, "fq_") {
		t.Fatalf("token answer %s: %v", res.Body, err)
	}
	return out.Token, out.ID
}

func TestAuthenticationAndPermissions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		repTok, _ := w.newToken(t, "svcacct", "reporting.view")
		w.env.Bearer("reporting-token", repTok)
		w.env.Bearer("bogus-token", "fq_notavalidtoken")
		w.env.Run(t, []apitest.Scenario{
			{Name: "anonymous me is 401 JSON", Method: "GET", URL: "/api/v1/me", Status: 401,
				JSON: map[string]any{"error.code": "unauthorized"}, Check: func(t *testing.T, res *httptest.ResponseRecorder) {
					if res.Header().Get("Location") != "" || res.Header().Get("WWW-Authenticate") == "" {
						t.Errorf("want no redirect and a WWW-Authenticate header: %v", res.Header())
					}
				}},
			{Name: "anonymous orgs is 401 JSON", Method: "GET", URL: "/api/v1/orgs", Status: 401, JSON: map[string]any{"error.code": "unauthorized"}},
			{Name: "anonymous write is 401 JSON", Method: "POST", URL: "/api/v1/orgs", Body: map[string]any{}, Status: 401},
			{Name: "unknown bearer token is 401", As: "bogus-token", Method: "GET", URL: "/api/v1/me", Status: 401},
			{Name: "session me", As: "clerk", Method: "GET", URL: "/api/v1/me", Status: 200,
				JSON: map[string]any{"user.username": "clerk", "org.id": w.office.ID, "roles.0.code": "office_staff", "token_id": nil}},
			{Name: "password change owed is 403", As: "fresh", Method: "GET", URL: "/api/v1/me", Status: 403,
				JSON: map[string]any{"error.code": "forbidden"}, Contains: []string{"修改密码"}},
			{Name: "token limited to reporting.view sees only that", As: "reporting-token", Method: "GET", URL: "/api/v1/me", Status: 200,
				JSON: map[string]any{"permissions.#": 1, "permissions.0": "reporting.view"}},
			{Name: "token with reporting.view only gets 403 on orgs", As: "reporting-token", Method: "GET", URL: "/api/v1/orgs", Status: 403,
				JSON: map[string]any{"error.code": "forbidden"}},
			{Name: "token cannot mint tokens", As: "reporting-token", Method: "POST", URL: "/api/v1/tokens", Body: map[string]any{"name": "x"}, Status: 403},
			{Name: "clerk cannot create orgs", As: "clerk", Method: "POST", URL: "/api/v1/orgs",
				Body: map[string]any{"parent_id": w.office.ID, "kind": "village", "name": "x"}, Status: 403},
			{Name: "clerk cannot list users", As: "clerk", Method: "GET", URL: "/api/v1/users", Status: 403},
			{Name: "clerk cannot verify audit", As: "clerk", Method: "GET", URL: "/api/v1/audit/verify", Status: 403},
			{Name: "sysadmin cannot unlock (security admin's job)", As: "countyadm", Method: "POST",
				URL: fmt.Sprintf("/api/v1/users/%d/unlock", w.users["clerk"].ID), Status: 403},
			{Name: "unknown api path is JSON 404", As: "clerk", Method: "GET", URL: "/api/v1/nothing-here", Status: 404,
				JSON: map[string]any{"error.code": "not_found"}},
			{Name: "document is public", Method: "GET", URL: "/api/openapi.json", Status: 200, JSON: map[string]any{"openapi": "3.1.0"}},
		})
	})
}

func TestOrgs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		u := func(f string, a ...any) string { return fmt.Sprintf(f, a...) }
		orgsBefore, auditBefore := count(t, db, "orgs"), count(t, db, "audit_log")
		w.env.Run(t, []apitest.Scenario{
			{Name: "county admin gets 404 for the neighbour county", As: "countyadm", Method: "GET", URL: u("/api/v1/orgs/%d", w.countyB.ID), Status: 404,
				JSON: map[string]any{"error.code": "not_found"}},
			{Name: "county admin reads own county", As: "countyadm", Method: "GET", URL: u("/api/v1/orgs/%d", w.countyA.ID), Status: 200,
				JSON: map[string]any{"name": "巴州区司法局", "division_code": "511902", "kind": "county"}},
			{Name: "non-numeric id names the field", As: "countyadm", Method: "GET", URL: "/api/v1/orgs/abc", Status: 422,
				JSON: map[string]any{"error.fields.0.field": "id"}},
			{Name: "city admin lists the whole city, paged", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?size=2", Status: 200,
				JSON: map[string]any{"total": 5, "items.#": 2, "page": 1, "size": 2, "items.0.name": "巴中市司法局"}},
			{Name: "second page", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?size=2&page=3", Status: 200,
				JSON: map[string]any{"total": 5, "items.#": 1, "page": 3}},
			{Name: "size over 200 names the field", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?size=500", Status: 422,
				JSON: map[string]any{"error.code": "validation_failed", "error.fields.0.field": "size"}},
			{Name: "filter kind", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?kind=office", Status: 200, JSON: map[string]any{"total": 2}},
			{Name: "bad kind names the field", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?kind=castle", Status: 422, JSON: map[string]any{"error.fields.0.field": "kind"}},
			{Name: "filter q by code prefix", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?q=511903", Status: 200, JSON: map[string]any{"total": 2}},
			{Name: "filter under", As: "cityadm", Method: "GET", URL: u("/api/v1/orgs?under=%d", w.countyA.ID), Status: 200, JSON: map[string]any{"total": 2}},
			{Name: "under outside jurisdiction names the field", As: "countyadm", Method: "GET", URL: u("/api/v1/orgs?under=%d", w.countyB.ID), Status: 422,
				JSON: map[string]any{"error.fields.0.field": "under"}},
			{Name: "county admin's list is its county only", As: "countyadm", Method: "GET", URL: "/api/v1/orgs", Status: 200,
				JSON: map[string]any{"total": 2}, NotContains: []string{"恩阳"}},
			{Name: "children", As: "cityadm", Method: "GET", URL: u("/api/v1/orgs/%d/children", w.city.ID), Status: 200,
				JSON: map[string]any{"#": 2, "0.child_count": 1}},
			{Name: "clerk (org.view) reads the tree", As: "clerk", Method: "GET", URL: u("/api/v1/orgs/%d", w.office.ID), Status: 200},
			{Name: "bad division code is 422 on division_code and writes nothing", As: "countyadm", Method: "POST", URL: "/api/v1/orgs",
				Body:   map[string]any{"parent_id": w.countyA.ID, "kind": "office", "name": "新建司法所", "division_code": "5119"},
				Status: 422, JSON: map[string]any{"error.code": "validation_failed", "error.fields.0.field": "division_code"},
				Check: func(t *testing.T, _ *httptest.ResponseRecorder) {
					if n := count(t, db, "orgs"); n != orgsBefore {
						t.Errorf("orgs %d -> %d", orgsBefore, n)
					}
					if n := count(t, db, "audit_log"); n != auditBefore {
						t.Errorf("audit rows %d -> %d", auditBefore, n)
					}
				}},
			{Name: "code outside the parent's", As: "countyadm", Method: "POST", URL: "/api/v1/orgs",
				Body:   map[string]any{"parent_id": w.countyA.ID, "kind": "office", "name": "新建司法所", "division_code": "511903009"},
				Status: 422, JSON: map[string]any{"error.fields.0.field": "division_code"}},
			{Name: "unknown field is named", As: "countyadm", Method: "POST", URL: "/api/v1/orgs",
				Body:   `{"parent_id": 1, "kind": "office", "name": "x", "nickname": "y"}`,
				Status: 400, JSON: map[string]any{"error.fields.0.field": "nickname"}},
			{Name: "wrong type is named", As: "countyadm", Method: "POST", URL: "/api/v1/orgs",
				Body: `{"parent_id": "one", "kind": "office", "name": "x"}`, Status: 400, JSON: map[string]any{"error.fields.0.field": "parent_id"}},
			{Name: "malformed JSON", As: "countyadm", Method: "POST", URL: "/api/v1/orgs", Body: `{"parent_id":`, Status: 400},
			{Name: "parent outside jurisdiction", As: "countyadm", Method: "POST", URL: "/api/v1/orgs",
				Body: map[string]any{"parent_id": w.countyB.ID, "kind": "office", "name": "x", "division_code": "511903002"}, Status: 422,
				JSON: map[string]any{"error.fields.0.field": "parent_id"}},
			{Name: "create office", As: "countyadm", Method: "POST", URL: "/api/v1/orgs",
				Body:   map[string]any{"parent_id": w.countyA.ID, "kind": "office", "name": "兴文街道司法所", "division_code": "511902002", "phone": "0827-5260000"},
				Status: 201, JSON: map[string]any{"name": "兴文街道司法所", "parent_id": w.countyA.ID, "active": true},
				Check: func(t *testing.T, res *httptest.ResponseRecorder) {
					if !strings.HasPrefix(res.Header().Get("Location"), "/api/v1/orgs/") {
						t.Errorf("Location %q", res.Header().Get("Location"))
					}
				}},
			{Name: "total follows the insert", As: "countyadm", Method: "GET", URL: "/api/v1/orgs?kind=office", Status: 200, JSON: map[string]any{"total": 2}},
			{Name: "patch keeps absent fields", As: "countyadm", Method: "PATCH", URL: u("/api/v1/orgs/%d", w.office.ID),
				Body: map[string]any{"short_name": "江北所"}, Status: 200,
				JSON: map[string]any{"short_name": "江北所", "name": "江北街道司法所", "division_code": "511902001"}},
			{Name: "patch validates", As: "countyadm", Method: "PATCH", URL: u("/api/v1/orgs/%d", w.office.ID),
				Body: map[string]any{"name": "  "}, Status: 422, JSON: map[string]any{"error.fields.0.field": "name"}},
			{Name: "patch outside jurisdiction is 404", As: "countyadm", Method: "PATCH", URL: u("/api/v1/orgs/%d", w.countyB.ID),
				Body: map[string]any{"name": "x"}, Status: 404},
			{Name: "move outside jurisdiction names parent_id", As: "countyadm", Method: "POST", URL: u("/api/v1/orgs/%d/move", w.office.ID),
				Body: map[string]any{"parent_id": w.countyB.ID}, Status: 422, JSON: map[string]any{"error.fields.0.field": "parent_id"}},
			{Name: "city admin moves the office", As: "cityadm", Method: "POST", URL: u("/api/v1/orgs/%d/move", w.office.ID),
				Body: map[string]any{"parent_id": w.countyB.ID}, Status: 200,
				JSON: map[string]any{"parent_id": w.countyB.ID, "path": fmt.Sprintf("%s%d/", w.countyB.Path, w.office.ID)}},
			{Name: "disable", As: "cityadm", Method: "POST", URL: u("/api/v1/orgs/%d/disable", w.office.ID), Status: 200, JSON: map[string]any{"active": false}},
			{Name: "filter inactive", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?active=false", Status: 200, JSON: map[string]any{"total": 1}},
			{Name: "bad boolean names the field", As: "cityadm", Method: "GET", URL: "/api/v1/orgs?active=maybe", Status: 422, JSON: map[string]any{"error.fields.0.field": "active"}},
			{Name: "enable", As: "cityadm", Method: "POST", URL: u("/api/v1/orgs/%d/enable", w.office.ID), Status: 200, JSON: map[string]any{"active": true}},
		})
	})
}

func TestUsersRolesTokensAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		w := setup(t, db)
		u := func(f string, a ...any) string { return fmt.Sprintf(f, a...) }
		clerk, neighbour := w.users["clerk"].ID, w.users["neighbour"].ID
		tok, tokID := w.newToken(t, "svcacct")
		w.env.Bearer("svc-token", tok)
		w.env.Run(t, []apitest.Scenario{
			{Name: "county admin lists own county's users", As: "countyadm", Method: "GET", URL: "/api/v1/users?size=3", Status: 200,
				JSON: map[string]any{"total": 5, "items.#": 3}, NotContains: []string{"neighbour"}},
			{Name: "filter by role", As: "countyadm", Method: "GET", URL: "/api/v1/users?role=office_staff", Status: 200, JSON: map[string]any{"total": 2}},
			{Name: "bad status names the field", As: "countyadm", Method: "GET", URL: "/api/v1/users?status=sleeping", Status: 422,
				JSON: map[string]any{"error.fields.0.field": "status"}},
			{Name: "neighbour county's user is 404", As: "countyadm", Method: "GET", URL: u("/api/v1/users/%d", neighbour), Status: 404},
			{Name: "user detail", As: "countyadm", Method: "GET", URL: u("/api/v1/users/%d", clerk), Status: 200,
				JSON: map[string]any{"username": "clerk", "roles.0": "office_staff", "locked": false}, NotContains: []string{"password"}},
			{Name: "create user: bad username named", As: "countyadm", Method: "POST", URL: "/api/v1/users",
				Body:   map[string]any{"username": "X", "display_name": "王五", "org_id": w.office.ID, "roles": []string{"office_staff"}, "password": pw},
				Status: 422, JSON: map[string]any{"error.fields.0.field": "username"}},
			{Name: "create user outside jurisdiction", As: "countyadm", Method: "POST", URL: "/api/v1/users",
				Body:   map[string]any{"username": "wangwu", "display_name": "王五", "org_id": w.countyB.ID, "roles": []string{"office_staff"}, "password": pw},
				Status: 422, JSON: map[string]any{"error.fields.0.field": "org_id"}},
			{Name: "create user", As: "countyadm", Method: "POST", URL: "/api/v1/users",
				Body:   map[string]any{"username": "wangwu", "display_name": "王五", "org_id": w.office.ID, "title": "司法助理员", "roles": []string{"office_staff"}, "password": pw},
				Status: 201, JSON: map[string]any{"username": "wangwu", "must_change": true}, NotContains: []string{pw}},
			{Name: "duplicate username", As: "countyadm", Method: "POST", URL: "/api/v1/users",
				Body:   map[string]any{"username": "wangwu", "display_name": "王五", "org_id": w.office.ID, "roles": []string{"office_staff"}, "password": pw},
				Status: 422, JSON: map[string]any{"error.fields.0.field": "username"}},
			{Name: "patch user title", As: "countyadm", Method: "PATCH", URL: u("/api/v1/users/%d", clerk),
				Body: map[string]any{"title": "所长助理"}, Status: 200, JSON: map[string]any{"title": "所长助理", "roles.0": "office_staff"}},
			{Name: "sysadmin cannot grant admin roles", As: "countyadm", Method: "PATCH", URL: u("/api/v1/users/%d", clerk),
				Body: map[string]any{"roles": []string{"auditadmin"}}, Status: 422, JSON: map[string]any{"error.fields.0.field": "roles"}},
			{Name: "disable", As: "countyadm", Method: "POST", URL: u("/api/v1/users/%d/disable", clerk), Status: 200, JSON: map[string]any{"disabled": true}},
			{Name: "disabled user's session is gone", As: "clerk", Method: "GET", URL: "/api/v1/me", Status: 401},
			{Name: "enable", As: "countyadm", Method: "POST", URL: u("/api/v1/users/%d/enable", clerk), Status: 200, JSON: map[string]any{"disabled": false}},
			{Name: "cannot disable oneself", As: "countyadm", Method: "POST", URL: u("/api/v1/users/%d/disable", w.users["countyadm"].ID), Status: 422},
			{Name: "security admin unlocks", As: "secadm", Method: "POST", URL: u("/api/v1/users/%d/unlock", clerk), Status: 200, JSON: map[string]any{"failed_count": 0}},
			{Name: "weak reset password named", As: "countyadm", Method: "POST", URL: u("/api/v1/users/%d/reset-password", clerk),
				Body: map[string]any{"password": "123"}, Status: 422, JSON: map[string]any{"error.fields.0.field": "password"}},
			{Name: "reset password", As: "countyadm", Method: "POST", URL: u("/api/v1/users/%d/reset-password", clerk),
				Body: map[string]any{"password": "Li-Si-2026-new"}, Status: 204},
			{Name: "roles", As: "secadm", Method: "GET", URL: "/api/v1/roles", Status: 200, JSON: map[string]any{"0.code": "sysadmin"}},
			{Name: "clerk may not read roles", As: "clerk", Method: "GET", URL: "/api/v1/roles", Status: 401}, // session ended by the reset
			{Name: "list own tokens hides the secret", As: "svcacct", Method: "GET", URL: "/api/v1/tokens", Status: 200,
				JSON: map[string]any{"#": 1, "0.id": tokID, "0.revoked_at": nil}, NotContains: []string{tok}},
			{Name: "token works before revoking", As: "svc-token", Method: "GET", URL: u("/api/v1/orgs/%d", w.countyA.ID), Status: 200},
			{Name: "token perms must be known", As: "svcacct", Method: "POST", URL: "/api/v1/tokens",
				Body: map[string]any{"name": "x", "perms": []string{"everything"}}, Status: 422, JSON: map[string]any{"error.fields.0.field": "perms"}},
			{Name: "token perms cannot exceed the account", As: "svcacct", Method: "POST", URL: "/api/v1/tokens",
				Body: map[string]any{"name": "x", "perms": []string{"org.manage"}}, Status: 422, JSON: map[string]any{"error.fields.0.field": "perms"}},
			{Name: "token needs a name", As: "svcacct", Method: "POST", URL: "/api/v1/tokens", Body: map[string]any{"name": ""}, Status: 422,
				JSON: map[string]any{"error.fields.0.field": "name"}},
			{Name: "clerk holds no api.token", As: "secadm", Method: "POST", URL: "/api/v1/tokens", Body: map[string]any{"name": "x"}, Status: 403},
			{Name: "revoke someone else's token is 404", As: "countyadm", Method: "POST", URL: u("/api/v1/tokens/%d/revoke", tokID), Status: 403},
			{Name: "revoke", As: "svcacct", Method: "POST", URL: u("/api/v1/tokens/%d/revoke", tokID), Status: 204},
			{Name: "revoked token is 401", As: "svc-token", Method: "GET", URL: "/api/v1/me", Status: 401, JSON: map[string]any{"error.code": "unauthorized"}},
			{Name: "revoke twice is 404", As: "svcacct", Method: "POST", URL: u("/api/v1/tokens/%d/revoke", tokID), Status: 404},
			{Name: "audit log, newest first, filtered by action prefix", As: "auditor", Method: "GET", URL: "/api/v1/audit?action=token.&size=5", Status: 200,
				JSON: map[string]any{"total": 2, "items.0.action": "token.revoke", "items.0.action_name": "吊销API令牌", "items.1.action": "token.create", "items.0.actor_name": "svcacct"}},
			{Name: "audit log filtered by object", As: "auditor", Method: "GET", URL: u("/api/v1/audit?object_type=user&object_id=%d&result=ok", clerk), Status: 200,
				Check: func(t *testing.T, res *httptest.ResponseRecorder) {
					var out struct {
						Total int `json:"total"`
						Items []struct {
							ObjectID string `json:"object_id"`
						} `json:"items"`
					}
					_ = json.Unmarshal(res.Body.Bytes(), &out)
					if out.Total < 6 {
						t.Errorf("want the clerk's create, update, disable, enable, unlock, reset rows; got %d", out.Total)
					}
					for _, it := range out.Items {
						if it.ObjectID != fmt.Sprint(clerk) {
							t.Errorf("row for object %s", it.ObjectID)
						}
					}
				}},
			{Name: "audit bad date names the field", As: "auditor", Method: "GET", URL: "/api/v1/audit?from=2026-13-01", Status: 422,
				JSON: map[string]any{"error.fields.0.field": "from"}},
			{Name: "audit org outside jurisdiction names the field", As: "auditor", Method: "GET", URL: u("/api/v1/audit?org_id=%d", w.prov.ID), Status: 422,
				JSON: map[string]any{"error.fields.0.field": "org_id"}},
			{Name: "sysadmin cannot read the audit log", As: "countyadm", Method: "GET", URL: "/api/v1/audit", Status: 403},
			{Name: "audit chain verifies", As: "auditor", Method: "GET", URL: "/api/v1/audit/verify", Status: 200,
				JSON: map[string]any{"ok": true, "broken_seq": nil}},
		})
	})
}
