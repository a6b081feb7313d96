package core

import (
	"context"

	"github.com/claudeflare/claudeflare/core/creds"
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
