// Package keychain is the credential store over the OS keychain (docs/DESIGN.md, "Secrets"):
// go-keyring with service "claudeflare", user = account id and, as the
// value, the JSON of creds.Secret.
//
// Every keychain call runs in its own goroutine under a timeout, so a locked
// or hung keychain gives the caller an error wrapping creds.ErrUnavailable
// instead of hanging it. Calls are serialized: a hung keychain holds at most
// one goroutine, and the calls queued behind it time out too.
package keychain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/zalando/go-keyring"
)

// Service is the keychain service name under which every secret is stored.
const Service = "claudeflare"

// DefaultTimeout bounds each keychain call when Keychain.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Keychain implements creds.Store over the OS keychain. The zero value is
// ready to use (go-keyring, DefaultTimeout); it is safe for concurrent use.
// Do not change Backend or Timeout after first use.
type Keychain struct {
	// Backend performs the keychain calls; nil means GoKeyring.
	Backend Backend
	// Timeout bounds each call; zero means DefaultTimeout.
	Timeout time.Duration

	once sync.Once
	slot chan struct{} // capacity 1: the one call allowed at the keychain
}

var _ creds.Store = (*Keychain)(nil)

// New returns a Keychain over go-keyring with DefaultTimeout.
func New() *Keychain { return &Keychain{} }

// Describe names the backend for users.
func (k *Keychain) Describe() string {
	switch runtime.GOOS {
	case "darwin":
		return "OS keychain (macOS Keychain)"
	case "windows":
		return "OS keychain (Windows Credential Manager)"
	default:
		return "OS keychain (Secret Service)"
	}
}

// Get returns the secret stored for account id, creds.ErrNotFound if there is
// none, or an error wrapping creds.ErrUnavailable if the keychain cannot be
// reached or does not answer in time.
func (k *Keychain) Get(ctx context.Context, id string) (creds.Secret, error) {
	var value string
	err := k.call(ctx, func(b Backend) (err error) {
		value, err = b.Get(Service, id)
		return err
	})
	if err != nil {
		return creds.Secret{}, fmt.Errorf("reading credentials of account %q from keychain: %w", id, mapError(err))
	}
	var s creds.Secret
	if err := json.Unmarshal([]byte(value), &s); err != nil {
		// The JSON error could quote part of the value: leave it out.
		return creds.Secret{}, fmt.Errorf("reading credentials of account %q from keychain: the stored item is not valid JSON; remove the account and add it again", id)
	}
	return s, nil
}

// Set stores s for account id, replacing any earlier value.
func (k *Keychain) Set(ctx context.Context, id string, s creds.Secret) error {
	value, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding credentials of account %q: %w", id, err)
	}
	err = k.call(ctx, func(b Backend) error { return b.Set(Service, id, string(value)) })
	if err != nil {
		err = redact(err, string(value), s.APIKey, s.AccessToken, s.RefreshToken)
		return fmt.Errorf("storing credentials of account %q in keychain: %w", id, mapError(err))
	}
	return nil
}

// Delete removes the secret of account id. It returns an error wrapping
// creds.ErrNotFound if there was none.
func (k *Keychain) Delete(ctx context.Context, id string) error {
	err := k.call(ctx, func(b Backend) error { return b.Delete(Service, id) })
	if err != nil {
		return fmt.Errorf("deleting credentials of account %q from keychain: %w", id, mapError(err))
	}
	return nil
}

// mapError turns a backend error into the creds error callers test for:
// keyring.ErrNotFound becomes creds.ErrNotFound, an oversized value stays as
// it is, and anything else (no D-Bus, locked collection, timeout) is
// creds.ErrUnavailable with the remedies.
func mapError(err error) error {
	switch {
	case errors.Is(err, keyring.ErrNotFound):
		return creds.ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig),
		errors.Is(err, creds.ErrUnavailable),
		errors.Is(err, context.Canceled),
		errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		return creds.UnavailableError(err)
	}
}
