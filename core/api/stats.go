package api

import (
	"net/http"
)

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	window, err := ParseWindow(r.URL.Query().Get("window"))
	if err != nil {
		writeJSONError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.Now()
	st, err := s.DB.Stats(r.Context(), now.Add(-window), now)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "computing stats: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, StatsView(st, window))
}
