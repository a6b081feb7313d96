package lock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSecondAcquireReportsTheFirst(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	const addr = "http://127.0.0.1:8080"

	l, err := Acquire(path, addr)
	if err != nil {
		t.Fatalf("first Acquire: %v", err)
	}
	defer l.Release()

	_, err = Acquire(path, "http://127.0.0.1:9090")
	var locked *ErrLocked
	if !errors.As(err, &locked) {
		t.Fatalf("second Acquire: err = %v, want *ErrLocked", err)
	}
	if locked.Info.PID != os.Getpid() || locked.Info.Address != addr {
		t.Errorf("ErrLocked.Info = %+v, want pid %d at %s", locked.Info, os.Getpid(), addr)
	}
	want := "claudeflare is already running at " + addr + " (pid " + strconv.Itoa(os.Getpid()) + ")"
	if err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
}

func TestReleaseLetsTheNextOneIn(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	l, err := Acquire(path, "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	l.Release()
	l.Release() // harmless twice

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != 0 {
		t.Errorf("lock file after release = %q, want empty", data)
	}

	l2, err := Acquire(path, "http://[::1]:8081")
	if err != nil {
		t.Fatalf("Acquire after release: %v", err)
	}
	defer l2.Release()
	if got := readInfo(path); got.Address != "http://[::1]:8081" {
		t.Errorf("recorded address = %q", got.Address)
	}
}

// A file left by a crashed instance (content, but no lock) does not block.
func TestStaleFileDoesNotBlock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	if err := os.WriteFile(path, []byte(`{"pid":999999,"address":"http://old"}`+"\n"+"garbage garbage garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Acquire(path, "http://new")
	if err != nil {
		t.Fatalf("Acquire over a stale file: %v", err)
	}
	defer l.Release()
	got := readInfo(path)
	if got.PID != os.Getpid() || got.Address != "http://new" {
		t.Errorf("recorded %+v, want this process at http://new", got)
	}
}

func TestErrLockedMessages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  ErrLocked
		want string
	}{
		{"full", ErrLocked{Path: "/h/l", Info: Info{PID: 7, Address: "http://localhost:8080"}}, "claudeflare is already running at http://localhost:8080 (pid 7)"},
		{"no address", ErrLocked{Path: "/h/l", Info: Info{PID: 7}}, "claudeflare is already running (pid 7)"},
		{"nothing recorded yet", ErrLocked{Path: "/h/l"}, "claudeflare is already running (lock file /h/l is held)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestMissingFolder(t *testing.T) {
	t.Parallel()
	_, err := Acquire(filepath.Join(t.TempDir(), "nope", "claudeflare.lock"), "")
	var locked *ErrLocked
	if err == nil || errors.As(err, &locked) || !strings.Contains(err.Error(), "opening lock file") {
		t.Fatalf("err = %v, want an open error", err)
	}
}

// TestSetAddressFollowsTheListener: after a live port change the lock names
// the new address, so a second launch says where the app is now.
func TestSetAddressFollowsTheListener(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	l, err := Acquire(path, "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetAddress("http://127.0.0.1:9191"); err != nil {
		t.Fatal(err)
	}
	_, err = Acquire(path, "http://127.0.0.1:8080")
	var locked *ErrLocked
	if !errors.As(err, &locked) || locked.Info.Address != "http://127.0.0.1:9191" || locked.Info.PID != os.Getpid() {
		t.Fatalf("second Acquire after SetAddress: %v, want it locked at the new address", err)
	}
	l.Release()
	if err := l.SetAddress("http://127.0.0.1:1"); err != nil {
		t.Errorf("SetAddress after Release: %v", err)
	}
	if data, _ := os.ReadFile(path); len(data) != 0 {
		t.Errorf("SetAddress after Release wrote %q", data)
	}
}

// TestRead: another process reads the holder's address from the file, and
// nothing once the holder is gone.
func TestRead(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	if got := Read(path); got != (Info{}) {
		t.Errorf("Read of a missing file = %+v, want zero", got)
	}
	l, err := Acquire(path, "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.SetAddress("http://127.0.0.1:9191"); err != nil {
		t.Fatal(err)
	}
	if got := Read(path); got.PID != os.Getpid() || got.Address != "http://127.0.0.1:9191" {
		t.Errorf("Read while held = %+v, want this pid at the new address", got)
	}
	l.Release()
	if got := Read(path); got != (Info{}) {
		t.Errorf("Read after release = %+v, want zero", got)
	}
}

// Probe tells a running instance from none: a held lock, a lock left by a
// crashed or stopped one, and no lock file at all (which it does not make).
func TestProbe(t *testing.T) {
	t.Parallel()
	const addr = "http://127.0.0.1:8080"
	tests := []struct {
		name     string
		setup    func(t *testing.T, path string)
		wantHeld bool
		wantAddr string
	}{
		{"no file", func(*testing.T, string) {}, false, ""},
		{"held", func(t *testing.T, path string) {
			l, err := Acquire(path, addr)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(l.Release)
		}, true, addr},
		{"released", func(t *testing.T, path string) {
			l, err := Acquire(path, addr)
			if err != nil {
				t.Fatal(err)
			}
			l.Release()
		}, false, ""},
		{"left by a crash", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte(`{"pid":1,"address":"`+addr+`"}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false, addr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "claudeflare.lock")
			tt.setup(t, path)
			info, held, err := Probe(path)
			if err != nil || held != tt.wantHeld || info.Address != tt.wantAddr {
				t.Errorf("Probe = %+v, held %v, %v; want held %v at %q", info, held, err, tt.wantHeld, tt.wantAddr)
			}
			if tt.name == "no file" {
				if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("Probe made the lock file: %v", err)
				}
			}
		})
	}
}

// An instance starting while a command probes is not turned away.
func TestAcquireWaitsOutAProbe(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := tryLock(f); err != nil { // a probe in progress
		t.Fatal(err)
	}
	go func() {
		time.Sleep(probeNap)
		_ = unlock(f)
		_ = f.Close()
	}()
	l, err := Acquire(path, "http://127.0.0.1:8080")
	if err != nil {
		t.Fatalf("Acquire during a probe: %v", err)
	}
	l.Release()
}
