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
	HealthLimited               // some are limited, paused or need a login
	HealthDown                  // none can serve
)

// HealthOf summarises the accounts for the tray icon. With no accounts the
// proxy passes requests through, which counts as well.
func HealthOf(accounts []view.Account) Health {
	if len(accounts) == 0 {
		return HealthOK
	}
	ok := 0
	for _, a := range accounts {
		if st := account.Status(a.Status); st == account.StatusActive || st == account.StatusAvailable {
			ok++
		}
	}
	switch {
	case ok == 0:
		return HealthDown
	case ok < len(accounts):
		return HealthLimited
	}
	return HealthOK
}

// MenuModel is the tray menu as text, computed from the core's state.
type MenuModel struct {
	Status   string   // "Proxy on http://127.0.0.1:8080"
	Active   string   // "Active: work, 3h12m left in session"
	Accounts []string // one line per account
	Export   string   // the shell line to copy
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

// AccountLine is one account's menu line.
func AccountLine(a view.Account, now time.Time) string {
	switch account.Status(a.Status) {
	case account.StatusRateLimited:
		if a.RateLimitedUntil == nil {
			return a.Name + ": rate limited"
		}
		return fmt.Sprintf("%s: rate limited until %s", a.Name, a.RateLimitedUntil.Local().Format("15:04"))
	case account.StatusCooldown:
		if a.CooldownUntil == nil {
			return a.Name + ": overloaded"
		}
		return fmt.Sprintf("%s: overloaded, retry in %s", a.Name, Countdown(a.CooldownUntil.Sub(now)))
	case account.StatusNeedsLogin:
		return a.Name + ": needs login"
	case account.StatusPaused:
		return a.Name + ": paused"
	case account.StatusActive:
		return a.Name + ": active"
	}
	return a.Name + ": available"
}

// Countdown formats a remaining time compactly: "4h05m", "12m", "40s".
func Countdown(d time.Duration) string { return view.Remaining(d) }
