package fakeanthropic

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of [Options].
const (
	DefaultAccessTokenTTL = time.Hour
	DefaultStreamChunks   = 3
	DefaultMaxBodyBytes   = 32 << 20
	DefaultAddr           = "127.0.0.1:0"
)

// Options configures a [Server]. The zero value is ready to use.
type Options struct {
	// Addr is the address to listen on. Default "127.0.0.1:0" (a free loopback port).
	Addr string
	// AccessTokenTTL is the life of access tokens issued by the token endpoint. Default 1h.
	AccessTokenTTL time.Duration
	// EventDelay is the pause before each SSE event of a stream after the first. Default 0.
	EventDelay time.Duration
	// StreamChunks is the number of content_block_delta events per stream. Default 3.
	StreamChunks int
	// MaxBodyBytes is the largest accepted request body; larger ones get 413
	// request_too_large. Default 32 MiB.
	MaxBodyBytes int64
	// MaxRecorded keeps only the latest MaxRecorded requests in [Server.Requests], for long
	// runs such as load tests. 0 keeps every request.
	MaxRecorded int
	// RequireAnthropicVersion makes API requests without an anthropic-version header fail with
	// 400 invalid_request_error, as the real API does. Off by default.
	RequireAnthropicVersion bool
	// Now is the fake's clock: quota windows, resets and token expiry follow it. Default
	// time.Now; a test that simulates a day gives the proxy and the fake the same clock.
	Now func() time.Time
	// NoCompression answers uncompressed even to clients that accept gzip. The load tool sets
	// it: compressing is the fake's cost, not the proxy's, and the direct path it compares
	// with asks for none.
	NoCompression bool
	// LoginQuota, when set, is the quota every login starts with (SetQuota still sets one
	// login's): the fake on its own (cmd/fakeanthropic -quota) then reports quota on
	// logins made through it, as Anthropic does on every subscription answer.
	LoginQuota *Quota
}

func (o Options) withDefaults() Options {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	if o.AccessTokenTTL <= 0 {
		o.AccessTokenTTL = DefaultAccessTokenTTL
	}
	if o.StreamChunks <= 0 {
		o.StreamChunks = DefaultStreamChunks
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o
}

// Server is a running fake of Anthropic's API. Create it with [New] or [Start] and stop it with
// [Server.Close].
type Server struct {
	// URL is the base URL, such as "http://127.0.0.1:41234", without a trailing slash.
	URL string

	opts    Options
	ts      *httptest.Server
	started time.Time
	done    chan struct{} // closed by Close: ends hangs, delays and streams
	once    sync.Once
	streams atomic.Int32 // streams being written, for tests
	active  atomic.Int32 // requests being handled, see InFlight

	mu            sync.Mutex
	apiKeys       map[string]bool
	access        map[string]*accessToken
	refresh       map[string]*grant
	codes         map[string]*authCode
	behaviors     map[string]Behavior
	keyWindows    map[string]*keyWindow
	quotas        map[*grant]*Quota
	seen          []*Seen
	refreshCount  int
	tokenRequests int
	failStatus    int
	failLeft      int
	tokenDelay    time.Duration
	denyLeft      int
	loginEmail    string
}

// New starts a Server, like [Start], and panics if it cannot listen (as httptest.NewServer does).
func New(opts Options) *Server {
	s, err := Start(opts)
	if err != nil {
		panic(fmt.Sprintf("fakeanthropic: %v", err))
	}
	return s
}

// Start starts a Server listening on opts.Addr and returns it ready to use.
func Start(opts Options) (*Server, error) {
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("listening on %s: %w", opts.Addr, err)
	}
	s := &Server{
		opts:       opts,
		started:    opts.Now(),
		done:       make(chan struct{}),
		apiKeys:    map[string]bool{},
		access:     map[string]*accessToken{},
		refresh:    map[string]*grant{},
		codes:      map[string]*authCode{},
		behaviors:  map[string]Behavior{},
		keyWindows: map[string]*keyWindow{},
		quotas:     map[*grant]*Quota{},
		loginEmail: DefaultEmail,
	}
	s.ts = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	_ = s.ts.Listener.Close()
	s.ts.Listener = ln
	s.ts.Start()
	s.URL = s.ts.URL
	return s, nil
}

// Close stops the server: hung requests, delays and streams end at once, client connections are
// closed, and Close returns when every handler has returned. Close may be called more than once.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.done)
		s.ts.CloseClientConnections()
		s.ts.Close()
	})
}

// InFlight is the number of requests being handled right now: a hung or
// delayed request counts until its client (the proxy) gives up on it.
func (s *Server) InFlight() int { return int(s.active.Load()) }

// AuthorizeURL is the URL of the fake's OAuth authorize page (for CLAUDEFLARE_AUTHORIZE_URL).
func (s *Server) AuthorizeURL() string { return s.URL + "/oauth/authorize" }

// TokenURL is the URL of the fake's OAuth token endpoint (for CLAUDEFLARE_TOKEN_URL).
func (s *Server) TokenURL() string { return s.URL + "/v1/oauth/token" }

// endpoint is one route of the fake.
type endpoint struct {
	method string
	handle func(w http.ResponseWriter, r *http.Request, body []byte)
}

func (s *Server) endpointFor(path string) (endpoint, bool) {
	switch {
	case path == "/v1/messages":
		return endpoint{http.MethodPost, s.handleMessages}, true
	case path == "/v1/messages/count_tokens":
		return endpoint{http.MethodPost, s.handleCountTokens}, true
	case path == "/v1/models" || strings.HasPrefix(path, "/v1/models/"):
		return endpoint{http.MethodGet, s.handleModels}, true
	case path == "/oauth/authorize":
		return endpoint{http.MethodGet, s.handleAuthorize}, true
	case path == "/v1/oauth/token":
		return endpoint{http.MethodPost, s.handleToken}, true
	case path == "/api/oauth/claude_cli/create_api_key":
		return endpoint{http.MethodPost, s.handleCreateAPIKey}, true
	}
	return endpoint{}, false
}

// serveHTTP records the request, then routes it.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Add(-1)
	at := s.now()
	body, tooLarge, readErr := readBody(r, s.opts.MaxBodyBytes)
	rw := &recorder{ResponseWriter: w, s: s, seen: s.record(r, body, at), gzip: !s.opts.NoCompression && acceptsGzip(r.Header)}
	rw.Header().Set("request-id", newRequestID())
	switch {
	case readErr != nil:
		writeAPIError(rw, newAPIError(http.StatusBadRequest, "could not read the request body"))
		return
	case tooLarge:
		writeAPIError(rw, newAPIError(http.StatusRequestEntityTooLarge,
			fmt.Sprintf("Request exceeds the maximum allowed number of bytes (%d).", s.opts.MaxBodyBytes)))
		return
	}
	ep, ok := s.endpointFor(r.URL.Path)
	switch {
	case !ok:
		writeAPIError(rw, newAPIError(http.StatusNotFound, "Not found"))
	case r.Method != ep.method:
		rw.Header().Set("Allow", ep.method)
		writeAPIError(rw, &apiError{Status: http.StatusMethodNotAllowed,
			Type: "invalid_request_error", Message: "Method Not Allowed"})
	default:
		ep.handle(rw, r, body)
	}
}

// now is the fake's clock (Options.Now).
func (s *Server) now() time.Time { return s.opts.Now() }

// sleep waits for d, and reports false if the request or the server ended first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

// wait blocks until the request or the server ends.
func (s *Server) wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.done:
	}
}
