package tray

import (
	"fmt"
	"github.com/claudeflare/claudeflare/core/view"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/pool"
)

// Health is the tray icon's state.
type Health int

const (
	HealthOK      Health = iota // every account can serve
	HealthLimited               // some are limited, paused or need a login
	HealthDown                  // none can serve
)

// HealthOf summarises the accounts for the tray icon. With no accounts the
// proxy passes requests through, which counts as well.
func HealthOf(views []pool.View) Health {
	if len(views) == 0 {
		return HealthOK
	}
	ok := 0
	for _, v := range views {
		if v.Status == account.StatusActive || v.Status == account.StatusAvailable {
			ok++
		}
	}
	switch {
	case ok == 0:
		return HealthDown
	case ok < len(views):
		return HealthLimited
	}
	return HealthOK
}

// MenuModel is the tray menu as text, computed from the core's state.
type MenuModel struct {
	Status   string   // "Proxy on http://127.0.0.1:8080"
	Active   string   // "Active: work — 3h12m left in session"
	Accounts []string // one line per account
	Export   string   // the shell line to copy
}

// BuildMenu computes the tray menu for addr and the accounts at now.
func BuildMenu(addr string, views []pool.View, now time.Time) MenuModel {
	m := MenuModel{
		Status: "Proxy on http://" + addr,
		Export: "export ANTHROPIC_BASE_URL=http://" + addr,
		Active: "No active session",
	}
	if len(views) == 0 {
		m.Active = "No accounts: requests pass through"
	}
	for _, v := range views {
		if v.Status == account.StatusActive {
			m.Active = fmt.Sprintf("Active: %s, %s left in session", v.Name, Countdown(v.SessionExpiresAt.Sub(now)))
		}
		m.Accounts = append(m.Accounts, AccountLine(v, now))
	}
	return m
}

// AccountLine is one account's menu line.
func AccountLine(v pool.View, now time.Time) string {
	switch v.Status {
	case account.StatusRateLimited:
		return fmt.Sprintf("%s: rate limited until %s", v.Name, v.RateLimitedUntil.Local().Format("15:04"))
	case account.StatusCooldown:
		return fmt.Sprintf("%s: overloaded, retry in %s", v.Name, Countdown(v.CooldownUntil.Sub(now)))
	case account.StatusNeedsLogin:
		return v.Name + ": needs login"
	case account.StatusPaused:
		return v.Name + ": paused"
	case account.StatusActive:
		return v.Name + ": active"
	}
	return v.Name + ": available"
}

// Countdown formats a remaining time compactly: "4h05m", "12m", "40s".
func Countdown(d time.Duration) string { return view.Remaining(d) }
