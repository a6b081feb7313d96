package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// testToken is the local API token of the engines these tests start; the
// harnesses send it, as the CLI and the tray's windows do.
const testToken = "test-api-token"

// tokenIs is an Options.APIToken that gives tok.
func tokenIs(tok string) func(context.Context) (string, error) {
	return func(context.Context) (string, error) { return tok, nil }
}

// authorize adds the local API token to req.
func authorize(req *http.Request) *http.Request {
	req.Header.Set("Authorization", "Bearer "+testToken)
	return req
}

type apiHarness struct {
	t    *testing.T
	core *core.Core
	srv  *httptest.Server
	home string
	fake *fakeanthropic.Server
}

func newAPI(t *testing.T, env map[string]string) *apiHarness {
	t.Helper()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(fake.Close)
	home := t.TempDir()
	if env == nil {
		env = map[string]string{}
	}
	env["CLAUDEFLARE_UPSTREAM_URL"] = fake.URL
	c, err := core.New(context.Background(), core.Options{
		Home: home, Version: "test", APIToken: tokenIs(testToken),
		Lookup:    func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds: func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(func() {
		srv.Close()
		c.Shutdown(context.Background())
	})
	return &apiHarness{t: t, core: c, srv: srv, home: home, fake: fake}
}

type result struct {
	status int
	body   string
	header http.Header
}

func (r result) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("not a JSON object: %s", r.body)
	}
	return m
}

// do sends a request with the local API token; headers are pairs, and
// "Host" sets the Host header.
func (h *apiHarness) do(method, path, body string, headers ...string) result {
	h.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, h.srv.URL+path, rd)
	authorize(req)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i] == "Host" {
			req.Host = headers[i+1]
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{resp.StatusCode, string(b), resp.Header}
}

func (h *apiHarness) configFile() string {
	b, _ := os.ReadFile(filepath.Join(h.home, "config.json"))
	return string(b)
}

func TestHealth(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	h.do("POST", "/api/accounts", `{"name":"a","api_key":"sk-ant-api03-a"}`)
	h.do("POST", "/api/accounts", `{"name":"b","api_key":"sk-ant-api03-b"}`)
	h.do("POST", "/api/accounts/b/pause", "")
	r := h.do("GET", "/health", "")
	m := r.json(t)
	if r.status != 200 || m["status"] != "ok" || m["strategy"] != "session" || m["accounts"] != 2.0 || m["available"] != 1.0 || m["version"] != "test" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}

func TestGuards(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	tests := []struct {
		name    string
		method  string
		path    string
		body    string
		headers []string
		want    int
	}{
		{"loopback host", "GET", "/api/config", "", []string{"Host", "localhost:8080"}, 200},
		{"ipv6 loopback host", "GET", "/api/config", "", []string{"Host", "[::1]:8080"}, 200},
		{"rebinding host refused", "GET", "/api/config", "", []string{"Host", "evil.example:8080"}, 403},
		{"rebinding host refused on the proxy", "POST", "/v1/messages", "{}", []string{"Host", "attacker.test"}, 403},
		{"foreign origin on a change", "PATCH", "/api/config", `{"port":9000}`, []string{"Origin", "https://evil.example"}, 403},
		{"foreign origin on the proxy", "POST", "/v1/messages", `{}`, []string{"Origin", "http://evil.example"}, 403},
		{"null origin", "POST", "/api/accounts/x/pause", "", []string{"Origin", "null"}, 403},
		{"foreign origin may read", "GET", "/api/config", "", []string{"Origin", "https://evil.example"}, 200},
		{"wrong content type", "PATCH", "/api/config", `{"port":9000}`, []string{"Content-Type", "text/plain"}, 415},
		{"form content type", "POST", "/api/accounts", `name=x`, []string{"Content-Type", "application/x-www-form-urlencoded"}, 415},
		{"dot segments refused", "GET", "/v1/../api/config", "", nil, 400},
		{"encoded slash refused", "GET", "/v1/..%2fapi/config", "", nil, 400},
		{"encoded backslash refused", "GET", "/v1/..%5Capi/config", "", nil, 400},
		{"encoded backslash refused on the proxy", "POST", "/v1/..%5C..%5Capi/oauth/claude_cli/create_api_key", "{}", nil, 400},
		{"dot segment with a parameter refused", "POST", "/v1/..;/api/oauth/claude_cli/create_api_key", "{}", nil, 400},
		{"double-encoded dots refused", "POST", "/v1/%252e%252e/api/oauth/claude_cli/create_api_key", "{}", nil, 400},
		{"encoded control character refused", "POST", "/v1/..%00/messages", "{}", nil, 400},
		{"unknown api path", "GET", "/api/nope", "", nil, 404},
	}
	before := h.configFile()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(tt.method, tt.path, tt.body, tt.headers...)
			if r.status != tt.want {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, r.status, r.body, tt.want)
			}
			if tt.want >= 400 && !strings.Contains(r.body, `"error"`) {
				t.Errorf("error body %q lacks an error message", r.body)
			}
		})
	}
	if after := h.configFile(); after != before {
		t.Errorf("refused requests changed config.json: %q", after)
	}
	if n := len(h.fake.Requests()); n != 0 {
		t.Errorf("refused proxy requests reached upstream: %d", n)
	}
}

