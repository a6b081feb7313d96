package tray

import (
	"testing"
	"testing/synctest"
	"time"
)

// TestAwaitHost: a host that appears within the wait is found when it
// appears; one that never does is given up on at the end of the wait.
func TestAwaitHost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		appears := start.Add(3 * time.Second)
		if !awaitHost(func() bool { return !time.Now().Before(appears) }, hostWait) {
			t.Fatal("a host that came after 3 s was not found")
		}
		if waited := time.Since(start); waited < 3*time.Second || waited > 3*time.Second+250*time.Millisecond {
			t.Errorf("found after %v, want within a poll of 3 s", waited)
		}
		start = time.Now()
		if awaitHost(func() bool { return false }, hostWait) {
			t.Fatal("found a host that never came")
		}
		if waited := time.Since(start); waited < hostWait || waited > hostWait+250*time.Millisecond {
			t.Errorf("gave up after %v, want %v", waited, hostWait)
		}
		if !awaitHost(func() bool { return true }, hostWait) || time.Since(start) > hostWait+250*time.Millisecond {
			t.Error("a host already there was waited for")
		}
	})
}
