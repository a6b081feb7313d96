package loadtest

import (
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A /proc/PID/status as Linux 6.x writes it (abridged).
const statusText = `Name:	claudeflare
Umask:	0022
State:	S (sleeping)
Tgid:	26363
Pid:	26363
VmPeak:	 1262740 kB
VmSize:	 1262740 kB
VmLck:	       0 kB
VmHWM:	   28572 kB
VmRSS:	   27648 kB
RssAnon:	   12288 kB
VmData:	   71236 kB
Threads:	9
SigQ:	0/96183
voluntary_ctxt_switches:	1234
`

func TestParseProcStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		want    ProcStatus
		wantErr string
	}{
		{"full status", statusText, ProcStatus{VmRSS: 27648 << 10, VmHWM: 28572 << 10, Threads: 9}, ""},
		{"kernel threads have no Vm lines", "Name:\tkthreadd\nThreads:\t1\n", ProcStatus{Threads: 1}, ""},
		{"no trailing newline", "VmRSS:\t100 kB", ProcStatus{VmRSS: 100 << 10}, ""},
		{"not a status file", "hello\nworld\n", ProcStatus{}, "no VmRSS"},
		{"empty", "", ProcStatus{}, "no VmRSS"},
		{"bad number", "VmRSS:\tlots kB\n", ProcStatus{}, "VmRSS"},
		{"negative size", "VmHWM:\t-1 kB\n", ProcStatus{}, "VmHWM"},
		{"unknown unit", "VmRSS:\t1 MB\n", ProcStatus{}, "unknown unit"},
		{"bad thread count", "Threads:\tnine\n", ProcStatus{}, "Threads"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseProcStatus(strings.NewReader(tt.text))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseProcStat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		text    string
		want    time.Duration
		wantErr bool
	}{
		// utime 250 ticks, stime 50 ticks: 3 s.
		{"plain", "26363 (claudeflare) S 1 26363 26363 0 -1 4194560 1905 0 0 0 250 50 0 0 20 0 9 0 5281 1293045760 6912 18446744073709551615", 3 * time.Second, false},
		{"name with spaces and parentheses", "7 (a b) c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 0 0 20 0 1 0 1 0 0", 30 * time.Millisecond, false},
		{"truncated", "7 (x) R 1 7 7", 0, true},
		{"no name", "7 x R", 0, true},
		{"bad number", "7 (x) R 1 7 7 0 -1 0 0 0 0 0 u s 0 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseProcStat(tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// The live readers agree with the parsers on this very process.
func TestReadThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	st, err := ReadProcStatus(0)
	if err != nil {
		t.Fatal(err)
	}
	if st.VmRSS <= 0 || st.VmHWM < st.VmRSS || st.Threads < 1 {
		t.Errorf("status of this process %+v: want RSS > 0, HWM ≥ RSS, threads ≥ 1", st)
	}
	if _, err := ReadProcStatus(os.Getpid()); err != nil {
		t.Errorf("by pid: %v", err)
	}
	if n := CountFDs(0); n < 3 {
		t.Errorf("CountFDs = %d, want at least stdin, stdout, stderr", n)
	}
	self, err := CPUTime(0)
	if err != nil || self <= 0 {
		t.Errorf("CPUTime(self) = %v, %v", self, err)
	}
	if _, err := CPUTime(os.Getpid()); err != nil {
		t.Errorf("CPUTime(pid) via /proc: %v", err)
	}
}

func TestJudgeSoak(t *testing.T) {
	t.Parallel()
	s := func(requests int, rssMiB int64, goroutines, fds int) Sample {
		return Sample{Requests: requests, Status: ProcStatus{VmRSS: rssMiB << 20}, Goroutines: goroutines, FDs: fds}
	}
	tests := []struct {
		name    string
		samples []Sample
		stable  bool
		says    string
	}{
		{"flat", []Sample{s(10000, 20, 50, 40), s(50000, 22, 52, 41), s(100000, 21, 50, 40)}, true, "nothing grew"},
		{"RSS within 8 MiB", []Sample{s(1, 20, -1, 40), s(2, 27, -1, 40)}, true, "nothing grew"},
		{"RSS within a quarter of a big baseline", []Sample{s(1, 100, -1, 40), s(2, 124, -1, 40)}, true, "nothing grew"},
		{"RSS grows", []Sample{s(1, 20, -1, 40), s(2, 25, -1, 40), s(3, 40, -1, 40)}, false, "RSS grew"},
		{"goroutines leak", []Sample{s(1, 20, 50, 40), s(2, 20, 500, 40)}, false, "goroutines grew 50 → 500"},
		{"unknown goroutines are not judged", []Sample{s(1, 20, -1, 40), s(2, 20, -1, 40)}, true, "nothing grew"},
		{"file descriptors leak", []Sample{s(1, 20, 50, 40), s(2, 20, 50, 400)}, false, "open files grew"},
		{"one sample", []Sample{s(1, 20, 50, 40)}, false, "too few"},
		{"unreadable", []Sample{{Err: os.ErrNotExist}, s(2, 20, 50, 40)}, false, "could not read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stable, says := JudgeSoak(tt.samples)
			if stable != tt.stable || !strings.Contains(says, tt.says) {
				t.Errorf("JudgeSoak = %v, %q; want %v, mentioning %q", stable, says, tt.stable, tt.says)
			}
		})
	}
}

func TestCheckLoopback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		url string
		ok  bool
	}{
		{"http://127.0.0.1:8080", true},
		{"http://127.3.2.1:80", true},
		{"http://localhost:9999", true},
		{"http://[::1]:8080", true},
		{"http://192.168.1.10:8080", false},
		{"http://api.anthropic.com", false},
		{"https://127.0.0.1:8080", false},
		{"::", false},
	}
	for _, tt := range tests {
		if err := CheckLoopback(tt.url); (err == nil) != tt.ok {
			t.Errorf("CheckLoopback(%q) = %v, want ok %v", tt.url, err, tt.ok)
		}
	}
}

func TestChildEnvReplacesClaudeflareSettings(t *testing.T) {
	t.Parallel()
	got := childEnv([]string{"PATH=/bin", "CLAUDEFLARE_HOME=/real", "PORT=80", "LB_STRATEGY=x", "HOME=/root"},
		map[string]string{"CLAUDEFLARE_HOME": "/tmp/h"})
	want := map[string]bool{"PATH=/bin": true, "HOME=/root": true, "CLAUDEFLARE_HOME=/tmp/h": true}
	if len(got) != len(want) {
		t.Fatalf("childEnv = %v", got)
	}
	for _, kv := range got {
		if !want[kv] {
			t.Errorf("unexpected %q in %v", kv, got)
		}
	}
}
