package app

import (
	"encoding/base64"
	"net/http"
	"path/filepath"

	"fengqiao/internal/files"
	"fengqiao/internal/notify"
	"fengqiao/internal/person"
)

// openFilesNotify builds the attachment and notification services and
// registers webhook delivery on the job runner (before it starts).
func (a *App) openFilesNotify() error {
	a.Notify = &notify.Service{DB: a.DB, Sealer: webhookSealer{a.Crypto}}
	a.Notify.RegisterJobs(a.Jobs)
	backend, maxMB := a.Cfg.FilesBackend, a.Cfg.FilesMaxMB
	if backend == "" { // configs built in code (tests) fall back to the defaults
		backend = files.StorageDB
	}
	if maxMB <= 0 {
		maxMB = 20
	}
	fs, err := files.New(a.DB, files.Config{Backend: backend, Dir: filepath.Join(a.Cfg.DataDir, "files"),
		MaxSize: int64(maxMB) << 20})
	a.Files = fs
	return err
}

func (a *App) routesFilesNotify(mux *http.ServeMux) {
	(&files.Handler{Auth: a.AuthH, Files: a.Files, Log: a.Log}).Routes(mux)
	(&notify.Handler{Auth: a.AuthH, Notify: a.Notify, Orgs: a.Orgs, Log: a.Log}).Routes(mux)
}

// webhookSealer keeps webhook signing secrets under the field-encryption key.
type webhookSealer struct{ c *person.Crypto }

func (s webhookSealer) Seal(b []byte) (string, error) {
	return s.c.Encrypt("webhooks.secret", base64.StdEncoding.EncodeToString(b))
}

func (s webhookSealer) Open(v string) ([]byte, error) {
	p, err := s.c.Decrypt("webhooks.secret", v)
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(p)
}
