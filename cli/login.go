package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/platform/browser"
)

// accountsLogin is `accounts login NAME [--manual]`: log an existing account in again.
func accountsLogin(env *Env, args []string) error {
	fs := flag.NewFlagSet("accounts login", flag.ContinueOnError)
	manual := fs.Bool("manual", false, "paste the code shown after logging in instead of the automatic callback")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("accounts login takes one NAME (quote names with spaces)")
	}
	return browserLogin(env, oauth.Request{Name: pos[0], Manual: *manual, Relogin: true})
}

// opener is the browser opener of the command line.
func (env *Env) opener() func(string) error {
	if env.OpenBrowser != nil {
		return env.OpenBrowser
	}
	return browser.Open
}

// browserLogin runs one login (SPEC §7) in the terminal: it shows the URL,
// opens the browser, waits for the callback or reads the pasted code#state
// from standard input, and stores the account.
func browserLogin(env *Env, req oauth.Request) error {
	o, err := env.openOffline()
	if err != nil {
		return err
	}
	defer o.Close()
	ep, err := oauth.EndpointsFromEnv(env.Lookup)
	if err != nil {
		return err
	}
	if req.Manual && env.Stdin == nil {
		return usagef("--manual needs standard input to paste the code into")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc := &oauth.Service{
		Accounts:    o.svc,
		Endpoints:   ep,
		HTTP:        &http.Client{Transport: env.Transport},
		UpstreamURL: func() string { return o.cfg.UpstreamURL },
		Open:        env.opener(),
	}
	l, err := svc.Start(ctx, req)
	if err != nil {
		return err
	}
	out := env.Stdout
	if l.Fallback != "" {
		fmt.Fprintf(out, "Note: %s; paste the code by hand instead.\n", l.Fallback)
	}
	fmt.Fprintf(out, "Logging %q in (%s) in your browser.\nIf no browser opens, visit:\n\n  %s\n\n", l.Name, modeText(l.Mode), l.URL)
	if err := l.OpenBrowser(); err != nil {
		fmt.Fprintf(out, "(Could not open a browser: %v. Open the address above yourself.)\n", err)
	}

	var a account.Account
	if l.Manual {
		if env.Stdin == nil {
			l.Cancel()
			return errors.New("the callback port is busy and there is no standard input to paste the code into: free the port or run in a terminal")
		}
		a, err = pasteLoop(ctx, env, l)
	} else {
		fmt.Fprintf(out, "Waiting for the browser (up to %d minutes; Ctrl-C cancels)…\n", int(oauth.DefaultLoginTimeout.Minutes()))
		if a, err = l.Wait(ctx); ctx.Err() != nil {
			l.Cancel()
			a, err = l.Wait(context.Background())
		}
	}
	if err != nil {
		return fmt.Errorf("logging %q in: %w", l.Name, err)
	}
	where := o.svc.Creds.Describe()
	switch {
	case req.Relogin:
		fmt.Fprintf(out, "Logged %q in again; a running Claudeflare uses the new credentials within a second.\n", a.Name)
	case a.Kind == account.KindAPIKey:
		fmt.Fprintf(out, "Added console account %q with a new API key (priority %d); the key is in the %s.\n", a.Name, a.Priority, where)
	default:
		fmt.Fprintf(out, "Added Claude account %q (priority %d); its tokens are in the %s.\n", a.Name, a.Priority, where)
	}
	return nil
}

// pasteLoop reads pasted codes from standard input until one ends the login.
func pasteLoop(ctx context.Context, env *Env, l *oauth.Login) (account.Account, error) {
	lines, stop := make(chan string), make(chan struct{})
	defer close(stop)
	go readLines(env.Stdin, lines, stop)
	prompt := func() {
		fmt.Fprint(env.Stdout, "After logging in, the page shows a code. Paste it here (code#state) and press Enter: ")
	}
	prompt()
	for {
		select {
		case <-l.Done():
			return l.Wait(context.Background())
		case <-ctx.Done():
			l.Cancel()
			return l.Wait(context.Background())
		case line, ok := <-lines:
			if !ok {
				l.Cancel()
				_, _ = l.Wait(context.Background())
				return account.Account{}, errors.New("standard input ended before a code was pasted")
			}
			if strings.TrimSpace(line) == "" {
				prompt()
				continue
			}
			a, err := l.Complete(ctx, line)
			if errors.Is(err, oauth.ErrBadCode) {
				fmt.Fprintf(env.Stdout, "%v.\n", err)
				prompt()
				continue
			}
			return a, err
		}
	}
}

// readLines sends r's lines to out and closes it at the end of input; it
// stops sending once stop is closed.
func readLines(r io.Reader, out chan<- string, stop <-chan struct{}) {
	defer close(out)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for sc.Scan() {
		select {
		case out <- sc.Text():
		case <-stop:
			return
		}
	}
}

func modeText(m oauth.Mode) string {
	if m == oauth.ModeConsole {
		return "Anthropic Console: an API key will be created"
	}
	return "Claude Pro/Max"
}
