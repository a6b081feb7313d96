package api

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
)

// keepAlive is how often an idle event stream gets a comment line, so that
// proxies and clients do not close it.
const keepAlive = 15 * time.Second

func (s *server) events(w http.ResponseWriter, r *http.Request) {
	ch, err := s.API.Subscribe(r.Context())
	if err != nil {
		writeRefusal(w, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_, _ = w.Write([]byte(": connected\n\n"))
	_ = rc.Flush()
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-tick.C:
			if _, err := w.Write([]byte(": keep-alive\n\n")); err != nil {
				return
			}
		case e, ok := <-ch:
			if !ok {
				return
			}
			data, err := json.Marshal(events.Wrap(e))
			if err != nil {
				continue
			}
			if _, err := w.Write([]byte("event: " + string(e.Kind()) + "\ndata: " + string(data) + "\n\n")); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}
