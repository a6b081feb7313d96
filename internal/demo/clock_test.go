package demo

import (
	"testing"
	"time"
)

func TestClock(t *testing.T) {
	t.Parallel()
	c := NewClock(10 * time.Hour)
	if d := time.Since(c.Now()); d < 10*time.Hour-time.Minute || d > 10*time.Hour+time.Minute {
		t.Fatalf("starts %v back", d)
	}
	target := time.Now().Add(-3 * time.Hour)
	c.AdvanceTo(target)
	if d := c.Now().Sub(target); d < 0 || d > time.Minute {
		t.Errorf("advanced to %v, want %v", c.Now(), target)
	}
	c.AdvanceTo(target.Add(-time.Hour))
	if c.Now().Before(target) {
		t.Error("went back")
	}
	c.AdvanceTo(time.Now().Add(time.Hour))
	if d := time.Since(c.Now()); d < -time.Second || d > time.Second {
		t.Errorf("past the wall clock: %v", d)
	}
}
