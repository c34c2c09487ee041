package mediation

import "net/http"

// boardRoutes registers the coordination board (协同指挥).
func (h *Handler) boardRoutes(mux *http.ServeMux) {}
