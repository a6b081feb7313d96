package loadtest

import (
	"os"
	"syscall"
	"time"
)

// CPUTime is the CPU time (user + system) process pid has used; pid 0 means
// this process, read with getrusage at microsecond resolution, another
// process is read from /proc/PID/stat at 10 ms resolution.
func CPUTime(pid int) (time.Duration, error) {
	if pid == 0 {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			return 0, err
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
	}
	b, err := os.ReadFile(procPath(pid, "stat"))
	if err != nil {
		return 0, err
	}
	return ParseProcStat(string(b))
}
