package config

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitTimeout bounds every wait for the watcher; the watcher normally answers in ~50ms.
const waitTimeout = 10 * time.Second

// watched is a Manager with Watch running, its changes and reported errors on channels.
type watched struct {
	m       *Manager
	changes chan Config
	errs    chan error
}

// startWatch makes a Manager for path, subscribes to it and runs Watch until the test ends.
func startWatch(t *testing.T, path string) *watched {
	t.Helper()
	m, err := NewManager(path, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &watched{m: m, changes: make(chan Config, 100), errs: make(chan error, 100)}
	m.Subscribe(func(_, new Config) { w.changes <- new })
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		m.Watch(ctx, func(err error) {
			select {
			case w.errs <- err:
			default:
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(waitTimeout):
			t.Error("Watch did not return after its context was done")
		}
	})
	return w
}

// waitChange waits for a change that satisfies ok, skipping others.
func (w *watched) waitChange(t *testing.T, what string, ok func(Config) bool) Config {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case c := <-w.changes:
			if ok(c) {
				return c
			}
		case <-timeout:
			t.Fatalf("no change to %s within %s; config is %+v", what, waitTimeout, w.m.Get())
		}
	}
}

// waitError waits for a reported error.
func (w *watched) waitError(t *testing.T) error {
	t.Helper()
	select {
	case err := <-w.errs:
		return err
	case <-time.After(waitTimeout):
		t.Fatalf("no error reported within %s", waitTimeout)
		return nil
	}
}

// replaceFile writes content to path the way atomic savers and many editors do: a new file
// renamed over the old one.
func replaceFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".swp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatchRenameEdit(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000}`)
	w := startWatch(t, path)
	replaceFile(t, path, `{"port": 9001, "session_duration_ms": 600000}`)
	c := w.waitChange(t, "port 9001", func(c Config) bool { return c.Port == 9001 })
	if c.SessionDuration() != 10*time.Minute || w.m.Get() != c {
		t.Errorf("change = %+v, Get = %+v", c, w.m.Get())
	}
}

func TestWatchInPlaceEdit(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000}`)
	w := startWatch(t, path)
	if err := os.WriteFile(path, []byte(`{"port": 9002}`), 0o600); err != nil {
		t.Fatal(err)
	}
	w.waitChange(t, "port 9002", func(c Config) bool { return c.Port == 9002 })
	if w.m.Sources()["port"] != SourceFile {
		t.Errorf("source = %q", w.m.Sources()["port"])
	}
}

func TestWatchCreateAndDelete(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.json")
	w := startWatch(t, path)
	// Patch from another process, as `claudeflare config set` does.
	if _, _, err := Patch(path, map[string]json.RawMessage{"retention_days": raw("9")}, nil, nil); err != nil {
		t.Fatal(err)
	}
	w.waitChange(t, "retention_days 9", func(c Config) bool { return c.RetentionDays == 9 })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	w.waitChange(t, "defaults", func(c Config) bool { return c == Default() })
	if w.m.Sources()["retention_days"] != SourceDefault {
		t.Errorf("source = %q", w.m.Sources()["retention_days"])
	}
}

func TestWatchKeepsConfigOnBadEdit(t *testing.T) {
	t.Parallel()
	path := writeConfig(t, `{"port": 9000}`)
	w := startWatch(t, path)
	replaceFile(t, path, `{"port": 9001, "session_duration_ms": 5}`)
	checkError(t, w.waitError(t), path, "session_duration_ms", "must be between 60000 and 604800000 (1 minute to 7 days), got 5")
	if c := w.m.Get(); c.Port != 9000 || c.SessionDurationMS != Default().SessionDurationMS {
		t.Errorf("bad edit applied: %+v", c)
	}
	replaceFile(t, path, `{"port": 9001,`)
	checkError(t, w.waitError(t), path, "", "not valid JSON…")
	replaceFile(t, path, `{"port": 9003}`)
	w.waitChange(t, "port 9003", func(c Config) bool { return c.Port == 9003 })
	select {
	case c := <-w.changes:
		t.Errorf("a bad edit was applied: %+v", c)
	default:
	}
}

func TestWatchFallsBackToPolling(t *testing.T) {
	t.Parallel()
	home := filepath.Join(t.TempDir(), "home")
	m, err := NewManager(filepath.Join(home, "config.json"), nil, nil) // home is missing: defaults
	if err != nil {
		t.Fatal(err)
	}
	// home becomes a file, so the directory can be neither created nor watched.
	if err := os.WriteFile(home, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 100)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		m.Watch(ctx, func(err error) { errs <- err })
	}()
	for _, want := range []string{"reading the file every 1s instead", "reading config"} {
		select {
		case err := <-errs:
			if !strings.Contains(err.Error(), home) || !strings.Contains(err.Error(), want) {
				t.Errorf("error %q, want one naming %s and saying %q", err, home, want)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("no error %q within %s", want, waitTimeout)
		}
	}
	if m.Get() != Default() {
		t.Errorf("config changed: %+v", m.Get())
	}
	cancel()
	select {
	case <-stopped:
	case <-time.After(waitTimeout):
		t.Fatal("Watch did not return after its context was done")
	}
}
