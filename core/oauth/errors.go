package oauth

import (
	"errors"
	"fmt"
	"strings"

	"github.com/claudeflare/claudeflare/core/accounts"
)

var (
	// ErrStateMismatch: the redirect or pasted code carried a state other than
	// the login's (a forged or stale redirect). The login fails.
	ErrStateMismatch = errors.New("the login's state does not match: this code belongs to another login attempt (or was forged); start the login again")
	// ErrBadCode: a pasted value is not "code#state". The login goes on
	// waiting for a good one.
	ErrBadCode = errors.New("paste the whole code shown after logging in, in the form code#state")
	// ErrDenied: the authorize page sent the user back with an error, such
	// as access_denied. The login fails.
	ErrDenied = errors.New("the login was not authorized")
	// ErrTimedOut: nobody finished the login in time.
	ErrTimedOut = errors.New("the login timed out")
	// ErrCancelled: the login was cancelled.
	ErrCancelled = errors.New("the login was cancelled")
	// ErrFinished: the login already succeeded or failed; start a new one.
	ErrFinished = errors.New("this login has already finished")
	// ErrUnknownSession: no login has that session id (or it was forgotten).
	ErrUnknownSession = errors.New("no login has this session id")
	// ErrInProgress: a login for the same account name is already waiting.
	ErrInProgress = errors.New("a login for this account is already in progress")
	// ErrUpstream: Anthropic's OAuth service could not be reached or gave an
	// answer that is not an OAuth error (TokenError covers those).
	ErrUpstream = errors.New("the Anthropic login service failed")
)

// invalid marks a bad input; it wraps accounts.ErrInvalid, so the API answers 400.
func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", accounts.ErrInvalid, fmt.Sprintf(format, args...))
}

// TokenError is an error answer of the token endpoint, such as
// {"error":"invalid_grant","error_description":"…"}. It carries no token.
type TokenError struct {
	Status      int    // the HTTP status
	Code        string // the "error" field; "" when the body was not an OAuth error
	Description string // the "error_description" field
}

func (e *TokenError) Error() string {
	var b strings.Builder
	b.WriteString("token endpoint answered ")
	fmt.Fprintf(&b, "HTTP %d", e.Status)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	return b.String()
}

// InvalidGrant reports whether err is the token endpoint refusing a code
// or refresh token (invalid_grant): only a new login helps.
func InvalidGrant(err error) bool {
	var te *TokenError
	return errors.As(err, &te) && te.Code == "invalid_grant"
}

// minSecret is the shortest value scrub redacts. Real codes, verifiers and
// tokens are far longer; redacting a short one (a mistyped pasted code such
// as "a") would only mangle the text around it, error codes included.
const minSecret = 8

// scrub removes secrets from text that came from a server, and bounds its length.
func scrub(text string, secrets ...string) string {
	for _, s := range secrets {
		if len(s) >= minSecret {
			text = strings.ReplaceAll(text, s, "[redacted]")
		}
	}
	text = strings.ToValidUTF8(text, "?")
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}
