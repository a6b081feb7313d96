// Package client is the one typed surface through which the tray, its
// windows and the command line drive a Claudeflare engine
// (docs/DESIGN.md, "The typed surface"). API is implemented twice: by
// *core.Core, in the process that runs the engine (the tray), and by HTTP,
// over the engine's HTTP API (the command line while an app runs). Both
// speak the types of core/view and core/events, and both refuse with an
// *Error carrying the HTTP status the API answers with.
package client

import (
	"context"
	"encoding/json"
	"time"

	"github.com/claudeflare/claudeflare/core/events"
	"github.com/claudeflare/claudeflare/core/view"
)

// API is what the UI and the command line may ask of the engine. Every
// change applies to the next request: callers never reload anything.
type API interface {
	// Status is GET /health.
	Status(ctx context.Context) (view.Health, error)

	// Accounts lists the accounts in strategy order with their status.
	Accounts(ctx context.Context) ([]view.Account, error)
	// AddAPIKey adds an API-key account; the key goes to the credential store.
	AddAPIKey(ctx context.Context, name, key string, priority int) (view.Account, error)
	// UpdateAccount renames an account and/or sets its priority, at once.
	UpdateAccount(ctx context.Context, name string, p view.AccountPatch) (view.Account, error)
	Pause(ctx context.Context, name string) (view.Account, error)
	Resume(ctx context.Context, name string) (view.Account, error)
	// Remove deletes an account and its secret.
	Remove(ctx context.Context, name string) error

	// StartLogin starts a browser login; the engine runs the loopback
	// callback and stores the account when the user approves.
	StartLogin(ctx context.Context, req view.LoginRequest) (view.LoginStart, error)
	LoginStatus(ctx context.Context, id string) (view.LoginStatus, error)
	// CompleteLogin finishes a manual login with the pasted code#state.
	CompleteLogin(ctx context.Context, id, code string) (view.Account, error)
	CancelLogin(ctx context.Context, id string) error

	// Stats are the monitoring figures of the window ending now.
	Stats(ctx context.Context, window time.Duration) (view.Stats, error)
	// Requests are the latest request rows, newest first (limit 1 … 1000).
	Requests(ctx context.Context, limit int) ([]view.Request, error)

	Config(ctx context.Context) (view.Config, error)
	// PatchConfig validates some keys of config.json, saves them and
	// applies them; a new address is bound before it returns.
	PatchConfig(ctx context.Context, patch map[string]json.RawMessage) (view.Config, error)

	// Subscribe delivers the events published from now on until ctx ends
	// or the stream does; then the channel is closed. A subscriber that
	// does not keep up loses events: the engine never waits for it.
	Subscribe(ctx context.Context) (<-chan events.Event, error)
}
