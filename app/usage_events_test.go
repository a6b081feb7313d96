package app

import (
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

func TestEventBuckets(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	starts := []time.Time{t0, t0.Add(time.Hour), t0.Add(2 * time.Hour)}
	ev := func(min int, kind string) store.Event {
		return store.Event{At: t0.Add(time.Duration(min) * time.Minute), Kind: kind}
	}
	rl, fo := EventBuckets([]store.Event{
		ev(-1, store.EventRateLimited),    // before the chart
		ev(0, store.EventRateLimited),     // first instant of bucket 0
		ev(59, store.EventFailover),       // end of bucket 0
		ev(60, store.EventFailover),       // bucket 1
		ev(61, store.EventSessionStarted), // not charted
		ev(179, store.EventRateLimited),   // bucket 2
		ev(180, store.EventRateLimited),   // after the chart
	}, starts, time.Hour)
	if want := []int64{1, 0, 1}; !equal(rl, want) {
		t.Errorf("rate limits %v, want %v", rl, want)
	}
	if want := []int64{1, 1, 0}; !equal(fo, want) {
		t.Errorf("failovers %v, want %v", fo, want)
	}
}

func equal(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
