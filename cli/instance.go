package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/platform/lock"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// shutdownGrace bounds a clean shutdown: answers in flight finish, the
// request log is flushed.
const shutdownGrace = 30 * time.Second

// runApp runs an engine as the app of its home folder, `serve` and the
// tray alike, until run returns: one instance at a time, holding the
// single-instance lock, which records the address it listens on (kept up
// to date when the listener moves). Commands find the app there and use
// its API (docs/DESIGN.md, "The typed surface").
//
// The lock is taken after New has opened the configuration and the
// database (so a broken home is reported as such) and before Start, which
// reads the accounts again: a command that saw no app wrote the database
// before then, and one that sees the lock waits for the API.
func (env *Env) runApp(ctx context.Context, overrides map[string]string, log *slog.Logger, alreadyHint string,
	run func(c *core.Core) error) error {
	home, err := env.home()
	if err != nil {
		return err
	}
	c, err := env.newCore(ctx, overrides, log)
	if err != nil {
		return err
	}
	shutdown := func() error {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		return c.Shutdown(sctx)
	}
	held, err := lock.Acquire(paths.LockPath(home), "")
	if err != nil {
		_ = shutdown()
		if _, ok := errors.AsType[*lock.ErrLocked](err); ok {
			return fmt.Errorf("%v; %s", err, alreadyHint)
		}
		return err
	}
	defer held.Release()
	if err := c.Start(ctx); err != nil {
		_ = shutdown()
		return err
	}
	record := func() {
		if err := held.SetAddress("http://" + c.Addr()); err != nil {
			log.Warn("recording the address in the lock file", "err", err)
		}
	}
	record()
	// Subscribed after Start, so it runs after the core has moved the listener.
	unsubscribe := c.ConfigManager().Subscribe(func(_, _ config.Config) { record() })
	runErr := run(c)
	unsubscribe()
	return errors.Join(runErr, shutdown())
}
