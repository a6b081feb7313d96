package cli

import (
	"fmt"
	"strings"

	"github.com/claudeflare/claudeflare/platform/autostart"
)

func autostartCmd(env *Env, args []string) error {
	if len(args) != 1 {
		return usagef("autostart takes one of on, off or status")
	}
	switch args[0] {
	case "on":
		return autostartOn(env)
	case "off":
		e, removed, err := autostart.Disable(env.Lookup)
		if err != nil {
			return err
		}
		if removed {
			fmt.Fprintf(env.Stdout, "Claudeflare no longer starts at login (removed %s).\n", e.Location)
		} else {
			fmt.Fprintf(env.Stdout, "Claudeflare was not set to start at login (there is no %s).\n", e.Location)
		}
		return nil
	case "status":
		return autostartStatus(env)
	}
	return usagef("unknown autostart subcommand %q: on, off or status", args[0])
}

// loginCommand is what starts this build at login: the tray app, or, in a
// build without one (-tags nogui), the headless proxy, which is the only
// thing such a build can keep running.
func (env *Env) loginCommand() ([]string, error) {
	self, err := selfPath()
	if err != nil {
		return nil, err
	}
	if env.Tray == nil {
		return []string{self, "serve"}, nil
	}
	return []string{self}, nil
}

func autostartOn(env *Env) error {
	cmd, err := env.loginCommand()
	if err != nil {
		return err
	}
	e, err := autostart.Enable(env.Lookup, cmd)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Claudeflare starts at login: %s runs %s.\n", e.Location, strings.Join(cmd, " "))
	if env.Tray == nil {
		fmt.Fprintln(env.Stdout, "Note: this build has no tray (-tags nogui), so the entry starts `claudeflare serve`.")
	}
	return nil
}

func autostartStatus(env *Env) error {
	e, on, err := autostart.Status(env.Lookup)
	if err != nil {
		return err
	}
	switch {
	case e.Command == nil && !on && !e.Disabled:
		fmt.Fprintf(env.Stdout, "Start at login: off (no %s).\n", e.Location)
		return nil
	case e.Disabled:
		fmt.Fprintf(env.Stdout, "Start at login: off (%s exists, but the desktop has switched it off).\n", e.Location)
	default:
		fmt.Fprintf(env.Stdout, "Start at login: on (%s).\n", e.Location)
	}
	if e.Program() == "" {
		fmt.Fprintln(env.Stdout, "  runs: nothing Claudeflare can read; `claudeflare autostart on` writes it anew.")
		return nil
	}
	fmt.Fprintf(env.Stdout, "  runs: %s\n", strings.Join(e.Command, " "))
	if !e.ProgramExists() {
		fmt.Fprintf(env.Stdout, "  %s no longer exists, so nothing starts: run `claudeflare autostart on` from the binary you use now.\n", e.Program())
	} else if self, err := selfPath(); err == nil && self != e.Program() {
		fmt.Fprintf(env.Stdout, "  That is not this binary (%s): `claudeflare autostart on` points it here.\n", self)
	}
	return nil
}
