package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/config"
)

// testToken is the local API token of the tests' entry point.
const testToken = "the-token"

// newTest is the entry point in front of two stubs that say which was reached.
func newTest(cfg config.Config, key string) http.Handler {
	stub := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Reached", name) })
	}
	return New(Options{Config: func() config.Config { return cfg }, ClientKey: func() string { return key },
		APIToken: testToken, APITokenPath: "/home/me/.claudeflare/api-token", Proxy: stub("proxy"), API: stub("api")})
}

func TestRoutingAndGuards(t *testing.T) {
	t.Parallel()
	local := config.Default()
	remote := config.Default()
	remote.Host, remote.AllowRemote = "0.0.0.0", true
	tests := []struct {
		name                string
		cfg                 config.Config
		method, target      string
		headers             []string
		wantStatus          int
		wantReached, errFmt string // errFmt: "anthropic" or "api" for a refusal
	}{
		{"proxy path", local, "POST", "/v1/messages", nil, 200, "proxy", ""},
		{"API path", local, "GET", "/api/accounts", nil, 200, "api", ""},
		{"health", local, "GET", "/health", nil, 200, "api", ""},
		{"foreign Host on the API", local, "GET", "/api/accounts", []string{"Host", "evil.example"}, 403, "", "api"},
		{"foreign Host on the proxy speaks Anthropic", local, "POST", "/v1/messages", []string{"Host", "evil.example"}, 403, "", "anthropic"},
		{"localhost with a port", local, "GET", "/api/accounts", []string{"Host", "localhost:9"}, 200, "api", ""},
		{"cross-site state change", local, "PATCH", "/api/config", []string{"Origin", "https://evil.example"}, 403, "", "api"},
		{"same-origin state change", local, "DELETE", "/api/accounts/x", []string{"Origin", "http://127.0.0.1"}, 200, "api", ""},
		{"form body on the API", local, "POST", "/api/accounts", []string{"Content-Type", "text/plain", "body", "x"}, 415, "", "api"},
		{"dot segment", local, "GET", "/v1/../api/config", nil, 400, "", "api"},
		{"encoded backslash", local, "POST", "/v1/..%5Capi/config", nil, 400, "", "anthropic"},
		{"a web page on the proxy, even same-origin", local, "POST", "/v1/messages", []string{"Origin", "http://127.0.0.1"}, 403, "", "anthropic"},
		{"a cross-origin GET on the proxy", local, "GET", "/v1/models", []string{"Origin", "https://evil.example"}, 403, "", "anthropic"},
		{"a preflight on the proxy", local, "OPTIONS", "/v1/messages", []string{"Origin", "https://evil.example",
			"Access-Control-Request-Method", "POST"}, 403, "", "anthropic"},
		{"TRACE on the proxy", local, "TRACE", "/v1/messages", nil, 405, "", "anthropic"},
		{"PUT on the proxy", local, "PUT", "/v1/messages", nil, 405, "", "anthropic"},
		{"OPTIONS without Origin on the proxy", local, "OPTIONS", "/v1/messages", nil, 405, "", "anthropic"},
		{"HEAD on the proxy", local, "HEAD", "/v1/models", nil, 200, "proxy", ""},
		{"DELETE on the proxy", local, "DELETE", "/v1/files/f", nil, 200, "proxy", ""},
		{"remote without the key", remote, "POST", "/v1/messages", []string{"Host", "10.0.0.2"}, 401, "", "anthropic"},
		{"remote with the key", remote, "POST", "/v1/messages", []string{"Host", "10.0.0.2", "X-Api-Key", "k"}, 200, "proxy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var body *strings.Reader
			req := httptest.NewRequest(tt.method, "http://127.0.0.1"+tt.target, nil)
			req.Header.Set("Authorization", "Bearer "+testToken) // as the CLI and scripts send it
			for i := 0; i+1 < len(tt.headers); i += 2 {
				switch tt.headers[i] {
				case "Host":
					req.Host = tt.headers[i+1]
				case "body":
					body = strings.NewReader(tt.headers[i+1])
					req.Body, req.ContentLength = http.NoBody, int64(body.Len())
				default:
					req.Header.Set(tt.headers[i], tt.headers[i+1])
				}
			}
			rec := httptest.NewRecorder()
			newTest(tt.cfg, "k").ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Header().Get("X-Reached") != tt.wantReached {
				t.Fatalf("%d reached %q (%s), want %d reaching %q", rec.Code, rec.Header().Get("X-Reached"), rec.Body, tt.wantStatus, tt.wantReached)
			}
			if tt.wantStatus == 405 && rec.Header().Get("Allow") != "GET, POST, DELETE, HEAD" {
				t.Errorf("405 without Allow: %v", rec.Header())
			}
			switch tt.errFmt {
			case "anthropic":
				if !strings.Contains(rec.Body.String(), `"type":"error"`) || rec.Header().Get("X-Claudeflare-Account") != "none" {
					t.Errorf("refusal %s: want Anthropic's error format", rec.Body)
				}
			case "api":
				if !strings.HasPrefix(rec.Body.String(), `{"error":`) {
					t.Errorf("refusal %s: want {\"error\"}", rec.Body)
				}
			}
		})
	}
}

