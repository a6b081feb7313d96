package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// TestCLIIsAClientOfTheRunningServe: while serve runs, the command line
// goes through its API (docs/DESIGN.md, "The typed surface"): what a command
// shows is serve's state as it is right now, and what it changes is live
// when it returns. serve polls nothing, so there is no Eventually here.
func TestCLIIsAClientOfTheRunningServe(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a") // offline: no serve yet
	in := sb.serve(t)

	in.mustServeFrom(t, "a")
	var listed []accountJSON
	res := sb.mustCLI(t, "", "accounts", "list", "--json")
	if err := json.Unmarshal([]byte(res.Stdout), &listed); err != nil || len(listed) != 1 {
		t.Fatalf("accounts list --json: %v\n%s", err, res)
	}
	if a := listed[0]; a.Status != "active" || a.TotalRequests != 1 || a.SessionRequests != 1 || a.SessionStart == nil {
		t.Errorf("accounts list right after a request: %+v, want a active with its first request", a)
	}

	sb.addAccount(t, "b") // through serve's API
	sb.mustCLI(t, "", "accounts", "pause", "a")
	in.mustServeFrom(t, "b") // at once: no wait for a poll
	if accts, _ := in.accounts(t); !accts["a"].Paused || accts["b"].Status != "active" {
		t.Errorf("after the CLI's add and pause: %+v", accts)
	}
	sb.mustCLI(t, "", "config", "set", "session_duration_ms", "120000")
	var cfg configJSON
	in.getJSON(t, "/api/config", &cfg)
	if cfg.SessionDurationMS != 120000 {
		t.Errorf("session_duration_ms right after config set: %d", cfg.SessionDurationMS)
	}
	sb.mustCLI(t, "", "accounts", "remove", "b")
	if accts, _ := in.accounts(t); len(accts) != 1 {
		t.Errorf("after the CLI's remove: %+v", accts)
	}
}

// TestStoppedServeIsReported: a serve that holds its lock but does not
// answer (stopped with SIGSTOP: a hung app) is reported by the command
// line, which writes nothing beside it.
func TestStoppedServeIsReported(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	in := sb.serve(t)
	pid := in.cmd.Process.Pid
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}()
	start := time.Now()
	res := sb.CLI(t, sb.Fake.IssueAPIKey()+"\n", "accounts", "add", "x", "--api-key-stdin")
	if res.Code != 1 || !strings.Contains(res.Stderr, fmt.Sprintf("(pid %d) is running", pid)) ||
		!strings.Contains(res.Stderr, "does not answer at "+in.URL()) || !strings.Contains(res.Stderr, "nothing was changed") {
		t.Errorf("accounts add beside a stopped serve: want exit 1 naming the pid and the address\n%s", res)
	}
	t.Logf("reported after %s", time.Since(start).Round(time.Millisecond))
	_ = syscall.Kill(pid, syscall.SIGCONT)
	stopped = false
	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	// No serve now: the command reads the database itself.
	if res := sb.mustCLI(t, "", "accounts", "list", "--json"); strings.TrimSpace(res.Stdout) != "[]" {
		t.Errorf("the refused add was written: %s", res.Stdout)
	}
}
