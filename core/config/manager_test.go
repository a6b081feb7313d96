package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/claudeflare/claudeflare/internal/testkit"
)

func TestNewManager(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000}`)
	m, err := NewManager(path, envOf(map[string]string{"CLAUDEFLARE_RETENTION_DAYS": "7"}), map[string]string{"host": "::1"})
	if err != nil {
		t.Fatal(err)
	}
	c := m.Get()
	if c.Port != 9000 || c.RetentionDays != 7 || c.Host != "::1" {
		t.Errorf("Get = %+v", c)
	}
	src := m.Sources()
	if src["port"] != SourceFile || src["retention_days"] != SourceEnv || src["host"] != SourceFlag || src["lb_strategy"] != SourceDefault {
		t.Errorf("Sources = %v", src)
	}
	src["port"] = SourceEnv
	if m.Sources()["port"] != SourceFile {
		t.Error("Sources shares its map")
	}
	if m.Path() != path {
		t.Errorf("Path = %q", m.Path())
	}
}

func TestNewManagerBadConfig(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"session_duration_ms": 5}`)
	m, err := NewManager(path, nil, nil)
	if m != nil {
		t.Error("NewManager returned a manager with an error")
	}
	checkError(t, err, path, "session_duration_ms", "must be between 60000 and 604800000 (1 minute to 7 days), got 5")
}

