package loadtest

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Sample is the state of the proxy process at one moment.
type Sample struct {
	Requests   int // sent so far (soak)
	Status     ProcStatus
	FDs        int // open file descriptors, -1 if unknown
	Goroutines int // -1 if unknown (another process, which has no debug endpoint)
	Err        error
}

// Probe samples process pid (0: this one; then the goroutine count is known
// too). For this process it first collects garbage and returns freed memory
// to the OS, so that RSS follows the live heap and samples compare; another
// process is read as it is.
func Probe(pid int) Sample {
	s := Sample{Goroutines: -1}
	if pid == 0 {
		debug.FreeOSMemory()
		s.Goroutines = runtime.NumGoroutine()
	}
	s.Status, s.Err = ReadProcStatus(pid)
	s.FDs = CountFDs(pid)
	return s
}

// SoakResult is what a soak run measured.
type SoakResult struct {
	JSON    JSONResult
	Samples []Sample // after each batch; the first is the baseline
	Stable  bool
	Verdict string
}

// Soak sends l.Requests requests to t in batches, idle between batches,
// probing the proxy after each one, and judges whether the proxy's memory,
// goroutines or file descriptors grow with the number of requests served.
// The first batch warms up (connection pools, caches, the database); its
// sample is the baseline the last is compared with.
func Soak(ctx context.Context, t Target, l Load, batches int, body []byte, probe func() Sample) SoakResult {
	var res SoakResult
	for _, part := range l.split(batches) {
		if ctx.Err() != nil {
			break
		}
		res.JSON.Merge(RunJSON(ctx, t, part, body))
		time.Sleep(200 * time.Millisecond) // let connection and request goroutines finish
		s := probe()
		s.Requests = res.JSON.Requests + res.JSON.Errors
		res.Samples = append(res.Samples, s)
	}
	res.Stable, res.Verdict = JudgeSoak(res.Samples)
	return res
}

// Growth allowances of JudgeSoak: what a run may add over its baseline
// without counting as growth.
const (
	soakRSSSlack       = 8 << 20 // bytes, or a quarter of the baseline if more
	soakGoroutineSlack = 16
	soakFDSlack        = 16
)

// JudgeSoak compares the last sample with the first (the warm baseline):
// RSS may grow by max(8 MiB, 25 %), goroutines and file descriptors by 16.
// It reports whether nothing grew beyond that, and says what did.
func JudgeSoak(samples []Sample) (bool, string) {
	if len(samples) < 2 {
		return false, "too few samples to judge"
	}
	first, last := samples[0], samples[len(samples)-1]
	for _, s := range []Sample{first, last} {
		if s.Err != nil {
			return false, "could not read the process status: " + s.Err.Error()
		}
	}
	var grew []string
	if d := last.Status.VmRSS - first.Status.VmRSS; d > max(soakRSSSlack, first.Status.VmRSS/4) {
		grew = append(grew, fmt.Sprintf("RSS grew %s → %s", MiB(first.Status.VmRSS), MiB(last.Status.VmRSS)))
	}
	if first.Goroutines >= 0 && last.Goroutines >= 0 && last.Goroutines-first.Goroutines > soakGoroutineSlack {
		grew = append(grew, fmt.Sprintf("goroutines grew %d → %d", first.Goroutines, last.Goroutines))
	}
	if first.FDs >= 0 && last.FDs >= 0 && last.FDs-first.FDs > soakFDSlack {
		grew = append(grew, fmt.Sprintf("open files grew %d → %d", first.FDs, last.FDs))
	}
	if len(grew) > 0 {
		return false, strings.Join(grew, "; ")
	}
	return true, fmt.Sprintf("nothing grew from %d to %d requests (RSS %s → %s)",
		first.Requests, last.Requests, MiB(first.Status.VmRSS), MiB(last.Status.VmRSS))
}
