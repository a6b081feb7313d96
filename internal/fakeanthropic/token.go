package fakeanthropic

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

// MsgRefreshInvalid is the error_description of an invalid_grant for a refresh token that is
// unknown, already used or revoked.
const MsgRefreshInvalid = "Refresh token not found or invalid"

// tokenRequest is the JSON body of POST /v1/oauth/token.
type tokenRequest struct {
	GrantType    string `json:"grant_type"`
	Code         string `json:"code"`
	RedirectURI  string `json:"redirect_uri"`
	ClientID     string `json:"client_id"`
	CodeVerifier string `json:"code_verifier"`
	State        string `json:"state"`
	RefreshToken string `json:"refresh_token"`
}

// TokenResponse is the answer of the token endpoint.
type TokenResponse struct {
	TokenType    string       `json:"token_type"`
	AccessToken  string       `json:"access_token"`
	RefreshToken string       `json:"refresh_token"`
	ExpiresIn    int          `json:"expires_in"`
	Scope        string       `json:"scope"`
	Organization Organization `json:"organization"`
	Account      Account      `json:"account"`
}

// Account is the account object of a TokenResponse.
type Account struct {
	UUID         string `json:"uuid"`
	EmailAddress string `json:"email_address"`
}

// Organization is the organization object of a TokenResponse.
type Organization struct {
	UUID string `json:"uuid"`
	Name string `json:"name"`
}

// oauthError answers {"error":code,"error_description":desc}.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	writeJSON(w, status, map[string]string{"error": code, "error_description": desc})
}

// S256 returns base64url-nopad(sha256(verifier)), the PKCE code_challenge of a verifier.
func S256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// handleToken serves both grants. Every call counts in TokenRequests and waits SetTokenDelay.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, body []byte) {
	s.mu.Lock()
	s.tokenRequests++
	delay := s.tokenDelay
	s.mu.Unlock()
	if !s.sleep(r.Context(), delay) {
		return
	}
	var req tokenRequest
	if err := json.Unmarshal(body, &req); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "the request body must be a JSON object of strings")
		return
	}
	if req.ClientID != ClientID {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "unknown client_id")
		return
	}
	switch req.GrantType {
	case "authorization_code":
		s.exchangeCode(w, req)
	case "refresh_token":
		s.refreshGrant(w, req)
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
}

// exchangeCode redeems an authorization code. A code is consumed by its first exchange,
// successful or not.
func (s *Server) exchangeCode(w http.ResponseWriter, req tokenRequest) {
	s.mu.Lock()
	c := s.codes[req.Code]
	delete(s.codes, req.Code)
	s.mu.Unlock()
	switch {
	case c == nil || !s.now().Before(c.expires):
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid 'code' in request.")
	case req.RedirectURI != c.redirectURI:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "redirect_uri does not match the authorization request")
	case req.State != "" && req.State != c.state:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "state does not match the authorization request")
	case S256(req.CodeVerifier) != c.challenge:
		oauthError(w, http.StatusBadRequest, "invalid_grant", "Invalid code_verifier")
	default:
		s.mu.Lock()
		resp := s.issueLocked(c.grant)
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, resp)
	}
}

// refreshGrant rotates a refresh token: it works once and gives a new access and refresh
// token. Failures set by FailRefresh come first and do not consume the token.
func (s *Server) refreshGrant(w http.ResponseWriter, req tokenRequest) {
	s.mu.Lock()
	if s.failLeft > 0 {
		s.failLeft--
		status := s.failStatus
		s.mu.Unlock()
		oauthError(w, status, "server_error", "the token service is temporarily unavailable")
		return
	}
	g := s.refresh[req.RefreshToken]
	if g == nil {
		s.mu.Unlock()
		oauthError(w, http.StatusBadRequest, "invalid_grant", MsgRefreshInvalid)
		return
	}
	delete(s.refresh, req.RefreshToken)
	s.refreshCount++
	resp := s.issueLocked(g)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, resp)
}

// issueLocked makes a new access and refresh token for g.
func (s *Server) issueLocked(g *grant) TokenResponse {
	access, refresh := newAccessToken(), newRefreshToken()
	s.access[access] = &accessToken{expires: s.now().Add(s.opts.AccessTokenTTL), grant: g}
	s.refresh[refresh] = g
	return TokenResponse{
		TokenType:    "Bearer",
		AccessToken:  access,
		RefreshToken: refresh,
		ExpiresIn:    int(s.opts.AccessTokenTTL / time.Second),
		Scope:        g.scope,
		Organization: Organization{UUID: uuidFor("org:" + g.email), Name: g.email + "'s Organization"},
		Account:      Account{UUID: g.uuid, EmailAddress: g.email},
	}
}

// IssueRefreshToken returns a new valid, unused refresh token (with FullScope, for the login
// account), as if a login had happened.
func (s *Server) IssueRefreshToken() string {
	_, refresh := s.IssueTokens()
	return refresh
}

// IssueTokens returns a new valid access token (living Options.AccessTokenTTL) and refresh
// token, with FullScope, for the login account.
func (s *Server) IssueTokens() (access, refresh string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	resp := s.issueLocked(s.newGrantLocked(FullScope))
	return resp.AccessToken, resp.RefreshToken
}

// FailRefresh makes the next n refresh_token grants fail with status (such as 500 or 503) and
// {"error":"server_error",…}, without consuming the refresh token. n = 0 cancels.
func (s *Server) FailRefresh(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus, s.failLeft = status, n
}

// RevokeRefreshTokens invalidates every refresh token issued so far: their refreshes get
// invalid_grant. Tokens issued later work.
func (s *Server) RevokeRefreshTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.refresh)
}

// RevokeRefreshToken invalidates one refresh token and reports whether it was valid.
func (s *Server) RevokeRefreshToken(refresh string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.refresh[refresh]
	delete(s.refresh, refresh)
	return ok
}

// SetTokenDelay makes every token endpoint call wait d before answering (for single-flight
// tests). 0 removes the delay.
func (s *Server) SetTokenDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenDelay = d
}

// RefreshCount is the number of successful refresh_token grants.
func (s *Server) RefreshCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refreshCount
}

// TokenRequests is the number of calls to the token endpoint, of any grant and outcome.
func (s *Server) TokenRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokenRequests
}
