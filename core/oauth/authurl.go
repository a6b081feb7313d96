package oauth

import (
	"fmt"
	"net/url"
)

// AuthorizeURL builds the URL the browser opens: base (an authorize
// endpoint, possibly with a query of its own) plus code=true, client_id,
// response_type=code, redirect_uri, scope, code_challenge,
// code_challenge_method=S256 and state.
func AuthorizeURL(base, redirectURI, challenge, state string) (string, error) {
	u, err := url.Parse(base)
	if err != nil {
		return "", fmt.Errorf("authorize URL %q: %w", base, err)
	}
	q := u.Query()
	q.Set("code", "true")
	q.Set("client_id", ClientID)
	q.Set("response_type", "code")
	q.Set("redirect_uri", redirectURI)
	q.Set("scope", Scope)
	q.Set("code_challenge", challenge)
	q.Set("code_challenge_method", "S256")
	q.Set("state", state)
	u.RawQuery = q.Encode()
	return u.String(), nil
}
