// Package oauth logs Claude accounts in through the browser (OAuth 2.0 with
// PKCE, docs/DESIGN.md, "Logging in and tokens") and keeps their access tokens fresh while the proxy runs.
//
// A login ([Service.Start]) builds an authorize URL, waits for the browser's
// redirect on a loopback listener (or for the user to paste "code#state"
// when that is not possible), exchanges the code for tokens and stores the
// account through accounts.Service, so that a failed login leaves nothing
// behind. [Logins] keeps logins for the HTTP API. [TokenSource] refreshes
// access tokens for the proxy, one refresh per account at a time.
//
// Tokens never appear in errors, logs or answers: errors from Anthropic's
// endpoints carry only their error code and description.
package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// Facts about Anthropic's OAuth service (docs/DESIGN.md, "Logging in and tokens").
const (
	// ClientID is Claude Code's public OAuth client id.
	ClientID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e"
	// Scope is what a login asks for.
	Scope = "org:create_api_key user:profile user:inference"
	// ClaudeAuthorizeURL is where Pro and Max users log in (mode claude).
	ClaudeAuthorizeURL = "https://claude.ai/oauth/authorize"
	// ConsoleAuthorizeURL is where Console users log in (mode console).
	ConsoleAuthorizeURL = "https://console.anthropic.com/oauth/authorize"
	// DefaultTokenURL is the token endpoint (JSON bodies).
	DefaultTokenURL = "https://platform.claude.com/v1/oauth/token"
	// ManualRedirectURI is the redirect of the paste-the-code flow: the page
	// there shows "code#state" for the user to copy.
	ManualRedirectURI = "https://platform.claude.com/oauth/code/callback"
	// CreateAPIKeyPath, under upstream_url, turns a console login into an API key.
	CreateAPIKeyPath = "/api/oauth/claude_cli/create_api_key"
	// DefaultCallbackPort is the loopback port of the automatic flow.
	DefaultCallbackPort = 54545
	// CallbackPath is where the browser is redirected on the loopback listener.
	CallbackPath = "/callback"
	// DefaultLoginTimeout is how long a login waits for the user.
	DefaultLoginTimeout = 10 * time.Minute
)

// Environment variables read by [EndpointsFromEnv].
const (
	EnvAuthorizeURL = "CLAUDEFLARE_AUTHORIZE_URL"
	EnvTokenURL     = "CLAUDEFLARE_TOKEN_URL"
	// EnvCallbackPort moves the loopback listener off 54545. It exists for
	// tests that log in in parallel; the real authorize server only accepts
	// the redirect URIs Claude Code registered, so leave it unset otherwise.
	// "0" picks any free port.
	EnvCallbackPort = "CLAUDEFLARE_OAUTH_CALLBACK_PORT"
)

// Mode is the kind of login: a Claude subscription or a Console account.
type Mode string

const (
	// ModeClaude logs a Pro or Max subscription in; the account keeps OAuth tokens.
	ModeClaude Mode = "claude"
	// ModeConsole logs a Console account in and makes an API key from it.
	ModeConsole Mode = "console"
)

// ParseMode accepts "claude" and "console"; "" means claude.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", ModeClaude:
		return ModeClaude, nil
	case ModeConsole:
		return ModeConsole, nil
	}
	return "", invalid("mode must be %q or %q, got %q", ModeClaude, ModeConsole, s)
}

// Endpoints are the URLs a login talks to and the loopback port it listens on.
// The zero value means the production endpoints.
type Endpoints struct {
	// AuthorizeURL replaces the authorize URL of both modes when not "".
	AuthorizeURL string
	// TokenURL replaces DefaultTokenURL when not "".
	TokenURL string
	// CallbackPort replaces DefaultCallbackPort when not nil; 0 picks a free port.
	CallbackPort *int
}

// Authorize is the authorize URL for mode.
func (e Endpoints) Authorize(mode Mode) string {
	switch {
	case e.AuthorizeURL != "":
		return e.AuthorizeURL
	case mode == ModeConsole:
		return ConsoleAuthorizeURL
	}
	return ClaudeAuthorizeURL
}

// Token is the token endpoint.
func (e Endpoints) Token() string {
	if e.TokenURL != "" {
		return e.TokenURL
	}
	return DefaultTokenURL
}

// Port is the loopback callback port.
func (e Endpoints) Port() int {
	if e.CallbackPort != nil {
		return *e.CallbackPort
	}
	return DefaultCallbackPort
}

// EndpointsFromEnv reads the overrides CLAUDEFLARE_AUTHORIZE_URL,
// CLAUDEFLARE_TOKEN_URL and CLAUDEFLARE_OAUTH_CALLBACK_PORT through lookup
// (os.LookupEnv in production; nil reads nothing). A bad value is an error
// naming the variable.
func EndpointsFromEnv(lookup func(string) (string, bool)) (Endpoints, error) {
	var e Endpoints
	if lookup == nil {
		return e, nil
	}
	for _, v := range []struct {
		name string
		dst  *string
	}{{EnvAuthorizeURL, &e.AuthorizeURL}, {EnvTokenURL, &e.TokenURL}} {
		s, ok := lookup(v.name)
		if !ok || s == "" {
			continue
		}
		if err := checkHTTPURL(s); err != nil {
			return Endpoints{}, fmt.Errorf("%s: %w", v.name, err)
		}
		*v.dst = s
	}
	if s, ok := lookup(EnvCallbackPort); ok && s != "" {
		p, err := strconv.Atoi(s)
		if err != nil || p < 0 || p > 65535 {
			return Endpoints{}, fmt.Errorf("%s: must be a port number 0 … 65535, got %q", EnvCallbackPort, s)
		}
		e.CallbackPort = &p
	}
	return e, nil
}

func checkHTTPURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("must be an absolute http(s) URL")
	}
	return nil
}
