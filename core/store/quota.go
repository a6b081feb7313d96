package store

import (
	"encoding/json"
	"net/http"

	"github.com/claudeflare/claudeflare/core/account"
)

// The quota windows and limit headers of an account are kept as JSON text
// in its row: a handful of small values read and written whole, never
// queried by SQL. What cannot be decoded reads as unknown (an empty quota),
// never as an error: the next answer reports the quota again.

type windowJSON struct {
	Utilization float64 `json:"utilization"`
	ResetsAt    int64   `json:"resets_at,omitempty"` // unix milliseconds
	Status      string  `json:"status,omitempty"`
	Announced   float64 `json:"announced,omitempty"`
}

func encodeQuota(q account.Quota) string {
	if len(q) == 0 {
		return ""
	}
	m := make(map[string]windowJSON, len(q))
	for name, w := range q {
		m[name] = windowJSON{Utilization: w.Utilization, ResetsAt: millis(w.ResetsAt), Status: w.Status, Announced: w.Announced}
	}
	b, _ := json.Marshal(m) // a map of plain values cannot fail
	return string(b)
}

func decodeQuota(s string) account.Quota {
	if s == "" {
		return nil
	}
	var m map[string]windowJSON
	if json.Unmarshal([]byte(s), &m) != nil || len(m) == 0 {
		return nil
	}
	q := make(account.Quota, len(m))
	for name, w := range m {
		q[name] = account.Window{Utilization: w.Utilization, ResetsAt: fromMillis(w.ResetsAt), Status: w.Status, Announced: w.Announced}
	}
	return q
}

func encodeHeaders(h http.Header) string {
	if len(h) == 0 {
		return ""
	}
	b, _ := json.Marshal(h)
	return string(b)
}

func decodeHeaders(s string) http.Header {
	if s == "" {
		return nil
	}
	var h http.Header
	if json.Unmarshal([]byte(s), &h) != nil || len(h) == 0 {
		return nil
	}
	return h
}
