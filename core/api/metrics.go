package api

import "net/http"

// metrics serves GET /metrics: the Prometheus text format (package
// metrics), or 404 when the engine has none.
func (s *server) metrics(w http.ResponseWriter, r *http.Request) {
	if s.Metrics == nil {
		WriteError(w, http.StatusNotFound, "metrics are not enabled")
		return
	}
	s.Metrics.ServeHTTP(w, r)
}
