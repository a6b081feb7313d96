package keychain

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/claudeflare/claudeflare/core/creds"
)

// A keychain that never answers must not hang the caller: after the default
// 5 s (fake time, through synctest) the call fails with creds.ErrUnavailable.
func TestHungKeychainTimesOut(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fb := &fakeBackend{block: make(chan struct{})}
		k := &Keychain{Backend: fb}

		start := time.Now()
		_, err := k.Get(context.Background(), "a")
		if !errors.Is(err, creds.ErrUnavailable) {
			t.Fatalf("err = %v, want creds.ErrUnavailable", err)
		}
		if !strings.Contains(err.Error(), "keychain did not answer within 5s") {
			t.Errorf("err = %q, want it to say the keychain did not answer within 5s", err)
		}
		if waited := time.Since(start); waited != DefaultTimeout {
			t.Errorf("waited %v, want %v", waited, DefaultTimeout)
		}

		close(fb.block) // let the hung call finish so the bubble can end
		synctest.Wait()
	})
}

// Calls queued behind a hung one time out as well, and do not reach the
// backend: a hung keychain holds one goroutine, not one per call.
func TestHungKeychainHoldsOneGoroutine(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fb := &fakeBackend{block: make(chan struct{})}
		k := &Keychain{Backend: fb, Timeout: time.Second}

		var wg sync.WaitGroup
		errs := make([]error, 5)
		for i := range errs {
			wg.Go(func() { errs[i] = k.Set(context.Background(), "a", testSecret) })
		}
		wg.Wait()
		for i, err := range errs {
			if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "within 1s") {
				t.Errorf("call %d: err = %v, want unavailable within 1s", i, err)
			}
		}
		if n := fb.callCount(); n != 1 {
			t.Errorf("backend calls = %d, want 1", n)
		}

		close(fb.block)
		synctest.Wait()
		// Once the keychain answers again, calls go through.
		if err := k.Set(context.Background(), "a", testSecret); err != nil {
			t.Errorf("Set after recovery: %v", err)
		}
	})
}

// The caller's own cancellation is reported as such, not as a broken keychain.
func TestCallerCancellation(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fb := &fakeBackend{block: make(chan struct{})}
		k := &Keychain{Backend: fb}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()

		err := k.Delete(ctx, "a")
		if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, creds.ErrUnavailable) {
			t.Fatalf("err = %v, want context.DeadlineExceeded only", err)
		}

		close(fb.block)
		synctest.Wait()
	})
}

func TestCustomTimeoutMessage(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		fb := &fakeBackend{block: make(chan struct{})}
		k := &Keychain{Backend: fb, Timeout: 250 * time.Millisecond}
		err := k.Probe(context.Background())
		if !errors.Is(err, creds.ErrUnavailable) || !strings.Contains(err.Error(), "within 250ms") {
			t.Fatalf("err = %v, want unavailable within 250ms", err)
		}
		close(fb.block)
		synctest.Wait()
	})
}
