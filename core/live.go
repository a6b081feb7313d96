package core

import (
	"context"
	"time"
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
