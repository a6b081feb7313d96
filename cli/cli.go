// Package cli is Claudeflare's command line. Every command but the tray
// works without a display; the tray is handed in by main. While an app runs
// (the tray or `serve`), the commands are clients of its HTTP API; when
// none runs, they open the home folder themselves (docs/DESIGN.md, "The
// typed surface").
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/platform/apitoken"
	"github.com/claudeflare/claudeflare/platform/filestore"
	"github.com/claudeflare/claudeflare/platform/keychain"
	"github.com/claudeflare/claudeflare/platform/lock"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// Version is set at build time with -ldflags "-X github.com/claudeflare/claudeflare/cli.Version=…".
var Version = "0.1.0-dev"

// TrayFunc runs the tray app on a started core until the user quits; nil in
// headless builds.
type TrayFunc func(c *core.Core, o TrayOptions) error

// TrayOptions are what the tray is started with besides the core.
type TrayOptions struct {
	// Show names windows to open at start (CLAUDEFLARE_SHOW).
	Show []string
	Log  *slog.Logger
	// Toggles are the desktop settings the menu shows as check items.
	Toggles []TrayToggle
}

// TrayToggle is an on/off setting the tray menu shows as a check item. Its
// state lives in the desktop's own files, so On reads it anew each time.
type TrayToggle struct {
	Label string
	On    func() (bool, error)
	Set   func(on bool) error
}

// UIFunc runs the window process (`claudeflare ui`) on the running app's
// API until its last window closes; nil in headless builds. With commands
// (the tray's pipe) it also opens the windows named there and acknowledges
// them on acks, and ends when commands do.
type UIFunc func(api client.API, names []string, commands io.Reader, acks io.Writer) error

// Env is everything a command touches of the outside world, so tests can run commands in-process.
type Env struct {
	Args      []string
	Lookup    func(string) (string, bool)
	Stdin     io.Reader
	Stdout    io.Writer
	Stderr    io.Writer
	Tray      TrayFunc
	UI        UIFunc
	Transport http.RoundTripper // upstream transport (tests); nil for the default
	// OpenBrowser opens login pages (tests); nil for platform/browser.Open.
	OpenBrowser func(url string) error
}

// usageError makes the command exit 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

const usageText = `Claudeflare: one Claude Code endpoint over several Claude accounts.

Usage:
  claudeflare                                   the tray app
  claudeflare serve [--port N] [--host H]       the proxy and API without a UI
  claudeflare ui [accounts|usage|settings|login]
                                                a window of the running tray app
  claudeflare accounts list [--json]
  claudeflare accounts add NAME [--mode claude|console] [--priority N] [--manual]
                                                log in through the browser
  claudeflare accounts add NAME --api-key-stdin [--priority N]
  claudeflare accounts login NAME [--manual]    log an account in again
  claudeflare accounts pause|resume|remove NAME
  claudeflare config show
  claudeflare config set KEY VALUE
  claudeflare stats [--json] [--window 24h]
  claudeflare client-key
  claudeflare api-token                         the local API token, for scripts
  claudeflare claude-code enable [--settings PATH] [--statusline]
                                                wire Claude Code to the proxy in its settings file
  claudeflare claude-code disable|status [--settings PATH]
  claudeflare statusline                        one line for Claude Code's statusLine setting
  claudeflare autostart on|off|status           start Claudeflare at login
  claudeflare version
`

// Run executes one command line and returns the exit status.
func Run(env *Env) int {
	if env.Lookup == nil {
		env.Lookup = os.LookupEnv
	}
	err := dispatch(env, env.Args)
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, flag.ErrHelp) {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(env.Stderr, "claudeflare: %v\n\n", err)
		}
		fmt.Fprint(env.Stderr, usageText)
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	fmt.Fprintf(env.Stderr, "claudeflare: %v\n", err)
	return 1
}

func dispatch(env *Env, args []string) error {
	if len(args) == 0 {
		if env.Tray == nil {
			return usagef("this build has no tray (built with -tags nogui): use `claudeflare serve`")
		}
		return runTray(env)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(env, rest)
	case "ui":
		return uiCmd(env, rest)
	case "accounts", "account":
		return accountsCmd(env, rest)
	case "config":
		return configCmd(env, rest)
	case "stats":
		return statsCmd(env, rest)
	case "client-key":
		return clientKeyCmd(env, rest)
	case "api-token":
		return apiTokenCmd(env, rest)
	case "claude-code":
		return claudeCodeCmd(env, rest)
	case "statusline":
		return statuslineCmd(env, rest)
	case "autostart":
		return autostartCmd(env, rest)
	case "version", "--version":
		fmt.Fprintf(env.Stdout, "claudeflare %s\n", Version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usageText)
		return nil
	}
	return usagef("unknown command %q", cmd)
}

// home returns the home folder, created 0700 if missing. A home folder that
// another user could change (owned by someone else, or writable by group or
// others, itself or a file in it) is refused, naming the fix: every command
// that opens it stops there.
func (env *Env) home() (string, error) {
	h, err := paths.Home(env.Lookup)
	if err != nil {
		return "", err
	}
	if err := paths.EnsureHome(h); err != nil {
		return "", err
	}
	return h, paths.CheckHome(h)
}

// loadConfig reads the effective configuration, reporting a bad one.
func (env *Env) loadConfig(home string) (config.Config, config.Sources, error) {
	return config.Load(core.ConfigPath(home), env.Lookup, nil)
}

// openCreds returns a func opening the credential store of a kind, for the home folder.
func openCreds(home string) func(kind string) (creds.Store, error) {
	return func(kind string) (creds.Store, error) {
		if kind == config.CredentialStoreFile {
			return filestore.New(paths.CredentialsPath(home)), nil
		}
		return keychain.New(), nil
	}
}

// newCore opens the engine for a command (not started: nothing listens),
// making the local API token at its first start (docs/DESIGN.md, "The
// local API token").
func (env *Env) newCore(ctx context.Context, overrides map[string]string, log *slog.Logger) (*core.Core, error) {
	home, err := env.home()
	if err != nil {
		return nil, err
	}
	return core.New(ctx, core.Options{
		Home: home, Lookup: env.Lookup, Overrides: overrides, OpenCreds: openCreds(home),
		Version: Version, Log: log, Transport: env.Transport, OpenBrowser: env.opener(),
		LockFile: lock.Exclusive, APITokenPath: apitoken.Path(home),
		APIToken: func(ctx context.Context) (string, error) { return apitoken.Ensure(ctx, home) },
	})
}

// parseArgs parses flags that may come before or after positional arguments.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, usagef("%s: %v", fs.Name(), err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}
