// Package testkit holds the few helpers that tests of several packages
// share: a free loopback port and polling for a condition. Polling bounds a
// wait; it never asserts how long something took.
package testkit

import (
	"errors"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/loopback"
)

// DefaultWait bounds WaitFor: generous, since CI machines are slow, and
// only reached when something is broken.
const DefaultWait = 10 * time.Second

// pollEvery is the polling period.
const pollEvery = 5 * time.Millisecond

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	port, err := loopback.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// Eventually calls cond until it returns nil, and fails the test with
// cond's last error if d passes first or the test's context ends.
func Eventually(t testing.TB, d time.Duration, what string, cond func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := cond()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s: %v", what, d, err)
		}
		select {
		case <-t.Context().Done():
			t.Fatalf("%s: %v", what, t.Context().Err())
		case <-time.After(pollEvery):
		}
	}
}

// WaitFor is Eventually for a condition without an explanation, within DefaultWait.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Eventually(t, DefaultWait, what, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	})
}

var errNotYet = errors.New("not yet")
