package api

import (
	"net/http"

	"github.com/claudeflare/claudeflare/core/view"
)

func (s *server) stats(w http.ResponseWriter, r *http.Request) {
	window, err := view.ParseWindow(r.URL.Query().Get("window"))
	if err != nil {
		WriteError(w, http.StatusBadRequest, err.Error())
		return
	}
	st, err := s.API.Stats(r.Context(), window)
	respond(w, http.StatusOK, st, err)
}
