package cli

import (
	"context"

	"github.com/claudeflare/claudeflare/core"
)

// runTray starts the engine and hands it to the tray; one instance at a time.
func runTray(env *Env) error {
	return env.runApp(context.Background(), nil, newLogger(env),
		"open it from its tray icon, or stop it before starting another", func(c *core.Core) error { return env.Tray(c) })
}
