package account

import (
	"testing"
	"time"
)

func TestQuotaMergeAnnouncesEachThresholdOncePerWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	reset := t0.Add(3 * time.Hour)
	five := func(u float64, r time.Time) Quota {
		return Quota{WindowFiveHour: {Utilization: u, ResetsAt: r, Status: "allowed"}}
	}
	var q Quota
	steps := []struct {
		name     string
		at       time.Duration
		reported Quota
		want     []float64 // thresholds announced by this answer
	}{
		{"below both", 0, five(0.5, reset), nil},
		{"crosses 80", time.Minute, five(0.81, reset), []float64{WarnAt}},
		{"still above 80: quiet", 2 * time.Minute, five(0.85, reset), nil},
		{"falls back and climbs again in the same window: quiet", 3 * time.Minute, five(0.79, reset), nil},
		{"back above 80: still quiet", 4 * time.Minute, five(0.82, reset), nil},
		{"crosses 95", 5 * time.Minute, five(0.96, reset), []float64{NearlySpentAt}},
		{"spent: quiet", 6 * time.Minute, five(1.01, reset), nil},
		{"a new window (the reset passed): announced again, the highest only", 4 * time.Hour, five(0.97, reset.Add(5*time.Hour)), []float64{NearlySpentAt}},
		{"an answer without the window keeps it", 4*time.Hour + time.Minute, Quota{"7d_oi": {Utilization: 0.1}}, nil},
	}
	for _, s := range steps {
		var crossed []Crossing
		q, crossed = q.Merge(s.reported, t0.Add(s.at))
		var got []float64
		for _, c := range crossed {
			if c.Window != WindowFiveHour || c.Reported.Utilization != s.reported[WindowFiveHour].Utilization {
				t.Errorf("%s: crossing %+v", s.name, c)
			}
			got = append(got, c.Threshold)
		}
		if len(got) != len(s.want) || (len(got) > 0 && got[0] != s.want[0]) {
			t.Errorf("%s: announced %v, want %v", s.name, got, s.want)
		}
	}
	if _, ok := q[WindowFiveHour]; !ok || len(q) != 2 {
		t.Errorf("windows kept: %v", q)
	}
}

func TestQuotaMergeNeverChangesTheOld(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	old := Quota{WindowFiveHour: {Utilization: 0.1}}
	merged, _ := old.Merge(Quota{WindowFiveHour: {Utilization: 0.9}}, now)
	if old[WindowFiveHour].Utilization != 0.1 || merged[WindowFiveHour].Utilization != 0.9 {
		t.Errorf("old %v, merged %v: a snapshot of the old quota must stay as it was", old, merged)
	}
}

func TestQuotaNearlySpentAndCurrent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		q      Quota
		nearly bool
	}{
		{"no quota", nil, false},
		{"room", Quota{WindowFiveHour: {Utilization: 0.94, ResetsAt: now.Add(time.Hour)}}, false},
		{"5h at 95", Quota{WindowFiveHour: {Utilization: 0.95, ResetsAt: now.Add(time.Hour)}}, true},
		{"weekly spent, no reset known", Quota{WindowSevenDay: {Utilization: 1.0}}, true},
		{"a model's window counts too", Quota{"7d_oi": {Utilization: 0.99, ResetsAt: now.Add(time.Hour)}}, true},
		{"spent but reset since", Quota{WindowFiveHour: {Utilization: 1.2, ResetsAt: now}}, false},
	}
	for _, tt := range tests {
		if got := tt.q.NearlySpent(now); got != tt.nearly {
			t.Errorf("%s: nearly spent %v, want %v", tt.name, got, tt.nearly)
		}
	}
	cur := Quota{WindowFiveHour: {Utilization: 1.2, ResetsAt: now, Status: "rejected"}, WindowSevenDay: {Utilization: 0.5}}.Current(now)
	if w := cur[WindowFiveHour]; w.Utilization != 0 || w.Status != "allowed" || !w.ResetsAt.IsZero() {
		t.Errorf("a window past its reset: %+v, want unused", w)
	}
	if cur[WindowSevenDay].Utilization != 0.5 {
		t.Errorf("other windows changed: %v", cur)
	}
	a := Account{Quota: Quota{WindowFiveHour: {Utilization: 0.3, ResetsAt: now.Add(time.Hour)}}}
	if u := a.FiveHourUtilization(now); u != 0.3 {
		t.Errorf("FiveHourUtilization %v", u)
	}
	if u := (&Account{}).FiveHourUtilization(now); u != -1 {
		t.Errorf("unknown FiveHourUtilization %v, want -1", u)
	}
}