func TestManagerPatchNotifiesInOrder(t *testing.T) {
	t.Parallel()
	m, err := NewManager(filepath.Join(t.TempDir(), "config.json"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var calls []string // appended only by subscribers, which never overlap
	unsubA := m.Subscribe(func(old, new Config) { calls = append(calls, fmt.Sprintf("a %d→%d", old.Port, new.Port)) })
	m.Subscribe(func(old, new Config) { calls = append(calls, fmt.Sprintf("b %d→%d", old.Port, new.Port)) })

	c, err := m.Patch(map[string]json.RawMessage{"port": raw("9001")})
	if err != nil || c.Port != 9001 || m.Get().Port != 9001 {
		t.Fatalf("Patch = %+v, %v; Get = %+v", c, err, m.Get())
	}
	if m.Sources()["port"] != SourceFile {
		t.Errorf("source of port = %q", m.Sources()["port"])
	}
	if _, err := m.Patch(map[string]json.RawMessage{"port": raw("9001")}); err != nil { // no change
		t.Fatal(err)
	}
	if _, err := m.Patch(map[string]json.RawMessage{"port": raw("0")}); err == nil { // invalid
		t.Fatal("Patch with port 0 succeeded")
	}
	unsubA()
	unsubA() // twice is harmless
	if _, err := m.Patch(map[string]json.RawMessage{"port": raw("9002")}); err != nil {
		t.Fatal(err)
	}
	want := []string{"a 8080→9001", "b 8080→9001", "b 9001→9002"}
	if !slices.Equal(calls, want) {
		t.Errorf("calls = %q, want %q", calls, want)
	}
	if m.Get().Port != 9002 {
		t.Errorf("Get = %+v", m.Get())
	}
}

func TestManagerPatchRefusesEnvKey(t *testing.T) {
	t.Parallel()
	m, err := NewManager(filepath.Join(t.TempDir(), "config.json"), envOf(map[string]string{"LB_STRATEGY": "session"}), nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Patch(map[string]json.RawMessage{"lb_strategy": raw(`"session"`)})
	if e, ok := errors.AsType[*EnvOverrideError](err); !ok || e.Var != "LB_STRATEGY" {
		t.Errorf("Patch = %v, want EnvOverrideError for LB_STRATEGY", err)
	}
}

// TestManagerConcurrentGet reads the configuration while it changes; run with -race. Each
// patch keeps retention_days equal to port-9000, so a torn read would show.
func TestManagerConcurrentGet(t *testing.T) {
	t.Parallel()
	m, err := NewManager(filepath.Join(t.TempDir(), "config.json"), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Patch(map[string]json.RawMessage{"port": raw("9001"), "retention_days": raw("1")}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	var torn sync.Map
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if c := m.Get(); c.RetentionDays != c.Port-9000 {
					torn.Store(c, true)
				}
				_ = m.Sources()
			}
		})
	}
	for i := 2; i <= 30; i++ {
		patch := map[string]json.RawMessage{
			"port":           raw(fmt.Sprint(9000 + i)),
			"retention_days": raw(fmt.Sprint(i)),
		}
		if _, err := m.Patch(patch); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	wg.Wait()
	torn.Range(func(k, _ any) bool {
		t.Errorf("torn read: %+v", k)
		return true
	})
}

// TestManagerPrepareRefusal: a change the running app cannot ready (a busy
// port) is refused before anything is written, and the running
// configuration stays; so is a hand edit asking for it.
func TestManagerPrepareRefusal(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000, "mine": true}`)
	m, err := NewManager(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	busy := errors.New("listening on 127.0.0.1:9001: address already in use")
	var readied []int
	m.Prepare(func(old, c Config) error {
		readied = append(readied, c.Port)
		if c.Port == 9001 {
			return busy
		}
		return nil
	})
	notified := 0
	m.Subscribe(func(_, _ Config) { notified++ })
	before := fileText(t, path)
	_, err = m.Patch(map[string]json.RawMessage{"port": json.RawMessage("9001")})
	var refused *RefusedError
	if !errors.As(err, &refused) || !errors.Is(err, busy) {
		t.Fatalf("Patch to a busy port: %v, want a *RefusedError wrapping the bind error", err)
	}
	if got := fileText(t, path); got != before || m.Get().Port != 9000 || notified != 0 {
		t.Errorf("after the refusal: file %s, running port %d, %d notifications; want nothing changed", got, m.Get().Port, notified)
	}
	// A hand edit asking for the busy port is refused the same way.
	if err := writeFileAtomic(path, []byte(`{"port": 9001}`)); err != nil {
		t.Fatal(err)
	}
	if err := m.reload(); !errors.Is(err, busy) || m.Get().Port != 9000 || notified != 0 {
		t.Errorf("reload of a busy port: %v, running port %d, %d notifications", err, m.Get().Port, notified)
	}
	if _, err := m.Patch(map[string]json.RawMessage{"port": json.RawMessage("9002")}); err != nil || m.Get().Port != 9002 || notified != 1 {
		t.Errorf("a free port: %v, running %d, %d notifications", err, m.Get().Port, notified)
	}
	if !slices.Equal(readied, []int{9001, 9001, 9002}) {
		t.Errorf("readied %v", readied)
	}
}

// TestManagerSubscribersRunOutsideTheLock: while a subscriber is still busy
// with one change (moving secrets can take a minute), the new configuration
// is already current and another change can be made and saved; the second
// change's subscribers run after the first's, never before.
func TestManagerSubscribersRunOutsideTheLock(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{}`)
	m, err := NewManager(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	var mu sync.Mutex
	var order []int
	m.Subscribe(func(_, c Config) {
		if c.RetentionDays == 7 {
			<-release
		}
		mu.Lock()
		order = append(order, c.RetentionDays)
		mu.Unlock()
	})
	first := make(chan error, 1)
	go func() {
		_, err := m.Patch(map[string]json.RawMessage{"retention_days": json.RawMessage("7")})
		first <- err
	}()
	testkit.WaitFor(t, "the first change current", func() bool { return m.Get().RetentionDays == 7 })
	second := make(chan error, 1)
	go func() {
		_, err := m.Patch(map[string]json.RawMessage{"retention_days": json.RawMessage("8")})
		second <- err
	}()
	// The second change is saved while the first subscriber still runs.
	testkit.WaitFor(t, "the second change saved while the first subscriber runs", func() bool {
		return strings.Contains(strings.ReplaceAll(fileText(t, path), " ", ""), `"retention_days":8`)
	})
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(order, []int{7, 8}) {
		t.Errorf("subscribers saw %v, want the changes in order", order)
	}
}

func fileText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
