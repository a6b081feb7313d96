// Package proxy is Claudeflare's reverse proxy: it sends each /v1/ request
// upstream on the account the session strategy picks, fails over before
// anything reaches the client, streams answers event by event and reads
// usage on the fly. Its request path never waits on disk or keychain.
package proxy

import (
	"context"
	"errors"
	"github.com/claudeflare/claudeflare/core/clock"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/pool"
)

// ErrNeedsLogin is returned (wrapped) by a TokenSource whose refresh was
// refused: the account needs a new login.
var ErrNeedsLogin = errors.New("account needs a new login")

// TokenSource keeps OAuth access tokens fresh. Fresh returns a token that is
// not about to expire (refreshing first if it is); Refresh replaces a token
// upstream rejected. Both are single-flight per account.
type TokenSource interface {
	Fresh(ctx context.Context, c pool.Candidate) (creds.Secret, error)
	Refresh(ctx context.Context, c pool.Candidate, rejected creds.Secret) (creds.Secret, error)
}

// Options wires a Proxy.
type Options struct {
	Pool      *pool.Pool
	Config    func() config.Config // read on every request: live config
	Bus       *events.Bus          // where each request and each move is announced (and so recorded)
	Transport http.RoundTripper    // shared; NewTransport() if nil
	Tokens    TokenSource          // nil: OAuth tokens are used as stored
	Now       clock.Clock          // the wall clock if nil
	Log       *slog.Logger
	// BodyIdleTimeout overrides the package's BodyIdleTimeout (tests).
	BodyIdleTimeout time.Duration
}

// Proxy is an http.Handler for /v1/ paths.
type Proxy struct {
	Options
	upstream atomic.Pointer[parsedURL]
	seq      atomic.Uint64
	budget   bodyBudget
	uploads  uploads
}

type parsedURL struct {
	raw string
	url *url.URL
}

// New returns a proxy with opts.
func New(opts Options) *Proxy {
	if opts.Transport == nil {
		opts.Transport = NewTransport()
	}
	if opts.Now == nil {
		opts.Now = clock.Real
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	p := &Proxy{Options: opts}
	p.budget.limit = MaxBodiesInFlight
	return p
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// ServeHTTP proxies one request.
func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ex := p.newExchange(w, r)
	defer ex.finish()

	body, held, refused, cut := p.readBody(w, r)
	defer p.budget.give(held)
	switch {
	case cut != nil:
		ex.row.Status, ex.row.Error = 499, "reading request body: "+cut.Error()
		if errors.Is(cut, errCut) {
			// Shutting down: end the connection without an answer that
			// could look like the upstream's.
			defer panic(http.ErrAbortHandler)
		}
		return
	case refused != nil:
		if refused.retry > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(refused.retry))
		}
		if refused.status != http.StatusRequestEntityTooLarge && refused.status != http.StatusServiceUnavailable {
			// The connection cannot be trusted for another request.
			w.Header().Set("Connection", "close")
		}
		ex.fail(refused.status, refused.errType, refused.message)
		return
	}
	ex.body = body
	target, err := p.target(ex.cfg.UpstreamURL, r.URL)
	if err != nil {
		ex.fail(http.StatusInternalServerError, "api_error", "upstream_url is not usable: "+err.Error())
		return
	}
	ex.target = target

	if p.Pool.Len() == 0 {
		ex.passThrough()
		return
	}
	ex.failover(p.Pool.Pick(ex.start, ex.cfg.SessionDuration()))
}

// target joins the upstream base URL with the request's path and query.
func (p *Proxy) target(base string, in *url.URL) (string, error) {
	u := p.upstream.Load()
	if u == nil || u.raw != base {
		parsed, err := url.Parse(base)
		if err != nil {
			return "", err
		}
		u = &parsedURL{raw: base, url: parsed}
		p.upstream.Store(u)
	}
	t := *u.url
	t.Path = joinPath(t.Path, in.Path)
	t.RawPath = ""
	if in.RawPath != "" {
		t.RawPath = joinPath(u.url.EscapedPath(), in.RawPath)
	}
	t.RawQuery = in.RawQuery
	return t.String(), nil
}

func joinPath(a, b string) string {
	if a == "" || a == "/" {
		return b
	}
	if a[len(a)-1] == '/' {
		a = a[:len(a)-1]
	}
	return a + b
}

// isStream reports a server-sent event stream.
func isStream(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mt), "text/event-stream")
}
