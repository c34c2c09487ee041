// Package files keeps attachments of business records (a case's documents,
// photos): uploads limited in size and checked by content, stored in the
// database or in a directory, streamed back with permission checks and an
// audit row for every upload, download and deletion.
//
// Authorization belongs to the owner: a business line registers its owner
// type with RegisterOwner, naming its line and a function that says whether
// an owner record is visible in a scope. An attachment is visible exactly
// when its owner is. Lines own their upload endpoints (they know the owner)
// and use FromRequest; the generic download, preview and delete endpoints
// are in http.go.
package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"fengqiao/internal/audit"
	"fengqiao/internal/org"
	"fengqiao/internal/store"
)

//go:embed migrations
var migrations embed.FS

func init() {
	sub, _ := fs.Sub(migrations, "migrations")
	store.RegisterMigrations("files", sub)
}

// Storage backends.
const (
	StorageDB  = "db"
	StorageDir = "dir"
)

// DefaultMaxSize is the upload limit when Config.MaxSize is zero.
const DefaultMaxSize = 20 << 20

// Config is what the app decides about attachments.
type Config struct {
	// Backend is StorageDB (default) or StorageDir.
	Backend string
	// Dir is the root of the directory store (e.g. <data>/files); required
	// for StorageDir. Files live at Dir/ab/cd/<sha256>.
	Dir string
	// MaxSize in bytes (DefaultMaxSize when zero).
	MaxSize int64
	// Allowed detected content types (DefaultAllowed when empty).
	Allowed []string
}

// Attachment is one stored file's metadata.
type Attachment struct {
	ID          int64
	OwnerType   string
	OwnerID     int64
	OrgID       int64
	Name        string
	ContentType string
	Size        int64
	SHA256      string
	Storage     string
	CreatedBy   int64
	CreatedAt   time.Time
}

// TypeName is the Chinese name of the content type.
func (a Attachment) TypeName() string {
	if n, ok := TypeNames[a.ContentType]; ok {
		return n
	}
	return a.ContentType
}

// IsImage reports whether the attachment has a preview.
func (a Attachment) IsImage() bool { return IsImage(a.ContentType) }

// FieldError names the wrong input ("file", "name", "owner_type") in Chinese.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// OwnerFunc says whether owner ownerID is visible in sc, and its org.
type OwnerFunc func(ctx context.Context, sc org.Scope, ownerID int64) (orgID int64, ok bool)

type owner struct {
	line string
	fn   OwnerFunc
}

var (
	ownersMu sync.RWMutex
	owners   = map[string]owner{}
)

// RegisterOwner declares an owner type (e.g. "mediation_case") of a
// business line; call it from init. The generic endpoints read with
// principal.ScopeFor(line) and show an attachment only when fn finds its
// owner in that scope. Registering a type twice panics.
func RegisterOwner(ownerType, line string, fn OwnerFunc) {
	ownersMu.Lock()
	defer ownersMu.Unlock()
	if _, dup := owners[ownerType]; dup || ownerType == "" || line == "" || fn == nil {
		panic(fmt.Sprintf("files: bad or duplicate owner type %q", ownerType))
	}
	owners[ownerType] = owner{line, fn}
}

func ownerOf(ownerType string) (owner, bool) {
	ownersMu.RLock()
	defer ownersMu.RUnlock()
	o, ok := owners[ownerType]
	return o, ok
}

// OwnerLine returns the business line of a registered owner type.
func OwnerLine(ownerType string) (string, bool) {
	o, ok := ownerOf(ownerType)
	return o.line, ok
}

// Service stores and serves attachments.
type Service struct {
	DB  *store.DB
	Cfg Config
	Now func() time.Time
}

// New checks cfg and returns the service; the directory store is created
// when missing.
func New(db *store.DB, cfg Config) (*Service, error) {
	if cfg.Backend == "" {
		cfg.Backend = StorageDB
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = DefaultMaxSize
	}
	if len(cfg.Allowed) == 0 {
		cfg.Allowed = DefaultAllowed
	}
	for _, t := range cfg.Allowed {
		if !slices.Contains(DefaultAllowed, t) {
			return nil, fmt.Errorf("files: allowed type %q cannot be verified by content", t)
		}
	}
	switch cfg.Backend {
	case StorageDB:
	case StorageDir:
		if cfg.Dir == "" {
			return nil, errors.New("files: Dir is required for the directory store")
		}
		if err := os.MkdirAll(filepath.Join(cfg.Dir, "tmp"), 0o700); err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
	default:
		return nil, fmt.Errorf("files: unknown backend %q (db or dir)", cfg.Backend)
	}
	return &Service{DB: db, Cfg: cfg, Now: time.Now}, nil
}

// MaxSize is the upload limit in bytes.
func (s *Service) MaxSize() int64 { return s.Cfg.MaxSize }

// cleanName keeps the last path element, drops control characters and
// bounds the length: the name is shown and sent back in headers.
func cleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '"' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > 200 {
		ext := filepath.Ext(name)
		if len([]rune(ext)) > 10 {
			ext = ""
		}
		name = string(r[:200-len([]rune(ext))]) + ext
	}
	return name
}

