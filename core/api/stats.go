package api

import (
	"github.com/claudeflare/claudeflare/core/view"
	"net/http"
)

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	window, err := view.ParseWindow(r.URL.Query().Get("window"))
	if err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.Now()
	st, err := s.DB.Stats(r.Context(), now.Add(-window), now)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "computing stats: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, view.StatsOf(st, window))
}
