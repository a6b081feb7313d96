//go:build !unix

package keychain

import "errors"

// Windows has no SIGSTOP, and no Secret Service daemon to stop: the hang test
// runs on the Linux CI only. These keep the package's tests compiling.
func pauseProcess(int) error { return errors.New("cannot pause a process on this platform") }

func resumeProcess(int) error { return errors.New("cannot resume a process on this platform") }
