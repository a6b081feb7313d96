// Package accounts adds, changes and removes accounts: the database row and
// the secret in the credential store together, so that no half-made account
// is ever left behind. The API and the command line both use it.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/store"
)

// Service manages accounts in db with their secrets in creds.
type Service struct {
	DB    *store.DB
	Creds creds.Store
	Now   func() time.Time
}

// ErrInvalid marks a bad input (the API answers 400).
var ErrInvalid = errors.New("invalid input")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// NewID returns a random account id: the key of its secret.
func NewID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ValidateAPIKey checks the shape of a key without revealing it in the error.
func ValidateAPIKey(key string) error {
	switch {
	case key == "":
		return invalid("the API key is empty")
	case len(key) > 512:
		return invalid("the API key is longer than 512 characters")
	case strings.ContainsAny(key, " \t\r\n"):
		return invalid("the API key contains white space")
	}
	return nil
}

// AddAPIKey creates an API-key account. The key goes to the credential store
// first; if the database then refuses the account, the key is removed again.
func (s *Service) AddAPIKey(ctx context.Context, name, key string, priority int) (account.Account, error) {
	if err := account.ValidateName(name); err != nil {
		return account.Account{}, invalid("%v", err)
	}
	if err := account.ValidatePriority(priority); err != nil {
		return account.Account{}, invalid("%v", err)
	}
	if err := ValidateAPIKey(key); err != nil {
		return account.Account{}, err
	}
	return s.Create(ctx, account.Account{Name: name, Kind: account.KindAPIKey, Priority: priority}, creds.Secret{APIKey: key})
}

// Create stores secret and inserts a (validated) account; on any failure
// nothing is left behind.
func (s *Service) Create(ctx context.Context, a account.Account, secret creds.Secret) (account.Account, error) {
	if _, err := s.DB.AccountByName(ctx, a.Name); err == nil {
		return account.Account{}, fmt.Errorf("%w: an account named %q already exists", store.ErrNameTaken, a.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return account.Account{}, err
	}
	a.ID = NewID()
	a.CreatedAt = s.now()
	a.TokenExpiresAt = secret.ExpiresAt
	if err := s.Creds.Set(ctx, a.ID, secret); err != nil {
		return account.Account{}, fmt.Errorf("saving the credential of %q: %w", a.Name, err)
	}
	if err := s.DB.InsertAccount(ctx, a); err != nil {
		_ = s.Creds.Delete(context.WithoutCancel(ctx), a.ID)
		return account.Account{}, fmt.Errorf("adding account %q: %w", a.Name, err)
	}
	return a, nil
}

// Replace stores a new secret for an existing account (a new login) and
// bumps its credential version, which clears needs_login in the running proxy.
func (s *Service) Replace(ctx context.Context, name string, secret creds.Secret) (account.Account, error) {
	a, err := s.Get(ctx, name)
	if err != nil {
		return account.Account{}, err
	}
	if err := s.Creds.Set(ctx, a.ID, secret); err != nil {
		return account.Account{}, fmt.Errorf("saving the credential of %q: %w", name, err)
	}
	f := false
	return s.DB.UpdateAccountSettings(ctx, a.ID, store.AccountSettings{NeedsLogin: &f, BumpCredVersion: true})
}

// Get finds an account by name; an unknown name is store.ErrNotFound with the name in the message.
func (s *Service) Get(ctx context.Context, name string) (account.Account, error) {
	a, err := s.DB.AccountByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return a, fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
	}
	return a, err
}

// Update changes an account's name and/or priority.
func (s *Service) Update(ctx context.Context, name string, newName *string, priority *int) (account.Account, error) {
	if newName != nil {
		if err := account.ValidateName(*newName); err != nil {
			return account.Account{}, invalid("%v", err)
		}
	}
	if priority != nil {
		if err := account.ValidatePriority(*priority); err != nil {
			return account.Account{}, invalid("%v", err)
		}
	}
	a, err := s.Get(ctx, name)
	if err != nil {
		return a, err
	}
	updated, err := s.DB.UpdateAccountSettings(ctx, a.ID, store.AccountSettings{Name: newName, Priority: priority})
	if errors.Is(err, store.ErrNameTaken) {
		return updated, fmt.Errorf("%w: an account named %q already exists", store.ErrNameTaken, *newName)
	}
	return updated, err
}

// SetPaused pauses or resumes an account.
func (s *Service) SetPaused(ctx context.Context, name string, paused bool) (account.Account, error) {
	a, err := s.Get(ctx, name)
	if err != nil {
		return a, err
	}
	return s.DB.UpdateAccountSettings(ctx, a.ID, store.AccountSettings{Paused: &paused})
}

// Remove deletes an account and its secret. The secret goes first: if the
// credential store cannot be reached, the account stays, so nothing is
// orphaned in a keychain the user cannot see into.
func (s *Service) Remove(ctx context.Context, name string) error {
	a, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	if err := s.Creds.Delete(ctx, a.ID); err != nil && !errors.Is(err, creds.ErrNotFound) {
		return fmt.Errorf("removing the credential of %q: %w", name, err)
	}
	return s.DB.DeleteAccount(ctx, a.ID)
}
