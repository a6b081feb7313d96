package oauth

import (
	"context"
	"errors"
	"fmt"
	"github.com/claudeflare/claudeflare/core/clock"
	"log/slog"
	"net/http"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
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
	Now     clock.Clock
	// OnAccount is called after a login stored its account, before the login
	// reports done (the core reloads the pool there).
	OnAccount func(account.Account)
	Log       *slog.Logger
}

func (s *Service) now() time.Time {
	return s.Now.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

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
		return l, s.probe(ctx)
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
	return l, s.probe(ctx)
}

// Prober is a credential store that can check it works (keychain.Keychain).
type Prober interface {
	Probe(ctx context.Context) error
}

// probe reports an unusable credential store before the user goes through
// the browser for nothing.
func (s *Service) probe(ctx context.Context) error {
	if p, ok := s.Accounts.Creds.(Prober); ok {
		return p.Probe(ctx)
	}
	return nil
}
