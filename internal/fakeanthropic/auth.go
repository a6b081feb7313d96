package fakeanthropic

import (
	"net/http"
	"strings"
	"time"
)

// OAuthBeta is the anthropic-beta value a Bearer (OAuth) request must carry.
const OAuthBeta = "oauth-2025-04-20"

// Messages of the authentication errors, as the real API words them.
const (
	MsgOAuthNotSupported = "OAuth authentication is currently not supported."
	MsgInvalidAPIKey     = "invalid x-api-key"
	MsgTokenExpired      = "OAuth token has expired. Please obtain a new token or refresh your existing token."
	MsgInvalidBearer     = "Invalid bearer token"
	MsgMissingAuth       = "x-api-key header is required"
)

// accessToken is an OAuth access token the fake accepts until it expires.
type accessToken struct {
	expires time.Time
	grant   *grant
}

// credential is the authenticated identity of an API request.
type credential struct {
	value string // the API key or the access token
	oauth bool
}

// AddAPIKey makes key a valid x-api-key.
func (s *Server) AddAPIKey(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apiKeys[key] = true
}

// IssueAPIKey makes a new valid "sk-ant-api03-…" key and returns it.
func (s *Server) IssueAPIKey() string {
	k := newAPIKey()
	s.AddAPIKey(k)
	return k
}

// AddOAuthToken makes access a valid Bearer token until expires, with every scope, for the
// current login account (see [Server.SetLoginAccount]). Adding a known token again changes its
// expiry.
func (s *Server) AddOAuthToken(access string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.access[access] = &accessToken{expires: expires, grant: s.newGrantLocked(FullScope)}
}

// ExpireAccessToken makes a known access token expired from now on, so the next request with it
// gets 401 "OAuth token has expired…". It reports whether the token was known.
func (s *Server) ExpireAccessToken(access string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[access]
	if ok {
		at.expires = s.now().Add(-time.Second)
	}
	return ok
}

// AccessTokenExpiry returns when a known access token expires.
func (s *Server) AccessTokenExpiry(access string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	at, ok := s.access[access]
	if !ok {
		return time.Time{}, false
	}
	return at.expires, true
}

// authenticate checks the credential of an API request as the real API does: an x-api-key
// wins over Authorization; a Bearer token needs OAuthBeta in anthropic-beta, then must be known
// and unexpired.
func (s *Server) authenticate(r *http.Request) (credential, *apiError) {
	if key := r.Header.Get("x-api-key"); key != "" {
		s.mu.Lock()
		ok := s.apiKeys[key]
		s.mu.Unlock()
		if !ok {
			return credential{}, newAPIError(http.StatusUnauthorized, MsgInvalidAPIKey)
		}
		return credential{value: key}, nil
	}
	tok, ok := bearerToken(r.Header)
	if !ok {
		return credential{}, newAPIError(http.StatusUnauthorized, MsgMissingAuth)
	}
	if !HasBeta(r.Header, OAuthBeta) {
		return credential{}, newAPIError(http.StatusUnauthorized, MsgOAuthNotSupported)
	}
	if err := s.checkAccessToken(tok); err != nil {
		return credential{}, err
	}
	return credential{value: tok, oauth: true}, nil
}

// checkAccessToken returns nil if tok is a known, unexpired access token.
func (s *Server) checkAccessToken(tok string) *apiError {
	s.mu.Lock()
	at := s.access[tok]
	s.mu.Unlock()
	switch {
	case at == nil:
		return newAPIError(http.StatusUnauthorized, MsgInvalidBearer)
	case !s.now().Before(at.expires):
		return newAPIError(http.StatusUnauthorized, MsgTokenExpired)
	}
	return nil
}

// HasBeta reports whether the anthropic-beta headers of h (comma-separated lists, possibly on
// several lines) contain beta.
func HasBeta(h http.Header, beta string) bool {
	for _, line := range h.Values("anthropic-beta") {
		for v := range strings.SplitSeq(line, ",") {
			if strings.TrimSpace(v) == beta {
				return true
			}
		}
	}
	return false
}
