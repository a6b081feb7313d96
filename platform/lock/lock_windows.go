//go:build windows

package lock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockedRange is one byte far beyond any content: Windows byte-range locks
// also stop other processes from reading the locked bytes, and the second
// instance must be able to read the holder's PID and address.
var lockedRange = windows.Overlapped{OffsetHigh: 0x7fffffff}

// tryLock takes an exclusive LockFileEx lock on f without waiting. The lock
// belongs to the handle, so two opens in one process exclude each other.
func tryLock(f *os.File) error {
	ol := lockedRange
	err := windows.LockFileEx(windows.Handle(f.Fd()),
		windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, &ol)
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) || errors.Is(err, windows.ERROR_IO_PENDING) {
		return errWouldBlock
	}
	return err
}

func unlock(f *os.File) error {
	ol := lockedRange
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, &ol)
}
