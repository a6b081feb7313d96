package view

import "github.com/claudeflare/claudeflare/core/config"

// Health is GET /health: whether the engine is up, and how many of its
// accounts can serve.
type Health struct {
	Status    string `json:"status"` // "ok"
	Strategy  string `json:"strategy"`
	Accounts  int    `json:"accounts"`
	Available int    `json:"available"`
	Version   string `json:"version"`
}

// Config is the running configuration with the source of each value
// (GET /api/config, `config show`): every key of config.json at the top
// level, plus "sources".
type Config struct {
	config.Config
	Sources config.Sources `json:"sources"`
}

// AccountPatch changes an account's name and/or priority (PATCH
// /api/accounts/{name}); a nil field stays as it is.
type AccountPatch struct {
	Name     *string `json:"name,omitempty"`
	Priority *int    `json:"priority,omitempty"`
}

// LoginRequest asks for a browser login (POST /api/oauth/start).
type LoginRequest struct {
	Name string `json:"name"`
	// Mode is "claude" (Pro/Max, the default) or "console" (ends by
	// creating an API key). With Relogin, "" keeps the account's mode.
	Mode     string `json:"mode,omitempty"`
	Priority int    `json:"priority,omitempty"` // of a new account, 0 … 100
	// Manual asks for the paste-the-code flow instead of the loopback callback.
	Manual bool `json:"manual,omitempty"`
	// Relogin logs an existing account in again, keeping its history.
	Relogin bool `json:"relogin,omitempty"`
	// OpenBrowser asks the engine to open the authorize URL itself.
	OpenBrowser bool `json:"open_browser,omitempty"`
}

// LoginStart is a login waiting for the user: its id (the API's
// session_id) and the page to approve it on.
type LoginStart struct {
	SessionID    string `json:"session_id"`
	AuthorizeURL string `json:"authorize_url"`
	// Manual: the user must paste the code#state the page shows.
	Manual bool   `json:"manual"`
	Name   string `json:"name"`
	Mode   string `json:"mode"` // claude or console
	// Fallback says why the manual flow was chosen when it was not asked
	// for (the callback port is busy); "" otherwise.
	Fallback string `json:"fallback,omitempty"`
}

// Login states (LoginStatus.State).
const (
	LoginPending = "pending"
	LoginDone    = "done"
	LoginFailed  = "failed"
)

// LoginStatus is where a login stands (GET /api/oauth/{session_id}).
type LoginStatus struct {
	State   string   `json:"state"` // LoginPending, LoginDone or LoginFailed
	Manual  bool     `json:"manual"`
	Error   string   `json:"error,omitempty"`
	Account *Account `json:"account,omitempty"` // when done
}
