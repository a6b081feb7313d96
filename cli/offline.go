package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/accounts"
	"github.com/claudeflare/claudeflare/core/config"
	"github.com/claudeflare/claudeflare/core/oauth"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
	"github.com/claudeflare/claudeflare/core/view"
	"github.com/claudeflare/claudeflare/platform/lock"
)

// offline is the engine when no app runs: the database, the credential
// store and config.json of the home folder, used directly, each under the
// locks other processes take too (docs/DESIGN.md, "Files that several
// processes share"). The database is opened on first use, so `config`
// commands touch only config.json.
type offline struct {
	env  *Env
	home string

	once   sync.Once
	err    error
	cfg    config.Config
	db     *store.DB
	svc    *accounts.Service
	logins *oauth.Logins
}

func (env *Env) openOffline(home string) (*offline, error) {
	return &offline{env: env, home: home}, nil
}

// open opens the database and the credential store, once.
func (o *offline) open() error {
	o.once.Do(func() {
		o.cfg, _, o.err = o.env.loadConfig(o.home)
		if o.err != nil {
			return
		}
		if o.db, o.err = store.Open(core.DBPath(o.home)); o.err != nil {
			return
		}
		cs, err := openCreds(o.home)(o.cfg.CredentialStore)
		if err != nil {
			o.db.Close()
			o.db, o.err = nil, err
			return
		}
		o.svc = &accounts.Service{DB: o.db, Creds: cs}
	})
	return o.err
}

// Close ends the logins this process ran and closes the database.
func (o *offline) Close() {
	if o.logins != nil {
		o.logins.CancelAll()
	}
	if o.db != nil {
		o.db.Close()
	}
}

func (o *offline) Accounts(ctx context.Context) ([]view.Account, error) {
	if err := o.open(); err != nil {
		return nil, err
	}
	list, err := o.db.Accounts(ctx)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	views := pool.ViewsOf(list, now, o.cfg.SessionDuration())
	out := make([]view.Account, len(views))
	for i, v := range views {
		out[i] = view.AccountOf(v, now)
	}
	return out, nil
}

// accountView is a as stored (no running app computes its state).
func accountView(a account.Account, err error) (view.Account, error) {
	if err != nil {
		return view.Account{}, err
	}
	now := time.Now()
	return view.AccountOf(pool.View{Account: a, Status: a.StatusAt(now, false)}, now), nil
}

func (o *offline) AddAPIKey(ctx context.Context, name, key string, priority int) (view.Account, error) {
	if err := o.open(); err != nil {
		return view.Account{}, err
	}
	return accountView(o.svc.AddAPIKey(ctx, name, key, priority))
}

func (o *offline) Pause(ctx context.Context, name string) (view.Account, error) {
	if err := o.open(); err != nil {
		return view.Account{}, err
	}
	return accountView(o.svc.SetPaused(ctx, name, true))
}

func (o *offline) Resume(ctx context.Context, name string) (view.Account, error) {
	if err := o.open(); err != nil {
		return view.Account{}, err
	}
	return accountView(o.svc.SetPaused(ctx, name, false))
}

func (o *offline) Remove(ctx context.Context, name string) error {
	if err := o.open(); err != nil {
		return err
	}
	return o.svc.Remove(ctx, name)
}

// StartLogin runs the login in this process: its loopback callback
// listens here until the login ends.
func (o *offline) StartLogin(ctx context.Context, req view.LoginRequest) (view.LoginStart, error) {
	if err := o.open(); err != nil {
		return view.LoginStart{}, err
	}
	ep, err := oauth.EndpointsFromEnv(o.env.Lookup)
	if err != nil {
		return view.LoginStart{}, err
	}
	o.logins = &oauth.Logins{Service: &oauth.Service{
		Accounts:    o.svc,
		Endpoints:   ep,
		HTTP:        &http.Client{Transport: o.env.Transport},
		UpstreamURL: func() string { return o.cfg.UpstreamURL },
		Open:        o.env.opener(),
	}}
	id, l, err := o.logins.Start(ctx, oauth.Request{Name: req.Name, Mode: req.Mode, Priority: req.Priority,
		Manual: req.Manual, Relogin: req.Relogin})
	if err != nil {
		return view.LoginStart{}, err
	}
	if req.OpenBrowser {
		go func() { _ = l.OpenBrowser() }()
	}
	return view.LoginStart{SessionID: id, AuthorizeURL: l.URL, Manual: l.Manual, Name: l.Name, Mode: string(l.Mode),
		Fallback: l.Fallback}, nil
}

