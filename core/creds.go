package core

import (
	"context"
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/store"
)

func (c *Core) openCreds(kind string) error {
	s, err := c.opts.OpenCreds(kind)
	if err != nil {
		return err
	}
	c.credMu.Lock()
	c.creds = s
	c.credMu.Unlock()
	return nil
}

func (c *Core) credStore() creds.Store {
	c.credMu.RLock()
	defer c.credMu.RUnlock()
	return c.creds
}

// CredentialStore names the store secrets go to, for users.
func (c *Core) CredentialStore() string { return c.credStore().Describe() }

// credsProxy lets the account service follow a live change of credential_store.
type credsProxy struct{ c *Core }

func (p credsProxy) Get(ctx context.Context, id string) (creds.Secret, error) {
	return p.c.credStore().Get(ctx, id)
}
func (p credsProxy) Set(ctx context.Context, id string, s creds.Secret) error {
	return p.c.credStore().Set(ctx, id, s)
}
func (p credsProxy) Delete(ctx context.Context, id string) error {
	return p.c.credStore().Delete(ctx, id)
}
func (p credsProxy) Describe() string { return p.c.credStore().Describe() }

// LockStore takes the current store's cross-process lock (creds.Locked),
// if it has one.
func (p credsProxy) LockStore(ctx context.Context) (context.Context, func(), error) {
	if l, ok := p.c.credStore().(creds.Locker); ok {
		return l.LockStore(ctx)
	}
	return ctx, func() {}, nil
}

// moveSecrets carries the secrets to a newly chosen credential store. It
// runs before the client key is read from the new store, which would
// otherwise make a new one.
func (c *Core) moveSecrets(from, to creds.Store) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	n, err := MoveSecrets(ctx, c.db, from, to)
	if err != nil {
		c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Error: "moving credentials to the new store: " + err.Error()})
		return
	}
	c.log.Info("credentials moved", "count", n, "from", from.Describe(), "to", to.Describe())
}

// MoveSecrets carries every account's secret and the client key from one
// credential store to another (see creds.Move), so that switching
// credential_store keeps the accounts working, also after a restart. The
// running app and `config set` both call it; a second call finds nothing
// left to move.
func MoveSecrets(ctx context.Context, db *store.DB, from, to creds.Store) (int, error) {
	list, err := db.Accounts(ctx)
	if err != nil {
		return 0, fmt.Errorf("moving credentials: %w", err)
	}
	ids := []string{ClientKeyID}
	for _, a := range list {
		ids = append(ids, a.ID)
	}
	return creds.Move(ctx, from, to, ids)
}
