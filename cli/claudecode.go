package cli

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/platform/claudecode"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// probeTimeout bounds asking whether Claudeflare answers at an address.
const probeTimeout = time.Second

func claudeCodeCmd(env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("claude-code needs a subcommand: enable, disable or status")
	}
	sub, rest := args[0], args[1:]
	if sub != "enable" && sub != "disable" && sub != "status" {
		return usagef("unknown claude-code subcommand %q: enable, disable or status", sub)
	}
	fs := flag.NewFlagSet("claude-code "+sub, flag.ContinueOnError)
	settings := fs.String("settings", "", "Claude Code's settings file (default ~/.claude/settings.json)")
	var statusLine *bool
	if sub == "enable" {
		statusLine = fs.Bool("statusline", false, "also set Claude Code's statusLine to `claudeflare statusline`")
	}
	pos, err := parseArgs(fs, rest)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("claude-code %s takes no arguments, got %q", sub, pos[0])
	}
	home, err := env.home()
	if err != nil {
		return err
	}
	path := *settings
	if path == "" {
		if path, err = claudeSettingsPath(env.Lookup); err != nil {
			return err
		}
	}
	files := claudecode.Files{Settings: path, Record: paths.ClaudeCodePath(home)}
	switch sub {
	case "enable":
		return claudeCodeEnable(env, home, files, *statusLine)
	case "disable":
		return claudeCodeDisable(env, files)
	case "status":
		return claudeCodeStatus(env, home, files)
	}
	return usagef("unknown claude-code subcommand %q", sub)
}

// claudeSettingsPath is Claude Code's user settings file: settings.json in
// CLAUDE_CONFIG_DIR when that is set (Claude Code's own override of its
// folder), else in ~/.claude.
func claudeSettingsPath(lookup func(string) (string, bool)) (string, error) {
	if dir, ok := lookup("CLAUDE_CONFIG_DIR"); ok && dir != "" {
		return filepath.Join(dir, "settings.json"), nil
	}
	name := "HOME"
	if runtime.GOOS == "windows" {
		name = "USERPROFILE"
	}
	user, ok := lookup(name)
	if !ok || user == "" {
		return "", fmt.Errorf("finding Claude Code's settings: $%s is not set; name the file with --settings", name)
	}
	return filepath.Join(user, ".claude", "settings.json"), nil
}

func claudeCodeEnable(env *Env, home string, files claudecode.Files, statusLine bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	app, running, err := env.findApp(ctx, home)
	if err != nil {
		return err
	}
	w := claudecode.Wiring{BaseURL: app.URL}
	if statusLine {
		self, err := selfPath()
		if err != nil {
			return err
		}
		w.StatusLine = shellQuote(self) + " statusline"
	}
	res, err := claudecode.Enable(files, w)
	if err != nil {
		return err
	}
	if res.Written {
		fmt.Fprintf(env.Stdout, "Claude Code now goes through Claudeflare at %s.\n", app.URL)
	} else {
		fmt.Fprintf(env.Stdout, "Claude Code already goes through Claudeflare at %s: nothing to change.\n", app.URL)
	}
	fmt.Fprintf(env.Stdout, "  settings: %s (%s)\n", res.Settings, describeKeys(res.Keys))
	if res.Written {
		fmt.Fprintln(env.Stdout, "Every Claude Code started from now on uses it, in any terminal, with no export. `claudeflare claude-code disable` undoes it.")
	}
	for _, n := range res.Notes {
		fmt.Fprintf(env.Stdout, "Note: %s.\n", n)
	}
	if !running {
		fmt.Fprintf(env.Stdout, "Note: Claudeflare does not answer at %s right now: start it (`claudeflare`, or `claudeflare serve`), or Claude Code cannot connect.\n", app.URL)
	}
	if cfg, _, err := env.loadConfig(home); err == nil && cfg.AllowRemote {
		fmt.Fprintln(env.Stdout, "Note: allow_remote is on, so every request needs the client key: set env.CLAUDE_CODE_OAUTH_TOKEN in the settings file to the output of `claudeflare client-key`.")
	}
	return nil
}

func claudeCodeDisable(env *Env, files claudecode.Files) error {
	res, err := claudecode.Disable(files)
	if err != nil {
		return err
	}
	switch {
	case res.Nothing:
		fmt.Fprintf(env.Stdout, "Nothing to undo: `claude-code enable` has not changed %s.\n", res.Settings)
	case res.Removed:
		fmt.Fprintf(env.Stdout, "Claude Code no longer goes through Claudeflare: removed %s, which `claude-code enable` had created.\n", res.Settings)
	case len(res.Notes) == 0:
		fmt.Fprintf(env.Stdout, "Claude Code no longer goes through Claudeflare: %s is as it was before `claude-code enable`.\n", res.Settings)
	default:
		fmt.Fprintf(env.Stdout, "Took back what `claude-code enable` set in %s (%s).\n", res.Settings, describeKeys(res.Keys))
	}
	for _, n := range res.Notes {
		fmt.Fprintf(env.Stdout, "Note: %s.\n", n)
	}
	return nil
}

func claudeCodeStatus(env *Env, home string, files claudecode.Files) error {
	st, err := claudecode.Inspect(files)
	if err != nil {
		return err
	}
	if st.BaseURL == "" {
		what := "it sets no env.ANTHROPIC_BASE_URL"
		if !st.Exists {
			what = "it does not exist"
		}
		fmt.Fprintf(env.Stdout, "Claude Code is not wired to Claudeflare: %s (%s).\nRun `claudeflare claude-code enable` to wire it.\n", st.Settings, what)
		return nil
	}
	how := "set by hand, not by `claude-code enable`"
	if st.ByEnable {
		how = "set by `claude-code enable`"
	}
	var extras []string
	switch {
	case st.Placeholder:
		extras = append(extras, "a placeholder credential the proxy replaces")
	case st.Credential != "":
		extras = append(extras, "your own "+st.Credential)
	}
	if st.StatusLine {
		extras = append(extras, "the Claudeflare status line")
	}
	if len(extras) > 0 {
		how += ", with " + strings.Join(extras, " and ")
	}
	fmt.Fprintf(env.Stdout, "Claude Code goes to %s (%s).\n  settings: %s\n", st.BaseURL, how, st.Settings)

	ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
	defer cancel()
	if isClaudeflare(ctx, trimURL(st.BaseURL)) {
		fmt.Fprintln(env.Stdout, "Claudeflare answers there.")
		return nil
	}
	app, running, err := env.findApp(ctx, home)
	switch {
	case err == nil && running:
		fmt.Fprintf(env.Stdout, "Claudeflare does not answer there: it runs at %s (%s). Run `claudeflare claude-code enable` again.\n", app.URL, app.Source)
	default:
		fmt.Fprintln(env.Stdout, "Nothing answers there right now: start Claudeflare (`claudeflare`, or `claudeflare serve`).")
	}
	return nil
}

// describeKeys names the settings keys for people.
func describeKeys(keys []string) string {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		switch k {
		case "env.CLAUDE_CODE_OAUTH_TOKEN":
			out = append(out, k+": a placeholder, the proxy adds the account's credential")
		default:
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return "nothing"
	}
	return strings.Join(out, ", ")
}

// shellQuote quotes a path for the shell Claude Code runs its statusLine
// command with. On Windows that may be cmd or Git Bash: double quotes work in
// both, and keep the backslashes literal in both.
func shellQuote(s string) string {
	if runtime.GOOS == "windows" {
		return `"` + s + `"`
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+:@", r)) {
			return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
		}
	}
	return s
}
