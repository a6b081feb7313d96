// Package creds defines the credential store: the only place where access
// tokens, refresh tokens and API keys are kept (docs/DESIGN.md, "Secrets").
package creds

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Secret is the value stored per account, as one small JSON document.
type Secret struct {
	APIKey       string    `json:"api_key,omitempty"`
	AccessToken  string    `json:"access_token,omitempty"`
	RefreshToken string    `json:"refresh_token,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
}

// String never reveals the secret, so a stray %v in a log or error is harmless.
func (s Secret) String() string { return "[redacted credentials]" }

// GoString keeps %#v from revealing the secret.
func (s Secret) GoString() string { return s.String() }

// LogValue keeps slog from revealing the secret.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

var (
	// ErrNotFound: no secret is stored for that account id.
	ErrNotFound = errors.New("no credentials stored for this account")
	// ErrUnavailable: the store cannot be reached (no keychain, locked, timed out).
	ErrUnavailable = errors.New("credential store unavailable")
)

// Store keeps one Secret per account id. Implementations must be safe for
// concurrent use and must honour ctx so that a hung backend cannot hang callers.
type Store interface {
	Get(ctx context.Context, id string) (Secret, error)
	Set(ctx context.Context, id string, s Secret) error
	Delete(ctx context.Context, id string) error
	// Describe names the backend for users, e.g. "OS keychain" or "file ~/.claudeflare/credentials.json".
	Describe() string
}

// UnavailableError explains how to get past an unavailable keychain; it wraps ErrUnavailable.
func UnavailableError(cause error) error {
	return fmt.Errorf("%w: %v; unlock or start the OS keychain (Secret Service, Keychain Access, Credential Manager), "+
		"or opt into the file store with `claudeflare config set credential_store file` (CLAUDEFLARE_CREDENTIAL_STORE=file)", ErrUnavailable, cause)
}
