package testkit

import (
	"sync/atomic"
	"time"
)

// Clock is real time moved forward by the test: durations measured with it
// stay real, and Advance jumps over a rate limit's reset or a session's end
// without sleeping. Give the same Clock's Now to the proxy and to the fake
// upstream so that both see the same jump. The zero value is real time.
type Clock struct {
	offset atomic.Int64 // nanoseconds ahead of the wall clock
}

// Now is the wall clock plus every Advance so far.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.offset.Add(int64(d)) }
