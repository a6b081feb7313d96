package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	} {
		if r := in.do(t, "GET", "/api/accounts", nil, tc.headers...); r.Status != tc.status {
			t.Errorf("%s: GET /api/accounts: %s, want %d", tc.name, r, tc.status)
		}
	}
	if r := in.message(t); r.Status != 401 {
		t.Errorf("POST /v1/messages with the dummy key only: %s, want 401", r)
	}
	if n := len(sb.Fake.Requests()); n != 0 {
		t.Errorf("the fake saw %d requests without the client key, want 0", n)
	}
	for _, auth := range [][]string{{"x-api-key", key}, {"Authorization", "Bearer " + key}} {
		r := in.do(t, "POST", "/v1/messages", messagesBody(false), "Content-Type", "application/json", auth[0], auth[1])
		if r.Status != 200 || r.Header.Get("x-claudeflare-account") != "a" {
			t.Errorf("POST /v1/messages with the client key as %s: %s, want 200 from a", auth[0], r)
		}
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
