package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/claudeflare/claudeflare/internal/fakeanthropic"
)

// TestShutdownFlushesAndRestartKeepsState: SIGTERM right after a burst of
// requests exits 0 with every request row written; a new serve on the same
// home finds the rows, the rate limit and the running session.
func TestShutdownFlushesAndRestartKeepsState(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	sb.addAccount(t, "b")
	in := sb.serve(t)
	for range 5 {
		in.mustServeFrom(t, "a")
	}
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{Status: http.StatusTooManyRequests, RetryAfter: "3600"})
	in.mustServeFrom(t, "b")
	before, _ := in.accounts(t)

	// No waiting for the asynchronous writer: shutdown must flush it.
	if err := in.stop(); err != nil {
		t.Fatalf("serve after SIGTERM: %v\n%s", err, in.stderr)
	}
	if !strings.Contains(in.stdout.String(), "Shutting down") {
		t.Logf("serve's output on shutdown:\n%s", in.stdout)
	}

	// Offline, the command line reads the same data.
	res := sb.mustCLI(t, "", "stats", "--json")
	if !json.Valid([]byte(res.Stdout)) {
		t.Errorf("stats --json is not JSON: %s", res)
	}
	if !strings.Contains(res.Stdout, `"a"`) || !strings.Contains(res.Stdout, `"b"`) {
		t.Errorf("stats --json does not name both accounts: %s", res.Stdout)
	}

	again := sb.serve(t)
	var rows []requestJSON
	again.getJSON(t, "/api/requests?limit=50", &rows)
	var onA, onB int
	for _, r := range rows {
		switch {
		case r.Account == "a" && r.Status == 200:
			onA++
		case r.Account == "b" && r.Status == 200 && r.Failovers == 1:
			onB++
		}
	}
	if len(rows) != 6 || onA != 5 || onB != 1 {
		t.Errorf("after a restart, /api/requests has %d rows (%d from a, %d failed over to b), want 6 (5, 1): %+v", len(rows), onA, onB, rows)
	}

	after, _ := again.accounts(t)
	checkStatus(t, after, "a", "rate_limited")
	checkStatus(t, after, "b", "active")
	if b, a := before["a"].RateLimitedUntil, after["a"].RateLimitedUntil; a == nil || b == nil || !a.Equal(*b) {
		t.Errorf("a: rate_limited_until %v before the restart, %v after", b, a)
	}
	if after["a"].TotalRequests != 5 || after["b"].TotalRequests != 1 {
		t.Errorf("total_requests after the restart: a %d, b %d, want 5 and 1", after["a"].TotalRequests, after["b"].TotalRequests)
	}
	if b, a := before["b"].SessionStart, after["b"].SessionStart; a == nil || b == nil || !a.Equal(*b) {
		t.Errorf("b: session_start %v before the restart, %v after", b, a)
	}
	sb.Fake.SetBehavior(sb.Keys["a"], fakeanthropic.Behavior{})
	again.mustServeFrom(t, "b")
}

// TestSIGINTShutsDownCleanly: Ctrl-C stops serve with status 0, like SIGTERM.
func TestSIGINTShutsDownCleanly(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, fakeanthropic.Options{})
	sb.addAccount(t, "a")
	in := sb.serve(t)
	in.mustServeFrom(t, "a")
	in.stopOnce.Do(func() {}) // this test stops it itself
	if err := in.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case <-in.done:
		if in.err != nil {
			t.Errorf("serve after SIGINT: %v\n%s", in.err, in.stderr)
		}
	case <-time.After(stopTimeout):
		_ = in.cmd.Process.Kill()
		<-in.done
		t.Fatalf("serve still running %s after SIGINT", stopTimeout)
	}
	// The row of the request made before the signal was flushed.
	again := sb.serve(t)
	again.waitForRow(t, "a", 200)
}
