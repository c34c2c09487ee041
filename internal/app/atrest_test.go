package app_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fengqiao/internal/app"
	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/person"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
)

const (
	fixtureID    = "11010519491231002X"
	fixturePhone = "13800138000"
)

func openWithPerson(t *testing.T, e store.Engine) (*app.App, store.Config) {
	t.Helper()
	sc := storetest.Config(t, e)
	dataDir := t.TempDir()
	if e == store.SQLite {
		dataDir = filepath.Dir(sc.Path)
	}
	cfg := app.Config{Addr: "127.0.0.1:0", DataDir: dataDir, DatabaseURL: sc.URL, AuditDays: 190, ShutdownWait: time.Second,
		DBMaxOpen: 4, Node: "t", CustomDir: t.TempDir()}
	a, err := app.Open(context.Background(), cfg, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	ctx := audit.WithActor(context.Background(), audit.Actor{Username: "t"})
	o, err := a.Orgs.Create(ctx, org.System(), org.Input{Kind: org.Province, Name: "四川省司法厅", DivisionCode: "510000"})
	if err != nil {
		t.Fatal(err)
	}
	ps := &person.Store{DB: a.DB, Crypto: a.Crypto}
	if _, err := ps.Create(ctx, org.System(), person.Input{OrgID: o.ID, Kind: person.Natural, Name: "张三", IDNumber: fixtureID, Phone: fixturePhone}); err != nil {
		t.Fatal(err)
	}
	return a, sc
}

func assertNoClear(t *testing.T, what string, b []byte) {
	t.Helper()
	if len(b) == 0 {
		t.Fatalf("%s is empty: the check would prove nothing", what)
	}
	for _, v := range []string{fixtureID, fixturePhone, strings.ToLower(fixtureID)} {
		if bytes.Contains(b, []byte(v)) {
			t.Errorf("%s holds %s in clear", what, v[:4]+"…")
		}
	}
	if !bytes.Contains(b, []byte("张三")) && !bytes.Contains(b, []byte("\xe5\xbc\xa0")) {
		t.Logf("%s: fixture name not found either (compressed?)", what)
	}
}

// A backup taken with `fengqiao backup` holds ID and phone numbers only
// encrypted, like the live database file.
func TestBackupHasNoClearPersonalData(t *testing.T) {
	a, _ := openWithPerson(t, store.SQLite)
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := app.BackupSQLite(context.Background(), a.DB, dest); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("张三")) {
		t.Fatal("the backup does not contain the fixture at all")
	}
	assertNoClear(t, "SQLite backup", b)
}

// A PostgreSQL dump holds them only encrypted too.
func TestPgDumpHasNoClearPersonalData(t *testing.T) {
	_, sc := openWithPerson(t, store.Postgres)
	path, err := exec.LookPath("pg_dump")
	if err != nil {
		t.Skip("pg_dump not installed")
	}
	u, err := url.Parse(sc.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	cmd := exec.Command(path, "--schema="+schema, "--dbname="+u.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pg_dump: %v: %s", err, stderr.String())
	}
	if !bytes.Contains(out, []byte("张三")) {
		t.Fatal("the dump does not contain the fixture at all")
	}
	assertNoClear(t, "pg_dump output", out)
}
