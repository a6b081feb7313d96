package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"github.com/claudeflare/claudeflare/core/view"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// offline is what account commands work on: the database and the credential
// store, used directly. A running proxy notices the change within a second.
type offline struct {
	cfg config.Config
	db  *store.DB
	svc *accounts.Service
}

func (env *Env) openOffline() (*offline, error) {
	home, err := env.home()
	if err != nil {
		return nil, err
	}
	cfg, _, err := env.loadConfig(home)
	if err != nil {
		return nil, err
	}
	db, err := store.Open(core.DBPath(home))
	if err != nil {
		return nil, err
	}
	cs, err := openCreds(home)(cfg.CredentialStore)
	if err != nil {
		db.Close()
		return nil, err
	}
	return &offline{cfg: cfg, db: db, svc: &accounts.Service{DB: db, Creds: cs}}, nil
}

func (o *offline) Close() { o.db.Close() }

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
	o, err := env.openOffline()
	if err != nil {
		return err
	}
	defer o.Close()
	list, err := o.db.Accounts(context.Background())
	if err != nil {
		return err
	}
	now := time.Now()
	views := pool.ViewsOf(list, now, o.cfg.SessionDuration())
	if *asJSON {
		out := make([]view.Account, len(views))
		for i, v := range views {
			out[i] = view.AccountOf(v, now)
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	printAccounts(env.Stdout, views, now)
	return nil
}

func printAccounts(w io.Writer, views []pool.View, now time.Time) {
	if len(views) == 0 {
		fmt.Fprintln(w, "No accounts yet. Add one with `claudeflare accounts add NAME` (browser login) or `--api-key-stdin`.")
		return
	}
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tPRIORITY\tSTATUS\tSESSION\tREQUESTS\tQUOTA")
	for _, v := range views {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%d\t%s\n", v.Name, v.Kind, v.Priority, statusText(v, now), sessionText(v, now),
			v.TotalRequests, quotaText(v.Quota, now, time.Local))
	}
	tw.Flush()
}

func statusText(v pool.View, now time.Time) string {
	switch {
	case v.Status == "rate_limited":
		return "rate limited until " + v.RateLimitedUntil.Local().Format("15:04") + " (" + view.Remaining(v.RateLimitedUntil.Sub(now)) + ")"
	case v.Status == "cooldown":
		return "cooling down (" + view.Remaining(v.CooldownUntil.Sub(now)) + ")"
	case v.Status == "needs_login":
		return "needs login"
	}
	return string(v.Status)
}

func sessionText(v pool.View, now time.Time) string {
	if v.SessionExpiresAt.IsZero() {
		return "-"
	}
	return view.Remaining(v.SessionExpiresAt.Sub(now)) + " left"
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
		return browserLogin(env, oauth.Request{Name: pos[0], Mode: *mode, Priority: prio, Manual: *manual})
	}
	if *mode != "" || *manual {
		return usagef("--mode and --manual are for browser logins, not --api-key-stdin")
	}
	key, err := readKey(env.Stdin)
	if err != nil {
		return err
	}
	o, err := env.openOffline()
	if err != nil {
		return err
	}
	defer o.Close()
	a, err := o.svc.AddAPIKey(context.Background(), pos[0], key, prio)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "Added API-key account %q (priority %d); its key is in the %s.\n", a.Name, a.Priority, o.svc.Creds.Describe())
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
	o, err := env.openOffline()
	if err != nil {
		return err
	}
	defer o.Close()
	ctx := context.Background()
	switch sub {
	case "pause", "resume":
		if _, err := o.svc.SetPaused(ctx, pos[0], sub == "pause"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: %sd\n", pos[0], sub)
	default:
		if err := o.svc.Remove(ctx, pos[0]); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s: removed, with its credential\n", pos[0])
	}
	return nil
}
