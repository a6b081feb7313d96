package lock

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

const holderEnv = "CLAUDEFLARE_LOCK_TEST_HOLDER"

// TestHolderProcess is the child of TestOtherProcessAndCrash: it takes the
// lock, says so, and waits to be killed.
func TestHolderProcess(t *testing.T) {
	path := os.Getenv(holderEnv)
	if path == "" {
		t.Skip("helper process for TestOtherProcessAndCrash")
	}
	if _, err := Acquire(path, "http://127.0.0.1:7777"); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("locked")
	select {}
}

// Another process holding the lock is reported with its PID, and its death,
// even by SIGKILL, frees the lock.
func TestOtherProcessAndCrash(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "claudeflare.lock")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHolderProcess$")
	cmd.Env = append(os.Environ(), holderEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("helper said %q, %v", line, err)
	}

	_, err = Acquire(path, "http://127.0.0.1:8080")
	var locked *ErrLocked
	if !errors.As(err, &locked) {
		t.Fatalf("Acquire while another process holds it: err = %v, want *ErrLocked", err)
	}
	if locked.Info.PID != cmd.Process.Pid || locked.Info.Address != "http://127.0.0.1:7777" {
		t.Errorf("Info = %+v, want pid %d at http://127.0.0.1:7777", locked.Info, cmd.Process.Pid)
	}

	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	l, err := Acquire(path, "http://127.0.0.1:8080")
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
