package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/claudeflare/claudeflare/core/view"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/platform/apitoken"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// statusLineTimeout bounds the whole status line: Claude Code runs it after
// every message, and a slow or hung app must not hold its prompt.
const statusLineTimeout = 300 * time.Millisecond

// apiTokenFile is the local API token in the home folder (docs/DESIGN.md,
// "The local API token"): the status line sends what it holds.
const apiTokenFile = apitoken.FileName

// statuslineCmd prints one line for Claude Code's statusLine: the serving
// account, its 5-hour and weekly use and the session time left. It opens no
// database and no keychain: it asks the running app, and whatever goes wrong
// it prints a line and exits 0, since a status line must never show an
// error dump.
func statuslineCmd(env *Env, args []string) error {
	if len(args) > 0 {
		return usagef("statusline takes no arguments (Claude Code sends its JSON on standard input)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), statusLineTimeout)
	defer cancel()
	drained := drain(env.Stdin)
	fmt.Fprintln(env.Stdout, env.statusLine(ctx, time.Now()))
	// Claude Code writes its JSON and closes the pipe; reading it all spares
	// it a broken pipe. Never wait past the deadline for it.
	select {
	case <-drained:
	case <-ctx.Done():
	}
	return nil
}

// drain reads r to its end in the background; the channel closes when done.
// A terminal (someone trying the command by hand) is not read at all.
func drain(r io.Reader) <-chan struct{} {
	done := make(chan struct{})
	if f, ok := r.(*os.File); r == nil || ok && isTerminal(f) {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		_, _ = io.Copy(io.Discard, r)
	}()
	return done
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// statusLine asks the running app for its accounts and formats them.
func (env *Env) statusLine(ctx context.Context, now time.Time) string {
	home, err := paths.Home(env.Lookup) // no EnsureHome: a status line creates nothing
	if err != nil {
		return notRunningLine
	}
	// The lock file says where to send the API token: from a home folder
	// another user could change, it could send the token to them.
	if err := paths.CheckHome(home); err != nil {
		if _, unsafe := errors.AsType[*paths.UnsafeHomeError](err); unsafe {
			return unsafeHomeLine
		}
		return notRunningLine // no home folder: nothing runs
	}
	cands, _ := env.appCandidates(home)
	token := readAPIToken(home)
	for _, c := range cands {
		accts, err := fetchAccounts(ctx, c.URL, token)
		var ae apiError
		switch {
		case err == nil:
			return formatStatusLine(accts, now)
		case errors.As(err, &ae):
			return "⇄ claudeflare: " + ae.Error()
		}
		// Not reachable there: try the next address.
	}
	return notRunningLine
}

const notRunningLine = "⇄ claudeflare not running"

// unsafeHomeLine stands for the whole refusal, which `claudeflare config show` prints.
const unsafeHomeLine = "⇄ claudeflare: the home folder is not safe (`claudeflare config show` says why)"

// readAPIToken returns the local API token, or "" when there is none.
func readAPIToken(home string) string {
	b, err := os.ReadFile(filepath.Join(home, apiTokenFile))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// apiError: Claudeflare answered, but not with the accounts (a refusal, an
// answer not understood). Unlike a connection error it ends the search.
type apiError string

func (e apiError) Error() string { return string(e) }

// lineAccount is the part of GET /api/accounts the status line shows.
type lineAccount struct {
	Name             string                `json:"name"`
	Status           string                `json:"status"`
	SessionExpiresAt *time.Time            `json:"session_expires_at"`
	RateLimitedUntil *time.Time            `json:"rate_limited_until"`
	Limits           map[string]lineWindow `json:"limits"`
}

// lineWindow is one quota window of an account (docs/DESIGN.md, "Quota windows").
type lineWindow struct {
	Utilization *float64   `json:"utilization"`
	ResetsAt    *time.Time `json:"resets_at"`
}

func fetchAccounts(ctx context.Context, base, token string) ([]lineAccount, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/accounts", nil)
	if err != nil {
		return nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := localClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, apiError(fmt.Sprintf("the API answered %d", resp.StatusCode))
	}
	var accts []lineAccount
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&accts); err != nil {
		return nil, apiError("the API's answer was not understood")
	}
	return accts, nil
}

// statusWindows are the quota windows the line shows, with their labels.
var statusWindows = []struct{ key, label string }{{"five_hour", "5h"}, {"seven_day", "7d"}}

// formatStatusLine is the line for accounts (in strategy order, as the API
// lists them). The serving account is the active one; with none active, the
// first available one (the next request's, since the list is in strategy
// order). A quota window whose reset has passed counts as unused (docs/DESIGN.md, "Quota windows").
func formatStatusLine(accts []lineAccount, now time.Time) string {
	if len(accts) == 0 {
		return "⇄ claudeflare · no accounts: add one with `claudeflare accounts add`"
	}
	var serving *lineAccount
	for _, want := range []string{"active", "available"} {
		for i := range accts {
			if accts[i].Status == want && serving == nil {
				serving = &accts[i]
			}
		}
	}
	if serving == nil {
		line := "⇄ no account can serve"
		var first time.Time
		for _, a := range accts {
			if a.RateLimitedUntil != nil && a.RateLimitedUntil.After(now) && (first.IsZero() || a.RateLimitedUntil.Before(first)) {
				first = *a.RateLimitedUntil
			}
		}
		if !first.IsZero() {
			line += " · first reset in " + view.Remaining(first.Sub(now))
		}
		return line
	}
	parts := []string{"⇄ " + serving.Name}
	for _, w := range statusWindows {
		lw, ok := serving.Limits[w.key]
		if !ok || lw.Utilization == nil {
			continue
		}
		u := *lw.Utilization
		if lw.ResetsAt != nil && !lw.ResetsAt.After(now) {
			u = 0
		}
		parts = append(parts, fmt.Sprintf("%s %d%%", w.label, int(math.Round(u*100))))
	}
	if serving.Status == "active" && serving.SessionExpiresAt != nil && serving.SessionExpiresAt.After(now) {
		parts = append(parts, view.Remaining(serving.SessionExpiresAt.Sub(now)))
	}
	return strings.Join(parts, " · ")
}