func TestConfigEndpoints(t *testing.T) {
	t.Parallel()
	h := newAPI(t, map[string]string{"PORT": "9999"})
	r := h.do("GET", "/api/config", "")
	m := r.json(t)
	src := m["sources"].(map[string]any)
	if m["port"] != 9999.0 || src["port"] != "env" || src["session_duration_ms"] != "default" {
		t.Fatalf("%s", r.body)
	}
	r = h.do("PATCH", "/api/config", `{"session_duration_ms": 3600000}`)
	if r.status != 200 || r.json(t)["session_duration_ms"] != 3600000.0 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if h.core.ConfigManager().Get().SessionDurationMS != 3600000 {
		t.Errorf("the running config did not change")
	}
	saved := h.configFile()
	bad := []struct {
		body string
		want int
		key  string
	}{
		{`{"session_duration_ms": 5}`, 400, "session_duration_ms"},
		{`{"session_duration_ms": "1h"}`, 400, "session_duration_ms"},
		{`{"port": 70000}`, 400, "port"},
		{`{"port": 9000}`, 409, "PORT"},
		{`{"lb_strategy": "round_robin"}`, 400, "session"},
		{`{"host": "example.com"}`, 400, "host"},
		{`{"upstream_url": "ftp://x"}`, 400, "upstream_url"},
		{`{"retention_days": 0}`, 400, "retention_days"},
		{`{"nonsense": 1}`, 400, "nonsense"},
		{`{}`, 400, "empty"},
		{`[1]`, 400, "object"},
		{`{"port": 1`, 400, "JSON"},
	}
	for _, b := range bad {
		r := h.do("PATCH", "/api/config", b.body)
		if r.status != b.want || !strings.Contains(r.body, b.key) {
			t.Errorf("PATCH %s: %d %s, want %d naming %s", b.body, r.status, r.body, b.want, b.key)
		}
	}
	if h.configFile() != saved {
		t.Errorf("refused patches changed config.json")
	}
}

