package tray

import (
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
	"github.com/claudeflare/claudeflare/core/view"
)

func TestNextRebuild(t *testing.T) {
	t.Parallel()
	last, refresh := now, now.Add(10*time.Minute)
	tests := []struct {
		name    string
		changed bool
		refresh time.Time
		want    time.Time
	}{
		{"a change waits out the second since the last rebuild", true, refresh, last.Add(time.Second)},
		{"no change: when the clock says", false, refresh, refresh},
		{"no change and nothing counting down: never", false, time.Time{}, time.Time{}},
	}
	for _, tt := range tests {
		if got := NextRebuild(last, tt.changed, tt.refresh); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNextRefresh(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		views []view.Account
		want  time.Time
	}{
		{"no accounts", nil, time.Time{}},
		{"available and paused: nothing moves", []view.Account{acct("a", account.StatusAvailable), acct("b", account.StatusPaused)}, time.Time{}},
		{"an active session counts down: its next minute", []view.Account{acct("a", account.StatusActive, func(v *view.Account) {
			v.SessionExpiresAt = at(now.Add(3*time.Hour + 12*time.Minute + 20*time.Second))
		})}, now.Add(20*time.Second + time.Millisecond)},
		{"a countdown on a whole minute turns a minute later", []view.Account{acct("a", account.StatusActive, func(v *view.Account) {
			v.SessionExpiresAt = at(now.Add(3 * time.Hour))
		})}, now.Add(time.Millisecond)},
		{"a session ending sooner than that", []view.Account{acct("a", account.StatusActive, func(v *view.Account) {
			v.SessionExpiresAt = at(now.Add(10 * time.Second))
		})}, now.Add(10 * time.Second)},
		{"a cooldown's last minute: every 30 s, not every second", []view.Account{acct("a", account.StatusCooldown, func(v *view.Account) {
			v.CooldownUntil = at(now.Add(50 * time.Second))
		})}, now.Add(RefreshEvery)},
		{"a rate limit shows its end, and ends then", []view.Account{acct("a", account.StatusRateLimited, func(v *view.Account) {
			v.RateLimitedUntil = at(now.Add(2 * time.Hour))
		})}, now.Add(2 * time.Hour)},
		{"a quota window resetting reads 0 % from then on", []view.Account{acct("a", account.StatusAvailable, func(v *view.Account) {
			v.Limits = map[string]view.Limit{"five_hour": {Utilization: 0.9, ResetsAt: at(now.Add(40 * time.Minute))}}
		})}, now.Add(40 * time.Minute)},
		{"what has passed is no reason", []view.Account{acct("a", account.StatusAvailable, func(v *view.Account) {
			v.RateLimitedUntil, v.SessionExpiresAt = at(now.Add(-time.Hour)), at(now.Add(-time.Minute))
		})}, time.Time{}},
	}
	for _, tt := range tests {
		if got := NextRefresh(tt.views, now); !got.Equal(tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestCountdownTurns: redrawn then, the countdown reads one less.
func TestCountdownTurns(t *testing.T) {
	t.Parallel()
	for _, left := range []time.Duration{3*time.Hour + 12*time.Minute + 20*time.Second, 3 * time.Hour, 61 * time.Second, 59 * time.Minute} {
		deadline := now.Add(left)
		turn := countdownTurns(deadline, now)
		before, after := Countdown(deadline.Sub(turn.Add(-2*time.Millisecond))), Countdown(deadline.Sub(turn))
		if before == after || before != Countdown(left) || turn.Sub(now) > time.Minute {
			t.Errorf("%v left: turns after %v, from %q to %q", left, turn.Sub(now), before, after)
		}
	}
	if !countdownTurns(now.Add(-time.Second), now).IsZero() {
		t.Error("a passed deadline turns")
	}
}
