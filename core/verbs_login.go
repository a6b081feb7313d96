package core

import (
	"context"

	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/view"
)

// StartLogin starts a browser login; the engine runs the loopback callback
// and stores the account when the user approves (docs/DESIGN.md, "The
// typed surface"). With OpenBrowser the engine opens the page itself.
func (c *Core) StartLogin(ctx context.Context, req view.LoginRequest) (view.LoginStart, error) {
	id, l, err := c.logins.Start(ctx, oauth.Request{
		Name: req.Name, Mode: req.Mode, Priority: req.Priority, Manual: req.Manual, Relogin: req.Relogin,
	})
	if err != nil {
		return view.LoginStart{}, refuse(err)
	}
	if req.OpenBrowser {
		go func() { _ = l.OpenBrowser() }() // the URL is shown whatever happens
	}
	return view.LoginStart{SessionID: id, AuthorizeURL: l.URL, Manual: l.Manual, Name: l.Name, Mode: string(l.Mode),
		Fallback: l.Fallback}, nil
}

// LoginStatus is where login id stands.
func (c *Core) LoginStatus(ctx context.Context, id string) (view.LoginStatus, error) {
	l, err := c.logins.Get(id)
	if err != nil {
		return view.LoginStatus{}, refuse(err)
	}
	return c.loginStatus(l), nil
}

func (c *Core) loginStatus(l *oauth.Login) view.LoginStatus {
	state, a, err := l.Status()
	out := view.LoginStatus{State: string(state), Manual: l.Manual}
	if err != nil {
		out.Error = err.Error()
	}
	if state == oauth.StateDone {
		// The pool was reloaded before the login reported done (initOAuth).
		v := c.accountView(a)
		out.Account = &v
	}
	return out
}

// WaitLogin returns login id's status once it has ended, or ctx's error.
func (c *Core) WaitLogin(ctx context.Context, id string) (view.LoginStatus, error) {
	l, err := c.logins.Get(id)
	if err != nil {
		return view.LoginStatus{}, refuse(err)
	}
	select {
	case <-l.Done():
	case <-ctx.Done():
		return c.loginStatus(l), ctx.Err()
	}
	return c.loginStatus(l), nil
}

// CompleteLogin finishes a manual login with the pasted code#state. A
// pasted value of the wrong form is refused and the login goes on waiting.
func (c *Core) CompleteLogin(ctx context.Context, id, code string) (view.Account, error) {
	a, err := c.logins.Complete(ctx, id, code)
	return c.changed(ctx, a, err)
}

// CancelLogin ends a login; nothing is stored. Cancelling one that has
// ended is harmless.
func (c *Core) CancelLogin(ctx context.Context, id string) error {
	return refuse(c.logins.Cancel(id))
}
