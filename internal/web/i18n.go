package web

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed i18n
var embeddedI18n embed.FS

// Languages the UI offers. Chinese is the source language of every message.
const (
	LangZH = "zh"
	LangEN = "en"
)

// LangCookie is the cookie remembering the chosen language.
const LangCookie = "lang"

var (
	catMu    sync.RWMutex
	catalogs = map[string]map[string]string{}
)

// RegisterCatalog adds translations (Chinese text → text in lang). Later entries win.
func RegisterCatalog(lang string, m map[string]string) {
	catMu.Lock()
	defer catMu.Unlock()
	if catalogs[lang] == nil {
		catalogs[lang] = map[string]string{}
	}
	maps.Copy(catalogs[lang], m)
}

// RegisterCatalogFS registers every "<lang>.json" file in the root of fsys, each a JSON
// object mapping Chinese text to its translation.
func RegisterCatalogFS(fsys fs.FS) error {
	cats, err := readCatalogs(fsys)
	if err != nil {
		return err
	}
	for lang, m := range cats {
		RegisterCatalog(lang, m)
	}
	return nil
}

func readCatalogs(fsys fs.FS) (map[string]map[string]string, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	out := map[string]map[string]string{}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n catalog %s: %w", name, err)
		}
		out[strings.TrimSuffix(path.Base(name), ".json")] = m
	}
	return out, nil
}

// translator resolves messages for one language: custom overrides, then registered catalogs.
type translator struct {
	custom map[string]map[string]string
}

func (t *translator) tr(lang, msg string) string {
	if lang == LangZH || lang == "" {
		return msg
	}
	if t != nil {
		if s, ok := t.custom[lang][msg]; ok && s != "" {
			return s
		}
	}
	catMu.RLock()
	s, ok := catalogs[lang][msg]
	catMu.RUnlock()
	if ok && s != "" {
		return s
	}
	return msg
}

// Translate returns msg in lang from the registered catalogs, or msg itself when missing.
func Translate(lang, msg string) string { return (*translator)(nil).tr(lang, msg) }

func validLang(l string) bool { return l == LangZH || l == LangEN }

// LangFrom picks the language for req: the "lang" cookie, then the viewer's, then Chinese.
func LangFrom(req *http.Request) string {
	if c, err := req.Cookie(LangCookie); err == nil && validLang(c.Value) {
		return c.Value
	}
	if v := ViewerFrom(req.Context()); v != nil && validLang(v.Lang) {
		return v.Lang
	}
	return LangZH
}

// LangHandler serves GET /lang?to=en: it remembers the language in a cookie and goes
// back to the local path in "next", else to the referring page of this site, else "/".
func LangHandler(w http.ResponseWriter, req *http.Request) {
	to := req.URL.Query().Get("to")
	if !validLang(to) {
		http.Error(w, "to: 不支持的语言 (zh, en)", http.StatusBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: LangCookie, Value: to, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: req.TLS != nil,
	})
	back := "/"
	if next := req.URL.Query().Get("next"); localPath(next) {
		back = next
	} else if ref, err := url.Parse(req.Referer()); err == nil && ref.Host == req.Host && localPath(ref.Path) {
		back = ref.RequestURI()
	}
	http.Redirect(w, req, back, http.StatusSeeOther)
}

// localPath reports whether p is a path on this site (not "//host" or a scheme).
func localPath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.HasPrefix(p, "//") && !strings.HasPrefix(p, "/\\") &&
		!strings.ContainsAny(p, "\r\n")
}
