package web

import (
	"encoding/base64"
	"net/http"
	"unicode/utf8"
)

const flashCookie = "flash"

// SetFlash keeps msg for the next page rendered for this browser (read once).
func SetFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{
		Name: flashCookie, Value: base64.RawURLEncoding.EncodeToString([]byte(msg)),
		Path: "/", MaxAge: 300, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// takeFlash reads the flash message and deletes the cookie.
func takeFlash(w http.ResponseWriter, req *http.Request) string {
	c, err := req.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || !utf8.Valid(b) || len(b) > 500 {
		return ""
	}
	return string(b)
}

// Redirect sends the browser to the local path after a successful POST: 303 See Other,
// or an HX-Redirect header for htmx requests. A non-local path goes to "/".
func Redirect(w http.ResponseWriter, req *http.Request, path string) {
	noteRoute(req)
	if !localPath(path) {
		path = "/"
	}
	if req.Header.Get("HX-Request") == "true" {
		w.Header().Set("HX-Redirect", path)
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, req, path, http.StatusSeeOther)
}
