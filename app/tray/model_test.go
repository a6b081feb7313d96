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
	want := "work: active|home: rate limited until 14:30|spare: paused"
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
