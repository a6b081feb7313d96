package testkit

import (
	"testing"
	"time"
)

func TestClockAdvances(t *testing.T) {
	t.Parallel()
	var c Clock
	before := time.Now()
	c.Advance(time.Hour)
	got := c.Now()
	if got.Before(before.Add(time.Hour)) || got.After(time.Now().Add(time.Hour)) {
		t.Errorf("Now() = %v, want an hour after %v", got, before)
	}
	if a, b := c.Now(), c.Now(); b.Before(a) {
		t.Errorf("the clock went back: %v then %v", a, b)
	}
}
