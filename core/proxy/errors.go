package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// WriteError answers with an Anthropic-style error document, so that
// clients such as Claude Code show the message and react to the status as
// they would to Anthropic's own.
func WriteError(w http.ResponseWriter, status int, errType, message string) {
	body, _ := json.Marshal(map[string]any{
		"type":  "error",
		"error": map[string]string{"type": errType, "message": message},
	})
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
