package loadtest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// ProcStatus is what the load tool reads of a Linux process's
// /proc/PID/status. Sizes are in bytes; a field the file lacks stays 0.
type ProcStatus struct {
	VmRSS   int64 // resident set size now
	VmHWM   int64 // peak resident set size ("high water mark")
	Threads int   // OS threads
}

// ParseProcStatus reads the fields of ProcStatus from the text of a
// /proc/PID/status file ("VmHWM:\t   23456 kB"). Unknown lines are skipped;
// a known field with a malformed value is an error. A file with none of the
// fields (not a status file) is an error too.
func ParseProcStatus(r io.Reader) (ProcStatus, error) {
	var st ProcStatus
	found := 0
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		var err error
		switch key {
		case "VmRSS":
			st.VmRSS, err = parseKB(val)
		case "VmHWM":
			st.VmHWM, err = parseKB(val)
		case "Threads":
			st.Threads, err = strconv.Atoi(val)
		default:
			continue
		}
		if err != nil {
			return ProcStatus{}, fmt.Errorf("reading %s from process status: %w", key, err)
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return ProcStatus{}, fmt.Errorf("reading process status: %w", err)
	}
	if found == 0 {
		return ProcStatus{}, errors.New("reading process status: no VmRSS, VmHWM or Threads line")
	}
	return st, nil
}

// parseKB reads "23456 kB" as bytes.
func parseKB(v string) (int64, error) {
	num, unit, _ := strings.Cut(v, " ")
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a size", v)
	}
	switch strings.TrimSpace(unit) {
	case "kB", "KB", "kb":
		return n << 10, nil
	case "":
		return n, nil
	}
	return 0, fmt.Errorf("%q has an unknown unit", v)
}

// ReadProcStatus reads /proc/PID/status; pid 0 means this process.
func ReadProcStatus(pid int) (ProcStatus, error) {
	f, err := os.Open(procPath(pid, "status"))
	if err != nil {
		return ProcStatus{}, err
	}
	defer f.Close()
	return ParseProcStatus(f)
}

// CountFDs counts the open file descriptors of pid (0: this process), or
// returns -1 if /proc does not say.
func CountFDs(pid int) int {
	entries, err := os.ReadDir(procPath(pid, "fd"))
	if err != nil {
		return -1
	}
	return len(entries)
}

func procPath(pid int, name string) string {
	if pid == 0 {
		return "/proc/self/" + name
	}
	return "/proc/" + strconv.Itoa(pid) + "/" + name
}

// MiB formats bytes as mebibytes with one decimal, "23.4 MiB".
func MiB(b int64) string {
	return strconv.FormatFloat(float64(b)/(1<<20), 'f', 1, 64) + " MiB"
}

// userHZ is the unit of the CPU times in /proc/PID/stat (USER_HZ, 100 on
// every Linux architecture Go supports).
const userHZ = 100

// ParseProcStat reads the CPU time (user + system, all threads) from the
// text of a /proc/PID/stat file.
func ParseProcStat(stat string) (time.Duration, error) {
	// The command name, field 2, is in parentheses and may hold spaces or
	// parentheses itself: fields are counted from the last ')'.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("reading process stat: no command name")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("reading process stat: %d fields", len(f)+2)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("reading process stat: CPU time %q", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / userHZ, nil
}
