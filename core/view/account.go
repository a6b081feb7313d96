// Package view is how accounts, requests, figures and the configuration
// look to everything outside the engine: the JSON of the HTTP API and of
// `--json`, and what the command line and the windows show. It never holds
// a secret.
package view

import (
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/pool"
	"github.com/claudeflare/claudeflare/core/store"
)

// Account is an account as the API and `accounts list --json` show it. It never holds a secret.
type Account struct {
	ID               string     `json:"id"`
	Name             string     `json:"name"`
	Kind             string     `json:"kind"`
	Mode             string     `json:"mode"`
	Priority         int        `json:"priority"`
	Paused           bool       `json:"paused"`
	Status           string     `json:"status"`
	RateLimitedUntil *time.Time `json:"rate_limited_until"`
	CooldownUntil    *time.Time `json:"cooldown_until"`
	SessionStart     *time.Time `json:"session_start"`
	SessionExpiresAt *time.Time `json:"session_expires_at"`
	SessionRequests  int64      `json:"session_requests"`
	TotalRequests    int64      `json:"total_requests"`
	LastUsed         *time.Time `json:"last_used"`
	CreatedAt        *time.Time `json:"created_at"`
	TokenExpiresAt   *time.Time `json:"token_expires_at"`
	// Utilization is the five-hour window's, kept beside Limits for
	// scripts written before it.
	Utilization *float64         `json:"utilization"`
	Limits      map[string]Limit `json:"limits"`
}

// Limit is one quota window (docs/DESIGN.md, "Quota windows"): its utilization (a fraction, can
// exceed 1), when it resets and Anthropic's status for it. A window whose
// reset has passed shows as unused until the next answer reports it.
type Limit struct {
	Utilization float64    `json:"utilization"`
	ResetsAt    *time.Time `json:"resets_at"`
	Status      string     `json:"status"`
}

// Limits converts an account's quota as it stands at now.
func Limits(q account.Quota, now time.Time) map[string]Limit {
	out := make(map[string]Limit, len(q))
	for name, w := range q.Current(now) {
		out[name] = Limit{Utilization: w.Utilization, ResetsAt: timeOrNil(w.ResetsAt), Status: w.Status}
	}
	return out
}

// AccountOf converts a pool view for output.
func AccountOf(v pool.View, now time.Time) Account {
	mode := v.Mode
	if v.Kind == account.KindAPIKey && mode == "" {
		mode = "api_key"
	}
	j := Account{
		ID: v.ID, Name: v.Name, Kind: string(v.Kind), Mode: mode, Priority: v.Priority, Paused: v.Paused,
		Status: string(v.Status), SessionRequests: v.SessionRequests, TotalRequests: v.TotalRequests,
		SessionStart: timeOrNil(v.SessionStart), SessionExpiresAt: timeOrNil(v.SessionExpiresAt),
		LastUsed: timeOrNil(v.LastUsed), CreatedAt: timeOrNil(v.CreatedAt), TokenExpiresAt: timeOrNil(v.TokenExpiresAt),
	}
	if now.Before(v.RateLimitedUntil) {
		j.RateLimitedUntil = timeOrNil(v.RateLimitedUntil)
	}
	if now.Before(v.CooldownUntil) {
		j.CooldownUntil = timeOrNil(v.CooldownUntil)
	}
	if u := v.FiveHourUtilization(now); u >= 0 {
		j.Utilization = &u
	}
	j.Limits = Limits(v.Quota, now)
	return j
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC().Truncate(time.Second)
	return &u
}

// Request is one request row as the API shows it.
type Request struct {
	ID                  string    `json:"id"`
	Start               time.Time `json:"start"`
	Method              string    `json:"method"`
	Path                string    `json:"path"`
	Account             string    `json:"account"`
	Status              int       `json:"status"`
	DurationMS          float64   `json:"duration_ms"`
	TTFBMS              float64   `json:"ttfb_ms"`
	Failovers           int       `json:"failovers"`
	Model               string    `json:"model"`
	InputTokens         int64     `json:"input_tokens"`
	OutputTokens        int64     `json:"output_tokens"`
	CacheReadTokens     int64     `json:"cache_read_tokens"`
	CacheCreationTokens int64     `json:"cache_creation_tokens"`
	Streamed            bool      `json:"streamed"`
	Error               string    `json:"error,omitempty"`
}

// RequestOf converts a stored row for output.
func RequestOf(r store.RequestRow) Request {
	return Request{
		ID: r.ID, Start: r.Start.UTC(), Method: r.Method, Path: r.Path, Account: r.AccountName, Status: r.Status,
		DurationMS: float64(r.Duration.Microseconds()) / 1000, TTFBMS: float64(r.TTFB.Microseconds()) / 1000,
		Failovers: r.Failovers, Model: r.Model, InputTokens: r.InputTokens, OutputTokens: r.OutputTokens,
		CacheReadTokens: r.CacheReadTokens, CacheCreationTokens: r.CacheCreationTokens, Streamed: r.Streamed, Error: r.Error,
	}
}
