// Package account defines an upstream Claude account as the rest of the core
// sees it: its settings, its runtime state and the status derived from both.
// It holds no secret; credentials live in the credential store (package creds).
package account

import (
	"fmt"
	"net/http"
	"time"
)

// Kind says how an account authenticates upstream.
type Kind string

const (
	// KindOAuth accounts send "Authorization: Bearer <access token>" plus the oauth beta.
	KindOAuth Kind = "oauth"
	// KindAPIKey accounts send "x-api-key: <key>".
	KindAPIKey Kind = "api_key"
)

// Status is the account's state as shown to users, derived by StatusAt.
type Status string

const (
	StatusActive      Status = "active"
	StatusAvailable   Status = "available"
	StatusRateLimited Status = "rate_limited"
	StatusCooldown    Status = "cooldown"
	StatusPaused      Status = "paused"
	StatusNeedsLogin  Status = "needs_login"
)

// Priority bounds: lower numbers are used first.
const (
	MinPriority = 0
	MaxPriority = 100
)

// Account is one upstream account. Settings (Name, Priority, Paused, ...) are
// edited by users; the rest is runtime state kept by the proxy.
type Account struct {
	ID        string // stable random id; the credential store key
	Name      string
	Kind      Kind
	Mode      string // login mode for OAuth accounts: "claude" or "console"; "" for API keys
	Priority  int
	Paused    bool
	CreatedAt time.Time
	// CredVersion is bumped whenever the account's secret is replaced (a new
	// login), so a running proxy knows to reload it and clear NeedsLogin.
	CredVersion int64

	NeedsLogin       bool
	RateLimitedUntil time.Time
	CooldownUntil    time.Time
	SessionStart     time.Time // zero: never had a session
	SessionRequests  int64
	TotalRequests    int64
	LastUsed         time.Time
	TokenExpiresAt   time.Time
	// Quota is each quota window as the latest answer reported it; never
	// changed in place (see Quota).
	Quota Quota
	// LimitHeaders are the anthropic-ratelimit-unified-* headers of the 429
	// that last rate-limited the account, as Anthropic sent them: replayed
	// when every account is spent, so that Claude Code names the limit and
	// its reset. Never changed in place; nil for API-key accounts.
	LimitHeaders http.Header
}

// FiveHourUtilization is the current 5-hour utilization, or -1 when unknown.
func (a *Account) FiveHourUtilization(now time.Time) float64 {
	w, ok := a.Quota[WindowFiveHour]
	if !ok {
		return -1
	}
	if w.Passed(now) {
		return 0
	}
	return w.Utilization
}

// Available reports whether the strategy may route a request to the account at now.
func (a *Account) Available(now time.Time) bool {
	return !a.Paused && !a.NeedsLogin && !now.Before(a.RateLimitedUntil) && !now.Before(a.CooldownUntil)
}

// StatusAt derives the user-facing status. active marks the account the
// strategy would use first.
func (a *Account) StatusAt(now time.Time, active bool) Status {
	switch {
	case a.Paused:
		return StatusPaused
	case a.NeedsLogin:
		return StatusNeedsLogin
	case now.Before(a.RateLimitedUntil):
		return StatusRateLimited
	case now.Before(a.CooldownUntil):
		return StatusCooldown
	case active:
		return StatusActive
	default:
		return StatusAvailable
	}
}

// ValidateName checks docs/DESIGN.md, "Account names": 1 to 64 characters of letters, digits, space and "._@+-", not
// "." or "..", which name no account in a URL path (/api/accounts/../pause is cleaned away).
// Uniqueness ignoring case is the store's to check, in the transaction that writes the name.
func ValidateName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("account name must be 1 to 64 characters, got %d", len(name))
	}
	if name == "." || name == ".." {
		return fmt.Errorf("account name %q is not allowed: it means a folder in a path, not an account", name)
	}
	for _, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
			r == ' ' || r == '.' || r == '_' || r == '@' || r == '+' || r == '-'
		if !ok {
			return fmt.Errorf("account name %q has %q: only letters, digits, space and ._@+- are allowed", name, r)
		}
	}
	return nil
}

// ValidatePriority checks the 0…100 range.
func ValidatePriority(p int) error {
	if p < MinPriority || p > MaxPriority {
		return fmt.Errorf("priority must be between %d and %d, got %d", MinPriority, MaxPriority, p)
	}
	return nil
}
