package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

//go:embed static
var embeddedStatic embed.FS

// asset is one static file held in memory with its content hash.
type asset struct {
	data   []byte
	sum    string // full sha256 hex, the ETag
	ctype  string
	gzOnce sync.Once
	gz     []byte // gzip form, nil when not worth it
}

func (a *asset) hash8() string { return a.sum[:8] }

func (a *asset) gzipped() []byte {
	a.gzOnce.Do(func() {
		if len(a.data) < 1024 || !compressible(a.ctype) {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(a.data)
		zw.Close()
		if buf.Len() < len(a.data)*9/10 {
			a.gz = buf.Bytes()
		}
	})
	return a.gz
}

func compressible(ctype string) bool {
	for _, p := range []string{"text/", "application/javascript", "application/json", "image/svg+xml"} {
		if strings.HasPrefix(ctype, p) {
			return true
		}
	}
	return false
}

func newAsset(name string, data []byte) *asset {
	sum := sha256.Sum256(data)
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	case ".txt":
		ct = "text/plain; charset=utf-8"
	}
	if ct == "" {
		ct = http.DetectContentType(data)
	}
	return &asset{data: data, sum: hex.EncodeToString(sum[:]), ctype: ct}
}

type staticSet map[string]*asset

var (
	staticMu   sync.Mutex
	staticRegs = map[string]fs.FS{}
	// baseStatic caches the embedded and registered files; custom files are layered per renderer.
	baseStatic   staticSet
	activeStatic atomic.Pointer[staticSet]
)

// RegisterStatic adds a package's static files, served as "<owner>/<path>"
// (StaticURL("cases/list.js")). Call it from init.
func RegisterStatic(owner string, fsys fs.FS) {
	staticMu.Lock()
	defer staticMu.Unlock()
	staticRegs[owner] = fsys
	baseStatic = nil
}

func addFS(set staticSet, fsys fs.FS, prefix string) error {
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		name := path.Join(prefix, p)
		set[name] = newAsset(name, b)
		return nil
	})
}

// loadBase reads the embedded and registered static files once.
func loadBase() (staticSet, error) {
	staticMu.Lock()
	defer staticMu.Unlock()
	if baseStatic != nil {
		return baseStatic, nil
	}
	set := staticSet{}
	sub, _ := fs.Sub(embeddedStatic, "static")
	if err := addFS(set, sub, ""); err != nil {
		return nil, err
	}
	for owner, fsys := range staticRegs {
		if err := addFS(set, fsys, owner); err != nil {
			return nil, err
		}
	}
	baseStatic = set
	return set, nil
}

// loadStatic layers customDir/static over the base files.
func loadStatic(customDir string) (staticSet, error) {
	base, err := loadBase()
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(customDir, "static")
	if customDir == "" {
		return base, nil
	}
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return base, nil
	}
	set := make(staticSet, len(base))
	for k, v := range base {
		set[k] = v
	}
	if err := addFS(set, os.DirFS(dir), ""); err != nil {
		return nil, err
	}
	return set, nil
}

func currentStatic() staticSet {
	if s := activeStatic.Load(); s != nil {
		return *s
	}
	s, err := loadBase()
	if err != nil {
		return staticSet{}
	}
	return s
}

func (s staticSet) url(name string) string {
	name = strings.TrimPrefix(name, "/")
	if a, ok := s[name]; ok {
		return "/static/" + a.hash8() + "/" + name
	}
	return "/static/missing/" + name
}

// StaticURL returns the checksummed URL of a static file, e.g. "/static/1a2b3c4d/app.css",
// taking custom/static overrides of the latest renderer into account.
func StaticURL(name string) string { return currentStatic().url(name) }

// StaticHandler serves /static/<hash8>/<path>. A URL whose hash matches the content is
// cached for a year as immutable; an old hash still gets the current file, uncached.
func (r *Renderer) StaticHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		p := strings.TrimPrefix(req.URL.Path, "/static/")
		hash, name, ok := strings.Cut(p, "/")
		set := r.staticSet()
		a := set[name]
		if !ok || a == nil {
			http.NotFound(w, req)
			return
		}
		h := w.Header()
		if hash == a.hash8() {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "no-cache")
		}
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", `"`+a.sum+`"`)
		data := a.data
		if gz := a.gzipped(); gz != nil {
			h.Add("Vary", "Accept-Encoding")
			if acceptsGzip(req) {
				h.Set("Content-Encoding", "gzip")
				h.Set("ETag", `"`+a.sum+`-gz"`)
				data = gz
			}
		}
		http.ServeContent(w, req, "", time.Time{}, bytes.NewReader(data))
	})
}

func acceptsGzip(req *http.Request) bool {
	for part := range strings.SplitSeq(req.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.TrimSpace(enc) == "gzip" && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}
