package fakeanthropic

import (
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// OAuth facts the fake checks, as Claude Code uses them.
const (
	// ClientID is the only client_id the fake accepts.
	ClientID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
	// ManualRedirectURI is the redirect_uri of the paste-the-code flow: the authorize page
	// then shows "<code>#<state>" in the element with id="code" (see [ManualCode]).
	ManualRedirectURI = "https://platform.claude.com/oauth/code/callback"
	// FullScope is the scope of tokens made by AddOAuthToken, IssueRefreshToken and
	// IssueTokens.
	FullScope = "org:create_api_key user:profile user:inference"
	// DefaultEmail is the e-mail address of the login account until SetLoginAccount.
	DefaultEmail = "user@example.com"
	// CodeTTL is how long an authorization code can be exchanged.
	CodeTTL = 10 * time.Minute
)

// knownScopes are the scopes the fake grants.
var knownScopes = map[string]bool{
	"org:create_api_key": true, "user:profile": true, "user:inference": true,
	"user:sessions:claude_code": true, "user:mcp_servers": true,
}

// grant is what a login granted: an account and a scope. Tokens carry it along refreshes.
type grant struct {
	email, uuid, scope string
}

// authCode is an authorization code waiting to be exchanged once.
type authCode struct {
	challenge, redirectURI, state string
	grant                         *grant
	expires                       time.Time
}

func (s *Server) newGrantLocked(scope string) *grant {
	return &grant{email: s.loginEmail, uuid: uuidFor(s.loginEmail), scope: scope}
}

// SetLoginAccount sets the account (by e-mail address; its UUID is derived from it) that
// later logins, IssueRefreshToken, IssueTokens and AddOAuthToken belong to.
func (s *Server) SetLoginAccount(email string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loginEmail = email
}

// AccountUUID is the account UUID the fake reports for an e-mail address.
func AccountUUID(email string) string { return uuidFor(email) }

// DenyNextAuthorize makes the next valid authorize request answer as if the user clicked
// "Deny": a redirect with error=access_denied and the state (or, for ManualRedirectURI, a page
// whose element id="error" says access_denied).
func (s *Server) DenyNextAuthorize() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denyLeft++
}

// handleAuthorize approves (or denies) a login at once, like a user who is signed in.
// A bad client_id, redirect_uri or a missing state gets a 400 page; other errors go back to
// the client by redirect, as OAuth says.
func (s *Server) handleAuthorize(w http.ResponseWriter, r *http.Request, _ []byte) {
	q := r.URL.Query()
	redirectURI, state := q.Get("redirect_uri"), q.Get("state")
	loopback, manual := isLoopbackRedirect(redirectURI), redirectURI == ManualRedirectURI
	switch {
	case q.Get("client_id") != ClientID:
		authorizePage(w, http.StatusBadRequest, "error", "invalid_client: unknown client_id")
		return
	case !loopback && !manual:
		authorizePage(w, http.StatusBadRequest, "error", "invalid_request: redirect_uri is not allowed")
		return
	case state == "":
		authorizePage(w, http.StatusBadRequest, "error", "invalid_request: state is required")
		return
	}
	fail := func(code, desc string) {
		if manual {
			authorizePage(w, http.StatusOK, "error", code+": "+desc)
			return
		}
		redirect(w, r, redirectURI, url.Values{"error": {code}, "error_description": {desc}, "state": {state}})
	}
	challenge := q.Get("code_challenge")
	if q.Get("response_type") != "code" {
		fail("unsupported_response_type", "response_type must be code")
		return
	}
	if q.Get("code_challenge_method") != "S256" || !isS256Challenge(challenge) {
		fail("invalid_request", "a code_challenge with code_challenge_method S256 is required")
		return
	}
	scope, ok := checkScope(q.Get("scope"))
	if !ok {
		fail("invalid_scope", "unknown or missing scope")
		return
	}
	s.mu.Lock()
	deny := s.denyLeft > 0
	if deny {
		s.denyLeft--
	}
	code := randomToken(32)
	if !deny {
		s.codes[code] = &authCode{challenge: challenge, redirectURI: redirectURI, state: state,
			grant: s.newGrantLocked(scope), expires: s.now().Add(CodeTTL)}
	}
	s.mu.Unlock()
	switch {
	case deny:
		fail("access_denied", "The user denied the request")
	case manual:
		authorizePage(w, http.StatusOK, "code", code+"#"+state)
	default:
		redirect(w, r, redirectURI, url.Values{"code": {code}, "state": {state}})
	}
}

// isLoopbackRedirect reports whether u is an http URL on localhost or a loopback IP.
func isLoopbackRedirect(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" {
		return false
	}
	h := p.Hostname()
	return h == "localhost" || h == "127.0.0.1" || h == "::1"
}

// isS256Challenge reports whether c looks like base64url-nopad(sha256(…)): 43 characters.
func isS256Challenge(c string) bool {
	return len(c) == 43 && strings.Trim(c,
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == ""
}

// checkScope returns the space-separated scope if every entry is known.
func checkScope(scope string) (string, bool) {
	fields := strings.Fields(scope)
	for _, f := range fields {
		if !knownScopes[f] {
			return "", false
		}
	}
	return strings.Join(fields, " "), len(fields) > 0
}

// redirect answers 302 to target with params added to its query.
func redirect(w http.ResponseWriter, r *http.Request, target string, params url.Values) {
	u, _ := url.Parse(target) // already parsed once by the caller's checks
	q := u.Query()
	for k, v := range params {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}

// authorizePage answers an HTML page with text inside the element of the given id.
func authorizePage(w http.ResponseWriter, status int, id, text string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html>\n<html><head><title>Claude</title></head><body>\n"+
		"<p>Paste this code into Claude Code:</p>\n<div id=%q>%s</div>\n</body></html>\n",
		id, html.EscapeString(text))
}

var (
	codeElem  = regexp.MustCompile(`id="code">([^<]*)<`)
	errorElem = regexp.MustCompile(`id="error">([^<]*)<`)
)

// ManualCode returns the "<code>#<state>" shown by the authorize page for ManualRedirectURI,
// or an error carrying the page's error (such as "access_denied: …").
func ManualCode(page []byte) (string, error) {
	if m := codeElem.FindSubmatch(page); m != nil {
		return html.UnescapeString(string(m[1])), nil
	}
	if m := errorElem.FindSubmatch(page); m != nil {
		return "", errors.New(html.UnescapeString(string(m[1])))
	}
	return "", errors.New("no code on the page")
}