// Save streams r into the store for owner (ownerType, ownerID) of org
// orgID inside tx: the size limit is enforced while reading, the content
// type is detected from the bytes, and "file.upload" is audited. orgID
// must be inside sc. With the directory store the file is in place before
// tx commits; a rolled-back upload leaves an unreferenced file named by
// its hash (harmless, reused by the next upload of the same bytes).
func (s *Service) Save(ctx context.Context, tx *store.Tx, sc org.Scope, ownerType string, ownerID, orgID int64,
	name string, r io.Reader) (Attachment, error) {
	if _, ok := ownerOf(ownerType); !ok {
		return Attachment{}, &FieldError{"owner_type", "未登记的附件归属类型：" + ownerType}
	}
	if ownerID <= 0 {
		return Attachment{}, &FieldError{"owner_id", "附件须属于一条业务记录"}
	}
	name = cleanName(name)
	if name == "" {
		return Attachment{}, &FieldError{"name", "文件名必填"}
	}
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM orgs WHERE id = ?`, orgID).Scan(&path); err != nil || !sc.Contains(path) {
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return Attachment{}, err
		}
		return Attachment{}, store.ErrNotFound
	}

	tmpDir := ""
	if s.Cfg.Backend == StorageDir {
		tmpDir = filepath.Join(s.Cfg.Dir, "tmp")
	}
	tmp, err := os.CreateTemp(tmpDir, "upload-*")
	if err != nil {
		return Attachment{}, fmt.Errorf("files: temp file: %w", err)
	}
	defer func() {
		tmp.Close()
		os.Remove(tmp.Name()) // gone already after a rename
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, s.Cfg.MaxSize+1))
	if err != nil {
		return Attachment{}, &FieldError{"file", "上传中断，请重试"}
	}
	if n > s.Cfg.MaxSize {
		return Attachment{}, &FieldError{"file", fmt.Sprintf("文件超过大小上限 %s", humanSize(s.Cfg.MaxSize))}
	}
	ct, reason := Detect(tmp, n)
	if reason != "" {
		return Attachment{}, &FieldError{"file", reason}
	}
	if !slices.Contains(s.Cfg.Allowed, ct) {
		return Attachment{}, &FieldError{"file", "不允许上传此类文件：" + TypeNames[ct]}
	}
	sum := hex.EncodeToString(h.Sum(nil))
	a := Attachment{OwnerType: ownerType, OwnerID: ownerID, OrgID: orgID, Name: name, ContentType: ct, Size: n,
		SHA256: sum, Storage: s.Cfg.Backend, CreatedBy: audit.ActorFrom(ctx).UserID, CreatedAt: s.Now().UTC()}
	var blob []byte
	var rel any
	switch s.Cfg.Backend {
	case StorageDB:
		blob = make([]byte, n)
		if _, err := tmp.ReadAt(blob, 0); err != nil && err != io.EOF {
			return Attachment{}, fmt.Errorf("files: read temp: %w", err)
		}
	case StorageDir:
		p, err := s.place(tmp, sum)
		if err != nil {
			return Attachment{}, err
		}
		rel = p
	}
	var by any
	if a.CreatedBy != 0 {
		by = a.CreatedBy
	}
	a.ID, err = store.InsertID(ctx, tx, `INSERT INTO attachments (owner_type, owner_id, org_id, name, content_type, size,
		sha256, storage, blob, path, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.OwnerType, a.OwnerID, a.OrgID, a.Name, a.ContentType, a.Size, a.SHA256, a.Storage, blob, rel, by, a.CreatedAt)
	if err != nil {
		return Attachment{}, fmt.Errorf("files: insert: %w", err)
	}
	// No file name in the detail: names may carry personal data.
	err = audit.Record(ctx, tx, audit.Event{Action: "file.upload", ObjectType: "attachment", ObjectID: fmt.Sprint(a.ID),
		OrgID: orgID, Detail: fmt.Sprintf("owner=%s:%d type=%s size=%d sha256=%s", ownerType, ownerID, ct, n, sum[:16])})
	return a, err
}

// place fsyncs the temp file and renames it to ab/cd/<sum> under Dir,
// returning the relative path.
func (s *Service) place(tmp *os.File, sum string) (string, error) {
	if err := tmp.Sync(); err != nil {
		return "", fmt.Errorf("files: sync: %w", err)
	}
	rel := filepath.Join(sum[:2], sum[2:4], sum)
	dir := filepath.Join(s.Cfg.Dir, sum[:2], sum[2:4])
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("files: %w", err)
	}
	dst := filepath.Join(s.Cfg.Dir, rel)
	if _, err := os.Stat(dst); err == nil {
		return filepath.ToSlash(rel), nil // same bytes stored before
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return "", fmt.Errorf("files: rename: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync() // make the new name durable
		d.Close()
	}
	return filepath.ToSlash(rel), nil
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%g MB", float64(n*10/(1<<20))/10)
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%d 字节", n)
}

