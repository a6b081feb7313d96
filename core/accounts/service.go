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
	"github.com/claudeflare/claudeflare/core/clock"
	"strconv"
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
	Now   clock.Clock
}

// ErrInvalid marks a bad input (the API answers 400).
var ErrInvalid = errors.New("invalid input")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

func (s *Service) now() time.Time {
	return s.Now.Now()
}

// NewID returns a random account id: the key of its secret.
func NewID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// IsID reports whether id has the shape NewID gives account ids (24
// lower-case hex digits), unlike the credential store's other entries (the
// client key): only such ids are account secrets that a clean-up may remove.
func IsID(id string) bool {
	if len(id) != 24 {
		return false
	}
	for _, r := range id {
		if (r < '0' || r > '9') && (r < 'a' || r > 'f') {
			return false
		}
	}
	return true
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
// nothing is left behind. The name is checked ignoring case, once here (so
// a taken name never touches the credential store) and again, for good, in
// the transaction that inserts the row. The secret and the row are written
// under the credential store's cross-process lock (creds.Locked), so that a
// start's orphan clean-up in another process never sees the secret without
// its row and removes it.
func (s *Service) Create(ctx context.Context, a account.Account, secret creds.Secret) (account.Account, error) {
	if other, err := s.Get(ctx, a.Name); err == nil {
		if other.Name != a.Name {
			return account.Account{}, fmt.Errorf("%w: an account named %q already exists, and names are unique ignoring case", store.ErrNameTaken, other.Name)
		}
		return account.Account{}, fmt.Errorf("%w: an account named %q already exists", store.ErrNameTaken, a.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return account.Account{}, err
	}
	a.ID = NewID()
	a.CreatedAt = s.now()
	a.TokenExpiresAt = secret.ExpiresAt
	err := creds.Locked(ctx, s.Creds, func(ctx context.Context) error {
		if err := s.Creds.Set(ctx, a.ID, secret); err != nil {
			return fmt.Errorf("saving the credential of %q: %w", a.Name, err)
		}
		if err := s.DB.InsertAccount(ctx, a); err != nil {
			_ = s.Creds.Delete(context.WithoutCancel(ctx), a.ID)
			return err
		}
		return nil
	})
	if err != nil {
		return account.Account{}, err
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

// Get finds an account by name: the account with exactly that name, else
// the one whose name is that ignoring case (names are unique ignoring case,
// so "Work" means "work"). An older database may hold several names that
// differ only in case; then only the exact name finds one, and the error
// lists them. An unknown name is store.ErrNotFound with the name in the
// message.
func (s *Service) Get(ctx context.Context, name string) (account.Account, error) {
	a, err := s.DB.AccountByName(ctx, name)
	if !errors.Is(err, store.ErrNotFound) {
		return a, err
	}
	list, err := s.DB.AccountsNamedFold(ctx, name)
	switch {
	case err != nil:
		return account.Account{}, err
	case len(list) == 1:
		return list[0], nil
	case len(list) > 1:
		var names []string
		for _, a := range list {
			names = append(names, strconv.Quote(a.Name))
		}
		return account.Account{}, fmt.Errorf("%w: no account is named exactly %q, and %d differ from it only in case (%s): use the exact name",
			store.ErrNotFound, name, len(list), strings.Join(names, ", "))
	}
	return account.Account{}, fmt.Errorf("%w: no account named %q", store.ErrNotFound, name)
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
	return s.DB.UpdateAccountSettings(ctx, a.ID, store.AccountSettings{Name: newName, Priority: priority})
}

// SetPaused pauses or resumes an account.
func (s *Service) SetPaused(ctx context.Context, name string, paused bool) (account.Account, error) {
	a, err := s.Get(ctx, name)
	if err != nil {
		return a, err
	}
	return s.DB.UpdateAccountSettings(ctx, a.ID, store.AccountSettings{Paused: &paused})
}

// Remove deletes an account and its secret, the row first (docs/DESIGN.md, "Files that several processes share"): a
// crash in between leaves an orphaned secret, which is harmless and is
// cleaned at the next start where the store can list its entries (the file
// store), never an account without its secret. A credential store that
// cannot be reached is found out before anything is deleted (the secret is
// read first), so the account stays rather than leave a secret behind in a
// keychain, which cannot be listed and so is never cleaned.
func (s *Service) Remove(ctx context.Context, name string) error {
	a, err := s.Get(ctx, name)
	if err != nil {
		return err
	}
	if _, err := s.Creds.Get(ctx, a.ID); err != nil && !errors.Is(err, creds.ErrNotFound) {
		return fmt.Errorf("removing %q: its credential cannot be reached, so nothing was removed: %w", a.Name, err)
	}
	if err := s.DB.DeleteAccount(ctx, a.ID); err != nil {
		return err
	}
	if err := s.Creds.Delete(ctx, a.ID); err != nil && !errors.Is(err, creds.ErrNotFound) {
		return fmt.Errorf("account %q was removed, but its credential (id %s) is left in the %s: %w",
			a.Name, a.ID, s.Creds.Describe(), err)
	}
	return nil
}
