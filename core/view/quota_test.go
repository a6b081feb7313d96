package view

import (
	"slices"
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

func TestLimitsInOrder(t *testing.T) {
	t.Parallel()
	got := LimitsInOrder(map[string]Limit{"7d_sonnet": {}, "seven_day": {}, "7d_oi": {}, "five_hour": {Utilization: 0.5}})
	var names, labels []string
	for _, l := range got {
		names, labels = append(names, l.Name), append(labels, WindowLabel(l.Name))
	}
	if !slices.Equal(names, []string{"five_hour", "seven_day", "7d_oi", "7d_sonnet"}) || got[0].Utilization != 0.5 {
		t.Errorf("order %v (%v)", names, got)
	}
	if !slices.Equal(labels, []string{"5h", "7d", "7d_oi", "7d_sonnet"}) {
		t.Errorf("labels %v", labels)
	}
	if len(LimitsInOrder(nil)) != 0 {
		t.Error("no limits")
	}
}

func TestResets(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("UTC+2", 2*3600)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) // a Wednesday, 14:00 in loc
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	for _, tt := range []struct {
		name string
		at   *time.Time
		want string
	}{
		{"unknown", nil, ""},
		{"passed", at(-time.Minute), ""},
		{"now", at(0), ""},
		{"seconds", at(40 * time.Second), "in 40s"},
		{"hours", at(2*time.Hour + 5*time.Minute + 30*time.Second), "in 2h05m"},
		{"just under a day", at(23*time.Hour + 59*time.Minute), "in 23h59m"},
		{"days", at(2*24*time.Hour - 5*time.Hour), "Fri 09:00"},
		{"a week", at(7 * 24 * time.Hour), "Dec 2 14:00"},
	} {
		if got := Resets(tt.at, now, loc); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
