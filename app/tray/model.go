package tray

import (
	"fmt"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/view"
)

// The menu is computed from the accounts as the typed surface gives them
// (docs/DESIGN.md, "The typed surface"), by the plain functions below.

// Health is the tray icon's state.
type Health int

const (
	HealthOK      Health = iota // every account can serve
	HealthWarn                  // all serve, but the active account has used 80 % of a window
	HealthLimited               // some are limited, paused or need a login
	HealthDown                  // none can serve
)

// HealthOf summarises the accounts for the tray icon. With no accounts the
// proxy passes requests through, which counts as well. An active account
// past account.WarnAt of a quota window shows before it is spent, so that
// the user sees a switch coming.
func HealthOf(accounts []view.Account) Health {
	if len(accounts) == 0 {
		return HealthOK
	}
	ok, warn := 0, false
	for _, a := range accounts {
		st := account.Status(a.Status)
		if st == account.StatusActive || st == account.StatusAvailable {
			ok++
		}
		if st == account.StatusActive && mostUsed(a.Limits) >= account.WarnAt {
			warn = true
		}
	}
	switch {
	case ok == 0:
		return HealthDown
	case ok < len(accounts):
		return HealthLimited
	case warn:
		return HealthWarn
	}
	return HealthOK
}

// mostUsed is the highest utilization of the account's quota windows.
func mostUsed(limits map[string]view.Limit) float64 {
	most := 0.0
	for _, w := range limits {
		most = max(most, w.Utilization)
	}
	return most
}

// MenuModel is the tray menu as text, computed from the core's state.
type MenuModel struct {
	Status   string   // "Proxy on http://127.0.0.1:8080"
	Active   string   // "Active: work, 3h12m left in session"
	Accounts []string // one line per account
	Export   string   // the shell line to copy
	Toggles  []ToggleState
}

// ToggleState is a check item of the menu as it stands.
type ToggleState struct {
	Label string // "Use with Claude Code"
	On    bool
}

// BuildMenu computes the tray menu for addr and the accounts at now.
func BuildMenu(addr string, accounts []view.Account, now time.Time) MenuModel {
	m := MenuModel{
		Status: "Proxy on http://" + addr,
		Export: "export ANTHROPIC_BASE_URL=http://" + addr,
		Active: "No active session",
	}
	if len(accounts) == 0 {
		m.Active = "No accounts: requests pass through"
	}
	for _, a := range accounts {
		if account.Status(a.Status) == account.StatusActive && a.SessionExpiresAt != nil {
			m.Active = fmt.Sprintf("Active: %s, %s left in session", a.Name, Countdown(a.SessionExpiresAt.Sub(now)))
		}
		m.Accounts = append(m.Accounts, AccountLine(a, now))
	}
	return m
}

// AccountLine is one account's menu line: its state, how much of each
// quota window it has used and when that resets, and for the active one the
// time left in its session, e.g. "work — active · 5h 83% (resets 14:20) ·
// 7d 41% (resets Fri 09:00) · session 3h12m left".
func AccountLine(a view.Account, now time.Time) string {
	line := a.Name + " — " + StateText(a, now)
	if len(a.Limits) > 0 {
		line += " · " + view.QuotaLine(a.Limits, now, time.Local)
	}
	if account.Status(a.Status) == account.StatusActive && a.SessionExpiresAt != nil {
		line += " · session " + Countdown(a.SessionExpiresAt.Sub(now)) + " left"
	}
	return line
}

// StateText is an account's state in words, with its countdown.
func StateText(a view.Account, now time.Time) string {
	switch account.Status(a.Status) {
	case account.StatusRateLimited:
		if a.RateLimitedUntil == nil {
			return "rate limited"
		}
		return "rate limited until " + a.RateLimitedUntil.Local().Format("15:04")
	case account.StatusCooldown:
		if a.CooldownUntil == nil {
			return "cooling down"
		}
		return "cooling down, back in " + Countdown(a.CooldownUntil.Sub(now))
	case account.StatusNeedsLogin:
		return "needs login"
	case account.StatusPaused:
		return "paused"
	case account.StatusActive:
		return "active"
	}
	return "available"
}

// Countdown formats a remaining time compactly: "4h05m", "12m", "40s".
func Countdown(d time.Duration) string { return view.Remaining(d) }
