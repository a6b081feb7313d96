package server

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/claudeflare/claudeflare/core/config"
)

// newTest is the entry point in front of two stubs that say which was reached.
func newTest(cfg config.Config, key string) http.Handler {
	stub := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Header().Set("X-Reached", name) })
	}
	return New(Options{Config: func() config.Config { return cfg }, ClientKey: func() string { return key },
		Proxy: stub("proxy"), API: stub("api")})
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
