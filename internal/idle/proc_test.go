package idle

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestReadThisProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	a, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if a.Threads < 1 || a.RSSKB <= 0 {
		t.Fatalf("sample %+v: no threads or no memory", a)
	}
	for end := time.Now().Add(50 * time.Millisecond); time.Now().Before(end); { // burn CPU
	}
	time.Sleep(10 * time.Millisecond) // and sleep: a voluntary switch
	b, err := Read(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if b.CPUTicks <= a.CPUTicks || b.Switches <= a.Switches {
		t.Errorf("after work and a sleep: ticks %d → %d, switches %d → %d; want both up", a.CPUTicks, b.CPUTicks, a.Switches, b.Switches)
	}
}

func TestCPUTicksParsesOddNames(t *testing.T) {
	t.Parallel()
	// A command name with a space and a parenthesis; utime 7, stime 5.
	stat := "42 (a b) c) S 1 42 42 0 -1 4194560 100 0 0 0 7 5 0 0 20 0 3 0 100 1000 200\n"
	path := filepath.Join(t.TempDir(), "stat")
	if err := os.WriteFile(path, []byte(stat), 0o600); err != nil {
		t.Fatal(err)
	}
	if n, err := cpuTicks(path); err != nil || n != 12 {
		t.Errorf("cpuTicks = %d, %v; want 12", n, err)
	}
	if err := os.WriteFile(path, []byte("42 (short) S 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cpuTicks(path); err == nil {
		t.Error("a truncated stat was read")
	}
}

func TestCompare(t *testing.T) {
	t.Parallel()
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name string
		a, b Sample
		want Report
	}{
		{"idle", Sample{At: t0, Switches: 100, CPUTicks: 10},
			Sample{At: t0.Add(30 * time.Second), Switches: 160, CPUTicks: 13, Threads: 7, RSSKB: 20480},
			Report{Window: 30 * time.Second, WakeupsPerSec: 2, CPUPercent: 0.1, RSSMB: 20, Threads: 7}},
		{"no time", Sample{At: t0}, Sample{At: t0, RSSKB: 1024}, Report{RSSMB: 1}},
	}
	for _, tt := range tests {
		if got := Compare(tt.a, tt.b); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
