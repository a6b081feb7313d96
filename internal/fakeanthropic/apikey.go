package fakeanthropic

import (
	"net/http"
	"slices"
	"strings"
)

// handleCreateAPIKey serves POST /api/oauth/claude_cli/create_api_key: with a valid Bearer
// access token whose scope has org:create_api_key, it answers {"raw_key":"sk-ant-api03-…"} and
// that key becomes valid. The oauth beta header is not required here.
func (s *Server) handleCreateAPIKey(w http.ResponseWriter, r *http.Request, _ []byte) {
	tok, ok := bearerToken(r.Header)
	if !ok {
		writeAPIError(w, newAPIError(http.StatusUnauthorized, "an OAuth access token is required"))
		return
	}
	if err := s.checkAccessToken(tok); err != nil {
		writeAPIError(w, err)
		return
	}
	s.mu.Lock()
	scope := s.access[tok].grant.scope
	s.mu.Unlock()
	if !slices.Contains(strings.Fields(scope), "org:create_api_key") {
		writeAPIError(w, newAPIError(http.StatusForbidden,
			"OAuth token does not meet scope requirement org:create_api_key"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"raw_key": s.IssueAPIKey()})
}
