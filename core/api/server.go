package api

import (
	"errors"
	"net/http"

	"github.com/claudeflare/claudeflare/core/client"
)

// Deps is what the API works with.
type Deps struct {
	// API is the engine's typed surface (docs/DESIGN.md, "The typed
	// surface"): the handlers decode a request, call one of its verbs and
	// encode the answer, so a change means the same through the API as in
	// the tray, which calls the same verbs.
	API     client.API
	Metrics http.Handler // GET /metrics; nil answers 404
}

type server struct{ Deps }

// New returns the API's handler: every /api/ route, /health and /metrics.
// The entry point (core/server) puts it behind the guards beside the proxy.
func New(d Deps) http.Handler {
	s := &server{d}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", s.health)
	mux.HandleFunc("GET /api/config/strategy", s.getStrategy)
	mux.HandleFunc("PUT /api/config/strategy", s.putStrategy)
	mux.HandleFunc("GET /api/config", s.getConfig)
	mux.HandleFunc("PATCH /api/config", s.patchConfig)
	mux.HandleFunc("GET /api/accounts", s.listAccounts)
	mux.HandleFunc("POST /api/accounts", s.addAccount)
	mux.HandleFunc("PATCH /api/accounts/{name}", s.patchAccount)
	mux.HandleFunc("POST /api/accounts/{name}/pause", s.pauseAccount)
	mux.HandleFunc("POST /api/accounts/{name}/resume", s.resumeAccount)
	mux.HandleFunc("DELETE /api/accounts/{name}", s.deleteAccount)
	mux.HandleFunc("POST /api/oauth/start", s.startLogin)
	mux.HandleFunc("POST /api/oauth/complete", s.completeLogin)
	mux.HandleFunc("GET /api/oauth/{session_id}", s.loginStatus)
	mux.HandleFunc("DELETE /api/oauth/{session_id}", s.cancelLogin)
	mux.HandleFunc("GET /api/requests", s.requests)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /metrics", s.metrics)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	h, err := s.API.Status(r.Context())
	respond(w, http.StatusOK, h, err)
}

// respond answers v with status, or the verb's refusal.
func respond(w http.ResponseWriter, status int, v any, err error) {
	if err != nil {
		writeRefusal(w, err)
		return
	}
	writeJSON(w, status, v)
}

// writeRefusal answers a verb's error with the status it carries
// (core/refusal.go decides them); anything else is a 500.
func writeRefusal(w http.ResponseWriter, err error) {
	if e, ok := errors.AsType[*client.Error](err); ok {
		WriteError(w, e.Status, e.Message)
		return
	}
	WriteError(w, http.StatusInternalServerError, err.Error())
}
