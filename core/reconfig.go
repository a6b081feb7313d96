package core

import (
	"context"

	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/events"
)

// A configuration change reaches the running engine in two steps
// (docs/DESIGN.md, "Live configuration"). Before it is saved, prepareConfig
// readies what could fail: a new address is bound, so that a busy port is
// refused (409) and nothing is written. After it is saved, onConfigChange
// applies it: the listener moves to the socket already bound, and slow work
// (moving secrets to another store, with a keychain that may take a minute
// to answer) goes to a goroutine of its own, so that the config manager and
// everyone waiting on it go on at once. The strategy and session duration
// need nothing: the proxy reads them on every request.

func (c *Core) prepareConfig(old, cur config.Config) error {
	if cur.Addr() == old.Addr() {
		return nil
	}
	return c.listener.prepare(cur.Addr())
}

func (c *Core) onConfigChange(old, cur config.Config) {
	c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Config: cur})
	switch {
	case cur.CredentialStore != old.CredentialStore:
		c.switchStores(cur)
	case cur.AllowRemote && !old.AllowRemote:
		// At once: the next request needs the key.
		c.loadClientKey()
	}
	if cur.Addr() == old.Addr() {
		return
	}
	if err := c.listener.bind(cur.Addr(), c.handler, c.log); err != nil {
		c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Error: "moving the listener; still on the old address: " + err.Error()})
		return
	}
	c.log.Info("listening", "addr", c.listener.addr())
}

// switchStores moves the secrets to a newly chosen credential store, then
// loads the client key when remote use is on (from the new store: read
// before the move, it would make a new key).
func (c *Core) switchStores(cur config.Config) {
	from := c.credStore()
	if err := c.openCreds(cur.CredentialStore); err != nil {
		c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Error: "switching credential store: " + err.Error()})
		return
	}
	c.moveSecrets(from, c.credStore())
	if cur.AllowRemote {
		c.loadClientKey()
	}
}

func (c *Core) loadClientKey() {
	if err := c.clientKey.load(context.Background(), c.credStore()); err != nil {
		c.bus.Publish(&events.ConfigChanged{At: c.opts.Now(), Error: "loading the client key: " + err.Error()})
	}
}
