package core

import (
	"context"
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/events"
)

// accountPoll is how often a running proxy checks the database for account
// changes made by another process (the command line): well inside the
// one second SPEC §9 allows, and a single-row read each time.
const accountPoll = 250 * time.Millisecond

func (c *Core) watchAccounts(ctx context.Context) {
	t := time.NewTicker(accountPoll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// Compared with the version the last Reload read before reading the
		// accounts, so that a change made between New and this goroutine's
		// start is not taken for the baseline and missed.
		v, err := c.db.SettingsVersion(ctx)
		if err != nil || v == c.loadedVersion.Load() {
			continue
		}
		if err := c.Reload(ctx); err != nil {
			c.log.Error("reloading accounts", "err", err)
		}
	}
}

// onConfigChange applies a new configuration to the running engine. The
// strategy and session duration need nothing: the proxy reads them on every
// request. A new address re-binds the listener.
func (c *Core) onConfigChange(old, cur config.Config) {
	c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Config: cur})
	if cur.CredentialStore != old.CredentialStore {
		from := c.credStore()
		if err := c.openCreds(cur.CredentialStore); err != nil {
			c.log.Error("switching credential store", "err", err)
		} else {
			c.moveSecrets(from, c.credStore())
		}
	}
	if cur.AllowRemote && (!old.AllowRemote || cur.CredentialStore != old.CredentialStore) {
		if err := c.clientKey.load(context.Background(), c.credStore()); err != nil {
			c.log.Error("loading the client key", "err", err)
		}
	}
	if cur.Addr() == old.Addr() {
		return
	}
	if err := checkRemote(cur); err != nil {
		c.log.Error("not moving the listener", "err", err)
		return
	}
	if err := c.listener.bind(cur.Addr(), c.handler, c.log); err != nil {
		c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Error: "moving the listener; still on the old address: " + err.Error()})
		return
	}
	c.log.Info("listening", "addr", c.listener.addr())
}

// checkRemote refuses a non-loopback host unless remote use is allowed (SPEC §2).
func checkRemote(c config.Config) error {
	if c.IsLoopbackHost() || c.AllowRemote {
		return nil
	}
	return fmt.Errorf("host %q is not a loopback address: set allow_remote to true to serve other machines "+
		"(every request then needs the client key shown by `claudeflare client-key`)", c.Host)
}
