package view

import (
	"time"

	"github.com/claudeflare/claudeflare/core/store"
)

// AddEventSeries fills s.Series.RateLimits and Failovers: the rate-limit
// events and failovers of events per bucket of the series, for the usage
// window's "over time" chart. Events outside every bucket are ignored.
func AddEventSeries(s *Stats, events []store.Event) {
	starts, bucket := s.Series.Starts, time.Duration(s.Series.BucketSeconds)*time.Second
	s.Series.RateLimits, s.Series.Failovers = make([]int64, len(starts)), make([]int64, len(starts))
	for _, e := range events {
		i := bucketOf(e.At, starts, bucket)
		if i < 0 {
			continue
		}
		switch e.Kind {
		case store.EventRateLimited:
			s.Series.RateLimits[i]++
		case store.EventFailover:
			s.Series.Failovers[i]++
		}
	}
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
