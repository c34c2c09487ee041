package files_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"fengqiao/internal/audit"
	"fengqiao/internal/auth"
	"fengqiao/internal/files"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/store/storetest"
	"fengqiao/internal/web"
)

type plainSealer struct{}

func (plainSealer) Seal(b []byte) (string, error) { return base64.StdEncoding.EncodeToString(b), nil }
func (plainSealer) Open(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

// The test owner type: "documents" of the mediation line whose org is kept
// in a map (a real line looks up its case table).
var (
	docMu   sync.Mutex
	docOrgs = map[int64]int64{} // owner id → org id
	docDB   *store.DB
)

func init() {
	files.RegisterOwner("testdoc", "mediation", func(ctx context.Context, sc org.Scope, id int64) (int64, bool) {
		docMu.Lock()
		orgID, db := docOrgs[id], docDB
		docMu.Unlock()
		if orgID == 0 {
			return 0, false
		}
		o, err := (&org.Store{DB: db}).Get(ctx, sc, orgID)
		return o.ID, err == nil
	})
}

const pw = "Zhang-2026-sfs"

type fixture struct {
	t                     *testing.T
	db                    *store.DB
	svc                   *auth.Service
	fs                    *files.Service
	h                     http.Handler
	county, countyB, offA org.Org
	offB                  org.Org
}

func setup(t *testing.T, db *store.DB, cfg files.Config) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, db: db}
	orgs := &org.Store{DB: db}
	f.svc = auth.New(db, orgs, plainSealer{})
	f.svc.Argon = auth.Argon2Params{Memory: 1024, Time: 1, Threads: 1, KeyLen: 32}
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
	f.offA = mk(f.county.ID, org.Office, "江北街道司法所", "511902001")
	f.offB = mk(f.countyB.ID, org.Office, "登科街道司法所", "511903001")
	for _, u := range []struct {
		name string
		org  int64
		role string
	}{{"staffa", f.offA.ID, "office_staff"}, {"staffb", f.offB.ID, "office_staff"}, {"sysadmin1", f.county.ID, "sysadmin"},
		{"leader1", f.county.ID, "leader"}} {
		if _, err := f.svc.CreateUser(ctx, nil, auth.UserInput{Username: u.name, DisplayName: "用户" + u.name, OrgID: u.org,
			Roles: []string{u.role}, Password: pw}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(ctx, `UPDATE users SET must_change = FALSE`); err != nil {
		t.Fatal(err)
	}
	if cfg.Backend == files.StorageDir && cfg.Dir == "" {
		cfg.Dir = t.TempDir()
	}
	var err error
	if f.fs, err = files.New(db, cfg); err != nil {
		t.Fatal(err)
	}
	docMu.Lock()
	docDB = db
	docOrgs = map[int64]int64{1: f.offA.ID, 2: f.offB.ID}
	docMu.Unlock()
	r, err := web.NewRenderer(web.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ah := &auth.HTTP{Svc: f.svc, R: r}
	mux := http.NewServeMux()
	ah.Routes(mux)
	(&files.Handler{Auth: ah, Files: f.fs}).Routes(mux)
	f.h = ah.Middleware(mux)
	return f
}

func (f *fixture) save(sc org.Scope, ownerID, orgID int64, name string, data []byte) (files.Attachment, error) {
	var a files.Attachment
	err := f.db.Tx(context.Background(), func(tx *store.Tx) error {
		var err error
		a, err = f.fs.Save(context.Background(), tx, sc, "testdoc", ownerID, orgID, name, bytes.NewReader(data))
		return err
	})
	return a, err
}

func (f *fixture) auditCount(action string) int {
	f.t.Helper()
	var n int
	if err := f.db.Read().QueryRow(context.Background(), `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) get(user, path string) *httptest.ResponseRecorder {
	f.t.Helper()
	res, err := f.svc.Login(context.Background(), user, pw, "127.0.0.1", "test")
	if err != nil {
		f.t.Fatal(err)
	}
	req := httptest.NewRequest("GET", path, nil)
	req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: res.Token})
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

func pngOf(w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 13), uint8(x ^ y), 255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

func zipOf(names ...string) []byte {
	var b bytes.Buffer
	z := zip.NewWriter(&b)
	for _, n := range names {
		w, _ := z.Create(n)
		io.WriteString(w, "<x/>")
	}
	z.Close()
	return b.Bytes()
}

func fieldErr(t *testing.T, err error, field string) {
	t.Helper()
	var fe *files.FieldError
	if !errors.As(err, &fe) || fe.Field != field {
		t.Fatalf("want field error on %q, got %v", field, err)
	}
}

func TestSaveOpenBothStorages(t *testing.T) {
	for _, backend := range []string{files.StorageDB, files.StorageDir} {
		t.Run(backend, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				f := setup(t, db, files.Config{Backend: backend})
				ctx := audit.WithActor(context.Background(), audit.Actor{UserID: 1, Username: "staffa"})
				sc := org.NewScope(f.county.Path)
				cases := []struct {
					name, ct string
					data     []byte
				}{
					{"照片.png", files.TypePNG, pngOf(20, 10)},
					{"调解协议.pdf", files.TypePDF, []byte("%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n")},
					{"笔录.docx", files.TypeDOCX, zipOf("[Content_Types].xml", "word/document.xml")},
					{"台账.xlsx", files.TypeXLSX, zipOf("[Content_Types].xml", "xl/workbook.xml")},
					{"说明.txt", files.TypeText, []byte("当事人双方同意调解。\n")},
					{"伪装.txt", files.TypePNG, pngOf(3, 3)}, // the content decides, not the name
				}
				var ids []int64
				for _, c := range cases {
					var a files.Attachment
					err := db.Tx(ctx, func(tx *store.Tx) error {
						var err error
						a, err = f.fs.Save(ctx, tx, sc, "testdoc", 1, f.offA.ID, "C:\\docs\\"+c.name, bytes.NewReader(c.data))
						return err
					})
					if err != nil {
						t.Fatalf("%s: %v", c.name, err)
					}
					if a.ContentType != c.ct || a.Name != c.name || a.Size != int64(len(c.data)) || a.Storage != backend || a.CreatedBy != 1 {
						t.Fatalf("%s: got %+v", c.name, a)
					}
					ids = append(ids, a.ID)
				}
				list, err := f.fs.List(ctx, sc, "testdoc", 1)
				if err != nil || len(list) != len(cases) {
					t.Fatalf("list: %d %v", len(list), err)
				}
				for i, c := range cases {
					a, rc, err := f.fs.Open(ctx, sc, ids[i])
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(rc)
					rc.Close()
					if !bytes.Equal(b, c.data) || a.ContentType != c.ct {
						t.Fatalf("%s: content differs", c.name)
					}
				}
				if n := f.auditCount("file.upload"); n != len(cases) {
					t.Fatalf("upload audit rows %d", n)
				}
				if n := f.auditCount("file.download"); n != len(cases) {
					t.Fatalf("download audit rows %d", n)
				}
				// Soft delete: gone from lists and downloads, audited.
				if err := db.Tx(ctx, func(tx *store.Tx) error { return f.fs.Delete(ctx, tx, sc, ids[0]) }); err != nil {
					t.Fatal(err)
				}
				if _, _, err := f.fs.Open(ctx, sc, ids[0]); !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("open deleted: %v", err)
				}
				if list, _ := f.fs.List(ctx, sc, "testdoc", 1); len(list) != len(cases)-1 {
					t.Fatalf("list after delete: %d", len(list))
				}
				if f.auditCount("file.delete") != 1 {
					t.Fatal("delete not audited")
				}
			})
		})
	}
}

func TestRejectsByContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, files.Config{})
		sc := org.System()
		bad := map[string][]byte{
			"setup.pdf":   append([]byte("MZ\x90\x00"), make([]byte, 100)...),
			"run.jpg":     append([]byte("\x7fELF\x02\x01"), make([]byte, 100)...),
			"page.txt":    []byte("<!DOCTYPE html><html><script>alert(1)</script></html>"),
			"logo.png":    []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`),
			"later.txt":   []byte("hello\n\n\n<script>alert(1)</script>"),
			"x.zip":       zipOf("a.exe"),
			"gbk.txt":     {0xc4, 0xe3, 0xba, 0xc3, 0x0a, 0xff},
			"script.txt":  []byte("#!/bin/sh\nrm -rf /\n"),
			"empty.pdf":   {},
			"random.docx": {0x00, 0x01, 0x02, 0x03, 0x04},
		}
		for name, data := range bad {
			_, err := f.save(sc, 1, f.offA.ID, name, data)
			fieldErr(t, err, "file")
		}
		// Allowed list narrows the verified types.
		only, err := files.New(db, files.Config{Allowed: []string{files.TypePDF}})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Tx(context.Background(), func(tx *store.Tx) error {
			_, err := only.Save(context.Background(), tx, sc, "testdoc", 1, f.offA.ID, "a.png", bytes.NewReader(pngOf(2, 2)))
			return err
		})
		fieldErr(t, err, "file")
		if _, err := files.New(db, files.Config{Allowed: []string{"text/html"}}); err == nil {
			t.Fatal("unverifiable allowed type accepted")
		}
		_, err = f.save(sc, 1, f.offA.ID, "  ", pngOf(2, 2))
		fieldErr(t, err, "name")
		var n int
		db.Read().QueryRow(context.Background(), `SELECT COUNT(*) FROM attachments`).Scan(&n)
		if n != 0 || f.auditCount("file.upload") != 0 {
			t.Fatalf("rejected uploads left %d rows", n)
		}
	})
}

