package app

import (
	"context"
	"net/http"
	"time"

	"fengqiao/internal/audit"
	"fengqiao/internal/auditui"
)

func (a *App) routesAudit(mux *http.ServeMux) {
	(&auditui.Handler{Auth: a.AuthH, DB: a.DB, RetentionDays: a.Cfg.AuditDays, Log: a.Log}).Routes(mux)
}

// auditPruneTask deletes audit rows older than the configured retention
// (never under 184 days; audit.Prune and the database both refuse) and
// records the pruning in the log. Meant to run daily from the job scheduler.
func (a *App) auditPruneTask(ctx context.Context) error {
	n, err := audit.Prune(ctx, a.DB, a.Cfg.AuditDays, time.Now())
	if err != nil {
		return err
	}
	a.Log.Info("audit log pruned", "deleted", n, "retention_days", a.Cfg.AuditDays)
	return nil
}
