package view

import (
	"slices"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

func TestAddEventSeries(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	s := Stats{Series: Series{BucketSeconds: 3600, Starts: []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)}}}
	ev := func(min int, kind string) store.Event {
		return store.Event{At: t0.Add(time.Duration(min) * time.Minute), Kind: kind}
	}
	AddEventSeries(&s, []store.Event{
		ev(-1, store.EventRateLimited),    // before the chart
		ev(0, store.EventRateLimited),     // first instant of bucket 0
		ev(59, store.EventFailover),       // end of bucket 0
		ev(60, store.EventFailover),       // bucket 1
		ev(61, store.EventSessionStarted), // not charted
		ev(179, store.EventRateLimited),   // bucket 2
		ev(180, store.EventRateLimited),   // after the chart
	})
	if want := []int64{1, 0, 1}; !slices.Equal(s.Series.RateLimits, want) {
		t.Errorf("rate limits %v, want %v", s.Series.RateLimits, want)
	}
	if want := []int64{1, 1, 0}; !slices.Equal(s.Series.Failovers, want) {
		t.Errorf("failovers %v, want %v", s.Series.Failovers, want)
	}
}
