package keychain

import "github.com/zalando/go-keyring"

// Backend is the part of go-keyring that Keychain uses. Production code uses
// go-keyring's package functions (the OS keychain, or keyring.MockInit's
// in-memory store); tests can supply their own, for example one that hangs.
// Implementations return keyring.ErrNotFound when no item matches.
type Backend interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// GoKeyring is the Backend over go-keyring's package functions.
type GoKeyring struct{}

// Get calls keyring.Get.
func (GoKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }

// Set calls keyring.Set.
func (GoKeyring) Set(service, user, password string) error {
	return keyring.Set(service, user, password)
}

// Delete calls keyring.Delete.
func (GoKeyring) Delete(service, user string) error { return keyring.Delete(service, user) }
