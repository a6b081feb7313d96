// Package clock is where the engine reads the time (docs/DESIGN.md,
// "Time"). The core takes one Clock and hands the same one to every part it
// wires, so that a test that moves it moves them all: the proxy, the pool,
// the logins and the fake upstream see the same jump over a reset.
package clock

import "time"

// Clock tells the time. A nil Clock is the wall clock.
type Clock func() time.Time

// Real is the wall clock: the default of every part, and the one socket
// deadlines use whatever the engine's clock says.
func Real() time.Time { return time.Now() }

// Now is c's time, or the wall clock's when c is nil.
func (c Clock) Now() time.Time {
	if c == nil {
		return Real()
	}
	return c()
}
