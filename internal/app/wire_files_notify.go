package app

import (
	"encoding/base64"
	"net/http"
	"path/filepath"
	"sync"

	"fengqiao/internal/files"
	"fengqiao/internal/notify"
	"fengqiao/internal/person"
)

// filesNotify holds the per-App attachment and notification services
// (App's fields belong to app.go); business lines reach them through
// a.FilesService() and a.NotifyService().
type filesNotify struct {
	files  *files.Service
	notify *notify.Service
	err    error
	jobsOn bool // webhook handler registered on a.Jobs
}

var (
	fnMu     sync.Mutex
	fnStates = map[*App]*filesNotify{}
)

func (a *App) filesNotify() *filesNotify {
	fnMu.Lock()
	defer fnMu.Unlock()
	st := fnStates[a]
	if st == nil {
		st = &filesNotify{notify: &notify.Service{DB: a.DB, Sealer: webhookSealer{a.Crypto}}}
		// Attachments in the database: every node of a PostgreSQL
		// deployment sees them without a shared disk. Directory storage
		// (files.StorageDir, Dir below) is a configuration choice to add.
		st.files, st.err = files.New(a.DB, files.Config{Backend: files.StorageDB, Dir: filepath.Join(a.Cfg.DataDir, "files")})
		fnStates[a] = st
	}
	return st
}

// FilesService is the attachment store for business lines.
func (a *App) FilesService() *files.Service { return a.filesNotify().files }

// NotifyService is the inbox and webhook service.
func (a *App) NotifyService() *notify.Service { return a.filesNotify().notify }

// registerNotifyJobs adds the webhook delivery handler to the job runner
// once per App; Handler (and so this) runs before Serve starts the runner.
func (a *App) registerNotifyJobs(st *filesNotify) {
	fnMu.Lock()
	defer fnMu.Unlock()
	if st.jobsOn || a.Jobs == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil { // runner already running: deliveries wait for a restart
			a.Log.Error("webhook deliveries not registered", "err", p)
		}
	}()
	st.notify.RegisterJobs(a.Jobs)
	st.jobsOn = true
}

func (a *App) routesFilesNotify(mux *http.ServeMux) {
	st := a.filesNotify()
	a.registerNotifyJobs(st)
	if st.err != nil {
		a.Log.Error("attachments disabled", "err", st.err)
	} else {
		(&files.Handler{Auth: a.AuthH, Files: st.files, Log: a.Log}).Routes(mux)
	}
	(&notify.Handler{Auth: a.AuthH, Notify: st.notify, Orgs: a.Orgs, Log: a.Log}).Routes(mux)
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
