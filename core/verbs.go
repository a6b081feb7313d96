package core

import (
	"context"
	"fmt"
	"net/http"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/view"
)

// The verbs of the typed surface (docs/DESIGN.md, "The typed surface"):
// the tray calls them on the engine it runs, and the HTTP API's handlers
// call the same methods, so each change has one meaning. Every change is
// applied to the pool before the verb returns: the next request sees it.

var _ client.API = (*Core)(nil)

// Status is the engine's health (GET /health).
func (c *Core) Status(ctx context.Context) (view.Health, error) {
	total, avail := c.pool.Summary(c.opts.Now())
	return view.Health{Status: "ok", Strategy: c.cfg.Get().LBStrategy, Accounts: total, Available: avail,
		Version: c.opts.Version}, nil
}

// Accounts lists the accounts in strategy order with their status.
func (c *Core) Accounts(ctx context.Context) ([]view.Account, error) {
	now := c.opts.Now()
	views := c.pool.Views(now, c.cfg.Get().SessionDuration())
	out := make([]view.Account, len(views))
	for i, v := range views {
		out[i] = view.AccountOf(v, now)
	}
	return out, nil
}

// AddAPIKey adds an API-key account; its key goes to the credential store.
func (c *Core) AddAPIKey(ctx context.Context, name, key string, priority int) (view.Account, error) {
	a, err := c.accounts.AddAPIKey(ctx, name, key, priority)
	return c.changed(ctx, a, err)
}

// CreateAccount adds a with its secret as they are, for imports and tests
// (logins and AddAPIKey make accounts for users).
func (c *Core) CreateAccount(ctx context.Context, a account.Account, secret creds.Secret) (view.Account, error) {
	a, err := c.accounts.Create(ctx, a, secret)
	return c.changed(ctx, a, err)
}

// UpdateAccount renames an account and/or sets its priority, in one change.
func (c *Core) UpdateAccount(ctx context.Context, name string, p view.AccountPatch) (view.Account, error) {
	if p.Name == nil && p.Priority == nil {
		return view.Account{}, client.Refusef(http.StatusBadRequest, "nothing to change: send name and/or priority")
	}
	a, err := c.accounts.Update(ctx, name, p.Name, p.Priority)
	return c.changed(ctx, a, err)
}

// Pause takes an account out of the rotation until Resume.
func (c *Core) Pause(ctx context.Context, name string) (view.Account, error) {
	a, err := c.accounts.SetPaused(ctx, name, true)
	return c.changed(ctx, a, err)
}

// Resume puts a paused account back.
func (c *Core) Resume(ctx context.Context, name string) (view.Account, error) {
	a, err := c.accounts.SetPaused(ctx, name, false)
	return c.changed(ctx, a, err)
}

// Remove deletes an account, then its secret (docs/DESIGN.md, "Files that several processes share").
func (c *Core) Remove(ctx context.Context, name string) error {
	if err := c.accounts.Remove(ctx, name); err != nil {
		return refuse(err)
	}
	return c.reload(ctx)
}

// changed applies an account change to the pool and answers with the
// account as the pool now shows it.
func (c *Core) changed(ctx context.Context, a account.Account, err error) (view.Account, error) {
	if err != nil {
		return view.Account{}, refuse(err)
	}
	if err := c.reload(ctx); err != nil {
		return view.Account{}, err
	}
	return c.accountView(a), nil
}

// accountView is a as the pool shows it (or, not loaded, as stored).
func (c *Core) accountView(a account.Account) view.Account {
	now := c.opts.Now()
	for _, v := range c.pool.Views(now, c.cfg.Get().SessionDuration()) {
		if v.ID == a.ID {
			return view.AccountOf(v, now)
		}
	}
	return view.AccountOf(pool.View{Account: a, Status: a.StatusAt(now, false)}, now)
}

// reload re-reads the accounts into the pool. Only the engine's own verbs
// and start-up call it: other processes change accounts through the API
// while the engine runs (docs/DESIGN.md, "The typed surface").
func (c *Core) reload(ctx context.Context) error {
	// One at a time, reading and loading together: two changes made at once
	// reload at once, and without this the one that read the database first
	// could load last, leaving the pool without the other's account until
	// the next change (nothing polls to catch up).
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	list, err := c.db.Accounts(ctx)
	if err != nil {
		return fmt.Errorf("reading accounts: %w", err)
	}
	c.pool.Load(ctx, list, c.credStore(), c.log)
	return nil
}
