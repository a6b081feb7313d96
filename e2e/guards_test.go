package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// state is what a refused request must leave as it was.
type state struct {
	config, credentials []byte
	accounts            string // names, kinds, priorities and pause flags from GET /api/accounts
	running             string // GET /api/config
}

func (in *instance) snapshot(t *testing.T) state {
	t.Helper()
	creds, err := os.ReadFile(filepath.Join(in.Home, "credentials.json"))
	if err != nil {
		t.Fatal(err)
	}
	var list []accountJSON
	in.getJSON(t, "/api/accounts", &list)
	var accts []string
	for _, a := range list {
		accts = append(accts, fmt.Sprintf("%s/%s/%d/%v", a.Name, a.Kind, a.Priority, a.Paused))
	}
	cfg := in.do(t, http.MethodGet, "/api/config", nil)
	return state{config: in.readConfig(t), credentials: creds, accounts: strings.Join(accts, " "), running: string(cfg.Body)}
}

func (s state) diff(other state) string {
	var d []string
	if !bytes.Equal(s.config, other.config) {
		d = append(d, fmt.Sprintf("config.json %s → %s", s.config, other.config))
	}
	if !bytes.Equal(s.credentials, other.credentials) {
		d = append(d, "credentials.json changed")
	}
	if s.accounts != other.accounts {
		d = append(d, fmt.Sprintf("accounts %s → %s", s.accounts, other.accounts))
	}
	if s.running != other.running {
		d = append(d, fmt.Sprintf("GET /api/config %s → %s", s.running, other.running))
	}
	return strings.Join(d, "; ")
}

// errorMessage returns the "error" of an API error body, or "" if the body is not one.
func errorMessage(body []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.Error
}

