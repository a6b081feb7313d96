package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// Deps is what the API works with.
type Deps struct {
	Config    *config.Manager
	Pool      *pool.Pool
	Accounts  *accounts.Service
	DB        *store.DB
	Bus       *events.Bus
	Proxy     http.Handler
	Version   string
	Now       func() time.Time
	Reload    func(context.Context) error // re-reads accounts into the pool after a change
	ClientKey func() string
	Metrics   http.Handler // GET /metrics; nil answers 404
	// Extra registers more routes (OAuth, metrics) on the mux.
	Extra func(mux *http.ServeMux)
}

type server struct{ Deps }

// New returns the handler for the whole listener: proxy and API behind the guards.
func New(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
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
		writeJSONError(w, http.StatusNotFound, "no such API endpoint: "+r.Method+" "+r.URL.Path)
	})
	mux.Handle("/v1/", d.Proxy)
	return &Guard{Config: d.Config.Get, ClientKey: d.ClientKey, Next: cleanPaths(mux)}
}

// cleanPaths refuses paths that are not in canonical form instead of
// redirecting them, so that a path like /v1/../api/... can never reach a
// route it does not name, here or at the upstream the proxy forwards it to.
func cleanPaths(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !canonicalPath(r.URL.Path, r.URL.RawPath) {
			refuse(w, r, http.StatusBadRequest, "path is not in canonical form")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// canonicalPath reports whether the decoded path p (raw: as sent, when that
// differs from p's default encoding) is free of everything a path cleaner,
// here or upstream, could turn into another path: dot segments (also with
// ;parameters, which some servers drop), doubled slashes, backslashes (which
// some servers read as slashes; Go decodes %5C into p and, that being its
// default encoding, keeps no raw form), encoded slashes, encodings left over
// after decoding (%252e…) and control characters.
func canonicalPath(p, raw string) bool {
	if strings.Contains(p, "//") || strings.Contains(p, `\`) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return false
		}
	}
	for seg := range strings.SplitSeq(p, "/") {
		seg, _, _ = strings.Cut(seg, ";")
		if seg == "." || seg == ".." {
			return false
		}
	}
	raw, p = strings.ToLower(raw), strings.ToLower(p)
	for _, enc := range []string{"%2f", "%5c"} {
		if strings.Contains(raw, enc) || strings.Contains(p, enc) {
			return false
		}
	}
	return !strings.Contains(p, "%2e")
}

func (s *server) health(w http.ResponseWriter, r *http.Request) {
	total, avail := s.Pool.Summary(s.Now())
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "ok", "strategy": s.Config.Get().LBStrategy, "accounts": total, "available": avail, "version": s.Version,
	})
}
