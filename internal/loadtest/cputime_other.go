//go:build !linux

package loadtest

import (
	"errors"
	"time"
)

// CPUTime is the CPU time (user + system) process pid has used; it is only
// known on Linux.
func CPUTime(pid int) (time.Duration, error) {
	return 0, errors.New("CPU time is only read on Linux")
}
