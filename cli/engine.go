package cli

import (
	"context"
	"encoding/json"
	"time"

	"github.com/claudeflare/claudeflare/core/view"
)

// engine is what the commands work on (docs/DESIGN.md, "The typed
// surface"): the part of client.API they use. While an app runs it is
// client.HTTP, so a change is the app's own and live at once; when none
// runs, the home folder itself (offline).
type engine interface {
	Accounts(ctx context.Context) ([]view.Account, error)
	AddAPIKey(ctx context.Context, name, key string, priority int) (view.Account, error)
	Pause(ctx context.Context, name string) (view.Account, error)
	Resume(ctx context.Context, name string) (view.Account, error)
	Remove(ctx context.Context, name string) error
	StartLogin(ctx context.Context, req view.LoginRequest) (view.LoginStart, error)
	LoginStatus(ctx context.Context, id string) (view.LoginStatus, error)
	CompleteLogin(ctx context.Context, id, code string) (view.Account, error)
	CancelLogin(ctx context.Context, id string) error
	Stats(ctx context.Context, window time.Duration) (view.Stats, error)
	Config(ctx context.Context) (view.Config, error)
	PatchConfig(ctx context.Context, patch map[string]json.RawMessage) (view.Config, error)
}

// target is the engine of one command.
type target struct {
	engine
	home string
	// live: the running app; its changes apply at once and it runs
	// logins itself.
	live  bool
	close func()
}

// Close releases what an offline engine opened.
func (t *target) Close() {
	if t.close != nil {
		t.close()
	}
}

// open is the running app's API when an app runs, else the home folder.
func (env *Env) open(ctx context.Context) (*target, error) {
	home, err := env.home()
	if err != nil {
		return nil, err
	}
	app, err := env.runningApp(ctx, home)
	if err != nil {
		return nil, err
	}
	if app != nil {
		return &target{engine: app, home: home, live: true}, nil
	}
	o, err := env.openOffline(home)
	if err != nil {
		return nil, err
	}
	return &target{engine: o, home: home, close: o.Close}, nil
}

// credsWhere names the store an engine keeps secrets in, for messages.
func (t *target) credsWhere(ctx context.Context) string {
	cfg, err := t.Config(ctx)
	if err != nil {
		return "credential store"
	}
	cs, err := openCreds(t.home)(cfg.CredentialStore)
	if err != nil {
		return cfg.CredentialStore + " credential store"
	}
	return cs.Describe()
}