// TestLocalAPIToken: the API and the metrics want the local API token;
// /health and the proxy do not; with allow_remote the client key serves
// as the token, and the token alone is no client key.
func TestLocalAPIToken(t *testing.T) {
	t.Parallel()
	local := config.Default()
	remote := config.Default()
	remote.Host, remote.AllowRemote = "0.0.0.0", true
	tests := []struct {
		name        string
		cfg         config.Config
		method      string
		target      string
		auth        string // the Authorization header; "" sends none
		apiKey      string
		wantStatus  int
		wantReached string
	}{
		{"API without a token", local, "GET", "/api/accounts", "", "", 401, ""},
		{"API with a wrong token", local, "GET", "/api/accounts", "Bearer nope", "", 401, ""},
		{"API with the token in x-api-key", local, "GET", "/api/accounts", "", testToken, 401, ""},
		{"API with the token as Basic", local, "GET", "/api/accounts", "Basic " + testToken, "", 401, ""},
		{"API with the token", local, "GET", "/api/accounts", "Bearer " + testToken, "", 200, "api"},
		{"scheme in lower case", local, "GET", "/api/accounts", "bearer " + testToken, "", 200, "api"},
		{"a change without a token", local, "PATCH", "/api/config", "", "", 401, ""},
		{"unknown API path without a token", local, "GET", "/api/nothing", "", "", 401, ""},
		{"metrics without a token", local, "GET", "/metrics", "", "", 401, ""},
		{"metrics with the token", local, "GET", "/metrics", "Bearer " + testToken, "", 200, "api"},
		{"health is open", local, "GET", "/health", "", "", 200, "api"},
		{"the proxy needs no token", local, "POST", "/v1/messages", "", "", 200, "proxy"},
		{"remote: the client key serves as the token", remote, "GET", "/api/accounts", "Bearer key", "", 200, "api"},
		{"remote: the token is no client key", remote, "GET", "/api/accounts", "Bearer " + testToken, "", 401, ""},
		{"remote: metrics with the client key", remote, "GET", "/metrics", "", "key", 200, "api"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(tt.method, "http://127.0.0.1"+tt.target, nil)
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			if tt.apiKey != "" {
				req.Header.Set("X-Api-Key", tt.apiKey)
			}
			rec := httptest.NewRecorder()
			newTest(tt.cfg, "key").ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Header().Get("X-Reached") != tt.wantReached {
				t.Fatalf("%d reached %q (%s), want %d reaching %q", rec.Code, rec.Header().Get("X-Reached"), rec.Body, tt.wantStatus, tt.wantReached)
			}
			if rec.Code == 401 && !tt.cfg.AllowRemote {
				msg := rec.Body.String()
				if !strings.Contains(msg, "/home/me/.claudeflare/api-token") || !strings.Contains(msg, "claudeflare api-token") {
					t.Errorf("the refusal does not say where the token is: %s", msg)
				}
				if strings.Contains(msg, testToken) {
					t.Error("the refusal shows the token")
				}
			}
		})
	}
}

// An engine with no token refuses the whole API, never opens it.
func TestNoTokenRefusesTheAPI(t *testing.T) {
	t.Parallel()
	h := New(Options{Config: config.Default, ClientKey: func() string { return "" },
		Proxy: http.NotFoundHandler(), API: http.NotFoundHandler()})
	for _, auth := range []string{"", "Bearer ", "Bearer  "} {
		req := httptest.NewRequest("GET", "http://127.0.0.1/api/accounts", nil)
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 401 {
			t.Errorf("Authorization %q with no token configured: %d, want 401", auth, rec.Code)
		}
	}
}

func TestCanonicalPath(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		path, raw string
		ok        bool
	}{
		{"/v1/messages", "", true},
		{"/v1/models/claude-sonnet-4-5", "", true},
		{"/v1/../api", "", false},
		{"/v1/..;x/api", "", false},
		{"/v1//messages", "", false},
		{`/v1/\api`, "", false},
		{"/v1/a%2fb", "/v1/a%252fb", false},
		{"/v1/a/b", "/v1/a%2Fb", false},
		{"/v1/%2e%2e/api", "", false},
		{"/v1/a\x00", "", false},
	} {
		if got := canonicalPath(tt.path, tt.raw); got != tt.ok {
			t.Errorf("canonicalPath(%q, %q) = %v, want %v", tt.path, tt.raw, got, tt.ok)
		}
	}
}
