package fakeanthropic

import (
	"net/http"
	"testing"
	"time"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	s.AddAPIKey("sk-ant-api03-good")
	s.AddOAuthToken("sk-ant-oat01-good", time.Now().Add(time.Hour))
	s.AddOAuthToken("sk-ant-oat01-expired", time.Now().Add(-time.Minute))

	tests := []struct {
		name       string
		auth       auth
		wantStatus int
		wantMsg    string
	}{
		{"api key", apiKeyAuth("sk-ant-api03-good"), 200, ""},
		{"unknown api key", apiKeyAuth("sk-ant-api03-bad"), 401, MsgInvalidAPIKey},
		{"no credential", auth{}, 401, MsgMissingAuth},
		{"bearer with beta", oauthAuth("sk-ant-oat01-good"), 200, ""},
		{"bearer with beta alone", auth{bearer: "sk-ant-oat01-good", beta: OAuthBeta}, 200, ""},
		{"bearer with spaced beta list", auth{bearer: "sk-ant-oat01-good", beta: "a-1 , " + OAuthBeta + " ,b-2"}, 200, ""},
		{"bearer without beta", auth{bearer: "sk-ant-oat01-good"}, 401, MsgOAuthNotSupported},
		{"bearer with other betas", auth{bearer: "sk-ant-oat01-good", beta: "claude-code-20250219,oauth-2025-04-2"}, 401, MsgOAuthNotSupported},
		{"unknown bearer without beta", auth{bearer: "sk-ant-oat01-nope"}, 401, MsgOAuthNotSupported},
		{"unknown bearer", oauthAuth("sk-ant-oat01-nope"), 401, MsgInvalidBearer},
		{"expired bearer", oauthAuth("sk-ant-oat01-expired"), 401, MsgTokenExpired},
		{"api key wins over bearer", auth{apiKey: "sk-ant-api03-good", bearer: "junk"}, 200, ""},
		{"bad api key with good bearer", auth{apiKey: "sk-ant-api03-bad", bearer: "sk-ant-oat01-good", beta: OAuthBeta}, 401, MsgInvalidAPIKey},
	}
	endpoints := []struct{ method, path, body string }{
		{http.MethodPost, "/v1/messages?beta=true", msgBody},
		{http.MethodPost, "/v1/messages/count_tokens", msgBody},
		{http.MethodGet, "/v1/models", ""},
	}
	for _, tt := range tests {
		for _, ep := range endpoints {
			t.Run(tt.name+" "+ep.path, func(t *testing.T) {
				t.Parallel()
				resp, data := do(t, t.Context(), ep.method, s.URL+ep.path, tt.auth, ep.body)
				if resp.StatusCode != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, data)
				}
				if tt.wantStatus == 200 {
					return
				}
				typ, msg := apiErr(t, data)
				if typ != "authentication_error" || msg != tt.wantMsg {
					t.Errorf("error = %s %q, want authentication_error %q", typ, msg, tt.wantMsg)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type = %q, want application/json", ct)
				}
			})
		}
	}
}

func TestExpireAccessToken(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{})
	access, _ := s.IssueTokens()
	if resp, _ := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody); resp.StatusCode != 200 {
		t.Fatalf("fresh token: status %d", resp.StatusCode)
	}
	if !s.ExpireAccessToken(access) {
		t.Fatal("ExpireAccessToken did not know the token")
	}
	resp, data := do(t, t.Context(), "POST", s.URL+"/v1/messages", oauthAuth(access), msgBody)
	if _, msg := apiErr(t, data); resp.StatusCode != 401 || msg != MsgTokenExpired {
		t.Fatalf("expired token: %d %q", resp.StatusCode, msg)
	}
	if s.ExpireAccessToken("unknown") {
		t.Error("ExpireAccessToken reported an unknown token as known")
	}
}

func TestIssuedTokenLivesTTL(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, Options{AccessTokenTTL: 90 * time.Second})
	before := time.Now()
	access, _ := s.IssueTokens()
	exp, ok := s.AccessTokenExpiry(access)
	if !ok || exp.Before(before.Add(90*time.Second)) || exp.After(time.Now().Add(90*time.Second)) {
		t.Fatalf("expiry = %v (known %v), want about now + 90s", exp, ok)
	}
}

func TestHasBeta(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		want  bool
	}{
		{"none", nil, false},
		{"only", []string{OAuthBeta}, true},
		{"in list", []string{"a," + OAuthBeta + ",b"}, true},
		{"second line", []string{"a,b", OAuthBeta}, true},
		{"prefix only", []string{"oauth-2025-04-20x"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, l := range tt.lines {
				h.Add("anthropic-beta", l)
			}
			if got := HasBeta(h, OAuthBeta); got != tt.want {
				t.Errorf("HasBeta(%q) = %v, want %v", tt.lines, got, tt.want)
			}
		})
	}
}
