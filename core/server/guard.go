package server

import (
	"crypto/subtle"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/claudeflare/claudeflare/core/api"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/proxy"
)

// Guard wraps every route (proxy and API) with the listener's defences
// (docs/DESIGN.md, "The listener" and "The local API token"): the client
// key when remote use is allowed, else the Host check against DNS
// rebinding and the local API token on the API; web pages kept off the
// proxy altogether and off the API's state changes; the proxy's methods;
// and JSON-only bodies for the API.
type Guard struct {
	Config    func() config.Config
	ClientKey func() string // the remote-use key; called only when allow_remote is on
	// APIToken is what /api/ and /metrics want as Authorization: Bearer
	// (with allow_remote, the client key serves instead); "" refuses them
	// all. APITokenPath names its file in the refusal.
	APIToken     string
	APITokenPath string
	Next         http.Handler
}

func (g *Guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cfg := g.Config()
	if cfg.AllowRemote {
		if !g.checkClientKey(r) {
			refuse(w, r, http.StatusUnauthorized, "missing or wrong client key: send the key printed by `claudeflare client-key` as x-api-key or Authorization: Bearer")
			return
		}
	} else if !allowedHost(r.Host, cfg.Host) {
		refuse(w, r, http.StatusForbidden, "host "+quoteHost(r.Host)+" is not allowed: use localhost or 127.0.0.1 (DNS rebinding protection)")
		return
	} else if needsToken(r.URL.Path) && !g.checkToken(r) {
		refuse(w, r, http.StatusUnauthorized, "missing or wrong local API token: send Authorization: Bearer <token>, "+
			"the token in "+g.tokenPlace()+" (`claudeflare api-token` prints it)")
		return
	}
	api := strings.HasPrefix(r.URL.Path, "/api/")
	if strings.HasPrefix(r.URL.Path, "/v1/") {
		// A page the user visits must never drive their accounts or read an
		// answer made with them: browsers send Origin on every cross-origin
		// request (preflights included) and on same-origin POSTs, and no
		// client of the proxy (Claude Code, the SDKs) sends one.
		if o := r.Header.Get("Origin"); o != "" {
			refuse(w, r, http.StatusForbidden, "requests from web pages are refused: origin "+quoteHost(o)+
				" (Claudeflare serves Claude Code and the SDKs, which send no Origin)")
			return
		}
		switch r.Method {
		case http.MethodGet, http.MethodPost, http.MethodDelete, http.MethodHead:
		default:
			w.Header().Set("Allow", "GET, POST, DELETE, HEAD")
			refuse(w, r, http.StatusMethodNotAllowed, "method "+quoteHost(r.Method)+" is not allowed on the proxy: use GET, POST, DELETE or HEAD")
			return
		}
	}
	if api && changesState(r.Method) {
		if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
			refuse(w, r, http.StatusForbidden, "cross-site request refused: origin "+quoteHost(o)+" is not this proxy")
			return
		}
	}
	if api && hasBody(r) {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" {
			refuse(w, r, http.StatusUnsupportedMediaType, "request body must be application/json")
			return
		}
	}
	g.Next.ServeHTTP(w, r)
}

// checkClientKey accepts the key as x-api-key or a Bearer token (the scheme
// in any case, as RFC 9110 has it) and removes it, so that it is never
// forwarded upstream; so does any other header that carries it.
func (g *Guard) checkClientKey(r *http.Request) bool {
	want := g.ClientKey()
	if want == "" {
		return false
	}
	got := r.Header.Get("X-Api-Key")
	if got == "" {
		got, _ = bearer(r.Header.Get("Authorization"))
	}
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return false
	}
	if strings.Contains(r.URL.RawQuery, want) {
		return false // a key in the URL would be forwarded upstream and logged on the way
	}
	for name, values := range r.Header {
		for _, v := range values {
			if strings.Contains(v, want) {
				r.Header.Del(name)
				break
			}
		}
	}
	return true
}

// needsToken: the API and the metrics belong to the user who runs
// Claudeflare; /health, which says only that it runs, and the proxy, which
// has a credential of its own, do not need the token.
func needsToken(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/metrics"
}

// checkToken accepts the local API token as a Bearer token (the scheme in
// any case, as RFC 9110 has it), compared in constant time.
func (g *Guard) checkToken(r *http.Request) bool {
	got, ok := bearer(r.Header.Get("Authorization"))
	return ok && g.APIToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(g.APIToken)) == 1
}

func (g *Guard) tokenPlace() string {
	if g.APITokenPath != "" {
		return g.APITokenPath
	}
	return "the home folder's api-token file"
}

// bearer is the credential of an "Authorization: Bearer …" value.
func bearer(auth string) (string, bool) {
	const scheme = "Bearer "
	if len(auth) > len(scheme) && strings.EqualFold(auth[:len(scheme)], scheme) {
		return auth[len(scheme):], true
	}
	return "", false
}

func changesState(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func hasBody(r *http.Request) bool {
	return r.ContentLength > 0 || (r.ContentLength < 0 && r.Body != nil && r.Body != http.NoBody)
}

// allowedHost: a loopback name with any port, or the configured host.
func allowedHost(hostport, configured string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	switch strings.ToLower(host) {
	case "localhost", "127.0.0.1", "::1":
		return true
	case "":
		return false
	}
	return strings.EqualFold(host, strings.Trim(configured, "[]"))
}

// sameOrigin: the Origin names the host the request was sent to.
func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	return strings.EqualFold(u.Host, host)
}

func quoteHost(s string) string {
	if len(s) > 100 {
		s = s[:100]
	}
	return `"` + strings.ToValidUTF8(s, "?") + `"`
}

// refuse answers a guarded request: in Anthropic's error format on proxy
// paths, so that Claude Code shows the message, and as {"error"} on the API.
func refuse(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		api.WriteError(w, status, msg)
		return
	}
	errType := "permission_error"
	switch status {
	case http.StatusUnauthorized:
		errType = "authentication_error"
	case http.StatusBadRequest, http.StatusUnsupportedMediaType, http.StatusMethodNotAllowed:
		errType = "invalid_request_error"
	}
	w.Header().Set(proxy.AccountHeader, "none")
	proxy.WriteError(w, status, errType, msg)
}
