package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/claudeflare/claudeflare/core/view"
)

func accountsCmd(env *Env, args []string) error {
	if len(args) == 0 {
		return usagef("accounts needs a subcommand: list, add, login, pause, resume, remove")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list", "ls":
		return accountsList(env, rest)
	case "add":
		return accountsAdd(env, rest)
	case "login":
		return accountsLogin(env, rest)
	case "pause", "resume", "remove", "rm":
		return accountsSimple(env, sub, rest)
	}
	return usagef("unknown accounts subcommand %q", sub)
}

func accountsList(env *Env, args []string) error {
	fs := flag.NewFlagSet("accounts list", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseArgs(fs, args); err != nil {
		return err
	} else if len(pos) > 0 {
		return usagef("accounts list takes no arguments")
	}
	ctx := context.Background()
	t, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	list, err := t.Accounts(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	printAccounts(env.Stdout, list, time.Now())
	return nil
}

func printAccounts(w io.Writer, list []view.Account, now time.Time) {
	if len(list) == 0 {
		fmt.Fprintln(w, "No accounts yet. Add one with `claudeflare accounts add NAME` (browser login) or `--api-key-stdin`.")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tPRIORITY\tSTATUS\tSESSION\tREQUESTS\tQUOTA")
	for _, a := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\n", a.Name, a.Kind, a.Priority, statusText(a, now), sessionText(a, now),
			a.TotalRequests, view.QuotaLine(a.Limits, now, time.Local))
	}
	tw.Flush()
}

func statusText(a view.Account, now time.Time) string {
	switch {
	case a.Status == "rate_limited" && a.RateLimitedUntil != nil:
		return "rate limited until " + a.RateLimitedUntil.Local().Format("15:04") + " (" + view.Remaining(a.RateLimitedUntil.Sub(now)) + ")"
	case a.Status == "cooldown" && a.CooldownUntil != nil:
		return "cooling down (" + view.Remaining(a.CooldownUntil.Sub(now)) + ")"
	case a.Status == "rate_limited":
		return "rate limited"
	case a.Status == "needs_login":
		return "needs login"
	}
	return a.Status
}

func sessionText(a view.Account, now time.Time) string {
	if a.SessionExpiresAt == nil {
		return "-"
	}
	return view.Remaining(a.SessionExpiresAt.Sub(now)) + " left"
}

func accountsAdd(env *Env, args []string) error {
	fs := flag.NewFlagSet("accounts add", flag.ContinueOnError)
	keyStdin := fs.Bool("api-key-stdin", false, "read an API key from standard input")
	mode := fs.String("mode", "", "browser login: claude (Pro/Max, the default) or console (makes an API key)")
	manual := fs.Bool("manual", false, "browser login: paste the code shown after logging in")
	prioFlag := fs.String("priority", "0", "0…100, lower is used first")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("accounts add takes one NAME (quote names with spaces)")
	}
	prio, err := atoiFlag("priority", *prioFlag)
	if err != nil {
		return err
	}
	if !*keyStdin {
		if *mode != "" && *mode != "claude" && *mode != "console" {
			return usagef("--mode must be claude or console, got %q", *mode)
		}
		return browserLogin(env, view.LoginRequest{Name: pos[0], Mode: *mode, Priority: prio, Manual: *manual})
	}
	if *mode != "" || *manual {
		return usagef("--mode and --manual are for browser logins, not --api-key-stdin")
	}
	key, err := readKey(env.Stdin)
	if err != nil {
		return err
	}
	ctx := context.Background()
	t, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	a, err := t.AddAPIKey(ctx, pos[0], key, prio)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Added API-key account %q (priority %d); its key is in the %s.\n", a.Name, a.Priority, t.credsWhere(ctx))
	return nil
}

// readKey reads one key from r: the first line, trimmed.
func readKey(r io.Reader) (string, error) {
	if r == nil {
		return "", usagef("--api-key-stdin needs the key on standard input")
	}
	b, err := io.ReadAll(io.LimitReader(r, 4096))
	if err != nil {
		return "", fmt.Errorf("reading the API key from standard input: %w", err)
	}
	key := strings.TrimSpace(string(b))
	if i := strings.IndexAny(key, "\r\n"); i >= 0 {
		key = strings.TrimSpace(key[:i])
	}
	if key == "" {
		return "", usagef("--api-key-stdin: standard input was empty; pipe the key in, e.g. `printenv KEY | claudeflare accounts add NAME --api-key-stdin`")
	}
	return key, nil
}

func accountsSimple(env *Env, sub string, args []string) error {
	fs := flag.NewFlagSet("accounts "+sub, flag.ContinueOnError)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("accounts %s takes one NAME", sub)
	}
	ctx := context.Background()
	t, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	switch sub {
	case "pause":
		_, err = t.Pause(ctx, pos[0])
	case "resume":
		_, err = t.Resume(ctx, pos[0])
	default:
		if err := t.Remove(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: removed, with its credential\n", pos[0])
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "%s: %sd\n", pos[0], sub)
	return nil
}
