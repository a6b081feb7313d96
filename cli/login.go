package cli

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/view"
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
	return browserLogin(env, view.LoginRequest{Name: pos[0], Manual: *manual, Relogin: true})
}

// opener is the browser opener of the command line.
func (env *Env) opener() func(string) error {
	if env.OpenBrowser != nil {
		return env.OpenBrowser
	}
	return browser.Open
}

// browserLogin runs one login (docs/DESIGN.md, "The typed surface") in the
// terminal: it shows the URL, has the browser opened, waits for the
// callback or reads the pasted code#state from standard input, and the
// account is stored. While an app runs, the app runs the login (its
// loopback callback, its browser opener) and the account is live in it at
// once; otherwise this process does.
func browserLogin(env *Env, req view.LoginRequest) error {
	if req.Manual && env.Stdin == nil {
		return usagef("--manual needs standard input to paste the code into")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	t, err := env.open(ctx)
	if err != nil {
		return err
	}
	defer t.Close()
	req.OpenBrowser = t.live // offline, the browser is opened below, where a failure can be shown
	l, err := t.StartLogin(ctx, req)
	if err != nil {
		return err
	}
	out := env.Stdout
	if l.Fallback != "" {
		fmt.Fprintf(out, "Note: %s; paste the code by hand instead.\n", l.Fallback)
	}
	fmt.Fprintf(out, "Logging %q in (%s) in your browser.\nIf no browser opens, visit:\n\n  %s\n\n", l.Name, modeText(l.Mode), l.AuthorizeURL)
	if !t.live {
		if err := env.opener()(l.AuthorizeURL); err != nil {
			fmt.Fprintf(out, "(Could not open a browser: %v. Open the address above yourself.)\n", err)
		}
	}

	var a view.Account
	if l.Manual {
		if env.Stdin == nil {
			_ = t.CancelLogin(context.WithoutCancel(ctx), l.SessionID)
			return errors.New("the callback port is busy and there is no standard input to paste the code into: free the port or run in a terminal")
		}
		a, err = pasteLoop(ctx, env, t, l.SessionID)
	} else {
		fmt.Fprintf(out, "Waiting for the browser (up to %d minutes; Ctrl-C cancels)…\n", int(oauth.DefaultLoginTimeout.Minutes()))
		a, err = waitLogin(ctx, t, l.SessionID)
	}
	if err != nil {
		return fmt.Errorf("logging %q in: %w", l.Name, err)
	}
	switch {
	case req.Relogin && t.live:
		fmt.Fprintf(out, "Logged %q in again; the running Claudeflare uses the new credentials now.\n", a.Name)
	case req.Relogin:
		fmt.Fprintf(out, "Logged %q in again; Claudeflare uses the new credentials from its next start.\n", a.Name)
	case a.Kind == "api_key":
		fmt.Fprintf(out, "Added console account %q with a new API key (priority %d); the key is in the %s.\n", a.Name, a.Priority, t.credsWhere(ctx))
	default:
		fmt.Fprintf(out, "Added Claude account %q (priority %d); its tokens are in the %s.\n", a.Name, a.Priority, t.credsWhere(ctx))
	}
	return nil
}

// waitLogin waits for the login's end; Ctrl-C (ctx) cancels it and waits
// for that end.
func waitLogin(ctx context.Context, t *target, id string) (view.Account, error) {
	st, err := client.WaitLogin(ctx, t.engine, id)
	if ctx.Err() != nil {
		after := context.WithoutCancel(ctx)
		_ = t.CancelLogin(after, id)
		st, err = client.WaitLogin(after, t.engine, id)
	}
	return loginOutcome(st, err)
}

// loginOutcome is the account of an ended login, or why it failed.
func loginOutcome(st view.LoginStatus, err error) (view.Account, error) {
	switch {
	case err != nil:
		return view.Account{}, err
	case st.State == view.LoginDone && st.Account != nil:
		return *st.Account, nil
	case st.Error != "":
		return view.Account{}, errors.New(st.Error)
	}
	return view.Account{}, fmt.Errorf("the login ended as %q", st.State)
}

// pasteLoop reads pasted codes from standard input until one ends the
// login. A paste that is refused while the login goes on (not code#state)
// is told and asked again.
func pasteLoop(ctx context.Context, env *Env, t *target, id string) (view.Account, error) {
	lines, stop := make(chan string), make(chan struct{})
	defer close(stop)
	go readLines(env.Stdin, lines, stop)
	ended := make(chan struct{})
	waitCtx, cancelWait := context.WithCancel(ctx)
	defer cancelWait()
	go func() {
		defer close(ended)
		_, _ = client.WaitLogin(waitCtx, t.engine, id)
	}()
	after := context.WithoutCancel(ctx)
	cancel := func() (view.Account, error) {
		_ = t.CancelLogin(after, id)
		return loginOutcome(client.WaitLogin(after, t.engine, id))
	}
	prompt := func() {
		fmt.Fprint(env.Stdout, "After logging in, the page shows a code. Paste it here (code#state) and press Enter: ")
	}
	prompt()
	for {
		select {
		case <-ended:
			if ctx.Err() != nil {
				return cancel()
			}
			return loginOutcome(t.LoginStatus(after, id))
		case line, ok := <-lines:
			if !ok {
				_, _ = cancel()
				return view.Account{}, errors.New("standard input ended before a code was pasted")
			}
			if strings.TrimSpace(line) == "" {
				prompt()
				continue
			}
			a, err := t.CompleteLogin(ctx, id, line)
			if err == nil {
				return a, nil
			}
			if st, serr := t.LoginStatus(after, id); serr == nil && st.State == view.LoginPending {
				fmt.Fprintf(env.Stdout, "%v.\n", err)
				prompt()
				continue
			}
			return view.Account{}, err
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

func modeText(m string) string {
	if m == string(oauth.ModeConsole) {
		return "Anthropic Console: an API key will be created"
	}
	return "Claude Pro/Max"
}
