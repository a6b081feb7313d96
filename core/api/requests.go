package api

import (
	"fmt"
	"net/http"
	"strconv"
)

func (s *server) requests(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			WriteError(w, http.StatusBadRequest, fmt.Sprintf("limit: must be an integer between 1 and 1000, got %q", v))
			return
		}
		limit = n
	}
	rows, err := s.API.Requests(r.Context(), limit)
	respond(w, http.StatusOK, rows, err)
}
