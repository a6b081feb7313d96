package cli

import (
	"context"
	"errors"
	"flag"
	"io"
	"slices"
	"strings"
)

// windowNames are the windows of `claudeflare ui`: "login" is the accounts
// window with the login dialog open.
var windowNames = []string{"accounts", "usage", "settings", "login"}

// uiCmd runs the window process (docs/DESIGN.md, "The tray and its
// windows"): the tray starts it as `claudeflare ui --tray NAME…` when a
// window is asked for, and it ends when its last window closes. The windows
// are the running app's: they use its API (docs/DESIGN.md, "The typed
// surface") and follow its events. With --tray, standard input carries the
// tray's "show NAME" lines (answered on standard output) and its end (the
// tray quit) ends the process.
func uiCmd(env *Env, args []string) error {
	fs := flag.NewFlagSet("ui", flag.ContinueOnError)
	fromTray := fs.Bool("tray", false, "started by the tray: take its commands on standard input")
	names, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if env.UI == nil {
		return usagef("this build has no windows (built with -tags nogui)")
	}
	if len(names) == 0 {
		names = []string{"accounts"}
	}
	for _, n := range names {
		if !slices.Contains(windowNames, n) {
			return usagef("ui: no window %q: the windows are %s", n, strings.Join(windowNames, ", "))
		}
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	app, err := env.runningApp(context.Background(), home)
	if err != nil {
		return err
	}
	if app == nil {
		return errors.New("no Claudeflare is running here: the windows are the tray app's; start it with `claudeflare`")
	}
	var commands io.Reader
	var acks io.Writer
	if *fromTray {
		commands, acks = env.Stdin, env.Stdout
	}
	return env.UI(app, names, commands, acks)
}
