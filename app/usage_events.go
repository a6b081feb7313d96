package app

import (
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

// EventBuckets counts rate-limit events and failovers per chart bucket
// (buckets start at starts[i] and last bucket long), for the usage window's
// "over time" chart. Events outside every bucket are ignored.
func EventBuckets(events []store.Event, starts []time.Time, bucket time.Duration) (rateLimits, failovers []int64) {
	rateLimits, failovers = make([]int64, len(starts)), make([]int64, len(starts))
	for _, e := range events {
		i := bucketOf(e.At, starts, bucket)
		if i < 0 {
			continue
		}
		switch e.Kind {
		case store.EventRateLimited:
			rateLimits[i]++
		case store.EventFailover:
			failovers[i]++
		}
	}
	return rateLimits, failovers
}

func bucketOf(t time.Time, starts []time.Time, bucket time.Duration) int {
	for i := len(starts) - 1; i >= 0; i-- {
		if !t.Before(starts[i]) {
			if t.Sub(starts[i]) < bucket {
				return i
			}
			return -1
		}
	}
	return -1
}
