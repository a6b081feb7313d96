package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
	"github.com/claudeflare/claudeflare/platform/filestore"
)

// newOAuthAPI is newAPI with the login endpoints pointed at the fake and
// the callback listener on a free port.
func newOAuthAPI(t *testing.T) *apiHarness {
	t.Helper()
	fake := fakeanthropic.New(fakeanthropic.Options{})
	t.Cleanup(fake.Close)
	home := t.TempDir()
	env := map[string]string{
		"CLAUDEFLARE_UPSTREAM_URL":        fake.URL,
		"CLAUDEFLARE_AUTHORIZE_URL":       fake.AuthorizeURL(),
		"CLAUDEFLARE_TOKEN_URL":           fake.TokenURL(),
		"CLAUDEFLARE_OAUTH_CALLBACK_PORT": "0",
	}
	c, err := core.New(context.Background(), core.Options{
		Home: home, Version: "test", APIToken: tokenIs(testToken),
		Lookup:      func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		OpenCreds:   func(string) (creds.Store, error) { return filestore.New(filepath.Join(home, "credentials.json")), nil },
		OpenBrowser: func(string) error { t.Error("the API opened a browser unasked"); return nil },
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

// follow plays the browser on an authorize URL and returns the final page.
func follow(t *testing.T, u string) string {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// waitState polls GET /api/oauth/{id} until the login is no longer pending.
func (h *apiHarness) waitState(id string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := h.do("GET", "/api/oauth/"+id, "")
		if r.status != 200 {
			h.t.Fatalf("status: %d %s", r.status, r.body)
		}
		m := r.json(h.t)
		if m["state"] != "pending" || time.Now().After(deadline) {
			return m
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestOAuthAutomaticThroughAPI(t *testing.T) {
	t.Parallel()
	h := newOAuthAPI(t)
	r := h.do("POST", "/api/oauth/start", `{"name":"work","mode":"claude"}`)
	if r.status != 200 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	m := r.json(t)
	id, _ := m["session_id"].(string)
	authURL, _ := m["authorize_url"].(string)
	if id == "" || !strings.HasPrefix(authURL, h.fake.AuthorizeURL()+"?") || m["manual"] != false {
		t.Fatalf("start answer: %s", r.body)
	}
	if s := h.do("GET", "/api/oauth/"+id, "").json(t); s["state"] != "pending" {
		t.Fatalf("before the browser: %v", s)
	}
	if page := follow(t, authURL); !strings.Contains(page, "You may close this window") {
		t.Fatalf("browser page: %s", page)
	}
	s := h.waitState(id)
	acct, _ := s["account"].(map[string]any)
	if s["state"] != "done" || acct["name"] != "work" || acct["kind"] != "oauth" || acct["mode"] != "claude" || acct["status"] != "available" {
		t.Fatalf("after the browser: %v", s)
	}

	// The new account serves at once, with Bearer and the oauth beta.
	req, _ := http.NewRequest("POST", h.srv.URL+"/v1/messages", strings.NewReader(`{"model":"claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("X-Api-Key", "dummy")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("X-Claudeflare-Account") != "work" {
		t.Fatalf("proxy: %d by %q", resp.StatusCode, resp.Header.Get("X-Claudeflare-Account"))
	}
	seen := h.fake.Requests()
	last := seen[len(seen)-1]
	if !strings.HasPrefix(last.Header.Get("Authorization"), "Bearer "+fakeanthropic.AccessTokenPrefix) ||
		!fakeanthropic.HasBeta(last.Header, fakeanthropic.OAuthBeta) {
		t.Errorf("upstream request headers: %v", last.Header)
	}
	for _, path := range []string{"/api/oauth/" + id, "/api/accounts"} {
		if body := h.do("GET", path, "").body; strings.Contains(body, fakeanthropic.AccessTokenPrefix) || strings.Contains(body, fakeanthropic.RefreshTokenPrefix) {
			t.Errorf("%s reveals a token: %s", path, body)
		}
	}
}

func TestOAuthManualThroughAPI(t *testing.T) {
	t.Parallel()
	h := newOAuthAPI(t)
	m := h.do("POST", "/api/oauth/start", `{"name":"console","mode":"console","manual":true,"priority":7}`).json(t)
	id, authURL := m["session_id"].(string), m["authorize_url"].(string)
	if m["manual"] != true || !strings.Contains(authURL, "redirect_uri=https%3A%2F%2Fplatform.claude.com%2Foauth%2Fcode%2Fcallback") {
		t.Fatalf("start: %v", m)
	}
	code, err := fakeanthropic.ManualCode([]byte(follow(t, authURL)))
	if err != nil {
		t.Fatal(err)
	}
	if r := h.do("POST", "/api/oauth/complete", `{"session_id":"`+id+`","code":"garbage"}`); r.status != 400 {
		t.Errorf("bad code: %d %s", r.status, r.body)
	}
	if s := h.do("GET", "/api/oauth/"+id, "").json(t); s["state"] != "pending" {
		t.Errorf("a bad code ended the login: %v", s)
	}
	r := h.do("POST", "/api/oauth/complete", `{"session_id":"`+id+`","code":"`+code+`"}`)
	a := r.json(t)
	if r.status != 201 || a["name"] != "console" || a["kind"] != "api_key" || a["mode"] != "console" || a["priority"] != 7.0 {
		t.Fatalf("complete: %d %s", r.status, r.body)
	}
	if r := h.do("POST", "/api/oauth/complete", `{"session_id":"`+id+`","code":"`+code+`"}`); r.status != 409 {
		t.Errorf("completing twice: %d %s", r.status, r.body)
	}
	if s := h.do("GET", "/api/oauth/"+id, "").json(t); s["state"] != "done" {
		t.Errorf("status: %v", s)
	}
}

func TestOAuthAPIErrors(t *testing.T) {
	t.Parallel()
	h := newOAuthAPI(t)
	h.do("POST", "/api/accounts", `{"name":"taken","api_key":"sk-ant-api03-x"}`)
	pending := h.do("POST", "/api/oauth/start", `{"name":"pending","manual":true}`).json(t)
	cases := []struct {
		name, method, path, body string
		want                     int
		says                     string
	}{
		{"missing name", "POST", "/api/oauth/start", `{"mode":"claude"}`, 400, "name"},
		{"bad name", "POST", "/api/oauth/start", `{"name":"a/b"}`, 400, "name"},
		{"unknown mode", "POST", "/api/oauth/start", `{"name":"x","mode":"team"}`, 400, "mode"},
		{"unknown field", "POST", "/api/oauth/start", `{"name":"x","api_key":"k"}`, 400, "api_key"},
		{"not JSON", "POST", "/api/oauth/start", `{`, 400, "JSON"},
		{"name taken", "POST", "/api/oauth/start", `{"name":"taken"}`, 409, "already exists"},
		{"login in progress", "POST", "/api/oauth/start", `{"name":"pending"}`, 409, "in progress"},
		{"relogin of unknown account", "POST", "/api/oauth/start", `{"name":"ghost","relogin":true}`, 404, "ghost"},
		{"unknown session", "GET", "/api/oauth/0123", "", 404, "session"},
		{"complete unknown session", "POST", "/api/oauth/complete", `{"session_id":"0123","code":"a#b"}`, 404, "session"},
		{"complete without code", "POST", "/api/oauth/complete", `{"session_id":"0123"}`, 400, "code"},
		{"complete with wrong state", "POST", "/api/oauth/complete", `{"session_id":"` + pending["session_id"].(string) + `","code":"a#forged"}`, 400, "state"},
	}
	for _, c := range cases {
		r := h.do(c.method, c.path, c.body)
		if r.status != c.want || !strings.Contains(r.body, c.says) {
			t.Errorf("%s: %d %s, want %d saying %q", c.name, r.status, r.body, c.want, c.says)
		}
		var m map[string]any
		if json.Unmarshal([]byte(r.body), &m) != nil || m["error"] == nil {
			t.Errorf("%s: not an error document: %s", c.name, r.body)
		}
	}
	if s := h.do("GET", "/api/oauth/"+pending["session_id"].(string), "").json(t); s["state"] != "failed" || !strings.Contains(s["error"].(string), "state") {
		t.Errorf("after a wrong state: %v", s)
	}
	if r := h.do("GET", "/api/accounts", ""); strings.Contains(r.body, "pending") {
		t.Errorf("a failed login left an account: %s", r.body)
	}
}
