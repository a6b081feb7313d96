package e2e

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// statuslineInput is the kind of JSON Claude Code gives its statusLine command.
const statuslineInput = `{"session_id":"e2e","cwd":"/src","model":{"id":"claude-sonnet-4-5","display_name":"Sonnet 4.5"},"workspace":{"current_dir":"/src"},"version":"2.1.328"}`

// statusline runs `claudeflare statusline` as Claude Code does and returns
// its output and how long the process took.
func (sb *sandbox) statusline(t *testing.T) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, "statusline")
	cmd.Env = sb.env()
	cmd.Stdin = strings.NewReader(statuslineInput)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil || stderr.Len() > 0 {
		t.Fatalf("claudeflare statusline: %v\n--- stdout:\n%s--- stderr:\n%s", err, stdout.String(), stderr.String())
	}
	return stdout.String(), took
}

// TestStatusline: the real binary against a real serve prints the serving
// account, the 5-hour and weekly use its answers reported and the session
// time left, on one line, and says so once serve is gone; its speed is
// logged, never asserted.
func TestStatusline(t *testing.T) {
	t.Parallel()
	ls := newLoginSandbox(t, fakeanthropic.Options{})
	now := time.Now()
	ls.Fake.SetQuota(ls.oauthAccount(t, "work"), fakeanthropic.Quota{FiveHour: 0.83, SevenDay: 0.414,
		FiveHourReset: now.Add(2 * time.Hour), SevenDayReset: now.Add(90 * time.Hour)})
	in := ls.serveLogin(t)
	if out, _ := in.statusline(t); out != "⇄ work\n" {
		t.Errorf("statusline before any request printed %q, want the next account alone", out)
	}
	in.mustServeFrom(t, "work")

	var took []time.Duration
	var out string
	for range 5 {
		var d time.Duration
		out, d = in.statusline(t)
		took = append(took, d)
	}
	slices.Sort(took)
	t.Logf("claudeflare statusline (a process, one GET /api/accounts): median %s, fastest %s, slowest %s",
		took[len(took)/2], took[0], took[len(took)-1])
	// work's session has just started: about 5 hours left (the default session length).
	if !regexp.MustCompile(`^⇄ work · 5h 83% · 7d 41% · 4h5\dm\n$`).MatchString(out) {
		t.Errorf("statusline printed %q, want ⇄ work · 5h 83%% · 7d 41%% · 4h5Xm", out)
	}

	if err := in.stop(); err != nil {
		t.Fatal(err)
	}
	if out, _ := in.statusline(t); out != "⇄ claudeflare not running\n" {
		t.Errorf("statusline with serve stopped printed %q", out)
	}
}
