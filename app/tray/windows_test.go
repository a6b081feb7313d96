package tray

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The test binary plays the window process when TRAY_TEST_WINDOWS is set:
// it acknowledges the names it starts with and each "show NAME" line, as
// `claudeflare ui --tray` does. "show exit" makes it exit without an
// acknowledgement (its last window was closing as the line came); with
// TRAY_TEST_WINDOWS=stubborn it ignores the end of its input.
func TestMain(m *testing.M) {
	if mode := os.Getenv("TRAY_TEST_WINDOWS"); mode != "" {
		fakeWindowProcess(mode, os.Args[1:])
		return
	}
	os.Exit(m.Run())
}

func fakeWindowProcess(mode string, names []string) {
	for _, n := range names {
		fmt.Println("shown", n)
	}
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		name, _ := strings.CutPrefix(sc.Text(), "show ")
		if name == "exit" {
			os.Exit(0)
		}
		fmt.Println("shown", name)
	}
	if mode == "stubborn" {
		time.Sleep(time.Minute)
	}
}

// fakeWindows returns Windows running the fake, counting the processes started.
func fakeWindows(mode string) (*Windows, *atomic.Int32) {
	var starts atomic.Int32
	w := &Windows{AckWait: 5 * time.Second, Command: func(names ...string) *exec.Cmd {
		starts.Add(1)
		cmd := exec.Command(os.Args[0], names...)
		cmd.Env = append(os.Environ(), "TRAY_TEST_WINDOWS="+mode)
		return cmd
	}}
	return w, &starts
}

func TestWindowsOneProcessRaisedByLines(t *testing.T) {
	t.Parallel()
	w, starts := fakeWindows("plain")
	exited := make(chan error, 4)
	w.Exited = func(err error) { exited <- err }
	if err := w.Show("usage", "settings"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"accounts", "usage", "login"} {
		if err := w.Show(name); err != nil {
			t.Fatal(err)
		}
	}
	if n := starts.Load(); n != 1 {
		t.Fatalf("%d window processes for four Show calls, want 1", n)
	}
	w.Close(5 * time.Second)
	if err := <-exited; err != nil {
		t.Errorf("the window process did not end by itself when its input closed: %v", err)
	}
	w.Close(time.Second) // none running: nothing to do
	if err := w.Show("accounts"); err == nil || starts.Load() != 1 {
		t.Errorf("a window opened after Close: %v, %d processes", err, starts.Load())
	}
}

// TestWindowsReplacesAnExitingProcess: a line that reaches a window process
// whose last window is closing is not lost: a new process opens the window.
func TestWindowsReplacesAnExitingProcess(t *testing.T) {
	t.Parallel()
	w, starts := fakeWindows("plain")
	if err := w.Show("accounts"); err != nil {
		t.Fatal(err)
	}
	if err := w.Show("exit"); err != nil {
		t.Fatal(err)
	}
	if n := starts.Load(); n != 2 {
		t.Fatalf("%d window processes, want a second one after the first exited", n)
	}
	if err := w.Show("usage"); err != nil || starts.Load() != 2 {
		t.Fatalf("Show after the replacement: %v, %d processes", err, starts.Load())
	}
	w.Close(5 * time.Second)
}

func TestWindowsCloseKillsAProcessThatStays(t *testing.T) {
	t.Parallel()
	w, _ := fakeWindows("stubborn")
	exited := make(chan error, 1)
	w.Exited = func(err error) { exited <- err }
	if err := w.Show("accounts"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w.Close(200 * time.Millisecond)
	if err := <-exited; err == nil {
		t.Error("the stubborn window process ended cleanly; it should have been killed")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Close took %v", d)
	}
}

func TestWindowsStartFailure(t *testing.T) {
	t.Parallel()
	w := &Windows{Command: func(...string) *exec.Cmd { return exec.Command("/nonexistent/claudeflare") }}
	if err := w.Show("accounts"); err == nil {
		t.Fatal("no error for a window process that cannot start")
	}
}

func TestSelfCommand(t *testing.T) {
	t.Setenv("CLAUDEFLARE_SHOW", "usage")
	cmd := SelfCommand("/opt/claudeflare", os.Stderr)("usage", "settings")
	if got := strings.Join(cmd.Args, " "); got != "/opt/claudeflare ui --tray usage settings" {
		t.Errorf("args %q", got)
	}
	for _, kv := range cmd.Env {
		if strings.HasPrefix(kv, "CLAUDEFLARE_SHOW=") {
			t.Errorf("the window process inherits %s", kv)
		}
	}
}