const cols = `a.id, a.owner_type, a.owner_id, a.org_id, a.name, a.content_type, a.size, a.sha256, a.storage,
	COALESCE(a.created_by, 0), a.created_at`

func scan(r interface{ Scan(...any) error }) (Attachment, error) {
	var a Attachment
	err := r.Scan(&a.ID, &a.OwnerType, &a.OwnerID, &a.OrgID, &a.Name, &a.ContentType, &a.Size, &a.SHA256, &a.Storage,
		&a.CreatedBy, &a.CreatedAt)
	return a, err
}

// List returns the live attachments of an owner inside sc, oldest first.
func (s *Service) List(ctx context.Context, sc org.Scope, ownerType string, ownerID int64) ([]Attachment, error) {
	w, args := sc.Where("o.path")
	rows, err := s.DB.Read().Query(ctx, `SELECT `+cols+` FROM attachments a JOIN orgs o ON o.id = a.org_id
		WHERE `+w+` AND a.owner_type = ? AND a.owner_id = ? AND a.deleted_at IS NULL ORDER BY a.id`,
		append(args, ownerType, ownerID)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// Get returns a live attachment inside sc; store.ErrNotFound otherwise.
func (s *Service) Get(ctx context.Context, sc org.Scope, id int64) (Attachment, error) {
	return s.get(ctx, s.DB.Read(), sc, id)
}

func (s *Service) get(ctx context.Context, q store.Querier, sc org.Scope, id int64) (Attachment, error) {
	w, args := sc.Where("o.path")
	a, err := scan(q.QueryRow(ctx, `SELECT `+cols+` FROM attachments a JOIN orgs o ON o.id = a.org_id
		WHERE `+w+` AND a.id = ? AND a.deleted_at IS NULL`, append(args, id)...))
	if errors.Is(err, sql.ErrNoRows) {
		return a, store.ErrNotFound
	}
	return a, err
}

// Open returns the attachment and its content, auditing "file.download".
// The caller closes the reader.
func (s *Service) Open(ctx context.Context, sc org.Scope, id int64) (Attachment, io.ReadCloser, error) {
	return s.open(ctx, sc, id, "")
}

func (s *Service) open(ctx context.Context, sc org.Scope, id int64, detail string) (Attachment, io.ReadCloser, error) {
	a, err := s.Get(ctx, sc, id)
	if err != nil {
		return a, nil, err
	}
	var rc io.ReadCloser
	switch a.Storage {
	case StorageDB:
		var b []byte
		if err := s.DB.Read().QueryRow(ctx, `SELECT blob FROM attachments WHERE id = ?`, id).Scan(&b); err != nil {
			return a, nil, fmt.Errorf("files: read blob: %w", err)
		}
		rc = io.NopCloser(bytes.NewReader(b))
	case StorageDir:
		if s.Cfg.Dir == "" {
			return a, nil, errors.New("files: attachment is in the directory store but no Dir is configured")
		}
		var rel string
		if err := s.DB.Read().QueryRow(ctx, `SELECT path FROM attachments WHERE id = ?`, id).Scan(&rel); err != nil {
			return a, nil, fmt.Errorf("files: read path: %w", err)
		}
		f, err := os.Open(filepath.Join(s.Cfg.Dir, filepath.FromSlash(rel)))
		if err != nil {
			return a, nil, fmt.Errorf("files: open stored file: %w", err)
		}
		rc = f
	default:
		return a, nil, fmt.Errorf("files: unknown storage %q", a.Storage)
	}
	if err := audit.RecordAlone(ctx, s.DB, audit.Event{Action: "file.download", ObjectType: "attachment",
		ObjectID: fmt.Sprint(a.ID), OrgID: a.OrgID, Detail: strings.TrimSpace(fmt.Sprintf("owner=%s:%d %s", a.OwnerType, a.OwnerID, detail))}); err != nil {
		rc.Close()
		return a, nil, err
	}
	return a, rc, nil
}

// Delete marks an attachment deleted (the bytes stay for the record) and
// audits "file.delete", in tx.
func (s *Service) Delete(ctx context.Context, tx *store.Tx, sc org.Scope, id int64) error {
	a, err := s.get(ctx, tx, sc, id)
	if err != nil {
		return err
	}
	var by any
	if u := audit.ActorFrom(ctx).UserID; u != 0 {
		by = u
	}
	if _, err := tx.Exec(ctx, `UPDATE attachments SET deleted_at = ?, deleted_by = ? WHERE id = ? AND deleted_at IS NULL`,
		s.Now().UTC(), by, id); err != nil {
		return err
	}
	return audit.Record(ctx, tx, audit.Event{Action: "file.delete", ObjectType: "attachment", ObjectID: fmt.Sprint(id),
		OrgID: a.OrgID, Detail: fmt.Sprintf("owner=%s:%d", a.OwnerType, a.OwnerID)})
}