func TestSizeLimitAndScope(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, files.Config{Backend: files.StorageDir, MaxSize: 1024})
		big := bytes.Repeat([]byte("a"), 1025)
		_, err := f.save(org.System(), 1, f.offA.ID, "big.txt", big)
		fieldErr(t, err, "file")
		if _, err := f.save(org.System(), 1, f.offA.ID, "ok.txt", big[:1024]); err != nil {
			t.Fatal(err)
		}
		// Saving into an org outside the caller's scope is refused.
		scA := org.NewScope(f.county.Path)
		if _, err := f.save(scA, 2, f.offB.ID, "b.txt", []byte("b")); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("out of scope save: %v", err)
		}
		a, err := f.save(scA, 1, f.offA.ID, "a.txt", []byte("a"))
		if err != nil {
			t.Fatal(err)
		}
		scB := org.NewScope(f.countyB.Path)
		if _, _, err := f.fs.Open(context.Background(), scB, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("out of scope open: %v", err)
		}
		if l, _ := f.fs.List(context.Background(), scB, "testdoc", 1); len(l) != 0 {
			t.Fatal("out of scope list")
		}
		if _, _, err := f.fs.Open(context.Background(), org.Scope{}, a.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatal("zero scope sees a file")
		}
		err = db.Tx(context.Background(), func(tx *store.Tx) error {
			_, err := f.fs.Save(context.Background(), tx, org.System(), "nosuch", 1, f.offA.ID, "a.txt", strings.NewReader("a"))
			return err
		})
		fieldErr(t, err, "owner_type")
	})
}

func TestHTTPDownloadPreviewDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := setup(t, db, files.Config{})
		a, err := f.save(org.System(), 1, f.offA.ID, "调解 协议;书.pdf", []byte("%PDF-1.4\n%%EOF\n"))
		if err != nil {
			t.Fatal(err)
		}
		img, err := f.save(org.System(), 1, f.offA.ID, "现场.png", pngOf(1200, 600))
		if err != nil {
			t.Fatal(err)
		}
		path := "/files/" + strconv.FormatInt(a.ID, 10)
		rec := f.get("staffa", path)
		if rec.Code != 200 || rec.Body.String() != "%PDF-1.4\n%%EOF\n" {
			t.Fatalf("download: %d %q", rec.Code, rec.Body.String())
		}
		h := rec.Header()
		if h.Get("Content-Type") != files.TypePDF || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Content-Security-Policy") != "sandbox" {
			t.Fatalf("headers %v", h)
		}
		cd := h.Get("Content-Disposition")
		if !strings.HasPrefix(cd, `attachment; filename="`) || !strings.Contains(cd, "filename*=UTF-8''%E8%B0%83%E8%A7%A3%20%E5%8D%8F%E8%AE%AE%3B%E4%B9%A6.pdf") {
			t.Fatalf("content-disposition %q", cd)
		}
		// Leaders of the county see it; another county, and administrators
		// without the line permission, do not.
		if rec := f.get("leader1", path); rec.Code != 200 {
			t.Fatalf("leader: %d", rec.Code)
		}
		for _, u := range []string{"staffb", "sysadmin1"} {
			if rec := f.get(u, path); rec.Code != 404 {
				t.Fatalf("%s: %d", u, rec.Code)
			}
		}
		// Preview: a large image is scaled down; a PDF has none.
		rec = f.get("staffa", "/files/"+strconv.FormatInt(img.ID, 10)+"/preview")
		if rec.Code != 200 || rec.Header().Get("Content-Type") != files.TypePNG || !strings.HasPrefix(rec.Header().Get("Content-Disposition"), "inline") {
			t.Fatalf("preview: %d %v", rec.Code, rec.Header())
		}
		cfg, _, err := image.DecodeConfig(rec.Body)
		if err != nil || cfg.Width != 480 || cfg.Height != 240 {
			t.Fatalf("thumbnail %dx%d %v", cfg.Width, cfg.Height, err)
		}
		if rec := f.get("staffa", path+"/preview"); rec.Code != 404 {
			t.Fatalf("pdf preview: %d", rec.Code)
		}
		// Delete: the other county cannot, the handler can.
		post := func(user string) int {
			res, _ := f.svc.Login(context.Background(), user, pw, "127.0.0.1", "test")
			req := httptest.NewRequest("POST", path+"/delete", strings.NewReader("next=/cases/1"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: res.Token})
			rec := httptest.NewRecorder()
			f.h.ServeHTTP(rec, req)
			if rec.Code == 303 && rec.Header().Get("Location") != "/cases/1" {
				t.Fatalf("redirect to %q", rec.Header().Get("Location"))
			}
			return rec.Code
		}
		if c := post("staffb"); c != 404 {
			t.Fatalf("other county delete: %d", c)
		}
		if c := post("staffa"); c != 303 {
			t.Fatalf("delete: %d", c)
		}
		if rec := f.get("staffa", path); rec.Code != 404 {
			t.Fatalf("deleted download: %d", rec.Code)
		}
		if f.auditCount("file.download") != 3 || f.auditCount("file.delete") != 1 {
			t.Fatalf("audit: downloads %d deletes %d", f.auditCount("file.download"), f.auditCount("file.delete"))
		}
	})
}

func TestFromRequest(t *testing.T) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("note", "x")
	fw, _ := mw.CreateFormFile("upload", "../../etc/现场.png")
	fw.Write(pngOf(2, 2))
	mw.Close()
	req := httptest.NewRequest("POST", "/x", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	name, rc, err := files.FromRequest(req, "upload")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	if !bytes.Equal(b, pngOf(2, 2)) || req.FormValue("note") != "x" || name == "" {
		t.Fatalf("name %q", name)
	}
	req = httptest.NewRequest("POST", "/x", strings.NewReader("a=b"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	_, _, err = files.FromRequest(req, "upload")
	fieldErr(t, err, "upload")
}
