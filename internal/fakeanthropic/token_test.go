package fakeanthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// tokenCall posts fields as JSON to the token endpoint and decodes the answer. Use tokenPost
// off the test's goroutine.
func tokenCall(t *testing.T, s *Server, fields map[string]string) (int, TokenResponse, string) {
	t.Helper()
	status, tok, errCode, err := tokenPost(s, fields)
	if err != nil {
		t.Fatal(err)
	}
	return status, tok, errCode
}

// tokenPost posts fields as JSON to the token endpoint and decodes the answer.
func tokenPost(s *Server, fields map[string]string) (status int, tok TokenResponse, errCode string, err error) {
	body, _ := json.Marshal(fields)
	resp, err := http.Post(s.TokenURL(), "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, tok, "", err
	}
	defer resp.Body.Close()
	var out struct {
		TokenResponse
		Error string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return 0, tok, "", fmt.Errorf("token answer is not JSON: %w", err)
	}
	return resp.StatusCode, out.TokenResponse, out.Error, nil
}

func refreshFields(refresh string) map[string]string {
	return map[string]string{"grant_type": "refresh_token", "refresh_token": refresh, "client_id": ClientID}
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

func TestCodeExchange(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		change    func(f map[string]string)
		wantError string
	}{
		{"success", func(map[string]string) {}, ""},
		{"success without state", func(f map[string]string) { delete(f, "state") }, ""},
		{"wrong verifier", func(f map[string]string) { f["code_verifier"] = verifier + "x" }, "invalid_grant"},
		{"verifier is the challenge", func(f map[string]string) { f["code_verifier"] = S256(verifier) }, "invalid_grant"},
		{"missing verifier", func(f map[string]string) { delete(f, "code_verifier") }, "invalid_grant"},
		{"other redirect_uri", func(f map[string]string) { f["redirect_uri"] = "http://localhost:1/callback" }, "invalid_grant"},
		{"wrong state", func(f map[string]string) { f["state"] = "other" }, "invalid_grant"},
		{"unknown code", func(f map[string]string) { f["code"] = "nope" }, "invalid_grant"},
		{"wrong client", func(f map[string]string) { f["client_id"] = "x" }, "invalid_client"},
		{"unknown grant", func(f map[string]string) { f["grant_type"] = "password" }, "unsupported_grant_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newTestServer(t, Options{AccessTokenTTL: 2 * time.Hour})
			code := login(t, s, verifier, "st")
			f := map[string]string{"grant_type": "authorization_code", "code": code, "redirect_uri": loopbackRedirect,
				"client_id": ClientID, "code_verifier": verifier, "state": "st"}
			tt.change(f)
			status, tok, errCode := tokenCall(t, s, f)
			if errCode != tt.wantError {
				t.Fatalf("status %d error %q, want error %q", status, errCode, tt.wantError)
			}
			if tt.wantError != "" {
				if status < 400 {
					t.Errorf("status %d for an error", status)
				}
				return
			}
			checkTokenResponse(t, tok, FullScope)
			if tok.ExpiresIn != 7200 {
				t.Errorf("expires_in = %d, want 7200", tok.ExpiresIn)
			}
			if resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(tok.AccessToken), msgBody); resp.StatusCode != 200 {
				t.Errorf("the new access token is refused: %d", resp.StatusCode)
			}
			if status, _, e := tokenCall(t, s, f); status != 400 || e != "invalid_grant" {
				t.Errorf("second use of the code: %d %q, want 400 invalid_grant", status, e)
			}
		})
	}
}

func checkTokenResponse(t *testing.T, tok TokenResponse, scope string) {
	t.Helper()
	if tok.TokenType != "Bearer" || !strings.HasPrefix(tok.AccessToken, AccessTokenPrefix) ||
		!strings.HasPrefix(tok.RefreshToken, RefreshTokenPrefix) || tok.Scope != scope ||
		tok.Account.EmailAddress != DefaultEmail || tok.Account.UUID != AccountUUID(DefaultEmail) {
		t.Errorf("token answer %+v", tok)
	}
}

func TestCodeExchangeManualFlow(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	_, page := authorize(t, s, authorizeParams(ManualRedirectURI, verifier, "st"))
	pasted, err := ManualCode(page)
	if err != nil {
		t.Fatal(err)
	}
	code, state, _ := strings.Cut(pasted, "#")
	status, tok, e := tokenCall(t, s, map[string]string{"grant_type": "authorization_code", "code": code,
		"redirect_uri": ManualRedirectURI, "client_id": ClientID, "code_verifier": verifier, "state": state})
	if status != 200 || e != "" {
		t.Fatalf("exchange: %d %q", status, e)
	}
	checkTokenResponse(t, tok, FullScope)
}

