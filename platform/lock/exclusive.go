package lock

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sync"
	"time"
)

// Exclusive waits for and takes an exclusive lock on the file at path
// (created 0600 if missing; its folder must exist) and returns the function
// that releases it, which is safe to call more than once.
//
// It orders changes of a file that several processes share (the running
// app and every CLI command write config.json and credentials.json): each
// writer holds the lock while it re-reads the file, applies its own change
// and replaces the file, so no change is lost. By convention the lock of
// FILE is FILE.lock, next to it.
//
// The lock belongs to the open file, so two callers in one process exclude
// each other too. The OS drops it when the process dies, even by SIGKILL,
// so a crash never leaves it held. Waiting ends with an error when ctx is
// done; the error names the lock file.
func Exclusive(ctx context.Context, path string) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	// Polling rather than a blocking lock keeps the wait cancellable; the
	// holders keep the lock for milliseconds, so short naps suffice. The
	// jitter keeps waiting processes from waking in lockstep.
	nap := 200 * time.Microsecond
	for {
		err := tryLock(f)
		if err == nil {
			var once sync.Once
			return func() {
				once.Do(func() {
					_ = unlock(f)
					_ = f.Close()
				})
			}, nil
		}
		if !errors.Is(err, errWouldBlock) {
			_ = f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		t := time.NewTimer(nap/2 + rand.N(nap))
		select {
		case <-ctx.Done():
			t.Stop()
			_ = f.Close()
			return nil, fmt.Errorf("waiting for the lock %s, held by another Claudeflare process: %w", path, ctx.Err())
		case <-t.C:
		}
		nap = min(2*nap, 10*time.Millisecond)
	}
}
