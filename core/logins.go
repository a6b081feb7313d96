package core

import (
	"context"
	"net/http"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/oauth"
)

// initOAuth makes the token source the proxy refreshes through and the
// login sessions the API and the tray start logins with.
func (c *Core) initOAuth(ep oauth.Endpoints) {
	client := &http.Client{Transport: c.opts.Transport}
	c.tokens = &oauth.TokenSource{
		Pool:   c.pool,
		Creds:  credsProxy{c},
		Client: &oauth.TokenClient{HTTP: client, URL: ep.Token()},
		Now:    c.opts.Now,
		Log:    c.log,
	}
	c.logins = &oauth.Logins{Service: &oauth.Service{
		Accounts:    c.accounts,
		Endpoints:   ep,
		HTTP:        client,
		UpstreamURL: func() string { return c.cfg.Get().UpstreamURL },
		Open:        c.opts.OpenBrowser,
		Now:         c.opts.Now,
		OnAccount: func(account.Account) {
			if err := c.reload(context.Background()); err != nil {
				c.log.Error("reloading accounts after a login", "err", err)
			}
		},
		Log: c.log,
	}}
}

// Probe checks the current credential store when it can check itself (the
// keychain), so a login fails before the browser opens if it cannot be saved.
func (p credsProxy) Probe(ctx context.Context) error {
	if pr, ok := p.c.credStore().(oauth.Prober); ok {
		return pr.Probe(ctx)
	}
	return nil
}

// Logins starts and follows browser logins, for tests that play the
// browser; the tray and the API use the login verbs (verbs_login.go).
func (c *Core) Logins() *oauth.Logins { return c.logins }