func TestRefreshRotation(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	first := s.IssueRefreshToken()
	status, tok, e := tokenCall(t, s, refreshFields(first))
	if status != 200 || e != "" {
		t.Fatalf("refresh: %d %q", status, e)
	}
	checkTokenResponse(t, tok, FullScope)
	if tok.RefreshToken == first {
		t.Error("the refresh token did not rotate")
	}
	if status, _, e := tokenCall(t, s, refreshFields(first)); status != 400 || e != "invalid_grant" {
		t.Errorf("reused refresh token: %d %q, want 400 invalid_grant", status, e)
	}
	if status, _, e := tokenCall(t, s, refreshFields(tok.RefreshToken)); status != 200 || e != "" {
		t.Errorf("rotated refresh token: %d %q", status, e)
	}
	if status, _, e := tokenCall(t, s, refreshFields("sk-ant-ort01-unknown")); status != 400 || e != "invalid_grant" {
		t.Errorf("unknown refresh token: %d %q", status, e)
	}
	if s.RefreshCount() != 2 || s.TokenRequests() != 4 {
		t.Errorf("RefreshCount %d TokenRequests %d, want 2 and 4", s.RefreshCount(), s.TokenRequests())
	}
}

func TestRefreshIsSingleUseUnderRace(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	refresh := s.IssueRefreshToken()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for range 20 {
		wg.Go(func() {
			if status, _, _, err := tokenPost(s, refreshFields(refresh)); err != nil {
				t.Error(err)
			} else if status == 200 {
				mu.Lock()
				ok++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if ok != 1 || s.RefreshCount() != 1 || s.TokenRequests() != 20 {
		t.Errorf("%d successes, RefreshCount %d, TokenRequests %d; want 1, 1, 20", ok, s.RefreshCount(), s.TokenRequests())
	}
}

func TestFailRefresh(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	refresh := s.IssueRefreshToken()
	s.FailRefresh(503, 2)
	for i := range 2 {
		if status, _, e := tokenCall(t, s, refreshFields(refresh)); status != 503 || e != "server_error" {
			t.Errorf("call %d: %d %q, want 503 server_error", i, status, e)
		}
	}
	if status, _, _ := tokenCall(t, s, refreshFields(refresh)); status != 200 {
		t.Errorf("after the failures: %d, want 200 (the token was not consumed)", status)
	}
	if s.RefreshCount() != 1 || s.TokenRequests() != 3 {
		t.Errorf("RefreshCount %d TokenRequests %d, want 1 and 3", s.RefreshCount(), s.TokenRequests())
	}
}

func TestRevokeRefreshTokens(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	a, b := s.IssueRefreshToken(), s.IssueRefreshToken()
	s.RevokeRefreshTokens()
	for _, r := range []string{a, b} {
		if status, _, e := tokenCall(t, s, refreshFields(r)); status != 400 || e != "invalid_grant" {
			t.Errorf("revoked: %d %q", status, e)
		}
	}
	c := s.IssueRefreshToken()
	if !s.RevokeRefreshToken(c) || s.RevokeRefreshToken(c) {
		t.Error("RevokeRefreshToken did not report validity")
	}
	if status, _, _ := tokenCall(t, s, refreshFields(s.IssueRefreshToken())); status != 200 {
		t.Errorf("a token issued after revocation: %d, want 200", status)
	}
}

func TestTokenDelay(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.SetTokenDelay(60 * time.Millisecond)
	start := time.Now()
	if status, _, _ := tokenCall(t, s, refreshFields(s.IssueRefreshToken())); status != 200 {
		t.Fatalf("status %d", status)
	}
	if time.Since(start) < 60*time.Millisecond {
		t.Errorf("answered after %v, want at least 60ms", time.Since(start))
	}
}

func TestTokenBadBody(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	resp, err := http.Post(s.TokenURL(), "application/x-www-form-urlencoded",
		strings.NewReader("grant_type=refresh_token&client_id="+ClientID))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Errorf("form body: %d, want 400 (the endpoint takes JSON)", resp.StatusCode)
	}
}

func TestSetLoginAccount(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.SetLoginAccount("second@example.com")
	_, tok, _ := tokenCall(t, s, refreshFields(s.IssueRefreshToken()))
	if tok.Account.EmailAddress != "second@example.com" || tok.Account.UUID != AccountUUID("second@example.com") ||
		tok.Account.UUID == AccountUUID(DefaultEmail) {
		t.Errorf("account %+v", tok.Account)
	}
}

func TestS256(t *testing.T) {
	t.Parallel()
	// The example of RFC 7636, appendix B.
	if got := S256(verifier); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("S256 = %q", got)
	}
}
