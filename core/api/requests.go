package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"
)

func (s *server) requests(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeJSONError(w, http.StatusBadRequest, fmt.Sprintf("limit: must be an integer between 1 and 1000, got %q", v))
			return
		}
		limit = n
	}
	rows, err := s.DB.LatestRequests(r.Context(), limit)
	if err != nil {
		writeJSONError(w, http.StatusInternalServerError, "reading requests: "+err.Error())
		return
	}
	out := make([]RequestJSON, len(rows))
	for i, row := range rows {
		out[i] = RequestView(row)
	}
	writeJSON(w, http.StatusOK, out)
}

// ParseWindow reads a stats window: 1h, 24h, 7d, 30d, or any Go duration
// (plus "Nd" for days) from one minute to a year.
func ParseWindow(v string) (time.Duration, error) {
	if v == "" {
		return 24 * time.Hour, nil
	}
	var d time.Duration
	if n, err := strconv.Atoi(v[:len(v)-1]); err == nil && v[len(v)-1] == 'd' {
		d = time.Duration(n) * 24 * time.Hour
	} else if d, err = time.ParseDuration(v); err != nil {
		return 0, fmt.Errorf("window: must be like 1h, 24h, 7d or 30d, got %q", v)
	}
	if d < time.Minute || d > 366*24*time.Hour {
		return 0, fmt.Errorf("window: must be between 1m and 366d, got %q", v)
	}
	return d, nil
}
