package fakeanthropic

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

const loopbackRedirect = "http://localhost:54545/callback"

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
	return http.ErrUseLastResponse
}}

// authorizeParams are the query parameters Claude Code sends to the authorize page.
func authorizeParams(redirectURI, verifier, state string) url.Values {
	return url.Values{
		"code": {"true"}, "client_id": {ClientID}, "response_type": {"code"},
		"redirect_uri": {redirectURI}, "scope": {FullScope}, "code_challenge": {S256(verifier)},
		"code_challenge_method": {"S256"}, "state": {state},
	}
}

// authorize opens the authorize page and returns the answer (redirects not followed).
func authorize(t *testing.T, s *Server, q url.Values) (*http.Response, []byte) {
	t.Helper()
	resp, err := noRedirect.Get(s.AuthorizeURL() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// login runs the loopback authorize step and returns the code from the redirect.
func login(t *testing.T, s *Server, verifier, state string) string {
	t.Helper()
	resp, _ := authorize(t, s, authorizeParams(loopbackRedirect, verifier, state))
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != state || loc.Query().Get("code") == "" {
		t.Fatalf("redirect %s lacks code or state", loc)
	}
	return loc.Query().Get("code")
}

func TestAuthorizeLoopbackRedirect(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	for _, redirectURI := range []string{loopbackRedirect, "http://127.0.0.1:9/cb?x=1", "http://[::1]:8/callback"} {
		resp, _ := authorize(t, s, authorizeParams(redirectURI, "verifier-0123456789-0123456789-0123456789", "st"))
		loc, _ := url.Parse(resp.Header.Get("Location"))
		want, _ := url.Parse(redirectURI)
		if resp.StatusCode != 302 || loc.Host != want.Host || loc.Path != want.Path ||
			loc.Query().Get("code") == "" || loc.Query().Get("state") != "st" {
			t.Errorf("%s: %d Location %q", redirectURI, resp.StatusCode, loc)
		}
		if want.Query().Get("x") != "" && loc.Query().Get("x") != "1" {
			t.Errorf("%s: the redirect lost the URI's own query: %s", redirectURI, loc)
		}
	}
}

func TestAuthorizeManualPage(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	resp, page := authorize(t, s, authorizeParams(ManualRedirectURI, "v", "the-state"))
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	got, err := ManualCode(page)
	code, state, ok := strings.Cut(got, "#")
	if err != nil || !ok || code == "" || state != "the-state" {
		t.Fatalf("ManualCode = %q, %v; page:\n%s", got, err, page)
	}
	if !strings.Contains(string(page), `id="code"`) {
		t.Error(`page has no element with id="code"`)
	}
}

func TestAuthorizeErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	tests := []struct {
		name       string
		change     func(url.Values)
		wantStatus int
		wantError  string // error= of the redirect, for 302
	}{
		{"wrong client", func(q url.Values) { q.Set("client_id", "someone-else") }, 400, ""},
		{"missing client", func(q url.Values) { q.Del("client_id") }, 400, ""},
		{"foreign redirect", func(q url.Values) { q.Set("redirect_uri", "http://evil.example/cb") }, 400, ""},
		{"https loopback", func(q url.Values) { q.Set("redirect_uri", "https://localhost:1/cb") }, 400, ""},
		{"missing state", func(q url.Values) { q.Del("state") }, 400, ""},
		{"plain method", func(q url.Values) { q.Set("code_challenge_method", "plain") }, 302, "invalid_request"},
		{"missing challenge", func(q url.Values) { q.Del("code_challenge") }, 302, "invalid_request"},
		{"padded challenge", func(q url.Values) { q.Set("code_challenge", q.Get("code_challenge")+"=") }, 302, "invalid_request"},
		{"token response type", func(q url.Values) { q.Set("response_type", "token") }, 302, "unsupported_response_type"},
		{"unknown scope", func(q url.Values) { q.Set("scope", "user:inference admin") }, 302, "invalid_scope"},
		{"empty scope", func(q url.Values) { q.Del("scope") }, 302, "invalid_scope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			q := authorizeParams(loopbackRedirect, "v", "st")
			tt.change(q)
			resp, _ := authorize(t, s, q)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus != 302 {
				return
			}
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if loc.Query().Get("error") != tt.wantError || loc.Query().Get("state") != "st" || loc.Query().Has("code") {
				t.Errorf("redirect %s, want error=%s with the state and no code", loc, tt.wantError)
			}
		})
	}
}

func TestDenyNextAuthorize(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.DenyNextAuthorize()
	resp, _ := authorize(t, s, authorizeParams(loopbackRedirect, "v", "st"))
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Query().Get("error") != "access_denied" || loc.Query().Get("state") != "st" {
		t.Fatalf("denied: %d %s", resp.StatusCode, loc)
	}
	login(t, s, "v", "st") // only the next one is denied

	s.DenyNextAuthorize()
	_, page := authorize(t, s, authorizeParams(ManualRedirectURI, "v", "st"))
	if _, err := ManualCode(page); err == nil || !strings.Contains(err.Error(), "access_denied") {
		t.Errorf("manual denied: ManualCode error %v, want access_denied", err)
	}
}

func TestIsLoopbackRedirect(t *testing.T) {
	t.Parallel()
	tests := map[string]bool{
		"http://localhost:54545/callback": true,
		"http://127.0.0.1/cb":             true,
		"http://[::1]:1/":                 true,
		"https://localhost/cb":            false,
		"http://localhost.evil.com/cb":    false,
		"http://10.0.0.1/cb":              false,
		"::not a url":                     false,
	}
	for u, want := range tests {
		if got := isLoopbackRedirect(u); got != want {
			t.Errorf("isLoopbackRedirect(%q) = %v, want %v", u, got, want)
		}
	}
}
