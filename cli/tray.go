package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/platform/lock"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// runTray starts the engine and hands it to the tray; one instance at a time.
func runTray(env *Env) error {
	home, err := env.home()
	if err != nil {
		return err
	}
	cfg, _, err := env.loadConfig(home)
	if err != nil {
		return err
	}
	held, err := lock.Acquire(paths.LockPath(home), "http://"+cfg.Addr())
	var locked *lock.ErrLocked
	if errors.As(err, &locked) {
		return fmt.Errorf("%v; open it from its tray icon, or stop it before starting another", err)
	}
	if err != nil {
		return err
	}
	defer held.Release()
	ctx := context.Background()
	log := newLogger(env)
	c, err := env.newCore(ctx, nil, log)
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		_ = c.Shutdown(ctx)
		return err
	}
	// Subscribed after Start, so it runs after the core has moved the listener.
	defer c.ConfigManager().Subscribe(func(_, _ config.Config) {
		if err := held.SetAddress("http://" + c.Addr()); err != nil {
			log.Warn("recording the new address in the lock file", "err", err)
		}
	})()
	trayErr := env.Tray(c)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return errors.Join(trayErr, c.Shutdown(sctx))
}
