package cli

import (
	"context"
	"slices"
	"strings"

	"github.com/claudeflare/claudeflare/core"
)

// runTray starts the engine and hands it to the tray; one instance at a time.
func runTray(env *Env) error {
	log := newLogger(env)
	home, err := env.home()
	if err != nil {
		return err
	}
	return env.runApp(context.Background(), nil, log,
		"open it from its tray icon, or stop it before starting another", func(c *core.Core) error {
			return env.Tray(c, TrayOptions{Show: showAtStart(env), Log: log,
				Toggles: trayToggles(env, home, c.Addr, log)})
		})
}

// showAtStart reads CLAUDEFLARE_SHOW (e.g. "usage,settings,accounts"): the
// windows to open at start, for screenshots and smoke tests. Unknown names
// are left out.
func showAtStart(env *Env) []string {
	v, _ := env.Lookup("CLAUDEFLARE_SHOW")
	var names []string
	for _, n := range strings.Split(v, ",") {
		if n = strings.TrimSpace(n); slices.Contains(windowNames, n) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}
