package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/claudeflare/claudeflare/core/view"
)

func (s *server) requests(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			WriteError(w, http.StatusBadRequest, fmt.Sprintf("limit: must be an integer between 1 and 1000, got %q", v))
			return
		}
		limit = n
	}
	rows, err := s.DB.LatestRequests(r.Context(), limit)
	if err != nil {
		WriteError(w, http.StatusInternalServerError, "reading requests: "+err.Error())
		return
	}
	out := make([]view.Request, len(rows))
	for i, row := range rows {
		out[i] = view.RequestOf(row)
	}
	writeJSON(w, http.StatusOK, out)
}
