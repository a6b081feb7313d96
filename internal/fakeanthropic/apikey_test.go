package fakeanthropic

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestCreateAPIKey(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	access, _ := s.IssueTokens()
	// Claude Code calls it with the access token and no oauth beta.
	resp, data := do(t, t.Context(), "POST", s.URL+"/api/oauth/claude_cli/create_api_key", auth{bearer: access}, "{}")
	var got struct {
		RawKey string `json:"raw_key"`
	}
	if err := json.Unmarshal(data, &got); err != nil || resp.StatusCode != 200 || !strings.HasPrefix(got.RawKey, APIKeyPrefix) {
		t.Fatalf("status %d body %s", resp.StatusCode, data)
	}
	if resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", apiKeyAuth(got.RawKey), msgBody); resp.StatusCode != 200 {
		t.Errorf("the new key is refused: %d", resp.StatusCode)
	}
}

func TestCreateAPIKeyErrors(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddOAuthToken("expired", time.Now().Add(-time.Second))
	narrow := narrowToken(t, s)
	tests := []struct {
		name       string
		a          auth
		wantStatus int
		wantType   string
	}{
		{"no token", auth{}, 401, "authentication_error"},
		{"unknown token", auth{bearer: "sk-ant-oat01-x"}, 401, "authentication_error"},
		{"expired token", auth{bearer: "expired"}, 401, "authentication_error"},
		{"api key is not enough", apiKeyAuth(s.IssueAPIKey()), 401, "authentication_error"},
		{"no org:create_api_key scope", auth{bearer: narrow}, 403, "permission_error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			resp, data := do(t, t.Context(), "POST", s.URL+"/api/oauth/claude_cli/create_api_key", tt.a, "{}")
			if typ, _ := apiErr(t, data); resp.StatusCode != tt.wantStatus || typ != tt.wantType {
				t.Errorf("got %d %s, want %d %s", resp.StatusCode, typ, tt.wantStatus, tt.wantType)
			}
		})
	}
}

// narrowToken logs in with scope "user:inference user:profile" and returns the access token.
func narrowToken(t *testing.T, s *Server) string {
	t.Helper()
	q := authorizeParams(loopbackRedirect, verifier, "st")
	q.Set("scope", "user:inference user:profile")
	resp, _ := authorize(t, s, q)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	code := loc.Query().Get("code")
	_, tok, e := tokenCall(t, s, map[string]string{"grant_type": "authorization_code", "code": code,
		"redirect_uri": loopbackRedirect, "client_id": ClientID, "code_verifier": verifier})
	if e != "" || tok.Scope != "user:inference user:profile" {
		t.Fatalf("narrow login: %q scope %q", e, tok.Scope)
	}
	return tok.AccessToken
}
