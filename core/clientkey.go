package core

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/claudeflare/claudeflare/core/creds"
)

// ClientKeyID is the credential-store entry of the remote-use client key.
const ClientKeyID = "client-key"

// clientKeyCache keeps the client key in memory, so the guard never waits
// on the keychain.
type clientKeyCache struct{ v atomic.Value }

func (k *clientKeyCache) get() string {
	s, _ := k.v.Load().(string)
	return s
}

func (k *clientKeyCache) load(ctx context.Context, store creds.Store) error {
	key, err := ClientKey(ctx, store)
	if err != nil {
		return err
	}
	k.v.Store(key)
	return nil
}

// ClientKey returns the remote-use client key, making and storing one on
// first use. The look-up and the first save hold the store's cross-process
// lock, so two processes starting at once agree on one key.
func ClientKey(ctx context.Context, store creds.Store) (key string, err error) {
	err = creds.Locked(ctx, store, func(ctx context.Context) error {
		s, err := store.Get(ctx, ClientKeyID)
		if err == nil && s.APIKey != "" {
			key = s.APIKey
			return nil
		}
		if err != nil && !errors.Is(err, creds.ErrNotFound) {
			return fmt.Errorf("reading the client key: %w", err)
		}
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		key = "cfk-" + base64.RawURLEncoding.EncodeToString(b)
		if err := store.Set(ctx, ClientKeyID, creds.Secret{APIKey: key}); err != nil {
			return fmt.Errorf("saving the client key: %w", err)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return key, nil
}
