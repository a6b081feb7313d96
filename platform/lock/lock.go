// Package lock holds Claudeflare's OS file locks (flock on Unix, LockFileEx
// on Windows), which the OS releases when the process exits, even by a
// crash, so a stale file never blocks anyone:
//
//   - the single-instance lock (Acquire): the first instance holds an
//     exclusive lock on claudeflare.lock and writes its PID and address into
//     it, so that a second one can say "already running at
//     http://127.0.0.1:8080 (pid 1234)" (docs/DESIGN.md, "The tray and its windows");
//   - short exclusive locks (Exclusive) that order the changes several
//     processes make to one shared file, such as config.json and
//     credentials.json (docs/DESIGN.md, "Files that several processes share").
//
// Lock files are kept (emptied on release), never deleted: deleting a lock
// file lets two processes end up holding locks on different files.
package lock

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"time"
)

// Info is what the holder of the lock records in the lock file.
type Info struct {
	PID     int    `json:"pid"`
	Address string `json:"address,omitempty"`
}

// ErrLocked is returned by Acquire when another instance holds the lock.
// Info is what that instance recorded; it is zero if it has not written it yet.
type ErrLocked struct {
	Path string
	Info Info
}

// Error says that Claudeflare is already running, and where if known.
func (e *ErrLocked) Error() string {
	var b strings.Builder
	b.WriteString("claudeflare is already running")
	if e.Info.Address != "" {
		b.WriteString(" at " + e.Info.Address)
	}
	if e.Info.PID > 0 {
		fmt.Fprintf(&b, " (pid %d)", e.Info.PID)
	} else {
		fmt.Fprintf(&b, " (lock file %s is held)", e.Path)
	}
	return b.String()
}

// errWouldBlock is what tryLock returns when another open file holds the lock.
var errWouldBlock = errors.New("lock is held")

// Lock is the held single-instance lock.
type Lock struct {
	mu     sync.Mutex
	f      *os.File // nil once released
	holder Info
}

// Acquire takes the single-instance lock at path (normally
// paths.LockPath(home)) without waiting and records this process's PID and
// address, e.g. "http://127.0.0.1:8080". If another instance holds it, the
// error is an *ErrLocked carrying what that instance recorded. The lock
// belongs to the open file, so a second Acquire in the same process fails
// as well.
func Acquire(path, address string) (*Lock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("opening lock file: %w", err)
	}
	if err := tryLockPastProbes(f); err != nil {
		_ = f.Close()
		if errors.Is(err, errWouldBlock) {
			return nil, &ErrLocked{Path: path, Info: readInfo(path)}
		}
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	l := &Lock{f: f, holder: Info{PID: os.Getpid(), Address: address}}
	if err := writeInfo(f, l.holder); err != nil {
		_ = unlock(f)
		_ = f.Close()
		return nil, fmt.Errorf("writing lock file %s: %w", path, err)
	}
	return l, nil
}

// Probes hold the lock for microseconds (Probe); Acquire tries again a few
// times before it calls the lock held, so a command probing at the moment
// an app starts never makes that app think another instance runs.
const (
	probeRetries = 5
	probeNap     = 10 * time.Millisecond
)

func tryLockPastProbes(f *os.File) error {
	for attempt := 0; ; attempt++ {
		err := tryLock(f)
		if !errors.Is(err, errWouldBlock) || attempt == probeRetries {
			return err
		}
		time.Sleep(probeNap)
	}
}

// Probe reports whether an instance holds the single-instance lock at
// path, and what the last holder recorded there. A held lock is a running
// instance (the OS drops it when its holder dies, even by SIGKILL); a lock
// that is not held is none, whatever the file still says (a crashed
// instance leaves its Info behind). A missing file is no instance, and is
// not created. Probe takes the lock for an instant when it is free, which
// Acquire waits out.
func Probe(path string) (info Info, held bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, false, nil
	}
	if err != nil {
		return Info{}, false, fmt.Errorf("opening lock file: %w", err)
	}
	defer f.Close()
	switch err := tryLock(f); {
	case err == nil:
		_ = unlock(f)
		return readInfo(path), false, nil
	case errors.Is(err, errWouldBlock):
		return readInfo(path), true, nil
	default:
		return Info{}, false, fmt.Errorf("locking %s: %w", path, err)
	}
}

// SetAddress records a new address (the listener moved), so that a second
// launch names where this instance is now.
func (l *Lock) SetAddress(address string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil || l.holder.Address == address {
		return nil
	}
	l.holder.Address = address
	if err := writeInfo(l.f, l.holder); err != nil {
		return fmt.Errorf("writing lock file %s: %w", l.f.Name(), err)
	}
	return nil
}

// Release empties the file and drops the lock; calling it more than once is
// harmless.
func (l *Lock) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return
	}
	_ = l.f.Truncate(0)
	_ = unlock(l.f)
	_ = l.f.Close()
	l.f = nil
}

// writeInfo replaces the file's contents with info.
func writeInfo(f *os.File, info Info) error {
	data, err := json.Marshal(info)
	if err != nil {
		return err
	}
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(append(data, '\n'), 0); err != nil {
		return err
	}
	return f.Sync()
}

// Read returns what the instance holding the lock at path recorded, without
// touching the lock: it is how the command line finds the running app's
// address. The Info is zero when no instance has run or the last one quit.
// An instance that crashed leaves its Info behind (the OS drops the lock, not
// the file's contents), so a caller that must know asks that address.
func Read(path string) Info { return readInfo(path) }

// readInfo reads what the holder recorded; anything unreadable gives a zero Info.
func readInfo(path string) Info {
	var info Info
	data, err := os.ReadFile(path)
	if err != nil {
		return Info{}
	}
	if json.Unmarshal(data, &info) != nil {
		return Info{}
	}
	return info
}
