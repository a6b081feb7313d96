package api

import (
	"context"
	"github.com/claudeflare/claudeflare/core/clock"
	"net/http"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// Deps is what the API works with.
type Deps struct {
	Config   *config.Manager
	Pool     *pool.Pool
	Accounts *accounts.Service
	DB       *store.DB
	Bus      *events.Bus
	Version  string
	Now      clock.Clock
	Reload   func(context.Context) error // re-reads accounts into the pool after a change
	Metrics  http.Handler                // GET /metrics; nil answers 404
	// Extra registers more routes (OAuth, metrics) on the mux.
	Extra func(mux *http.ServeMux)
}

type server struct{ Deps }

// New returns the API's handler: every /api/ route, /health and /metrics.
// The entry point (core/server) puts it behind the guards beside the proxy.
func New(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = clock.Real
	}
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
	mux.HandleFunc("GET /api/requests", s.requests)
	mux.HandleFunc("GET /api/stats", s.stats)
	mux.HandleFunc("GET /api/events", s.events)
	mux.HandleFunc("GET /metrics", s.metrics)
	if d.Extra != nil {
		d.Extra(mux)
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		WriteError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	total, avail := s.Pool.Summary(s.Now())
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "ok", "strategy": s.Config.Get().LBStrategy, "accounts": total, "available": avail, "version": s.Version,
	})
}