// login is a login this process started.
func (o *offline) login(id string) (*oauth.Login, error) {
	if o.logins == nil {
		return nil, oauth.ErrUnknownSession
	}
	return o.logins.Get(id)
}

func (o *offline) LoginStatus(ctx context.Context, id string) (view.LoginStatus, error) {
	l, err := o.login(id)
	if err != nil {
		return view.LoginStatus{}, err
	}
	state, a, lerr := l.Status()
	st := view.LoginStatus{State: string(state), Manual: l.Manual}
	if lerr != nil {
		st.Error = lerr.Error()
	}
	if state == oauth.StateDone {
		v, _ := accountView(a, nil)
		st.Account = &v
	}
	return st, nil
}

// WaitLogin waits for the login's end without polling (client.LoginWaiter).
func (o *offline) WaitLogin(ctx context.Context, id string) (view.LoginStatus, error) {
	l, err := o.login(id)
	if err != nil {
		return view.LoginStatus{}, err
	}
	select {
	case <-l.Done():
	case <-ctx.Done():
	}
	st, err := o.LoginStatus(ctx, id)
	if err == nil {
		err = ctx.Err()
	}
	return st, err
}

func (o *offline) CompleteLogin(ctx context.Context, id, code string) (view.Account, error) {
	if o.logins == nil {
		return view.Account{}, oauth.ErrUnknownSession
	}
	return accountView(o.logins.Complete(ctx, id, code))
}

func (o *offline) CancelLogin(ctx context.Context, id string) error {
	if o.logins == nil {
		return oauth.ErrUnknownSession
	}
	return o.logins.Cancel(id)
}

func (o *offline) Stats(ctx context.Context, window time.Duration) (view.Stats, error) {
	// Only the database: stats need no configuration and no keychain.
	db, err := store.Open(core.DBPath(o.home))
	if err != nil {
		return view.Stats{}, err
	}
	defer db.Close()
	return core.ReadStats(ctx, db, time.Now(), window)
}

func (o *offline) Config(ctx context.Context) (view.Config, error) {
	c, src, err := o.env.loadConfig(o.home)
	return view.Config{Config: c, Sources: src}, err
}

// PatchConfig writes config.json under its lock and, when credential_store
// changed, carries the secrets to the new store, as a running app would.
func (o *offline) PatchConfig(ctx context.Context, patch map[string]json.RawMessage) (view.Config, error) {
	before, _, beforeErr := o.env.loadConfig(o.home)
	c, src, err := config.Patch(core.ConfigPath(o.home), patch, o.env.Lookup, nil, config.WithLock(lock.Exclusive))
	if err != nil {
		return view.Config{}, err
	}
	out := view.Config{Config: c, Sources: src}
	if beforeErr == nil && before.CredentialStore != c.CredentialStore {
		return out, o.moveCredentials(ctx, before.CredentialStore, c.CredentialStore)
	}
	return out, nil
}

// moveCredentials carries the secrets to the credential store just chosen,
// so the accounts keep working.
func (o *offline) moveCredentials(ctx context.Context, from, to string) error {
	src, err := openCreds(o.home)(from)
	if err != nil {
		return err
	}
	dst, err := openCreds(o.home)(to)
	if err != nil {
		return err
	}
	db, err := store.Open(core.DBPath(o.home))
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := core.MoveSecrets(ctx, db, src, dst)
	if err != nil {
		return fmt.Errorf("credential_store is now %s, but %w", to, err)
	}
	noun := "secrets"
	if n == 1 {
		noun = "secret"
	}
	fmt.Fprintf(o.env.Stdout, "Moved %d %s from %s to %s.\n", n, noun, src.Describe(), dst.Describe())
	return nil
}
