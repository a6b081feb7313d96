package demo

import (
	"sync/atomic"
	"time"
)

// Clock is the wall clock shifted by an offset that only grows: it starts
// in the past (NewClock) and is moved forward to the present, so that the
// engine and the fake live a day in seconds and then go on in real time.
type Clock struct {
	offset atomic.Int64 // nanoseconds, ≤ 0 while replaying the past
}

// NewClock is a clock that reads back from now.
func NewClock(back time.Duration) *Clock {
	c := &Clock{}
	c.offset.Store(-int64(back))
	return c
}

// Now is the wall clock plus the offset.
func (c *Clock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// AdvanceTo moves the clock forward to t (never back, never past the wall clock).
func (c *Clock) AdvanceTo(t time.Time) {
	for {
		old := c.offset.Load()
		next := min(0, int64(time.Until(t)))
		if next <= old || c.offset.CompareAndSwap(old, next) {
			return
		}
	}
}