// TestAPIRefusesBadInput: bad values, unknown accounts, wrong content types,
// foreign hosts and origins are refused, and nothing changes.
func TestAPIRefusesBadInput(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	before := in.snapshot(t)
	origin := in.URL()

	cases := []struct {
		name    string
		method  string
		path    string
		body    any
		headers []string
		status  int
		mention string // the error must contain this
	}{
		// PATCH /api/config: out of range and wrong types name the key.
		{"duration too small", "PATCH", "/api/config", map[string]any{"session_duration_ms": 5}, nil, 400, "session_duration_ms"},
		{"duration too large", "PATCH", "/api/config", map[string]any{"session_duration_ms": 604800001}, nil, 400, "session_duration_ms"},
		{"duration as string", "PATCH", "/api/config", map[string]any{"session_duration_ms": "60000"}, nil, 400, "session_duration_ms"},
		{"port zero", "PATCH", "/api/config", map[string]any{"port": 0}, nil, 400, "port"},
		{"port too large", "PATCH", "/api/config", map[string]any{"port": 65536}, nil, 400, "port"},
		{"port fractional", "PATCH", "/api/config", map[string]any{"port": 8080.5}, nil, 400, "port"},
		{"strategy", "PATCH", "/api/config", map[string]any{"lb_strategy": "round_robin"}, nil, 400, "lb_strategy"},
		{"retention", "PATCH", "/api/config", map[string]any{"retention_days": 3651}, nil, 400, "retention_days"},
		{"allow_remote as string", "PATCH", "/api/config", map[string]any{"allow_remote": "yes"}, nil, 400, "allow_remote"},
		{"host name", "PATCH", "/api/config", map[string]any{"host": "example.com"}, nil, 400, "host"},
		{"credential store", "PATCH", "/api/config", map[string]any{"credential_store": "vault"}, nil, 400, "credential_store"},
		{"one bad key of two", "PATCH", "/api/config", map[string]any{"session_duration_ms": 60000, "port": "x"}, nil, 400, "port"},
		{"set by the environment", "PATCH", "/api/config", map[string]any{"upstream_url": "http://127.0.0.1:1"}, nil, 409, "CLAUDEFLARE_UPSTREAM_URL"},
		{"not JSON", "PATCH", "/api/config", []byte(`{"port":`), []string{"Content-Type", "application/json"}, 400, ""},
		{"strategy endpoint", "PUT", "/api/config/strategy", map[string]any{"strategy": "least_used"}, nil, 400, "session"},

		// Unknown accounts.
		{"pause unknown", "POST", "/api/accounts/nobody/pause", nil, nil, 404, "nobody"},
		{"resume unknown", "POST", "/api/accounts/nobody/resume", nil, nil, 404, "nobody"},
		{"patch unknown", "PATCH", "/api/accounts/nobody", map[string]any{"priority": 3}, nil, 404, "nobody"},
		{"delete unknown", "DELETE", "/api/accounts/nobody", nil, nil, 404, "nobody"},

		// Bad accounts.
		{"add without key", "POST", "/api/accounts", map[string]any{"name": "c"}, nil, 400, "api_key"},
		{"add bad name", "POST", "/api/accounts", map[string]any{"name": "c/d", "api_key": "sk-ant-api03-x"}, nil, 400, "name"},
		{"add taken name", "POST", "/api/accounts", map[string]any{"name": "a", "api_key": "sk-ant-api03-x"}, nil, 409, "a"},
		{"add bad priority", "POST", "/api/accounts", map[string]any{"name": "c", "api_key": "sk-ant-api03-x", "priority": 101}, nil, 400, "priority"},
		{"rename to taken", "PATCH", "/api/accounts/a", map[string]any{"name": "b"}, nil, 409, "b"},

		// Content types.
		{"config as text", "PATCH", "/api/config", []byte(`{"session_duration_ms":60000}`), []string{"Content-Type", "text/plain"}, 415, "application/json"},
		{"account as form", "POST", "/api/accounts", []byte(`name=c&api_key=k`), []string{"Content-Type", "application/x-www-form-urlencoded"}, 415, "application/json"},
		{"config without content type", "PATCH", "/api/config", []byte(`{"session_duration_ms":60000}`), nil, 415, "application/json"},

		// Foreign Host (DNS rebinding).
		{"host on GET", "GET", "/api/accounts", nil, []string{"Host", "evil.example"}, 403, "evil.example"},
		{"host on PATCH", "PATCH", "/api/config", map[string]any{"session_duration_ms": 60000}, []string{"Host", "evil.example:80"}, 403, ""},
		{"host on DELETE", "DELETE", "/api/accounts/a", nil, []string{"Host", "attacker.test"}, 403, ""},
		{"host on health", "GET", "/health", nil, []string{"Host", "evil.example"}, 403, ""},

		// Foreign Origin on state-changing API requests.
		{"origin on PATCH config", "PATCH", "/api/config", map[string]any{"session_duration_ms": 60000}, []string{"Origin", "https://evil.example"}, 403, "evil.example"},
		{"origin on add", "POST", "/api/accounts", map[string]any{"name": "c", "api_key": "sk-ant-api03-x"}, []string{"Origin", "http://evil.example"}, 403, ""},
		{"origin on pause", "POST", "/api/accounts/a/pause", nil, []string{"Origin", "http://localhost:1"}, 403, ""},
		{"origin on delete", "DELETE", "/api/accounts/b", nil, []string{"Origin", "null"}, 403, ""},
		{"origin on strategy", "PUT", "/api/config/strategy", map[string]any{"strategy": "session"}, []string{"Origin", "https://evil.example"}, 403, ""},
	}
	for _, tc := range cases {
		r := in.do(t, tc.method, tc.path, tc.body, tc.headers...)
		if r.Status != tc.status {
			t.Errorf("%s: %s %s: %s, want %d", tc.name, tc.method, tc.path, r, tc.status)
			continue
		}
		msg := errorMessage(r.Body)
		if msg == "" {
			t.Errorf("%s: body %s is not {\"error\":…}", tc.name, r.Body)
		} else if !strings.Contains(msg, tc.mention) {
			t.Errorf("%s: error %q does not mention %q", tc.name, msg, tc.mention)
		}
		if d := before.diff(in.snapshot(t)); d != "" {
			t.Errorf("%s: refused request changed state: %s", tc.name, d)
			before = in.snapshot(t)
		}
	}

	// Paths in other than canonical form never reach a route they do not name.
	for _, path := range []string{"/v1/../api/accounts", "/v1//messages", "/v1/%2e%2e/api/config", "/api/accounts/..%2fconfig"} {
		r := in.do(t, "PATCH", path, map[string]any{"session_duration_ms": 60000}, "x-api-key", clientKey)
		if r.Status < 400 || r.Status >= 500 {
			t.Errorf("PATCH %s: %s, want a 4xx", path, r)
		}
	}
	if d := before.diff(in.snapshot(t)); d != "" {
		t.Errorf("non-canonical paths changed state: %s", d)
	}

	// A foreign Host on the proxy is refused before anything goes upstream.
	r := in.do(t, "POST", "/v1/messages", messagesBody(false),
		"Content-Type", "application/json", "x-api-key", clientKey, "Host", "evil.example")
	if r.Status != 403 {
		t.Errorf("POST /v1/messages with a foreign Host: %s, want 403", r)
	}
	if n := len(in.Fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests from refused requests, want 0", n)
	}

	// Controls: the proxy's own origin and loopback names are accepted.
	for _, host := range []string{"localhost", "127.0.0.1", "[::1]"} {
		if r := in.do(t, "GET", "/api/accounts", nil, "Host", host+":1234"); r.Status != 200 {
			t.Errorf("GET /api/accounts with Host %s: %s, want 200", host, r)
		}
	}
	r = in.do(t, "PATCH", "/api/config", map[string]any{"retention_days": 31}, "Origin", origin)
	if r.Status != 200 {
		t.Errorf("PATCH /api/config from the proxy's own origin: %s, want 200", r)
	}
	var cfg configJSON
	in.getJSON(t, "/api/config", &cfg)
	if cfg.RetentionDays != 31 || cfg.Sources["retention_days"] != "file" {
		t.Errorf("after PATCH retention_days 31: %d (%s)", cfg.RetentionDays, cfg.Sources["retention_days"])
	}
}

