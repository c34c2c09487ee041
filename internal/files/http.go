package files

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // decode GIF for previews
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // decode WebP for previews

	"fengqiao/internal/auth"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
	"fengqiao/internal/web"
)

// MaxRequestSize bounds a whole upload request before Save applies the
// configured per-file limit.
var MaxRequestSize int64 = 64 << 20

// FromRequest returns the file posted in multipart form field (its client
// name and content); the other form fields are then in r.Form. Save checks
// size and type. The caller closes the file.
func FromRequest(r *http.Request, field string) (string, io.ReadCloser, error) {
	r.Body = http.MaxBytesReader(nil, r.Body, MaxRequestSize)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return "", nil, &FieldError{field, "上传的内容过大"}
		}
		return "", nil, &FieldError{field, "请选择要上传的文件"}
	}
	f, fh, err := r.FormFile(field)
	if err != nil {
		return "", nil, &FieldError{field, "请选择要上传的文件"}
	}
	return fh.Filename, f, nil
}

// Handler serves the generic attachment endpoints.
type Handler struct {
	Auth  *auth.HTTP
	Files *Service
	Log   *slog.Logger
}

// Routes registers GET /files/{id}, GET /files/{id}/preview and
// POST /files/{id}/delete.
func (h *Handler) Routes(mux *http.ServeMux) {
	if h.Log == nil {
		h.Log = slog.Default()
	}
	mux.HandleFunc("GET /files/{id}", h.Auth.Require("", h.download))
	mux.HandleFunc("GET /files/{id}/preview", h.Auth.Require("", h.preview))
	mux.HandleFunc("POST /files/{id}/delete", h.Auth.Require("", h.delete))
}

// Authorize returns the scope in which p may read attachment id: the
// principal's scope for the owner's line, provided the owner record is
// visible in it. store.ErrNotFound otherwise (also for a deleted file).
func (s *Service) Authorize(ctx context.Context, p *auth.Principal, id int64) (org.Scope, string, error) {
	var ownerType string
	var ownerID int64
	err := s.DB.Read().QueryRow(ctx, `SELECT owner_type, owner_id FROM attachments WHERE id = ? AND deleted_at IS NULL`, id).
		Scan(&ownerType, &ownerID)
	if errors.Is(err, sql.ErrNoRows) {
		return org.Scope{}, "", store.ErrNotFound
	}
	if err != nil {
		return org.Scope{}, "", err
	}
	o, ok := ownerOf(ownerType)
	if !ok {
		return org.Scope{}, "", store.ErrNotFound
	}
	sc := p.ScopeFor(o.line)
	if sc.IsZero() {
		return sc, o.line, store.ErrNotFound
	}
	if _, ok := o.fn(ctx, sc, ownerID); !ok {
		return org.Scope{}, o.line, store.ErrNotFound
	}
	return sc, o.line, nil
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, store.ErrNotFound) {
		h.Auth.R.Error(w, r, http.StatusNotFound, "附件不存在，或不在您的管辖范围内")
		return
	}
	h.Auth.Fail(w, r, err)
}

func (h *Handler) open(w http.ResponseWriter, r *http.Request, detail string) (Attachment, io.ReadCloser, bool) {
	preview := detail == "preview"
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, store.ErrNotFound)
		return Attachment{}, nil, false
	}
	sc, _, err := h.Files.Authorize(r.Context(), auth.FromContext(r.Context()), id)
	if err != nil {
		h.fail(w, r, err)
		return Attachment{}, nil, false
	}
	if preview {
		// No image, no preview: refuse before anything is read or audited.
		if a, err := h.Files.Get(r.Context(), sc, id); err != nil || !a.IsImage() {
			if err == nil {
				h.Auth.R.Error(w, r, http.StatusNotFound, "此附件不是图片，没有预览，请下载查看")
			} else {
				h.fail(w, r, err)
			}
			return Attachment{}, nil, false
		}
	}
	a, rc, err := h.Files.open(r.Context(), sc, id, detail)
	if err != nil {
		h.fail(w, r, err)
		return Attachment{}, nil, false
	}
	return a, rc, true
}

// ContentDisposition builds the header with an ASCII fallback and the
// UTF-8 name (RFC 6266 / RFC 5987).
func ContentDisposition(kind, name string) string {
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' || r == ';' {
			return '_'
		}
		return r
	}, name)
	return fmt.Sprintf(`%s; filename="%s"; filename*=UTF-8''%s`, kind, fallback,
		strings.ReplaceAll(url.PathEscape(name), "+", "%2B"))
}

func safeHeaders(w http.ResponseWriter, ct string) {
	hd := w.Header()
	hd.Set("Content-Type", ct)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", "sandbox")
	hd.Set("Cache-Control", "private, no-store")
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	a, rc, ok := h.open(w, r, "")
	if !ok {
		return
	}
	defer rc.Close()
	safeHeaders(w, a.ContentType)
	w.Header().Set("Content-Disposition", ContentDisposition("attachment", a.Name))
	w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
	if _, err := io.Copy(w, rc); err != nil {
		h.Log.WarnContext(r.Context(), "files: download interrupted", "id", a.ID, "err", err)
	}
}

// Preview limits: the original is sent when it is at most previewBytes,
// else a thumbnail at most previewSide pixels wide or high; images above
// maxPixels are not decoded at all (decompression bombs).
const (
	previewBytes = 200 << 10
	previewSide  = 480
	maxPixels    = 40_000_000
)

func (h *Handler) preview(w http.ResponseWriter, r *http.Request) {
	a, rc, ok := h.open(w, r, "preview")
	if !ok {
		return
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out, ct, err := thumbnail(b, a.ContentType)
	if err != nil {
		h.Auth.R.Error(w, r, http.StatusUnprocessableEntity, "图片无法预览，请下载查看")
		return
	}
	safeHeaders(w, ct)
	w.Header().Set("Content-Disposition", ContentDisposition("inline", a.Name))
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Write(out)
}

// thumbnail returns b itself when small, else a scaled copy (JPEG for
// photos, PNG otherwise).
func thumbnail(b []byte, ct string) ([]byte, string, error) {
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return nil, "", err
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
		return nil, "", errors.New("image too large")
	}
	if len(b) <= previewBytes && cfg.Width <= 2*previewSide && cfg.Height <= 2*previewSide {
		return b, ct, nil
	}
	src, _, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, "", err
	}
	w, hgt := cfg.Width, cfg.Height
	if w > hgt {
		w, hgt = previewSide, max(1, hgt*previewSide/w)
	} else {
		w, hgt = max(1, w*previewSide/hgt), previewSide
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, hgt))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, src.Bounds(), draw.Src, nil)
	var buf bytes.Buffer
	if ct == TypeJPEG {
		err = jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80})
		return buf.Bytes(), TypeJPEG, err
	}
	err = png.Encode(&buf, dst)
	return buf.Bytes(), TypePNG, err
}

func (h *Handler) delete(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, store.ErrNotFound)
		return
	}
	p := auth.FromContext(r.Context())
	sc, line, err := h.Files.Authorize(r.Context(), p, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !p.Can(auth.LinePerm(line, "edit")) {
		h.Auth.R.Error(w, r, http.StatusForbidden, "您没有删除此附件的权限")
		return
	}
	err = h.Files.DB.Tx(r.Context(), func(tx *store.Tx) error { return h.Files.Delete(r.Context(), tx, sc, id) })
	if err != nil {
		h.fail(w, r, err)
		return
	}
	web.SetFlash(w, "附件已删除")
	web.Redirect(w, r, r.FormValue("next")) // a non-local next goes to "/"
}