func TestStrategyEndpoints(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	if r := h.do("GET", "/api/config/strategy", ""); r.body != "{\"strategy\":\"session\"}\n" {
		t.Fatalf("%s", r.body)
	}
	if r := h.do("PUT", "/api/config/strategy", `{"strategy":"session"}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	r := h.do("PUT", "/api/config/strategy", `{"strategy":"least_used"}`)
	if r.status != 400 || !strings.Contains(r.body, "session") {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := h.do("PUT", "/api/config/strategy", `{}`); r.status != 400 {
		t.Fatalf("missing strategy: %d %s", r.status, r.body)
	}
}

func TestAccountEndpoints(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	r := h.do("POST", "/api/accounts", `{"name":"work","api_key":"sk-ant-api03-secret-work","priority":3}`)
	if r.status != 201 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	a := r.json(t)
	if a["name"] != "work" || a["kind"] != "api_key" || a["priority"] != 3.0 || a["status"] != "available" || a["id"] == "" {
		t.Fatalf("%s", r.body)
	}
	for _, key := range []string{"id", "name", "kind", "mode", "priority", "paused", "status", "rate_limited_until", "session_start",
		"session_expires_at", "session_requests", "total_requests", "last_used", "created_at", "token_expires_at", "utilization", "limits"} {
		if _, ok := a[key]; !ok {
			t.Errorf("account lacks %q", key)
		}
	}
	h.do("POST", "/api/accounts", `{"name":"home","api_key":"sk-ant-api03-secret-home"}`)
	r = h.do("GET", "/api/accounts", "")
	if strings.Contains(r.body, "secret") {
		t.Fatalf("account list leaks a key: %s", r.body)
	}
	var list []map[string]any
	json.Unmarshal([]byte(r.body), &list)
	if len(list) != 2 || list[0]["name"] != "home" {
		t.Fatalf("list not in strategy order (priority 0 first): %s", r.body)
	}
	if r := h.do("PATCH", "/api/accounts/work", `{"priority":0,"name":"office"}`); r.status != 200 || r.json(t)["name"] != "office" {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if r := h.do("POST", "/api/accounts/office/pause", ""); r.json(t)["status"] != "paused" {
		t.Fatalf("%s", r.body)
	}
	if r := h.do("POST", "/api/accounts/office/resume", ""); r.json(t)["status"] != "available" {
		t.Fatalf("%s", r.body)
	}
	bad := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/accounts", `{"name":"home","api_key":"sk-ant-api03-x"}`, 409},
		{"POST", "/api/accounts", `{"name":"bad/name","api_key":"k"}`, 400},
		{"POST", "/api/accounts", `{"name":"","api_key":"k"}`, 400},
		{"POST", "/api/accounts", `{"name":"` + strings.Repeat("x", 65) + `","api_key":"k"}`, 400},
		{"POST", "/api/accounts", `{"name":"n","api_key":""}`, 400},
		{"POST", "/api/accounts", `{"name":"n"}`, 400},
		{"POST", "/api/accounts", `{"name":"n","api_key":"k","priority":101}`, 400},
		{"POST", "/api/accounts", `{"name":"n","api_key":"k","priority":"high"}`, 400},
		{"POST", "/api/accounts", `{"name":"n","api_key":"k","extra":1}`, 400},
		{"PATCH", "/api/accounts/nobody", `{"priority":1}`, 404},
		{"PATCH", "/api/accounts/office", `{"name":"home"}`, 409},
		{"PATCH", "/api/accounts/office", `{}`, 400},
		{"POST", "/api/accounts/nobody/pause", ``, 404},
		{"DELETE", "/api/accounts/nobody", ``, 404},
	}
	before := h.do("GET", "/api/accounts", "").body
	for _, b := range bad {
		r := h.do(b.method, b.path, b.body)
		if r.status != b.want || !strings.Contains(r.body, `"error"`) {
			t.Errorf("%s %s %s: %d %s, want %d", b.method, b.path, b.body, r.status, r.body, b.want)
		}
	}
	if after := h.do("GET", "/api/accounts", "").body; after != before {
		t.Errorf("refused requests changed the accounts:\n%s\n%s", before, after)
	}
	if r := h.do("DELETE", "/api/accounts/office", ""); r.status != 204 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if cred, _ := os.ReadFile(filepath.Join(h.home, "credentials.json")); strings.Contains(string(cred), "secret-work") {
		t.Errorf("the removed account's key is still stored")
	}
	if r := h.do("GET", "/api/accounts", ""); strings.Contains(r.body, "office") {
		t.Errorf("removed account still listed")
	}
}

func TestRequestsAndStats(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	h.fake.AddAPIKey("sk-ant-api03-a")
	h.do("POST", "/api/accounts", `{"name":"a","api_key":"sk-ant-api03-a"}`)
	for range 3 {
		h.do("POST", "/v1/messages", `{"model":"claude-x","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`)
	}
	h.core.Writer().Flush(context.Background())
	r := h.do("GET", "/api/requests?limit=2", "")
	var rows []map[string]any
	if err := json.Unmarshal([]byte(r.body), &rows); err != nil || len(rows) != 2 || rows[0]["account"] != "a" || rows[0]["model"] != "claude-x" {
		t.Fatalf("%s", r.body)
	}
	r = h.do("GET", "/api/stats?window=1h", "")
	m := r.json(t)
	if m["total"].(map[string]any)["requests"] != 3.0 || m["accounts"].([]any)[0].(map[string]any)["share"] != 1.0 {
		t.Fatalf("%s", r.body)
	}
	for _, q := range []string{"limit=0", "limit=abc", "limit=100000"} {
		if r := h.do("GET", "/api/requests?"+q, ""); r.status != 400 {
			t.Errorf("%s: %d", q, r.status)
		}
	}
	for _, q := range []string{"window=forever", "window=0h", "window=-1h", "window=d"} {
		if r := h.do("GET", "/api/stats?"+q, ""); r.status != 400 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func TestEventStream(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	h.fake.AddAPIKey("sk-ant-api03-a")
	h.fake.AddAPIKey("sk-ant-api03-b")
	h.do("POST", "/api/accounts", `{"name":"a","api_key":"sk-ant-api03-a"}`)
	h.do("POST", "/api/accounts", `{"name":"b","api_key":"sk-ant-api03-b"}`)
	h.fake.SetBehavior("sk-ant-api03-a", fakeanthropic.Behavior{Status: 429, RetryAfter: "60"})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", h.srv.URL+"/api/events", nil)
	resp, err := http.DefaultClient.Do(authorize(req))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	buf := make([]byte, 64)
	resp.Body.Read(buf) // the ": connected" comment: subscribed from here on
	h.do("POST", "/v1/messages", `{"model":"m","max_tokens":5,"messages":[]}`)
	want := map[string]bool{"event: rate_limited": false, "event: failover": false, "event: session_started": false, "event: request": false}
	var seen strings.Builder
	for missing := len(want); missing > 0; {
		n, err := resp.Body.Read(buf)
		seen.Write(buf[:n])
		if err != nil {
			t.Fatalf("stream ended (%v) with events still missing from:\n%s", err, seen.String())
		}
		missing = 0
		for k := range want {
			if !strings.Contains(seen.String(), k) {
				missing++
			}
		}
	}
}

func TestRefusedProxyRequestsSpeakAnthropic(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	r := h.do("POST", "/v1/messages", "{}", "Host", "evil.example")
	if r.status != 403 || r.header.Get("X-Claudeflare-Account") != "none" ||
		!strings.Contains(r.body, `"type":"error"`) || !strings.Contains(r.body, "permission_error") {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
}

// TestAccountLimits: every quota window the latest answer reported is in
// GET /api/accounts as limits (docs/DESIGN.md, "Monitoring"), with its utilization, reset and
// status; a window whose reset has passed shows as unused.
func TestAccountLimits(t *testing.T) {
	t.Parallel()
	h := newAPI(t, nil)
	tok := "sk-ant-oat01-limits"
	now := time.Now()
	h.fake.AddOAuthToken(tok, now.Add(time.Hour))
	reset5h, reset7d := now.Add(80*time.Minute).Truncate(time.Second), now.Add(60*time.Hour).Truncate(time.Second)
	h.fake.SetQuota(tok, fakeanthropic.Quota{FiveHour: 0.83, SevenDay: 0.41, FiveHourReset: reset5h, SevenDayReset: reset7d,
		Extra: []fakeanthropic.QuotaWindow{{Name: "7d_oi", Utilization: 0.63, Reset: now.Add(-time.Minute)}}})
	if _, err := h.core.CreateAccount(context.Background(), account.Account{Name: "work", Kind: account.KindOAuth, Mode: "claude"},
		creds.Secret{AccessToken: tok, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if r := h.do("POST", "/v1/messages", `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`); r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	var list []struct {
		Utilization *float64 `json:"utilization"`
		Limits      map[string]struct {
			Utilization float64    `json:"utilization"`
			ResetsAt    *time.Time `json:"resets_at"`
			Status      string     `json:"status"`
		} `json:"limits"`
	}
	get := func() {
		t.Helper()
		if err := json.Unmarshal([]byte(h.do("GET", "/api/accounts", "").body), &list); err != nil || len(list) != 1 {
			t.Fatalf("%v %v", err, list)
		}
	}
	get()
	l := list[0].Limits
	if w := l["five_hour"]; w.Utilization != 0.83 || w.ResetsAt == nil || !w.ResetsAt.Equal(reset5h) || w.Status != "allowed_warning" {
		t.Errorf("five_hour %+v", w)
	}
	if w := l["seven_day"]; w.Utilization != 0.41 || w.ResetsAt == nil || !w.ResetsAt.Equal(reset7d) || w.Status != "allowed" {
		t.Errorf("seven_day %+v", w)
	}
	if u := list[0].Utilization; u == nil || *u != 0.83 {
		t.Errorf("utilization %v, want the five-hour window's", u)
	}
	// 7d_oi was reported with a reset already past: it reads as unused.
	if w, ok := l["7d_oi"]; !ok || w.Utilization != 0 || w.ResetsAt != nil || w.Status != "allowed" {
		t.Errorf("7d_oi past its reset: %+v, %v; want unused", w, ok)
	}
}