// TestOversizeBody: a /v1/messages body over 32 MiB gets 413 with an
// Anthropic-style error and never reaches upstream, whether its length is
// announced or not.
func TestOversizeBody(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	before := in.snapshot(t)
	const limit = 32 << 20
	big := bytes.Repeat([]byte("x"), limit+1)

	for _, chunked := range []bool{false, true} {
		name := "with Content-Length"
		var body io.Reader = bytes.NewReader(big)
		if chunked {
			name = "chunked"
			body = io.MultiReader(bytes.NewReader(big)) // hides the length: sent chunked
		}
		ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "POST", in.URL()+"/v1/messages", body)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("x-api-key", clientKey)
		resp, err := in.client.Do(req)
		if err != nil {
			cancel()
			t.Errorf("%s: %v", name, err)
			continue
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d %s, want 413", name, resp.StatusCode, data)
			continue
		}
		if got := resp.Header.Get("x-claudeflare-account"); got != "none" {
			t.Errorf("%s: x-claudeflare-account = %q, want none", name, got)
		}
		var e struct {
			Type  string `json:"type"`
			Error struct{ Type, Message string }
		}
		if json.Unmarshal(data, &e) != nil || e.Type != "error" || e.Error.Type != "request_too_large" || e.Error.Message == "" {
			t.Errorf("%s: 413 body %s, want an Anthropic-style request_too_large error", name, data)
		}
	}
	if n := len(in.Fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests, want 0", n)
	}

	// A body of exactly 32 MiB is accepted and forwarded: the fake reads it
	// whole and answers 400 (it is not JSON), which the proxy relays.
	r := in.do(t, "POST", "/v1/messages", big[:limit], "Content-Type", "application/json", "x-api-key", clientKey)
	if r.Status != http.StatusBadRequest || r.Header.Get("x-claudeflare-account") != "a" {
		t.Errorf("a body of exactly 32 MiB: %s (account %q), want the fake's 400 through account a", r, r.Header.Get("x-claudeflare-account"))
	}
	if seen := seenMessages(in.Fake); len(seen) != 1 || len(seen[0].Body) != limit {
		t.Errorf("the fake did not receive the 32 MiB body whole")
	}
	if d := before.diff(in.snapshot(t)); d != "" {
		t.Errorf("oversize requests changed state: %s", d)
	}
}

