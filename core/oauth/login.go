package oauth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/creds"
	"github.com/claudeflare/claudeflare/core/store"
)

// Request asks for one login.
type Request struct {
	Name string
	// Mode is "claude" (the default) or "console". With Relogin, "" keeps the
	// account's mode.
	Mode string
	// Priority of a new account (0 … 100).
	Priority int
	// Manual asks for the paste-the-code flow instead of the loopback callback.
	Manual bool
	// Relogin logs an existing account in again: its secret is replaced and
	// its history and settings stay.
	Relogin bool
}

// Service starts logins and stores their outcome as accounts.
type Service struct {
	Accounts  *accounts.Service
	Endpoints Endpoints
	HTTP      *http.Client // for the token endpoint and create_api_key; nil: http.DefaultClient
	// UpstreamURL is the live upstream_url, where console logins create their API key.
	UpstreamURL func() string
	// Open opens a URL in the browser (platform/browser.Open); nil never opens one.
	Open func(url string) error
	// Timeout ends a login nobody finishes; DefaultLoginTimeout if 0.
	Timeout time.Duration
	Now     func() time.Time
	// OnAccount is called after a login stored its account, before the login
	// reports done (the core reloads the pool there).
	OnAccount func(account.Account)
	Log       *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

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

// Start checks the request (a bad name or mode, a name in use, or for
// Relogin an unknown account is an error at once), prepares PKCE and
// state, starts the loopback listener (falling back to the manual flow when
// its port is taken) and returns the login waiting for the user. ctx bounds
// Start only; the login lives until it ends or Timeout passes.
func (s *Service) Start(ctx context.Context, req Request) (*Login, error) {
	l, err := s.prepare(ctx, req)
	if err != nil {
		return nil, err
	}
	if !req.Manual {
		cb, err := listenCallback(s.Endpoints.Port(), s.log())
		if err != nil {
			l.Fallback = fmt.Sprintf("the login callback port %d is not free (%v)", s.Endpoints.Port(), err)
			s.log().Info("oauth: callback port busy; using the paste-the-code flow", "port", s.Endpoints.Port(), "err", err)
		} else {
			l.cb = cb
		}
	}
	l.Manual = l.cb == nil
	l.redirectURI = ManualRedirectURI
	if l.cb != nil {
		l.redirectURI = l.cb.redirectURI()
	}
	l.URL, err = AuthorizeURL(s.Endpoints.Authorize(l.Mode), l.redirectURI, l.pkce.Challenge, l.state)
	if err != nil {
		if l.cb != nil {
			l.cb.close()
		}
		return nil, err
	}
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	base, cancel := context.WithCancelCause(context.Background())
	runCtx, stop := context.WithTimeoutCause(base, timeout,
		fmt.Errorf("%w: nobody finished it within %s", ErrTimedOut, timeout))
	l.cancel = cancel
	go func() {
		defer stop()
		l.run(runCtx)
	}()
	return l, nil
}

// prepare validates req and makes the login's secrets.
func (s *Service) prepare(ctx context.Context, req Request) (*Login, error) {
	if err := account.ValidateName(req.Name); err != nil {
		return nil, invalid("%v", err)
	}
	l := &Login{
		Name: req.Name, svc: s, relogin: req.Relogin, priority: req.Priority,
		pkce: NewPKCE(), state: NewState(), pastes: make(chan paste), done: make(chan struct{}),
	}
	if req.Relogin {
		a, err := s.Accounts.Get(ctx, req.Name)
		if err != nil {
			return nil, err
		}
		if a.Mode != string(ModeClaude) && a.Mode != string(ModeConsole) {
			return nil, invalid("account %q was added with an API key, not through a login: there is nothing to log in again "+
				"(to replace its key, remove it and add it again)", a.Name)
		}
		if req.Mode != "" && req.Mode != a.Mode {
			return nil, invalid("account %q is a %s account: log it in again in mode %s, or remove it and add it again", a.Name, a.Mode, a.Mode)
		}
		l.Mode = Mode(a.Mode)
		return l, nil
	}
	mode, err := ParseMode(req.Mode)
	if err != nil {
		return nil, err
	}
	l.Mode = mode
	if err := account.ValidatePriority(req.Priority); err != nil {
		return nil, invalid("%v", err)
	}
	if _, err := s.Accounts.Get(ctx, req.Name); err == nil {
		return nil, fmt.Errorf("%w: an account named %q already exists (to log it in again: `claudeflare accounts login %s`)",
			store.ErrNameTaken, req.Name, req.Name)
	} else if !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	return l, nil
}

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
