//go:build unix

package keychain

import "syscall"

// pauseProcess and resumeProcess stop and continue the keyring daemon, so a
// test can see how the keychain behaves while it hangs.
func pauseProcess(pid int) error { return syscall.Kill(pid, syscall.SIGSTOP) }

func resumeProcess(pid int) error { return syscall.Kill(pid, syscall.SIGCONT) }
