// Package server is the entry point of Claudeflare's listener: it routes
// /v1/ to the proxy and everything else to the API, behind the guards that
// keep out other machines, web pages and malformed requests
// (docs/DESIGN.md, "The listener").
package server

import (
	"net/http"
	"strings"

	"github.com/claudeflare/claudeflare/core/config"
)

// Options wires the entry point.
type Options struct {
	Config    func() config.Config // read on every request: live config
	ClientKey func() string        // the remote-use key; called only when allow_remote is on
	// APIToken is the local API token /api/ and /metrics want (without
	// allow_remote); APITokenPath is where it is, for the refusal.
	APIToken, APITokenPath string
	Proxy                  http.Handler // /v1/
	API                    http.Handler // /api/, /health, /metrics
}

// New returns the handler of the whole listener.
func New(o Options) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/v1/", o.Proxy)
	mux.Handle("/", o.API)
	return &Guard{Config: o.Config, ClientKey: o.ClientKey, APIToken: o.APIToken, APITokenPath: o.APITokenPath,
		Next: cleanPaths(mux)}
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
