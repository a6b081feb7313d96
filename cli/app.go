package cli

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/claudeflare/claudeflare/core"
	"github.com/claudeflare/claudeflare/core/client"
	"github.com/claudeflare/claudeflare/platform/apitoken"
	"github.com/claudeflare/claudeflare/platform/lock"
	"github.com/claudeflare/claudeflare/platform/paths"
)

// How a command finds the running app (docs/DESIGN.md, "The typed
// surface"). An app that holds the single-instance lock but does not answer
// yet is starting (opening its database, reading its keychain) or moving
// its listener: a command waits appWait for it, asking every appPoll, each
// question bounded by appProbe (a stopped process accepts connections and
// never answers).
const (
	appWait  = 5 * time.Second
	appPoll  = 50 * time.Millisecond
	appProbe = time.Second
)

// silentAppError: an app holds the lock but does not answer where it says
// it listens. Nothing was changed: writing the database beside a running
// app would go unseen by it.
type silentAppError struct {
	lockPath string
	info     lock.Info
}

func (e *silentAppError) Error() string {
	where := "at " + e.info.Address
	if e.info.Address == "" {
		where = "(its lock file records no address yet)"
	}
	return fmt.Sprintf("Claudeflare (pid %d) is running, holding %s, but does not answer %s; nothing was changed. "+
		"If it hangs, stop it (kill %d) and try again", e.info.PID, e.lockPath, where, e.info.PID)
}

// runningApp is a client of the app running on home (the tray or `serve`:
// whichever holds the single-instance lock), or nil when none runs. A lock
// left by an app that crashed is not held: nothing runs then. A held lock
// whose app does not answer within appWait is a *silentAppError.
func (env *Env) runningApp(ctx context.Context, home string) (*client.HTTP, error) {
	path := paths.LockPath(home)
	deadline := time.Now().Add(appWait)
	for {
		info, held, err := lock.Probe(path)
		if err != nil || !held {
			return nil, err
		}
		if info.Address != "" && answers(ctx, clientURL(info.Address)) {
			token, err := env.appToken(ctx, home)
			if err != nil {
				return nil, err
			}
			return &client.HTTP{Base: followLock(path, clientURL(info.Address)), Token: token}, nil
		}
		if time.Now().After(deadline) {
			return nil, &silentAppError{lockPath: path, info: info}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(appPoll):
		}
	}
}

func answers(ctx context.Context, base string) bool {
	ctx, cancel := context.WithTimeout(ctx, appProbe)
	defer cancel()
	return isClaudeflare(ctx, base)
}

// followLock is a base URL that follows the app's listener: the app
// records a new address in its lock file once it has moved.
func followLock(path, first string) func() string {
	var mu sync.Mutex
	last := first
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		if a := lock.Read(path).Address; a != "" {
			last = clientURL(a)
		}
		return last
	}
}

// appToken is what the app wants on its API: the local API token, or with
// allow_remote the client key (which then guards every request).
func (env *Env) appToken(ctx context.Context, home string) (string, error) {
	if cfg, _, err := env.loadConfig(home); err == nil && cfg.AllowRemote {
		cs, err := openCreds(home)(cfg.CredentialStore)
		if err != nil {
			return "", err
		}
		return core.ClientKey(ctx, cs)
	}
	tok, _ := apitoken.Read(home) // none: the app's refusal says where it should be
	return tok, nil
}
