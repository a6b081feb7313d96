package client

import (
	"context"
	"time"

	"github.com/claudeflare/claudeflare/core/view"
)

// loginPoll is how often WaitLogin asks an engine that cannot wait itself:
// a person approving a login in the browser notices no quarter second.
const loginPoll = 250 * time.Millisecond

// LoginWaiter is an API that can wait for a login to end without polling
// (the engine in its own process).
type LoginWaiter interface {
	WaitLogin(ctx context.Context, id string) (view.LoginStatus, error)
}

// LoginStatuser is the part of API that WaitLogin needs.
type LoginStatuser interface {
	LoginStatus(ctx context.Context, id string) (view.LoginStatus, error)
}

// WaitLogin returns login id's status once it is no longer pending, or
// ctx's error with the last status seen. An api that is a LoginWaiter
// waits itself; any other is asked every quarter second.
func WaitLogin(ctx context.Context, api LoginStatuser, id string) (view.LoginStatus, error) {
	if w, ok := api.(LoginWaiter); ok {
		return w.WaitLogin(ctx, id)
	}
	t := time.NewTicker(loginPoll)
	defer t.Stop()
	for {
		st, err := api.LoginStatus(ctx, id)
		if err != nil || st.State != view.LoginPending {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, ctx.Err()
		case <-t.C:
		}
	}
}
