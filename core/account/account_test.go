package account

import (
	"strings"
	"testing"
	"time"
)

func TestStatusAt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		a      Account
		active bool
		want   Status
		avail  bool
	}{
		{"fresh", Account{}, false, StatusAvailable, true},
		{"active", Account{}, true, StatusActive, true},
		{"paused wins", Account{Paused: true, NeedsLogin: true}, true, StatusPaused, false},
		{"needs login", Account{NeedsLogin: true}, false, StatusNeedsLogin, false},
		{"rate limited", Account{RateLimitedUntil: now.Add(time.Second)}, false, StatusRateLimited, false},
		{"limit ends exactly now", Account{RateLimitedUntil: now}, false, StatusAvailable, true},
		{"cooldown", Account{CooldownUntil: now.Add(time.Second)}, false, StatusCooldown, false},
	}
	for _, tt := range tests {
		if got := tt.a.StatusAt(now, tt.active); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
		if got := tt.a.Available(now); got != tt.avail {
			t.Errorf("%s: Available %v", tt.name, got)
		}
	}
}

func TestValidateName(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"work", "me@example.com", "Team A+B_1.2-x", strings.Repeat("n", 64), "...", ".a", "a.."} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", strings.Repeat("n", 65), "a/b", "tab\t", "émile", "semi;colon", ".", ".."} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if ValidatePriority(0) != nil || ValidatePriority(100) != nil || ValidatePriority(101) == nil || ValidatePriority(-1) == nil {
		t.Error("priority bounds")
	}
}
