package mediation

import "net/http"

// statsRoutes registers the statistics and dashboard pages.
func (h *Handler) statsRoutes(mux *http.ServeMux) {}
