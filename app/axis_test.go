package app

import (
	"slices"
	"testing"
	"time"
)

func tickLabels(ticks []TimeTick) []string {
	var out []string
	for _, t := range ticks {
		out = append(out, t.Label)
	}
	return out
}

func TestTimeTicks(t *testing.T) {
	t.Parallel()
	loc := time.FixedZone("UTC+2", 2*3600)
	// Wednesday 25 November 2026, 14:07 in loc.
	until := time.Date(2026, 11, 25, 12, 7, 30, 0, time.UTC)
	for _, tt := range []struct {
		window time.Duration
		want   []string
	}{
		{time.Hour, []string{"13:10", "13:20", "13:30", "13:40", "13:50", "14:00"}},
		{24 * time.Hour, []string{"16:00", "20:00", "Wed 25", "04:00", "08:00", "12:00"}},
		{7 * 24 * time.Hour, []string{"Thu 19", "Fri 20", "Sat 21", "Sun 22", "Mon 23", "Tue 24", "Wed 25"}},
		{30 * 24 * time.Hour, []string{"Nov 2", "Nov 9", "Nov 16", "Nov 23"}}, // Monday 26 October began before the window
		{10 * time.Minute, []string{"14:00", "14:05"}},                        // the smallest step
	} {
		ticks := TimeTicks(until.Add(-tt.window), until, loc, 7)
		if got := tickLabels(ticks); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.window, tickLabels(ticks), tt.want)
		}
		for i, tk := range ticks {
			if tk.X < 0 || tk.X > 1 || (i > 0 && tk.X <= ticks[i-1].X) {
				t.Errorf("%s: tick %d at %v", tt.window, i, tk.X)
			}
			if want := float64(tk.At.Sub(until.Add(-tt.window))) / float64(tt.window); tk.X != want {
				t.Errorf("%s: tick %d at %v, want %v", tt.window, i, tk.X, want)
			}
		}
	}
	if TimeTicks(until, until, loc, 6) != nil || TimeTicks(until.Add(-time.Hour), until, loc, 0) != nil {
		t.Error("an empty window or no room has ticks")
	}
}

// TestTimeTicksAcrossDaylightSaving: ticks stay on round local hours when
// a day has 25 hours.
func TestTimeTicksAcrossDaylightSaving(t *testing.T) {
	t.Parallel()
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// Clocks went back at 03:00, so the day before 12:00 began at 13:00.
	until := time.Date(2026, 10, 25, 12, 0, 0, 0, loc)
	got := tickLabels(TimeTicks(until.Add(-24*time.Hour), until, loc, 7))
	if want := []string{"16:00", "20:00", "Sun 25", "04:00", "08:00", "12:00"}; !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
}

func TestNiceScale(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		highest int64
		want    []int64
	}{
		{0, []int64{0}},
		{-3, []int64{0}},
		{1, []int64{0, 1}},
		{3, []int64{0, 1, 2, 3}},
		{7, []int64{0, 2, 4, 6, 8}},
		{42, []int64{0, 20, 40, 60}},
		{100, []int64{0, 50, 100}},
		{1000, []int64{0, 500, 1000}},
		{1234, []int64{0, 500, 1000, 1500}},
		{3_400_000, []int64{0, 1_000_000, 2_000_000, 3_000_000, 4_000_000}},
	} {
		s := NiceScale(tt.highest, 4)
		if !slices.Equal(s.Lines, tt.want) || s.Top != max(1, tt.want[len(tt.want)-1]) {
			t.Errorf("NiceScale(%d) = %+v, want lines %v", tt.highest, s, tt.want)
		}
		if len(s.Lines) > 5 {
			t.Errorf("NiceScale(%d): %d lines", tt.highest, len(s.Lines))
		}
	}
}

func TestShortCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0", 950: "950", 999: "999", 1000: "1k", 1234: "1.2k", 9949: "9.9k", 9950: "10k", 12_345: "12k",
		340_000: "340k", 999_499: "999k", 999_500: "1M", 3_400_000: "3.4M", 12_000_000: "12M",
		1_500_000_000: "1.5G", -1200: "-1.2k",
	} {
		if got := ShortCount(n); got != want {
			t.Errorf("ShortCount(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestBucketSpans(t *testing.T) {
	t.Parallel()
	since := time.Date(2026, 11, 25, 10, 30, 0, 0, time.UTC)
	until := since.Add(2 * time.Hour)
	starts := []time.Time{since.Truncate(time.Hour), since.Truncate(time.Hour).Add(time.Hour), since.Truncate(time.Hour).Add(2 * time.Hour)}
	got := BucketSpans(starts, time.Hour, since, until)
	want := []Span{{0, 0.25}, {0.25, 0.75}, {0.75, 1}}
	if !slices.Equal(got, want) {
		t.Errorf("%v, want %v", got, want)
	}
	if s := BucketSpans(starts, time.Hour, since, since); s[1] != (Span{0, 0}) {
		t.Errorf("an empty window: %v", s)
	}
}