// rawRequest spells out an HTTP/1.1 request exactly as given: the request
// target untouched, Host first (the proxy's address unless headers name
// another), then headers (name, value pairs) and the body with its length.
func (in *instance) rawRequest(method, target string, body []byte, headers ...string) []byte {
	host := strings.TrimPrefix(in.URL(), "http://")
	var rest strings.Builder
	for i := 0; i+1 < len(headers); i += 2 {
		if strings.EqualFold(headers[i], "Host") {
			host = headers[i+1]
			continue
		}
		fmt.Fprintf(&rest, "%s: %s\r\n", headers[i], headers[i+1])
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n%s", method, target, host, rest.String())
	if body != nil {
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("Connection: close\r\n\r\n")
	b.Write(body)
	return b.Bytes()
}

// rawDo sends req on a connection of its own and reads the answer. Go's
// client always sends the origin form and cleans or refuses some targets; a
// raw connection sends what an attacker would. The request is written while
// the answer is read, since a server may answer (431) before it has read all.
func (in *instance) rawDo(t *testing.T, req []byte) response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(in.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	go func() { _, _ = conn.Write(req) }() // ends when conn closes
	line, _, _ := strings.Cut(string(req[:min(len(req), 200)]), "\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%.120s: no answer: %v", line, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%.120s: reading the answer: %v", line, err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// TestOversizeHeaders: request headers over the listener's limit (1 MiB,
// core/listener.go) get 431 on proxy and API paths alike, whether one huge
// header or many: nothing reaches upstream, nothing changes, and serve keeps
// serving. A large header within the limit (a 64 KB anthropic-beta list, as a
// client with many betas might send) reaches upstream intact.
func TestOversizeHeaders(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	before := in.snapshot(t)
	const limit = 1 << 20 // MaxHeaderBytes in core/listener.go
	huge := []string{"X-Padding", strings.Repeat("x", limit+64<<10)}
	var many []string
	for i := 0; len(many)/2*(8<<10) <= limit+64<<10; i++ {
		many = append(many, fmt.Sprintf("X-Padding-%d", i), strings.Repeat("y", 8<<10))
	}
	for _, tc := range []struct {
		name, method, target string
		body                 []byte
		headers              []string
	}{
		{"one huge header on /v1/messages", "POST", "/v1/messages", messagesBody(false), huge},
		{"many headers on /v1/messages", "POST", "/v1/messages", messagesBody(false), many},
		{"a huge anthropic-beta on /v1/messages", "POST", "/v1/messages", messagesBody(false), []string{"anthropic-beta", huge[1]}},
		{"one huge header on PATCH /api/config", "PATCH", "/api/config", []byte(`{"session_duration_ms":60000}`), huge},
		{"many headers on POST /api/accounts/a/pause", "POST", "/api/accounts/a/pause", nil, many},
		{"one huge header on GET /api/accounts", "GET", "/api/accounts", nil, huge},
	} {
		headers := append([]string{"Content-Type", "application/json", "x-api-key", clientKey}, tc.headers...)
		r := in.rawDo(t, in.rawRequest(tc.method, tc.target, tc.body, headers...))
		if r.Status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: %d %.200s, want 431", tc.name, r.Status, r.Body)
		}
	}
	if n := len(in.Fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests with oversize headers, want 0", n)
	}
	if d := before.diff(in.snapshot(t)); d != "" {
		t.Errorf("requests with oversize headers changed state: %s", d)
	}

	// serve is still up and serving.
	in.mustServeFrom(t, "a")

	// 64 KB of betas within the limit go upstream as sent, on the proxy's
	// usual client connection (the same path as Claude Code's requests).
	var betas []string
	for i := 0; len(strings.Join(betas, ",")) < 64<<10; i++ {
		betas = append(betas, fmt.Sprintf("experimental-feature-%05d-2025-01-01", i))
	}
	list := strings.Join(betas, ",")
	r := in.do(t, "POST", "/v1/messages", messagesBody(false),
		"Content-Type", "application/json", "x-api-key", clientKey, "anthropic-beta", list)
	if r.Status != http.StatusOK || r.Header.Get("x-claudeflare-account") != "a" {
		t.Fatalf("a 64 KB anthropic-beta: %s (account %q), want 200 from a", r, r.Header.Get("x-claudeflare-account"))
	}
	if got := lastMessage(t, in.Fake).Header.Values("anthropic-beta"); len(got) != 1 || got[0] != list {
		t.Errorf("upstream got anthropic-beta of %d lines (%d bytes), want the client's %d bytes intact", len(got), len(strings.Join(got, ",")), len(list))
	}
}

// TestPathTricks: request targets that spell an /api/ path in other than
// canonical form (dot segments, encoded dots and slashes, doubled slashes)
// or in absolute form, sent raw as an attacker would, are refused or
// answered exactly as the honest path is. None lets a cross-site or rebinding
// request change state, and no /v1/ request leaves for a host other than
// upstream_url, whatever the target or Host names.
func TestPathTricks(t *testing.T) {
	t.Parallel()
	in := twoAccounts(t)
	evil := fakeanthropic.New(fakeanthropic.Options{}) // a host requests must never reach
	t.Cleanup(evil.Close)
	evilHost := strings.TrimPrefix(evil.URL, "http://") // a loopback address: the Host guard lets it by
	self := strings.TrimPrefix(in.URL(), "http://")
	before := in.snapshot(t)
	honest := in.do(t, "GET", "/api/accounts", nil)
	if honest.Status != 200 {
		t.Fatalf("GET /api/accounts: %s", honest)
	}

	// Each prefix stands for "/api/" to a lenient path cleaner.
	prefixes := []string{
		"/v1/../api/", "/v1/%2e%2e/api/", "/v1/%2E%2E/api/", "/v1%2F..%2Fapi/", "/v1%2f%2e%2e%2fapi/",
		"/v1/..%2Fapi/", "/v1/..%5Capi/", "/v1/..%5capi/", `/v1/..\api/`, "/v1/..;/api/", "/v1/%252e%252e/api/",
		"/v1/messages/../../api/", "//api/", "///api/", "/./api/",
		"/api/./", "/api//", "/api/x/../", "/api%2F", "http://evil.example/api/", "http://" + evilHost + "/api/",
		"http://" + self + "/api/", // absolute form naming the proxy itself: the honest path
	}
	token := []string{"Authorization", "Bearer " + in.apiToken(t)} // the user's, who holds it
	for _, p := range prefixes {
		// A read from this machine: refused, or the honest answer.
		r := in.rawDo(t, in.rawRequest("GET", p+"accounts", nil, token...))
		if (r.Status < 400 || r.Status >= 500) && !(r.Status == 200 && bytes.Equal(r.Body, honest.Body)) {
			t.Errorf("GET %saccounts: %d %.200s, want a 4xx or the honest answer", p, r.Status, r.Body)
		}
		// Rebinding (a foreign Host) and cross-site (a foreign Origin)
		// requests are refused, even carrying the token.
		for _, tc := range []struct {
			method, path string
			body         []byte
			headers      []string
		}{
			{"GET", "accounts", nil, []string{"Host", "evil.example"}},
			{"PATCH", "config", []byte(`{"session_duration_ms":60000}`), []string{"Origin", "http://evil.example"}},
			{"PATCH", "config", []byte(`{"session_duration_ms":60000}`), []string{"Host", "evil.example"}},
			{"POST", "accounts/a/pause", nil, []string{"Origin", "https://evil.example"}},
			{"POST", "accounts", []byte(`{"name":"c","api_key":"sk-ant-api03-x"}`), []string{"Origin", "null"}},
			{"DELETE", "accounts/b", nil, []string{"Host", "evil.example:" + strings.Split(self, ":")[1]}},
			{"PUT", "config/strategy", []byte(`{"strategy":"session"}`), []string{"Origin", "http://evil.example"}},
		} {
			if tc.headers[0] == "Host" && strings.HasPrefix(p, "http://127.0.0.1:") {
				continue // absolute form: the target's host, loopback here, wins over the Host header (RFC 9112 §3.2.2)
			}
			headers := append(append([]string{"Content-Type", "application/json"}, token...), tc.headers...)
			r := in.rawDo(t, in.rawRequest(tc.method, p+tc.path, tc.body, headers...))
			if r.Status < 400 || r.Status >= 500 {
				t.Errorf("%s %s%s with %v: %d %.200s, want a 4xx", tc.method, p, tc.path, tc.headers, r.Status, r.Body)
			}
		}
		if d := before.diff(in.snapshot(t)); d != "" {
			t.Fatalf("requests to %s… changed state: %s", p, d)
		}
	}
	// Absolute form naming a foreign host is judged by that host.
	for _, target := range []string{"http://evil.example/api/accounts", "https://evil.example/api/accounts", "http://evil.example:80/health"} {
		r := in.rawDo(t, in.rawRequest("GET", target, nil))
		if r.Status != http.StatusForbidden {
			t.Errorf("GET %s (Host %s): %d %.200s, want 403", target, self, r.Status, r.Body)
		}
	}

	// Proxy paths: whatever the target or Host names, a request goes to
	// upstream_url or nowhere.
	before = in.snapshot(t)
	for _, tc := range []struct {
		target  string
		headers []string
		want    int // 200: the honest answer, from a; 404: upstream's own answer for that path
	}{
		{"http://" + evilHost + "/v1/messages", nil, 200}, // absolute form naming another loopback port
		{"http://evil.example/v1/messages", nil, 403},
		{"/v1/messages", []string{"Host", evilHost}, 200},
		{"/v1/messages", []string{"X-Forwarded-Host", evilHost, "Forwarded", "host=" + evilHost}, 200},
		{"//" + evilHost + "/v1/messages", nil, 400},
		{"/v1/..%2F..%2F" + evilHost + "/v1/messages", nil, 400},
		{"/v1/%2F%2F" + evilHost + "/v1/messages", nil, 400},
		{"/v1/../../" + evilHost + "/v1/messages", nil, 400},
		{"/v1/..%5C..%5C" + evilHost + "/v1/messages", nil, 400},
		{"/v1/..;/..;/" + evilHost + "/v1/messages", nil, 400},
		{"/v1/messages@" + evilHost, nil, 404}, // a path at upstream, not a user@host
	} {
		headers := append([]string{"Content-Type", "application/json", "x-api-key", clientKey, "anthropic-version", "2023-06-01"}, tc.headers...)
		r := in.rawDo(t, in.rawRequest("POST", tc.target, messagesBody(false), headers...))
		account := "none" // every answer on a proxy path names the account
		switch {
		case tc.want == 200 || tc.want == 404:
			account = "a"
		case strings.HasPrefix(tc.target, "//"):
			account = "" // not a proxy path: an API error
		}
		if r.Status != tc.want || r.Header.Get("x-claudeflare-account") != account {
			t.Errorf("POST %s %v: %d %.200s (account %q), want %d from %s", tc.target, tc.headers, r.Status, r.Body, r.Header.Get("x-claudeflare-account"), tc.want, account)
		}
	}
	if n := len(evil.Requests()); n != 0 {
		t.Errorf("a foreign host received %d requests through the proxy", n)
	}
	var paths []string
	for _, s := range in.Fake.Requests() {
		paths = append(paths, s.Path)
	}
	if want := "/v1/messages /v1/messages /v1/messages /v1/messages@" + evilHost; strings.Join(paths, " ") != want {
		t.Errorf("upstream saw paths %q, want %q", paths, want)
	}
	if d := before.diff(in.snapshot(t)); d != "" {
		t.Errorf("proxy path tricks changed state: %s", d)
	}
	in.mustServeFrom(t, "a")
}

// TestRemoteUseNeedsClientKey: with allow_remote, every request needs the
// client key of `claudeflare client-key`, which never goes upstream.
func TestRemoteUseNeedsClientKey(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	key := strings.TrimSpace(sb.mustCLI(t, "", "client-key").Stdout)
	if key == "" {
		t.Fatal("claudeflare client-key printed nothing")
	}
	if again := strings.TrimSpace(sb.mustCLI(t, "", "client-key").Stdout); again != key {
		t.Errorf("client-key changed between runs")
	}
	sb.setConfigKeys(t, map[string]any{"allow_remote": true})
	in := sb.serve(t)

	for _, tc := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"no key", nil, 401},
		{"wrong key", []string{"x-api-key", "cfk-wrong"}, 401},
		{"x-api-key", []string{"x-api-key", key}, 200},
		{"bearer", []string{"Authorization", "Bearer " + key}, 200},
		{"any host with the key", []string{"x-api-key", key, "Host", "claudeflare.lan:8080"}, 200},
		{"bearer in lower case", []string{"Authorization", "bearer " + key}, 200},
		// The key in a wrong place does not open the door.
		{"key in Proxy-Authorization", []string{"Proxy-Authorization", "Bearer " + key}, 401},
		{"key in a header of its own", []string{"X-Claudeflare-Key", key}, 401},
		{"key as Basic credentials", []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte(key+":"))}, 401},
		{"key without a scheme", []string{"Authorization", key}, 401},
		{"key in a cookie", []string{"Cookie", "key=" + key}, 401},
		{"wrong x-api-key beside a right Bearer", []string{"x-api-key", "cfk-wrong", "Authorization", "Bearer " + key}, 401},
	} {
		if r := in.do(t, "GET", "/api/accounts", nil, tc.headers...); r.Status != tc.status {
			t.Errorf("%s: GET /api/accounts: %s, want %d", tc.name, r, tc.status)
		}
	}
	if r := in.do(t, "GET", "/api/accounts?key="+key, nil); r.Status != 401 {
		t.Errorf("key in the query: %s, want 401", r)
	}
	if r := in.do(t, "POST", "/v1/messages?key="+key, messagesBody(false), "Content-Type", "application/json", "x-api-key", key); r.Status != 401 {
		t.Errorf("right key, and the key in the query too: %s, want 401 (the query goes upstream)", r)
	}
	if r := in.message(t); r.Status != 401 {
		t.Errorf("POST /v1/messages with the dummy key only: %s, want 401", r)
	}
	if n := len(sb.Fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests without the client key, want 0", n)
	}
	for _, auth := range [][]string{{"x-api-key", key}, {"Authorization", "Bearer " + key}} {
		// A client that also puts the key in other headers: none of them may go upstream.
		r := in.do(t, "POST", "/v1/messages", messagesBody(false), "Content-Type", "application/json", auth[0], auth[1],
			"X-Claudeflare-Key", key, "Cookie", "k="+key, "Proxy-Authorization", "Bearer "+key)
		if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "a" {
			t.Errorf("POST /v1/messages with the client key as %s: %s, want 200 from a", auth[0], r)
		}
	}
	// Any Host is accepted with the key, but the target's host never chooses
	// where a request goes: absolute form naming another host still goes to
	// upstream_url, and an /api/ path in disguise is no more than a 400.
	evil := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(evil.Close)
	for _, target := range []string{evil.URL + "/v1/messages", "http://evil.example/v1/messages"} {
		r := in.rawDo(t, in.rawRequest("POST", target, messagesBody(false), "Content-Type", "application/json", "x-api-key", key))
		if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "a" {
			t.Errorf("POST %s with the client key: %d %.200s, want 200 from a", target, r.Status, r.Body)
		}
	}
	for _, target := range []string{"/v1/../api/accounts/a/pause", "/v1/%2e%2e/api/accounts/a/pause", "/v1%2F..%2Fapi/accounts/a/pause", "//api/accounts/a/pause"} {
		r := in.rawDo(t, in.rawRequest("POST", target, nil, "x-api-key", key, "Origin", "http://evil.example"))
		if r.Status != 400 && r.Status != 403 {
			t.Errorf("POST %s: %d %.200s, want 400 or 403", target, r.Status, r.Body)
		}
	}
	if n := len(evil.Requests()); n != 0 {
		t.Errorf("a foreign host received %d requests through the proxy", n)
	}
	var list []accountJSON
	if r := in.do(t, "GET", "/api/accounts", nil, "x-api-key", key); json.Unmarshal(r.Body, &list) != nil || len(list) != 1 || list[0].Paused {
		t.Errorf("after the path tricks, GET /api/accounts: %s, want a, not paused", r)
	}
	for _, s := range sb.Fake.Requests() {
		if s.Credential != sb.Keys["a"] {
			t.Errorf("upstream saw credential %q, want a's key", s.Credential)
		}
		for name, vv := range s.Header {
			for _, v := range vv {
				if strings.Contains(v, key) {
					t.Errorf("the client key reached upstream in %s", name)
				}
			}
		}
	}
}
