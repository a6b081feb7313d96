package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/creds"
)

// State is where a login stands.
type State string

const (
	StatePending State = "pending"
	StateDone    State = "done"
	StateFailed  State = "failed"
)

// Login is one login in progress. Show URL to the user (and open it with
// OpenBrowser); the login ends when the browser comes back to the loopback
// listener, when Complete is given the pasted code, when it times out or
// when it is cancelled.
type Login struct {
	// URL is the authorize URL. Always show it, so it can be opened by hand.
	URL string
	// Manual is true when the user must paste "code#state" (see Complete).
	Manual bool
	// Fallback says why a login that was not asked to be manual is manual
	// (the callback port is busy); "" otherwise.
	Fallback string
	// Name and Mode are the account's.
	Name string
	Mode Mode

	svc         *Service
	relogin     bool
	priority    int
	pkce        PKCE
	state       string
	redirectURI string
	cb          *callback // nil in the manual flow
	pastes      chan paste
	cancel      context.CancelCauseFunc
	done        chan struct{}
	acct        account.Account
	err         error
}

type paste struct{ code, state string }

// OpenBrowser opens URL with the service's opener. Show URL whatever it returns.
func (l *Login) OpenBrowser() error {
	if l.svc.Open == nil {
		return errors.New("no browser opener is configured")
	}
	return l.svc.Open(l.URL)
}

// Cancel ends the login; nothing is stored. It is harmless after the end.
func (l *Login) Cancel() { l.cancel(ErrCancelled) }

// Done is closed when the login has ended.
func (l *Login) Done() <-chan struct{} { return l.done }

// Wait blocks until the login ends (or ctx ends: then the login goes on)
// and returns the stored account or why the login failed.
func (l *Login) Wait(ctx context.Context) (account.Account, error) {
	select {
	case <-l.done:
		return l.acct, l.err
	case <-ctx.Done():
		return account.Account{}, ctx.Err()
	}
}

// Status reports, without blocking, where the login stands, and its
// account or error once it has ended.
func (l *Login) Status() (State, account.Account, error) {
	select {
	case <-l.done:
		if l.err != nil {
			return StateFailed, account.Account{}, l.err
		}
		return StateDone, l.acct, nil
	default:
		return StatePending, account.Account{}, nil
	}
}

// Complete finishes the login with the "code#state" the user pasted (a
// pasted callback URL with code and state in its query is accepted too).
// A value of the wrong form is ErrBadCode and the login goes on waiting;
// otherwise the login ends and Complete returns its outcome.
func (l *Login) Complete(ctx context.Context, pasted string) (account.Account, error) {
	code, state, ok := parsePasted(pasted)
	if !ok {
		return account.Account{}, ErrBadCode
	}
	select {
	case l.pastes <- paste{code, state}:
	case <-l.done:
		if l.err != nil {
			return account.Account{}, fmt.Errorf("%w (%v)", ErrFinished, l.err)
		}
		return account.Account{}, ErrFinished
	case <-ctx.Done():
		return account.Account{}, ctx.Err()
	}
	return l.Wait(ctx)
}

// parsePasted splits "code#state", or reads code and state from a pasted URL.
func parsePasted(s string) (code, state string, ok bool) {
	s = strings.TrimSpace(s)
	if u, err := url.Parse(s); err == nil && u.Scheme != "" && u.RawQuery != "" {
		q := u.Query()
		code, state = q.Get("code"), q.Get("state")
	} else {
		code, state, _ = strings.Cut(s, "#")
	}
	bad := func(v string) bool { return v == "" || len(v) > 4096 || strings.ContainsAny(v, " \t\r\n#") }
	if bad(code) || bad(state) {
		return "", "", false
	}
	return code, state, true
}

