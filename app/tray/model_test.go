package tray

import (
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/view"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// acct is an account as the typed surface shows it.
func acct(name string, st account.Status, change ...func(*view.Account)) view.Account {
	v := view.Account{Name: name, Status: string(st)}
	for _, c := range change {
		c(&v)
	}
	return v
}

func at(t time.Time) *time.Time { return &t }

func TestHealthOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		views []view.Account
		want  Health
	}{
		{"no accounts pass through", nil, HealthOK},
		{"all serving", []view.Account{acct("a", account.StatusActive), acct("b", account.StatusAvailable)}, HealthOK},
		{"one limited", []view.Account{acct("a", account.StatusActive), acct("b", account.StatusRateLimited)}, HealthLimited},
		{"one needs login", []view.Account{acct("a", account.StatusAvailable), acct("b", account.StatusNeedsLogin)}, HealthLimited},
		{"none can serve", []view.Account{acct("a", account.StatusPaused), acct("b", account.StatusCooldown)}, HealthDown},
	}
	for _, tt := range tests {
		if got := HealthOf(tt.views); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBuildMenu(t *testing.T) {
	t.Parallel()
	views := []view.Account{
		acct("work", account.StatusActive, func(v *view.Account) { v.SessionExpiresAt = at(now.Add(3*time.Hour + 12*time.Minute)) }),
		acct("home", account.StatusRateLimited, func(v *view.Account) { v.RateLimitedUntil = at(time.Date(2026, 11, 25, 14, 30, 0, 0, time.Local)) }),
		acct("spare", account.StatusPaused),
	}
	m := BuildMenu("127.0.0.1:8080", views, now)
	if m.Status != "Proxy on http://127.0.0.1:8080" || m.Export != "export ANTHROPIC_BASE_URL=http://127.0.0.1:8080" {
		t.Errorf("%+v", m)
	}
	if m.Active != "Active: work, 3h12m left in session" {
		t.Errorf("Active = %q", m.Active)
	}
	want := "work — active · session 3h12m left|home — rate limited until 14:30|spare — paused"
	if got := strings.Join(m.Accounts, "|"); got != want {
		t.Errorf("Accounts = %q, want %q", got, want)
	}
	if m := BuildMenu("127.0.0.1:8080", nil, now); m.Active != "No accounts: requests pass through" || len(m.Accounts) != 0 {
		t.Errorf("empty: %+v", m)
	}
}

func TestCountdown(t *testing.T) {
	t.Parallel()
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 40 * time.Second: "40s", 12*time.Minute + 30*time.Second: "12m",
		4*time.Hour + 5*time.Minute: "4h05m", 30 * time.Hour: "30h00m",
	} {
		if got := Countdown(d); got != want {
			t.Errorf("Countdown(%v) = %q, want %q", d, got, want)
		}
	}
}

// TestAccountLineShowsQuota: each account's line shows how much of each
// quota window it has used and when that resets; the active one its
// session time left too (the README's example line).
func TestAccountLineShowsQuota(t *testing.T) {
	t.Parallel()
	local := func(h, m int) time.Time { return time.Date(2026, 11, 25, h, m, 0, 0, time.Local) }
	limits := map[string]view.Limit{
		"five_hour": {Utilization: 0.834, ResetsAt: at(local(14, 20)), Status: "allowed_warning"},
		"seven_day": {Utilization: 0.41, Status: "allowed"},
	}
	n := local(12, 0)
	tests := []struct {
		name string
		a    view.Account
		want string
	}{
		{"active with quota", acct("work", account.StatusActive, func(v *view.Account) {
			v.Limits, v.SessionExpiresAt = limits, at(n.Add(3*time.Hour+12*time.Minute))
		}), "work — active · 5h 83% (resets 14:20) · 7d 41% · session 3h12m left"},
		{"available with quota", acct("home", account.StatusAvailable, func(v *view.Account) { v.Limits = limits }),
			"home — available · 5h 83% (resets 14:20) · 7d 41%"},
		{"an API key has no quota", acct("key", account.StatusAvailable), "key — available"},
		{"spent", acct("spent", account.StatusRateLimited, func(v *view.Account) {
			v.RateLimitedUntil = at(local(14, 20))
			v.Limits = map[string]view.Limit{"five_hour": {Utilization: 1.01, ResetsAt: at(local(14, 20))}}
		}), "spent — rate limited until 14:20 · 5h 101% (resets 14:20)"},
	}
	for _, tt := range tests {
		if got := AccountLine(tt.a, n); got != tt.want {
			t.Errorf("%s:\n got %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestHealthWarnsBeforeALimit: the icon tells when the active account has
// used 80 % of a window, before anything is spent.
func TestHealthWarnsBeforeALimit(t *testing.T) {
	t.Parallel()
	used := func(u float64) func(*view.Account) {
		return func(v *view.Account) { v.Limits = map[string]view.Limit{"seven_day": {Utilization: u}} }
	}
	tests := []struct {
		name  string
		views []view.Account
		want  Health
	}{
		{"active at 79 %", []view.Account{acct("a", account.StatusActive, used(0.79))}, HealthOK},
		{"active at 80 %", []view.Account{acct("a", account.StatusActive, used(0.8))}, HealthWarn},
		{"another at 95 %: not the active one", []view.Account{acct("a", account.StatusActive), acct("b", account.StatusAvailable, used(0.95))}, HealthOK},
		{"a limit shows before a warning", []view.Account{acct("a", account.StatusActive, used(0.9)), acct("b", account.StatusRateLimited)}, HealthLimited},
	}
	for _, tt := range tests {
		if got := HealthOf(tt.views); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
