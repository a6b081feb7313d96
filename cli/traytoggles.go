package cli

import (
	"log/slog"

	"github.com/claudeflare/claudeflare/platform/autostart"
	"github.com/claudeflare/claudeflare/platform/claudecode"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// trayToggles are the menu's check items, the same changes as
// `claudeflare claude-code enable|disable` and `claudeflare autostart
// on|off` (docs/DESIGN.md, "The tray and its windows", "Claude Code"), so a change made on
// either side shows on the other. addr is read at each click: the port can
// change while the tray runs.
func trayToggles(env *Env, home string, addr func() string, log *slog.Logger) []TrayToggle {
	files := func() (claudecode.Files, error) {
		settings, err := claudeSettingsPath(env.Lookup)
		return claudecode.Files{Settings: settings, Record: paths.ClaudeCodePath(home)}, err
	}
	url := func() string { return clientURL("http://" + addr()) }
	claude := TrayToggle{
		Label: "Use with Claude Code",
		// On only while the settings point here as enable wrote them: after a
		// port change the mark goes off, and a click wires the new address.
		On: func() (bool, error) {
			f, err := files()
			if err != nil {
				return false, err
			}
			st, err := claudecode.Inspect(f)
			return err == nil && st.ByEnable && trimURL(st.BaseURL) == url(), err
		},
		Set: func(on bool) error {
			f, err := files()
			if err != nil {
				return err
			}
			if !on {
				_, err := claudecode.Disable(f)
				return err
			}
			res, err := claudecode.Enable(f, claudecode.Wiring{BaseURL: url()})
			for _, n := range res.Notes {
				log.Info("claude code wiring", "settings", res.Settings, "note", n)
			}
			return err
		},
	}
	login := TrayToggle{
		Label: "Start at login",
		On: func() (bool, error) {
			_, on, err := autostart.Status(env.Lookup)
			return on, err
		},
		Set: func(on bool) error {
			if !on {
				_, _, err := autostart.Disable(env.Lookup)
				return err
			}
			cmd, err := env.loginCommand()
			if err != nil {
				return err
			}
			_, err = autostart.Enable(env.Lookup, cmd)
			return err
		},
	}
	return []TrayToggle{claude, login}
}
