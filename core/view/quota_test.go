package view

import (
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/account"
)

func TestQuotaLine(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("test", 3600)
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) // a Tuesday, 13:00 in loc
	tests := []struct {
		name string
		q    account.Quota
		want string
	}{
		{"none", nil, "-"},
		{"the spec's example", account.Quota{
			account.WindowSevenDay: {Utilization: 0.41},
			account.WindowFiveHour: {Utilization: 0.834, ResetsAt: now.Add(80 * time.Minute)},
		}, "5h 83% (resets 14:20) · 7d 41%"},
		{"weekly reset a few days out, a model's window last", account.Quota{
			"7d_oi":                {Utilization: 0.63, ResetsAt: now.Add(50 * time.Hour)},
			account.WindowSevenDay: {Utilization: 0.97, ResetsAt: now.Add(70 * time.Hour)},
			account.WindowFiveHour: {Utilization: 1.01, ResetsAt: now.Add(2 * time.Hour)},
		}, "5h 101% (resets 15:00) · 7d 97% (resets Fri 11:00) · 7d_oi 63% (resets Thu 15:00)"},
		{"a window past its reset reads unused", account.Quota{
			account.WindowFiveHour: {Utilization: 0.99, ResetsAt: now.Add(-time.Minute)},
		}, "5h 0%"},
	}
	for _, tt := range tests {
		if got := QuotaLine(Limits(tt.q, now), now, loc); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
