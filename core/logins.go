package core

import (
	"context"
	"net/http"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/api"
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
			if err := c.Reload(context.Background()); err != nil {
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

// extraRoutes registers the API routes that live outside package api's own
// list: the OAuth login endpoints.
func (c *Core) extraRoutes(d api.Deps) func(*http.ServeMux) {
	return api.OAuthRoutes(d, c.logins)
}

// Logins starts and follows browser logins (add an account, log one in
// again); the tray uses it directly, the HTTP API through /api/oauth/.
func (c *Core) Logins() *oauth.Logins { return c.logins }
