// Package idle measures what a process costs while nobody uses it (issue
// 11, docs/DESIGN.md "The typed surface"): how often its threads wake the
// CPU (context switches, voluntary and not), how much CPU they use and how
// much memory it holds. It reads Linux's /proc only.
package idle

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux
// architecture Go runs on.
const clockTicks = 100

// Sample is a process's counters at one moment, summed over the threads it
// has then.
type Sample struct {
	At       time.Time
	Switches int64 // voluntary_ctxt_switches + nonvoluntary_ctxt_switches
	CPUTicks int64 // utime + stime (fields 14 and 15 of stat), in clock ticks
	Threads  int
	RSSKB    int64 // VmRSS of the process
}

// Read samples process pid.
func Read(pid int) (Sample, error) {
	s := Sample{At: time.Now()}
	dir := fmt.Sprintf("/proc/%d", pid)
	tasks, err := os.ReadDir(filepath.Join(dir, "task"))
	if err != nil {
		return s, fmt.Errorf("reading the threads of %d: %w", pid, err)
	}
	for _, t := range tasks {
		tdir := filepath.Join(dir, "task", t.Name())
		sw, err := switches(filepath.Join(tdir, "status"))
		if err != nil {
			continue // the thread ended meanwhile
		}
		ticks, err := cpuTicks(filepath.Join(tdir, "stat"))
		if err != nil {
			continue
		}
		s.Switches += sw
		s.CPUTicks += ticks
		s.Threads++
	}
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return s, fmt.Errorf("reading the status of %d: %w", pid, err)
	}
	s.RSSKB, _ = field(status, "VmRSS:")
	return s, nil
}

// switches sums a thread's voluntary and involuntary context switches.
func switches(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	v, err := field(b, "voluntary_ctxt_switches:")
	if err != nil {
		return 0, err
	}
	n, err := field(b, "nonvoluntary_ctxt_switches:")
	return v + n, err
}

// field is the first number after name in a /proc status file.
func field(b []byte, name string) (int64, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				break
			}
			return strconv.ParseInt(f[0], 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s", name)
}

// cpuTicks is utime + stime of a stat file. The command name, field 2, is
// in parentheses and may hold spaces and parentheses: fields are counted
// after its last ')'.
func cpuTicks(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("%s: no command name", path)
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3
	if len(f) < 13 {
		return 0, fmt.Errorf("%s: %d fields", path, len(f)+2)
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("%s: utime %q, stime %q", path, f[14-3], f[15-3])
	}
	return utime + stime, nil
}

// Report is what a process cost between two samples.
type Report struct {
	Window        time.Duration
	WakeupsPerSec float64 // context switches per second, all threads
	CPUPercent    float64 // of one core
	RSSMB         float64 // at the end
	Threads       int     // at the end
}

// Compare is the cost between samples a and b (b later). Threads that
// ended in between take their switches with them: the wake-ups are a
// lower bound when threads come and go (Go's keep a steady set when idle).
func Compare(a, b Sample) Report {
	w := b.At.Sub(a.At)
	r := Report{Window: w, RSSMB: float64(b.RSSKB) / 1024, Threads: b.Threads}
	if secs := w.Seconds(); secs > 0 {
		r.WakeupsPerSec = float64(b.Switches-a.Switches) / secs
		r.CPUPercent = float64(b.CPUTicks-a.CPUTicks) / clockTicks / secs * 100
	}
	return r
}

// String is the report as the idle script prints it.
func (r Report) String() string {
	return fmt.Sprintf("wake-ups %.2f/s · CPU %.3f%% of a core · RSS %.1f MB · %d threads (over %s)",
		r.WakeupsPerSec, r.CPUPercent, r.RSSMB, r.Threads, r.Window.Round(time.Millisecond))
}
