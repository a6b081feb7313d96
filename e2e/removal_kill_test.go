package e2e

import (
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// TestKilledRemovalsLeaveNoAccountWithoutSecret: `accounts remove`
// processes, one after another, are killed with SIGKILL at varying moments.
// However a removal is cut, every account left still has its secret (the
// row goes first: docs/DESIGN.md, "Files that several processes share"); what the kills leave are orphaned secrets,
// which the next start of serve removes.
func TestKilledRemovalsLeaveNoAccountWithoutSecret(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	const total = 60
	keys := map[string]string{}
	for i := range total {
		name := fmt.Sprintf("acct-%02d", i)
		keys[name] = sb.addAccount(t, name)
	}
	killed := 0
	for round := 0; round < 30 && len(sb.listed(t)) > 0; round++ {
		var left []string
		for _, a := range sb.listed(t) {
			left = append(left, a.Name)
		}
		// One shell removes the accounts left, one process each, until the
		// whole process group is killed.
		script := ""
		for _, n := range left {
			script += fmt.Sprintf("%q accounts remove %q || exit 1\n", binary, n)
		}
		cmd := exec.Command("sh", "-c", script)
		cmd.Env = sb.env()
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(2000+rand.IntN(20000)) * time.Microsecond)
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err == nil {
			killed++
		}
		err := cmd.Wait()
		if err == nil || strings.Contains(out.String(), "claudeflare:") {
			t.Logf("round %d: the removals %v\n%s", round, err, out.String())
		}

		secrets := sb.secrets(t)
		for _, a := range sb.listed(t) {
			if secrets[a.ID] != keys[a.Name] {
				t.Fatalf("round %d: account %s is left without its secret", round, a.Name)
			}
		}
	}
	if killed < 15 {
		t.Errorf("only %d removal runs were killed; the test proves little", killed)
	}

	// The next start cleans the orphans: then the secrets are exactly the
	// accounts'.
	list := sb.listed(t)
	orphans := len(sb.secrets(t)) - len(list)
	sb.serve(t)
	secrets := sb.secrets(t)
	if len(secrets) != len(list) {
		t.Errorf("after a start: %d secrets for %d accounts, want one each (%d orphans before the start)", len(secrets), len(list), orphans)
	}
	for _, a := range list {
		if secrets[a.ID] != keys[a.Name] {
			t.Errorf("after a start: account %s lost its secret", a.Name)
		}
	}
	t.Logf("%d runs killed; %d of %d accounts left; the start removed %d orphaned secrets", killed, len(list), total, orphans)
}
