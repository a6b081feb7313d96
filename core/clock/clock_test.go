package clock

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t.Parallel()
	fixed := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	if got := Clock(func() time.Time { return fixed }).Now(); !got.Equal(fixed) {
		t.Errorf("a set clock said %v", got)
	}
	before := time.Now()
	var c Clock
	if got := c.Now(); got.Before(before) || got.After(time.Now()) {
		t.Errorf("the nil clock said %v, want the wall clock", got)
	}
}