// run waits for the redirect, a paste, the timeout or a cancel, and ends the login.
func (l *Login) run(ctx context.Context) {
	var hits chan callbackHit
	if l.cb != nil {
		hits = l.cb.hits
	}
	select {
	case <-ctx.Done():
		l.end(account.Account{}, context.Cause(ctx))
	case p := <-l.pastes:
		a, err := l.finish(ctx, p.code, p.state)
		l.end(a, err)
	case hit := <-hits:
		a, err := l.fromRedirect(ctx, hit.query)
		hit.reply <- l.pageFor(err)
		l.end(a, err)
	}
}

// fromRedirect finishes the login with the browser's redirect.
func (l *Login) fromRedirect(ctx context.Context, q url.Values) (account.Account, error) {
	if !sameState(q.Get("state"), l.state) {
		return account.Account{}, ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		msg := e
		if d := q.Get("error_description"); d != "" {
			msg += ": " + d
		}
		return account.Account{}, fmt.Errorf("%w: %s", ErrDenied, scrub(msg))
	}
	if q.Get("code") == "" {
		return account.Account{}, fmt.Errorf("%w: the redirect carried no code", ErrDenied)
	}
	return l.finish(ctx, q.Get("code"), q.Get("state"))
}

func sameState(got, want string) bool {
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// finish checks state, exchanges the code and stores the account.
func (l *Login) finish(ctx context.Context, code, state string) (account.Account, error) {
	if !sameState(state, l.state) {
		return account.Account{}, ErrStateMismatch
	}
	s := l.svc
	tc := &TokenClient{HTTP: s.HTTP, URL: s.Endpoints.Token()}
	tokens, err := tc.Exchange(ctx, code, state, l.redirectURI, l.pkce.Verifier)
	if err != nil {
		return account.Account{}, l.failure(ctx, "exchanging the login code for tokens", err)
	}
	secret := tokens.Secret(s.now())
	kind := account.KindOAuth
	if l.Mode == ModeConsole {
		upstream := ""
		if s.UpstreamURL != nil {
			upstream = s.UpstreamURL()
		}
		key, err := CreateAPIKey(ctx, s.HTTP, upstream, tokens.AccessToken)
		if err != nil {
			return account.Account{}, l.failure(ctx, "finishing the console login", err)
		}
		secret, kind = creds.Secret{APIKey: key}, account.KindAPIKey
	}
	if l.relogin {
		a, err := s.Accounts.Replace(ctx, l.Name, secret)
		if err != nil {
			return account.Account{}, l.failure(ctx, "storing the new login", err)
		}
		return a, nil
	}
	a, err := s.Accounts.Create(ctx, account.Account{Name: l.Name, Kind: kind, Mode: string(l.Mode), Priority: l.priority}, secret)
	if err != nil {
		return account.Account{}, l.failure(ctx, "storing the account", err)
	}
	return a, nil
}

// failure prefers the login's own end (timeout, cancel) to the error it caused.
func (l *Login) failure(ctx context.Context, what string, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// pageFor is what the browser sees once the redirect has been handled.
func (l *Login) pageFor(err error) page {
	if err == nil {
		what := "logged in"
		if l.relogin {
			what = "logged in again"
		}
		return page{http.StatusOK, "You are logged in",
			fmt.Sprintf("Claudeflare account %q is %s. You may close this window.", l.Name, what)}
	}
	return page{http.StatusBadRequest, "Login failed",
		fmt.Sprintf("Claudeflare could not log account %q in: %v. You may close this window and try again.", l.Name, err)}
}

// end records the outcome, closes the listener (after the browser has its
// page) and tells the waiters.
func (l *Login) end(a account.Account, err error) {
	if l.cb != nil {
		l.cb.close()
	}
	log := l.svc.log()
	if err != nil {
		log.Info("oauth: login failed", "account", l.Name, "mode", string(l.Mode), "err", err)
	} else {
		log.Info("oauth: login succeeded", "account", a.Name, "mode", string(l.Mode), "kind", string(a.Kind))
		if l.svc.OnAccount != nil {
			l.svc.OnAccount(a)
		}
	}
	l.acct, l.err = a, err
	l.cancel(ErrFinished)
	close(l.done)
}
