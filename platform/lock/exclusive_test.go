package lock

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// increment adds one to the number in file, holding the lock at lockPath
// across the read and the write: without the lock, concurrent increments
// are lost.
func increment(ctx context.Context, lockPath, file string) error {
	release, err := Exclusive(ctx, lockPath)
	if err != nil {
		return err
	}
	defer release()
	n := 0
	if b, err := os.ReadFile(file); err == nil && len(b) > 0 {
		if n, err = strconv.Atoi(strings.TrimSpace(string(b))); err != nil {
			return err
		}
	}
	time.Sleep(50 * time.Microsecond) // widen the read-to-write window a lost update needs
	return os.WriteFile(file, []byte(strconv.Itoa(n+1)), 0o600)
}

const counterEnv = "CLAUDEFLARE_LOCK_TEST_COUNTER"

// TestCounterProcess is the child of TestExclusiveAcrossProcesses: it
// increments the counter named in its environment a number of times.
func TestCounterProcess(t *testing.T) {
	spec := os.Getenv(counterEnv)
	if spec == "" {
		t.Skip("helper process for TestExclusiveAcrossProcesses")
	}
	dir, times, _ := strings.Cut(spec, "|")
	n, _ := strconv.Atoi(times)
	for range n {
		if err := increment(context.Background(), filepath.Join(dir, "counter.lock"), filepath.Join(dir, "counter")); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
	}
}

// Several processes, each with several goroutines, incrementing one counter
// under the lock lose no increment.
func TestExclusiveAcrossProcesses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const procs, perProc, goroutines, perGoroutine = 4, 25, 4, 25
	var wg sync.WaitGroup
	for range procs {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestCounterProcess$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", counterEnv, dir, perProc))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("helper: %v\n%s", err, out)
			}
		})
	}
	for range goroutines {
		wg.Go(func() {
			for range perGoroutine {
				if err := increment(t.Context(), filepath.Join(dir, "counter.lock"), filepath.Join(dir, "counter")); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b, err := os.ReadFile(filepath.Join(dir, "counter"))
	if err != nil {
		t.Fatal(err)
	}
	if want := strconv.Itoa(procs*perProc + goroutines*perGoroutine); string(b) != want {
		t.Errorf("counter = %s, want %s: increments were lost", b, want)
	}
	info, err := os.Stat(filepath.Join(dir, "counter.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("lock file mode = %v, want 0600", info.Mode().Perm())
	}
}

func TestExclusiveWaitEndsWithTheContext(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.lock")
	release, err := Exclusive(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
	defer cancel()
	_, err = Exclusive(ctx, path)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Exclusive while held: err = %v, want a deadline error naming %s", err, path)
	}
	release()
	release() // harmless twice
	again, err := Exclusive(t.Context(), path)
	if err != nil {
		t.Fatalf("Exclusive after release: %v", err)
	}
	again()
}

func TestExclusiveMissingFolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "missing", "x.lock")
	if _, err := Exclusive(t.Context(), path); err == nil || !strings.Contains(err.Error(), "opening lock file") {
		t.Fatalf("err = %v, want an error opening the lock file", err)
	}
}
