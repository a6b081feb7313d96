package config

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/claudeflare/claudeflare/platform/lock"
)

// lockWriters are the keys the concurrent writers of the lock tests change,
// one each, and the value a writer gives its key on round i.
var lockWriters = []struct {
	key   string
	value func(i int) string
}{
	{KeySessionDurationMS, func(i int) string { return strconv.Itoa(60_000 + i) }},
	{KeyRetentionDays, func(i int) string { return strconv.Itoa(1 + i) }},
	{KeyPort, func(i int) string { return strconv.Itoa(10_000 + i) }},
	{KeyUpstreamURL, func(i int) string { return strconv.Quote(fmt.Sprintf("http://upstream-%d.test", i)) }},
}

// writeRounds patches key to its value for rounds 0 … n-1, first checking
// each time that the file still holds the value it wrote the round before:
// a writer that overwrote the file from a stale copy would have put an
// older value back.
func writeRounds(path string, w int, n int, opts ...Option) error {
	key, value := lockWriters[w].key, lockWriters[w].value
	for i := range n {
		if i > 0 {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(data, &m); err != nil {
				return err
			}
			if got, want := string(m[key]), value(i-1); got != want {
				return fmt.Errorf("round %d: %s = %s, want %s: another writer put a stale copy back", i, key, got, want)
			}
		}
		if _, _, err := Patch(path, map[string]json.RawMessage{key: raw(value(i))}, nil, nil, opts...); err != nil {
			return err
		}
	}
	return nil
}

const lockWriterEnv = "CLAUDEFLARE_CONFIG_TEST_WRITER"

// TestConfigWriterProcess is the child of TestPatchAcrossProcessesKeepsEveryKey.
func TestConfigWriterProcess(t *testing.T) {
	spec := os.Getenv(lockWriterEnv)
	if spec == "" {
		t.Skip("helper process for TestPatchAcrossProcessesKeepsEveryKey")
	}
	parts := strings.Split(spec, "|")
	w, _ := strconv.Atoi(parts[1])
	n, _ := strconv.Atoi(parts[2])
	if err := writeRounds(parts[0], w, n, WithLock(lock.Exclusive)); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
}

// Four processes, each changing its own key round after round: no process
// ever loses its key to another's write, the last value of every key is in
// the file, and a key Claudeflare does not know survives them all.
func TestPatchAcrossProcessesKeepsEveryKey(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"theme": "dark"}`)
	const rounds = 40
	var wg sync.WaitGroup
	for w := range lockWriters {
		wg.Go(func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestConfigWriterProcess$")
			cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d|%d", lockWriterEnv, path, w, rounds))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("writer of %s: %v\n%s", lockWriters[w].key, err, out)
			}
		})
	}
	wg.Wait()
	m := readJSON(t, path)
	if m["theme"] != "dark" {
		t.Errorf("the unknown key theme = %v, want dark", m["theme"])
	}
	for _, w := range lockWriters {
		got, _ := json.Marshal(m[w.key])
		if want := w.value(rounds - 1); string(got) != want {
			t.Errorf("%s = %s, want %s (its last write)", w.key, got, want)
		}
	}
}

// Managers of one process (two windows, the API) and plain Patch calls
// share the lock as well.
func TestPatchWithLockAcrossGoroutines(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{}`)
	var wg sync.WaitGroup
	for w := range lockWriters {
		wg.Go(func() {
			if err := writeRounds(path, w, 25, WithLock(lock.Exclusive)); err != nil {
				t.Errorf("writer of %s: %v", lockWriters[w].key, err)
			}
		})
	}
	wg.Wait()
}

// A lock that cannot be had (another process holds it too long) is an
// error naming the file, and nothing is written.
func TestPatchLockTimeout(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000}`)
	busy := func(ctx context.Context, lockPath string) (func(), error) {
		if lockPath != path+".lock" {
			return nil, fmt.Errorf("lock path %s, want %s.lock", lockPath, path)
		}
		return nil, fmt.Errorf("waiting for the lock %s: %w", lockPath, context.DeadlineExceeded)
	}
	_, _, err := Patch(path, map[string]json.RawMessage{"port": raw("9100")}, nil, nil, WithLock(busy))
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), path) {
		t.Fatalf("err = %v, want a timeout naming %s", err, path)
	}
	if m := readJSON(t, path); fmt.Sprint(m["port"]) != "9000" {
		t.Errorf("port = %v after a refused write, want 9000", m["port"])
	}
}
